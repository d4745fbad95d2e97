//! The outbox: deliveries claimed by a worker with a lease, sent, and
//! finished; a webhook failing too often is disabled and the admins told.

use super::inbox::{Notification, notification_from_row};
use super::{Notice, notify};
use crate::time::to_db;
use crate::{Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::notices;
use sqlx::Row;

/// A claimed delivery with everything needed to send it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub organization_id: OrganizationId,
    pub channel: String,
    pub attempts: i64,
    pub notification: Notification,
    pub recipient_email: String,
    pub recipient_name: String,
    /// The zone the recipient reads times in (an IANA name): their own,
    /// else their department's calendar's; `None` for UTC.
    pub recipient_time_zone: Option<String>,
    pub webhook: Option<(i64, String, String)>,
}

/// What happened when a delivery was attempted.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        status: Option<i64>,
    },
    /// Try again at `retry_at`, or give up when `None`.
    Failed {
        status: Option<i64>,
        error: String,
        retry_at: Option<Timestamp>,
    },
}

/// After this many failures in a row a webhook is disabled and the admins told.
pub const WEBHOOK_FAILURE_LIMIT: i64 = 5;

impl Store {
    /// Claims up to `limit` due deliveries for `instance` until `lease` from
    /// now. Each row is claimed by a conditional update, so of racing
    /// instances exactly one gets it; an expired claim is claimable again.
    pub async fn claim_deliveries(
        &self,
        instance: &str,
        now: Timestamp,
        lease: SignedDuration,
        limit: i64,
    ) -> Result<Vec<Outgoing>, StoreError> {
        let stamp = to_db(now);
        let candidates: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
                AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT $2",
        )
        .bind(stamp.clone())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let until = to_db(now.saturating_add(lease).unwrap_or(now));
        let mut claimed = Vec::new();
        for id in candidates {
            let instance = instance.to_owned();
            let stamp = stamp.clone();
            let until = until.clone();
            let won = self
                .bookkeeping_write(move |transaction| {
                    Box::pin(async move {
                        Ok(sqlx::query(
                            "UPDATE deliveries SET claimed_by = $1, claimed_until = $2 \
                                WHERE id = $3 AND state = 'pending' AND (claimed_until IS \
                                NULL OR claimed_until < $4)",
                        )
                        .bind(instance)
                        .bind(until)
                        .bind(id)
                        .bind(stamp)
                        .execute(&mut **transaction)
                        .await?
                        .rows_affected()
                            == 1)
                    })
                })
                .await?;
            if won {
                claimed.push(id);
            }
        }
        let mut outgoing = Vec::with_capacity(claimed.len());
        for id in claimed {
            let row = sqlx::query(
                "SELECT d.id, d.organization_id, d.channel, d.attempts, d.webhook_id, \
                    w.url, w.secret, p.email, p.name, COALESCE(p.time_zone, (SELECT \
                    c.time_zone FROM departments dp JOIN calendars c ON c.organization_id = \
                    dp.organization_id AND c.id = COALESCE(dp.calendar_id, (SELECT \
                    o.default_calendar_id FROM organizations o WHERE o.id = \
                    dp.organization_id)) WHERE dp.organization_id = p.organization_id AND \
                    dp.id = p.department_id)) AS reader_zone, n.id AS n_id, \
                    n.recipient_person_id, \
                    n.kind, n.subject_kind, n.subject_id, n.title, n.body, n.link, \
                    n.created_at, n.read_at FROM deliveries d JOIN notifications n ON \
                    n.organization_id = d.organization_id AND n.id = d.notification_id JOIN \
                    people p ON p.organization_id = n.organization_id AND p.id = \
                    n.recipient_person_id LEFT JOIN webhooks w ON w.organization_id = \
                    d.organization_id AND w.id = d.webhook_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(self.reader())
            .await?;
            let webhook = match row.try_get::<Option<i64>, _>("webhook_id")? {
                Some(webhook) => Some((
                    webhook,
                    row.try_get::<Option<String>, _>("url")?.unwrap_or_default(),
                    row.try_get::<Option<String>, _>("secret")?
                        .unwrap_or_default(),
                )),
                None => None,
            };
            outgoing.push(Outgoing {
                id,
                organization_id: OrganizationId(row.try_get("organization_id")?),
                channel: row.try_get("channel")?,
                attempts: row.try_get("attempts")?,
                recipient_email: row.try_get("email")?,
                recipient_name: row.try_get("name")?,
                recipient_time_zone: row.try_get("reader_zone")?,
                webhook,
                notification: notification_from_row(&row, "n_id")?,
            });
        }
        Ok(outgoing)
    }

