//! Alignment reviews: one per period, with the decisions taken and the
//! actions agreed. Everyone signed in reads them; executives and
//! administrators open and record them. The agenda is generated from the
//! data whenever it is read.

use crate::actions::parse_date;
use crate::{AppError, Caller, policy};
use jiff::civil::Date;
use roundtable_domain::ValidationErrors;
use roundtable_domain::objectives::Period;
use roundtable_domain::text::Label;
use roundtable_store::reviews::{NewReview, Review, ReviewChanges};
use roundtable_store::round_table::{Action, ActionFilter, Topic};
use roundtable_store::{Change, Listing, PageRequest};

/// The most decisions one review records.
pub const MAX_DECISIONS: usize = 100;
/// How many top-voted open topics and overdue actions the agenda takes.
pub const AGENDA_TOPICS: usize = 5;
pub const AGENDA_ACTIONS: usize = 20;

/// Decisions, one line each, named by their place (`decisions[2]`).
pub fn parse_decisions(errors: &mut ValidationErrors, decisions: &[String]) -> Vec<String> {
    if decisions.len() > MAX_DECISIONS {
        errors.push(
            "decisions",
            format!("may list at most {MAX_DECISIONS} decisions"),
        );
    }
    decisions
        .iter()
        .enumerate()
        .filter_map(|(index, decision)| {
            errors
                .check(&format!("decisions[{index}]"), Label::parse(decision))
                .map(Label::into_string)
        })
        .collect()
}

#[tracing::instrument(skip(caller))]
pub async fn list(caller: &Caller<'_>, page: PageRequest) -> Result<Listing<Review>, AppError> {
    Ok(caller.scoped.list_reviews(page).await?)
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Review, AppError> {
    Ok(caller.scoped.review(id).await?)
}

/// The actions agreed at a review (the first 200).
#[tracing::instrument(skip(caller))]
pub async fn actions(caller: &Caller<'_>, review_id: i64) -> Result<Vec<Action>, AppError> {
    Ok(caller
        .scoped
        .list_actions(
            ActionFilter {
                review_id: Some(review_id),
                ..ActionFilter::default()
            },
            PageRequest::first(PageRequest::MAX_LIMIT),
        )
        .await?
        .items)
}

/// A review to open, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Opening {
    /// `2027-Q1` and the like.
    pub period: String,
    pub held_on: Option<String>,
    pub decisions: Vec<String>,
}

impl Opening {
    pub fn parse(self) -> Result<NewReview, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let period = errors.check("period", Period::parse(&self.period));
        let held_on = self
            .held_on
            .as_deref()
            .and_then(|text| errors.check("held_on", parse_date(text)));
        let decisions = parse_decisions(&mut errors, &self.decisions);
        match period {
            Some(period) if errors.is_empty() => Ok(NewReview {
                period,
                held_on,
                decisions,
            }),
            _ => Err(errors),
        }
    }
}

/// Opens an alignment review for a period (executives and administrators).
#[tracing::instrument(skip(caller, opening))]
pub async fn open(caller: &Caller<'_>, opening: Opening) -> Result<Review, AppError> {
    policy::steer_objectives(caller.actor)?;
    let new = opening.parse()?;
    Ok(caller.scoped.create_review(new).await?)
}

/// What to record on a review, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Minutes {
    /// `Some(None)` clears the date held.
    pub held_on: Option<Option<String>>,
    /// Replaces all decisions.
    pub decisions: Option<Vec<String>>,
    /// The version the caller read.
    pub expected_version: i64,
}

/// Records decisions or the date held (executives and administrators).
#[tracing::instrument(skip(caller, minutes))]
pub async fn record(caller: &Caller<'_>, id: i64, minutes: Minutes) -> Result<Review, AppError> {
    policy::steer_objectives(caller.actor)?;
    let mut errors = ValidationErrors::new();
    let changes = ReviewChanges {
        held_on: match minutes.held_on {
            None => Change::Keep,
            Some(None) => Change::Set(None),
            Some(Some(text)) => match errors.check("held_on", parse_date(&text)) {
                Some(day) => Change::Set(Some(day)),
                None => Change::Keep,
            },
        },
        decisions: minutes
            .decisions
            .map(|decisions| parse_decisions(&mut errors, &decisions))
            .into(),
    };
    let changes = errors.finish(|| changes)?;
    Ok(caller
        .scoped
        .update_review(id, changes, minutes.expected_version)
        .await?)
}

/// The parts of a review's agenda that come from the round table: the
/// top-voted open topics and the overdue actions, most overdue first.
#[derive(Debug, Clone)]
pub struct RoundTableAgenda {
    pub review: Review,
    pub top_voted_open_topics: Vec<Topic>,
    pub overdue_actions: Vec<Action>,
}

#[tracing::instrument(skip(caller))]
pub async fn round_table_agenda(
    caller: &Caller<'_>,
    id: i64,
    today: Date,
) -> Result<RoundTableAgenda, AppError> {
    let review = get(caller, id).await?;
    let top_voted_open_topics = caller.scoped.top_voted_open_topics(AGENDA_TOPICS).await?;
    let overdue_actions = caller.scoped.overdue_actions(today, AGENDA_ACTIONS).await?;
    Ok(RoundTableAgenda {
        review,
        top_voted_open_topics,
        overdue_actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_single_lines_named_by_index() {
        let mut errors = ValidationErrors::new();
        let decisions = parse_decisions(
            &mut errors,
            &["Fund the lead form".to_owned(), String::new()],
        );
        assert_eq!(decisions, ["Fund the lead form"]);
        assert_eq!(errors.0[0].field, "decisions[1]");
    }
}
