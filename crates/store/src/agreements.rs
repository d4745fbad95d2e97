//! Agreements as stored: one row per matrix cell, its versions (each one's
//! services, reciprocal obligations and acceptance), and its reviews. An agreed
//! version is never changed; editing it writes the next version.

use crate::time::{from_db, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::agreements::{
    Acceptance, EditOutcome, Obligation, ReviewCadence, Side, VersionStatus,
};
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub id: i64,
    pub provider_department_id: DepartmentId,
    pub consumer_department_id: DepartmentId,
    pub review_cadence: ReviewCadence,
    /// The newest version (possibly a draft of a change).
    pub current_version: i64,
    /// The version in force, if any was ever agreed.
    pub agreed_version: Option<i64>,
    pub last_reviewed_on: Option<Date>,
    /// The newest version's content and acceptance.
    pub current: AgreementVersion,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgreementVersion {
    pub number: i64,
    pub status: VersionStatus,
    pub service_ids: Vec<i64>,
    pub obligations: Vec<Obligation>,
    pub notes: String,
    pub created_by: Option<PersonId>,
    pub created_at: Timestamp,
    pub proposed_by: Option<PersonId>,
    pub proposed_at: Option<Timestamp>,
    pub provider_accepted_by: Option<PersonId>,
    pub provider_accepted_at: Option<Timestamp>,
    pub consumer_accepted_by: Option<PersonId>,
    pub consumer_accepted_at: Option<Timestamp>,
    pub agreed_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewAgreement {
    pub provider_department_id: DepartmentId,
    pub consumer_department_id: DepartmentId,
    pub review_cadence: ReviewCadence,
    pub service_ids: Vec<i64>,
    pub obligations: Vec<Obligation>,
    pub notes: String,
}

#[derive(Debug, Clone, Default)]
pub struct AgreementChanges {
    pub review_cadence: Change<ReviewCadence>,
    pub service_ids: Change<Vec<i64>>,
    pub obligations: Change<Vec<Obligation>>,
    pub notes: Change<String>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct AgreementFilter {
    pub provider_department_id: Option<DepartmentId>,
    pub consumer_department_id: Option<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgreementReview {
    pub id: i64,
    pub version_number: i64,
    pub reviewed_on: Date,
    pub reviewer_person_id: Option<PersonId>,
    pub notes: String,
    pub created_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct StoredObligation {
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_within_business_days: Option<i64>,
}

fn encode_obligations(obligations: &[Obligation]) -> String {
    let stored: Vec<StoredObligation> = obligations
        .iter()
        .map(|obligation| StoredObligation {
            description: obligation.description.clone(),
            due_within_business_days: obligation.due_within_business_days,
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
}

fn decode_obligations(text: &str) -> Result<Vec<Obligation>, StoreError> {
    let stored: Vec<StoredObligation> = serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("obligations: {error}")))?;
    Ok(stored
        .into_iter()
        .map(|obligation| Obligation {
            description: obligation.description,
            due_within_business_days: obligation.due_within_business_days,
        })
        .collect())
}

fn instant(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| from_db(&text))
        .transpose()
}

fn person(row: &AnyRow, column: &str) -> Result<Option<PersonId>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(PersonId))
}

fn date(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|error| StoreError::Corrupt(format!("date {text:?}: {error}")))
}

const VERSION_COLUMNS: &str = "id, number, status, obligations, notes, created_by, created_at, \
    proposed_by, proposed_at, provider_accepted_by, provider_accepted_at, \
    consumer_accepted_by, consumer_accepted_at, agreed_at";

fn version_from_row(row: &AnyRow) -> Result<AgreementVersion, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(AgreementVersion {
        number: row.try_get("number")?,
        status: VersionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
        service_ids: Vec::new(),
        obligations: decode_obligations(&row.try_get::<String, _>("obligations")?)?,
        notes: row.try_get("notes")?,
        created_by: person(row, "created_by")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        proposed_by: person(row, "proposed_by")?,
        proposed_at: instant(row, "proposed_at")?,
        provider_accepted_by: person(row, "provider_accepted_by")?,
        provider_accepted_at: instant(row, "provider_accepted_at")?,
        consumer_accepted_by: person(row, "consumer_accepted_by")?,
        consumer_accepted_at: instant(row, "consumer_accepted_at")?,
        agreed_at: instant(row, "agreed_at")?,
    })
}

