//! Organizations: the tenants. Creating one is an operator's act (CLI, demo,
//! tests), so these functions are not scoped; reading and changing one's own
//! organization goes through [`Scoped`].

use crate::time::{instant, now, to_db};
use crate::{Change, Funnel, Scoped, Store, StoreError};
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
    /// The anonymity threshold k: no pulse aggregate rests on fewer people.
    pub anonymity_threshold: i64,
    /// Nobody is asked for a satisfaction check more than once per this many days.
    pub check_fatigue_days: i64,
    /// What a completed check or pulse response earns: `none`, `points` or `coupon`.
    pub thank_you_kind: String,
    pub thank_you_points: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, slug, name, default_calendar_id, at_risk_percent, anonymity_threshold, \
     check_fatigue_days, thank_you_kind, thank_you_points, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: OrganizationId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        default_calendar_id: row
            .try_get::<Option<i64>, _>("default_calendar_id")?
            .map(CalendarId),
        at_risk_percent: row.try_get("at_risk_percent")?,
        anonymity_threshold: row.try_get("anonymity_threshold")?,
        check_fatigue_days: row.try_get("check_fatigue_days")?,
        thank_you_kind: row.try_get("thank_you_kind")?,
        thank_you_points: row.try_get("thank_you_points")?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
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
                    "INSERT INTO organizations (slug, name, sampling_secret, created_at, \
                        updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING {COLUMNS}"
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
    pub anonymity_threshold: Change<i64>,
    pub check_fatigue_days: Change<i64>,
    pub thank_you_kind: Change<String>,
    pub thank_you_points: Change<i64>,
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

    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn update_organization(
        &self,
        changes: OrganizationChanges,
        expected_version: i64,
    ) -> Result<Organization, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("name", changes.name.is_set()),
            ("default_calendar_id", changes.default_calendar_id.is_set()),
            ("at_risk_percent", changes.at_risk_percent.is_set()),
            ("anonymity_threshold", changes.anonymity_threshold.is_set()),
            ("check_fatigue_days", changes.check_fatigue_days.is_set()),
            ("thank_you_kind", changes.thank_you_kind.is_set()),
            ("thank_you_points", changes.thank_you_points.is_set()),
        ]);
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                sqlx::query("UPDATE organizations SET version = version WHERE id = $1")
                    .bind(organization.0)
                    .execute(&mut **transaction)
                    .await?;
                let current = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM organizations WHERE id = $1"
                ))
                .bind(organization.0)
                .fetch_optional(&mut **transaction)
                .await?
                .ok_or(StoreError::NotFound)?;
                let current = from_row(&current)?;
                crate::check_version(current.version, Some(expected_version))?;
                let default_calendar = changes.default_calendar_id.or(current.default_calendar_id);
                crate::ensure_reference(
                    transaction,
                    organization,
                    default_calendar,
                    "default_calendar_id",
                )
                .await?;
                let at_risk_percent = changes.at_risk_percent.or(current.at_risk_percent);
                if !(1..=99).contains(&at_risk_percent) {
                    return Err(StoreError::invalid(
                        "at_risk_percent",
                        "must be between 1 and 99",
                    ));
                }
                let anonymity_threshold =
                    changes.anonymity_threshold.or(current.anonymity_threshold);
                roundtable_domain::pulses::Threshold::new(anonymity_threshold)
                    .map_err(|message| StoreError::invalid("anonymity_threshold", message))?;
                let check_fatigue_days = changes.check_fatigue_days.or(current.check_fatigue_days);
                if !(0..=365).contains(&check_fatigue_days) {
                    return Err(StoreError::invalid(
                        "check_fatigue_days",
                        "must be between 0 and 365",
                    ));
                }
                let thank_you_kind = changes.thank_you_kind.or(current.thank_you_kind);
                if !["none", "points", "coupon"].contains(&thank_you_kind.as_str()) {
                    return Err(StoreError::invalid(
                        "thank_you_kind",
                        "must be one of none, points, coupon",
                    ));
                }
                let thank_you_points = changes.thank_you_points.or(current.thank_you_points);
                if !(0..=100_000).contains(&thank_you_points) {
                    return Err(StoreError::invalid(
                        "thank_you_points",
                        "must be between 0 and 100000",
                    ));
                }
                let name = match changes.name {
                    Change::Set(name) => name.into_string(),
                    Change::Keep => current.name,
                };
                let row = sqlx::query(&format!(
                    "UPDATE organizations SET name = $1, default_calendar_id = $2, \
                            at_risk_percent = $5, anonymity_threshold = $6, \
                            check_fatigue_days = $7, thank_you_kind = $8, thank_you_points = \
                            $9, version = version + 1, updated_at = $3 WHERE id = $4 \
                            RETURNING {COLUMNS}"
                ))
                .bind(name)
                .bind(default_calendar.map(|calendar| calendar.0))
                .bind(to_db(now()))
                .bind(organization.0)
                .bind(at_risk_percent)
                .bind(anonymity_threshold)
                .bind(check_fatigue_days)
                .bind(thank_you_kind)
                .bind(thank_you_points)
                .fetch_one(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "organization.updated", organization.0, detail)
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
