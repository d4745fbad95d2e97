//! Internal requests as stored: the request row, its holding periods (who held
//! it, paused or not — the clocks are computed from these), its immutable
//! event timeline and its comments. Every change writes its event in the same
//! transaction, so the timeline can never disagree with the request.

use crate::health_rollup::{RequestOutcomes, RollupChanges};
use crate::time::{from_db, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::business_time_index::{IndexedCalendars, index_calendars};
use roundtable_domain::calendar::CalendarDefinition;
use roundtable_domain::clocks::{
    ClockInput, ClockReading, ClockState, HoldingPeriod, read_clock, remaining_time,
};
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::requests::{
    InputQuality, Roles, Status, check_transition, is_first_response,
};
use roundtable_domain::services::{Priority, Targets};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
    pub external_impact: String,
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

/// What reading a clock needs beyond the request: each department's calendar
/// and the organization's at-risk share.
#[derive(Debug, Clone)]
pub struct ClockContext {
    pub calendars: HashMap<DepartmentId, CalendarDefinition>,
    /// The same calendars with their business time summed per day, so a
    /// clock of a two-year-old request costs two lookups rather than a walk
    /// over every date since (what clocks should read; exact, see
    /// `business_time_index`).
    pub indexed: IndexedCalendars,
    pub at_risk_share: f64,
}

/// How far back the clock context's index reaches: open requests older than
/// this still read exactly, walking the part before it.
const INDEXED_YEARS: i64 = 3;

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
    pub external_impact: String,
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
    pub external_impact: Change<String>,
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
    pub external_impact: Option<&'static str>,
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

pub(crate) const COLUMNS: &str = "r.id, r.service_id, r.provider_department_id, r.requester_person_id, p.department_id AS requester_department_id, \
     r.assignee_person_id, r.title, r.description, r.intake_values, r.priority, r.status, r.external_impact, r.external_reference, \
     r.segment_id, r.parent_request_id, r.first_response_target_minutes, r.fulfilment_target_minutes, r.first_response_at, \
     r.resolved_at, r.closed_at, r.input_quality, r.input_quality_note, r.committed_due_at, r.deferred_until, r.deferral_reason, \
     r.consumer_department_id, r.first_response_met, r.delivered_on_time, r.version, r.created_at, r.updated_at";

pub(crate) const FROM: &str = "requests r JOIN people p ON p.organization_id = r.organization_id AND p.id = r.requester_person_id";

fn instant(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| from_db(&text))
        .transpose()
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("request {what} {value:?}"))
}

pub(crate) fn from_row(row: &AnyRow) -> Result<Request, StoreError> {
    let priority: String = row.try_get("priority")?;
    let status: String = row.try_get("status")?;
    let quality: Option<String> = row.try_get("input_quality")?;
    Ok(Request {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        provider_department_id: DepartmentId(row.try_get("provider_department_id")?),
        requester_person_id: PersonId(row.try_get("requester_person_id")?),
        requester_department_id: row
            .try_get::<Option<i64>, _>("requester_department_id")?
            .map(DepartmentId),
        assignee_person_id: row
            .try_get::<Option<i64>, _>("assignee_person_id")?
            .map(PersonId),
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        intake_values: row.try_get("intake_values")?,
        priority: Priority::parse(&priority).map_err(|_| corrupt("priority", &priority))?,
        status: Status::parse(&status).map_err(|_| corrupt("status", &status))?,
        external_impact: row.try_get("external_impact")?,
        external_reference: row.try_get("external_reference")?,
        segment_id: row.try_get("segment_id")?,
        parent_request_id: row.try_get("parent_request_id")?,
        targets: Targets {
            first_response_minutes: row.try_get("first_response_target_minutes")?,
            fulfilment_minutes: row.try_get("fulfilment_target_minutes")?,
        },
        first_response_at: instant(row, "first_response_at")?,
        resolved_at: instant(row, "resolved_at")?,
        closed_at: instant(row, "closed_at")?,
        input_quality: quality
            .map(|quality| {
                InputQuality::parse(&quality).map_err(|_| corrupt("input quality", &quality))
            })
            .transpose()?,
        input_quality_note: row.try_get("input_quality_note")?,
        consumer_department_id: row
            .try_get::<Option<i64>, _>("consumer_department_id")?
            .map(DepartmentId),
        first_response_met: row
            .try_get::<Option<i64>, _>("first_response_met")?
            .map(|flag| flag != 0),
        delivered_on_time: row
            .try_get::<Option<i64>, _>("delivered_on_time")?
            .map(|flag| flag != 0),
        committed_due_at: instant(row, "committed_due_at")?,
        deferred_until: instant(row, "deferred_until")?,
        deferral_reason: row.try_get("deferral_reason")?,
        periods: Vec::new(),
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

/// Attaches the holding periods of requests with ids in `[low, high]`.
pub(crate) async fn attach_periods(
    connection: &mut sqlx::AnyConnection,
    organization: OrganizationId,
    requests: &mut [Request],
) -> Result<(), StoreError> {
    let mut periods: HashMap<i64, Vec<Period>> = HashMap::with_capacity(requests.len());
    // The ids named one by one (not a range): a queue's requests are spread
    // over years of ids, and a range would read every period between them.
    let batch_size = crate::rows_per_statement(connection, 1);
    for batch in requests.chunks(batch_size) {
        let sql = format!(
            "SELECT request_id, department_id, started_at, ended_at, paused FROM request_periods \
             WHERE organization_id = $1 AND request_id IN ({}) ORDER BY request_id, id",
            crate::objectives::placeholders(2, batch.len())
        );
        let mut query = sqlx::query(&sql).bind(organization.0);
        for request in batch.iter() {
            query = query.bind(request.id);
        }
        read_periods(query.fetch_all(&mut *connection).await?, &mut periods)?;
    }
    for request in requests {
        request.periods = periods.remove(&request.id).unwrap_or_default();
    }
    Ok(())
}

fn read_periods(
    rows: Vec<AnyRow>,
    periods: &mut HashMap<i64, Vec<Period>>,
) -> Result<(), StoreError> {
    for row in rows {
        periods
            .entry(row.try_get("request_id")?)
            .or_default()
            .push(Period {
                department_id: DepartmentId(row.try_get("department_id")?),
                started_at: from_db(&row.try_get::<String, _>("started_at")?)?,
                ended_at: instant(&row, "ended_at")?,
                paused: row.try_get::<i64, _>("paused")? != 0,
            });
    }
    Ok(())
}

pub(crate) async fn fetch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Request, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id = $2"
    ))
    .bind(organization.0)
    .bind(id)
    .fetch_optional(&mut **transaction)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut requests = [from_row(&row)?];
    attach_periods(transaction, organization, &mut requests).await?;
    let [request] = requests;
    Ok(request)
}

