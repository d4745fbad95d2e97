//! The request and what is written or read about it: its periods, changes,
//! transitions, filter, timeline events and comments.

use super::clock_cache::ClockContext;
use crate::Change;
use crate::health_rollup::RequestOutcomes;
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::clocks::{
    ClockInput, ClockReading, ExternalImpact, HoldingPeriod, read_clock, remaining_time,
};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::requests::{InputQuality, Roles, Status};
use roundtable_domain::services::{Priority, Targets};

/// Targets of requests raised ad hoc (without a service): a business day to
/// respond, a business week to fulfil.
pub const AD_HOC_TARGETS: Targets = Targets {
    first_response_minutes: 8 * 60,
    fulfilment_minutes: 5 * 8 * 60,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: i64,
    pub service_id: Option<i64>,
    pub provider_department_id: DepartmentId,
    pub requester_person_id: PersonId,
    /// The requester's department when the request was read (for visibility).
    pub requester_department_id: Option<DepartmentId>,
    /// The consumer side of the matrix cell: the requester's department when
    /// the request was raised.
    pub consumer_department_id: Option<DepartmentId>,
    pub assignee_person_id: Option<PersonId>,
    pub title: String,
    pub description: String,
    /// JSON object of intake answers, already checked against the service's form.
    pub intake_values: String,
    pub priority: Priority,
    pub status: Status,
    pub external_impact: ExternalImpact,
    pub external_reference: Option<String>,
    pub segment_id: Option<i64>,
    pub parent_request_id: Option<i64>,
    pub targets: Targets,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub input_quality: Option<InputQuality>,
    pub input_quality_note: Option<String>,
    /// Whether the first response came within target; `None` until it came.
    pub first_response_met: Option<bool>,
    /// Whether it was resolved within target or by the accepted committed
    /// date; `None` until resolved.
    pub delivered_on_time: Option<bool>,
    /// The accepted committed date, if the sides agreed one.
    pub committed_due_at: Option<Timestamp>,
    /// Deferred for an external customer until this new ETA (the clock keeps running).
    pub deferred_until: Option<Timestamp>,
    pub deferral_reason: Option<String>,
    pub periods: Vec<Period>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A stretch of time a department held the request, paused or running.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub department_id: DepartmentId,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub paused: bool,
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub service_id: Option<i64>,
    pub provider_department_id: DepartmentId,
    pub requester_person_id: PersonId,
    pub title: String,
    pub description: String,
    pub intake_values: String,
    pub priority: Priority,
    pub external_impact: ExternalImpact,
    pub external_reference: Option<String>,
    pub segment_id: Option<i64>,
    pub targets: Targets,
}

#[derive(Debug, Clone, Default)]
pub struct RequestChanges {
    pub title: Change<String>,
    pub description: Change<String>,
    pub priority: Change<Priority>,
    /// New targets, when the priority (or service) changed; elapsed time is kept.
    pub targets: Change<Targets>,
    pub assignee_person_id: Change<Option<PersonId>>,
    pub external_impact: Change<ExternalImpact>,
    pub external_reference: Change<Option<String>>,
    pub segment_id: Change<Option<i64>>,
}

/// A move of a request through its workflow.
#[derive(Debug, Clone)]
pub struct Transition {
    pub to: Status,
    pub actor: PersonId,
    /// The actor's sides of this request.
    pub roles: Roles,
    pub details: TransitionDetails,
    pub expected_version: Option<i64>,
    pub at: Timestamp,
}

/// What a transition carries besides the new status.
#[derive(Debug, Clone, Default)]
pub struct TransitionDetails {
    pub note: String,
    pub input_quality: Option<(InputQuality, Option<String>)>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RequestFilter {
    pub status: Option<Status>,
    pub open_only: bool,
    pub provider_department_id: Option<DepartmentId>,
    pub requester_person_id: Option<PersonId>,
    pub service_id: Option<i64>,
    pub external_impact: Option<ExternalImpact>,
    /// Only requests whose fulfilment clock breached (`true`) or did not (`false`),
    /// as escalated by the clock worker (which checks every minute).
    pub breached: Option<bool>,
    /// Only requests this person may see: their own, and their department's
    /// as requester's or provider's department. `None` for those who see all.
    pub visible_to: Option<(PersonId, Option<DepartmentId>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequestEvent {
    pub id: i64,
    pub actor_person_id: Option<PersonId>,
    pub kind: String,
    pub before: String,
    pub after: String,
    pub note: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub author_person_id: PersonId,
    pub body: String,
    pub internal: bool,
    pub created_at: Timestamp,
}

impl Request {
    /// What the health rollup sums of this request; `first_response_breached`
    /// says whether the worker recorded its first-response clock as breached.
    pub fn outcomes(&self, first_response_breached: bool) -> RequestOutcomes {
        RequestOutcomes {
            provider: self.provider_department_id,
            consumer: self.consumer_department_id,
            created_at: self.created_at,
            resolved_at: self.resolved_at,
            first_response_met: self.first_response_met,
            delivered_on_time: self.delivered_on_time,
            input_quality: self.input_quality,
            first_response_breached,
        }
    }

    /// The request's history as the clocks read it.
    pub fn holding_periods(&self) -> Vec<HoldingPeriod> {
        self.periods
            .iter()
            .map(|period| HoldingPeriod {
                department: period.department_id,
                from: period.started_at,
                to: period.ended_at,
                paused: period.paused,
            })
            .collect()
    }

    /// When the fulfilment clock stopped: at resolution (kept through
    /// closing), or when the request was cancelled.
    fn fulfilment_stop(&self) -> Option<Timestamp> {
        match self.status {
            Status::Resolved | Status::Closed => self.resolved_at,
            Status::Cancelled => Some(self.updated_at),
            _ => None,
        }
    }

    /// What is left of the fulfilment target at `now` (what the queue order
    /// needs), or `None` when the holding department has no calendar.
    pub fn fulfilment_remaining(
        &self,
        context: &ClockContext,
        now: Timestamp,
    ) -> Option<SignedDuration> {
        remaining_time(&ClockInput {
            periods: &self.holding_periods(),
            calendars: &context.indexed,
            target_minutes: self.targets.fulfilment_minutes,
            at_risk_share: context.at_risk_share,
            stopped_at: self.fulfilment_stop(),
            now,
        })
        .ok()
    }

    /// The first-response and fulfilment clocks at `now`, or `None` when the
    /// holding department has no calendar. Pure: computed by the domain from
    /// the stored periods, never stored itself.
    pub fn clocks(
        &self,
        context: &ClockContext,
        now: Timestamp,
    ) -> Option<(ClockReading, ClockReading)> {
        let periods = self.holding_periods();
        let calendars = &context.indexed;
        let at_risk_share = context.at_risk_share;
        let read = |target: i64, stopped_at: Option<Timestamp>| {
            read_clock(&ClockInput {
                periods: &periods,
                calendars,
                target_minutes: target,
                at_risk_share,
                stopped_at,
                now,
            })
            .ok()
        };
        let cancelled = (self.status == Status::Cancelled).then_some(self.updated_at);
        let response_stop = self.first_response_at.or(cancelled);
        Some((
            read(self.targets.first_response_minutes, response_stop)?,
            read(self.targets.fulfilment_minutes, self.fulfilment_stop())?,
        ))
    }
}
