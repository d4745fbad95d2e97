//! Storage: the only code in Roundtable that speaks SQL.
//!
//! One portable SQL dialect runs on both SQLite and PostgreSQL through sqlx's
//! `Any` driver: the same statement text, `$N` placeholders, `RETURNING`,
//! `ON CONFLICT`, recursive CTEs. Backend-specific code is kept to what the
//! engines force: the two migration folders (which must keep matching
//! versions), the connection set-up, SQLite's single writer and file-growth
//! cap, backup, how many rows one statement may carry, and the two creates of
//! a request (ARCHITECTURE.md lists them). We chose one dialect over one
//! implementation per backend so that the two can never drift apart in
//! features: a query either runs on both or the suite, which runs whole on
//! both, fails.
//!
//! Portable types: integers are `BIGINT` (SQLite `INTEGER`) and decode as
//! `i64`; flags are 0/1 integers; instants are fixed-width UTC RFC 3339 text
//! (see [`time`]), which sorts chronologically; structured values that are
//! always read whole (a calendar's week) are JSON text.
//!
//! Every query of tenant data goes through an [`Scoped`] handle, made with
//! [`Store::scoped`], that adds the organization to every statement. Unscoped
//! are only the reads that *find* the organization (sign-in by email, the
//! digest of a token or session), the organizations themselves, and the
//! background work that runs across organizations (the outbox dispatcher,
//! housekeeping).
//!
//! Every write goes through [`Store::write`]. On PostgreSQL it runs the
//! operation in one transaction from the pool. On SQLite, which takes one
//! writer at a time, operations are self-contained `Send + 'static` closures
//! queued to a single writer task that commits whatever is waiting together,
//! each operation in its own savepoint: one sync for many durable writes (see
//! [`group_commit`]). A write made for a call with an idempotency key carries
//! the key's row in its own transaction (see [`idempotency`]).

pub mod agreements;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod caches;
pub mod calendars;
pub mod checks;
pub mod credits;
pub mod departments;
mod error;
pub mod external_impact;
mod group_commit;
pub mod handovers;
pub mod health;
pub mod health_rollup;
pub mod idempotency;
pub mod import;
pub mod kudos;
pub mod mail_log;
pub mod notifications;
pub mod objectives;
pub mod organizations;
mod paging;
pub mod people;
pub mod pulses;
pub mod request_volume;
pub mod requests;
pub mod reviews;
pub mod round_table;
mod rows;
pub mod segments;
pub mod services;
pub mod thank_you;
pub mod time;
pub mod work;

pub use error::StoreError;
pub use paging::{Change, Listing, PageRequest, every_page};
pub(crate) use rows::{
    check_version, delete_row, ensure_exists, ensure_exists_in, ensure_reference, lock_row, locked,
    locked_delete,
};

use futures::future::BoxFuture;
use roundtable_domain::ids::{OrganizationId, PersonId};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::time::Duration;

/// The transaction every write operation runs in.
pub type WriteTransaction = Transaction<'static, Any>;

/// One self-contained write operation, as the write funnel runs it (see
/// [`Store::write`]): given the transaction, the future that makes the change.
pub trait WriteOperation<T>:
    for<'t> FnOnce(&'t mut WriteTransaction) -> BoxFuture<'t, Result<T, StoreError>> + Send + 'static
{
}

impl<T, F> WriteOperation<T> for F where
    F: for<'t> FnOnce(&'t mut WriteTransaction) -> BoxFuture<'t, Result<T, StoreError>>
        + Send
        + 'static
{
}

/// A [`WriteOperation`] made through a [`Scoped`] handle, also given the
/// audit context (the organization, and who acts) to record the change with.
pub(crate) trait AuditedOperation<T>:
    for<'t> FnOnce(&'t mut WriteTransaction, audit::Context) -> BoxFuture<'t, Result<T, StoreError>>
    + Send
    + 'static
{
}

impl<T, F> AuditedOperation<T> for F where
    F: for<'t> FnOnce(
            &'t mut WriteTransaction,
            audit::Context,
        ) -> BoxFuture<'t, Result<T, StoreError>>
        + Send
        + 'static
{
}