/// Fixes the outcomes of the clocks that have stopped (first response within
/// target; delivered within target or by the accepted committed date) and
/// returns the request as it now stands. Called at the end of every write that
/// can stop, restart or re-judge a clock, so the outcomes health sums over
/// always agree with the clocks. Without a calendar nothing can be judged and
/// the outcomes stay unknown. Applies to the health rollup the difference
/// between the request `before` the write and after it.
pub(crate) async fn record_outcomes(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
    context: &ClockContext,
    before: &Request,
) -> Result<Request, StoreError> {
    let mut request = fetch(transaction, organization, id).await?;
    let (first_response_met, delivered_on_time) = match request.clocks(context, request.updated_at)
    {
        Some((response, fulfilment)) => {
            let first_response_met = request
                .first_response_at
                .map(|_| response.state == ClockState::Met);
            let delivered_on_time = request
                .resolved_at
                .filter(|_| matches!(request.status, Status::Resolved | Status::Closed))
                .map(|resolved| {
                    fulfilment.state == ClockState::Met
                        || request
                            .committed_due_at
                            .is_some_and(|committed| resolved <= committed)
                });
            (first_response_met, delivered_on_time)
        }
        None => (None, None),
    };
    if (first_response_met, delivered_on_time)
        != (request.first_response_met, request.delivered_on_time)
    {
        sqlx::query(
            "UPDATE requests SET first_response_met = $1, delivered_on_time = $2 WHERE organization_id = $3 AND id = $4",
        )
        .bind(first_response_met.map(i64::from))
        .bind(delivered_on_time.map(i64::from))
        .bind(organization.0)
        .bind(id)
        .execute(&mut **transaction)
        .await?;
        request.first_response_met = first_response_met;
        request.delivered_on_time = delivered_on_time;
    }
    // Whether the first response was recorded as breached matters only when
    // it decides between "judged" and "not judged" in a contribution that
    // changes.
    let judged_differently = before.first_response_met != request.first_response_met
        || before.provider_department_id != request.provider_department_id
        || before.consumer_department_id != request.consumer_department_id;
    let breached = judged_differently
        && (before.first_response_met.is_none() || request.first_response_met.is_none())
        && crate::health_rollup::first_response_breached(transaction, organization, id).await?;
    let mut rollup = RollupChanges::default();
    rollup.replace_request(&before.outcomes(breached), &request.outcomes(breached));
    crate::health_rollup::apply(transaction, organization, &rollup).await?;
    Ok(request)
}

/// Tells `recipients` (other than `actor`, who knows) about a request, in
/// the transaction of the change.
pub(crate) struct Telling<'a> {
    pub(crate) recipients: &'a [PersonId],
    /// Who made the change (and so needs no telling).
    pub(crate) actor: Option<PersonId>,
    pub(crate) kind: &'static str,
    pub(crate) body: String,
}

pub(crate) async fn tell(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    request: &Request,
    telling: Telling<'_>,
    stamp: &str,
) -> Result<(), StoreError> {
    let Telling {
        recipients,
        actor,
        kind,
        body,
    } = telling;
    let mut told: Vec<PersonId> = Vec::new();
    for recipient in recipients {
        if Some(*recipient) == actor || told.contains(recipient) {
            continue;
        }
        told.push(*recipient);
        let title = match kind {
            "assigned" => format!("Assigned to you: {}", request.title),
            "clock_at_risk" => format!("At risk: {}", request.title),
            "clock_breached" => format!("Breached: {}", request.title),
            "deferred" => format!("Deferred for an external customer: {}", request.title),
            "commitment_proposed" => format!("A date was proposed for {}", request.title),
            "commitment_accepted" => format!("The committed date was accepted: {}", request.title),
            "check_requested" => format!(
                "Did \u{201c}{}\u{201d} meet your expectation?",
                request.title
            ),
            "check_not_met" => format!("Not met: {}", request.title),
            _ => request.title.clone(),
        };
        let notice = crate::notifications::Notice {
            recipient: *recipient,
            kind,
            subject_kind: "request",
            subject_id: Some(request.id),
            title,
            body: body.clone(),
            link: format!("/requests/{}", request.id),
        };
        crate::notifications::notify(transaction, organization, notice, stamp).await?;
    }
    Ok(())
}

/// One timeline entry about to be written.
pub(crate) struct NewEvent<'a> {
    pub(crate) request: i64,
    pub(crate) actor: Option<PersonId>,
    pub(crate) kind: &'a str,
    pub(crate) before: serde_json::Value,
    pub(crate) after: serde_json::Value,
    pub(crate) note: &'a str,
    pub(crate) at: &'a str,
}

