//! Delivery dates both sides agree ("we can do it by Thursday"): the
//! provider offers, the requester may counter, and whichever side did not
//! propose accepts. A request resolved by its accepted date is on time.

use super::visible;
use super::workflow::InstantInput;
use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_domain::requests::Roles;
use roundtable_store::requests::{Commitment, CommitmentSide};

/// The side of a request the caller speaks for in a commitment (the
/// provider's, when they are both).
pub fn side(roles: Roles) -> Result<CommitmentSide, AppError> {
    match (roles.provider, roles.requester) {
        (true, _) => Ok(CommitmentSide::Provider),
        (false, true) => Ok(CommitmentSide::Requester),
        (false, false) => Err(AppError::forbidden(
            "Only the requester or the provider department take part in a commitment.",
        )),
    }
}

/// The commitments proposed for a request, oldest first.
pub async fn list(caller: &Caller<'_>, id: i64) -> Result<Vec<Commitment>, AppError> {
    visible(caller, id).await?;
    Ok(caller.scoped.commitments(id).await?)
}

/// Proposes a delivery date; from the requester it is a counter-proposal.
#[tracing::instrument(skip(caller, note), fields(person = caller.actor.person_id.0))]
pub async fn propose(
    caller: &Caller<'_>,
    id: i64,
    due_at: InstantInput,
    note: &str,
) -> Result<Commitment, AppError> {
    let request = visible(caller, id).await?;
    let side = side(policy::request_roles(caller.actor, &request))?;
    let due_at = due_at.map_err(|message| AppError::invalid("due_at", message))?;
    Ok(caller
        .scoped
        .propose_commitment(
            id,
            side,
            caller.actor.person_id,
            due_at,
            note.trim().to_owned(),
            Timestamp::now(),
        )
        .await?)
}

/// Accepts the other side's proposed date.
#[tracing::instrument(skip(caller), fields(person = caller.actor.person_id.0))]
pub async fn accept(caller: &Caller<'_>, id: i64, commitment: i64) -> Result<Commitment, AppError> {
    let request = visible(caller, id).await?;
    let side = side(policy::request_roles(caller.actor, &request))?;
    Ok(caller
        .scoped
        .accept_commitment(
            id,
            commitment,
            side,
            caller.actor.person_id,
            Timestamp::now(),
        )
        .await?)
}