/// How many values one statement binds at most on SQLite. It accepts tens of
/// thousands, but sqlx's SQLite driver finds each parameter by name with
/// `sqlite3_bind_parameter_name`, which walks the statement's parameter list:
/// binding n values costs about n²/2 steps. At 500 rows of 7 values that was
/// 62 % of a people import's time; at a few hundred values binding is lost in
/// the statement's own cost, and the rows per statement still amortize it.
pub(crate) const SQLITE_BOUND_VALUES_PER_STATEMENT: usize = 400;

/// PostgreSQL binds in linear time and allows 65,535 values; what costs there
/// is each statement's round trip, so its statements are larger.
const POSTGRES_BOUND_VALUES_PER_STATEMENT: usize = 10_000;

/// Rows per multi-row statement for rows of `values_per_row` bound values on
/// the connection's backend (at most 1,000).
pub(crate) fn rows_per_statement(connection: &sqlx::AnyConnection, values_per_row: usize) -> usize {
    let values = if connection.backend_name() == <sqlx::Sqlite as sqlx::Database>::NAME {
        SQLITE_BOUND_VALUES_PER_STATEMENT
    } else {
        POSTGRES_BOUND_VALUES_PER_STATEMENT
    };
    (values / values_per_row.max(1)).clamp(1, 1_000)
}

/// Which database a store talks to, read from the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Configuration(format!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
                redact_url(url)
            )))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Hides a password in a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A connection to Roundtable's database.
#[derive(Debug, Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// SQLite's writer: batches operations into shared durable commits.
    committer: Option<group_commit::GroupCommitter>,
    /// Results of pulse rounds closed long enough ago that no answer can
    /// still arrive: they never change, so they are assembled once.
    settled_rounds: pulses::SettledRounds,
    /// Clock contexts, services and health, kept per write generation.
    caches: std::sync::Arc<caches::Caches>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connection settings that make SQLite safe for a server: WAL so readers never
