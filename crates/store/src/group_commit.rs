//! Group commit for SQLite: one writer task runs the write operations that
//! are waiting, each inside its own savepoint of one shared transaction, and
//! commits them together, so a burst of N writes costs one sync of the
//! write-ahead log instead of N.
//!
//! Why: SQLite takes one writer at a time and, with `synchronous=FULL`, every
//! commit waits for the disk. One commit per request caps a durable server at
//! the disk's sync rate (about 1,600 a second on this kind of machine);
//! batching keeps every acknowledged write durable and lifts that cap.
//!
//! The rules that keep this invisible to callers:
//! - An operation's result is handed back only after the batch's COMMIT has
//!   returned: nobody hears "done" for a write that is not yet durable.
//! - An operation that fails is rolled back to its own savepoint; the others
//!   of its batch are unaffected, exactly as if each had its own transaction.
//! - If the COMMIT itself fails, every operation of the batch gets the error
//!   (none of them happened).
//! - An operation sees the writes of the operations before it in its batch;
//!   since they commit together or not at all, that never exposes a write
//!   that does not happen.
//! - A panicking operation is rolled back like a failing one and its caller
//!   gets an error; the writer goes on.
//! - A batch that fails as a whole (BEGIN, a savepoint, its ROLLBACK TO or
//!   RELEASE, or the COMMIT: a full disk, an I/O error) is rolled back and
//!   the writer's connection is brought back out of any transaction before
//!   the next batch. SQLite ends a transaction by itself on some of these
//!   errors; sqlx's own ROLLBACK then fails and its count of open
//!   transactions stays at one, which refused every later BEGIN until a
//!   restart. So the writer checks that count and, if needed, opens a
//!   transaction for that ROLLBACK to end, or gives the connection up for a
//!   fresh one.
//! - The writer remembers why a write last failed for want of storage
//!   ([`GroupCommitter::failure`]) until a probe write succeeds
//!   ([`crate::Store::check_writable`]), so readiness says the database
//!   cannot be written while it cannot. A write that needs no new space
//!   (an update in place) may succeed on a full disk, so only the probe,
//!   which needs space, clears it.
//!
//! PostgreSQL commits concurrently from a pool and batches its own WAL
//! flushes, so it keeps one transaction per operation.

use crate::{StoreError, WriteTransaction};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::{Any, AnyPool, Connection, Database, TransactionManager};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Told whether the batch committed; sends the operation's result to its caller.
type Finisher = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// How an operation ended inside its savepoint.
enum Outcome {
    Succeeded,
    /// Refused for its own reasons (a conflict, invalid input, a panic).
    Failed,
    /// Failed because the database could not be written (full, I/O).
    StorageFailed(String),
}

/// A queued operation: runs in the batch's transaction, says how it ended
/// (so the writer keeps or undoes its savepoint), and leaves a finisher for
/// after the commit.
type Job =
    Box<dyn for<'t> FnOnce(&'t mut WriteTransaction) -> BoxFuture<'t, (Outcome, Finisher)> + Send>;

/// Why a write last failed for want of storage, until a probe clears it;
/// with a count of failures recorded, so a probe clears only the failure it
/// saw.
type Failure = Arc<Mutex<(u64, Option<String>)>>;

/// At most this many operations share a commit, so one batch's latency stays
/// bounded under any load.
const MAX_BATCH: usize = 512;

/// The handle callers queue operations through; cloning it shares the writer.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommitter {
    jobs: mpsc::UnboundedSender<Job>,
    /// Batches committed so far (each one sync of the log).
    commits: Arc<AtomicU64>,
    /// Operations in those batches: divided by `commits`, how many writes
    /// share a sync.
    operations: Arc<AtomicU64>,
    failure: Failure,
}

