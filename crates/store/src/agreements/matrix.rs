//! The matrix's raw facts: every cell's agreement in force.

use super::date;
use crate::{Scoped, StoreError};
use jiff::civil::Date;
use roundtable_domain::agreements::{ReviewCadence, VersionStatus};
use roundtable_domain::ids::DepartmentId;
use sqlx::Row;

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