/// block the writer, foreign keys enforced, a busy timeout instead of instant
/// "database is locked", and `synchronous=FULL` so an acknowledged commit
/// survives power loss.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created when missing, or `postgres://…`).
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url_creating_file(url);
                let pool_options = || {
                    AnyPoolOptions::new()
                        .acquire_timeout(options.acquire_timeout)
                        .test_before_acquire(false)
                        .after_connect(|connection, _| {
                            Box::pin(
                                async move { connection.execute(SQLITE_PRAGMAS).await.map(|_| ()) },
                            )
                        })
                };
                let write = pool_options()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .map_err(StoreError::from)?;
                let read = pool_options()
                    .max_connections(options.max_connections.max(1))
                    .connect(&url)
                    .await
                    .map_err(StoreError::from)?;
                Ok(Self {
                    committer: Some(group_commit::GroupCommitter::start(write.clone())),
                    settled_rounds: pulses::SettledRounds::default(),
                    caches: std::sync::Arc::default(),
                    read,
                    write,
                    backend,
                })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .acquire_timeout(options.acquire_timeout)
                    .test_before_acquire(false)
                    .max_connections(options.max_connections.max(2))
                    .connect(url)
                    .await
                    .map_err(StoreError::from)?;
                Ok(Self {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    committer: None,
                    settled_rounds: pulses::SettledRounds::default(),
                    caches: std::sync::Arc::default(),
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.write)
            .await
            .map_err(|error| StoreError::Migration(error.to_string()))
    }

    /// The versions of the embedded migrations for a backend, in order.
    pub fn migration_versions(backend: Backend) -> Vec<(i64, String)> {
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .iter()
            .map(|migration| (migration.version, migration.description.to_string()))
            .collect()
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
            .map_err(StoreError::from)
    }

    /// Whether writes can be made, cheaply enough for every readiness check.
    /// On SQLite, while the writer's last write failed for want of storage
    /// (a full disk, an I/O error), a probe writes and deletes a row of
    /// 64 KiB through the writer: it fails while the file cannot grow by that
    /// much, and its success clears the failure. Otherwise nothing is
    /// written. PostgreSQL rolls a failed transaction back by itself and
    /// every write has its own, so a reachable PostgreSQL is writable as far
    /// as this process can tell.
    pub async fn check_writable(&self) -> Result<(), StoreError> {
        let Some(committer) = &self.committer else {
            return Ok(());
        };
        let Some((number, failure)) = committer.failure() else {
            return Ok(());
        };
        tracing::debug!(%failure, "probing whether the database can be written again");
        self.bookkeeping_write(|transaction| {
            Box::pin(async move {
                // Sixteen pages or more: room a write could need, which a
                // full file lacks even with a page or two free inside it.
                sqlx::query("INSERT INTO storage_probes (id, payload) VALUES (1, $1)")
                    .bind("probe".repeat(13_108))
                    .execute(&mut **transaction)
                    .await?;
                sqlx::query("DELETE FROM storage_probes WHERE id = 1")
                    .execute(&mut **transaction)
                    .await?;
                Ok(())
            })
        })
        .await?;
        committer.clear_failure(number);
        Ok(())
    }

    /// Why SQLite's writer last failed for want of storage, while no write
    /// has committed since (`None` when writes succeed, and on PostgreSQL).
    pub fn write_failure(&self) -> Option<String> {
        self.committer
            .as_ref()
            .and_then(group_commit::GroupCommitter::failure)
            .map(|(_, cause)| cause)
    }

    /// Caps SQLite's file at its present size plus `extra_pages` pages on
    /// the writer connection (`PRAGMA max_page_count`, which lasts as long as
    /// the connection): past it, writes fail as on a full disk. The suite
    /// makes the file full with it, and raises the cap to give the space
    /// back; an operator could keep the database from filling a shared disk.
    /// Returns the cap now in force, in pages. Refused on PostgreSQL.
    pub async fn cap_sqlite_file_growth(&self, extra_pages: u32) -> Result<i64, StoreError> {
        if self.committer.is_none() {
            return Err(StoreError::Configuration(
                "the file size cap is SQLite's; PostgreSQL manages its own storage".to_owned(),
            ));
        }
        self.bookkeeping_write(move |transaction| {
            Box::pin(async move {
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                    .fetch_one(&mut **transaction)
                    .await?;
                let cap = pages.saturating_add(i64::from(extra_pages));
                // A PRAGMA takes no bound value; `cap` is a number we made.
                let capped: i64 = sqlx::query_scalar(&format!("PRAGMA max_page_count = {cap}"))
                    .fetch_one(&mut **transaction)
                    .await?;
                Ok(capped)
            })
        })
        .await
    }

    /// A handle whose every query is limited to one organization.
    pub fn scoped(&self, organization: OrganizationId) -> Scoped<'_> {
        Scoped {
            store: self,
            organization,
            actor: None,
        }
    }

    /// Runs `operation` in one transaction and commits it durably, or rolls
    /// everything back if it returns an error. The single entry point for
    /// writes (see the module documentation).
    pub async fn write<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteOperation<T>,
    {
        let written = self.commit(operation).await;
        // Bumped whatever the outcome: a failed commit may still have landed,
        // and a needless refresh costs only one read.
        self.caches.data.bump();
        self.caches.requests.bump();
        written
    }

    /// [`Store::write`] for an operation that is one SQL statement, on
    /// PostgreSQL only: a statement is atomic by itself, so it runs on a
    /// pooled connection outside an explicit transaction and saves the BEGIN
    /// and COMMIT round trips, each of which costs PostgreSQL about as much
    /// as a small insert. It is as durable as any commit (`synchronous_commit`
    /// applies to it). On SQLite every write goes through the group-commit
    /// writer, so this is refused there.
    pub(crate) async fn write_statement<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        if self.committer.is_some() {
            return Err(StoreError::Configuration(
                "a single-statement write is for PostgreSQL; SQLite writes go through the \
                    group-commit writer"
                    .to_owned(),
            ));
        }
        // An idempotency key's row must commit with the change: that takes
        // a transaction.
        if idempotency::Claim::pending() {
            return self
                .write(move |transaction: &mut WriteTransaction| operation(transaction))
                .await;
        }
        let mut connection = self.write.acquire().await.map_err(StoreError::from)?;
        let written = operation(&mut connection).await;
        self.caches.data.bump();
        self.caches.requests.bump();
        written
    }

    /// [`Store::write`] for the escalation sweep, whose writes change no
    /// request, holding period or person (escalation records, timeline
    /// events, notices, the health rollup) and which nobody waits to see.
    /// It leaves the data and requests generations alone: the cached queues
    /// stay valid, and the health it changed (the window sums, the matrix) is
    /// refreshed behind the readers, so a sweep of thousands of escalations
    /// does not make every reader of a queue or the matrix wait for a read
    /// after each of its batches.
    pub(crate) async fn background_write<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteOperation<T>,
    {
        let written = self.commit(operation).await;
        self.caches.window_sums.expire_all();
        self.caches.background.bump();
        written
    }

    /// [`Store::write`] for records nothing cached is computed from:
    /// sessions, sign-in failures, API tokens, idempotency records,
    /// notifications and their deliveries, webhooks, security audit entries.
    /// They leave the data generation alone, so the worker retrying a mail
    /// delivery or a reader's session touch does not make every reader of the
    /// matrix wait for it to be assembled again. Anything the matrix, health
    /// or a request's clocks read must go through [`Store::write`].
    pub(crate) async fn bookkeeping_write<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteOperation<T>,
    {
        self.commit(operation).await
    }

    /// Every write funnel ends here: the running call's idempotency key,
    /// if it still needs a write to carry it, goes into this transaction.
    async fn commit<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteOperation<T>,
    {
        match idempotency::Claim::take() {
            None => self.commit_transaction(operation).await,
            Some(claim) => {
                let written = self.commit_transaction(claim.guard(operation)).await;
                claim.settle(written.is_ok());
                written
            }
        }
    }

    async fn commit_transaction<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteOperation<T>,
    {
        // SQLite: the group-commit writer (its transactions begin IMMEDIATE,
        // taking the write lock at their start, so another process holding
        // the file is waited for instead of failing half-way).
        if let Some(committer) = &self.committer {
            return committer.write(operation).await;
        }
        let mut transaction = self.write.begin().await.map_err(StoreError::from)?;
        match operation(&mut transaction).await {
            Ok(value) => {
                transaction.commit().await.map_err(StoreError::from)?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback_error) = transaction.rollback().await {
                    tracing::warn!(%rollback_error, "rollback failed after {error}");
                }
                Err(error)
            }
        }
    }

    /// How many group commits the SQLite writer has made (`None` on
    /// PostgreSQL, which commits each write on its own).
    pub fn group_commits(&self) -> Option<u64> {
        self.committer
            .as_ref()
            .map(group_commit::GroupCommitter::commits)
    }

    /// How many write operations the SQLite writer's committed batches held
    /// (`None` on PostgreSQL); divided by [`Store::group_commits`], how
    /// many writes share one sync of the log.
    pub fn group_committed_operations(&self) -> Option<u64> {
        self.committer
            .as_ref()
            .map(group_commit::GroupCommitter::operations)
    }

    /// Bumped after every write this process commits (except bookkeeping
    /// writes, see [`Store::bookkeeping_write`]): a value computed from
    /// the database under one generation is current while it stays the same
    /// (and, for other processes' writes, for [`caches::TIME_TO_LIVE`]).
    pub fn write_generation(&self) -> u64 {
        self.caches.data.current()
    }

    /// Bumped after every write of the escalation sweep (see
    /// [`caches`]): a value computed from health may keep serving after it
    /// changes, while one reader's refresh runs behind the others.
    pub fn background_generation(&self) -> u64 {
        self.caches.background.current()
    }

    /// The in-process caches (see [`caches`]).
    pub(crate) fn caches(&self) -> &caches::Caches {
        &self.caches
    }

    /// [`Store::write`] for calendars, departments, organization settings and
    /// services: the cached clock contexts and services are refreshed after it.
    pub(crate) async fn configuration_write<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteOperation<T>,
    {
        let written = self.write(operation).await;
        self.caches.configuration.bump();
        written
    }

    /// The pool for reads.
    pub(crate) fn settled_rounds(&self) -> &pulses::SettledRounds {
        &self.settled_rounds
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Writes a consistent copy of a SQLite database to `path` while the
    /// server keeps running. PostgreSQL has its own tool for that (pg_dump).
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                if path.exists() {
                    return Err(StoreError::Configuration(format!(
                        "{} already exists; choose a new file for the backup",
                        path.display()
                    )));
                }
                let target = path.to_string_lossy().into_owned();
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(&self.read)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::from)
            }
            Backend::Postgres => Err(StoreError::Configuration(
                "online backup of PostgreSQL is pg_dump's job: run `pg_dump \
                    --format=custom --file=PATH DATABASE_URL`"
                    .to_owned(),
            )),
        }
    }

    /// Closes every connection, waiting for running statements to finish.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// A store handle limited to one organization: every method scopes its SQL to it.