const COLUMNS: &str = "id, provider_department_id, consumer_department_id, review_cadence_months, \
    current_version, agreed_version, last_reviewed_on, version, created_at, updated_at";

struct AgreementRow {
    id: i64,
    provider: DepartmentId,
    consumer: DepartmentId,
    cadence: ReviewCadence,
    current_version: i64,
    agreed_version: Option<i64>,
    last_reviewed_on: Option<Date>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

fn agreement_row(row: &AnyRow) -> Result<AgreementRow, StoreError> {
    let months: i64 = row.try_get("review_cadence_months")?;
    Ok(AgreementRow {
        id: row.try_get("id")?,
        provider: DepartmentId(row.try_get("provider_department_id")?),
        consumer: DepartmentId(row.try_get("consumer_department_id")?),
        cadence: ReviewCadence::from_months(months)
            .ok_or_else(|| StoreError::Corrupt(format!("review cadence {months}")))?,
        current_version: row.try_get("current_version")?,
        agreed_version: row.try_get("agreed_version")?,
        last_reviewed_on: row
            .try_get::<Option<String>, _>("last_reviewed_on")?
            .map(|text| date(&text))
            .transpose()?,
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

/// Reads one version with its services.
async fn load_version(
    connection: &mut sqlx::AnyConnection,
    organization: OrganizationId,
    agreement: i64,
    number: i64,
) -> Result<(i64, AgreementVersion), StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM agreement_versions WHERE organization_id = $1 AND \
            agreement_id = $2 AND number = $3"
    ))
    .bind(organization.0)
    .bind(agreement)
    .bind(number)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or_else(|| StoreError::Corrupt(format!("agreement {agreement} lacks version {number}")))?;
    let version_id: i64 = row.try_get("id")?;
    let mut version = version_from_row(&row)?;
    version.service_ids = sqlx::query_scalar(
        "SELECT service_id FROM agreement_version_services WHERE organization_id = $1 AND \
            agreement_version_id = $2 ORDER BY service_id",
    )
    .bind(organization.0)
    .bind(version_id)
    .fetch_all(&mut *connection)
    .await?;
    Ok((version_id, version))
}

fn assemble(row: AgreementRow, current: AgreementVersion) -> Agreement {
    Agreement {
        id: row.id,
        provider_department_id: row.provider,
        consumer_department_id: row.consumer,
        review_cadence: row.cadence,
        current_version: row.current_version,
        agreed_version: row.agreed_version,
        last_reviewed_on: row.last_reviewed_on,
        current,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn fetch_row(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<AgreementRow, StoreError> {
    let row = crate::rows::one(&mut **transaction, "agreements", COLUMNS, organization, id).await?;
    agreement_row(&row)
}

async fn fetch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Agreement, StoreError> {
    let row = fetch_row(transaction, organization, id).await?;
    let (_, current) = load_version(transaction, organization, id, row.current_version).await?;
    Ok(assemble(row, current))
}

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

async fn touch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE agreements SET version = version + 1, updated_at = $1 WHERE organization_id = \
        $2 AND id = $3",
    )
    .bind(to_db(now()))
    .bind(organization.0)
    .bind(id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

fn workflow(error: roundtable_domain::agreements::WorkflowError) -> StoreError {
    StoreError::Conflict {
        field: None,
        message: error.to_string(),
    }
}

fn acceptance(version: &AgreementVersion) -> Acceptance {
    Acceptance {
        status: version.status,
        provider_accepted: version.provider_accepted_by.is_some(),
        consumer_accepted: version.consumer_accepted_by.is_some(),
    }
}

impl Scoped<'_> {
    pub async fn create_agreement(&self, new: NewAgreement) -> Result<Agreement, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    ensure_exists(
                        transaction,
                        "departments",
                        organization,
                        new.provider_department_id.0,
                        "provider_department_id",
                    )
                    .await?;
                    ensure_exists(
                        transaction,
                        "departments",
                        organization,
                        new.consumer_department_id.0,
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "agreement.created",
                        "agreement",
                        id,
                        detail,
                    )
                    .await?;
                    fetch(transaction, organization, id).await
                })
            })
            .await
    }

    pub async fn agreement(&self, id: i64) -> Result<Agreement, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "agreements",
            COLUMNS,
            self.organization,
            id,
        )
        .await?;
        let row = agreement_row(&row)?;
        let mut connection = self.store.reader().acquire().await?;
        let (_, current) =
            load_version(&mut connection, self.organization, id, row.current_version).await?;
        Ok(assemble(row, current))
    }

    pub async fn list_agreements(
        &self,
        filter: AgreementFilter,
        page: PageRequest,
    ) -> Result<Listing<Agreement>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM agreements WHERE organization_id = $1 AND id > $2 AND \
                ($3 IS NULL OR provider_department_id = $3) AND ($4 IS NULL OR \
                consumer_department_id = $4) ORDER BY id LIMIT $5"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.provider_department_id.map(|department| department.0))
        .bind(filter.consumer_department_id.map(|department| department.0))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut connection = self.store.reader().acquire().await?;
        for row in &rows {
            let row = agreement_row(row)?;
            let (_, current) = load_version(
                &mut connection,
                self.organization,
                row.id,
                row.current_version,
            )
            .await?;
            items.push(assemble(row, current));
        }
        Ok(page.into_listing(items, |agreement| agreement.id))
    }

    /// Every version of an agreement, oldest first: nothing agreed is ever lost.
    pub async fn agreement_versions(&self, id: i64) -> Result<Vec<AgreementVersion>, StoreError> {
        let agreement = self.agreement(id).await?;
        let mut versions = Vec::new();
        let mut connection = self.store.reader().acquire().await?;
        for number in 1..=agreement.current_version {
            versions.push(
                load_version(&mut connection, self.organization, id, number)
                    .await?
                    .1,
            );
        }
        Ok(versions)
    }

    /// Changes the newest version in place while it is a draft or proposed
    /// (back to draft, acceptances cleared), or starts the next version when it
    /// is agreed (the agreed one stays in force until the new one is agreed).
    pub async fn update_agreement(
        &self,
        id: i64,
        changes: AgreementChanges,
        expected_version: i64,
    ) -> Result<Agreement, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "agreements", organization, id).await?;
                    let current = fetch(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "agreement.updated",
                        "agreement",
                        id,
                        detail,
                    )
                    .await?;
                    fetch(transaction, organization, id).await
                })
            })
            .await
    }

    /// Puts the newest (draft) version to both sides' leads.
    pub async fn propose_agreement(
        &self,
        id: i64,
        by: PersonId,
        expected_version: Option<i64>,
    ) -> Result<Agreement, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "agreements", organization, id).await?;
                    let current = fetch(transaction, organization, id).await?;
                    crate::check_version(current.version, expected_version)?;
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "agreement.proposed",
                        "agreement",
                        id,
                        detail,
                    )
                    .await?;
                    fetch(transaction, organization, id).await
                })
            })
            .await
    }

    /// Records acceptance by the sides `by` leads; when both sides have
    /// accepted, the version comes into force and the previous one is superseded.
    pub async fn accept_agreement(
        &self,
        id: i64,
        by: PersonId,
        sides: Vec<Side>,
        today: Date,
        expected_version: Option<i64>,
    ) -> Result<Agreement, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "agreements", organization, id).await?;
                    let current = fetch(transaction, organization, id).await?;
                    crate::check_version(current.version, expected_version)?;
                    let next = acceptance(&current.current)
                        .accept(&sides)
                        .map_err(workflow)?;
                    let stamp = to_db(now());
                    let number = current.current_version;
                    // An acceptance already given stays as it was (who and when).
                    for (side, column) in
                        [(Side::Provider, "provider"), (Side::Consumer, "consumer")]
                    {
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "agreement.accepted",
                        "agreement",
                        id,
                        detail,
                    )
                    .await?;
                    fetch(transaction, organization, id).await
                })
            })
            .await
    }

    /// Records a review of the agreement in force.
    pub async fn review_agreement(
        &self,
        id: i64,
        reviewed_on: Date,
        notes: String,
        by: Option<PersonId>,
    ) -> Result<AgreementReview, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "agreement.reviewed",
                        "agreement",
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
                    created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
                })
            })
            .collect()
    }

    /// Deletes an agreement that was never agreed; agreed ones are history.
    pub async fn delete_agreement(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "agreements", organization, id).await?;
                    let current = fetch(transaction, organization, id).await?;
                    crate::check_version(current.version, expected_version)?;
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "agreement.deleted",
                        "agreement",
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

