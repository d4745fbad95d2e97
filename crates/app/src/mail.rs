//! The email Roundtable sent, or would have sent, to the people of the
//! organization: what administrators see on the Mail page. With no SMTP relay
//! configured every email is recorded as not sent, so this is also how a
//! newcomer reads what Roundtable sends.

use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_store::mail_log::{MailRecord, NOT_SENT};
use roundtable_store::{Listing, PageRequest};

/// Where an email stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting for its first attempt or a retry (`last_error` of the last try).
    Pending {
        last_error: Option<String>,
    },
    Sent,
    /// Not sent because email is off (no relay is configured); never retried.
    NotSent,
    /// Given up, with the cause the relay or the connection gave.
    Failed {
        cause: String,
    },
}

/// One email: to whom, what, when, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MailItem {
    pub id: i64,
    pub recipient_name: String,
    pub recipient_email: String,
    pub subject: String,
    /// The text of the notification, as the email's text part carries it.
    pub body: String,
    /// The page the email links to (a path in Roundtable).
    pub link: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub attempts: i64,
    pub status: MailStatus,
}

impl From<MailRecord> for MailItem {
    fn from(record: MailRecord) -> Self {
        let status = match record.state.as_str() {
            "sent" => MailStatus::Sent,
            "failed" if record.last_error.as_deref() == Some(NOT_SENT) => MailStatus::NotSent,
            "failed" => MailStatus::Failed {
                cause: record
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "no cause was recorded".to_owned()),
            },
            _ => MailStatus::Pending {
                last_error: record.last_error.clone(),
            },
        };
        MailItem {
            id: record.id,
            recipient_name: record.recipient_name,
            recipient_email: record.recipient_email,
            subject: record.subject,
            body: record.body,
            link: record.link,
            created_at: record.created_at,
            sent_at: record.sent_at,
            attempts: record.attempts,
            status,
        }
    }
}

/// A page of the organization's email, newest first (administrators).
#[tracing::instrument(skip(caller))]
pub async fn outgoing(
    caller: &Caller<'_>,
    page: PageRequest,
) -> Result<Listing<MailItem>, AppError> {
    policy::manage_organization(caller.actor)?;
    let listing = caller.scoped.mail_log(page).await?;
    Ok(Listing {
        items: listing.items.into_iter().map(MailItem::from).collect(),
        next_after: listing.next_after,
    })
}
