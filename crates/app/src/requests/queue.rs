//! A provider department's open requests in the order to work them: waiting
//! customers first, then affected ones; within that, least remaining
//! fulfilment time (breached first), then priority, then age. The order
//! itself is the domain's (`queue_page`); this reads what it needs.

use crate::{AppError, Caller, policy};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::ValidationErrors;
use roundtable_domain::clocks::{QueueEntry, queue_page};
use roundtable_domain::ids::DepartmentId;
use roundtable_store::requests::{ClockContext, Request};
use std::sync::Arc;

/// How many requests a page of a queue holds unless asked otherwise.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most a page of a queue holds (pages that count the whole queue ask for this).
pub const MAX_LIMIT: u32 = 500;

/// A page of a queue, with how many requests are open in all and the
/// calendars their clocks were read on.
#[derive(Debug)]
pub struct QueuePage {
    pub total: usize,
    pub requests: Vec<Request>,
    pub calendars: Arc<ClockContext>,
    pub now: Timestamp,
}

/// `limit` requests of the department's queue from `offset` (defaults: the
/// first 50). A queue is for its own department, executives and administrators.
#[tracing::instrument(skip(caller), fields(person = caller.actor.person_id.0))]
pub async fn page(
    caller: &Caller<'_>,
    department: DepartmentId,
    offset: Option<u32>,
    limit: Option<u32>,
) -> Result<QueuePage, AppError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(
            ValidationErrors::single("limit", format!("must be from 1 to {MAX_LIMIT}")).into(),
        );
    }
    let offset = offset.unwrap_or(0) as usize;
    let department = caller.scoped.department(department).await?;
    if !policy::sees_everything(caller.actor) && caller.actor.department_id != Some(department.id) {
        return Err(AppError::forbidden(
            "A queue is for its own department (and executives and administrators).",
        ));
    }
    let calendars = caller.scoped.clock_context().await?;
    let now = Timestamp::now();
    // The order needs only each request's fulfilment clock; the callers
    // read both clocks for the page alone.
    let open = caller.scoped.open_requests_of(department.id).await?;
    let entries: Vec<(QueueEntry, &Request)> = open
        .iter()
        .map(|request| {
            let entry = QueueEntry {
                id: request.id,
                impact: request.external_impact,
                remaining_fulfilment: request
                    .fulfilment_remaining(&calendars, now)
                    .unwrap_or(SignedDuration::MAX),
                priority: request.priority,
                created_at: request.created_at,
            };
            (entry, request)
        })
        .collect();
    let total = entries.len();
    let requests = queue_page(entries, offset, limit as usize)
        .into_iter()
        .cloned()
        .collect();
    Ok(QueuePage {
        total,
        requests,
        calendars,
        now,
    })
}
