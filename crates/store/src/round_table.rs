//! The round table: topics with votes and comments, sessions with their
//! agenda, actions, and enhancements.
//!
//! The workflows' rules come from `domain::round_table`; a step the rules
//! refuse is a [`StoreError::Conflict`] naming `status`. An anonymous topic
//! is written with no author anywhere: not in its row and not in the audit
//! log (its entry carries no actor).

use crate::objectives::{date_from_db, placeholders};
use crate::time::{from_db, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::round_table::{
    ActionStatus, AssumptionAnswer, EnhancementStatus, EnhancementStepError, InvalidTransition,
    TopicKind, TopicStatus, check_answerable, done_on_after,
};
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

fn conflict(transition: InvalidTransition) -> StoreError {
    StoreError::Conflict {
        field: Some("status".to_owned()),
        message: transition.to_string(),
    }
}

fn corrupt(what: &str, text: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {text:?}"))
}

fn optional_instant(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| from_db(&text))
        .transpose()
}

fn optional_date(row: &AnyRow, column: &str) -> Result<Option<Date>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| date_from_db(&text))
        .transpose()
}

fn person(row: &AnyRow, column: &str) -> Result<Option<PersonId>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(PersonId))
}

// ---------------------------------------------------------------- topics

/// How the department an assumption is about answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub answer: AssumptionAnswer,
    pub note: String,
    pub answered_by: Option<PersonId>,
    pub answered_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub id: i64,
    pub kind: TopicKind,
    pub title: String,
    pub body: String,
    pub mirror: Option<String>,
    pub from_department_id: DepartmentId,
    /// `None`: about the whole organization.
    pub about_department_id: Option<DepartmentId>,
    pub from_department_name: String,
    pub about_department_name: Option<String>,
    /// `None` for an anonymous topic: no author is stored.
    pub author_person_id: Option<PersonId>,
    pub service_id: Option<i64>,
    pub request_ids: Vec<i64>,
    pub status: TopicStatus,
    pub answer: Option<Answer>,
    pub votes: i64,
    pub comments: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewTopic {
    pub kind: TopicKind,
    pub title: Label,
    pub body: String,
    pub mirror: Option<String>,
    pub from_department_id: DepartmentId,
    pub about_department_id: Option<DepartmentId>,
    /// `None` posts anonymously.
    pub author_person_id: Option<PersonId>,
    pub service_id: Option<i64>,
    pub request_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct TopicChanges {
    pub title: Change<Label>,
    pub body: Change<String>,
    pub mirror: Change<String>,
    pub status: Change<TopicStatus>,
}

#[derive(Debug, Clone, Default)]
pub struct TopicFilter {
    pub status: Option<TopicStatus>,
    pub kind: Option<TopicKind>,
    pub about_department_id: Option<DepartmentId>,
    pub from_department_id: Option<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub topic_id: i64,
    pub author_person_id: PersonId,
    pub body: String,
    pub created_at: Timestamp,
}

const TOPIC_COLUMNS: &str = "t.id, t.kind, t.title, t.body, t.mirror, t.from_department_id, t.about_department_id, \
     t.author_person_id, t.service_id, t.status, t.answer, t.answer_note, t.answered_by, t.answered_at, t.version, \
     t.created_at, t.updated_at, \
     (SELECT COUNT(*) FROM topic_votes v WHERE v.organization_id = t.organization_id AND v.topic_id = t.id) AS votes, \
     (SELECT COUNT(*) FROM topic_comments c WHERE c.organization_id = t.organization_id AND c.topic_id = t.id) AS comments, \
     (SELECT d.name FROM departments d WHERE d.organization_id = t.organization_id AND d.id = t.from_department_id) AS from_department_name, \
     (SELECT d.name FROM departments d WHERE d.organization_id = t.organization_id AND d.id = t.about_department_id) AS about_department_name";

fn topic_from_row(row: &AnyRow) -> Result<Topic, StoreError> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let answer = match row.try_get::<Option<String>, _>("answer")? {
        None => None,
        Some(text) => Some(Answer {
            answer: AssumptionAnswer::parse(&text).map_err(|_| corrupt("answer", &text))?,
            note: row
                .try_get::<Option<String>, _>("answer_note")?
                .unwrap_or_default(),
            answered_by: person(row, "answered_by")?,
            answered_at: optional_instant(row, "answered_at")?.unwrap_or_default(),
        }),
    };
    Ok(Topic {
        id: row.try_get("id")?,
        kind: TopicKind::parse(&kind).map_err(|_| corrupt("topic kind", &kind))?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        mirror: row.try_get("mirror")?,
        from_department_id: DepartmentId(row.try_get("from_department_id")?),
        about_department_id: row
            .try_get::<Option<i64>, _>("about_department_id")?
            .map(DepartmentId),
        from_department_name: row
            .try_get::<Option<String>, _>("from_department_name")?
            .unwrap_or_default(),
        about_department_name: row.try_get("about_department_name")?,
        author_person_id: person(row, "author_person_id")?,
        service_id: row.try_get("service_id")?,
        request_ids: Vec::new(),
        status: TopicStatus::parse(&status).map_err(|_| corrupt("topic status", &status))?,
        answer,
        votes: row.try_get("votes")?,
        comments: row.try_get("comments")?,
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

async fn attach_requests<'e, E>(
    executor: E,
    organization: OrganizationId,
    topics: &mut [Topic],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if topics.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT topic_id, request_id FROM topic_requests WHERE organization_id = $1 AND topic_id IN ({}) ORDER BY request_id",
        placeholders(2, topics.len())
    );
    let mut query = sqlx::query(&sql).bind(organization.0);
    for topic in topics.iter() {
        query = query.bind(topic.id);
    }
    for row in query.fetch_all(executor).await? {
        let topic_id: i64 = row.try_get("topic_id")?;
        let request_id: i64 = row.try_get("request_id")?;
        if let Some(topic) = topics.iter_mut().find(|topic| topic.id == topic_id) {
            topic.request_ids.push(request_id);
        }
    }
    Ok(())
}

async fn fetch_topic(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Topic, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND t.id = $2"
    ))
    .bind(organization.0)
    .bind(id)
    .fetch_optional(&mut **transaction)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut topics = vec![topic_from_row(&row)?];
    attach_requests(&mut **transaction, organization, &mut topics).await?;
    topics.pop().ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------- sessions

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
    /// `None`: the round table rotates, so the lead who facilitated longest ago (or never) is named.
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
        scheduled_at: from_db(&row.try_get::<String, _>("scheduled_at")?)?,
        facilitator_person_id: PersonId(row.try_get("facilitator_person_id")?),
        topic_ids: Vec::new(),
        notes: row.try_get("notes")?,
        outcomes: row.try_get("outcomes")?,
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

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
        "SELECT session_id, topic_id FROM session_topics WHERE organization_id = $1 AND session_id IN ({}) ORDER BY position",
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
    let row = crate::rows::one(
        &mut **transaction,
        "round_table_sessions",
        SESSION_COLUMNS,
        organization,
        id,
    )
    .await?;
    let mut sessions = vec![session_from_row(&row)?];
    attach_agenda(&mut **transaction, organization, &mut sessions).await?;
    sessions.pop().ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------- actions

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

