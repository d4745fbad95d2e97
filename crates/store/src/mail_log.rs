//! The email an organization sent, or would have sent: every email delivery
//! with its message, newest first (the admin "Mail" page). Read only; the
//! outbox itself is in `notifications`.

use crate::rows::BindCommon;
use crate::time::{instant, optional_instant};
use crate::{Listing, PageRequest, Scoped, StoreError};
use jiff::Timestamp;
use sqlx::Row;

/// The reason recorded, without retries, for an email that was not sent
/// because no relay is configured: the Mail page tells it apart from a
/// delivery that failed by this prefix.
pub const NOT_SENT: &str = "not sent: email is off (no SMTP relay is configured)";

/// One email delivery and its message.
#[derive(Debug, Clone, PartialEq)]
pub struct MailRecord {
    pub id: i64,
    pub recipient_name: String,
    pub recipient_email: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub kind: String,
    pub created_at: Timestamp,
    /// `pending`, `sent` or `failed` (not sent: `last_error` is [`NOT_SENT`]).
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<MailRecord, StoreError> {
    Ok(MailRecord {
        id: row.try_get("id")?,
        recipient_name: row.try_get("name")?,
        recipient_email: row.try_get("email")?,
        subject: row.try_get("title")?,
        body: row.try_get("body")?,
        link: row.try_get("link")?,
        kind: row.try_get("kind")?,
        created_at: instant(row, "created_at")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        sent_at: optional_instant(row, "sent_at")?,
    })
}

impl Scoped<'_> {
    /// The organization's email deliveries, newest first, a page at a time.
    pub async fn mail_log(&self, page: PageRequest) -> Result<Listing<MailRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, p.name, p.email, n.title, n.body, n.link, n.kind, n.created_at, d.state, d.attempts, \
             d.last_status, d.last_error, d.sent_at \
             FROM deliveries d JOIN notifications n ON n.organization_id = d.organization_id AND n.id = d.notification_id \
             JOIN people p ON p.organization_id = n.organization_id AND p.id = n.recipient_person_id \
             WHERE d.organization_id = $1 AND d.channel = 'email' AND d.id < $2 ORDER BY d.id DESC LIMIT $3",
        )
        .bind(self.organization.0)
        .bind_newest_first(page)
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, record_from_row, |record| record.id)
    }
}