#[derive(Debug, Clone, Copy)]
pub struct Scoped<'a> {
    store: &'a Store,
    organization: OrganizationId,
    /// Who acts, for the audit log; `None` for the operator's tools (CLI, demo).
    actor: Option<PersonId>,
}

impl Scoped<'_> {
    pub fn organization_id(&self) -> OrganizationId {
        self.organization
    }

    /// The same scope, with changes written to the audit log as `person`'s.
    pub fn by(self, person: PersonId) -> Self {
        Self {
            actor: Some(person),
            ..self
        }
    }

    /// What the audit log needs to record a change made through this scope.
    pub(crate) fn audit_context(&self) -> audit::Context {
        audit::Context {
            organization: self.organization,
            actor: self.actor,
        }
    }

    /// [`Store::write`] for a change made through this scope: `operation`
    /// is also given the audit context it records the change with
    /// (`audit.record(…)`), so that the log is written with the change.
    pub(crate) async fn write_audited<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: AuditedOperation<T>,
    {
        self.write_through(Funnel::Data, operation).await
    }

    /// [`Scoped::write_audited`] through another of the store's funnels:
    /// [`Funnel::Configuration`] for the records cached clock contexts and
    /// services are computed from, [`Funnel::Bookkeeping`] for records
    /// nothing cached is computed from (API tokens, webhooks, security
    /// events).
    pub(crate) async fn write_through<T, F>(
        &self,
        funnel: Funnel,
        operation: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: AuditedOperation<T>,
    {
        let operation = with_context(operation, self.audit_context());
        match funnel {
            Funnel::Data => self.store.write(operation).await,
            Funnel::Configuration => self.store.configuration_write(operation).await,
            Funnel::Bookkeeping => self.store.bookkeeping_write(operation).await,
        }
    }

    /// Deletes the record `id` of `R`'s table at the `expected` version
    /// through `funnel` (see [`rows::locked_delete`]; `in_use` says what to
    /// do instead when other rows still refer to it), and records `action`
    /// with the `detail` of the record as it was, which it returns.
    pub(crate) async fn delete_audited<R>(
        &self,
        funnel: Funnel,
        id: i64,
        expected: Option<i64>,
        in_use: &'static str,
        action: &'static str,
        detail: fn(&R) -> String,
    ) -> Result<R, StoreError>
    where
        R: rows::Record + Send + 'static,
    {
        self.write_through(funnel, move |transaction, audit| {
            Box::pin(async move {
                let current =
                    locked_delete::<R>(transaction, audit.organization, id, expected, in_use)
                        .await?;
                audit
                    .record(transaction, action, id, detail(&current))
                    .await?;
                Ok(current)
            })
        })
        .await
    }
}

/// The [`WriteOperation`] that runs an [`AuditedOperation`] in `audit`'s context.
fn with_context<T, F: AuditedOperation<T>>(
    operation: F,
    audit: audit::Context,
) -> impl WriteOperation<T> {
    move |transaction: &mut WriteTransaction| operation(transaction, audit)
}

/// Which of the store's write funnels a change made through a [`Scoped`]
/// handle goes through: [`Store::write`], [`Store::configuration_write`] or
/// [`Store::bookkeeping_write`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Funnel {
    Data,
    Configuration,
    Bookkeeping,
}

/// Adds `mode=rwc` so that a missing SQLite file is created.
fn sqlite_url_creating_file(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[cfg(test)]
mod tests;
