//! Actions agreed at the round table (or a review), owned and due.

use super::{corrupt, optional_date};
use crate::objectives::date_from_db;
use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::ids::PersonId;
use roundtable_domain::round_table::{ActionStatus, done_on_after};
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: i64,
    pub title: String,
    pub owner_person_id: PersonId,
    pub due_on: Date,
    pub status: ActionStatus,
    pub done_on: Option<Date>,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewAction {
    pub title: Label,
    pub owner_person_id: PersonId,
    pub due_on: Date,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ActionChanges {
    pub title: Change<Label>,
    pub owner_person_id: Change<PersonId>,
    pub due_on: Change<Date>,
    pub status: Change<ActionStatus>,
}

#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub status: Option<ActionStatus>,
    pub owner_person_id: Option<PersonId>,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
    /// `Some(true)`: only actions unfinished after their due date (as of
    /// `today`); `Some(false)`: only the others.
    pub overdue: Option<bool>,
    pub today: Option<Date>,
}

const ACTION_COLUMNS: &str = "id, title, owner_person_id, due_on, status, done_on, topic_id, \
    session_id, review_id, version, created_at, updated_at";

fn action_from_row(row: &AnyRow) -> Result<Action, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Action {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        owner_person_id: PersonId(row.try_get("owner_person_id")?),
        due_on: date_from_db(&row.try_get::<String, _>("due_on")?)?,
        status: ActionStatus::parse(&status).map_err(|_| corrupt("action status", &status))?,
        done_on: optional_date(row, "done_on")?,
        topic_id: row.try_get("topic_id")?,
        session_id: row.try_get("session_id")?,
        review_id: row.try_get("review_id")?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Action, "actions", ACTION_COLUMNS, action_from_row);

/// Inserts an action, once the references it makes are checked, and records
/// it in the audit log.
async fn insert_action(
    transaction: &mut WriteTransaction,
    audit: crate::audit::Context,
    new: NewAction,
) -> Result<Action, StoreError> {
    let organization = audit.organization;
    crate::ensure_reference(
        transaction,
        organization,
        new.owner_person_id,
        "owner_person_id",
    )
    .await?;
    ensure_exists(
        transaction,
        "topics",
        organization,
        new.topic_id,
        "topic_id",
    )
    .await?;
    ensure_exists(
        transaction,
        "round_table_sessions",
        organization,
        new.session_id,
        "session_id",
    )
    .await?;
    ensure_exists(
        transaction,
        "alignment_reviews",
        organization,
        new.review_id,
        "review_id",
    )
    .await?;
    let row = sqlx::query(&format!(
        "INSERT INTO actions (organization_id, title, owner_person_id, \
                due_on, topic_id, session_id, review_id, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING \
                {ACTION_COLUMNS}"
    ))
    .bind(organization.0)
    .bind(new.title.as_str().to_owned())
    .bind(new.owner_person_id.0)
    .bind(new.due_on.to_string())
    .bind(new.topic_id)
    .bind(new.session_id)
    .bind(new.review_id)
    .bind(to_db(now()))
    .fetch_one(&mut **transaction)
    .await?;
    let action = action_from_row(&row)?;
    audit
        .record(
            transaction,
            "action.created",
            action.id,
            format!("created {}", action.title),
        )
        .await?;
    Ok(action)
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_action(&self, new: NewAction) -> Result<Action, StoreError> {
        self.write_audited(move |transaction, audit| {
            Box::pin(insert_action(transaction, audit, new))
        })
        .await
    }

    pub async fn action(&self, id: i64) -> Result<Action, StoreError> {
        crate::rows::get::<Action, _>(self.store.reader(), self.organization, id).await
    }

    /// Actions in id order.
    pub async fn list_actions(
        &self,
        filter: ActionFilter,
        page: PageRequest,
    ) -> Result<Listing<Action>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE organization_id = $1 AND id > $2 \
                AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR owner_person_id = $4) AND \
                ($5 IS NULL OR topic_id = $5) AND ($6 IS NULL OR session_id = $6) AND ($7 IS \
                NULL OR review_id = $7) AND ($8 IS NULL OR ($8 = 1) = (status IN ('open', \
                'in_progress') AND due_on < $9)) ORDER BY id LIMIT $10"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.status.map(ActionStatus::as_str))
        .bind(filter.owner_person_id.map(|person| person.0))
        .bind(filter.topic_id)
        .bind(filter.session_id)
        .bind(filter.review_id)
        .bind(filter.overdue.map(i64::from))
        .bind(filter.today.unwrap_or_default().to_string())
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, action_from_row, |action| action.id)
    }

    /// Every action unfinished after its due date, most overdue first.
    pub async fn overdue_actions(
        &self,
        today: Date,
        limit: usize,
    ) -> Result<Vec<Action>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE organization_id = $1 AND status \
                IN ('open', 'in_progress') AND due_on < $2 ORDER BY due_on, id LIMIT $3"
        ))
        .bind(self.organization.0)
        .bind(today.to_string())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(action_from_row).collect()
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_action(
        &self,
        id: i64,
        changes: ActionChanges,
        expected_version: i64,
        today: Date,
    ) -> Result<Action, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("title", changes.title.is_set()),
            ("owner_person_id", changes.owner_person_id.is_set()),
            ("due_on", changes.due_on.is_set()),
            ("status", changes.status.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current: Action =
                    crate::locked(transaction, organization, id, Some(expected_version)).await?;
                let owner = changes.owner_person_id.or(current.owner_person_id);
                crate::ensure_reference(transaction, organization, owner, "owner_person_id")
                    .await?;
                let status = changes.status.or(current.status);
                let done_on = done_on_after(current.status, current.done_on, status, today);
                let title = match changes.title {
                    Change::Set(title) => title.into_string(),
                    Change::Keep => current.title,
                };
                let row = sqlx::query(&format!(
                    "UPDATE actions SET title = $1, owner_person_id = $2, due_on = \
                            $3, status = $4, done_on = $5, version = version + 1, updated_at \
                            = $6 WHERE organization_id = $7 AND id = $8 RETURNING \
                            {ACTION_COLUMNS}"
                ))
                .bind(title)
                .bind(owner.0)
                .bind(changes.due_on.or(current.due_on).to_string())
                .bind(status.as_str())
                .bind(done_on.map(|day| day.to_string()))
                .bind_now_and_row(organization, id)
                .fetch_one(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "action.updated", id, detail)
                    .await?;
                action_from_row(&row)
            })
        })
        .await
    }
}
