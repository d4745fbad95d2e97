//! One's own in-app notifications: reading the inbox and marking it read.
//! Each person sees and marks only their own; nobody else's exist for them.

use crate::{AppError, Caller};
use jiff::Timestamp;
use roundtable_store::notifications::Notification;
use roundtable_store::{Listing, PageRequest};

/// A page of the caller's notifications, newest first, and how many are unread in all.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub notifications: Listing<Notification>,
    pub unread: i64,
}

#[tracing::instrument(skip(caller))]
pub async fn list(
    caller: &Caller<'_>,
    unread_only: bool,
    page: PageRequest,
) -> Result<InboxPage, AppError> {
    let person = caller.actor.person_id;
    let notifications = caller
        .scoped
        .notifications_of(person, unread_only, page)
        .await?;
    Ok(InboxPage {
        notifications,
        unread: caller.scoped.unread_count(person).await?,
    })
}

/// Marks one of the caller's notifications read (or, with `None`, all of
/// them); returns how many changed.
#[tracing::instrument(skip(caller))]
pub async fn mark_read(caller: &Caller<'_>, id: Option<i64>) -> Result<u64, AppError> {
    Ok(caller
        .scoped
        .mark_read(caller.actor.person_id, id, Timestamp::now())
        .await?)
}
