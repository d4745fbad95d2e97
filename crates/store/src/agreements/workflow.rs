//! The acceptance workflow: proposing a version to both sides' leads and
//! recording each side's acceptance.

use super::edits::touch;
use super::{Agreement, AgreementVersion, fetch};
use crate::time::{now, to_db};
use crate::{Scoped, StoreError};
use jiff::civil::Date;
use roundtable_domain::agreements::{Acceptance, Side, VersionStatus};
use roundtable_domain::ids::PersonId;

pub(super) fn workflow(error: roundtable_domain::agreements::WorkflowError) -> StoreError {
    StoreError::Conflict {
        field: None,
        message: error.to_string(),
    }
}

pub(super) fn acceptance(version: &AgreementVersion) -> Acceptance {
    Acceptance {
        status: version.status,
        provider_accepted: version.provider_accepted_by.is_some(),
        consumer_accepted: version.consumer_accepted_by.is_some(),
    }
}

impl Scoped<'_> {
    /// Puts the newest (draft) version to both sides' leads.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, by = by.0))]
    pub async fn propose_agreement(
        &self,
        id: i64,
        by: PersonId,
        expected_version: Option<i64>,
    ) -> Result<Agreement, StoreError> {
        let organization = self.organization;
        self.write_agreement(id, expected_version, move |transaction, audit, current| {
            Box::pin(async move {
                acceptance(&current.current).propose().map_err(workflow)?;
                sqlx::query(
                    "UPDATE agreement_versions SET status = 'proposed', proposed_by = \
                            $1, proposed_at = $2 WHERE organization_id = $3 AND agreement_id \
                            = $4 AND number = $5",
                )
                .bind(by.0)
                .bind(to_db(now()))
                .bind(organization.0)
                .bind(id)
                .bind(current.current_version)
                .execute(&mut **transaction)
                .await?;
                touch(transaction, organization, id).await?;
                let detail = format!("proposed version {}", current.current_version);
                audit
                    .record(transaction, "agreement.proposed", id, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }

    /// Records acceptance by the sides `by` leads; when both sides have
    /// accepted, the version comes into force and the previous one is superseded.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, by = by.0))]
    pub async fn accept_agreement(
        &self,
        id: i64,
        by: PersonId,
        sides: Vec<Side>,
        today: Date,
        expected_version: Option<i64>,
    ) -> Result<Agreement, StoreError> {
        let organization = self.organization;
        self.write_agreement(id, expected_version, move |transaction, audit, current| {
            Box::pin(async move {
                let next = acceptance(&current.current)
                    .accept(&sides)
                    .map_err(workflow)?;
                let stamp = to_db(now());
                let number = current.current_version;
                // An acceptance already given stays as it was (who and when).
                for (side, column) in [(Side::Provider, "provider"), (Side::Consumer, "consumer")] {
                    if !sides.contains(&side) {
                        continue;
                    }
                    sqlx::query(&format!(
                        "UPDATE agreement_versions SET {column}_accepted_by = \
                                COALESCE({column}_accepted_by, $1), {column}_accepted_at = \
                                COALESCE({column}_accepted_at, $2) WHERE organization_id = \
                                $3 AND agreement_id = $4 AND number = $5"
                    ))
                    .bind(by.0)
                    .bind(stamp.clone())
                    .bind(organization.0)
                    .bind(id)
                    .bind(number)
                    .execute(&mut **transaction)
                    .await?;
                }
                let mut detail = format!("accepted version {number}");
                if next.status == VersionStatus::Agreed {
                    sqlx::query(
                        "UPDATE agreement_versions SET status = 'superseded' WHERE \
                                organization_id = $1 AND agreement_id = $2 AND status = \
                                'agreed'",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    sqlx::query(
                        "UPDATE agreement_versions SET status = 'agreed', agreed_at = $1 \
                             WHERE organization_id = $2 AND agreement_id = $3 AND number = $4",
                    )
                    .bind(stamp)
                    .bind(organization.0)
                    .bind(id)
                    .bind(number)
                    .execute(&mut **transaction)
                    .await?;
                    // Agreeing is a review of the relationship: the cadence restarts.
                    sqlx::query(
                        "UPDATE agreements SET agreed_version = $1, last_reviewed_on \
                                = $2 WHERE organization_id = $3 AND id = $4",
                    )
                    .bind(number)
                    .bind(today.to_string())
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    detail = format!("version {number} agreed by both sides");
                }
                touch(transaction, organization, id).await?;
                audit
                    .record(transaction, "agreement.accepted", id, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }
}
