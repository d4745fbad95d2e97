//! Alignment reviews: one per period, with the decisions taken. The agenda
//! is not stored: it is generated from the data whenever it is read.

use crate::objectives::{date_from_db, period_from_db};
use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::objectives::Period;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: i64,
    pub period: Period,
    pub held_on: Option<Date>,
    pub decisions: Vec<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewReview {
    pub period: Period,
    pub held_on: Option<Date>,
    pub decisions: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ReviewChanges {
    pub held_on: Change<Option<Date>>,
    pub decisions: Change<Vec<String>>,
}

const COLUMNS: &str = "id, period, held_on, decisions, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Review, StoreError> {
    let decisions: String = row.try_get("decisions")?;
    Ok(Review {
        id: row.try_get("id")?,
        period: period_from_db(&row.try_get::<String, _>("period")?)?,
        held_on: row
            .try_get::<Option<String>, _>("held_on")?
            .map(|text| date_from_db(&text))
            .transpose()?,
        decisions: serde_json::from_str(&decisions)
            .map_err(|error| StoreError::Corrupt(format!("review decisions: {error}")))?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Review, "alignment_reviews", COLUMNS, from_row);

fn encode(decisions: &[String]) -> String {
    serde_json::to_string(decisions).unwrap_or_else(|_| "[]".to_owned())
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_review(&self, new: NewReview) -> Result<Review, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "INSERT INTO alignment_reviews (organization_id, period, held_on, \
                            decisions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, \
                            $5) RETURNING {COLUMNS}"
                ))
                .bind(organization.0)
                .bind(new.period.to_string())
                .bind(new.held_on.map(|day| day.to_string()))
                .bind(encode(&new.decisions))
                .bind(to_db(now()))
                .fetch_one(&mut **transaction)
                .await?;
                let review = from_row(&row)?;
                let detail = format!("review of {}", review.period);
                audit
                    .record(transaction, "review.created", review.id, detail)
                    .await?;
                Ok(review)
            })
        })
        .await
    }

    pub async fn review(&self, id: i64) -> Result<Review, StoreError> {
        crate::rows::get::<Review, _>(self.store.reader(), self.organization, id).await
    }

    pub async fn list_reviews(&self, page: PageRequest) -> Result<Listing<Review>, StoreError> {
        let items =
            crate::rows::list::<Review, _>(self.store.reader(), self.organization, page).await?;
        Ok(page.into_listing(items, |review| review.id))
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_review(
        &self,
        id: i64,
        changes: ReviewChanges,
        expected_version: i64,
    ) -> Result<Review, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("held_on", changes.held_on.is_set()),
            ("decisions", changes.decisions.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current: Review =
                    crate::locked(transaction, organization, id, Some(expected_version)).await?;
                let row = sqlx::query(&format!(
                    "UPDATE alignment_reviews SET held_on = $1, decisions = $2, \
                            version = version + 1, updated_at = $3 WHERE organization_id = \
                            $4 AND id = $5 RETURNING {COLUMNS}"
                ))
                .bind(
                    changes
                        .held_on
                        .or(current.held_on)
                        .map(|day| day.to_string()),
                )
                .bind(encode(&changes.decisions.or(current.decisions)))
                .bind_now_and_row(organization, id)
                .fetch_one(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "review.updated", id, detail)
                    .await?;
                from_row(&row)
            })
        })
        .await
    }
}
