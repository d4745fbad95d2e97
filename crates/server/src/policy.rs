//! Who may do what. The rules sit in one place so every endpoint asks the same
//! questions; the finer rules per department arrive with the features that
//! need them.

use crate::problem::ApiError;
use roundtable_domain::ids::PersonId;
use roundtable_domain::people::Role;
use roundtable_store::auth::Actor;

/// Organization structure (departments, people, calendars, settings) is the admins' job.
pub fn manage_organization(actor: &Actor) -> Result<(), ApiError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only an administrator can change the organization's departments, people and calendars.",
        ))
    }
}

/// People manage their own API tokens; admins manage anyone's.
pub fn manage_tokens_of(actor: &Actor, owner: PersonId) -> Result<(), ApiError> {
    if actor.person_id == owner || actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "You can manage only your own API tokens.",
        ))
    }
}

/// The audit log is for administrators.
pub fn read_audit_log(actor: &Actor) -> Result<(), ApiError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only an administrator can read the audit log.",
        ))
    }
}
