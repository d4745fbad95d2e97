//! The JSON shapes of requests, as the API answers them and the pages read
//! them: a request with its two clocks read at one instant and the time each
//! department held it; comments, timeline events and commitments.

use axum::Json;
use jiff::Timestamp;
use roundtable_domain::clocks::{ClockReading, ClockState, time_held_per_department};
use roundtable_domain::requests::delivered_on_time;
use roundtable_store::requests::{ClockContext, Comment, Commitment, Request, RequestEvent};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    /// `running`, `at_risk`, `breached`, `paused`, `met` or `missed`.
    pub state: String,
    pub target_minutes: i64,
    /// Business minutes counted so far (paused time excluded).
    pub elapsed_minutes: i64,
    /// Business minutes left; negative once breached.
    pub remaining_minutes: i64,
    /// When the target falls due if nothing pauses the clock.
    pub due_at: Option<String>,
    pub stopped_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Clocks {
    pub first_response: ClockView,
    pub fulfilment: ClockView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeHeld {
    pub department_id: i64,
    /// Business minutes on that department's own calendar.
    pub business_minutes: i64,
    pub wall_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    pub id: i64,
    pub service_id: Option<i64>,
    pub provider_department_id: i64,
    pub requester_person_id: i64,
    pub assignee_person_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// Answers to the service's intake fields, by key.
    #[schema(value_type = Object)]
    pub intake_values: serde_json::Value,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub status: String,
    /// `none`, `customer_affected` or `customer_waiting`.
    pub external_impact: String,
    pub external_reference: Option<String>,
    pub segment_id: Option<i64>,
    pub parent_request_id: Option<i64>,
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub input_quality: Option<String>,
    pub input_quality_note: Option<String>,
    /// The delivery date both sides accepted, if any.
    pub committed_due_at: Option<String>,
    /// Deferred for an external customer until this new ETA; the clock keeps running.
    pub deferred_until: Option<String>,
    pub deferral_reason: Option<String>,
    /// Once resolved: delivered within the fulfilment target or by the accepted committed date.
    pub on_time: Option<bool>,
    /// Absent when the provider department has no business calendar.
    pub clocks: Option<Clocks>,
    /// Who held the request for how long, each on its own calendar.
    pub time_held: Vec<TimeHeld>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn minutes(duration: jiff::SignedDuration) -> i64 {
    duration.as_secs().div_euclid(60)
}

fn clock_view(reading: ClockReading, target_minutes: i64) -> ClockView {
    ClockView {
        state: reading.state.as_str().to_owned(),
        target_minutes,
        elapsed_minutes: minutes(reading.elapsed),
        remaining_minutes: target_minutes - minutes(reading.elapsed),
        due_at: reading.due.map(|due| due.to_string()),
        stopped_at: reading.stopped_at.map(|stopped| stopped.to_string()),
    }
}

pub fn view(request: Request, calendars: &ClockContext, now: Timestamp) -> RequestView {
    let readings = request.clocks(calendars, now);
    let on_time = delivered_on_time(
        request.status,
        request.resolved_at,
        request.committed_due_at,
        readings
            .as_ref()
            .map(|(_, fulfilment)| fulfilment.state == ClockState::Met),
    );
    let clocks = readings.map(|(response, fulfilment)| Clocks {
        first_response: clock_view(response, request.targets.first_response_minutes),
        fulfilment: clock_view(fulfilment, request.targets.fulfilment_minutes),
    });
    let time_held = time_held_per_department(&request.holding_periods(), &calendars.indexed, now)
        .into_iter()
        .map(|held| TimeHeld {
            department_id: held.department.0,
            business_minutes: minutes(held.business),
            wall_minutes: minutes(held.wall),
        })
        .collect();
    let text = |instant: Option<Timestamp>| instant.map(|instant| instant.to_string());
    RequestView {
        id: request.id,
        service_id: request.service_id,
        provider_department_id: request.provider_department_id.0,
        requester_person_id: request.requester_person_id.0,
        assignee_person_id: request.assignee_person_id.map(|person| person.0),
        title: request.title,
        description: request.description,
        intake_values: serde_json::from_str(&request.intake_values)
            .unwrap_or_else(|_| serde_json::json!({})),
        priority: request.priority.as_str().to_owned(),
        status: request.status.as_str().to_owned(),
        external_impact: request.external_impact.as_str().to_owned(),
        external_reference: request.external_reference,
        segment_id: request.segment_id,
        parent_request_id: request.parent_request_id,
        first_response_at: text(request.first_response_at),
        resolved_at: text(request.resolved_at),
        closed_at: text(request.closed_at),
        input_quality: request
            .input_quality
            .map(|quality| quality.as_str().to_owned()),
        input_quality_note: request.input_quality_note,
        committed_due_at: text(request.committed_due_at),
        deferred_until: text(request.deferred_until),
        deferral_reason: request.deferral_reason,
        on_time,
        clocks,
        time_held,
        version: request.version,
        created_at: request.created_at.to_string(),
        updated_at: request.updated_at.to_string(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RequestCommentView)]
pub struct CommentView {
    pub id: i64,
    pub author_person_id: i64,
    pub body: String,
    pub internal: bool,
    pub created_at: String,
}

impl From<Comment> for CommentView {
    fn from(comment: Comment) -> Self {
        CommentView {
            id: comment.id,
            author_person_id: comment.author_person_id.0,
            body: comment.body,
            internal: comment.internal,
            created_at: comment.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub actor_person_id: Option<i64>,
    /// `created`, `status_changed`, `reopened`, `updated`, `commented`, `internal_note`, …
    pub kind: String,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
    pub note: String,
    pub created_at: String,
}

impl From<RequestEvent> for EventView {
    fn from(event: RequestEvent) -> Self {
        EventView {
            id: event.id,
            actor_person_id: event.actor_person_id.map(|person| person.0),
            kind: event.kind,
            before: serde_json::from_str(&event.before).unwrap_or_default(),
            after: serde_json::from_str(&event.after).unwrap_or_default(),
            note: event.note,
            created_at: event.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentView {
    pub id: i64,
    /// `provider` (an offer) or `requester` (a counter-proposal).
    pub proposed_by_side: String,
    pub proposed_by: i64,
    pub due_at: String,
    pub note: String,
    /// `proposed`, `accepted` or `superseded`.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub created_at: String,
}

impl From<Commitment> for CommitmentView {
    fn from(commitment: Commitment) -> Self {
        CommitmentView {
            id: commitment.id,
            proposed_by_side: commitment.proposed_by_side.as_str().to_owned(),
            proposed_by: commitment.proposed_by.0,
            due_at: commitment.due_at.to_string(),
            note: commitment.note,
            status: commitment.status.as_str().to_owned(),
            decided_by: commitment.decided_by.map(|person| person.0),
            decided_at: commitment.decided_at.map(|instant| instant.to_string()),
            created_at: commitment.created_at.to_string(),
        }
    }
}

/// A page of a queue, with the size of the whole queue in `X-Total-Count`.
#[derive(Debug)]
pub struct QueueResponse {
    pub total: usize,
    pub requests: Vec<RequestView>,
}

impl axum::response::IntoResponse for QueueResponse {
    fn into_response(self) -> axum::response::Response {
        (
            [(
                axum::http::HeaderName::from_static("x-total-count"),
                self.total.to_string(),
            )],
            Json(self.requests),
        )
            .into_response()
    }
}