/// One cell's raw facts for the matrix.
#[derive(Debug, Clone)]
pub struct MatrixFacts {
    pub departments: Vec<(DepartmentId, String, String)>,
    /// (service id, name, provider, consumer) for every active service and consumer.
    pub service_links: Vec<(i64, String, DepartmentId, DepartmentId)>,
    pub agreements: Vec<MatrixAgreement>,
}

#[derive(Debug, Clone)]
pub struct MatrixAgreement {
    pub id: i64,
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub status: VersionStatus,
    pub current_version: i64,
    pub agreed_version: Option<i64>,
    pub review_cadence: ReviewCadence,
    pub last_reviewed_on: Option<Date>,
}

impl Scoped<'_> {
    /// Everything the matrix shows, in three bounded queries.
    pub async fn matrix_facts(&self) -> Result<MatrixFacts, StoreError> {
        let organization = self.organization.0;
        let reader = self.store.reader();
        let departments = sqlx::query(
            "SELECT id, slug, name FROM departments WHERE organization_id = $1 ORDER BY name, id",
        )
        .bind(organization)
        .fetch_all(reader)
        .await?
        .iter()
        .map(|row| {
            Ok((
                DepartmentId(row.try_get("id")?),
                row.try_get("slug")?,
                row.try_get("name")?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let service_links = sqlx::query(
            "SELECT s.id, s.name, s.provider_department_id, c.department_id FROM services \
                s JOIN service_consumers c ON c.organization_id = s.organization_id AND \
                c.service_id = s.id WHERE s.organization_id = $1 AND s.active = 1 ORDER BY \
                s.name, s.id",
        )
        .bind(organization)
        .fetch_all(reader)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("name")?,
                DepartmentId(row.try_get("provider_department_id")?),
                DepartmentId(row.try_get("department_id")?),
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let agreements = sqlx::query(
            "SELECT a.id, a.provider_department_id, a.consumer_department_id, v.status, \
                a.current_version, a.agreed_version, a.review_cadence_months, \
                a.last_reviewed_on FROM agreements a JOIN agreement_versions v ON \
                v.organization_id = a.organization_id AND v.agreement_id = a.id AND v.number \
                = a.current_version WHERE a.organization_id = $1",
        )
        .bind(organization)
        .fetch_all(reader)
        .await?
        .iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            let months: i64 = row.try_get("review_cadence_months")?;
            Ok(MatrixAgreement {
                id: row.try_get("id")?,
                provider: DepartmentId(row.try_get("provider_department_id")?),
                consumer: DepartmentId(row.try_get("consumer_department_id")?),
                status: VersionStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
                current_version: row.try_get("current_version")?,
                agreed_version: row.try_get("agreed_version")?,
                review_cadence: ReviewCadence::from_months(months)
                    .ok_or_else(|| StoreError::Corrupt(format!("review cadence {months}")))?,
                last_reviewed_on: row
                    .try_get::<Option<String>, _>("last_reviewed_on")?
                    .map(|text| date(&text))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(MatrixFacts {
            departments,
            service_links,
            agreements,
        })
    }
}
