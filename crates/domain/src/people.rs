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
}
