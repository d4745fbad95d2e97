//! Comments on topics.

use super::topics::fetch_topic;
use crate::time::{instant, now, to_db};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::PersonId;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub topic_id: i64,
    pub author_person_id: PersonId,
    pub body: String,
    pub created_at: Timestamp,
}

fn comment_from_row(row: &AnyRow) -> Result<Comment, StoreError> {
    Ok(Comment {
        id: row.try_get("id")?,
        topic_id: row.try_get("topic_id")?,
        author_person_id: PersonId(row.try_get("author_person_id")?),
        body: row.try_get("body")?,
        created_at: instant(row, "created_at")?,
    })
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, author = author.0))]
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
                        "INSERT INTO topic_comments (organization_id, topic_id, \
                            author_person_id, body, created_at) VALUES ($1, $2, $3, $4, $5) \
                            RETURNING id, topic_id, author_person_id, body, created_at",
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
}
