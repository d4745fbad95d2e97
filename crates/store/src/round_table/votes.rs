//! Votes on topics: one per person.

use super::topics::{Topic, fetch_topic};
use crate::objectives::placeholders;
use crate::time::{now, to_db};
use crate::{Scoped, StoreError};
use roundtable_domain::ids::PersonId;

impl Scoped<'_> {
    /// One vote per person: voting again changes nothing.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, voter = voter.0))]
    pub async fn vote_for_topic(&self, id: i64, voter: PersonId) -> Result<Topic, StoreError> {
        let sql = "INSERT INTO topic_votes (organization_id, topic_id, person_id, created_at) \
            VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
        self.write_vote(id, voter, sql, Some(to_db(now()))).await
    }

    /// Withdraws a person's vote (nothing happens if there was none).
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, voter = voter.0))]
    pub async fn withdraw_vote(&self, id: i64, voter: PersonId) -> Result<Topic, StoreError> {
        let sql = "DELETE FROM topic_votes WHERE organization_id = $1 AND topic_id = $2 AND \
            person_id = $3";
        self.write_vote(id, voter, sql, None).await
    }

    /// Runs `sql` on `voter`'s vote for topic `id` (`$1` the organization,
    /// `$2` the topic, `$3` the voter and, for a statement that records the
    /// vote, `$4` its `stamp`) once the topic is found, and returns the topic.
    async fn write_vote(
        &self,
        id: i64,
        voter: PersonId,
        sql: &'static str,
        stamp: Option<String>,
    ) -> Result<Topic, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    fetch_topic(transaction, organization, id).await?;
                    let mut query = sqlx::query(sql).bind(organization.0).bind(id).bind(voter.0);
                    if let Some(stamp) = stamp {
                        query = query.bind(stamp);
                    }
                    query.execute(&mut **transaction).await?;
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
            "SELECT topic_id FROM topic_votes WHERE organization_id = $1 AND person_id = \
                $2 AND topic_id IN ({})",
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
}