const ACTION_COLUMNS: &str = "id, title, owner_person_id, due_on, status, done_on, topic_id, session_id, review_id, \
     version, created_at, updated_at";

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
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

async fn fetch_action(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Action, StoreError> {
    let row = crate::rows::one(
        &mut **transaction,
        "actions",
        ACTION_COLUMNS,
        organization,
        id,
    )
    .await?;
    action_from_row(&row)
}

// ---------------------------------------------------------------- enhancements

#[derive(Debug, Clone, PartialEq)]
pub struct Enhancement {
    pub id: i64,
    pub objective_id: i64,
    pub title: String,
    pub description: String,
    pub status: EnhancementStatus,
    pub department_ids: Vec<DepartmentId>,
    /// Each proposing department's confirmation, in `department_ids` order.
    pub confirmations: Vec<EnhancementConfirmation>,
    pub sponsor_person_id: Option<PersonId>,
    pub sponsored_at: Option<Timestamp>,
    pub decline_reason: Option<String>,
    pub proposed_by: Option<PersonId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Whether (and when, and by whom) one proposing department confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct EnhancementConfirmation {
    pub department_id: DepartmentId,
    pub confirmed_at: Option<Timestamp>,
    pub confirmed_by: Option<PersonId>,
}

impl Enhancement {
    /// The proposing departments that have not confirmed yet.
    pub fn awaiting_confirmation(&self) -> Vec<DepartmentId> {
        self.confirmations
            .iter()
            .filter(|confirmation| confirmation.confirmed_at.is_none())
            .map(|confirmation| confirmation.department_id)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct NewEnhancement {
    pub objective_id: i64,
    pub title: Label,
    pub description: String,
    pub department_ids: Vec<DepartmentId>,
}

const ENHANCEMENT_COLUMNS: &str = "id, objective_id, title, description, status, sponsor_person_id, sponsored_at, \
     decline_reason, proposed_by, version, created_at, updated_at";

fn enhancement_from_row(row: &AnyRow) -> Result<Enhancement, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Enhancement {
        id: row.try_get("id")?,
        objective_id: row.try_get("objective_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: EnhancementStatus::parse(&status)
            .map_err(|_| corrupt("enhancement status", &status))?,
        department_ids: Vec::new(),
        confirmations: Vec::new(),
        sponsor_person_id: person(row, "sponsor_person_id")?,
        sponsored_at: optional_instant(row, "sponsored_at")?,
        decline_reason: row.try_get("decline_reason")?,
        proposed_by: person(row, "proposed_by")?,
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

async fn attach_departments<'e, E>(
    executor: E,
    organization: OrganizationId,
    enhancements: &mut [Enhancement],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if enhancements.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT enhancement_id, department_id, confirmed_at, confirmed_by FROM enhancement_departments \
         WHERE organization_id = $1 AND enhancement_id IN ({}) ORDER BY department_id",
        placeholders(2, enhancements.len())
    );
    let mut query = sqlx::query(&sql).bind(organization.0);
    for enhancement in enhancements.iter() {
        query = query.bind(enhancement.id);
    }
    for row in query.fetch_all(executor).await? {
        let enhancement_id: i64 = row.try_get("enhancement_id")?;
        let department = DepartmentId(row.try_get("department_id")?);
        let confirmation = EnhancementConfirmation {
            department_id: department,
            confirmed_at: optional_instant(&row, "confirmed_at")?,
            confirmed_by: person(&row, "confirmed_by")?,
        };
        if let Some(enhancement) = enhancements
            .iter_mut()
            .find(|enhancement| enhancement.id == enhancement_id)
        {
            enhancement.department_ids.push(department);
            enhancement.confirmations.push(confirmation);
        }
    }
    Ok(())
}

async fn fetch_enhancement(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Enhancement, StoreError> {
    let row = crate::rows::one(
        &mut **transaction,
        "enhancements",
        ENHANCEMENT_COLUMNS,
        organization,
        id,
    )
    .await?;
    let mut enhancements = vec![enhancement_from_row(&row)?];
    attach_departments(&mut **transaction, organization, &mut enhancements).await?;
    enhancements.pop().ok_or(StoreError::NotFound)
}

impl Scoped<'_> {
    // ------------------------------------------------------------ topics

    pub async fn create_topic(&self, new: NewTopic) -> Result<Topic, StoreError> {
        let organization = self.organization;
        let mut audit = self.audit_context();
        if new.author_person_id.is_none() {
            // Anonymous: not even the audit log may say who wrote it.
            audit.actor = None;
        }
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    ensure_exists(transaction, "departments", organization, new.from_department_id.0, "from_department_id").await?;
                    if let Some(about) = new.about_department_id {
                        ensure_exists(transaction, "departments", organization, about.0, "about_department_id").await?;
                    }
                    if let Some(service) = new.service_id {
                        ensure_exists(transaction, "services", organization, service, "service_id").await?;
                    }
                    for (index, request) in new.request_ids.iter().enumerate() {
                        ensure_exists(transaction, "requests", organization, *request, &format!("request_ids[{index}]")).await?;
                    }
                    let stamp = to_db(now());
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO topics (organization_id, kind, title, body, mirror, from_department_id, about_department_id, \
                         author_person_id, service_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                    )
                    .bind(organization.0)
                    .bind(new.kind.as_str())
                    .bind(new.title.as_str().to_owned())
                    .bind(new.body.clone())
                    .bind(new.mirror.clone())
                    .bind(new.from_department_id.0)
                    .bind(new.about_department_id.map(|department| department.0))
                    .bind(new.author_person_id.map(|person| person.0))
                    .bind(new.service_id)
                    .bind(stamp)
                    .fetch_one(&mut **transaction)
                    .await?;
                    let mut request_ids = new.request_ids.clone();
                    request_ids.sort_unstable();
                    request_ids.dedup();
                    for request in request_ids {
                        sqlx::query("INSERT INTO topic_requests (organization_id, topic_id, request_id) VALUES ($1, $2, $3)")
                            .bind(organization.0)
                            .bind(id)
                            .bind(request)
                            .execute(&mut **transaction)
                            .await?;
                    }
                    let detail = format!("raised a {}", new.kind.as_str());
                    crate::audit::record(transaction, audit, "topic.created", "topic", id, detail).await?;
                    fetch_topic(transaction, organization, id).await
                })
            })
            .await
    }

    pub async fn topic(&self, id: i64) -> Result<Topic, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND t.id = $2"
        ))
        .bind(self.organization.0)
        .bind(id)
        .fetch_optional(self.store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut topics = vec![topic_from_row(&row)?];
        attach_requests(self.store.reader(), self.organization, &mut topics).await?;
        topics.pop().ok_or(StoreError::NotFound)
    }

    /// Topics in id order.
    pub async fn list_topics(
        &self,
        filter: TopicFilter,
        page: PageRequest,
    ) -> Result<Listing<Topic>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND t.id > $2 \
             AND ($3 IS NULL OR t.status = $3) AND ($4 IS NULL OR t.kind = $4) \
             AND ($5 IS NULL OR t.about_department_id = $5) AND ($6 IS NULL OR t.from_department_id = $6) \
             ORDER BY t.id LIMIT $7"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.status.map(TopicStatus::as_str))
        .bind(filter.kind.map(TopicKind::as_str))
        .bind(filter.about_department_id.map(|department| department.0))
        .bind(filter.from_department_id.map(|department| department.0))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows
            .iter()
            .map(topic_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut listing = page.into_listing(items, |topic| topic.id);
        attach_requests(self.store.reader(), self.organization, &mut listing.items).await?;
        Ok(listing)
    }

    /// The open topics with the most votes (older first among equals).
    pub async fn top_voted_open_topics(&self, limit: usize) -> Result<Vec<Topic>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND t.status = 'open' \
             ORDER BY votes DESC, t.id LIMIT $2"
        ))
        .bind(self.organization.0)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.store.reader())
        .await?;
        let mut topics = rows
            .iter()
            .map(topic_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_requests(self.store.reader(), self.organization, &mut topics).await?;
        Ok(topics)
    }

    pub async fn update_topic(
        &self,
        id: i64,
        changes: TopicChanges,
        expected_version: i64,
    ) -> Result<Topic, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let detail = crate::departments::changed_fields(&[
            ("title", changes.title.is_set()),
            ("body", changes.body.is_set()),
            ("mirror", changes.mirror.is_set()),
            ("status", changes.status.is_set()),
        ]);
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "topics", organization, id).await?;
                    let current = fetch_topic(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
                    let status = match changes.status {
                        Change::Set(next) if next != current.status => current.status.move_to(next).map_err(conflict)?,
                        _ => current.status,
                    };
                    let mirror = match changes.mirror {
                        Change::Set(mirror) => Some(mirror),
                        Change::Keep => current.mirror,
                    };
                    roundtable_domain::round_table::check_topic(current.kind, mirror.as_deref()).map_err(StoreError::Invalid)?;
                    let title = match changes.title {
                        Change::Set(title) => title.into_string(),
                        Change::Keep => current.title,
                    };
                    sqlx::query(
                        "UPDATE topics SET title = $1, body = $2, mirror = $3, status = $4, version = version + 1, updated_at = $5 \
                         WHERE organization_id = $6 AND id = $7",
                    )
                    .bind(title)
                    .bind(changes.body.or(current.body))
                    .bind(mirror)
                    .bind(status.as_str())
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    crate::audit::record(transaction, audit, "topic.updated", "topic", id, detail).await?;
                    fetch_topic(transaction, organization, id).await
                })
            })
            .await
    }

    /// Records the answer of the department an assumption is about.
    pub async fn answer_topic(
        &self,
        id: i64,
        answer: AssumptionAnswer,
        note: String,
    ) -> Result<Topic, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "topics", organization, id).await?;
                    let current = fetch_topic(transaction, organization, id).await?;
                    check_answerable(current.kind, current.about_department_id.is_some(), current.answer.is_some())
                        .map_err(|message| StoreError::Conflict { field: Some("answer".to_owned()), message: message.to_owned() })?;
                    sqlx::query(
                        "UPDATE topics SET answer = $1, answer_note = $2, answered_by = $3, answered_at = $4, version = version + 1, updated_at = $4 \
                         WHERE organization_id = $5 AND id = $6",
                    )
                    .bind(answer.as_str())
                    .bind(note)
                    .bind(audit.actor.map(|person| person.0))
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    crate::audit::record(transaction, audit, "topic.answered", "topic", id, format!("answered {}", answer.as_str())).await?;
                    let topic = fetch_topic(transaction, organization, id).await?;
                    // The author hears the answer (an anonymous topic has no one to tell).
                    if let Some(author) = topic.author_person_id {
                        let notice = crate::notifications::Notice {
                            recipient: author,
                            kind: "assumption_answered",
                            subject_kind: "topic",
                            subject_id: Some(id),
                            title: format!("Your assumption was {}: {}", answer.as_str(), topic.title),
                            body: topic.answer.as_ref().map(|answer| answer.note.clone()).unwrap_or_default(),
                            link: format!("/topics/{id}"),
                        };
                        crate::notifications::notify_each(transaction, organization, &[author], audit.actor, notice, &to_db(now())).await?;
                    }
                    Ok(topic)
                })
            })
            .await
    }

    /// One vote per person: voting again changes nothing.
    pub async fn vote_for_topic(&self, id: i64, voter: PersonId) -> Result<Topic, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    fetch_topic(transaction, organization, id).await?;
                    sqlx::query(
                        "INSERT INTO topic_votes (organization_id, topic_id, person_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .bind(voter.0)
                    .bind(to_db(now()))
                    .execute(&mut **transaction)
                    .await?;
                    fetch_topic(transaction, organization, id).await
                })
            })
            .await
    }

    /// Withdraws a person's vote (nothing happens if there was none).
    pub async fn withdraw_vote(&self, id: i64, voter: PersonId) -> Result<Topic, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    fetch_topic(transaction, organization, id).await?;
                    sqlx::query("DELETE FROM topic_votes WHERE organization_id = $1 AND topic_id = $2 AND person_id = $3")
                        .bind(organization.0)
                        .bind(id)
                        .bind(voter.0)
                        .execute(&mut **transaction)
                        .await?;
                    fetch_topic(transaction, organization, id).await
                })
            })
            .await
    }

    /// Whether `person` has voted for each of `topic_ids`.
    pub async fn topics_voted_by(
        &self,
        person: PersonId,
        topic_ids: &[i64],
    ) -> Result<Vec<i64>, StoreError> {
        if topic_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT topic_id FROM topic_votes WHERE organization_id = $1 AND person_id = $2 AND topic_id IN ({})",
            placeholders(3, topic_ids.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql)
            .bind(self.organization.0)
            .bind(person.0);
        for id in topic_ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(self.store.reader()).await?)
    }

    pub async fn add_topic_comment(
        &self,
        id: i64,
        author: PersonId,
        body: String,
    ) -> Result<Comment, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    fetch_topic(transaction, organization, id).await?;
                    let row = sqlx::query(
                        "INSERT INTO topic_comments (organization_id, topic_id, author_person_id, body, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id, topic_id, author_person_id, body, created_at",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .bind(author.0)
                    .bind(body)
                    .bind(to_db(now()))
                    .fetch_one(&mut **transaction)
                    .await?;
                    comment_from_row(&row)
                })
            })
            .await
    }

    /// A topic's comments, oldest first.
    pub async fn topic_comments(&self, id: i64) -> Result<Vec<Comment>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, topic_id, author_person_id, body, created_at FROM topic_comments \
             WHERE organization_id = $1 AND topic_id = $2 ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(id)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(comment_from_row).collect()
    }

    // ------------------------------------------------------------ sessions

    pub async fn create_round_table_session(&self, new: NewSession) -> Result<Session, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let facilitator = match new.facilitator_person_id {
                        Some(person) => {
                            ensure_exists(transaction, "people", organization, person.0, "facilitator_person_id").await?;
                            person
                        }
                        None => next_facilitator(transaction, organization).await?,
                    };
                    let topic_ids = match &new.topic_ids {
                        Some(ids) => {
                            for (index, topic) in ids.iter().enumerate() {
                                ensure_exists(transaction, "topics", organization, *topic, &format!("topic_ids[{index}]")).await?;
                            }
                            let mut unique = Vec::new();
                            for id in ids {
                                if !unique.contains(id) {
                                    unique.push(*id);
                                }
                            }
                            unique
                        }
                        None => sqlx::query_scalar::<_, i64>(
                            "SELECT t.id FROM topics t WHERE t.organization_id = $1 AND t.status = 'open' \
                             ORDER BY (SELECT COUNT(*) FROM topic_votes v WHERE v.organization_id = t.organization_id AND v.topic_id = t.id) DESC, t.id LIMIT $2",
                        )
                        .bind(organization.0)
                        .bind(i64::try_from(new.agenda_size).unwrap_or(i64::MAX))
                        .fetch_all(&mut **transaction)
                        .await?,
                    };
                    let stamp = to_db(now());
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO round_table_sessions (organization_id, scheduled_at, facilitator_person_id, notes, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                    )
                    .bind(organization.0)
                    .bind(to_db(new.scheduled_at))
                    .bind(facilitator.0)
                    .bind(new.notes.clone())
                    .bind(stamp)
                    .fetch_one(&mut **transaction)
                    .await?;
                    for (position, topic) in topic_ids.iter().enumerate() {
                        sqlx::query("INSERT INTO session_topics (organization_id, session_id, topic_id, position) VALUES ($1, $2, $3, $4)")
                            .bind(organization.0)
                            .bind(id)
                            .bind(*topic)
                            .bind(i64::try_from(position).unwrap_or(i64::MAX))
                            .execute(&mut **transaction)
                            .await?;
                    }
                    crate::audit::record(transaction, audit, "session.created", "session", id, format!("scheduled with {} topics", topic_ids.len())).await?;
                    fetch_session(transaction, organization, id).await
                })
            })
            .await
    }

    pub async fn round_table_session(&self, id: i64) -> Result<Session, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "round_table_sessions",
            SESSION_COLUMNS,
            self.organization,
            id,
        )
        .await?;
        let mut sessions = vec![session_from_row(&row)?];
        attach_agenda(self.store.reader(), self.organization, &mut sessions).await?;
        sessions.pop().ok_or(StoreError::NotFound)
    }

    pub async fn list_round_table_sessions(
        &self,
        page: PageRequest,
    ) -> Result<Listing<Session>, StoreError> {
        let rows = crate::rows::page(
            self.store.reader(),
            "round_table_sessions",
            SESSION_COLUMNS,
            self.organization,
            page,
        )
        .await?;
        let items = rows
            .iter()
            .map(session_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut listing = page.into_listing(items, |session| session.id);
        attach_agenda(self.store.reader(), self.organization, &mut listing.items).await?;
        Ok(listing)
    }

    pub async fn update_round_table_session(
        &self,
        id: i64,
        changes: SessionChanges,
        expected_version: i64,
    ) -> Result<Session, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let detail = crate::departments::changed_fields(&[
            ("scheduled_at", changes.scheduled_at.is_set()),
            (
                "facilitator_person_id",
                changes.facilitator_person_id.is_set(),
            ),
            ("notes", changes.notes.is_set()),
            ("outcomes", changes.outcomes.is_set()),
        ]);
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "round_table_sessions", organization, id).await?;
                    let current = fetch_session(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
                    let facilitator = changes.facilitator_person_id.or(current.facilitator_person_id);
                    ensure_exists(transaction, "people", organization, facilitator.0, "facilitator_person_id").await?;
                    sqlx::query(
                        "UPDATE round_table_sessions SET scheduled_at = $1, facilitator_person_id = $2, notes = $3, outcomes = $4, \
                         version = version + 1, updated_at = $5 WHERE organization_id = $6 AND id = $7",
                    )
                    .bind(to_db(changes.scheduled_at.or(current.scheduled_at)))
                    .bind(facilitator.0)
                    .bind(changes.notes.or(current.notes))
                    .bind(changes.outcomes.or(current.outcomes))
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    crate::audit::record(transaction, audit, "session.updated", "session", id, detail).await?;
                    fetch_session(transaction, organization, id).await
                })
            })
            .await
    }

    // ------------------------------------------------------------ actions

    pub async fn create_action(&self, new: NewAction) -> Result<Action, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    ensure_exists(transaction, "people", organization, new.owner_person_id.0, "owner_person_id").await?;
                    if let Some(topic) = new.topic_id {
                        ensure_exists(transaction, "topics", organization, topic, "topic_id").await?;
                    }
                    if let Some(session) = new.session_id {
                        ensure_exists(transaction, "round_table_sessions", organization, session, "session_id").await?;
                    }
                    if let Some(review) = new.review_id {
                        ensure_exists(transaction, "alignment_reviews", organization, review, "review_id").await?;
                    }
                    let row = sqlx::query(&format!(
                        "INSERT INTO actions (organization_id, title, owner_person_id, due_on, topic_id, session_id, review_id, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {ACTION_COLUMNS}"
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
                    crate::audit::record(transaction, audit, "action.created", "action", action.id, format!("created {}", action.title)).await?;
                    Ok(action)
                })
            })
            .await
    }

    pub async fn action(&self, id: i64) -> Result<Action, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "actions",
            ACTION_COLUMNS,
            self.organization,
            id,
        )
        .await?;
        action_from_row(&row)
    }

    /// Actions in id order.
    pub async fn list_actions(
        &self,
        filter: ActionFilter,
        page: PageRequest,
    ) -> Result<Listing<Action>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE organization_id = $1 AND id > $2 \
             AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR owner_person_id = $4) \
             AND ($5 IS NULL OR topic_id = $5) AND ($6 IS NULL OR session_id = $6) AND ($7 IS NULL OR review_id = $7) \
             AND ($8 IS NULL OR ($8 = 1) = (status IN ('open', 'in_progress') AND due_on < $9)) \
             ORDER BY id LIMIT $10"
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
        let items = rows
            .iter()
            .map(action_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page.into_listing(items, |action| action.id))
    }

    /// Every action unfinished after its due date, most overdue first.
    pub async fn overdue_actions(
        &self,
        today: Date,
        limit: usize,
    ) -> Result<Vec<Action>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE organization_id = $1 AND status IN ('open', 'in_progress') \
             AND due_on < $2 ORDER BY due_on, id LIMIT $3"
        ))
        .bind(self.organization.0)
        .bind(today.to_string())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(action_from_row).collect()
    }

    pub async fn update_action(
        &self,
        id: i64,
        changes: ActionChanges,
        expected_version: i64,
        today: Date,
    ) -> Result<Action, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let detail = crate::departments::changed_fields(&[
            ("title", changes.title.is_set()),
            ("owner_person_id", changes.owner_person_id.is_set()),
            ("due_on", changes.due_on.is_set()),
            ("status", changes.status.is_set()),
        ]);
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "actions", organization, id).await?;
                    let current = fetch_action(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
                    let owner = changes.owner_person_id.or(current.owner_person_id);
                    ensure_exists(transaction, "people", organization, owner.0, "owner_person_id").await?;
                    let status = changes.status.or(current.status);
                    let done_on = done_on_after(current.status, current.done_on, status, today);
                    let title = match changes.title {
                        Change::Set(title) => title.into_string(),
                        Change::Keep => current.title,
                    };
                    let row = sqlx::query(&format!(
                        "UPDATE actions SET title = $1, owner_person_id = $2, due_on = $3, status = $4, done_on = $5, \
                         version = version + 1, updated_at = $6 WHERE organization_id = $7 AND id = $8 RETURNING {ACTION_COLUMNS}"
                    ))
                    .bind(title)
                    .bind(owner.0)
                    .bind(changes.due_on.or(current.due_on).to_string())
                    .bind(status.as_str())
                    .bind(done_on.map(|day| day.to_string()))
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id)
                    .fetch_one(&mut **transaction)
                    .await?;
                    crate::audit::record(transaction, audit, "action.updated", "action", id, detail).await?;
                    action_from_row(&row)
                })
            })
            .await
    }

    // ------------------------------------------------------------ enhancements

    pub async fn create_enhancement(&self, new: NewEnhancement) -> Result<Enhancement, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    ensure_exists(transaction, "objectives", organization, new.objective_id, "objective_id").await?;
                    for (index, department) in new.department_ids.iter().enumerate() {
                        ensure_exists(transaction, "departments", organization, department.0, &format!("department_ids[{index}]")).await?;
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO enhancements (organization_id, objective_id, title, description, proposed_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                    )
                    .bind(organization.0)
                    .bind(new.objective_id)
                    .bind(new.title.as_str().to_owned())
                    .bind(new.description.clone())
                    .bind(audit.actor.map(|person| person.0))
                    .bind(to_db(now()))
                    .fetch_one(&mut **transaction)
                    .await?;
                    // The proposer speaks for the departments they lead; each
                    // other department confirms for itself.
                    let proposer_leads = match audit.actor {
                        Some(proposer) => departments_led_by(transaction, organization, proposer).await?,
                        None => Vec::new(),
                    };
                    let stamp = to_db(now());
                    for department in &new.department_ids {
                        let confirmed = proposer_leads.contains(department);
                        sqlx::query(
                            "INSERT INTO enhancement_departments (organization_id, enhancement_id, department_id, confirmed_at, confirmed_by) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(organization.0)
                        .bind(id)
                        .bind(department.0)
                        .bind(confirmed.then(|| stamp.clone()))
                        .bind(if confirmed { audit.actor.map(|person| person.0) } else { None })
                        .execute(&mut **transaction)
                        .await?;
                    }
                    crate::audit::record(transaction, audit, "enhancement.proposed", "enhancement", id, format!("proposed {}", new.title.as_str())).await?;
                    let enhancement = fetch_enhancement(transaction, organization, id).await?;
                    let awaiting = enhancement.awaiting_confirmation();
                    let mut recipients = Vec::new();
                    for department in &awaiting {
                        recipients.extend(crate::notifications::leads_of(transaction, organization, department.0).await?);
                    }
                    let notice = crate::notifications::Notice {
                        recipient: PersonId(0),
                        kind: "enhancement_status",
                        subject_kind: "enhancement",
                        subject_id: Some(id),
                        title: format!("Confirm to co-propose: {}", enhancement.title),
                        body: "Your department is named as a co-proposer of this enhancement; it goes to an executive once every department has confirmed.".to_owned(),
                        link: format!("/enhancements/{id}"),
                    };
                    crate::notifications::notify_each(transaction, organization, &recipients, audit.actor, notice, &stamp).await?;
                    if awaiting.is_empty() {
                        tell_executives_to_sponsor(transaction, organization, audit.actor, &enhancement).await?;
                    }
                    Ok(enhancement)
                })
            })
            .await
    }

    pub async fn enhancement(&self, id: i64) -> Result<Enhancement, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "enhancements",
            ENHANCEMENT_COLUMNS,
            self.organization,
            id,
        )
        .await?;
        let mut enhancements = vec![enhancement_from_row(&row)?];
        attach_departments(self.store.reader(), self.organization, &mut enhancements).await?;
        enhancements.pop().ok_or(StoreError::NotFound)
    }

    pub async fn list_enhancements(
        &self,
        status: Option<EnhancementStatus>,
        page: PageRequest,
    ) -> Result<Listing<Enhancement>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENHANCEMENT_COLUMNS} FROM enhancements WHERE organization_id = $1 AND id > $2 \
             AND ($3 IS NULL OR status = $3) ORDER BY id LIMIT $4"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(status.map(EnhancementStatus::as_str))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows
            .iter()
            .map(enhancement_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut listing = page.into_listing(items, |enhancement| enhancement.id);
        attach_departments(self.store.reader(), self.organization, &mut listing.items).await?;
        Ok(listing)
    }

    /// Moves an enhancement along its way (`sponsored` records this scope's
    /// person as the sponsor). A step the workflow refuses is a conflict on
    /// `status`; a decline without a reason is invalid at `reason`.
    pub async fn advance_enhancement(
        &self,
        id: i64,
        next: EnhancementStatus,
        reason: Option<String>,
        expected_version: Option<i64>,
    ) -> Result<Enhancement, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "enhancements", organization, id).await?;
                    let current = fetch_enhancement(transaction, organization, id).await?;
                    crate::check_version(current.version, expected_version)?;
                    let awaiting = current.awaiting_confirmation();
                    let status = match current.status.move_to(next, reason.as_deref(), awaiting.len()) {
                        Ok(status) => status,
                        Err(EnhancementStepError::Transition(transition)) => return Err(conflict(transition)),
                        Err(EnhancementStepError::Invalid(errors)) => return Err(StoreError::Invalid(errors)),
                        Err(EnhancementStepError::AwaitingConfirmation(_)) => {
                            let names = department_names(transaction, organization, &awaiting).await?;
                            return Err(StoreError::Conflict {
                                field: Some("status".to_owned()),
                                message: format!("cannot be sponsored before every proposing department confirms it; waiting for {names}"),
                            });
                        }
                    };
                    let stamp = to_db(now());
                    let sponsoring = status == EnhancementStatus::Sponsored;
                    sqlx::query(
                        "UPDATE enhancements SET status = $1, \
                         sponsor_person_id = CASE WHEN $2 = 1 THEN $3 ELSE sponsor_person_id END, \
                         sponsored_at = CASE WHEN $2 = 1 THEN $4 ELSE sponsored_at END, \
                         decline_reason = CASE WHEN $1 = 'declined' THEN $5 ELSE decline_reason END, \
                         version = version + 1, updated_at = $4 WHERE organization_id = $6 AND id = $7",
                    )
                    .bind(status.as_str())
                    .bind(i64::from(sponsoring))
                    .bind(audit.actor.map(|person| person.0))
                    .bind(stamp)
                    .bind(reason.map(|text| text.trim().to_owned()))
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    crate::audit::record(transaction, audit, "enhancement.advanced", "enhancement", id, format!("moved to {}", status.as_str())).await?;
                    let enhancement = fetch_enhancement(transaction, organization, id).await?;
                    // The proposer and the leads of the departments behind it hear of each step.
                    let mut recipients: Vec<PersonId> = enhancement.proposed_by.into_iter().collect();
                    for department in &enhancement.department_ids {
                        recipients.extend(crate::notifications::leads_of(transaction, organization, department.0).await?);
                    }
                    let notice = crate::notifications::Notice {
                        recipient: PersonId(0),
                        kind: "enhancement_status",
                        subject_kind: "enhancement",
                        subject_id: Some(id),
                        title: format!("{}: {}", enhancement.title, status.as_str().replace('_', " ")),
                        body: enhancement.decline_reason.clone().unwrap_or_default(),
                        link: format!("/enhancements/{id}"),
                    };
                    crate::notifications::notify_each(transaction, organization, &recipients, audit.actor, notice, &to_db(now())).await?;
                    Ok(enhancement)
                })
            })
            .await
    }

    /// Confirms a proposed enhancement for the given proposing departments
    /// (the caller decides who speaks for which). Once no department is
    /// left, the executives are told it waits for a sponsor. A department
    /// not named on it is invalid at `department_id`; an enhancement no longer
    /// `proposed`, or already confirmed by all of them, is a conflict.
    pub async fn confirm_enhancement(
        &self,
        id: i64,
        departments: Vec<DepartmentId>,
    ) -> Result<Enhancement, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "enhancements", organization, id).await?;
                    let current = fetch_enhancement(transaction, organization, id).await?;
                    if current.status != EnhancementStatus::Proposed {
                        return Err(StoreError::Conflict {
                            field: Some("status".to_owned()),
                            message: format!("only a proposed enhancement is confirmed; this one is {}", current.status.as_str()),
                        });
                    }
                    if let Some(stranger) = departments.iter().find(|department| !current.department_ids.contains(department)) {
                        return Err(StoreError::invalid("department_id", format!("department {} is not named on this enhancement", stranger.0)));
                    }
                    let awaiting = current.awaiting_confirmation();
                    let confirming: Vec<DepartmentId> = departments.into_iter().filter(|department| awaiting.contains(department)).collect();
                    if confirming.is_empty() {
                        return Err(StoreError::Conflict {
                            field: Some("department_id".to_owned()),
                            message: "already confirmed".to_owned(),
                        });
                    }
                    let stamp = to_db(now());
                    for department in &confirming {
                        sqlx::query(
                            "UPDATE enhancement_departments SET confirmed_at = $1, confirmed_by = $2 \
                             WHERE organization_id = $3 AND enhancement_id = $4 AND department_id = $5",
                        )
                        .bind(stamp.clone())
                        .bind(audit.actor.map(|person| person.0))
                        .bind(organization.0)
                        .bind(id)
                        .bind(department.0)
                        .execute(&mut **transaction)
                        .await?;
                    }
                    sqlx::query("UPDATE enhancements SET version = version + 1, updated_at = $1 WHERE organization_id = $2 AND id = $3")
                        .bind(stamp.clone())
                        .bind(organization.0)
                        .bind(id)
                        .execute(&mut **transaction)
                        .await?;
                    let named = confirming.iter().map(|department| department.0.to_string()).collect::<Vec<_>>().join(", ");
                    crate::audit::record(transaction, audit, "enhancement.confirmed", "enhancement", id, format!("confirmed for department(s) {named}")).await?;
                    let enhancement = fetch_enhancement(transaction, organization, id).await?;
                    if enhancement.awaiting_confirmation().is_empty() {
                        tell_executives_to_sponsor(transaction, organization, audit.actor, &enhancement).await?;
                    }
                    Ok(enhancement)
                })
            })
            .await
    }
}

