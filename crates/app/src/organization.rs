//! The organization itself: its settings (name, default calendar, at-risk
//! share, anonymity threshold, check fatigue, thank-yous), changed by
//! administrators, and the audit log of who changed what, read by them.

use crate::{AppError, Caller, policy};
use roundtable_domain::ids::CalendarId;
use roundtable_domain::text::Label;
use roundtable_domain::{FieldError, ValidationErrors};
use roundtable_store::audit::AuditEntry;
use roundtable_store::organizations::{Organization, OrganizationChanges};
use roundtable_store::{Change, Listing, PageRequest};

/// The caller's organization (everyone signed in reads it).
#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>) -> Result<Organization, AppError> {
    Ok(caller.scoped.organization().await?)
}

/// Changes to the settings; absent fields stay. `default_calendar_id:
/// Some(None)` clears the default calendar. The ranges of the numbers are
/// the store's to check, against the same rules it keeps on every write.
#[derive(Debug, Clone, Default)]
pub struct SettingsEdit {
    pub name: Option<String>,
    pub default_calendar_id: Option<Option<i64>>,
    pub at_risk_percent: Option<i64>,
    pub anonymity_threshold: Option<i64>,
    pub check_fatigue_days: Option<i64>,
    pub thank_you_kind: Option<String>,
    pub thank_you_points: Option<i64>,
}

impl SettingsEdit {
    pub fn parse(self) -> Result<OrganizationChanges, ValidationErrors> {
        let mut changes = OrganizationChanges::default();
        if let Some(name) = &self.name {
            let name = Label::parse(name).map_err(|errors| {
                ValidationErrors(
                    errors
                        .0
                        .into_iter()
                        .map(|error| FieldError::new("name", error.message))
                        .collect(),
                )
            })?;
            changes.name = Change::Set(name);
        }
        if let Some(calendar) = self.default_calendar_id {
            changes.default_calendar_id = Change::Set(calendar.map(CalendarId));
        }
        changes.at_risk_percent = self.at_risk_percent.into();
        changes.anonymity_threshold = self.anonymity_threshold.into();
        changes.check_fatigue_days = self.check_fatigue_days.into();
        changes.thank_you_kind = self.thank_you_kind.into();
        changes.thank_you_points = self.thank_you_points.into();
        Ok(changes)
    }
}

/// Changes the organization's settings (administrators) at the version read.
#[tracing::instrument(skip(caller, edit))]
pub async fn update(
    caller: &Caller<'_>,
    edit: SettingsEdit,
    expected_version: i64,
) -> Result<Organization, AppError> {
    policy::manage_organization(caller.actor)?;
    let changes = edit.parse()?;
    Ok(caller
        .scoped
        .update_organization(changes, expected_version)
        .await?)
}

/// A page of the audit log, newest first (administrators).
#[tracing::instrument(skip(caller))]
pub async fn audit_log(
    caller: &Caller<'_>,
    page: PageRequest,
) -> Result<Listing<AuditEntry>, AppError> {
    policy::read_audit_log(caller.actor)?;
    Ok(caller.scoped.audit_log(page).await?)
}
