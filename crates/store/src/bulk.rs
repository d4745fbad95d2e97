//! Bulk loading of request history, for the benchmark harness: a large
//! organization's years of requests written as multi-row INSERTs in a few big
//! transactions, instead of a million trips through the request workflow.
//!
//! The rows are what the workflow would have left behind for a request that
//! was raised, answered and resolved (or is still open): the request with its
//! fixed clock outcomes, one holding period at the provider, its timeline
//! events, and optionally an answered satisfaction check. The caller decides
//! the history; nothing here judges a clock. The server never calls this.

use crate::health_rollup::{RequestOutcomes, RollupChanges};
use crate::requests::timeline::{
    NewEvent, NewPeriod, VALUES_PER_EVENT, VALUES_PER_PERIOD, bind_event, bind_period,
    insert_event, insert_period,
};
use crate::time::to_db;
use crate::{Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::checks::CheckAnswer;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::requests::Status;
use roundtable_domain::services::{Priority, Targets};
use sqlx::Row;

/// One request of the past, as it ended up.
#[derive(Debug, Clone)]
pub struct HistoricRequest {
    pub service_id: i64,
    pub provider_department_id: DepartmentId,
    pub consumer_department_id: DepartmentId,
    pub requester_person_id: PersonId,
    pub assignee_person_id: Option<PersonId>,
    pub title: String,
    pub priority: Priority,
    /// `none`, `customer_affected` or `customer_waiting`.
    pub external_impact: &'static str,
    pub targets: Targets,
    pub status: Status,
    pub created_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub first_response_met: Option<bool>,
    pub delivered_on_time: Option<bool>,
    pub check: Option<HistoricCheck>,
}

/// The satisfaction check a resolved request's requester answered.
#[derive(Debug, Clone)]
pub struct HistoricCheck {
    pub answer: CheckAnswer,
    pub rating: Option<i64>,
    pub answered_at: Timestamp,
}

/// Values a request binds in its multi-row INSERT; a chunk of requests is
/// as many as one such statement takes (see `rows_per_statement`), followed
/// by their periods, events and checks.
const VALUES_PER_REQUEST: usize = 19;

/// `($1, $2, …), ($n+1, …)` for `rows` rows of `columns` values.
fn placeholders(rows: usize, columns: usize) -> String {
    let mut text = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        if row > 0 {
            text.push_str(", ");
        }
        text.push('(');
        for column in 0..columns {
            if column > 0 {
                text.push_str(", ");
            }
            text.push('$');
            text.push_str(&(row * columns + column + 1).to_string());
        }
        text.push(')');
    }
    text
}

fn flag(value: Option<bool>) -> Option<i64> {
    value.map(i64::from)
}

impl Scoped<'_> {
    /// Writes `requests` with their periods, events and checks in one
    /// transaction; returns the new request ids in the order given.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn bulk_load_requests(
        &self,
        requests: Vec<HistoricRequest>,
    ) -> Result<Vec<i64>, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let mut ids = Vec::with_capacity(requests.len());
                    for chunk in
                        requests.chunks(crate::rows_per_statement(transaction, VALUES_PER_REQUEST))
                    {
                        let chunk_ids = insert_requests(transaction, organization, chunk).await?;
                        insert_periods(transaction, organization, chunk, &chunk_ids).await?;
                        insert_events(transaction, organization, chunk, &chunk_ids).await?;
                        insert_checks(transaction, organization, chunk, &chunk_ids).await?;
                        crate::health_rollup::apply(transaction, organization, &rollup_of(chunk))
                            .await?;
                        ids.extend(chunk_ids);
                    }
                    Ok(ids)
                })
            })
            .await
    }
}

/// What the chunk adds to the health rollup, as the workflow would have
/// added it request by request.
fn rollup_of(chunk: &[HistoricRequest]) -> RollupChanges {
    let mut rollup = RollupChanges::default();
    for request in chunk {
        rollup.add_request(&RequestOutcomes {
            provider: request.provider_department_id,
            consumer: Some(request.consumer_department_id),
            created_at: request.created_at,
            resolved_at: request.resolved_at,
            first_response_met: request.first_response_met,
            delivered_on_time: request.delivered_on_time,
            input_quality: None,
            first_response_breached: false,
        });
        if let Some(check) = &request.check {
            rollup.add_check(
                request.provider_department_id,
                Some(request.consumer_department_id),
                check.answered_at,
                check.answer,
            );
        }
    }
    rollup
}

