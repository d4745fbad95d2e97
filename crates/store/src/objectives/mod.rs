//! Corporate objectives, their measures with contributing departments and
//! check-in history, and department goals.
//!
//! The store keeps the numbers; what they mean (progress, status, whether a
//! target is reached) is asked of `domain::objectives`. Reaching a mutual
//! measure's target credits every contributing department in the same
//! transaction as the check-in that reached it, exactly once.
//!
//! One file per noun: `objective`, `measures` (with contributors and the
//! recognition when a mutual target is reached), `checkins`, `goals`.

use crate::{StoreError, WriteTransaction};
use jiff::civil::Date;
use roundtable_domain::ids::OrganizationId;
use roundtable_domain::objectives::Period;

mod checkins;
mod goals;
mod measures;
mod objective;

pub use checkins::{Checkin, CheckinOutcome, NewCheckin};
pub use goals::{Goal, GoalChanges, GoalFilter, NewGoal};
pub use measures::{Contributor, Measure, MeasureChanges, NewMeasure};
pub use objective::{NewObjective, Objective, ObjectiveChanges};

/// Checks, inside a write, that an objective a goal, measure or enhancement
/// serves (if any) is one of the organization's, as field `objective_id`.
pub(crate) async fn ensure_objective(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    objective: impl Into<Option<i64>>,
) -> Result<(), StoreError> {
    crate::ensure_exists(
        transaction,
        "objectives",
        organization,
        objective,
        "objective_id",
    )
    .await
}

pub(crate) fn date_from_db(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|error| StoreError::Corrupt(format!("date {text:?}: {error}")))
}

pub(crate) fn period_from_db(text: &str) -> Result<Period, StoreError> {
    Period::parse(text).map_err(|_| StoreError::Corrupt(format!("period {text:?}")))
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|index| format!("${index}"))
        .collect::<Vec<_>>()
        .join(", ")
}
