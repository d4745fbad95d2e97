//! Who may do what. The rules sit in one place so every endpoint asks the same
//! questions; the finer rules per department arrive with the features that
//! need them.

use crate::AppError;
use roundtable_domain::agreements::Side;
use roundtable_domain::ids::PersonId;
use roundtable_domain::people::Role;
use roundtable_domain::requests::Roles;
use roundtable_domain::round_table::EnhancementDecider;
use roundtable_store::auth::Actor;
use roundtable_store::departments::Department;
use roundtable_store::requests::Request;

/// Organization structure (departments, people, calendars, settings) is the admins' job.
pub fn manage_organization(actor: &Actor) -> Result<(), AppError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only an administrator can change the organization's departments, people and calendars.",
        ))
    }
}

/// People manage their own API tokens; admins manage anyone's.
pub fn manage_tokens_of(actor: &Actor, owner: PersonId) -> Result<(), AppError> {
    if actor.person_id == owner || actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "You can manage only your own API tokens.",
        ))
    }
}

/// The audit log is for administrators.
pub fn read_audit_log(actor: &Actor) -> Result<(), AppError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only an administrator can read the audit log.",
        ))
    }
}

/// Executives and administrators see every request, queue and record of
/// their organization; everyone else sees what concerns them.
pub fn sees_everything(actor: &Actor) -> bool {
    matches!(actor.role, Role::Admin | Role::Executive)
}

/// Who may see a request: its requester, the requester's and the provider's
/// departments, executives and administrators (and, read by the store, the
/// people it credits: see `requests::visible`).
pub fn see_request(actor: &Actor, request: &Request) -> bool {
    sees_everything(actor)
        || actor.person_id == request.requester_person_id
        || actor.department_id.is_some_and(|department| {
            department == request.provider_department_id
                || Some(department) == request.requester_department_id
        })
}

/// The sides of a request the actor speaks for: the provider side works it
/// (people of the provider department, and administrators); the requester
/// raised it.
pub fn request_roles(actor: &Actor, request: &Request) -> Roles {
    Roles {
        provider: actor.role == Role::Admin
            || actor.department_id == Some(request.provider_department_id),
        requester: actor.person_id == request.requester_person_id,
    }
}

/// Is the actor one of the department's leads?
pub fn leads(actor: &Actor, department: &Department) -> bool {
    department.lead_ids.contains(&actor.person_id)
}

/// A service is managed by its provider's leads (and administrators).
pub fn manage_service(actor: &Actor, provider: &Department) -> Result<(), AppError> {
    if actor.role == Role::Admin || leads(actor, provider) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "Only a lead of {} (the provider) or an administrator can change its services.",
            provider.name
        )))
    }
}

/// An agreement is drafted and proposed by the leads of either side (and administrators).
pub fn manage_agreement(
    actor: &Actor,
    provider: &Department,
    consumer: &Department,
) -> Result<(), AppError> {
    if actor.role == Role::Admin || leads(actor, provider) || leads(actor, consumer) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "Only a lead of {} or {} (or an administrator) can change their agreement.",
            provider.name, consumer.name
        )))
    }
}

/// The sides of an agreement the actor may accept for: only the departments' own leads accept.
pub fn accepting_sides(
    actor: &Actor,
    provider: &Department,
    consumer: &Department,
) -> Result<Vec<Side>, AppError> {
    let mut sides = Vec::new();
    if leads(actor, provider) {
        sides.push(Side::Provider);
    }
    if leads(actor, consumer) {
        sides.push(Side::Consumer);
    }
    if sides.is_empty() {
        Err(AppError::forbidden(format!(
            "An agreement is accepted by the leads of {} and {}; you lead neither.",
            provider.name, consumer.name
        )))
    } else {
        Ok(sides)
    }
}

/// Admins and executives steer: objectives, measures and alignment reviews are theirs.
pub fn steer_objectives(actor: &Actor) -> Result<(), AppError> {
    if matches!(actor.role, Role::Admin | Role::Executive) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only an executive or an administrator can set objectives, measures and reviews.",
        ))
    }
}

/// A measure's check-ins come from its contributing departments (or executives and admins).
pub fn check_in(
    actor: &Actor,
    contributors: &[roundtable_domain::ids::DepartmentId],
) -> Result<(), AppError> {
    let contributes = actor
        .department_id
        .is_some_and(|department| contributors.contains(&department));
    if contributes || matches!(actor.role, Role::Admin | Role::Executive) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only people of a contributing department (or executives and administrators) check in on a measure.",
        ))
    }
}

/// A department's goals are set by its leads (and executives and admins).
pub fn manage_goals_of(actor: &Actor, department: &Department) -> Result<(), AppError> {
    if matches!(actor.role, Role::Admin | Role::Executive) || leads(actor, department) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "Only a lead of {} (or an executive or administrator) can change its goals.",
            department.name
        )))
    }
}

/// Speaking for a department at the round table: its own people (executives and admins for any).
pub fn speak_for(
    actor: &Actor,
    department: roundtable_domain::ids::DepartmentId,
    field: &str,
) -> Result<(), AppError> {
    if actor.department_id == Some(department)
        || matches!(actor.role, Role::Admin | Role::Executive)
    {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            "must be your own department: you speak for the department you belong to",
        ))
    }
}

/// Moving topics and sessions along, and assigning actions: leads, executives and admins.
pub fn run_round_table(actor: &Actor) -> Result<(), AppError> {
    if matches!(actor.role, Role::Admin | Role::Executive | Role::Lead) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only leads, executives and administrators move the round table's topics, sessions and actions along.",
        ))
    }
}

/// Only an executive sponsors an enhancement.
pub fn sponsor_enhancement(actor: &Actor) -> Result<(), AppError> {
    if actor.role == Role::Executive {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only an executive can sponsor an enhancement.",
        ))
    }
}

/// The departments named on an enhancement that the actor leads: the ones
/// they may confirm and whose work they may move on.
pub fn proposing_departments_led(
    actor: &Actor,
    proposing: &[Department],
) -> Vec<roundtable_domain::ids::DepartmentId> {
    proposing
        .iter()
        .filter(|department| leads(actor, department))
        .map(|department| department.id)
        .collect()
}

/// Each step of an enhancement is one kind of person's decision (see
/// `EnhancementStatus::decided_by`): executives sponsor and decline, the
/// proposing departments' leads start and deliver. Nobody else, not even an
/// administrator: the organization's structure is theirs, these decisions are not.
pub fn take_enhancement_step(
    actor: &Actor,
    decider: EnhancementDecider,
    leads_a_proposing_department: bool,
) -> Result<(), AppError> {
    match decider {
        EnhancementDecider::Executive if actor.role == Role::Executive => Ok(()),
        EnhancementDecider::Executive => Err(AppError::forbidden(
            "Only an executive sponsors or declines an enhancement.",
        )),
        EnhancementDecider::ProposingLead if leads_a_proposing_department => Ok(()),
        EnhancementDecider::ProposingLead => Err(AppError::forbidden(
            "Only a lead of a department that proposed this enhancement moves its work on.",
        )),
    }
}

/// Pulse rounds are opened and closed by administrators and executives.
pub fn run_pulse_rounds(actor: &Actor) -> Result<(), AppError> {
    if matches!(actor.role, Role::Admin | Role::Executive) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only an administrator or an executive can open or close a pulse round.",
        ))
    }
}
