//! The audit log: who changed what in the organization, written in the same
//! transaction as the change itself, so the log can never disagree with the
//! data. The application only ever appends to it.

use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Funnel, Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::{OrganizationId, PersonId};
use sqlx::Row;

/// Where and by whom a change is made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    pub organization: OrganizationId,
    pub actor: Option<PersonId>,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    /// `None` when made by an operator's tool (the command line, the demo).
    pub actor_person_id: Option<PersonId>,
    /// e.g. `department.updated`.
    pub action: String,
    pub subject_kind: String,
    pub subject_id: Option<i64>,
    pub detail: String,
    pub created_at: Timestamp,
}

impl Context {
    /// Appends an entry inside the change's transaction: `action`, named
    /// `noun.verb` (e.g. `goal.created`), done to the noun's `subject_id`.
    pub(crate) async fn record(
        self,
        transaction: &mut WriteTransaction,
        action: &str,
        subject_id: i64,
        detail: String,
    ) -> Result<(), StoreError> {
        let subject_kind = action.split_once('.').map_or(action, |(noun, _)| noun);
        self.record_on(transaction, action, subject_kind, Some(subject_id), detail)
            .await
    }

    /// [`Context::record`] for an action on a subject of another kind than
    /// its noun (an import recorded on the organization), or on none.
    pub(crate) async fn record_on(
        self,
        transaction: &mut WriteTransaction,
        action: &str,
        subject_kind: &str,
        subject_id: Option<i64>,
        detail: String,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (organization_id, actor_person_id, action, subject_kind, \
                subject_id, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.organization.0)
        .bind(self.actor.map(|person| person.0))
        .bind(action.to_owned())
        .bind(subject_kind.to_owned())
        .bind(subject_id)
        .bind(detail)
        .bind(to_db(now()))
        .execute(&mut **transaction)
        .await?;
        Ok(())
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        actor_person_id: row
            .try_get::<Option<i64>, _>("actor_person_id")?
            .map(PersonId),
        action: row.try_get("action")?,
        subject_kind: row.try_get("subject_kind")?,
        subject_id: row.try_get("subject_id")?,
        detail: row.try_get("detail")?,
        created_at: instant(row, "created_at")?,
    })
}

impl Scoped<'_> {
    /// Appends a security event that changes no other data, such as a
    /// single sign-on or a refused one, in a transaction of its own. The actor
    /// is the handle's (`by`), or none for someone not yet signed in.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, subject_id = ?subject_id))]
    pub async fn record_security_event(
        &self,
        action: &str,
        subject_kind: &str,
        subject_id: Option<i64>,
        detail: String,
    ) -> Result<(), StoreError> {
        let action = action.to_owned();
        let subject_kind = subject_kind.to_owned();
        self.write_through(Funnel::Bookkeeping, move |transaction, audit| {
            Box::pin(async move {
                audit
                    .record_on(transaction, &action, &subject_kind, subject_id, detail)
                    .await
            })
        })
        .await
    }

    /// The organization's audit log, newest first; `page.after` continues
    /// below that entry id.
    pub async fn audit_log(&self, page: PageRequest) -> Result<Listing<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, actor_person_id, action, subject_kind, subject_id, detail, \
                created_at FROM audit_log WHERE organization_id = $1 AND id < $2 ORDER BY id \
                DESC LIMIT $3",
        )
        .bind(self.organization.0)
        .bind_newest_first(page)
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, entry_from_row, |entry| entry.id)
    }
}
