//! What every noun does the same way with a row of a tenant table: read one
//! by id or a page in id order, lock it for a write, check its version,
//! check that a reference names one, delete it. Always within one
//! organization; "not found" is a row of another organization as much as no
//! row at all.

use crate::time::{now, to_db};
use crate::{PageRequest, StoreError, WriteTransaction};
use roundtable_domain::ids::{CalendarId, DepartmentId, OrganizationId, PersonId};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

/// The row of `table` with `id` in the organization, with `columns`;
/// [`StoreError::NotFound`] if there is none. On any executor: a reader, or
/// a write's transaction (`&mut **transaction`).
pub(crate) async fn one<'e, E>(
    executor: E,
    table: &str,
    columns: &str,
    organization: OrganizationId,
    id: i64,
) -> Result<AnyRow, StoreError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {columns} FROM {table} WHERE organization_id = $1 AND id = $2");
    one_where(executor, &sql, organization, id).await
}

/// The row `sql` selects by the organization (`$1`) and an id (`$2`), for
/// reads that join or name their columns by alias;
/// [`StoreError::NotFound`] if there is none.
pub(crate) async fn one_where<'e, E>(
    executor: E,
    sql: &str,
    organization: OrganizationId,
    id: i64,
) -> Result<AnyRow, StoreError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query(sql)
        .bind(organization.0)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A page of `table`'s rows in the organization, in id order after the
/// page's cursor, one more than the page holds (see
/// [`PageRequest::into_listing`]).
pub(crate) async fn page<'e, E>(
    executor: E,
    table: &str,
    columns: &str,
    organization: OrganizationId,
    page: PageRequest,
) -> Result<Vec<AnyRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE organization_id = $1 AND id > $2 \
         ORDER BY id LIMIT $3"
    );
    Ok(sqlx::query(&sql)
        .bind(organization.0)
        .bind(page.after_id())
        .bind(page.fetch_limit())
        .fetch_all(executor)
        .await?)
}

/// Deletes one row of a tenant table; a foreign-key refusal becomes
/// [`StoreError::InUse`] with `in_use`, a message that says what to do instead.
pub(crate) async fn delete_row(
    transaction: &mut WriteTransaction,
    table: &'static str,
    organization: OrganizationId,
    id: i64,
    in_use: &str,
) -> Result<(), StoreError> {
    let deleted = sqlx::query(&format!(
        "DELETE FROM {table} WHERE organization_id = $1 AND id = $2"
    ))
    .bind(organization.0)
    .bind(id)
    .execute(&mut **transaction)
    .await
    .map_err(|error| match StoreError::from(error) {
        StoreError::InUse(_) => StoreError::InUse(in_use.to_owned()),
        other => other,
    })?;
    // Nothing deleted: there is no such row in this organization.
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The values statements bind the same way everywhere.
pub(crate) trait BindCommon {
    /// Binds the current time, then the organization and the id of one row:
    /// the last three placeholders of a change stamped now (`… = $n WHERE
    /// organization_id = $n+1 AND id = $n+2`).
    fn bind_now_and_row(self, organization: OrganizationId, id: i64) -> Self;

    /// Binds where a page of a list newest first starts and how many rows
    /// to fetch: the last two placeholders (`… AND id < $n ORDER BY id DESC
    /// LIMIT $n+1`).
    fn bind_newest_first(self, page: PageRequest) -> Self;
}

impl<'q> BindCommon for Query<'q, Any, AnyArguments<'q>> {
    fn bind_now_and_row(self, organization: OrganizationId, id: i64) -> Self {
        self.bind(to_db(now())).bind(organization.0).bind(id)
    }

    fn bind_newest_first(self, page: PageRequest) -> Self {
        self.bind(page.before_id()).bind(page.fetch_limit())
    }
}

