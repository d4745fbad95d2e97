//! Agreements as stored: one row per matrix cell, its versions (each one's
//! services, reciprocal obligations and acceptance), and its reviews. An agreed
//! version is never changed; editing it writes the next version.
//!
//! Rows and reads are here; `edits` (create, update, delete), `workflow`
//! (propose, accept), `reviews` and `matrix` apart.

use crate::time::{instant, optional_instant};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use futures::future::BoxFuture;
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::agreements::{Obligation, ReviewCadence, VersionStatus};
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

mod edits;
mod matrix;
mod reviews;
mod workflow;

pub use matrix::{MatrixAgreement, MatrixFacts};
pub use reviews::AgreementReview;

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

#[derive(Serialize, Deserialize)]
struct StoredObligation {
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_within_business_days: Option<i64>,
}

pub(super) fn encode_obligations(obligations: &[Obligation]) -> String {
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

pub(super) fn person(row: &AnyRow, column: &str) -> Result<Option<PersonId>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(PersonId))
}

pub(super) fn date(text: &str) -> Result<Date, StoreError> {
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
        created_at: instant(row, "created_at")?,
        proposed_by: person(row, "proposed_by")?,
        proposed_at: optional_instant(row, "proposed_at")?,
        provider_accepted_by: person(row, "provider_accepted_by")?,
        provider_accepted_at: optional_instant(row, "provider_accepted_at")?,
        consumer_accepted_by: person(row, "consumer_accepted_by")?,
        consumer_accepted_at: optional_instant(row, "consumer_accepted_at")?,
        agreed_at: optional_instant(row, "agreed_at")?,
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
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(AgreementRow, "agreements", COLUMNS, agreement_row);

/// Reads one version with its services.
pub(super) async fn load_version(
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
    crate::rows::get::<AgreementRow, _>(&mut **transaction, organization, id).await
}

pub(super) async fn fetch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Agreement, StoreError> {
    let row = fetch_row(transaction, organization, id).await?;
    let (_, current) = load_version(transaction, organization, id, row.current_version).await?;
    Ok(assemble(row, current))
}

/// Locks the agreement for the rest of the write and reads it, refusing a
/// stale `expected` version (see [`crate::rows::locked`]).
async fn locked(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
    expected: Option<i64>,
) -> Result<Agreement, StoreError> {
    crate::lock_row(transaction, "agreements", organization, id).await?;
    let current = fetch(transaction, organization, id).await?;
    crate::check_version(current.version, expected)?;
    Ok(current)
}

impl Scoped<'_> {
    /// [`Scoped::write_audited`] of a change to agreement `id` at the
    /// `expected` version: `operation` is given the agreement as it stands,
    /// locked for the rest of the write (see [`locked`]).
    async fn write_agreement<T, F>(
        &self,
        id: i64,
        expected: Option<i64>,
        operation: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(
                &'t mut WriteTransaction,
                crate::audit::Context,
                Agreement,
            ) -> BoxFuture<'t, Result<T, StoreError>>
            + Send
            + 'static,
    {
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current = locked(transaction, audit.organization, id, expected).await?;
                operation(transaction, audit, current).await
            })
        })
        .await
    }

    pub async fn agreement(&self, id: i64) -> Result<Agreement, StoreError> {
        let row =
            crate::rows::get::<AgreementRow, _>(self.store.reader(), self.organization, id).await?;
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
}