pub(crate) async fn record_event(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    event: NewEvent<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO request_events (organization_id, request_id, actor_person_id, kind, before, after, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(organization.0)
    .bind(event.request)
    .bind(event.actor.map(|person| person.0))
    .bind(event.kind.to_owned())
    .bind(event.before.to_string())
    .bind(event.after.to_string())
    .bind(event.note.to_owned())
    .bind(event.at.to_owned())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Ends the open period, if any, at `at`.
pub(crate) async fn end_period(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    request: i64,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE request_periods SET ended_at = $1 WHERE organization_id = $2 AND request_id = $3 AND ended_at IS NULL")
        .bind(at.to_owned())
        .bind(organization.0)
        .bind(request)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

pub(crate) async fn start_period(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    request: i64,
    department: DepartmentId,
    paused: bool,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO request_periods (organization_id, request_id, department_id, started_at, paused) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(organization.0)
    .bind(request)
    .bind(department.0)
    .bind(at.to_owned())
    .bind(i64::from(paused))
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Inserts a request (its consumer is the requester's department) and
/// returns what the database chose: the id, the consumer and the version.
/// Binds `$1`–`$15` (see [`bind_new_request`]). A macro, so that both
/// backends' create statements are built from it at compile time.
macro_rules! insert_request {
    () => {
        "INSERT INTO requests (organization_id, service_id, provider_department_id, requester_person_id, title, description, \
         intake_values, priority, status, external_impact, external_reference, segment_id, first_response_target_minutes, \
         fulfilment_target_minutes, parent_request_id, created_at, updated_at, consumer_department_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', $9, $10, $11, $12, $13, $15, $14, $14, \
         (SELECT department_id FROM people WHERE organization_id = $1 AND id = $4)) \
         RETURNING id, consumer_department_id, version"
    };
}

/// PostgreSQL's create in one statement: the request, its first holding
/// period and its "created" event (`$16`, the event's `after`), atomic
/// because a statement is.
const CREATE_REQUEST_STATEMENT: &str = concat!(
    "WITH request AS (",
    insert_request!(),
    "), period AS (INSERT INTO request_periods (organization_id, request_id, department_id, started_at, paused) \
        SELECT $1, id, $3, $14, 0 FROM request), \
     event AS (INSERT INTO request_events (organization_id, request_id, actor_person_id, kind, before, after, note, created_at) \
        SELECT $1, id, $4, 'created', '{}', $16, '', $14 FROM request) \
     SELECT id, consumer_department_id, version FROM request"
);

/// SQLite's create: the same three inserts as three statements in one
/// string, run in one call (SQLite has no inserts inside `WITH`). The period
/// takes the request's id from `last_insert_rowid()`, the event takes it
/// from the period. Atomic through the write's savepoint.
const CREATE_REQUEST_STATEMENTS_SQLITE: &str = concat!(
    insert_request!(),
    "; INSERT INTO request_periods (organization_id, request_id, department_id, started_at, paused) \
     VALUES ($1, last_insert_rowid(), $3, $14, 0); \
     INSERT INTO request_events (organization_id, request_id, actor_person_id, kind, before, after, note, created_at) \
     SELECT $1, request_id, $4, 'created', '{}', $16, '', $14 FROM request_periods WHERE id = last_insert_rowid()",
);

fn bind_new_request<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    organization: OrganizationId,
    new: &NewRequest,
    parent: Option<i64>,
    stamp: String,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(organization.0)
        .bind(new.service_id)
        .bind(new.provider_department_id.0)
        .bind(new.requester_person_id.0)
        .bind(new.title.clone())
        .bind(new.description.clone())
        .bind(new.intake_values.clone())
        .bind(new.priority.as_str())
        .bind(new.external_impact.clone())
        .bind(new.external_reference.clone())
        .bind(new.segment_id)
        .bind(new.targets.first_response_minutes)
        .bind(new.targets.fulfilment_minutes)
        .bind(stamp)
        .bind(parent)
}

/// The request just created, from what was written and what the insert
/// returned (rather than read back).
fn created_request(
    new: NewRequest,
    parent: Option<i64>,
    row: &AnyRow,
    created_at: Timestamp,
) -> Result<Request, StoreError> {
    let consumer: Option<i64> = row.try_get("consumer_department_id")?;
    Ok(Request {
        id: row.try_get("id")?,
        service_id: new.service_id,
        provider_department_id: new.provider_department_id,
        requester_person_id: new.requester_person_id,
        requester_department_id: consumer.map(DepartmentId),
        consumer_department_id: consumer.map(DepartmentId),
        assignee_person_id: None,
        title: new.title,
        description: new.description,
        intake_values: new.intake_values,
        priority: new.priority,
        status: Status::New,
        external_impact: new.external_impact,
        external_reference: new.external_reference,
        segment_id: new.segment_id,
        parent_request_id: parent,
        targets: new.targets,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        input_quality: None,
        input_quality_note: None,
        first_response_met: None,
        delivered_on_time: None,
        committed_due_at: None,
        deferred_until: None,
        deferral_reason: None,
        periods: vec![Period {
            department_id: new.provider_department_id,
            started_at: created_at,
            ended_at: None,
            paused: false,
        }],
        version: row.try_get("version")?,
        created_at,
        updated_at: created_at,
    })
}

fn option_text<T: ToString>(value: Option<T>) -> serde_json::Value {
    value.map_or(serde_json::Value::Null, |value| {
        serde_json::Value::String(value.to_string())
    })
}

impl Scoped<'_> {
    /// Raises a request; its clocks start now (at the provider's next opening).
    pub async fn create_request(
        &self,
        new: NewRequest,
        at: Timestamp,
    ) -> Result<Request, StoreError> {
        self.create_linked_request(new, None, at).await
    }

    /// Splits work off a request: a sub-request to another department, linked
    /// to its parent, with its own clock on its own provider's calendar.
    pub async fn create_sub_request(
        &self,
        parent: i64,
        new: NewRequest,
        at: Timestamp,
    ) -> Result<Request, StoreError> {
        self.create_linked_request(new, Some(parent), at).await
    }

    async fn create_linked_request(
        &self,
        new: NewRequest,
        parent: Option<i64>,
        at: Timestamp,
    ) -> Result<Request, StoreError> {
        let organization = self.organization;
        let reader = self.store.reader();
        // Departments are cached per write, so intake checks this one
        // without a read of its own.
        match self.department(new.provider_department_id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(StoreError::invalid(
                    "provider_department_id",
                    format!("no such record: {}", new.provider_department_id.0),
                ));
            }
            Err(error) => return Err(error),
        }
        if let Some(segment) = new.segment_id {
            crate::ensure_exists_in(reader, "segments", organization, segment, "segment_id")
                .await?;
        }
        if let Some(parent) = parent {
            crate::ensure_exists_in(
                reader,
                "requests",
                organization,
                parent,
                "parent_request_id",
            )
            .await?;
        }
        // The writer only writes: three inserts. The checks above run on
        // readers (or the cache), in parallel, and the request is built from
        // what was written rather than read back (a test holds the two equal).
        let stamp = to_db(at);
        let created_at = from_db(&stamp)?;
        let event_after = serde_json::json!({
            "status": "new", "title": new.title.clone(), "priority": new.priority.as_str(),
            "provider_department_id": new.provider_department_id.0, "external_impact": new.external_impact,
        });
        let stored = match self.store.backend() {
            // One statement, atomic on its own, so no BEGIN and COMMIT: each
            // round trip costs PostgreSQL about as much as an insert, and
            // this takes a create from five of them to one.
            crate::Backend::Postgres => {
                self.store
                    .write_statement(move |connection| {
                        Box::pin(async move {
                            let row = bind_new_request(
                                sqlx::query(CREATE_REQUEST_STATEMENT),
                                organization,
                                &new,
                                parent,
                                stamp,
                            )
                            .bind(event_after.to_string())
                            .fetch_one(connection)
                            .await?;
                            created_request(new, parent, &row, created_at)
                        })
                    })
                    .await?
            }
            // The same three inserts in one call to SQLite's connection
            // thread (each call is a hand-off between threads, and the
            // single writer makes them one after another).
            crate::Backend::Sqlite => {
                self.store
                    .write(move |transaction| {
                        Box::pin(async move {
                            let rows = bind_new_request(
                                sqlx::query(CREATE_REQUEST_STATEMENTS_SQLITE),
                                organization,
                                &new,
                                parent,
                                stamp,
                            )
                            .bind(event_after.to_string())
                            .fetch_all(&mut **transaction)
                            .await?;
                            let row = rows.first().ok_or_else(|| {
                                StoreError::Corrupt("creating a request returned no row".to_owned())
                            })?;
                            created_request(new, parent, row, created_at)
                        })
                    })
                    .await?
            }
        };
        Ok(stored)
    }

    pub async fn request(&self, id: i64) -> Result<Request, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id = $2"
        ))
        .bind(self.organization.0)
        .bind(id)
        .fetch_optional(self.store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut requests = [from_row(&row)?];
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut requests).await?;
        let [request] = requests;
        Ok(request)
    }

    pub async fn list_requests(
        &self,
        filter: RequestFilter,
        page: PageRequest,
    ) -> Result<Listing<Request>, StoreError> {
        let (viewer, viewer_department) = match filter.visible_to {
            Some((person, department)) => {
                (Some(person.0), department.map(|department| department.0))
            }
            None => (None, None),
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id > $2 \
             AND ($3 IS NULL OR r.status = $3) \
             AND ($4 = 0 OR r.status NOT IN ('resolved', 'closed', 'cancelled')) \
             AND ($5 IS NULL OR r.provider_department_id = $5) \
             AND ($6 IS NULL OR r.requester_person_id = $6) \
             AND ($7 IS NULL OR r.service_id = $7) \
             AND ($8 IS NULL OR r.external_impact = $8) \
             AND ($9 IS NULL OR r.requester_person_id = $9 OR r.provider_department_id = $10 OR p.department_id = $10) \
             AND ($12 IS NULL OR $12 = (CASE WHEN EXISTS (SELECT 1 FROM request_escalations e WHERE e.organization_id = r.organization_id \
                 AND e.request_id = r.id AND e.clock = 'fulfilment' AND e.level = 'breached') THEN 1 ELSE 0 END)) \
             ORDER BY r.id LIMIT $11"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.status.map(Status::as_str))
        .bind(i64::from(filter.open_only))
        .bind(filter.provider_department_id.map(|department| department.0))
        .bind(filter.requester_person_id.map(|person| person.0))
        .bind(filter.service_id)
        .bind(filter.external_impact)
        .bind(viewer)
        .bind(viewer_department)
        .bind(page.fetch_limit())
        .bind(filter.breached.map(i64::from))
        .fetch_all(self.store.reader())
        .await?;
        let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut items).await?;
        Ok(page.into_listing(items, |request| request.id))
    }

    /// Every open request a provider department holds, for its queue, in no
    /// particular order (the queue order needs the clocks, read in Rust).
    /// The rows change only with a committed write, while the order changes
    /// with time, so the rows are kept per `requests` generation (see
    /// `caches`: every write but the escalation sweep's, which changes no
    /// request) and every reader computes the order for its own `now`. An
    /// entry only expired keeps serving while a task reads it again.
    pub async fn open_requests_of(
        &self,
        provider: DepartmentId,
    ) -> Result<Arc<Vec<Request>>, StoreError> {
        let (store, organization) = (self.store.clone(), self.organization);
        let read = move || async move {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.provider_department_id = $2 \
                 AND r.status NOT IN ('resolved', 'closed', 'cancelled')"
            ))
            .bind(organization.0)
            .bind(provider.0)
            .fetch_all(store.reader())
            .await?;
            let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
            let mut connection = store.reader().acquire().await?;
            attach_periods(&mut connection, organization, &mut items).await?;
            Ok::<_, StoreError>(items)
        };
        let generation_of = self.store.clone();
        self.store
            .caches()
            .open_queues
            .get_or_fill_refreshing_behind(
                (self.organization.0, provider.0),
                move || generation_of.caches().requests.current(),
                read,
            )
            .await
    }

    /// Moves a request to `to` if the workflow allows it for someone with `roles`.
    pub async fn transition_request(
        &self,
        id: i64,
        transition: Transition,
    ) -> Result<Request, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        let Transition {
            to,
            actor,
            roles,
            details,
            expected_version,
            at,
        } = transition;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "requests", organization, id).await?;
                    let current = fetch(transaction, organization, id).await?;
                    crate::check_version(current.version, expected_version)?;
                    check_transition(current.status, to, roles, at, current.resolved_at).map_err(|error| {
                        if error.is_forbidden() {
                            StoreError::Forbidden(error.to_string())
                        } else {
                            StoreError::Conflict { field: None, message: error.to_string() }
                        }
                    })?;
                    let stamp = to_db(at);
                    // The clocks: close the current period, open the next one that applies.
                    end_period(transaction, organization, id, &stamp).await?;
                    match to {
                        Status::WaitingOnRequester => start_period(transaction, organization, id, current.provider_department_id, true, &stamp).await?,
                        Status::Acknowledged | Status::InProgress => start_period(transaction, organization, id, current.provider_department_id, false, &stamp).await?,
                        _ => {}
                    }
                    let first_response = current.first_response_at.is_none() && roles.provider && is_first_response(to);
                    let resolved_at = match to {
                        Status::Resolved => Some(stamp.clone()),
                        Status::Closed => current.resolved_at.map(to_db),
                        _ => None,
                    };
                    let (quality, quality_note) = match &details.input_quality {
                        Some((quality, note)) if to == Status::Resolved => (Some(quality.as_str()), note.clone()),
                        _ => (current.input_quality.map(InputQuality::as_str), current.input_quality_note.clone()),
                    };
                    sqlx::query(
                        "UPDATE requests SET status = $1, first_response_at = COALESCE(first_response_at, $2), resolved_at = $3, \
                         closed_at = $4, input_quality = $5, input_quality_note = $6, version = version + 1, updated_at = $7 \
                         WHERE organization_id = $8 AND id = $9",
                    )
                    .bind(to.as_str())
                    .bind(first_response.then(|| stamp.clone()))
                    .bind(resolved_at)
                    .bind((to == Status::Closed).then(|| stamp.clone()))
                    .bind(quality)
                    .bind(quality_note)
                    .bind(stamp.clone())
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    let kind = match (current.status, to) {
                        (Status::Resolved, Status::InProgress) => "reopened",
                        _ => "status_changed",
                    };
                    let mut after = serde_json::json!({ "status": to.as_str() });
                    if let (Some((quality, _)), Status::Resolved) = (&details.input_quality, to) {
                        after["input_quality"] = serde_json::Value::String(quality.as_str().to_owned());
                    }
                    record_event(transaction, organization, NewEvent { request: id, actor: Some(actor), kind, before: serde_json::json!({ "status": current.status.as_str() }), after, note: &details.note, at: &stamp }).await?;
                    let request = record_outcomes(transaction, organization, id, &context, &current).await?;
                    if to == Status::Resolved {
                        crate::checks::consider_check(transaction, organization, &request, actor, at).await?;
                    }
                    Ok(request)
                })
            })
            .await
    }

    /// Changes a request's details; a new priority brings new targets while the
    /// elapsed and paused time (in the periods) stays as it was.
    pub async fn update_request(
        &self,
        id: i64,
        changes: RequestChanges,
        actor: PersonId,
        expected_version: i64,
    ) -> Result<Request, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "requests", organization, id).await?;
                    let current = fetch(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
                    if let Change::Set(Some(assignee)) = changes.assignee_person_id {
                        ensure_exists(transaction, "people", organization, assignee.0, "assignee_person_id").await?;
                    }
                    if let Change::Set(Some(segment)) = changes.segment_id {
                        ensure_exists(transaction, "segments", organization, segment, "segment_id").await?;
                    }
                    let mut before = serde_json::Map::new();
                    let mut after = serde_json::Map::new();
                    let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value| {
                        if old != new {
                            before.insert(field.to_owned(), old);
                            after.insert(field.to_owned(), new);
                        }
                    };
                    let title = changes.title.or(current.title.clone());
                    note("title", current.title.clone().into(), title.clone().into());
                    let description = changes.description.or(current.description.clone());
                    note("description", current.description.clone().into(), description.clone().into());
                    let priority = changes.priority.or(current.priority);
                    note("priority", current.priority.as_str().into(), priority.as_str().into());
                    let targets = changes.targets.or(current.targets);
                    note("fulfilment_target_minutes", current.targets.fulfilment_minutes.into(), targets.fulfilment_minutes.into());
                    note("first_response_target_minutes", current.targets.first_response_minutes.into(), targets.first_response_minutes.into());
                    let assignee = changes.assignee_person_id.or(current.assignee_person_id);
                    note("assignee_person_id", option_text(current.assignee_person_id.map(|p| p.0)), option_text(assignee.map(|p| p.0)));
                    let impact = changes.external_impact.or(current.external_impact.clone());
                    note("external_impact", current.external_impact.clone().into(), impact.clone().into());
                    let reference = changes.external_reference.or(current.external_reference.clone());
                    note("external_reference", option_text(current.external_reference.clone()), option_text(reference.clone()));
                    let segment = changes.segment_id.or(current.segment_id);
                    note("segment_id", option_text(current.segment_id), option_text(segment));
                    let stamp = to_db(now());
                    sqlx::query(
                        "UPDATE requests SET title = $1, description = $2, priority = $3, first_response_target_minutes = $4, \
                         fulfilment_target_minutes = $5, assignee_person_id = $6, external_impact = $7, external_reference = $8, \
                         segment_id = $9, version = version + 1, updated_at = $10 WHERE organization_id = $11 AND id = $12",
                    )
                    .bind(title)
                    .bind(description)
                    .bind(priority.as_str())
                    .bind(targets.first_response_minutes)
                    .bind(targets.fulfilment_minutes)
                    .bind(assignee.map(|person| person.0))
                    .bind(impact)
                    .bind(reference)
                    .bind(segment)
                    .bind(stamp.clone())
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    if !after.is_empty() {
                        record_event(transaction, organization, NewEvent { request: id, actor: Some(actor), kind: "updated", before: before.into(), after: after.into(), note: "", at: &stamp }).await?;
                    }
                    let request = record_outcomes(transaction, organization, id, &context, &current).await?;
                    if let Some(assignee) = assignee.filter(|assignee| Some(*assignee) != current.assignee_person_id) {
                        tell(transaction, organization, &request, Telling { recipients: &[assignee], actor: Some(actor), kind: "assigned", body: String::new() }, &stamp).await?;
                    }
                    Ok(request)
                })
            })
            .await
    }

    /// Adds a comment; the provider side's first public comment is its first response.
    pub async fn add_comment(
        &self,
        id: i64,
        author: PersonId,
        body: String,
        internal: bool,
        from_provider: bool,
        at: Timestamp,
    ) -> Result<Comment, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "requests", organization, id).await?;
                    let current = fetch(transaction, organization, id).await?;
                    let stamp = to_db(at);
                    let comment_id: i64 = sqlx::query_scalar(
                        "INSERT INTO request_comments (organization_id, request_id, author_person_id, body, internal, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .bind(author.0)
                    .bind(body.clone())
                    .bind(i64::from(internal))
                    .bind(stamp.clone())
                    .fetch_one(&mut **transaction)
                    .await?;
                    if from_provider && !internal && current.first_response_at.is_none() && current.status.is_open() {
                        sqlx::query("UPDATE requests SET first_response_at = $1, version = version + 1, updated_at = $1 WHERE organization_id = $2 AND id = $3")
                            .bind(stamp.clone())
                            .bind(organization.0)
                            .bind(id)
                            .execute(&mut **transaction)
                            .await?;
                    }
                    record_outcomes(transaction, organization, id, &context, &current).await?;
                    let kind = if internal { "internal_note" } else { "commented" };
                    record_event(transaction, organization, NewEvent { request: id, actor: Some(author), kind, before: serde_json::json!({}), after: serde_json::json!({ "comment_id": comment_id }), note: "", at: &stamp }).await?;
                    Ok(Comment { id: comment_id, author_person_id: author, body, internal, created_at: at })
                })
            })
            .await
    }

    pub async fn comments(
        &self,
        id: i64,
        include_internal: bool,
    ) -> Result<Vec<Comment>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, author_person_id, body, internal, created_at FROM request_comments \
             WHERE organization_id = $1 AND request_id = $2 AND ($3 = 1 OR internal = 0) ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(id)
        .bind(i64::from(include_internal))
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    id: row.try_get("id")?,
                    author_person_id: PersonId(row.try_get("author_person_id")?),
                    body: row.try_get("body")?,
                    internal: row.try_get::<i64, _>("internal")? != 0,
                    created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
                })
            })
            .collect()
    }

    /// The timeline, oldest first; internal notes only for the provider side.
    pub async fn request_events(
        &self,
        id: i64,
        include_internal: bool,
    ) -> Result<Vec<RequestEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, actor_person_id, kind, before, after, note, created_at FROM request_events \
             WHERE organization_id = $1 AND request_id = $2 AND ($3 = 1 OR kind <> 'internal_note') ORDER BY created_at, id",
        )
        .bind(self.organization.0)
        .bind(id)
        .bind(i64::from(include_internal))
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RequestEvent {
                    id: row.try_get("id")?,
                    actor_person_id: row
                        .try_get::<Option<i64>, _>("actor_person_id")?
                        .map(PersonId),
                    kind: row.try_get("kind")?,
                    before: row.try_get("before")?,
                    after: row.try_get("after")?,
                    note: row.try_get("note")?,
                    created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
                })
            })
            .collect()
    }

    /// Calendars and the at-risk share, for reading clocks. Nearly every
    /// request reads them and only configuration writes change them, so they
    /// come from the store's cache (see `caches`).
    pub async fn clock_context(&self) -> Result<Arc<ClockContext>, StoreError> {
        let caches = self.store.caches();
        let generation = caches.configuration.current();
        if let Some(context) = caches.clock_contexts.get(&self.organization.0, generation) {
            return Ok(context);
        }
        let organization = self.organization().await?;
        let calendars = self.calendars_of_departments(&organization).await?;
        // From a few years back to a day ahead (the entry lives seconds);
        // readings outside walk that part, so the range affects speed only.
        let built_at = now();
        let indexed = index_calendars(
            &calendars,
            built_at
                .saturating_sub(SignedDuration::from_hours(24 * 366 * INDEXED_YEARS))
                .unwrap_or(built_at),
            built_at
                .saturating_add(SignedDuration::from_hours(24))
                .unwrap_or(built_at),
        );
        let context = Arc::new(ClockContext {
            calendars,
            indexed,
            at_risk_share: organization.at_risk_percent as f64 / 100.0,
        });
        caches
            .clock_contexts
            .insert(self.organization.0, Arc::clone(&context), generation);
        Ok(context)
    }

    /// The calendar each department's clocks run on: its own, else the
    /// organization's default; departments with neither are left out.
    pub async fn department_calendars(
        &self,
    ) -> Result<HashMap<DepartmentId, CalendarDefinition>, StoreError> {
        Ok(self.clock_context().await?.calendars.clone())
    }

    async fn calendars_of_departments(
        &self,
        organization: &crate::organizations::Organization,
    ) -> Result<HashMap<DepartmentId, CalendarDefinition>, StoreError> {
        let mut calendars: HashMap<i64, CalendarDefinition> = HashMap::new();
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let listing = self.list_calendars(page).await?;
            for calendar in listing.items {
                calendars.insert(calendar.id.0, calendar.definition);
            }
            match listing.next_after {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        let rows =
            sqlx::query("SELECT id, calendar_id FROM departments WHERE organization_id = $1")
                .bind(self.organization.0)
                .fetch_all(self.store.reader())
                .await?;
        let mut result = HashMap::new();
        for row in rows {
            let department: i64 = row.try_get("id")?;
            let calendar = row
                .try_get::<Option<i64>, _>("calendar_id")?
                .or(organization.default_calendar_id.map(|calendar| calendar.0))
                .and_then(|calendar| calendars.get(&calendar));
            if let Some(calendar) = calendar {
                result.insert(DepartmentId(department), calendar.clone());
            }
        }
        Ok(result)
    }
}