/// Locks a row for the rest of the write, so the reads that follow see the
/// latest committed state and no concurrent write can slip in between the
/// version check and the change. (PostgreSQL takes a row lock; on SQLite the
/// write transaction already holds the database's write lock.)
pub(crate) async fn lock_row(
    transaction: &mut WriteTransaction,
    table: &'static str,
    organization: OrganizationId,
    id: i64,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE {table} SET version = version WHERE organization_id = $1 AND id = $2"
    ))
    .bind(organization.0)
    .bind(id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Locks the record with `id` for the rest of the write (see [`lock_row`])
/// and reads it; [`StoreError::NotFound`] if there is none, and
/// [`StoreError::VersionMismatch`] if `expected` is not its version.
pub(crate) async fn locked<R: Record>(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
    expected: Option<i64>,
) -> Result<R, StoreError> {
    lock_row(transaction, R::TABLE, organization, id).await?;
    let row = one(&mut **transaction, R::TABLE, R::COLUMNS, organization, id).await?;
    let record = R::from_row(&row)?;
    check_version(row.try_get("version")?, expected)?;
    Ok(record)
}

/// Deletes the record with `id` at the `expected` version (see [`locked`]
/// and [`delete_row`]) and returns it as it was.
pub(crate) async fn locked_delete<R: Record>(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
    expected: Option<i64>,
    in_use: &str,
) -> Result<R, StoreError> {
    let current = locked::<R>(transaction, organization, id, expected).await?;
    delete_row(transaction, R::TABLE, organization, id, in_use).await?;
    Ok(current)
}

/// Refuses a change based on a stale version (optimistic concurrency).
pub(crate) fn check_version(current: i64, expected: Option<i64>) -> Result<(), StoreError> {
    match expected {
        Some(expected) if expected != current => Err(StoreError::VersionMismatch { current }),
        _ => Ok(()),
    }
}

/// Checks, inside a write, that `id` names a row of `table` in the organization;
/// otherwise the input is invalid at `field`. Used before inserting references so
/// the error names the field instead of a bare foreign-key failure. An
/// optional reference (`Option<i64>`) that is `None` needs no check.
pub(crate) async fn ensure_exists(
    transaction: &mut WriteTransaction,
    table: &'static str,
    organization: OrganizationId,
    id: impl Into<Option<i64>>,
    field: &str,
) -> Result<(), StoreError> {
    match id.into() {
        Some(id) => ensure_exists_in(&mut **transaction, table, organization, id, field).await,
        None => Ok(()),
    }
}

/// An id of a tenant table's row by its type, or an optional one, so that a
/// reference is checked by the id alone (see [`ensure_reference`]).
pub(crate) trait Reference {
    const TABLE: &'static str;
    fn id(self) -> Option<i64>;
}

macro_rules! reference {
    ($($type:ty => $table:literal),* $(,)?) => {$(
        impl Reference for $type {
            const TABLE: &'static str = $table;
            fn id(self) -> Option<i64> {
                Some(self.0)
            }
        }

        impl Reference for Option<$type> {
            const TABLE: &'static str = $table;
            fn id(self) -> Option<i64> {
                self.map(|id| id.0)
            }
        }
    )*};
}

reference!(PersonId => "people", DepartmentId => "departments", CalendarId => "calendars");

/// [`ensure_exists`] for a typed id (`None` needs no check).
pub(crate) async fn ensure_reference<I: Reference>(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: I,
    field: &str,
) -> Result<(), StoreError> {
    ensure_exists(transaction, I::TABLE, organization, id.id(), field).await
}

/// [`ensure_exists`] on any connection: a write checks on a reader before it
/// queues for the single writer, so the writer's time goes to writing (a
/// record deleted in between still fails the write on its foreign key).
pub(crate) async fn ensure_exists_in<'e, E>(
    executor: E,
    table: &'static str,
    organization: OrganizationId,
    id: i64,
    field: &str,
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM {table} WHERE organization_id = $1 AND id = $2"
    ))
    .bind(organization.0)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::invalid(field, format!("no such record: {id}"))),
    }
}

/// A noun read whole from one row of its table (its columns named in
/// `COLUMNS`), so that reading one by id and reading a page are written once.
pub(crate) trait Record: Sized {
    const TABLE: &'static str;
    const COLUMNS: &'static str;
    fn from_row(row: &AnyRow) -> Result<Self, StoreError>;
}

/// Makes a type a [`Record`] of `$table`, read by `$from_row`:
/// `record!(Goal, "goals", GOAL_COLUMNS, goal_from_row);`.
macro_rules! record {
    ($type:ty, $table:literal, $columns:expr, $from_row:path) => {
        impl crate::rows::Record for $type {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static str = $columns;

            fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, crate::StoreError> {
                $from_row(row)
            }
        }
    };
}

pub(crate) use record;

/// The record with `id` in the organization; [`StoreError::NotFound`] if
/// there is none.
pub(crate) async fn get<'e, R, E>(
    executor: E,
    organization: OrganizationId,
    id: i64,
) -> Result<R, StoreError>
where
    R: Record,
    E: sqlx::Executor<'e, Database = Any>,
{
    R::from_row(&one(executor, R::TABLE, R::COLUMNS, organization, id).await?)
}

/// A page of records in id order (one more than the page holds, see
/// [`PageRequest::into_listing`]).
pub(crate) async fn list<'e, R, E>(
    executor: E,
    organization: OrganizationId,
    request: PageRequest,
) -> Result<Vec<R>, StoreError>
where
    R: Record,
    E: sqlx::Executor<'e, Database = Any>,
{
    page(executor, R::TABLE, R::COLUMNS, organization, request)
        .await?
        .iter()
        .map(R::from_row)
        .collect()
}