    /// Records the outcome of a claimed delivery. A webhook that fails
    /// [`WEBHOOK_FAILURE_LIMIT`] deliveries in a row (each given up after its
    /// retries) is disabled, and the organization's admins are told.
    pub async fn finish_delivery(
        &self,
        delivery: &Outgoing,
        outcome: Outcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let id = delivery.id;
        let organization = delivery.organization_id;
        let webhook = delivery
            .webhook
            .as_ref()
            .map(|(id, url, _)| (*id, url.clone()));
        self.bookkeeping_write(move |transaction| {
            Box::pin(async move {
                let stamp = to_db(now);
                match outcome {
                    Outcome::Sent { status } => {
                        sqlx::query(
                            "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, \
                            sent_at = $1, last_status = $2, last_error = NULL, claimed_until \
                            = NULL WHERE id = $3",
                        )
                        .bind(stamp)
                        .bind(status)
                        .bind(id)
                        .execute(&mut **transaction)
                        .await?;
                        if let Some((webhook, _)) = webhook {
                            sqlx::query(
                                "UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1",
                            )
                            .bind(webhook)
                            .execute(&mut **transaction)
                            .await?;
                        }
                    }
                    Outcome::Failed {
                        status,
                        error,
                        retry_at,
                    } => {
                        let state = if retry_at.is_some() {
                            "pending"
                        } else {
                            "failed"
                        };
                        sqlx::query(
                            "UPDATE deliveries SET state = $1, attempts = attempts + 1, \
                                next_attempt_at = $2, last_status = $3, last_error = $4, \
                                claimed_until = NULL WHERE id = $5",
                        )
                        .bind(state)
                        .bind(to_db(retry_at.unwrap_or(now)))
                        .bind(status)
                        .bind(error)
                        .bind(id)
                        .execute(&mut **transaction)
                        .await?;
                        if let (Some((webhook, url)), None) = (webhook, retry_at) {
                            let failures: i64 = sqlx::query_scalar(
                                "UPDATE webhooks SET consecutive_failures = \
                                    consecutive_failures + 1 WHERE id = $1 RETURNING \
                                    consecutive_failures",
                            )
                            .bind(webhook)
                            .fetch_one(&mut **transaction)
                            .await?;
                            if failures >= WEBHOOK_FAILURE_LIMIT {
                                let disabled = sqlx::query(
                                    "UPDATE webhooks SET active = 0, disabled_reason = \
                                        $1, version = version + 1, updated_at = $2 WHERE id \
                                        = $3 AND active = 1",
                                )
                                .bind(format!(
                                    "disabled after {failures} failed deliveries in a row"
                                ))
                                .bind(stamp.clone())
                                .bind(webhook)
                                .execute(&mut **transaction)
                                .await?
                                .rows_affected();
                                if disabled == 1 {
                                    let admins: Vec<i64> = sqlx::query_scalar(
                                        "SELECT id FROM people WHERE organization_id = $1 AND \
                                        role = 'admin' AND active = 1 ORDER BY id",
                                    )
                                    .bind(organization.0)
                                    .fetch_all(&mut **transaction)
                                    .await?;
                                    let wording = notices::webhook_disabled(&url, failures);
                                    for admin in admins {
                                        let notice = Notice {
                                            recipient: PersonId(admin),
                                            kind: "webhook_disabled",
                                            subject_kind: "webhook",
                                            subject_id: Some(webhook),
                                            title: wording.title.clone(),
                                            body: wording.body.clone(),
                                            link: "/admin/webhooks".to_owned(),
                                        };
                                        notify(transaction, organization, notice, &stamp).await?;
                                    }
                                }
                            }
                        }
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// Counts deliveries by state, for tests and metrics.
    pub async fn delivery_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel, state, COUNT(*) AS total FROM deliveries GROUP BY channel, state \
            ORDER BY channel, state",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("channel")?,
                    row.try_get("state")?,
                    row.try_get("total")?,
                ))
            })
            .collect()
    }
}