/// A hand-off of a request to another provider department.
#[derive(Debug, Clone)]
pub struct Handoff {
    pub by: PersonId,
    pub to: DepartmentId,
    /// The new department's service it falls under, if any.
    pub service: Option<i64>,
    /// The new department's targets (of that service, or for requests without one).
    pub targets: Targets,
    pub note: String,
    pub at: Timestamp,
}

/// Which side of a request proposed a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentSide {
    Provider,
    Requester,
}

impl CommitmentSide {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentSide::Provider => "provider",
            CommitmentSide::Requester => "requester",
        }
    }
}

/// A proposed or accepted delivery date.
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    pub id: i64,
    pub proposed_by_side: CommitmentSide,
    pub proposed_by: PersonId,
    pub due_at: Timestamp,
    pub note: String,
    /// `proposed`, `accepted` or `superseded`.
    pub status: String,
    pub decided_by: Option<PersonId>,
    pub decided_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

fn commitment_from_row(row: &AnyRow) -> Result<Commitment, StoreError> {
    let side: String = row.try_get("proposed_by_side")?;
    Ok(Commitment {
        id: row.try_get("id")?,
        proposed_by_side: match side.as_str() {
            "provider" => CommitmentSide::Provider,
            "requester" => CommitmentSide::Requester,
            other => return Err(corrupt("commitment side", other)),
        },
        proposed_by: PersonId(row.try_get("proposed_by")?),
        due_at: from_db(&row.try_get::<String, _>("due_at")?)?,
        note: row.try_get("note")?,
        status: row.try_get("status")?,
        decided_by: row.try_get::<Option<i64>, _>("decided_by")?.map(PersonId),
        decided_at: instant(row, "decided_at")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
    })
}

