//! Organizations: the tenants. Creating one is an operator's act (CLI, demo,
//! tests), so these functions are not scoped; reading and changing one's own
//! organization goes through [`Scoped`].

use crate::time::{from_db, now, to_db};
use crate::{Change, Scoped, Store, StoreError};
use jiff::Timestamp;
use rand::RngCore;
use roundtable_domain::ids::{CalendarId, OrganizationId};
use roundtable_domain::text::{Label, Slug};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    pub slug: String,
    pub name: String,
    pub default_calendar_id: Option<CalendarId>,
    /// Clocks count as at risk from this share of their target, in percent.
    pub at_risk_percent: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str =
    "id, slug, name, default_calendar_id, at_risk_percent, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: OrganizationId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        default_calendar_id: row
            .try_get::<Option<i64>, _>("default_calendar_id")?
            .map(CalendarId),
        at_risk_percent: row.try_get("at_risk_percent")?,
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

fn new_sampling_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Store {
    pub async fn create_organization(
        &self,
        slug: Slug,
        name: Label,
    ) -> Result<Organization, StoreError> {
        self.write(move |transaction| {
            Box::pin(async move {
                let stamp = to_db(now());
                let row = sqlx::query(&format!(
                    "INSERT INTO organizations (slug, name, sampling_secret, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING {COLUMNS}"
                ))
                .bind(slug.as_str().to_owned())
                .bind(name.into_string())
                .bind(new_sampling_secret())
                .bind(stamp)
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| match StoreError::from(error) {
                    StoreError::Conflict { .. } => StoreError::Conflict {
                        field: Some("slug".to_owned()),
                        message: format!("an organization with slug {slug} already exists"),
                    },
                    other => other,
                })?;
                from_row(&row)
            })
        })
        .await
    }

    pub async fn find_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<Organization>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM organizations WHERE slug = $1"
        ))
        .bind(slug.to_owned())
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn list_organizations(&self) -> Result<Vec<Organization>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations ORDER BY id"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(from_row).collect()
    }
}

/// A change to the organization's own settings.
#[derive(Debug, Clone, Default)]
pub struct OrganizationChanges {
    pub name: Change<Label>,
    pub default_calendar_id: Change<Option<CalendarId>>,
    pub at_risk_percent: Change<i64>,
}

impl Scoped<'_> {
    pub async fn organization(&self) -> Result<Organization, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM organizations WHERE id = $1"
        ))
        .bind(self.organization.0)
        .fetch_optional(self.store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn update_organization(
        &self,
        changes: OrganizationChanges,
        expected_version: i64,
    ) -> Result<Organization, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let detail = crate::departments::changed_fields(&[
            ("name", changes.name.is_set()),
            ("default_calendar_id", changes.default_calendar_id.is_set()),
            ("at_risk_percent", changes.at_risk_percent.is_set()),
        ]);
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    sqlx::query("UPDATE organizations SET version = version WHERE id = $1")
                        .bind(organization.0)
                        .execute(&mut **transaction)
                        .await?;
                    let current = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE id = $1"))
                        .bind(organization.0)
                        .fetch_optional(&mut **transaction)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let current = from_row(&current)?;
                    crate::check_version(current.version, Some(expected_version))?;
                    let default_calendar = changes.default_calendar_id.or(current.default_calendar_id);
                    if let Some(calendar) = default_calendar {
                        crate::calendars::ensure_exists(transaction, organization, calendar, "default_calendar_id").await?;
                    }
                    let at_risk_percent = changes.at_risk_percent.or(current.at_risk_percent);
                    if !(1..=99).contains(&at_risk_percent) {
                        return Err(StoreError::invalid("at_risk_percent", "must be between 1 and 99"));
                    }
                    let name = match changes.name {
                        Change::Set(name) => name.into_string(),
                        Change::Keep => current.name,
                    };
                    let row = sqlx::query(&format!(
                        "UPDATE organizations SET name = $1, default_calendar_id = $2, at_risk_percent = $5, version = version + 1, \
                         updated_at = $3 WHERE id = $4 RETURNING {COLUMNS}"
                    ))
                    .bind(name)
                    .bind(default_calendar.map(|calendar| calendar.0))
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(at_risk_percent)
                    .fetch_one(&mut **transaction)
                    .await?;
                    crate::audit::record(transaction, audit, "organization.updated", "organization", organization.0, detail)
                        .await?;
                    from_row(&row)
                })
            })
            .await
    }

    /// The organization's secret for reproducible sampling decisions.
    pub async fn sampling_secret(&self) -> Result<String, StoreError> {
        sqlx::query_scalar("SELECT sampling_secret FROM organizations WHERE id = $1")
            .bind(self.organization.0)
            .fetch_optional(self.store.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }
}
