//! Creating, editing and deleting agreements: an agreed version is never
//! changed; editing it writes the next version.

use super::workflow::acceptance;
use super::{Agreement, AgreementChanges, NewAgreement, encode_obligations, fetch, load_version};
use crate::rows::BindCommon;
use crate::time::{now, to_db};
use crate::{Scoped, StoreError, WriteTransaction, ensure_exists};
use roundtable_domain::agreements::{EditOutcome, Obligation};
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};

/// The services of an agreement must be the provider's, offered to the consumer.
async fn check_services(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    provider: DepartmentId,
    consumer: DepartmentId,
    service_ids: &[i64],
) -> Result<(), StoreError> {
    for (index, service) in service_ids.iter().enumerate() {
        let field = format!("service_ids[{index}]");
        let fits: Option<i64> = sqlx::query_scalar(
            "SELECT s.id FROM services s JOIN service_consumers c ON c.organization_id = \
                s.organization_id AND c.service_id = s.id WHERE s.organization_id = $1 AND \
                s.id = $2 AND s.provider_department_id = $3 AND c.department_id = $4",
        )
        .bind(organization.0)
        .bind(*service)
        .bind(provider.0)
        .bind(consumer.0)
        .fetch_optional(&mut **transaction)
        .await?;
        if fits.is_none() {
            ensure_exists(transaction, "services", organization, *service, &field).await?;
            return Err(StoreError::invalid(
                &field,
                "is not a service of the provider offered to the consumer of this agreement",
            ));
        }
    }
    Ok(())
}

async fn insert_version(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    agreement: i64,
    number: i64,
    content: (&[i64], &[Obligation], &str),
    created_by: Option<PersonId>,
) -> Result<(), StoreError> {
    let (service_ids, obligations, notes) = content;
    let version_id: i64 = sqlx::query_scalar(
        "INSERT INTO agreement_versions (organization_id, agreement_id, number, status, \
            obligations, notes, created_by, created_at) VALUES ($1, $2, $3, 'draft', $4, $5, \
            $6, $7) RETURNING id",
    )
    .bind(organization.0)
    .bind(agreement)
    .bind(number)
    .bind(encode_obligations(obligations))
    .bind(notes.to_owned())
    .bind(created_by.map(|person| person.0))
    .bind(to_db(now()))
    .fetch_one(&mut **transaction)
    .await?;
    replace_services(transaction, organization, version_id, service_ids).await
}

async fn replace_services(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    version_id: i64,
    service_ids: &[i64],
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM agreement_version_services WHERE organization_id = $1 AND \
        agreement_version_id = $2",
    )
    .bind(organization.0)
    .bind(version_id)
    .execute(&mut **transaction)
    .await?;
    let mut unique = service_ids.to_vec();
    unique.sort();
    unique.dedup();
    for service in unique {
        sqlx::query(
            "INSERT INTO agreement_version_services (organization_id, \
                agreement_version_id, service_id) VALUES ($1, $2, $3)",
        )
        .bind(organization.0)
        .bind(version_id)
        .bind(service)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

pub(super) async fn touch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE agreements SET version = version + 1, updated_at = $1 WHERE organization_id = \
        $2 AND id = $3",
    )
    .bind_now_and_row(organization, id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Inserts an agreement, once the references it makes are checked, and records
/// it in the audit log.
async fn insert_agreement(
    transaction: &mut WriteTransaction,
    audit: crate::audit::Context,
    new: NewAgreement,
) -> Result<Agreement, StoreError> {
    let organization = audit.organization;
    crate::ensure_reference(
        transaction,
        organization,
        new.provider_department_id,
        "provider_department_id",
    )
    .await?;
    crate::ensure_reference(
        transaction,
        organization,
        new.consumer_department_id,
        "consumer_department_id",
    )
    .await?;
    if new.provider_department_id == new.consumer_department_id {
        return Err(StoreError::invalid(
            "consumer_department_id",
            "must differ from the provider: an agreement is between two \
                    departments",
        ));
    }
    check_services(
        transaction,
        organization,
        new.provider_department_id,
        new.consumer_department_id,
        &new.service_ids,
    )
    .await?;
    let stamp = to_db(now());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO agreements (organization_id, provider_department_id, \
                consumer_department_id, review_cadence_months, created_at, \
                updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(organization.0)
    .bind(new.provider_department_id.0)
    .bind(new.consumer_department_id.0)
    .bind(new.review_cadence.months())
    .bind(stamp)
    .fetch_one(&mut **transaction)
    .await
    .map_err(|error| match StoreError::from(error) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: Some("consumer_department_id".to_owned()),
            message: "this provider → consumer cell already has an agreement; \
                    change that one"
                .to_owned(),
        },
        other => other,
    })?;
    insert_version(
        transaction,
        organization,
        id,
        1,
        (&new.service_ids, &new.obligations, &new.notes),
        audit.actor,
    )
    .await?;
    let detail = format!(
        "created for {} → {}",
        new.provider_department_id, new.consumer_department_id
    );
    audit
        .record(transaction, "agreement.created", id, detail)
        .await?;
    fetch(transaction, organization, id).await
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_agreement(&self, new: NewAgreement) -> Result<Agreement, StoreError> {
        self.write_audited(move |transaction, audit| {
            Box::pin(insert_agreement(transaction, audit, new))
        })
        .await
    }
}

