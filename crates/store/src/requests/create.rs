//! Raising a request: one statement on PostgreSQL, one call on SQLite.

use super::records::{NewRequest, Period, Request};
use super::timeline::{insert_event, insert_period};
use crate::time::{from_db, to_db};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, OrganizationId};
use roundtable_domain::requests::Status;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Inserts a request (its consumer is the requester's department) and
/// returns what the database chose: the id, the consumer and the version.
/// Binds `$1`–`$15` (see [`bind_new_request`]). A macro, so that both
/// backends' create statements are built from it at compile time.
macro_rules! insert_request {
    () => {
        "INSERT INTO requests (organization_id, service_id, provider_department_id, \
         requester_person_id, title, description, intake_values, priority, status, \
         external_impact, external_reference, segment_id, first_response_target_minutes, \
         fulfilment_target_minutes, parent_request_id, created_at, updated_at, \
         consumer_department_id) \
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
    "), period AS (",
    insert_period!(),
    " SELECT $1, id, $3, $14, NULL, 0 FROM request), event AS (",
    insert_event!(),
    " SELECT $1, id, $4, 'created', '{}', $16, '', $14 FROM request) \
     SELECT id, consumer_department_id, version FROM request"
);

/// SQLite's create: the same three inserts as three statements in one
/// string, run in one call (SQLite has no inserts inside `WITH`). The period
/// takes the request's id from `last_insert_rowid()`, the event takes it
/// from the period. Atomic through the write's savepoint.
const CREATE_REQUEST_STATEMENTS_SQLITE: &str = concat!(
    insert_request!(),
    "; ",
    insert_period!(),
    " VALUES ($1, last_insert_rowid(), $3, $14, NULL, 0); ",
    insert_event!(),
    " SELECT $1, request_id, $4, 'created', '{}', $16, '', $14 \
     FROM request_periods WHERE id = last_insert_rowid()",
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
        .bind(new.external_impact.as_str())
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

impl Scoped<'_> {
    /// Raises a request; its clocks start now (at the provider's next opening).
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, service = ?new.service_id, provider = new.provider_department_id.0))]
    pub async fn create_request(
        &self,
        new: NewRequest,
        at: Timestamp,
    ) -> Result<Request, StoreError> {
        self.create_linked_request(new, None, at).await
    }

    /// Splits work off a request: a sub-request to another department, linked
    /// to its parent, with its own clock on its own provider's calendar.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, parent = parent, provider = new.provider_department_id.0))]
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
            "status": "new",
            "title": new.title.clone(),
            "priority": new.priority.as_str(),
            "provider_department_id": new.provider_department_id.0,
            "external_impact": new.external_impact.as_str(),
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
}
