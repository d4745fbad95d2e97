//! The in-app inbox: a person's notifications, unread counts, marking read;
//! the weekly digest and action reminders that land in it.

use super::{Notice, notify};
use crate::rows::BindCommon;
use crate::time::{instant, optional_instant, to_db};
use crate::{Listing, PageRequest, Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::PersonId;
use roundtable_domain::notices;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub recipient_person_id: PersonId,
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, recipient_person_id, kind, subject_kind, subject_id, title, body, \
    link, created_at, read_at";

fn from_row(row: &AnyRow) -> Result<Notification, StoreError> {
    notification_from_row(row, "id")
}

/// The notification in a row of its columns, its id in `id_column` (a
/// delivery's query names it apart from the delivery's own).
pub(super) fn notification_from_row(
    row: &AnyRow,
    id_column: &str,
) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: row.try_get(id_column)?,
        recipient_person_id: PersonId(row.try_get("recipient_person_id")?),
        kind: row.try_get("kind")?,
        subject_kind: row.try_get("subject_kind")?,
        subject_id: row.try_get("subject_id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        link: row.try_get("link")?,
        created_at: instant(row, "created_at")?,
        read_at: optional_instant(row, "read_at")?,
    })
}

impl Scoped<'_> {
    /// One person's inbox, newest first.
    pub async fn notifications_of(
        &self,
        person: PersonId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Listing<Notification>, StoreError> {
        let unread = if unread_only {
            " AND read_at IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE organization_id = $1 AND \
                recipient_person_id = $2 AND id < $3{unread} ORDER BY id DESC LIMIT $4"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .bind_newest_first(page)
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, from_row, |notification| notification.id)
    }

    pub async fn unread_count(&self, person: PersonId) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE organization_id = $1 AND \
            recipient_person_id = $2 AND read_at IS NULL",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_one(self.store.reader())
        .await?)
    }

    /// Marks one notification (or, with `None`, all) of `person` read; returns how many changed.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, person = person.0, id = ?id))]
    pub async fn mark_read(
        &self,
        person: PersonId,
        id: Option<i64>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    if let Some(id) = id {
                        let owner: Option<i64> = sqlx::query_scalar(
                            "SELECT recipient_person_id FROM notifications WHERE \
                            organization_id = $1 AND id = $2",
                        )
                        .bind(organization.0)
                        .bind(id)
                        .fetch_optional(&mut **transaction)
                        .await?;
                        if owner != Some(person.0) {
                            return Err(StoreError::NotFound);
                        }
                    }
                    let changed = sqlx::query(
                        "UPDATE notifications SET read_at = $1 WHERE organization_id = $2 \
                            AND recipient_person_id = $3 AND read_at IS NULL AND ($4 = 0 OR \
                            id = $4)",
                    )
                    .bind(to_db(at))
                    .bind(organization.0)
                    .bind(person.0)
                    .bind(id.unwrap_or(0))
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                    Ok(changed)
                })
            })
            .await
    }
}

impl Scoped<'_> {
    /// Sends `notice` as `person`'s digest for `week` unless one was sent:
    /// the primary key makes it once per lead and week across instances.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn send_digest(
        &self,
        week: String,
        notice: Notice,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let claim = "INSERT INTO digests (organization_id, person_id, week, sent_at) VALUES \
            ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
        self.notify_once(claim, (notice.recipient.0, week), notice, at)
            .await
    }

    /// Reminds owners of open round-table actions due tomorrow (or today) and
    /// of overdue ones, each reminder once per action; returns how many were sent.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn remind_actions(
        &self,
        today: jiff::civil::Date,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let tomorrow = today.tomorrow().unwrap_or(today);
        let rows = sqlx::query(
            "SELECT id, title, owner_person_id, due_on FROM actions WHERE organization_id = $1 \
             AND status IN ('open', 'in_progress') AND due_on <= $2 ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(tomorrow.to_string())
        .fetch_all(self.store.reader())
        .await?;
        let mut sent = 0;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let title: String = row.try_get("title")?;
            let owner = PersonId(row.try_get("owner_person_id")?);
            let due_on: String = row.try_get("due_on")?;
            let overdue = due_on.as_str() < today.to_string().as_str();
            let (kind, reminder) = if overdue {
                ("action_overdue", "overdue")
            } else {
                ("action_due", "due")
            };
            let wording = notices::action_reminder(&title, &due_on, overdue);
            let notice = Notice {
                recipient: owner,
                kind,
                subject_kind: "action",
                subject_id: Some(id),
                title: wording.title,
                body: wording.body,
                link: format!("/actions/{id}"),
            };
            let claim = "INSERT INTO action_reminders (organization_id, action_id, kind, \
                sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
            let keys = (id, reminder.to_owned());
            if self.notify_once(claim, keys, notice, at).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Sends `notice` once, in one bookkeeping write: `claim`, an `INSERT
    /// … ON CONFLICT DO NOTHING` of the row that says it was sent (`$1` the
    /// organization, `$2` and `$3` the `keys`, `$4` when), inserts its row
    /// or finds it there; only a new row sends the notice. Whether it did.
    async fn notify_once(
        &self,
        claim: &'static str,
        keys: (i64, String),
        notice: Notice,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    let stamp = to_db(at);
                    let inserted = sqlx::query(claim)
                        .bind(organization.0)
                        .bind(keys.0)
                        .bind(keys.1)
                        .bind(stamp.clone())
                        .execute(&mut **transaction)
                        .await?
                        .rows_affected();
                    if inserted == 1 {
                        notify(transaction, organization, notice, &stamp).await?;
                    }
                    Ok(inserted == 1)
                })
            })
            .await
    }
}
