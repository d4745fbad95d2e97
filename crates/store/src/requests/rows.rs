//! A request row and its periods as read.

use super::records::{Period, Request};
use crate::time::{instant, optional_instant};
use crate::{Scoped, StoreError, WriteTransaction};
use futures::future::BoxFuture;
use roundtable_domain::clocks::ExternalImpact;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::requests::{InputQuality, Status};
use roundtable_domain::services::{Priority, Targets};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

pub(crate) const COLUMNS: &str = "r.id, r.service_id, r.provider_department_id, \
    r.requester_person_id, p.department_id AS requester_department_id, r.assignee_person_id, \
    r.title, r.description, r.intake_values, r.priority, r.status, r.external_impact, \
    r.external_reference, r.segment_id, r.parent_request_id, \
    r.first_response_target_minutes, r.fulfilment_target_minutes, r.first_response_at, \
    r.resolved_at, r.closed_at, r.input_quality, r.input_quality_note, r.committed_due_at, \
    r.deferred_until, r.deferral_reason, r.consumer_department_id, r.first_response_met, \
    r.delivered_on_time, r.version, r.created_at, r.updated_at";

pub(crate) const FROM: &str = "requests r JOIN people p ON p.organization_id = r.organization_id \
    AND p.id = r.requester_person_id";

pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
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
        external_impact: {
            let impact: String = row.try_get("external_impact")?;
            ExternalImpact::parse(&impact).map_err(|_| corrupt("external_impact", &impact))?
        },
        external_reference: row.try_get("external_reference")?,
        segment_id: row.try_get("segment_id")?,
        parent_request_id: row.try_get("parent_request_id")?,
        targets: Targets {
            first_response_minutes: row.try_get("first_response_target_minutes")?,
            fulfilment_minutes: row.try_get("fulfilment_target_minutes")?,
        },
        first_response_at: optional_instant(row, "first_response_at")?,
        resolved_at: optional_instant(row, "resolved_at")?,
        closed_at: optional_instant(row, "closed_at")?,
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
        committed_due_at: optional_instant(row, "committed_due_at")?,
        deferred_until: optional_instant(row, "deferred_until")?,
        deferral_reason: row.try_get("deferral_reason")?,
        periods: Vec::new(),
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
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
                started_at: instant(&row, "started_at")?,
                ended_at: optional_instant(&row, "ended_at")?,
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
    let row = crate::rows::one_where(
        &mut **transaction,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id = $2"),
        organization,
        id,
    )
    .await?;
    let mut requests = [from_row(&row)?];
    attach_periods(transaction, organization, &mut requests).await?;
    let [request] = requests;
    Ok(request)
}

/// Locks the request for the rest of the write (see [`crate::lock_row`])
/// and reads it as it now stands.
pub(crate) async fn fetch_locked(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Request, StoreError> {
    crate::lock_row(transaction, "requests", organization, id).await?;
    fetch(transaction, organization, id).await
}

impl Scoped<'_> {
    /// [`Store::write`](crate::Store::write) of a change to request `id`:
    /// `operation` is given the request as it stands, locked for the rest of
    /// the write (see [`fetch_locked`]).
    pub(super) async fn write_request<T, F>(&self, id: i64, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(
                &'t mut WriteTransaction,
                Request,
            ) -> BoxFuture<'t, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let request = fetch_locked(transaction, organization, id).await?;
                    operation(transaction, request).await
                })
            })
            .await
    }
}

/// A value for an event's `before` or `after`: its text, or null.
pub(super) fn option_text<T: ToString>(value: Option<T>) -> serde_json::Value {
    value.map_or(serde_json::Value::Null, |value| {
        serde_json::Value::String(value.to_string())
    })
}
