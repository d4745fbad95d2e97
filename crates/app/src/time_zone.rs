//! Whose time a person reads: their own time zone if they chose one, else
//! their department's calendar zone, else UTC. Every time shown to a person
//! (pages, notices, emails) is in it; the API keeps RFC 3339 with offsets.

use crate::{AppError, Caller};
use jiff::tz::TimeZone;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::ZoneName;
use roundtable_store::people::Person;

/// A reader's zone and its name (as the person would recognise it).
#[derive(Debug, Clone)]
pub struct ReaderZone {
    pub zone: TimeZone,
    pub name: String,
    /// Whether the person chose it (rather than inheriting it).
    pub chosen: bool,
}

impl ReaderZone {
    pub fn utc() -> Self {
        ReaderZone {
            zone: TimeZone::UTC,
            name: "UTC".to_owned(),
            chosen: false,
        }
    }
}

/// The zone of a person with `chosen` as their own choice and `department`
/// as their department.
pub async fn zone_for(
    caller: &Caller<'_>,
    chosen: Option<&str>,
    department: Option<DepartmentId>,
) -> Result<ReaderZone, AppError> {
    if let Some(zone) = chosen.and_then(|name| ZoneName::parse(name).ok()) {
        return Ok(ReaderZone {
            zone: zone.time_zone(),
            name: zone.as_str().to_owned(),
            chosen: true,
        });
    }
    if let Some(department) = department {
        let context = caller.scoped.clock_context().await?;
        if let Some(calendar) = context.calendars.get(&department) {
            return Ok(ReaderZone {
                zone: calendar.time_zone().clone(),
                name: calendar.time_zone_name().to_owned(),
                chosen: false,
            });
        }
    }
    Ok(ReaderZone::utc())
}

/// The caller's own zone.
pub async fn of_caller(caller: &Caller<'_>) -> Result<ReaderZone, AppError> {
    zone_for(
        caller,
        caller.actor.time_zone.as_deref(),
        caller.actor.department_id,
    )
    .await
}

/// Sets the caller's own time zone (blank: back to the department's).
#[tracing::instrument(skip(caller), fields(person = caller.actor.person_id.0))]
pub async fn set_own(caller: &Caller<'_>, zone: &str) -> Result<Person, AppError> {
    let zone = if zone.trim().is_empty() {
        None
    } else {
        Some(ZoneName::parse(zone).map_err(AppError::Invalid)?)
    };
    Ok(caller
        .scoped
        .set_time_zone(caller.actor.person_id, zone)
        .await?)
}
