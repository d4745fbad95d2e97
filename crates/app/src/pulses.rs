//! Relationship pulse rounds: opening and closing them (administrators and
//! executives), answering them (the people of the departments asked about:
//! consumers rate their provider, the provider rates itself, the mirror) and
//! reading their results once closed.
//!
//! Results come only from `Scoped::pulse_results`, which has already
//! withheld every aggregate under the anonymity threshold; whatever an
//! adapter filters afterwards picks from that one decision and cannot widen it.

use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::pulses::{Ratings, validate_importance, validate_scale};
use roundtable_store::pulses::{
    NewPulseRound, PulseAnswer, PulseInvitation, PulseRound, RoundResults,
};
use roundtable_store::{Listing, PageRequest};

/// The longest free-text comment on an answer, in characters.
pub const MAX_COMMENT: usize = 5000;

/// Rounds, newest first (everyone signed in sees them).
#[tracing::instrument(skip(caller))]
pub async fn list(caller: &Caller<'_>, page: PageRequest) -> Result<Listing<PulseRound>, AppError> {
    Ok(caller.scoped.pulse_rounds(page).await?)
}

/// One round, with the cells the caller is asked about.
#[tracing::instrument(skip(caller))]
pub async fn get(
    caller: &Caller<'_>,
    id: i64,
) -> Result<(PulseRound, Vec<PulseInvitation>), AppError> {
    let round = caller.scoped.pulse_round(id).await?;
    let invitations = caller
        .scoped
        .pulse_invitations(&round, caller.actor.person_id)
        .await?;
    Ok((round, invitations))
}

/// A round as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct NewRound {
    pub name: String,
    /// RFC 3339; `None` opens it now.
    pub opens_at: Option<String>,
    /// RFC 3339, after `opens_at` and in the future.
    pub closes_at: String,
    /// (provider, consumer) cells to ask about; `None` asks every agreed cell.
    pub cells: Option<Vec<(i64, i64)>>,
}

fn instant(field: &str, text: &str, errors: &mut ValidationErrors) -> Option<Timestamp> {
    match text.parse::<Timestamp>() {
        Ok(instant) => Some(instant),
        Err(_) => {
            errors.push(
                field,
                "must be an RFC 3339 instant such as 2027-01-15T09:00:00Z",
            );
            None
        }
    }
}

/// Opens (or schedules) a round over agreed cells.
#[tracing::instrument(skip(caller, new))]
pub async fn open(caller: &Caller<'_>, new: NewRound) -> Result<PulseRound, AppError> {
    policy::run_pulse_rounds(caller.actor)?;
    let mut errors = ValidationErrors::new();
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push("name", "must be 1 to 200 characters");
    }
    let now = Timestamp::now();
    let opens_at = match &new.opens_at {
        Some(text) => instant("opens_at", text, &mut errors),
        None => Some(now),
    };
    let closes_at = instant("closes_at", &new.closes_at, &mut errors);
    if let (Some(opens), Some(closes)) = (opens_at, closes_at) {
        if closes <= opens {
            errors.push("closes_at", "must be after opens_at");
        } else if closes <= now {
            errors.push("closes_at", "must be in the future");
        }
    }
    let (Some(opens_at), Some(closes_at), true) = (opens_at, closes_at, errors.is_empty()) else {
        return Err(errors.into());
    };
    let cells = new.cells.map(|cells| {
        cells
            .into_iter()
            .map(|(provider, consumer)| (DepartmentId(provider), DepartmentId(consumer)))
            .collect()
    });
    Ok(caller
        .scoped
        .create_pulse_round(NewPulseRound {
            name,
            opens_at,
            closes_at,
            cells,
        })
        .await?)
}

/// Closes an open round now; its results become readable.
#[tracing::instrument(skip(caller))]
pub async fn close(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<PulseRound, AppError> {
    policy::run_pulse_rounds(caller.actor)?;
    Ok(caller
        .scoped
        .close_pulse_round(id, expected_version, Timestamp::now())
        .await?)
}

/// An answer about one cell as it arrives.
#[derive(Debug, Clone)]
pub struct Answer {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// Consumer side only: what they expect, 1 to 7 per dimension.
    pub expectation: Option<Ratings>,
    /// How it is (consumer side) or how they see themselves (provider side), 1 to 7.
    pub perception: Ratings,
    /// Consumer side only: 100 points split across the dimensions.
    pub importance: Option<Ratings>,
    pub comment: String,
}

/// Answers about one cell of an open round, once per person and cell.
/// Another organization's round is not found, and someone whose department
/// is party to none of its cells is refused, before the answer is judged.
#[tracing::instrument(skip(caller, answer))]
pub async fn respond(caller: &Caller<'_>, id: i64, answer: Answer) -> Result<(), AppError> {
    let round = caller.scoped.pulse_round(id).await?;
    let party = caller.actor.department_id.is_some_and(|department| {
        round
            .cells
            .iter()
            .any(|(provider, consumer)| *provider == department || *consumer == department)
    });
    if !party {
        return Err(AppError::forbidden(
            "Only members of the departments this round asks about answer it.",
        ));
    }
    let mut errors = ValidationErrors::new();
    errors.check("", validate_scale("perception", &answer.perception));
    if let Some(expectation) = &answer.expectation {
        errors.check("", validate_scale("expectation", expectation));
    }
    if let Some(importance) = &answer.importance {
        errors.check("", validate_importance("importance", importance));
    }
    let comment = answer.comment.trim().to_owned();
    if comment.chars().count() > MAX_COMMENT {
        errors.push(
            "comment",
            format!("must be at most {MAX_COMMENT} characters"),
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(caller
        .scoped
        .respond_to_pulse(
            id,
            caller.actor.person_id,
            PulseAnswer {
                provider: DepartmentId(answer.provider_department_id),
                consumer: DepartmentId(answer.consumer_department_id),
                expectation: answer.expectation,
                perception: answer.perception,
                importance: answer.importance,
                comment,
            },
            Timestamp::now(),
        )
        .await?)
}

/// The results of a closed round, with every aggregate under the threshold withheld.
#[tracing::instrument(skip(caller))]
pub async fn results(caller: &Caller<'_>, id: i64) -> Result<RoundResults, AppError> {
    Ok(caller.scoped.pulse_results(id, Timestamp::now()).await?)
}
