//! Comments and the timeline as read.

use super::outcomes::record_outcomes;
use super::records::{Comment, RequestEvent};
use super::timeline::{NewEvent, record_event};
use crate::time::{instant, to_db};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::PersonId;
use sqlx::Row;

impl Scoped<'_> {
    /// Adds a comment; the provider side's first public comment is its first response.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, author = author.0))]
    pub async fn add_comment(
        &self,
        id: i64,
        author: PersonId,
        body: String,
        internal: bool,
        from_provider: bool,
        at: Timestamp,
    ) -> Result<Comment, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.write_request(id, move |transaction, current| {
            Box::pin(async move {
                let stamp = to_db(at);
                let comment_id: i64 = sqlx::query_scalar(
                    "INSERT INTO request_comments (organization_id, request_id, \
                            author_person_id, body, internal, created_at) VALUES ($1, $2, \
                            $3, $4, $5, $6) RETURNING id",
                )
                .bind(organization.0)
                .bind(id)
                .bind(author.0)
                .bind(body.clone())
                .bind(i64::from(internal))
                .bind(stamp.clone())
                .fetch_one(&mut **transaction)
                .await?;
                if from_provider
                    && !internal
                    && current.first_response_at.is_none()
                    && current.status.is_open()
                {
                    sqlx::query(
                        "UPDATE requests SET first_response_at = $1, version = version + \
                            1, updated_at = $1 WHERE organization_id = $2 AND id = $3",
                    )
                    .bind(stamp.clone())
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                }
                record_outcomes(transaction, organization, id, &context, &current).await?;
                let kind = if internal {
                    "internal_note"
                } else {
                    "commented"
                };
                record_event(
                    transaction,
                    organization,
                    NewEvent::new(id, Some(author), kind, &stamp).changing(
                        serde_json::json!({}),
                        serde_json::json!({ "comment_id": comment_id }),
                    ),
                )
                .await?;
                Ok(Comment {
                    id: comment_id,
                    author_person_id: author,
                    body,
                    internal,
                    created_at: at,
                })
            })
        })
        .await
    }

    pub async fn comments(
        &self,
        id: i64,
        include_internal: bool,
    ) -> Result<Vec<Comment>, StoreError> {
        let sql = "SELECT id, author_person_id, body, internal, created_at FROM \
            request_comments WHERE organization_id = $1 AND request_id = $2 AND ($3 = 1 OR \
            internal = 0) ORDER BY id";
        let rows = self.rows_of_request(sql, id, include_internal).await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    id: row.try_get("id")?,
                    author_person_id: PersonId(row.try_get("author_person_id")?),
                    body: row.try_get("body")?,
                    internal: row.try_get::<i64, _>("internal")? != 0,
                    created_at: instant(row, "created_at")?,
                })
            })
            .collect()
    }

    /// The timeline, oldest first; internal notes only for the provider side.
    pub async fn request_events(
        &self,
        id: i64,
        include_internal: bool,
    ) -> Result<Vec<RequestEvent>, StoreError> {
        let sql = "SELECT id, actor_person_id, kind, before, after, note, created_at FROM \
            request_events WHERE organization_id = $1 AND request_id = $2 AND ($3 = 1 OR \
            kind <> 'internal_note') ORDER BY created_at, id";
        let rows = self.rows_of_request(sql, id, include_internal).await?;
        rows.iter()
            .map(|row| {
                Ok(RequestEvent {
                    id: row.try_get("id")?,
                    actor_person_id: row
                        .try_get::<Option<i64>, _>("actor_person_id")?
                        .map(PersonId),
                    kind: row.try_get("kind")?,
                    before: row.try_get("before")?,
                    after: row.try_get("after")?,
                    note: row.try_get("note")?,
                    created_at: instant(row, "created_at")?,
                })
            })
            .collect()
    }

    /// The rows `sql` selects about request `id` in the organization
    /// (`$1`, `$2`), the internal ones too when `include_internal` (`$3`).
    async fn rows_of_request(
        &self,
        sql: &str,
        id: i64,
        include_internal: bool,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        Ok(sqlx::query(sql)
            .bind(self.organization.0)
            .bind(id)
            .bind(i64::from(include_internal))
            .fetch_all(self.store.reader())
            .await?)
    }
}