impl GroupCommitter {
    /// Starts the writer task on `pool` (SQLite's single writer connection).
    pub(crate) fn start(pool: AnyPool) -> Self {
        let (jobs, receiver) = mpsc::unbounded_channel();
        let commits = Arc::new(AtomicU64::new(0));
        let operations = Arc::new(AtomicU64::new(0));
        let failure = Failure::default();
        let writer = write_batches(
            pool,
            receiver,
            commits.clone(),
            operations.clone(),
            failure.clone(),
        );
        // The writer runs on a thread and runtime of its own: each of its
        // statements is a hand-off to SQLite's connection thread and back,
        // and on the server's runtime every "back" would queue behind the
        // request tasks, while every write waits on the writer. It ends when
        // the last handle is dropped.
        let (start_writer, writer_to_start) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("roundtable-writer".to_owned())
            .spawn(move || {
                let Ok(writer) = writer_to_start.recv() else {
                    return;
                };
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(writer),
                    Err(error) => tracing::error!(%error, "the database writer could not start"),
                }
            });
        match spawned {
            Ok(_) => {
                // The thread is waiting for it; if it is gone, so is the
                // writer, and writes answer that it stopped.
                let _ = start_writer.send(writer);
            }
            Err(error) => {
                tracing::warn!(%error, "no thread for the database writer; it shares the server's");
                tokio::spawn(writer);
            }
        }
        Self {
            jobs,
            commits,
            operations,
            failure,
        }
    }

    /// Why a write last failed for want of storage (a full disk, an I/O
    /// error, a batch that could not begin or commit), with the failure's
    /// number, until [`GroupCommitter::clear_failure`].
    pub(crate) fn failure(&self) -> Option<(u64, String)> {
        let recorded = self
            .failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (number, cause) = &*recorded;
        cause.clone().map(|cause| (*number, cause))
    }

    /// Forgets failure `number` (a probe write succeeded after it), unless
    /// another has been recorded since.
    pub(crate) fn clear_failure(&self, number: u64) {
        let mut recorded = self
            .failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if recorded.0 == number {
            recorded.1 = None;
        }
    }

    /// How many batches have been committed.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// How many operations the committed batches held.
    pub(crate) fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    /// Runs `operation` in the next batch and returns its result once the
    /// batch is durably committed.
    pub(crate) async fn write<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut WriteTransaction) -> BoxFuture<'t, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let (sender, receiver) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |transaction| {
            Box::pin(async move {
                let outcome = AssertUnwindSafe(operation(transaction))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| {
                        Err(StoreError::Corrupt(
                            "a write operation panicked; it was rolled back".to_owned(),
                        ))
                    });
                let ended = match &outcome {
                    Ok(_) => Outcome::Succeeded,
                    Err(StoreError::Unavailable(cause)) => Outcome::StorageFailed(cause.clone()),
                    Err(_) => Outcome::Failed,
                };
                let finish: Finisher = Box::new(move |committed| {
                    let result = match (outcome, committed) {
                        (Ok(value), Ok(())) => Ok(value),
                        (Ok(_), Err(error)) => Err(batch_failed(error)),
                        (Err(error), _) => Err(error),
                    };
                    // The caller may have gone (a dropped request); the write stands.
                    let _ = sender.send(result);
                });
                (ended, finish)
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the database writer has stopped".to_owned()))?;
        receiver.await.unwrap_or_else(|_| {
            // The operation never ran: its batch could not begin, or broke
            // before its turn.
            let cause = self.failure().map_or_else(
                || "the database writer could not run it".to_owned(),
                |(_, cause)| cause,
            );
            Err(StoreError::Unavailable(format!(
                "the write was not committed: {cause}"
            )))
        })
    }
}

/// The error every operation of a batch gets when the batch did not commit.
fn batch_failed(error: &StoreError) -> StoreError {
    StoreError::Unavailable(format!("the write was not committed: {error}"))
}

async fn write_batches(
    pool: AnyPool,
    mut receiver: mpsc::UnboundedReceiver<Job>,
    commits: Arc<AtomicU64>,
    operations: Arc<AtomicU64>,
    failure: Failure,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = receiver.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let size = batch.len() as u64;
        // Counted before anyone is told, so a caller who heard "done"
        // reads counters that include its write.
        run_batch(&pool, batch.drain(..), &failure, || {
            commits.fetch_add(1, Ordering::Relaxed);
            operations.fetch_add(size, Ordering::Relaxed);
        })
        .await;
    }
}