/// "Sales and IT": the departments' names, for messages.
async fn department_names(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    departments: &[DepartmentId],
) -> Result<String, StoreError> {
    let mut names = Vec::new();
    for department in departments {
        let name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM departments WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization.0)
        .bind(department.0)
        .fetch_optional(&mut **transaction)
        .await?;
        names.push(name.unwrap_or_else(|| format!("department {}", department.0)));
    }
    Ok(match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    })
}

/// The departments a person leads.
async fn departments_led_by(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    person: PersonId,
) -> Result<Vec<DepartmentId>, StoreError> {
    let departments: Vec<i64> = sqlx::query_scalar(
        "SELECT department_id FROM department_leads WHERE organization_id = $1 AND person_id = $2 ORDER BY department_id",
    )
    .bind(organization.0)
    .bind(person.0)
    .fetch_all(&mut **transaction)
    .await?;
    Ok(departments.into_iter().map(DepartmentId).collect())
}

/// Every department named on it has confirmed: the executives decide next.
async fn tell_executives_to_sponsor(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    actor: Option<PersonId>,
    enhancement: &Enhancement,
) -> Result<(), StoreError> {
    let executives: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM people WHERE organization_id = $1 AND role = 'executive' AND active = 1 ORDER BY id",
    )
    .bind(organization.0)
    .fetch_all(&mut **transaction)
    .await?;
    let executives: Vec<PersonId> = executives.into_iter().map(PersonId).collect();
    let notice = crate::notifications::Notice {
        recipient: PersonId(0),
        kind: "enhancement_status",
        subject_kind: "enhancement",
        subject_id: Some(enhancement.id),
        title: format!("To sponsor: {}", enhancement.title),
        body: "Every proposing department has confirmed this enhancement; it waits for an executive to sponsor or decline it.".to_owned(),
        link: format!("/enhancements/{}", enhancement.id),
    };
    crate::notifications::notify_each(
        transaction,
        organization,
        &executives,
        actor,
        notice,
        &to_db(now()),
    )
    .await
}

fn comment_from_row(row: &AnyRow) -> Result<Comment, StoreError> {
    Ok(Comment {
        id: row.try_get("id")?,
        topic_id: row.try_get("topic_id")?,
        author_person_id: PersonId(row.try_get("author_person_id")?),
        body: row.try_get("body")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
    })
}

/// The facilitator rotates: the active lead who facilitated longest ago (or never).
async fn next_facilitator(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
) -> Result<PersonId, StoreError> {
    let person: Option<i64> = sqlx::query_scalar(
        "SELECT p.id FROM people p LEFT JOIN (SELECT facilitator_person_id, MAX(scheduled_at) AS last_time \
             FROM round_table_sessions WHERE organization_id = $1 GROUP BY facilitator_person_id) s \
             ON s.facilitator_person_id = p.id \
         WHERE p.organization_id = $1 AND p.role = 'lead' AND p.active = 1 \
         ORDER BY CASE WHEN s.last_time IS NULL THEN 0 ELSE 1 END, s.last_time, p.id LIMIT 1",
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
