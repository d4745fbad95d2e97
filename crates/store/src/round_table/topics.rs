//! Topics: frustrations (with the mirror), assumptions (answered by the
//! department they are about) and suggestions, with the requests they cite.

use super::{conflict, corrupt, person};
use crate::objectives::placeholders;
use crate::rows::BindCommon;
use crate::time::{instant, now, optional_instant, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::notices;
use roundtable_domain::round_table::{AssumptionAnswer, TopicKind, TopicStatus, check_answerable};
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

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

const TOPIC_COLUMNS: &str = "t.id, t.kind, t.title, t.body, t.mirror, t.from_department_id, \
    t.about_department_id, t.author_person_id, t.service_id, t.status, t.answer, \
    t.answer_note, t.answered_by, t.answered_at, t.version, t.created_at, t.updated_at, \
    (SELECT COUNT(*) FROM topic_votes v WHERE v.organization_id = t.organization_id AND \
    v.topic_id = t.id) AS votes, (SELECT COUNT(*) FROM topic_comments c WHERE \
    c.organization_id = t.organization_id AND c.topic_id = t.id) AS comments, (SELECT d.name \
    FROM departments d WHERE d.organization_id = t.organization_id AND d.id = \
    t.from_department_id) AS from_department_name, (SELECT d.name FROM departments d WHERE \
    d.organization_id = t.organization_id AND d.id = t.about_department_id) AS \
    about_department_name";

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
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
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
        "SELECT topic_id, request_id FROM topic_requests WHERE organization_id = $1 AND \
            topic_id IN ({}) ORDER BY request_id",
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

pub(super) async fn fetch_topic(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Topic, StoreError> {
    let row = crate::rows::one_where(
        &mut **transaction,
        &format!("SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND t.id = $2"),
        organization,
        id,
    )
    .await?;
    let mut topics = vec![topic_from_row(&row)?];
    attach_requests(&mut **transaction, organization, &mut topics).await?;
    topics.pop().ok_or(StoreError::NotFound)
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_topic(&self, new: NewTopic) -> Result<Topic, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, mut audit| {
            Box::pin(async move {
                if new.author_person_id.is_none() {
                    // Anonymous: not even the audit log may say who wrote it.
                    audit.actor = None;
                }
                crate::ensure_reference(
                    transaction,
                    organization,
                    new.from_department_id,
                    "from_department_id",
                )
                .await?;
                crate::ensure_reference(
                    transaction,
                    organization,
                    new.about_department_id,
                    "about_department_id",
                )
                .await?;
                ensure_exists(
                    transaction,
                    "services",
                    organization,
                    new.service_id,
                    "service_id",
                )
                .await?;
                for (index, request) in new.request_ids.iter().enumerate() {
                    ensure_exists(
                        transaction,
                        "requests",
                        organization,
                        *request,
                        &format!("request_ids[{index}]"),
                    )
                    .await?;
                }
                let stamp = to_db(now());
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO topics (organization_id, kind, title, body, mirror, \
                            from_department_id, about_department_id, author_person_id, \
                            service_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, \
                            $6, $7, $8, $9, $10, $10) RETURNING id",
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
                    sqlx::query(
                        "INSERT INTO topic_requests (organization_id, topic_id, \
                            request_id) VALUES ($1, $2, $3)",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .bind(request)
                    .execute(&mut **transaction)
                    .await?;
                }
                let detail = format!("raised a {}", new.kind.as_str());
                audit
                    .record(transaction, "topic.created", id, detail)
                    .await?;
                fetch_topic(transaction, organization, id).await
            })
        })
        .await
    }

    pub async fn topic(&self, id: i64) -> Result<Topic, StoreError> {
        let row = crate::rows::one_where(
            self.store.reader(),
            &format!(
                "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND t.id = $2"
            ),
            self.organization,
            id,
        )
        .await?;
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
            "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND t.id > \
                $2 AND ($3 IS NULL OR t.status = $3) AND ($4 IS NULL OR t.kind = $4) AND ($5 \
                IS NULL OR t.about_department_id = $5) AND ($6 IS NULL OR \
                t.from_department_id = $6) ORDER BY t.id LIMIT $7"
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
            "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.organization_id = $1 AND \
                t.status = 'open' ORDER BY votes DESC, t.id LIMIT $2"
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

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_topic(
        &self,
        id: i64,
        changes: TopicChanges,
        expected_version: i64,
    ) -> Result<Topic, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("title", changes.title.is_set()),
            ("body", changes.body.is_set()),
            ("mirror", changes.mirror.is_set()),
            ("status", changes.status.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "topics", organization, id).await?;
                let current = fetch_topic(transaction, organization, id).await?;
                crate::check_version(current.version, Some(expected_version))?;
                let status = match changes.status {
                    Change::Set(next) if next != current.status => {
                        current.status.move_to(next).map_err(conflict)?
                    }
                    _ => current.status,
                };
                let mirror = match changes.mirror {
                    Change::Set(mirror) => Some(mirror),
                    Change::Keep => current.mirror,
                };
                roundtable_domain::round_table::check_topic(current.kind, mirror.as_deref())
                    .map_err(StoreError::Invalid)?;
                let title = match changes.title {
                    Change::Set(title) => title.into_string(),
                    Change::Keep => current.title,
                };
                sqlx::query(
                    "UPDATE topics SET title = $1, body = $2, mirror = $3, status = \
                            $4, version = version + 1, updated_at = $5 WHERE organization_id \
                            = $6 AND id = $7",
                )
                .bind(title)
                .bind(changes.body.or(current.body))
                .bind(mirror)
                .bind(status.as_str())
                .bind_now_and_row(organization, id)
                .execute(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "topic.updated", id, detail)
                    .await?;
                fetch_topic(transaction, organization, id).await
            })
        })
        .await
    }

    /// Records the answer of the department an assumption is about.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn answer_topic(
        &self,
        id: i64,
        answer: AssumptionAnswer,
        note: String,
    ) -> Result<Topic, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "topics", organization, id).await?;
                let current = fetch_topic(transaction, organization, id).await?;
                check_answerable(
                    current.kind,
                    current.about_department_id.is_some(),
                    current.answer.is_some(),
                )
                .map_err(|message| StoreError::Conflict {
                    field: Some("answer".to_owned()),
                    message: message.to_owned(),
                })?;
                sqlx::query(
                    "UPDATE topics SET answer = $1, answer_note = $2, answered_by = \
                            $3, answered_at = $4, version = version + 1, updated_at = $4 \
                            WHERE organization_id = $5 AND id = $6",
                )
                .bind(answer.as_str())
                .bind(note)
                .bind(audit.actor.map(|person| person.0))
                .bind_now_and_row(organization, id)
                .execute(&mut **transaction)
                .await?;
                audit
                    .record(
                        transaction,
                        "topic.answered",
                        id,
                        format!("answered {}", answer.as_str()),
                    )
                    .await?;
                let topic = fetch_topic(transaction, organization, id).await?;
                // The author hears the answer (an anonymous topic has no one to tell).
                if let Some(author) = topic.author_person_id {
                    let note = topic
                        .answer
                        .as_ref()
                        .map_or("", |answer| answer.note.as_str());
                    let wording = notices::assumption_answered(&topic.title, answer, note);
                    let notice = crate::notifications::Notice {
                        recipient: author,
                        kind: "assumption_answered",
                        subject_kind: "topic",
                        subject_id: Some(id),
                        title: wording.title,
                        body: wording.body,
                        link: format!("/topics/{id}"),
                    };
                    crate::notifications::notify_each(
                        transaction,
                        organization,
                        &[author],
                        audit.actor,
                        notice,
                        &to_db(now()),
                    )
                    .await?;
                }
                Ok(topic)
            })
        })
        .await
    }
}
