//! Round-table sessions with their agenda and rotating facilitator.

use crate::objectives::placeholders;
use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists};
use jiff::Timestamp;
use roundtable_domain::ids::{OrganizationId, PersonId};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: i64,
    pub scheduled_at: Timestamp,
    pub facilitator_person_id: PersonId,
    /// The agenda's topics, in order.
    pub topic_ids: Vec<i64>,
    pub notes: String,
    pub outcomes: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub scheduled_at: Timestamp,
    /// `None`: the round table rotates, so the lead who facilitated longest
    /// ago (or never) is named.
    pub facilitator_person_id: Option<PersonId>,
    /// `None`: the top-voted open topics, `agenda_size` of them.
    pub topic_ids: Option<Vec<i64>>,
    pub agenda_size: usize,
    pub notes: String,
}

#[derive(Debug, Clone, Default)]
pub struct SessionChanges {
    pub scheduled_at: Change<Timestamp>,
    pub facilitator_person_id: Change<PersonId>,
    pub notes: Change<String>,
    pub outcomes: Change<String>,
}

const SESSION_COLUMNS: &str =
    "id, scheduled_at, facilitator_person_id, notes, outcomes, version, created_at, updated_at";

fn session_from_row(row: &AnyRow) -> Result<Session, StoreError> {
    Ok(Session {
        id: row.try_get("id")?,
        scheduled_at: instant(row, "scheduled_at")?,
        facilitator_person_id: PersonId(row.try_get("facilitator_person_id")?),
        topic_ids: Vec::new(),
        notes: row.try_get("notes")?,
        outcomes: row.try_get("outcomes")?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(
    Session,
    "round_table_sessions",
    SESSION_COLUMNS,
    session_from_row
);

async fn attach_agenda<'e, E>(
    executor: E,
    organization: OrganizationId,
    sessions: &mut [Session],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if sessions.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT session_id, topic_id FROM session_topics WHERE organization_id = $1 AND \
            session_id IN ({}) ORDER BY position",
        placeholders(2, sessions.len())
    );
    let mut query = sqlx::query(&sql).bind(organization.0);
    for session in sessions.iter() {
        query = query.bind(session.id);
    }
    for row in query.fetch_all(executor).await? {
        let session_id: i64 = row.try_get("session_id")?;
        let topic_id: i64 = row.try_get("topic_id")?;
        if let Some(session) = sessions.iter_mut().find(|session| session.id == session_id) {
            session.topic_ids.push(topic_id);
        }
    }
    Ok(())
}

async fn fetch_session(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Session, StoreError> {
    let mut sessions =
        vec![crate::rows::get::<Session, _>(&mut **transaction, organization, id).await?];
    attach_agenda(&mut **transaction, organization, &mut sessions).await?;
    sessions.pop().ok_or(StoreError::NotFound)
}

/// The facilitator rotates: the active lead who facilitated longest ago (or never).
async fn next_facilitator(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
) -> Result<PersonId, StoreError> {
    let person: Option<i64> = sqlx::query_scalar(
        "SELECT p.id FROM people p LEFT JOIN (SELECT facilitator_person_id, \
            MAX(scheduled_at) AS last_time FROM round_table_sessions WHERE organization_id = \
            $1 GROUP BY facilitator_person_id) s ON s.facilitator_person_id = p.id WHERE \
            p.organization_id = $1 AND p.role = 'lead' AND p.active = 1 ORDER BY CASE WHEN \
            s.last_time IS NULL THEN 0 ELSE 1 END, s.last_time, p.id LIMIT 1",
    )
    .bind(organization.0)
    .fetch_optional(&mut **transaction)
    .await?;
    person.map(PersonId).ok_or_else(|| {
        StoreError::invalid(
            "facilitator_person_id",
            "is required: the organization has no lead to rotate to",
        )
    })
}

impl Scoped<'_> {
    // ------------------------------------------------------------ sessions

    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_round_table_session(&self, new: NewSession) -> Result<Session, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let facilitator = match new.facilitator_person_id {
                    Some(person) => {
                        crate::ensure_reference(
                            transaction,
                            organization,
                            person,
                            "facilitator_person_id",
                        )
                        .await?;
                        person
                    }
                    None => next_facilitator(transaction, organization).await?,
                };
                let topic_ids = match &new.topic_ids {
                    Some(ids) => {
                        for (index, topic) in ids.iter().enumerate() {
                            ensure_exists(
                                transaction,
                                "topics",
                                organization,
                                *topic,
                                &format!("topic_ids[{index}]"),
                            )
                            .await?;
                        }
                        let mut unique = Vec::new();
                        for id in ids {
                            if !unique.contains(id) {
                                unique.push(*id);
                            }
                        }
                        unique
                    }
                    None => {
                        sqlx::query_scalar::<_, i64>(
                            "SELECT t.id FROM topics t WHERE t.organization_id = $1 AND \
                                t.status = 'open' ORDER BY (SELECT COUNT(*) FROM topic_votes \
                                v WHERE v.organization_id = t.organization_id AND v.topic_id \
                                = t.id) DESC, t.id LIMIT $2",
                        )
                        .bind(organization.0)
                        .bind(i64::try_from(new.agenda_size).unwrap_or(i64::MAX))
                        .fetch_all(&mut **transaction)
                        .await?
                    }
                };
                let stamp = to_db(now());
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO round_table_sessions (organization_id, scheduled_at, \
                            facilitator_person_id, notes, created_at, updated_at) VALUES \
                            ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(organization.0)
                .bind(to_db(new.scheduled_at))
                .bind(facilitator.0)
                .bind(new.notes.clone())
                .bind(stamp)
                .fetch_one(&mut **transaction)
                .await?;
                for (position, topic) in topic_ids.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO session_topics (organization_id, session_id, \
                            topic_id, position) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .bind(*topic)
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .execute(&mut **transaction)
                    .await?;
                }
                audit
                    .record(
                        transaction,
                        "session.created",
                        id,
                        format!("scheduled with {} topics", topic_ids.len()),
                    )
                    .await?;
                fetch_session(transaction, organization, id).await
            })
        })
        .await
    }

    pub async fn round_table_session(&self, id: i64) -> Result<Session, StoreError> {
        let mut sessions =
            vec![crate::rows::get::<Session, _>(self.store.reader(), self.organization, id).await?];
        attach_agenda(self.store.reader(), self.organization, &mut sessions).await?;
        sessions.pop().ok_or(StoreError::NotFound)
    }

    pub async fn list_round_table_sessions(
        &self,
        page: PageRequest,
    ) -> Result<Listing<Session>, StoreError> {
        let items =
            crate::rows::list::<Session, _>(self.store.reader(), self.organization, page).await?;
        let mut listing = page.into_listing(items, |session| session.id);
        attach_agenda(self.store.reader(), self.organization, &mut listing.items).await?;
        Ok(listing)
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_round_table_session(
        &self,
        id: i64,
        changes: SessionChanges,
        expected_version: i64,
    ) -> Result<Session, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("scheduled_at", changes.scheduled_at.is_set()),
            (
                "facilitator_person_id",
                changes.facilitator_person_id.is_set(),
            ),
            ("notes", changes.notes.is_set()),
            ("outcomes", changes.outcomes.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "round_table_sessions", organization, id).await?;
                let current = fetch_session(transaction, organization, id).await?;
                crate::check_version(current.version, Some(expected_version))?;
                let facilitator = changes
                    .facilitator_person_id
                    .or(current.facilitator_person_id);
                crate::ensure_reference(
                    transaction,
                    organization,
                    facilitator,
                    "facilitator_person_id",
                )
                .await?;
                sqlx::query(
                    "UPDATE round_table_sessions SET scheduled_at = $1, \
                            facilitator_person_id = $2, notes = $3, outcomes = $4, version = \
                            version + 1, updated_at = $5 WHERE organization_id = $6 AND id = \
                            $7",
                )
                .bind(to_db(changes.scheduled_at.or(current.scheduled_at)))
                .bind(facilitator.0)
                .bind(changes.notes.or(current.notes))
                .bind(changes.outcomes.or(current.outcomes))
                .bind_now_and_row(organization, id)
                .execute(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "session.updated", id, detail)
                    .await?;
                fetch_session(transaction, organization, id).await
            })
        })
        .await
    }
}
