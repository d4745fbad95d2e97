//! Webhooks: the addresses that receive notices, and their delivery log.

use crate::rows::BindCommon;
use crate::time::{instant, optional_instant, to_db};
use crate::{Funnel, Listing, PageRequest, Scoped, StoreError};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub kinds: Vec<String>,
    pub active: bool,
    pub consecutive_failures: i64,
    pub disabled_reason: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
}

const WEBHOOK_COLUMNS: &str =
    "id, url, kinds, active, consecutive_failures, disabled_reason, version, created_at";

fn webhook_from_row(row: &AnyRow) -> Result<Webhook, StoreError> {
    let kinds: String = row.try_get("kinds")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        kinds: serde_json::from_str(&kinds)
            .map_err(|error| StoreError::Corrupt(format!("webhook kinds {kinds:?}: {error}")))?,
        active: row.try_get::<i64, _>("active")? != 0,
        consecutive_failures: row.try_get("consecutive_failures")?,
        disabled_reason: row.try_get("disabled_reason")?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
    })
}

crate::rows::record!(Webhook, "webhooks", WEBHOOK_COLUMNS, webhook_from_row);

/// A delivery as the log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub notification_id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub next_attempt_at: Timestamp,
}

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        id: row.try_get("id")?,
        notification_id: row.try_get("notification_id")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        sent_at: optional_instant(row, "sent_at")?,
        next_attempt_at: instant(row, "next_attempt_at")?,
    })
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_webhook(
        &self,
        url: String,
        secret: String,
        kinds: Vec<String>,
    ) -> Result<Webhook, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Bookkeeping, move |transaction, audit| {
            Box::pin(async move {
                let stamp = to_db(crate::time::now());
                let row = sqlx::query(&format!(
                    "INSERT INTO webhooks (organization_id, url, secret, kinds, \
                            created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                            RETURNING {WEBHOOK_COLUMNS}"
                ))
                .bind(organization.0)
                .bind(url.clone())
                .bind(secret)
                .bind(serde_json::Value::from(kinds).to_string())
                .bind(stamp)
                .fetch_one(&mut **transaction)
                .await?;
                let webhook = webhook_from_row(&row)?;
                audit
                    .record(
                        transaction,
                        "webhook.created",
                        webhook.id,
                        format!("url {url}"),
                    )
                    .await?;
                Ok(webhook)
            })
        })
        .await
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = $1 ORDER BY id"
        ))
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(webhook_from_row).collect()
    }

    pub async fn webhook(&self, id: i64) -> Result<Webhook, StoreError> {
        crate::rows::get::<Webhook, _>(self.store.reader(), self.organization, id).await
    }

    /// Turns a webhook on or off; turning it on forgets its failures.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn set_webhook_active(
        &self,
        id: i64,
        active: bool,
        expected_version: i64,
    ) -> Result<Webhook, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Bookkeeping, move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "webhooks", organization, id).await?;
                let version: i64 = sqlx::query_scalar(
                    "SELECT version FROM webhooks WHERE organization_id = $1 AND id = $2",
                )
                .bind(organization.0)
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
                .ok_or(StoreError::NotFound)?;
                crate::check_version(version, Some(expected_version))?;
                let row = sqlx::query(&format!(
                    "UPDATE webhooks SET active = $1, consecutive_failures = 0, \
                            disabled_reason = NULL, version = version + 1, updated_at = $2 \
                            WHERE organization_id = $3 AND id = $4 RETURNING \
                            {WEBHOOK_COLUMNS}"
                ))
                .bind(i64::from(active))
                .bind(to_db(crate::time::now()))
                .bind(organization.0)
                .bind(id)
                .fetch_one(&mut **transaction)
                .await?;
                audit
                    .record(
                        transaction,
                        if active {
                            "webhook.enabled"
                        } else {
                            "webhook.disabled"
                        },
                        id,
                        String::new(),
                    )
                    .await?;
                webhook_from_row(&row)
            })
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn delete_webhook(&self, id: i64) -> Result<(), StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Bookkeeping, move |transaction, audit| {
            Box::pin(async move {
                crate::delete_row(transaction, "webhooks", organization, id, "the webhook").await?;
                audit
                    .record(transaction, "webhook.deleted", id, String::new())
                    .await
            })
        })
        .await
    }
}

impl Scoped<'_> {
    /// A webhook's deliveries, newest first: the delivery log.
    pub async fn webhook_deliveries(
        &self,
        webhook: i64,
        page: PageRequest,
    ) -> Result<Listing<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.notification_id, n.kind, d.state, d.attempts, d.last_status, \
                d.last_error, d.sent_at, d.next_attempt_at FROM deliveries d JOIN \
                notifications n ON n.organization_id = d.organization_id AND n.id = \
                d.notification_id WHERE d.organization_id = $1 AND d.webhook_id = $2 AND \
                d.id < $3 ORDER BY d.id DESC LIMIT $4",
        )
        .bind(self.organization.0)
        .bind(webhook)
        .bind_newest_first(page)
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, delivery_from_row, |delivery| delivery.id)
    }
}