/// Runs one batch, calls `committed` if it committed, records or clears the
/// storage failure, then tells each caller.
async fn run_batch(
    pool: &AnyPool,
    jobs: impl Iterator<Item = Job>,
    failure: &Failure,
    committed: impl FnOnce(),
) {
    let mut finishers: Vec<Finisher> = Vec::new();
    let mut storage = StorageReport::default();
    let outcome = run_jobs(pool, jobs, &mut finishers, &mut storage)
        .await
        // SQLite ends the whole transaction on a full disk, so the batch then
        // fails on the next savepoint ("no such savepoint"); the cause worth
        // telling is the operation's.
        .map_err(|error| match &storage.failed {
            Some(cause) => StoreError::Unavailable(cause.clone()),
            None => error,
        });
    let now_failing = match &outcome {
        Ok(()) => {
            committed();
            storage.failed
        }
        Err(error) => {
            tracing::warn!(%error, operations = finishers.len(), "a group commit failed");
            if let Err(reset_error) = leave_any_transaction(pool).await {
                tracing::error!(
                    %reset_error,
                    "the database writer's connection could not be reset"
                );
            }
            Some(error.to_string())
        }
    };
    if let Some(cause) = now_failing {
        let mut recorded = failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *recorded = (recorded.0 + 1, Some(cause));
    }
    for finish in finishers {
        finish(outcome.as_ref().map(|_| ()));
    }
}

/// What a batch's operations said about storage.
#[derive(Default)]
struct StorageReport {
    /// The last operation that failed for want of storage, and why.
    failed: Option<String>,
}

/// Brings the writer's connection out of any transaction after a failed
/// batch, in SQLite's view and in sqlx's count of open transactions alike,
/// so that the next batch can BEGIN.
async fn leave_any_transaction(pool: &AnyPool) -> Result<(), StoreError> {
    let mut connection = pool.acquire().await?;
    // The dropped transaction queued its ROLLBACK on the connection; this
    // statement runs after it, so the count read below includes it.
    sqlx::query("SELECT 1").execute(&mut *connection).await?;
    if !connection.is_in_transaction() {
        return Ok(());
    }
    // sqlx still counts a transaction that SQLite has already ended (it does
    // on a full disk or an I/O error), so its ROLLBACK failed. A plain BEGIN
    // gives the next ROLLBACK a transaction to end; it fails harmlessly if
    // SQLite's is in fact still open, and that ROLLBACK ends it instead.
    let _ = sqlx::query("BEGIN").execute(&mut *connection).await;
    if let Err(error) = <Any as Database>::TransactionManager::rollback(&mut connection).await {
        // Give the connection up: the pool opens a fresh one for the next batch.
        connection.close_on_drop();
        return Err(StoreError::from(error));
    }
    if connection.is_in_transaction() {
        connection.close_on_drop();
        return Err(StoreError::Unavailable(
            "the writer's connection stayed in a transaction; it is replaced".to_owned(),
        ));
    }
    Ok(())
}

/// Runs every job in one transaction, each in its own savepoint, and commits.
/// Jobs that could not even start (the transaction broke) are finished with
/// the error through `finishers` too.
async fn run_jobs(
    pool: &AnyPool,
    jobs: impl Iterator<Item = Job>,
    finishers: &mut Vec<Finisher>,
    storage: &mut StorageReport,
) -> Result<(), StoreError> {
    let mut jobs = jobs.peekable();
    let mut transaction = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(transaction) => transaction,
        Err(error) => {
            let error = StoreError::from(error);
            for job in jobs {
                finishers.push(unstarted(job));
            }
            return Err(error);
        }
    };
    // Each operation runs inside its own savepoint. Closing one savepoint
    // and opening the next are one call to SQLite's connection thread: each
    // call is a hand-off between threads, and the single writer makes
    // every one of them wait for the one before.
    if jobs.peek().is_some()
        && let Err(error) = savepoint(&mut transaction, "SAVEPOINT write_operation").await
    {
        for job in jobs {
            finishers.push(unstarted(job));
        }
        abandon(transaction).await;
        return Err(error);
    }
    while let Some(job) = jobs.next() {
        let (outcome, finish) = job(&mut transaction).await;
        finishers.push(finish);
        let succeeded = match outcome {
            Outcome::Succeeded => true,
            Outcome::Failed => false,
            Outcome::StorageFailed(cause) => {
                storage.failed = Some(cause);
                false
            }
        };
        let more = jobs.peek().is_some();
        let closing = match (succeeded, more) {
            (true, true) => "RELEASE SAVEPOINT write_operation; SAVEPOINT write_operation",
            (true, false) => "RELEASE SAVEPOINT write_operation",
            (false, true) => {
                "ROLLBACK TO SAVEPOINT write_operation; RELEASE SAVEPOINT write_operation; \
                 SAVEPOINT write_operation"
            }
            (false, false) => {
                "ROLLBACK TO SAVEPOINT write_operation; RELEASE SAVEPOINT write_operation"
            }
        };
        if let Err(error) = savepoint(&mut transaction, closing).await {
            for job in jobs {
                finishers.push(unstarted(job));
            }
            abandon(transaction).await;
            return Err(error);
        }
    }
    // A failed COMMIT drops the transaction, which queues its ROLLBACK;
    // `leave_any_transaction` makes sure it took.
    transaction.commit().await.map_err(StoreError::from)
}

