//! The contributors a resolved request credits. Who may credit: the
//! request's two sides (the provider department, which includes its lead
//! and the assignee, and the requester; administrators act for the
//! provider), only once the request is resolved or closed (the store checks
//! the state in its transaction). Credits are added, never replaced; a
//! credit is taken back only by whoever gave it (or an administrator).
//! Authorization comes before validation: a caller who may not credit
//! learns nothing from a bad body.

use crate::requests::visible;
use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::PersonId;
use roundtable_domain::people::Role;
use roundtable_store::auth::Actor;
use roundtable_store::credits::{Credit, NewCredits};
use roundtable_store::requests::Request;

/// The most people one call credits.
pub const MAX_PEOPLE: usize = 50;
/// The longest note, in characters.
pub const MAX_NOTE: usize = 2_000;

/// May the actor credit contributors on this request (whatever its state)?
pub fn may_credit(actor: &Actor, request: &Request) -> bool {
    let roles = policy::request_roles(actor, request);
    roles.provider || roles.requester
}

/// May the actor take back a credit given by `credited_by`? Its giver, or
/// an administrator (the store checks the same when removing).
pub fn may_take_back(actor: &Actor, credited_by: PersonId) -> bool {
    credited_by == actor.person_id || actor.role == Role::Admin
}

/// The people and note checked whole, each problem naming its field
/// (`people[2]` for the third person).
pub fn check(people: &[i64], note: &str) -> Result<(Vec<PersonId>, String), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if people.is_empty() {
        errors.push("people", "name at least one person to credit");
    } else if people.len() > MAX_PEOPLE {
        errors.push("people", format!("at most {MAX_PEOPLE} people at a time"));
    }
    for (index, person) in people.iter().enumerate() {
        if *person <= 0 {
            errors.push(format!("people[{index}]"), "must be a person's id");
        }
    }
    let note = note.trim().to_owned();
    if note.chars().count() > MAX_NOTE {
        errors.push("note", format!("must be at most {MAX_NOTE} characters"));
    }
    errors.finish(|| (people.iter().copied().map(PersonId).collect(), note))
}

/// The contributors a request credits, in the order they were credited.
pub async fn list(caller: &Caller<'_>, request: i64) -> Result<Vec<Credit>, AppError> {
    visible(caller, request).await?;
    Ok(caller.scoped.request_credits(request).await?)
}

/// Credits contributors on a resolved or closed request (all or none); each
/// is told, and each credit appears on the timeline.
#[tracing::instrument(skip(caller, note), fields(person = caller.actor.person_id.0))]
pub async fn credit(
    caller: &Caller<'_>,
    id: i64,
    people: &[i64],
    note: &str,
) -> Result<Vec<Credit>, AppError> {
    let request = visible(caller, id).await?;
    if !may_credit(caller.actor, &request) {
        return Err(AppError::forbidden(
            "Contributors are credited by the request's provider department or its requester.",
        ));
    }
    let (people, note) = check(people, note)?;
    Ok(caller
        .scoped
        .credit_contributors(
            id,
            NewCredits {
                people,
                note,
                by: caller.actor.person_id,
                at: Timestamp::now(),
            },
        )
        .await?)
}

/// Takes a credit back: only whoever gave it, or an administrator.
#[tracing::instrument(skip(caller), fields(person = caller.actor.person_id.0))]
pub async fn remove(caller: &Caller<'_>, id: i64, person: PersonId) -> Result<(), AppError> {
    visible(caller, id).await?;
    caller
        .scoped
        .remove_credit(
            id,
            person,
            caller.actor.person_id,
            caller.actor.role == Role::Admin,
            Timestamp::now(),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(people: &[i64], note: &str) -> Vec<String> {
        check(people, note)
            .err()
            .map(|errors| errors.0.into_iter().map(|error| error.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn each_bad_person_is_named_by_position() {
        assert_eq!(fields(&[], ""), ["people"]);
        assert_eq!(fields(&[3, 0, -2], ""), ["people[1]", "people[2]"]);
        let many: Vec<i64> = (1..=51).collect();
        assert_eq!(fields(&many, ""), ["people"]);
        assert!(fields(&[3, 4], "").is_empty());
        assert_eq!(fields(&[3], &"x".repeat(MAX_NOTE + 1)), ["note"]);
    }
}