impl Scoped<'_> {
    /// Changes the newest version in place while it is a draft or proposed
    /// (back to draft, acceptances cleared), or starts the next version when it
    /// is agreed (the agreed one stays in force until the new one is agreed).
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_agreement(
        &self,
        id: i64,
        changes: AgreementChanges,
        expected_version: i64,
    ) -> Result<Agreement, StoreError> {
        let organization = self.organization;
        self.write_agreement(
            id,
            Some(expected_version),
            move |transaction, audit, current| {
                Box::pin(async move {
                    let content_changed = changes.service_ids.is_set()
                        || changes.obligations.is_set()
                        || changes.notes.is_set();
                    let cadence = changes.review_cadence.or(current.review_cadence);
                    let service_ids = changes.service_ids.or(current.current.service_ids.clone());
                    let obligations = changes.obligations.or(current.current.obligations.clone());
                    let notes = changes.notes.or(current.current.notes.clone());
                    check_services(
                        transaction,
                        organization,
                        current.provider_department_id,
                        current.consumer_department_id,
                        &service_ids,
                    )
                    .await?;
                    sqlx::query(
                        "UPDATE agreements SET review_cadence_months = $1 WHERE \
                        organization_id = $2 AND id = $3",
                    )
                    .bind(cadence.months())
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    let mut detail = "changed the review cadence".to_owned();
                    if content_changed {
                        match acceptance(&current.current).edit() {
                            EditOutcome::InPlace => {
                                let (version_id, _) = load_version(
                                    transaction,
                                    organization,
                                    id,
                                    current.current_version,
                                )
                                .await?;
                                sqlx::query(
                                    "UPDATE agreement_versions SET status = 'draft', \
                                        obligations = $1, notes = $2, proposed_by = NULL, \
                                        proposed_at = NULL, provider_accepted_by = NULL, \
                                        provider_accepted_at = NULL, consumer_accepted_by = \
                                        NULL, consumer_accepted_at = NULL WHERE \
                                        organization_id = $3 AND id = $4",
                                )
                                .bind(encode_obligations(&obligations))
                                .bind(notes.clone())
                                .bind(organization.0)
                                .bind(version_id)
                                .execute(&mut **transaction)
                                .await?;
                                replace_services(
                                    transaction,
                                    organization,
                                    version_id,
                                    &service_ids,
                                )
                                .await?;
                                detail = format!(
                                    "changed version {} (back to draft)",
                                    current.current_version
                                );
                            }
                            EditOutcome::NewVersion => {
                                let number = current.current_version + 1;
                                insert_version(
                                    transaction,
                                    organization,
                                    id,
                                    number,
                                    (&service_ids, &obligations, &notes),
                                    audit.actor,
                                )
                                .await?;
                                sqlx::query(
                                    "UPDATE agreements SET current_version = $1 WHERE \
                                    organization_id = $2 AND id = $3",
                                )
                                .bind(number)
                                .bind(organization.0)
                                .bind(id)
                                .execute(&mut **transaction)
                                .await?;
                                detail = format!(
                                    "started version {number}; version {} stays in force",
                                    current.current_version
                                );
                            }
                        }
                    }
                    touch(transaction, organization, id).await?;
                    audit
                        .record(transaction, "agreement.updated", id, detail)
                        .await?;
                    fetch(transaction, organization, id).await
                })
            },
        )
        .await
    }
}

impl Scoped<'_> {
    /// Deletes an agreement that was never agreed; agreed ones are history.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn delete_agreement(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.write_agreement(id, expected_version, move |transaction, audit, current| {
            Box::pin(async move {
                if current.agreed_version.is_some() {
                    return Err(StoreError::Conflict {
                        field: None,
                        message: "an agreement that was in force is kept as a record; change \
                                it instead"
                            .to_owned(),
                    });
                }
                sqlx::query("DELETE FROM agreements WHERE organization_id = $1 AND id = $2")
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                audit
                    .record(
                        transaction,
                        "agreement.deleted",
                        id,
                        "deleted a draft".to_owned(),
                    )
                    .await?;
                Ok(())
            })
        })
        .await
    }
}