/// Rolls back a batch that broke; whatever fails here is repaired by
/// [`leave_any_transaction`] before the next batch.
async fn abandon(transaction: WriteTransaction) {
    if let Err(error) = transaction.rollback().await {
        tracing::debug!(%error, "rolling back a broken batch failed (SQLite may have ended it)");
    }
}

async fn savepoint(transaction: &mut WriteTransaction, statement: &str) -> Result<(), StoreError> {
    sqlx::query(statement)
        .execute(&mut **transaction)
        .await
        .map(|_| ())
        .map_err(StoreError::from)
}

/// A job that never ran: its caller hears that the batch failed. Its
/// operation is dropped unrun (it captured only its inputs and its sender)
/// when the callers are told, after the failure is recorded, so its caller
/// reads why.
fn unstarted(job: Job) -> Finisher {
    Box::new(move |_| drop(job))
}

/// SQLite only, every test here: the group-commit writer is SQLite's (its
/// one writer connection batches concurrent writes into shared commits).
/// On PostgreSQL `Store::connect` starts no committer; each write has its own
/// transaction on a pooled connection, so there is no batch to share, no
/// commit count (`Store::group_commits` is `None`), no file to cap, and a
/// failed write undoes itself by PostgreSQL's own rollback. The behaviour
/// these tests guard through that writer is checked on both backends by the
/// API and worker suites, which run whole on each.
#[cfg(test)]
mod tests {
    use crate::{Store, StoreError, StoreOptions};

