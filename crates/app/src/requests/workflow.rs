//! A request's way from raised to closed: status moves, comments and the
//! timeline, deferrals for an external customer, hand-offs to another
//! department and sub-requests split off. Who may move it at all is decided
//! before the input is judged; which move is theirs, the domain's workflow
//! judges in the store's transaction.

use super::{long_text, service_for, targets_of, visible};
use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::requests::{InputQuality, Status};
use roundtable_domain::text::Label;
use roundtable_store::requests::{
    AD_HOC_TARGETS, Comment, Handoff, Request, RequestEvent, Transition, TransitionDetails,
};

/// A move as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Move {
    /// The new status, as named in the API (`in_progress`, …).
    pub to: String,
    pub note: String,
    /// On resolving: how complete the requester's input was.
    pub input_quality: Option<String>,
    pub input_quality_note: Option<String>,
}

/// Moves a request through its workflow, at `version` when the caller names
/// the version they read.
#[tracing::instrument(skip(caller, input), fields(person = caller.actor.person_id.0, to = %input.to))]
pub async fn transition(
    caller: &Caller<'_>,
    id: i64,
    version: Option<i64>,
    input: Move,
) -> Result<Request, AppError> {
    let request = visible(caller, id).await?;
    let roles = policy::request_roles(caller.actor, &request);
    if !roles.provider && !roles.requester {
        return Err(AppError::forbidden(
            "Only the requester and the provider department move a request along.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let to = errors.check("to", Status::parse(&input.to));
    let quality = input
        .input_quality
        .as_deref()
        .and_then(|quality| errors.check("input_quality", InputQuality::parse(quality)));
    let note = long_text(&mut errors, "note", &input.note);
    if input.input_quality.is_some() && to != Some(Status::Resolved) {
        errors.push("input_quality", "is rated when resolving");
    }
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let details = TransitionDetails {
        note,
        input_quality: quality.map(|quality| {
            (
                quality,
                input.input_quality_note.map(|note| note.trim().to_owned()),
            )
        }),
    };
    Ok(caller
        .scoped
        .transition_request(
            id,
            Transition {
                to,
                actor: caller.actor.person_id,
                roles,
                details,
                expected_version: version,
                at: Timestamp::now(),
            },
        )
        .await?)
}

/// The request's comments; internal notes only for the provider side.
pub async fn comments(caller: &Caller<'_>, id: i64) -> Result<Vec<Comment>, AppError> {
    let request = visible(caller, id).await?;
    let provider = policy::request_roles(caller.actor, &request).provider;
    Ok(caller.scoped.comments(id, provider).await?)
}

/// Comments on a request; an internal note is the provider side's. The
/// provider side's first public comment is its first response.
#[tracing::instrument(skip(caller, body), fields(person = caller.actor.person_id.0))]
pub async fn comment(
    caller: &Caller<'_>,
    id: i64,
    body: &str,
    internal: bool,
) -> Result<Comment, AppError> {
    let request = visible(caller, id).await?;
    let roles = policy::request_roles(caller.actor, &request);
    if internal && !roles.provider {
        return Err(AppError::forbidden(
            "Internal notes are for the provider department.",
        ));
    }
    let body = body.trim();
    if body.is_empty() || body.chars().count() > super::MAX_LONG_TEXT {
        return Err(AppError::invalid(
            "body",
            format!("must be 1 to {} characters", super::MAX_LONG_TEXT),
        ));
    }
    Ok(caller
        .scoped
        .add_comment(
            id,
            caller.actor.person_id,
            body.to_owned(),
            internal,
            roles.provider,
            Timestamp::now(),
        )
        .await?)
}

/// The request's timeline: every change, who made it, before and after
/// (internal notes' entries only for the provider side).
pub async fn events(caller: &Caller<'_>, id: i64) -> Result<Vec<RequestEvent>, AppError> {
    let request = visible(caller, id).await?;
    let provider = policy::request_roles(caller.actor, &request).provider;
    Ok(caller.scoped.request_events(id, provider).await?)
}

/// An instant as the edge read it: the instant, or the message for its field
/// (each edge words its own format: RFC 3339 in the API, a local date and
/// time in a form).
pub type InstantInput = Result<Timestamp, String>;

/// Defers a request because an external customer must be served first: the
/// requester is told, and the clock keeps running.
#[tracing::instrument(skip(caller, reason), fields(person = caller.actor.person_id.0))]
pub async fn defer(
    caller: &Caller<'_>,
    id: i64,
    reason: &str,
    new_eta: InstantInput,
) -> Result<Request, AppError> {
    let request = visible(caller, id).await?;
    if !policy::request_roles(caller.actor, &request).provider {
        return Err(AppError::forbidden(
            "Only the provider department defers its requests.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let reason = errors.check("reason", Label::parse(reason));
    if let Err(message) = &new_eta {
        errors.push("new_eta", message.clone());
    }
    let (Some(reason), Ok(eta)) = (reason, new_eta) else {
        return Err(errors.into());
    };
    Ok(caller
        .scoped
        .defer_request(
            id,
            caller.actor.person_id,
            reason.into_string(),
            eta,
            Timestamp::now(),
        )
        .await?)
}

/// Hands a request over to another provider department (under one of its
/// services, whose targets then apply). Each department's time stays on its
/// own clock, so nobody is blamed for another's time.
#[tracing::instrument(skip(caller, note), fields(person = caller.actor.person_id.0))]
pub async fn transfer(
    caller: &Caller<'_>,
    id: i64,
    to: DepartmentId,
    service_id: Option<i64>,
    note: &str,
) -> Result<Request, AppError> {
    let request = visible(caller, id).await?;
    if !policy::request_roles(caller.actor, &request).provider {
        return Err(AppError::forbidden(
            "Only the provider department hands its requests over.",
        ));
    }
    let (service, targets) = match service_id {
        Some(service_id) => {
            let service = service_for(caller, service_id).await?;
            if service.provider_department_id != to {
                return Err(AppError::invalid(
                    "service_id",
                    "is not a service of the receiving department",
                ));
            }
            (Some(service.id), targets_of(&service, request.priority))
        }
        None => (None, AD_HOC_TARGETS),
    };
    Ok(caller
        .scoped
        .transfer_request(
            id,
            Handoff {
                by: caller.actor.person_id,
                to,
                service,
                targets,
                note: note.trim().to_owned(),
                at: Timestamp::now(),
            },
        )
        .await?)
}

/// Splits part of the work off into a linked sub-request for another
/// department; the provider side of the parent raises it.
#[tracing::instrument(skip(caller, input), fields(person = caller.actor.person_id.0))]
pub async fn split(
    caller: &Caller<'_>,
    parent: i64,
    input: super::NewRequestInput,
) -> Result<Request, AppError> {
    let parent = visible(caller, parent).await?;
    if !policy::request_roles(caller.actor, &parent).provider {
        return Err(AppError::forbidden(
            "Only the provider department splits its requests.",
        ));
    }
    let new = super::check_new(caller, input).await?;
    Ok(caller
        .scoped
        .create_sub_request(parent.id, new, Timestamp::now())
        .await?)
}