const COMMITMENT_COLUMNS: &str =
    "id, proposed_by_side, proposed_by, due_at, note, status, decided_by, decided_at, created_at";

fn still_open(request: &Request, what: &str) -> Result<(), StoreError> {
    if request.status.is_open() {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            field: None,
            message: format!("a {} request cannot be {what}", request.status.as_str()),
        })
    }
}

async fn bump(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
    stamp: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE requests SET version = version + 1, updated_at = $1 WHERE organization_id = $2 AND id = $3")
        .bind(stamp.to_owned())
        .bind(organization.0)
        .bind(id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

impl Scoped<'_> {
    /// Proposes a delivery date; an earlier open proposal is superseded (a
    /// proposal from the other side is a counter-proposal).
    pub async fn propose_commitment(
        &self,
        id: i64,
        side: CommitmentSide,
        by: PersonId,
        due_at: Timestamp,
        note: String,
        at: Timestamp,
    ) -> Result<Commitment, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "requests", organization, id).await?;
                    let request = fetch(transaction, organization, id).await?;
                    still_open(&request, "given a commitment")?;
                    if due_at <= at {
                        return Err(StoreError::invalid("due_at", "must be in the future"));
                    }
                    let stamp = to_db(at);
                    sqlx::query(
                        "UPDATE request_commitments SET status = 'superseded' WHERE organization_id = $1 AND request_id = $2 AND status = 'proposed'",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    let row = sqlx::query(&format!(
                        "INSERT INTO request_commitments (organization_id, request_id, proposed_by_side, proposed_by, due_at, note, status, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'proposed', $7) RETURNING {COMMITMENT_COLUMNS}"
                    ))
                    .bind(organization.0)
                    .bind(id)
                    .bind(side.as_str())
                    .bind(by.0)
                    .bind(to_db(due_at))
                    .bind(note.clone())
                    .bind(stamp.clone())
                    .fetch_one(&mut **transaction)
                    .await?;
                    let commitment = commitment_from_row(&row)?;
                    let kind = match side {
                        CommitmentSide::Provider => "commitment_proposed",
                        CommitmentSide::Requester => "commitment_countered",
                    };
                    let after = serde_json::json!({ "commitment_id": commitment.id, "due_at": due_at.to_string() });
                    record_event(transaction, organization, NewEvent { request: id, actor: Some(by), kind, before: serde_json::json!({}), after, note: &note, at: &stamp }).await?;
                    bump(transaction, organization, id, &stamp).await?;
                    let other_side = match side {
                        CommitmentSide::Provider => vec![request.requester_person_id],
                        CommitmentSide::Requester => match request.assignee_person_id {
                            Some(assignee) => vec![assignee],
                            None => crate::notifications::leads_of(transaction, organization, request.provider_department_id.0).await?,
                        },
                    };
                    let body = format!("Proposed date: {due_at}. {note}");
                    tell(transaction, organization, &request, Telling { recipients: &other_side, actor: Some(by), kind: "commitment_proposed", body }, &stamp).await?;
                    Ok(commitment)
                })
            })
            .await
    }

    /// Accepts the open proposal; only the side that did not propose it may.
    pub async fn accept_commitment(
        &self,
        id: i64,
        commitment: i64,
        side: CommitmentSide,
        by: PersonId,
        at: Timestamp,
    ) -> Result<Commitment, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "requests", organization, id).await?;
                    let request = fetch(transaction, organization, id).await?;
                    still_open(&request, "given a commitment")?;
                    let row = sqlx::query(&format!(
                        "SELECT {COMMITMENT_COLUMNS} FROM request_commitments WHERE organization_id = $1 AND request_id = $2 AND id = $3"
                    ))
                    .bind(organization.0)
                    .bind(id)
                    .bind(commitment)
                    .fetch_optional(&mut **transaction)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    let current = commitment_from_row(&row)?;
                    if current.status != "proposed" {
                        return Err(StoreError::Conflict {
                            field: None,
                            message: format!("this commitment is {}; only an open proposal can be accepted", current.status),
                        });
                    }
                    if current.proposed_by_side == side {
                        return Err(StoreError::Forbidden(
                            "a commitment is accepted by the other side than the one that proposed it".to_owned(),
                        ));
                    }
                    let stamp = to_db(at);
                    let row = sqlx::query(&format!(
                        "UPDATE request_commitments SET status = 'accepted', decided_by = $1, decided_at = $2 \
                         WHERE organization_id = $3 AND id = $4 RETURNING {COMMITMENT_COLUMNS}"
                    ))
                    .bind(by.0)
                    .bind(stamp.clone())
                    .bind(organization.0)
                    .bind(commitment)
                    .fetch_one(&mut **transaction)
                    .await?;
                    sqlx::query("UPDATE requests SET committed_due_at = $1 WHERE organization_id = $2 AND id = $3")
                        .bind(to_db(current.due_at))
                        .bind(organization.0)
                        .bind(id)
                        .execute(&mut **transaction)
                        .await?;
                    let before = serde_json::json!({ "committed_due_at": option_text(request.committed_due_at) });
                    let after = serde_json::json!({ "committed_due_at": current.due_at.to_string(), "commitment_id": commitment });
                    record_event(transaction, organization, NewEvent { request: id, actor: Some(by), kind: "commitment_accepted", before, after, note: "", at: &stamp }).await?;
                    bump(transaction, organization, id, &stamp).await?;
                    let request = record_outcomes(transaction, organization, id, &context, &request).await?;
                    let body = format!("Committed date: {}.", current.due_at);
                    tell(transaction, organization, &request, Telling { recipients: &[current.proposed_by], actor: Some(by), kind: "commitment_accepted", body }, &stamp).await?;
                    commitment_from_row(&row)
                })
            })
            .await
    }

    pub async fn commitments(&self, id: i64) -> Result<Vec<Commitment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COMMITMENT_COLUMNS} FROM request_commitments WHERE organization_id = $1 AND request_id = $2 ORDER BY id"
        ))
        .bind(self.organization.0)
        .bind(id)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(commitment_from_row).collect()
    }

    /// Defers a request because an external customer must come first. The
    /// clock does not pause: internal customers still count.
    pub async fn defer_request(
        &self,
        id: i64,
        by: PersonId,
        reason: String,
        new_eta: Timestamp,
        at: Timestamp,
    ) -> Result<Request, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "requests", organization, id).await?;
                    let request = fetch(transaction, organization, id).await?;
                    still_open(&request, "deferred")?;
                    if new_eta <= at {
                        return Err(StoreError::invalid("new_eta", "must be in the future"));
                    }
                    let stamp = to_db(at);
                    sqlx::query("UPDATE requests SET deferred_until = $1, deferral_reason = $2 WHERE organization_id = $3 AND id = $4")
                        .bind(to_db(new_eta))
                        .bind(reason.clone())
                        .bind(organization.0)
                        .bind(id)
                        .execute(&mut **transaction)
                        .await?;
                    let before = serde_json::json!({ "deferred_until": option_text(request.deferred_until) });
                    let after = serde_json::json!({ "deferred_until": new_eta.to_string() });
                    record_event(transaction, organization, NewEvent { request: id, actor: Some(by), kind: "deferred", before, after, note: &reason, at: &stamp }).await?;
                    bump(transaction, organization, id, &stamp).await?;
                    let body = format!("New estimate: {new_eta}. Reason: {reason}");
                    tell(transaction, organization, &request, Telling { recipients: &[request.requester_person_id], actor: Some(by), kind: "deferred", body }, &stamp).await?;
                    fetch(transaction, organization, id).await
                })
            })
            .await
    }

    /// Hands a request to another provider department. The time the first
    /// department held it stays on its own clock; the new department's clock
    /// starts now, on its calendar, with the targets given.
    pub async fn transfer_request(&self, id: i64, handoff: Handoff) -> Result<Request, StoreError> {
        let Handoff {
            by,
            to,
            service,
            targets,
            note,
            at,
        } = handoff;
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "requests", organization, id).await?;
                    let request = fetch(transaction, organization, id).await?;
                    still_open(&request, "transferred")?;
                    ensure_exists(transaction, "departments", organization, to.0, "department_id").await?;
                    if to == request.provider_department_id {
                        return Err(StoreError::invalid("department_id", "the request is already with this department"));
                    }
                    let stamp = to_db(at);
                    let paused = request.status == Status::WaitingOnRequester;
                    end_period(transaction, organization, id, &stamp).await?;
                    start_period(transaction, organization, id, to, paused, &stamp).await?;
                    sqlx::query(
                        "UPDATE requests SET provider_department_id = $1, service_id = $2, assignee_person_id = NULL, \
                         first_response_target_minutes = $3, fulfilment_target_minutes = $4, first_response_at = NULL, \
                         committed_due_at = NULL WHERE organization_id = $5 AND id = $6",
                    )
                    .bind(to.0)
                    .bind(service)
                    .bind(targets.first_response_minutes)
                    .bind(targets.fulfilment_minutes)
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    let before = serde_json::json!({ "provider_department_id": request.provider_department_id.0, "service_id": request.service_id });
                    let after = serde_json::json!({ "provider_department_id": to.0, "service_id": service });
                    record_event(transaction, organization, NewEvent { request: id, actor: Some(by), kind: "transferred", before, after, note: &note, at: &stamp }).await?;
                    bump(transaction, organization, id, &stamp).await?;
                    record_outcomes(transaction, organization, id, &context, &request).await
                })
            })
            .await
    }

    /// The sub-requests split off a request.
    pub async fn sub_request_ids(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM requests WHERE organization_id = $1 AND parent_request_id = $2 ORDER BY id")
            .bind(self.organization.0)
            .bind(id)
            .fetch_all(self.store.reader())
            .await?)
    }
}

