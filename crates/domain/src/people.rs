//! People and their one role.
//!
//! A role says what a person may do across the organization; the fine-grained
//! rules built on it live with the operations they guard.

use crate::ValidationErrors;
use std::fmt;

/// The one role each person has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages the organization.
    Admin,
    /// Sees everything; sponsors enhancements.
    Executive,
    /// Manages their department, its services and agreements.
    Lead,
    /// Works requests.
    Member,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Executive, Role::Lead, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Executive => "executive",
            Role::Lead => "lead",
            Role::Member => "member",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let wanted = input.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == wanted)
            .ok_or_else(|| {
                ValidationErrors::single("", "must be one of admin, executive, lead, member")
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A person's own time zone: a known IANA name, kept as written. Every time
/// shown to the person is in it; without one, their department's calendar
/// zone serves (then UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneName(String);

impl ZoneName {
    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let name = input.trim();
        match jiff::tz::TimeZone::get(name) {
            Ok(_) if !name.is_empty() => Ok(ZoneName(name.to_owned())),
            _ => {
                let mut errors = ValidationErrors::new();
                errors.push(
                    "time_zone",
                    "must be an IANA time zone name such as Europe/Berlin or America/New_York",
                );
                Err(errors)
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse(" Lead "), Ok(Role::Lead));
        assert!(Role::parse("owner").is_err());
    }

    #[test]
    fn a_time_zone_is_a_known_iana_name() {
        assert_eq!(
            ZoneName::parse(" Europe/Berlin ").map(|zone| zone.as_str().to_owned()),
            Ok("Europe/Berlin".to_owned())
        );
        for wrong in ["", "Mars/Olympus", "CEST+99"] {
            assert!(ZoneName::parse(wrong).is_err(), "{wrong}");
        }
    }
}
