//! Idempotency keys: a call retried with the same key gets the first call's
//! answer instead of making its change twice, even across a crash.
//!
//! Why the key is written with the change: a key reserved in a commit of its
//! own before the change leaves, after a crash in between, a reservation that
//! cannot tell whether the change happened. So the HTTP layer runs the call
//! inside [`IdempotentCall::run`], and the first write the call makes
//! through the store's write funnel ([`crate::Store::write`] and its
//! siblings) inserts the key's row *in the same transaction* as its change:
//! the row exists exactly when the change committed. Inserting it first in
//! that transaction makes a concurrent duplicate conflict on the row's
//! primary key before it changes anything (PostgreSQL makes it wait for the
//! first transaction's outcome; SQLite's single writer runs them one after
//! the other); the duplicate's write is refused and its call learns, through
//! [`CallOutcome::AnotherCallFirst`], to wait for the first call's answer.
//!
//! The answer (status, body, headers) is recorded right after the call, in a
//! write of its own. If the server stops between the change's commit and
//! that write, the row has no answer, but it says where the created record
//! can be read again (`resource_path`, filled in the same transaction from
//! what the write returned, for the calls whose records can be read back),
//! and the HTTP layer rebuilds the answer from it.

use crate::time::{instant, now, to_db};
use crate::{Scoped, StoreError, WriteTransaction};
use futures::future::BoxFuture;
use jiff::Timestamp;
use roundtable_domain::ids::{OrganizationId, PersonId};
use sqlx::Row;
use std::any::Any;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Where the record a write created can be read again, from the value the
/// write returned; `None` for writes it does not know.
pub type Locator = Box<dyn Fn(&dyn Any) -> Option<String> + Send + Sync>;

/// One call made with an idempotency key, while it runs.
pub struct IdempotentCall {
    organization: OrganizationId,
    person: PersonId,
    key: String,
    fingerprint: String,
    locate: Locator,
    state: Mutex<CallOutcome>,
}

impl std::fmt::Debug for IdempotentCall {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IdempotentCall")
            .field("organization", &self.organization)
            .field("person", &self.person)
            .field("key", &self.key)
            .field("outcome", &self.outcome())
            .finish_non_exhaustive()
    }
}

/// What became of a call's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// No write of the call has committed: the key is still free, and a
    /// retry runs the call again.
    NothingWritten,
    /// A write is carrying the key right now.
    Writing,
    /// The call's first write committed with the key: record its answer.
    Committed,
    /// Another call with the same key committed first; this call's write
    /// was refused and changed nothing. Answer with the other call's answer.
    AnotherCallFirst,
}

tokio::task_local! {
    static CALL: Arc<IdempotentCall>;
}

impl IdempotentCall {
    /// A call by `person` with `key`, for the request `fingerprint` names.
    pub fn new(
        organization: OrganizationId,
        person: PersonId,
        key: String,
        fingerprint: String,
        locate: Locator,
    ) -> Arc<Self> {
        Arc::new(Self {
            organization,
            person,
            key,
            fingerprint,
            locate,
            state: Mutex::new(CallOutcome::NothingWritten),
        })
    }

    /// Runs `call` (the request's handler) with this key: its first write
    /// through the store carries the key.
    pub async fn run<F: Future>(self: &Arc<Self>, call: F) -> F::Output {
        CALL.scope(self.clone(), call).await
    }

    pub fn outcome(&self) -> CallOutcome {
        *self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self, outcome: CallOutcome) {
        *self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = outcome;
    }
}

/// The key a write about to be queued must carry: the running call's, if
/// none of its writes has committed with it yet. Taken by that write.
pub(crate) struct Claim(Arc<IdempotentCall>);

/// An operation of the write funnel, boxed.
pub(crate) type Operation<T> = Box<
    dyn for<'t> FnOnce(&'t mut WriteTransaction) -> BoxFuture<'t, Result<T, StoreError>> + Send,
>;

impl Claim {
    /// Whether the running task's call still needs a write to carry its key.
    pub(crate) fn pending() -> bool {
        CALL.try_with(|call| call.outcome() == CallOutcome::NothingWritten)
            .unwrap_or(false)
    }

    /// Takes the running call's key for the write about to be queued.
    pub(crate) fn take() -> Option<Claim> {
        CALL.try_with(|call| {
            let mut state = call
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if *state != CallOutcome::NothingWritten {
                return None;
            }
            *state = CallOutcome::Writing;
            Some(Claim(call.clone()))
        })
        .ok()
        .flatten()
    }

