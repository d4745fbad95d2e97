//! The timeline and the holding periods as written. Each table's INSERT is
//! spelled once: its head (table and columns) in a macro, so both backends'
//! create statements can be built from it at compile time, and one row's
//! values bound in one function, so the single-row helpers here and the
//! benchmark's multi-row loading (`bulk`) bind the same columns in the same
//! order.

use crate::{StoreError, WriteTransaction};
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// `INSERT INTO request_periods (…)`: six values a row, bound by [`bind_period`].
macro_rules! insert_period {
    () => {
        "INSERT INTO request_periods \
         (organization_id, request_id, department_id, started_at, ended_at, paused)"
    };
}

/// `INSERT INTO request_events (…)`: eight values a row, bound by [`bind_event`].
macro_rules! insert_event {
    () => {
        "INSERT INTO request_events \
         (organization_id, request_id, actor_person_id, kind, before, after, note, created_at)"
    };
}

pub(crate) use {insert_event, insert_period};

/// Values a row of `request_periods` binds.
pub(crate) const VALUES_PER_PERIOD: usize = 6;

/// Values a row of `request_events` binds.
pub(crate) const VALUES_PER_EVENT: usize = 8;

const INSERT_PERIOD: &str = concat!(insert_period!(), " VALUES ($1, $2, $3, $4, $5, $6)");

const INSERT_EVENT: &str = concat!(insert_event!(), " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");

const END_PERIOD: &str = "UPDATE request_periods SET ended_at = $1 \
    WHERE organization_id = $2 AND request_id = $3 AND ended_at IS NULL";

const BUMP: &str = "UPDATE requests SET version = version + 1, updated_at = $1 \
    WHERE organization_id = $2 AND id = $3";

type AnyQuery<'q> = Query<'q, sqlx::Any, AnyArguments<'q>>;

/// One holding period about to be written.
pub(crate) struct NewPeriod {
    pub(crate) request: i64,
    pub(crate) department: DepartmentId,
    pub(crate) started_at: String,
    pub(crate) ended_at: Option<String>,
    pub(crate) paused: bool,
}

/// Binds one row of [`insert_period!`].
pub(crate) fn bind_period<'q>(
    query: AnyQuery<'q>,
    organization: OrganizationId,
    period: NewPeriod,
) -> AnyQuery<'q> {
    query
        .bind(organization.0)
        .bind(period.request)
        .bind(period.department.0)
        .bind(period.started_at)
        .bind(period.ended_at)
        .bind(i64::from(period.paused))
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

impl<'a> NewEvent<'a> {
    /// `kind` happened to `request` at `at`, done by `actor` (`None`: the
    /// system), changing nothing recorded and with no note.
    pub(crate) fn new(request: i64, actor: Option<PersonId>, kind: &'a str, at: &'a str) -> Self {
        Self {
            request,
            actor,
            kind,
            before: serde_json::json!({}),
            after: serde_json::json!({}),
            note: "",
            at,
        }
    }

    /// The same event, changing what is recorded from `before` to `after`.
    pub(crate) fn changing(self, before: serde_json::Value, after: serde_json::Value) -> Self {
        Self {
            before,
            after,
            ..self
        }
    }

    /// The same event, with the note its author gave.
    pub(crate) fn noting(self, note: &'a str) -> Self {
        Self { note, ..self }
    }
}

/// Binds one row of [`insert_event!`].
pub(crate) fn bind_event<'q>(
    query: AnyQuery<'q>,
    organization: OrganizationId,
    event: NewEvent<'_>,
) -> AnyQuery<'q> {
    query
        .bind(organization.0)
        .bind(event.request)
        .bind(event.actor.map(|person| person.0))
        .bind(event.kind.to_owned())
        .bind(event.before.to_string())
        .bind(event.after.to_string())
        .bind(event.note.to_owned())
        .bind(event.at.to_owned())
}

pub(crate) async fn record_event(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    event: NewEvent<'_>,
) -> Result<(), StoreError> {
    bind_event(sqlx::query(INSERT_EVENT), organization, event)
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
    sqlx::query(END_PERIOD)
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
    let period = NewPeriod {
        request,
        department,
        started_at: at.to_owned(),
        ended_at: None,
        paused,
    };
    bind_period(sqlx::query(INSERT_PERIOD), organization, period)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// A new version of the request, changed at `stamp`.
pub(super) async fn bump(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
    stamp: &str,
) -> Result<(), StoreError> {
    sqlx::query(BUMP)
        .bind(stamp.to_owned())
        .bind(organization.0)
        .bind(id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}