    async fn scratch_store(folder: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}", folder.path().join("group.db").display());
        let store = Store::connect(&url, &StoreOptions::default())
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        store
            .write(|transaction| {
                Box::pin(async move {
                    sqlx::query(
                        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)",
                    )
                    .execute(&mut **transaction)
                    .await?;
                    // As migration 0016 makes it, for the writability probe.
                    sqlx::query(
                        "CREATE TABLE storage_probes (id INTEGER PRIMARY KEY, payload \
                            TEXT NOT NULL)",
                    )
                    .execute(&mut **transaction)
                    .await?;
                    Ok(())
                })
            })
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        store
    }

    async fn stored_bodies(store: &Store) -> Vec<String> {
        sqlx::query_scalar("SELECT body FROM notes ORDER BY body")
            .fetch_all(store.reader())
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Writes two rows; every third operation then fails (or panics), after
    /// its first row is written, and must leave nothing behind.
    async fn two_rows(store: Store, index: usize) -> Result<usize, StoreError> {
        store
            .write(move |transaction| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO notes (body) VALUES ($1)")
                        .bind(format!("{index:03}-a"))
                        .execute(&mut **transaction)
                        .await?;
                    match index % 6 {
                        0 => return Err(StoreError::invalid("body", "refused after writing")),
                        3 => panic!("an operation that panics half-way"),
                        _ => {}
                    }
                    sqlx::query("INSERT INTO notes (body) VALUES ($1)")
                        .bind(format!("{index:03}-b"))
                        .execute(&mut **transaction)
                        .await?;
                    Ok(index)
                })
            })
            .await
    }

    #[tokio::test]
    async fn concurrent_writes_share_commits_and_a_failing_one_undoes_only_itself() {
        let folder = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let store = scratch_store(&folder).await;
        let before = store.group_commits().unwrap_or_default();
        let operations_before = store.group_committed_operations().unwrap_or_default();
        let tasks: Vec<_> = (0..300)
            .map(|index| tokio::spawn(two_rows(store.clone(), index)))
            .collect();
        let mut succeeded = Vec::new();
        for (index, task) in tasks.into_iter().enumerate() {
            match task.await.unwrap_or_else(|error| panic!("{error}")) {
                Ok(value) => {
                    assert_eq!(value, index);
                    succeeded.push(index);
                }
                Err(error) => assert_eq!(index % 3, 0, "{index} failed: {error}"),
            }
        }
        assert_eq!(
            succeeded.len(),
            200,
            "every operation but the failing third"
        );
        let mut expected: Vec<String> = succeeded
            .iter()
            .flat_map(|index| [format!("{index:03}-a"), format!("{index:03}-b")])
            .collect();
        expected.sort();
        assert_eq!(stored_bodies(&store).await, expected);
        let commits = store.group_commits().unwrap_or_default() - before;
        assert!(
            (1..150).contains(&commits),
            "300 waiting writes took {commits} commits"
        );
        assert_eq!(
            store.group_committed_operations().unwrap_or_default() - operations_before,
            300,
            "the committed batches held every operation, failed ones included"
        );
    }

    async fn note(store: &Store, body: String) -> Result<(), StoreError> {
        store
            .write(move |transaction| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO notes (body) VALUES ($1)")
                        .bind(body)
                        .execute(&mut **transaction)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    /// A full file fails the writes that need space, and nothing after it:
    /// SQLite ends the whole transaction on SQLITE_FULL, and before the fix
    /// sqlx's count of open transactions stayed at one, so every later batch
    /// failed to BEGIN ("attempted to call begin_with at non-zero transaction
    /// depth") even once space was back.
    #[tokio::test]
    async fn a_full_file_fails_writes_without_wedging_the_writer() {
        let folder = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let store = scratch_store(&folder).await;
        store
            .cap_sqlite_file_growth(2)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let mut failures = Vec::new();
        for round in 0..200 {
            let writes =
                (0..8).map(|part| note(&store, format!("{round:03}-{part}-{}", "x".repeat(600))));
            failures.extend(
                futures::future::join_all(writes)
                    .await
                    .into_iter()
                    .filter_map(Result::err),
            );
            if !failures.is_empty() {
                break;
            }
        }
        assert!(!failures.is_empty(), "the capped file never filled");
        for failure in &failures {
            assert!(
                matches!(failure, StoreError::Unavailable(cause) if cause.contains("full")),
                "{failure:?}"
            );
        }
        assert!(
            store.write_failure().is_some(),
            "the writer remembers the failure"
        );
        let probe = store.check_writable().await;
        assert!(
            matches!(&probe, Err(StoreError::Unavailable(cause)) if cause.contains("full")),
            "the probe fails while full: {probe:?}"
        );
        // Writes that need no new page still go through: the writer is not wedged.
        store
            .write(|transaction| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM notes WHERE body = 'none such'")
                        .execute(&mut **transaction)
                        .await?;
                    Ok(())
                })
            })
            .await
            .unwrap_or_else(|error| panic!("a write needing no space: {error}"));
        assert!(store.check_writable().await.is_err(), "still full");

        store
            .cap_sqlite_file_growth(100_000)
            .await
            .unwrap_or_else(|error| panic!("raising the cap: {error}"));
        assert!(
            store.check_writable().await.is_ok(),
            "the probe passes with space back"
        );
        assert_eq!(store.write_failure(), None);
        note(&store, format!("after-{}", "y".repeat(5_000)))
            .await
            .unwrap_or_else(|error| panic!("writes resume once space is back: {error}"));
        assert!(
            stored_bodies(&store)
                .await
                .iter()
                .any(|body| body.starts_with("after-"))
        );
    }

    #[tokio::test]
    async fn a_later_write_still_runs_after_a_failed_batch_member_and_sees_earlier_ones() {
        let folder = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let store = scratch_store(&folder).await;
        // A unique violation inside the batch fails only its own operation.
        let first = tokio::spawn(two_rows(store.clone(), 1));
        let duplicate = tokio::spawn(two_rows(store.clone(), 1));
        let results = [first.await, duplicate.await];
        let failures = results
            .iter()
            .filter(|result| matches!(result, Ok(Err(_))))
            .count();
        assert_eq!(failures, 1, "{results:?}");
        assert!(two_rows(store.clone(), 2).await.is_ok());
        assert_eq!(
            stored_bodies(&store).await,
            ["001-a", "001-b", "002-a", "002-b"]
        );
    }
}