    /// `operation`, preceded by the insert of the key's row in the same
    /// transaction and followed by noting where its record can be read.
    pub(crate) fn guard<T, F>(&self, operation: F) -> Operation<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut WriteTransaction) -> BoxFuture<'t, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let call = self.0.clone();
        Box::new(move |transaction| {
            Box::pin(async move {
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys (organization_id, person_id, \
                        idempotency_key, request_fingerprint, created_at) VALUES ($1, $2, \
                        $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(call.organization.0)
                .bind(call.person.0)
                .bind(call.key.clone())
                .bind(call.fingerprint.clone())
                .bind(to_db(now()))
                .execute(&mut **transaction)
                .await?
                .rows_affected();
                if inserted == 0 {
                    call.set(CallOutcome::AnotherCallFirst);
                    return Err(StoreError::Conflict {
                        field: Some("Idempotency-Key".to_owned()),
                        message: "another request with this key made its change first".to_owned(),
                    });
                }
                let value = operation(transaction).await?;
                if let Some(path) = (call.locate)(&value) {
                    sqlx::query(
                        "UPDATE idempotency_keys SET resource_path = $1 \
                         WHERE organization_id = $2 AND person_id = $3 AND idempotency_key = $4",
                    )
                    .bind(path)
                    .bind(call.organization.0)
                    .bind(call.person.0)
                    .bind(call.key.clone())
                    .execute(&mut **transaction)
                    .await?;
                }
                Ok(value)
            })
        })
    }

    /// Notes how the write that carried the key ended: committed, refused
    /// for the key (another call's), or failed (the key is free again for a
    /// later write of the call).
    pub(crate) fn settle(self, committed: bool) {
        let call = self.0;
        let mut state = call
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *state = match (*state, committed) {
            (CallOutcome::AnotherCallFirst, _) => CallOutcome::AnotherCallFirst,
            (_, true) => CallOutcome::Committed,
            (_, false) => CallOutcome::NothingWritten,
        };
    }
}

/// A key's row: the change it protects committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub fingerprint: String,
    /// The answer, once recorded.
    pub answer: Option<RecordedAnswer>,
    /// Where the created record can be read again, when known.
    pub resource_path: Option<String>,
    pub created_at: Timestamp,
}

/// A call's answer as first given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAnswer {
    pub status: u16,
    pub body: String,
    /// The headers to replay, as the HTTP layer wrote them (a JSON object).
    pub headers: Option<String>,
}

impl Scoped<'_> {
    /// The row of `person`'s `key`, if a change was committed with it.
    pub async fn idempotency_record(
        &self,
        person: PersonId,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT request_fingerprint, status_code, response_body, response_headers, \
                resource_path, created_at FROM idempotency_keys WHERE organization_id = $1 \
                AND person_id = $2 AND idempotency_key = $3",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .bind(key.to_owned())
        .fetch_optional(self.store.reader())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let status: Option<i64> = row.try_get("status_code")?;
        let body: Option<String> = row.try_get("response_body")?;
        let answer = match (status, body) {
            (Some(status), Some(body)) => Some(RecordedAnswer {
                status: u16::try_from(status)
                    .map_err(|_| StoreError::Corrupt(format!("idempotency key status {status}")))?,
                body,
                headers: row.try_get("response_headers")?,
            }),
            _ => None,
        };
        Ok(Some(IdempotencyRecord {
            fingerprint: row.try_get("request_fingerprint")?,
            answer,
            resource_path: row.try_get("resource_path")?,
            created_at: instant(&row, "created_at")?,
        }))
    }

    /// Records the answer of the call whose change committed with `key`
    /// (the first answer stands).
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, person = person.0))]
    pub async fn record_idempotent_answer(
        &self,
        person: PersonId,
        key: String,
        answer: RecordedAnswer,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE idempotency_keys SET status_code = $1, response_body = \
                            $2, response_headers = $3 WHERE organization_id = $4 AND \
                            person_id = $5 AND idempotency_key = $6 AND status_code IS NULL",
                    )
                    .bind(i64::from(answer.status))
                    .bind(answer.body)
                    .bind(answer.headers)
                    .bind(organization.0)
                    .bind(person.0)
                    .bind(key)
                    .execute(&mut **transaction)
                    .await?;
                    Ok(())
                })
            })
            .await
    }
}
