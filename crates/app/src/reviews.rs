//! Alignment reviews: one per period, with the decisions taken and the
//! actions agreed. Everyone signed in reads them; executives and
//! administrators open and record them. The agenda is generated from the
//! data whenever it is read.

use crate::actions::parse_date;
use crate::objectives::ObjectiveWithMeasures;
use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::objectives::{Period, Status, objective_progress, status};
use roundtable_domain::text::Label;
use roundtable_store::reviews::{NewReview, Review, ReviewChanges};
use roundtable_store::round_table::{Action, ActionFilter, Topic};
use roundtable_store::{Change, Listing, PageRequest, every_page};

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

/// Every alignment review (anyone signed in).
#[tracing::instrument(skip_all)]
pub async fn all(caller: &Caller<'_>) -> Result<Vec<Review>, AppError> {
    every_page(|page| list(caller, page)).await
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

/// How many cells the agenda's ranked sections take.
pub const AGENDA_CELLS: usize = 5;
/// The window the agenda's health is judged over, in days.
pub const AGENDA_HEALTH_DAYS: i64 = 90;

/// One provider → consumer cell the agenda points at.
#[derive(Debug, Clone, PartialEq)]
pub struct AgendaCell {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    /// The cell's health score, or the size of its perception gap.
    pub value: f64,
    /// Why it is on the agenda, in words.
    pub detail: String,
}

/// A review's agenda, generated from the data when it is read: every
/// section present, empty when it has no data.
#[derive(Debug, Clone)]
pub struct Agenda {
    pub review: Review,
    /// The date the agenda was generated for.
    pub as_of: Date,
    /// Objectives of the review's period that are off track.
    pub off_track_objectives: Vec<ObjectiveWithMeasures>,
    /// The matrix cells with the lowest relationship health.
    pub lowest_health_cells: Vec<AgendaCell>,
    /// The cells where provider and consumer see the relationship most differently.
    pub largest_perception_gaps: Vec<AgendaCell>,
    pub top_voted_open_topics: Vec<Topic>,
    /// Unfinished actions past their due date, most overdue first.
    pub overdue_actions: Vec<Action>,
}

/// Whether an objective with measures is off track on `today` (one
/// without measures has no status).
pub fn off_track(objective: &ObjectiveWithMeasures, today: Date) -> bool {
    let elapsed = objective.objective.period.elapsed_share(today);
    let progress = objective_progress(
        &objective
            .measures
            .iter()
            .map(|measure| measure.scale.progress(measure.current))
            .collect::<Vec<_>>(),
    );
    progress.is_some_and(|progress| status(progress, elapsed) == Status::OffTrack)
}

/// The agenda's lowest-health cells: the cells with a health score over the
/// last 90 days, lowest first.
async fn lowest_health_cells(
    caller: &Caller<'_>,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<AgendaCell>, AppError> {
    let report = caller
        .scoped
        .relationship_health(AGENDA_HEALTH_DAYS, now)
        .await?;
    let mut cells: Vec<AgendaCell> = report
        .cells
        .iter()
        .filter_map(|((provider, consumer), cell)| {
            let score = cell.health.score?;
            Some(AgendaCell {
                provider: *provider,
                consumer: *consumer,
                value: (score * 10.0).round() / 10.0,
                detail: format!("health {score:.0} over the last {AGENDA_HEALTH_DAYS} days"),
            })
        })
        .collect();
    cells.sort_by(|a, b| {
        a.value
            .total_cmp(&b.value)
            .then(a.provider.0.cmp(&b.provider.0))
            .then(a.consumer.0.cmp(&b.consumer.0))
    });
    cells.truncate(limit);
    Ok(cells)
}

/// The agenda's largest perception gaps: in the latest closed pulse round,
/// the cells whose provider sees itself most differently from how its
/// internal customers see it (the mirror gap), largest first. Only cells
/// whose aggregates may be shown take part.
async fn largest_perception_gaps(
    caller: &Caller<'_>,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<AgendaCell>, AppError> {
    let rounds = caller.scoped.closed_pulse_results(now).await?;
    let Some(latest) = rounds.last() else {
        return Ok(Vec::new());
    };
    let mut cells: Vec<AgendaCell> = latest
        .cells
        .iter()
        .filter(|cell| cell.mirror_disclosed)
        .filter_map(|cell| {
            let scores = cell.scores.as_ref()?;
            let gap = scores.mirror_gap?;
            Some(AgendaCell {
                provider: cell.provider,
                consumer: cell.consumer,
                value: (gap * 100.0).round() / 100.0,
                detail: format!(
                    "in {}, the provider rates itself {gap:+.1} points (of 7) against its customers' view; service gap {:+.2}",
                    latest.round.name, scores.importance_weighted_gap
                ),
            })
        })
        .collect();
    cells.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    cells.truncate(limit);
    Ok(cells)
}

/// A review's agenda for `today` (anyone signed in): the off-track
/// objectives of its period, the lowest-health cells, the largest
/// perception gaps, the top-voted open topics and the overdue actions.
#[tracing::instrument(skip_all, fields(review = id))]
pub async fn agenda(
    caller: &Caller<'_>,
    id: i64,
    today: Date,
    now: Timestamp,
) -> Result<Agenda, AppError> {
    let RoundTableAgenda {
        review,
        top_voted_open_topics,
        overdue_actions,
    } = round_table_agenda(caller, id, today).await?;
    let off_track_objectives = crate::objectives::all(caller, Some(review.period))
        .await?
        .into_iter()
        .filter(|objective| off_track(objective, today))
        .collect();
    Ok(Agenda {
        off_track_objectives,
        lowest_health_cells: lowest_health_cells(caller, now, AGENDA_CELLS).await?,
        largest_perception_gaps: largest_perception_gaps(caller, now, AGENDA_CELLS).await?,
        review,
        as_of: today,
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