async fn insert_requests(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    chunk: &[HistoricRequest],
) -> Result<Vec<i64>, StoreError> {
    const COLUMNS: usize = VALUES_PER_REQUEST;
    let sql = format!(
        "INSERT INTO requests (organization_id, service_id, provider_department_id, \
            consumer_department_id, requester_person_id, assignee_person_id, title, \
            priority, status, external_impact, first_response_target_minutes, \
            fulfilment_target_minutes, first_response_at, resolved_at, closed_at, \
            first_response_met, delivered_on_time, created_at, updated_at) VALUES {} \
            RETURNING id",
        placeholders(chunk.len(), COLUMNS)
    );
    let mut query = sqlx::query(&sql);
    for request in chunk {
        let resolved_at = request.resolved_at.map(to_db);
        let closed_at = (request.status == Status::Closed)
            .then(|| resolved_at.clone())
            .flatten();
        let updated_at = resolved_at
            .clone()
            .or_else(|| request.first_response_at.map(to_db))
            .unwrap_or_else(|| to_db(request.created_at));
        query = query
            .bind(organization.0)
            .bind(request.service_id)
            .bind(request.provider_department_id.0)
            .bind(request.consumer_department_id.0)
            .bind(request.requester_person_id.0)
            .bind(request.assignee_person_id.map(|person| person.0))
            .bind(request.title.clone())
            .bind(request.priority.as_str())
            .bind(request.status.as_str())
            .bind(request.external_impact)
            .bind(request.targets.first_response_minutes)
            .bind(request.targets.fulfilment_minutes)
            .bind(request.first_response_at.map(to_db))
            .bind(resolved_at)
            .bind(closed_at)
            .bind(flag(request.first_response_met))
            .bind(flag(request.delivered_on_time))
            .bind(to_db(request.created_at))
            .bind(updated_at);
    }
    let rows = query.fetch_all(&mut **transaction).await?;
    let mut ids = rows
        .iter()
        .map(|row| row.try_get::<i64, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    // One statement takes increasing ids in the order of its VALUES rows;
    // RETURNING promises no order, so sort to line them up with the input.
    ids.sort_unstable();
    if ids.len() != chunk.len() {
        return Err(StoreError::Corrupt(format!(
            "inserted {} requests, got {} ids back",
            chunk.len(),
            ids.len()
        )));
    }
    Ok(ids)
}

async fn insert_periods(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    chunk: &[HistoricRequest],
    ids: &[i64],
) -> Result<(), StoreError> {
    let sql = format!(
        "{} VALUES {}",
        insert_period!(),
        placeholders(chunk.len(), VALUES_PER_PERIOD)
    );
    let mut query = sqlx::query(&sql);
    for (request, id) in chunk.iter().zip(ids) {
        let period = NewPeriod {
            request: *id,
            department: request.provider_department_id,
            started_at: to_db(request.created_at),
            ended_at: request.resolved_at.map(to_db),
            paused: false,
        };
        query = bind_period(query, organization, period);
    }
    query.execute(&mut **transaction).await?;
    Ok(())
}

/// The timeline: created, then the first response and the resolution when
/// they happened.
async fn insert_events(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    chunk: &[HistoricRequest],
    ids: &[i64],
) -> Result<(), StoreError> {
    struct Event {
        request: i64,
        actor: Option<PersonId>,
        kind: &'static str,
        before: serde_json::Value,
        after: serde_json::Value,
        at: String,
    }
    let mut events = Vec::with_capacity(chunk.len() * 3);
    for (request, id) in chunk.iter().zip(ids) {
        events.push(Event {
            request: *id,
            actor: Some(request.requester_person_id),
            kind: "created",
            before: serde_json::json!({}),
            after: serde_json::json!({
                "status": "new", "title": request.title, "priority": request.priority.as_str(),
                "provider_department_id": request.provider_department_id.0,
                "external_impact": request.external_impact,
            }),
            at: to_db(request.created_at),
        });
        let provider = request.assignee_person_id;
        if let Some(at) = request.first_response_at {
            events.push(Event {
                request: *id,
                actor: provider,
                kind: "status_changed",
                before: serde_json::json!({ "status": "new" }),
                after: serde_json::json!({ "status": "acknowledged" }),
                at: to_db(at),
            });
        }
        if let Some(at) = request.resolved_at {
            events.push(Event {
                request: *id,
                actor: provider,
                kind: "status_changed",
                before: serde_json::json!({ "status": "in_progress" }),
                after: serde_json::json!({ "status": "resolved" }),
                at: to_db(at),
            });
        }
    }
    for batch in events.chunks(crate::rows_per_statement(transaction, VALUES_PER_EVENT)) {
        let sql = format!(
            "{} VALUES {}",
            insert_event!(),
            placeholders(batch.len(), VALUES_PER_EVENT)
        );
        let mut query = sqlx::query(&sql);
        for event in batch {
            let event = NewEvent::new(event.request, event.actor, event.kind, &event.at)
                .changing(event.before.clone(), event.after.clone());
            query = bind_event(query, organization, event);
        }
        query.execute(&mut **transaction).await?;
    }
    Ok(())
}

async fn insert_checks(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    chunk: &[HistoricRequest],
    ids: &[i64],
) -> Result<(), StoreError> {
    let answered: Vec<(&HistoricRequest, i64, &HistoricCheck)> = chunk
        .iter()
        .zip(ids)
        .filter_map(|(request, id)| Some((request, *id, request.check.as_ref()?)))
        .collect();
    if answered.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO checks (organization_id, request_id, respondent_person_id, \
            provider_department_id, consumer_department_id, service_id, created_at, \
            expires_at, answered_at, answer, rating) VALUES {}",
        placeholders(answered.len(), 11)
    );
    let mut query = sqlx::query(&sql);
    for (request, id, check) in answered {
        let asked_at = request.resolved_at.unwrap_or(check.answered_at);
        let expires_at = asked_at
            .saturating_add(jiff::SignedDuration::from_hours(14 * 24))
            .unwrap_or(asked_at);
        query = query
            .bind(organization.0)
            .bind(id)
            .bind(request.requester_person_id.0)
            .bind(request.provider_department_id.0)
            .bind(request.consumer_department_id.0)
            .bind(request.service_id)
            .bind(to_db(asked_at))
            .bind(to_db(expires_at))
            .bind(to_db(check.answered_at))
            .bind(check.answer.as_str())
            .bind(check.rating);
    }
    query.execute(&mut **transaction).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_every_value_once_row_by_row() {
        assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(1, 1), "($1)");
    }
}
