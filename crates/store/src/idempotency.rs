//! Idempotency keys: a create call retried with the same key gets the first
//! call's response instead of making a second record.
//!
//! A key is reserved (a row without a response) before the call runs, so a
//! concurrent duplicate is refused rather than run twice; the response is
//! recorded afterwards, or the reservation released if the call failed so the
//! client can retry.

use crate::time::{now, to_db};
use crate::{Scoped, StoreError};
use roundtable_domain::ids::PersonId;
use sqlx::Row;

/// What a reservation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// First use of the key: run the call, then record or release.
    Reserved,
    /// The key was used for this same request: replay its response.
    Replay { status: u16, body: String },
    /// The key was used for a different request.
    Mismatch,
    /// The first call with this key is still running.
    InProgress,
}

impl Scoped<'_> {
    pub async fn reserve_idempotency_key(
        &self,
        person: PersonId,
        key: String,
        fingerprint: String,
    ) -> Result<Reservation, StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    let inserted = sqlx::query(
                        "INSERT INTO idempotency_keys (organization_id, person_id, idempotency_key, request_fingerprint, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(organization.0)
                    .bind(person.0)
                    .bind(key.clone())
                    .bind(fingerprint.clone())
                    .bind(to_db(now()))
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        return Ok(Reservation::Reserved);
                    }
                    let row = sqlx::query(
                        "SELECT request_fingerprint, status_code, response_body FROM idempotency_keys \
                         WHERE organization_id = $1 AND person_id = $2 AND idempotency_key = $3",
                    )
                    .bind(organization.0)
                    .bind(person.0)
                    .bind(key)
                    .fetch_one(&mut **transaction)
                    .await?;
                    let stored_fingerprint: String = row.try_get("request_fingerprint")?;
                    if stored_fingerprint != fingerprint {
                        return Ok(Reservation::Mismatch);
                    }
                    let status: Option<i64> = row.try_get("status_code")?;
                    let body: Option<String> = row.try_get("response_body")?;
                    Ok(match (status, body) {
                        (Some(status), Some(body)) => Reservation::Replay {
                            status: u16::try_from(status).unwrap_or(200),
                            body,
                        },
                        _ => Reservation::InProgress,
                    })
                })
            })
            .await
    }

    pub async fn record_idempotent_response(
        &self,
        person: PersonId,
        key: String,
        status: u16,
        body: String,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE idempotency_keys SET status_code = $1, response_body = $2 \
                         WHERE organization_id = $3 AND person_id = $4 AND idempotency_key = $5",
                    )
                    .bind(i64::from(status))
                    .bind(body)
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

    pub async fn release_idempotency_key(
        &self,
        person: PersonId,
        key: String,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    sqlx::query(
                        "DELETE FROM idempotency_keys WHERE organization_id = $1 AND person_id = $2 \
                         AND idempotency_key = $3 AND status_code IS NULL",
                    )
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
