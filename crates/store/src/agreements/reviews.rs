//! Reviews of the agreement in force, on its review cadence.

use super::edits::touch;
use super::{date, fetch, person};
use crate::time::{from_db, instant, now, to_db};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::ids::PersonId;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct AgreementReview {
    pub id: i64,
    pub version_number: i64,
    pub reviewed_on: Date,
    pub reviewer_person_id: Option<PersonId>,
    pub notes: String,
    pub created_at: Timestamp,
}

impl Scoped<'_> {
    /// Records a review of the agreement in force.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, by = ?by.map(|id| id.0)))]
    pub async fn review_agreement(
        &self,
        id: i64,
        reviewed_on: Date,
        notes: String,
        by: Option<PersonId>,
    ) -> Result<AgreementReview, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "agreements", organization, id).await?;
                let current = fetch(transaction, organization, id).await?;
                let Some(agreed) = current.agreed_version else {
                    return Err(StoreError::Conflict {
                        field: None,
                        message: "only an agreement in force can be reviewed; agree it first"
                            .to_owned(),
                    });
                };
                let stamp = to_db(now());
                let review_id: i64 = sqlx::query_scalar(
                    "INSERT INTO agreement_reviews (organization_id, agreement_id, \
                            version_number, reviewed_on, reviewer_person_id, notes, \
                            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(organization.0)
                .bind(id)
                .bind(agreed)
                .bind(reviewed_on.to_string())
                .bind(by.map(|person| person.0))
                .bind(notes.clone())
                .bind(stamp.clone())
                .fetch_one(&mut **transaction)
                .await?;
                let latest = current
                    .last_reviewed_on
                    .map_or(reviewed_on, |last| last.max(reviewed_on));
                sqlx::query(
                    "UPDATE agreements SET last_reviewed_on = $1 WHERE organization_id = \
                        $2 AND id = $3",
                )
                .bind(latest.to_string())
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                touch(transaction, organization, id).await?;
                audit
                    .record(
                        transaction,
                        "agreement.reviewed",
                        id,
                        format!("reviewed on {reviewed_on}"),
                    )
                    .await?;
                Ok(AgreementReview {
                    id: review_id,
                    version_number: agreed,
                    reviewed_on,
                    reviewer_person_id: by,
                    notes,
                    created_at: from_db(&stamp)?,
                })
            })
        })
        .await
    }

    pub async fn agreement_reviews(&self, id: i64) -> Result<Vec<AgreementReview>, StoreError> {
        self.agreement(id).await?;
        let rows = sqlx::query(
            "SELECT id, version_number, reviewed_on, reviewer_person_id, notes, \
                created_at FROM agreement_reviews WHERE organization_id = $1 AND \
                agreement_id = $2 ORDER BY reviewed_on DESC, id DESC",
        )
        .bind(self.organization.0)
        .bind(id)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AgreementReview {
                    id: row.try_get("id")?,
                    version_number: row.try_get("version_number")?,
                    reviewed_on: date(&row.try_get::<String, _>("reviewed_on")?)?,
                    reviewer_person_id: person(row, "reviewer_person_id")?,
                    notes: row.try_get("notes")?,
                    created_at: instant(row, "created_at")?,
                })
            })
            .collect()
    }
}
