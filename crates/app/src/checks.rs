//! Satisfaction checks and the thank-you ledger. A check is personal: only
//! its respondent sees or answers it, and anyone else is told it does not
//! exist, so a check's existence says nothing about someone's requests.

use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::checks::{CheckAnswer, validate_rating};
use roundtable_domain::ids::PersonId;
use roundtable_domain::people::Role;
use roundtable_store::checks::{AnsweredCheck, Check, CheckFilter, CheckResponse, CheckStatus};
use roundtable_store::thank_you::LedgerEntry;
use roundtable_store::{Listing, PageRequest};

/// The longest comment on an answer, in characters.
pub const MAX_COMMENT: usize = 5000;
/// The most coupon codes one upload may add.
pub const MAX_COUPONS: usize = 10_000;

/// Which of one's checks to list, by name: `pending` (the default),
/// `answered`, `expired` or `all`.
pub fn parse_status_filter(text: Option<&str>) -> Result<Option<CheckStatus>, AppError> {
    match text.unwrap_or("pending") {
        "all" => Ok(None),
        text => CheckStatus::parse(text).map(Some).ok_or_else(|| {
            AppError::invalid("status", "must be one of pending, answered, expired, all")
        }),
    }
}

/// The caller's own checks.
#[tracing::instrument(skip(caller))]
pub async fn list(
    caller: &Caller<'_>,
    status: Option<CheckStatus>,
    page: PageRequest,
) -> Result<Listing<Check>, AppError> {
    Ok(caller
        .scoped
        .checks_of(caller.actor.person_id, CheckFilter { status }, page)
        .await?)
}

/// One of the caller's checks; anyone else's is not found.
#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Check, AppError> {
    let check = caller.scoped.check(id).await?;
    if check.respondent_person_id != caller.actor.person_id {
        return Err(AppError::NotFound);
    }
    Ok(check)
}

/// An answer as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// `met`, `partly` or `not_met`.
    pub answer: String,
    /// 1 to 5, when given.
    pub rating: Option<i64>,
    pub comment: String,
}

/// Answers one of the caller's checks, once. `not_met` reopens the request
/// (when its service says so) and tells the provider's leads. Someone
/// else's check is not found before the answer is judged.
#[tracing::instrument(skip(caller, answer))]
pub async fn answer(
    caller: &Caller<'_>,
    id: i64,
    answer: Answer,
) -> Result<AnsweredCheck, AppError> {
    get(caller, id).await?;
    let mut errors = ValidationErrors::new();
    let parsed = CheckAnswer::parse(&answer.answer);
    if parsed.is_none() {
        errors.push("answer", "must be one of met, partly, not_met");
    }
    if let Some(Err(message)) = answer.rating.map(validate_rating) {
        errors.push("rating", message);
    }
    let comment = answer.comment.trim().to_owned();
    if comment.chars().count() > MAX_COMMENT {
        errors.push(
            "comment",
            format!("must be at most {MAX_COMMENT} characters"),
        );
    }
    let (Some(parsed), true) = (parsed, errors.is_empty()) else {
        return Err(errors.into());
    };
    Ok(caller
        .scoped
        .answer_check(
            id,
            caller.actor.person_id,
            CheckResponse {
                answer: parsed,
                rating: answer.rating,
                comment,
            },
            Timestamp::now(),
        )
        .await?)
}

/// The thank-you ledger: one's own entries, or everyone's for an administrator.
#[tracing::instrument(skip(caller))]
pub async fn thank_yous(
    caller: &Caller<'_>,
    everyone: bool,
    page: PageRequest,
) -> Result<Listing<LedgerEntry>, AppError> {
    if everyone && caller.actor.role != Role::Admin {
        return Err(AppError::forbidden(
            "Only an administrator can read everyone's thank-yous.",
        ));
    }
    let person: Option<PersonId> = (!everyone).then_some(caller.actor.person_id);
    Ok(caller.scoped.thank_you_ledger(person, page).await?)
}

/// What an upload of coupon codes did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CouponsAdded {
    pub added: u64,
    pub available: i64,
}

/// Adds coupon codes to the thank-you list (administrators), all or none.
#[tracing::instrument(skip(caller, codes))]
pub async fn add_coupons(
    caller: &Caller<'_>,
    codes: Vec<String>,
) -> Result<CouponsAdded, AppError> {
    policy::manage_organization(caller.actor)?;
    if codes.is_empty() || codes.len() > MAX_COUPONS {
        return Err(AppError::invalid(
            "codes",
            format!("must hold 1 to {MAX_COUPONS} codes"),
        ));
    }
    let mut errors = ValidationErrors::new();
    let mut trimmed = Vec::with_capacity(codes.len());
    for (index, code) in codes.iter().enumerate() {
        let code = code.trim();
        if code.is_empty() || code.chars().count() > 200 {
            errors.push(format!("codes[{index}]"), "must be 1 to 200 characters");
        }
        trimmed.push(code.to_owned());
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let added = caller.scoped.add_thank_you_coupons(trimmed).await?;
    Ok(CouponsAdded {
        added,
        available: caller.scoped.thank_you_coupons_left().await?,
    })
}