/// One escalation the worker found due: `notify` is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub request: i64,
    pub clock: ClockKind,
    pub level: EscalationLevel,
    pub notify: Option<PersonId>,
}

/// Which clock an escalation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockKind {
    FirstResponse,
    Fulfilment,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first_response",
            ClockKind::Fulfilment => "fulfilment",
        }
    }
}

/// How far a clock has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationLevel {
    AtRisk,
    Breached,
}

impl EscalationLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationLevel::AtRisk => "at_risk",
            EscalationLevel::Breached => "breached",
        }
    }
}

impl Scoped<'_> {
    /// Up to `limit` open requests of the organization with ids above
    /// `after`, in id order, leaving out those the sweep has nothing more to
    /// escalate for: their fulfilment breach is recorded, and their first
    /// response came or its breach is recorded too. The clock worker's sweep
    /// reads them a page at a time, so its memory does not grow with the
    /// backlog, and its work follows the clocks still running rather than
    /// every request left open for months.
    pub async fn unsettled_requests_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Request>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id > $2 \
             AND r.status NOT IN ('resolved', 'closed', 'cancelled') \
             AND NOT (EXISTS (SELECT 1 FROM request_escalations e WHERE e.request_id = r.id \
                              AND e.clock = 'fulfilment' AND e.level = 'breached') \
                      AND (r.first_response_at IS NOT NULL \
                           OR EXISTS (SELECT 1 FROM request_escalations e WHERE e.request_id = r.id \
                                      AND e.clock = 'first_response' AND e.level = 'breached'))) \
             ORDER BY r.id LIMIT $3"
        ))
        .bind(self.organization.0)
        .bind(after)
        .bind(limit)
        .fetch_all(self.store.reader())
        .await?;
        let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut items).await?;
        Ok(items)
    }

    /// The escalations already recorded for requests with ids in
    /// `[first, last]` (a page of the sweep), so the sweep writes only what
    /// is new: a write that changes nothing still costs a commit.
    pub async fn recorded_escalations_between(
        &self,
        first: i64,
        last: i64,
    ) -> Result<HashSet<(i64, ClockKind, EscalationLevel)>, StoreError> {
        let rows = sqlx::query(
            "SELECT request_id, clock, level FROM request_escalations \
             WHERE organization_id = $1 AND request_id >= $2 AND request_id <= $3",
        )
        .bind(self.organization.0)
        .bind(first)
        .bind(last)
        .fetch_all(self.store.reader())
        .await?;
        let mut recorded = HashSet::with_capacity(rows.len());
        for row in rows {
            let clock = match row.try_get::<String, _>("clock")?.as_str() {
                "first_response" => ClockKind::FirstResponse,
                "fulfilment" => ClockKind::Fulfilment,
                _ => continue,
            };
            let level = match row.try_get::<String, _>("level")?.as_str() {
                "at_risk" => EscalationLevel::AtRisk,
                "breached" => EscalationLevel::Breached,
                _ => continue,
            };
            recorded.insert((row.try_get::<i64, _>("request_id")?, clock, level));
        }
        Ok(recorded)
    }

    /// Records each escalation unless it was recorded before, all in one
    /// transaction (a sweep after an outage can find thousands); returns how
    /// many this call recorded. Each insert goes with its timeline event, and
    /// the primary key lets exactly one of any racing workers win.
    pub async fn escalate(
        &self,
        escalations: Vec<Escalation>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let organization = self.organization;
        self.store
            .background_write(move |transaction| {
                Box::pin(async move {
                    let stamp = to_db(at);
                    let mut recorded = 0;
                    let mut rollup = RollupChanges::default();
                    for Escalation { request, clock, level, notify } in escalations {
                        let inserted = sqlx::query(
                            "INSERT INTO request_escalations (organization_id, request_id, clock, level, notify_person_id, escalated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        )
                        .bind(organization.0)
                        .bind(request)
                        .bind(clock.as_str())
                        .bind(level.as_str())
                        .bind(notify.map(|person| person.0))
                        .bind(stamp.clone())
                        .execute(&mut **transaction)
                        .await?
                        .rows_affected();
                        if inserted == 0 {
                            continue;
                        }
                        recorded += 1;
                        let after = serde_json::json!({ "clock": clock.as_str(), "level": level.as_str(), "notify_person_id": notify.map(|person| person.0) });
                        record_event(transaction, organization, NewEvent { request, actor: None, kind: "escalated", before: serde_json::json!({}), after, note: "", at: &stamp }).await?;
                        let breaches_first_response = (clock, level) == (ClockKind::FirstResponse, EscalationLevel::Breached);
                        if !breaches_first_response && notify.is_none() {
                            continue;
                        }
                        let current = fetch(transaction, organization, request).await?;
                        // From now on the first response counts as a miss in
                        // health, unless it was already judged.
                        if breaches_first_response && current.first_response_met.is_none() {
                            rollup.replace_request(&current.outcomes(false), &current.outcomes(true));
                        }
                        if let Some(person) = notify {
                            let kind = match level {
                                EscalationLevel::AtRisk => "clock_at_risk",
                                EscalationLevel::Breached => "clock_breached",
                            };
                            let clock_name = match clock {
                                ClockKind::FirstResponse => "first response",
                                ClockKind::Fulfilment => "fulfilment",
                            };
                            let body = format!("The {clock_name} clock is {}.", level.as_str().replace('_', " "));
                            tell(transaction, organization, &current, Telling { recipients: &[person], actor: None, kind, body }, &stamp).await?;
                        }
                    }
                    crate::health_rollup::apply(transaction, organization, &rollup).await?;
                    Ok(recorded)
                })
            })
            .await
    }
}
