//! Agreements: one per cell of the matrix (provider → consumer), and the
//! rules of their life.
//!
//! An agreement binds two departments, so it only comes into force when the
//! leads of *both* accept it; a change to an agreed agreement is a new version
//! that needs both again, while the agreed one stays in force and readable.
//! Reviews keep it alive: the next review falls one cadence after the last.

use crate::ValidationErrors;
use jiff::ToSpan;
use jiff::civil::Date;

/// Where a version of an agreement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionStatus {
    /// Being written; either side may change it.
    Draft,
    /// Put to both sides' leads for acceptance.
    Proposed,
    /// Accepted by both sides: in force.
    Agreed,
    /// Was agreed, replaced by a later agreed version.
    Superseded,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Proposed => "proposed",
            VersionStatus::Agreed => "agreed",
            VersionStatus::Superseded => "superseded",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        [
            VersionStatus::Draft,
            VersionStatus::Proposed,
            VersionStatus::Agreed,
            VersionStatus::Superseded,
        ]
        .into_iter()
        .find(|status| status.as_str() == input)
    }
}

/// Which side of the cell a lead speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Provider,
    Consumer,
}

/// Why a step of the workflow is not possible now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("only a draft can be proposed; this version is {0}")]
    NotADraft(&'static str),
    #[error("only a proposed version can be accepted; this version is {0}")]
    NotProposed(&'static str),
    #[error("the {0} side has already accepted this version")]
    AlreadyAccepted(&'static str),
    #[error("an agreed version cannot change; edit it to start a new version")]
    Frozen,
}

/// The acceptance state of the version under discussion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acceptance {
    pub status: VersionStatus,
    pub provider_accepted: bool,
    pub consumer_accepted: bool,
}

impl Acceptance {
    pub fn propose(self) -> Result<Acceptance, WorkflowError> {
        match self.status {
            VersionStatus::Draft => Ok(Acceptance {
                status: VersionStatus::Proposed,
                provider_accepted: false,
                consumer_accepted: false,
            }),
            other => Err(WorkflowError::NotADraft(other.as_str())),
        }
    }

    /// Records acceptance by the given sides (a person may lead both); the
    /// version is agreed once both sides have accepted.
    pub fn accept(self, sides: &[Side]) -> Result<Acceptance, WorkflowError> {
        if self.status != VersionStatus::Proposed {
            return Err(WorkflowError::NotProposed(self.status.as_str()));
        }
        let mut next = self;
        let mut changed = false;
        for side in sides {
            match side {
                Side::Provider if !next.provider_accepted => {
                    next.provider_accepted = true;
                    changed = true;
                }
                Side::Consumer if !next.consumer_accepted => {
                    next.consumer_accepted = true;
                    changed = true;
                }
                _ => {}
            }
        }
        if !changed {
            let side = if sides.contains(&Side::Provider) {
                "provider"
            } else {
                "consumer"
            };
            return Err(WorkflowError::AlreadyAccepted(side));
        }
        if next.provider_accepted && next.consumer_accepted {
            next.status = VersionStatus::Agreed;
        }
        Ok(next)
    }

    /// What an edit does: a draft or proposed version is changed in place and
    /// goes back to draft (acceptances of other content do not carry over);
    /// an agreed version stays and a new draft version starts.
    pub fn edit(self) -> EditOutcome {
        match self.status {
            VersionStatus::Draft | VersionStatus::Proposed => EditOutcome::InPlace,
            VersionStatus::Agreed | VersionStatus::Superseded => EditOutcome::NewVersion,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    InPlace,
    NewVersion,
}

/// How often an agreement is reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewCadence {
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl ReviewCadence {
    pub fn months(self) -> i64 {
        match self {
            ReviewCadence::Monthly => 1,
            ReviewCadence::Quarterly => 3,
            ReviewCadence::HalfYearly => 6,
            ReviewCadence::Yearly => 12,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewCadence::Monthly => "monthly",
            ReviewCadence::Quarterly => "quarterly",
            ReviewCadence::HalfYearly => "half_yearly",
            ReviewCadence::Yearly => "yearly",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        match input.trim() {
            "monthly" => Ok(ReviewCadence::Monthly),
            "quarterly" => Ok(ReviewCadence::Quarterly),
            "half_yearly" => Ok(ReviewCadence::HalfYearly),
            "yearly" => Ok(ReviewCadence::Yearly),
            _ => Err(ValidationErrors::single(
                "",
                "must be one of monthly, quarterly, half_yearly, yearly",
            )),
        }
    }

    pub fn from_months(months: i64) -> Option<Self> {
        match months {
            1 => Some(ReviewCadence::Monthly),
            3 => Some(ReviewCadence::Quarterly),
            6 => Some(ReviewCadence::HalfYearly),
            12 => Some(ReviewCadence::Yearly),
            _ => None,
        }
    }

    /// One cadence after `last`; month ends clamp (31 Jan + 1 month = 28/29 Feb).
    pub fn next_review(self, last: Date) -> Date {
        last.checked_add(self.months().months())
            .unwrap_or(Date::MAX)
    }
}

/// When an agreement is next due for review, and whether that is past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewSchedule {
    pub next_review_on: Date,
    pub overdue: bool,
}

pub fn review_schedule(
    last_reviewed_on: Date,
    cadence: ReviewCadence,
    today: Date,
) -> ReviewSchedule {
    let next_review_on = cadence.next_review(last_reviewed_on);
    ReviewSchedule {
        next_review_on,
        overdue: next_review_on < today,
    }
}

/// A reciprocal obligation: what the consumer owes the provider back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    pub description: String,
    pub due_within_business_days: Option<i64>,
}

pub const MAX_OBLIGATIONS: usize = 30;

pub fn parse_obligations(
    inputs: Vec<(String, Option<i64>)>,
) -> Result<Vec<Obligation>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if inputs.len() > MAX_OBLIGATIONS {
        errors.push("", format!("at most {MAX_OBLIGATIONS} obligations"));
    }
    let mut obligations = Vec::new();
    for (index, (description, days)) in inputs.into_iter().enumerate() {
        let description = description.trim().to_owned();
        if description.is_empty() || description.chars().count() > 1000 {
            errors.push(
                format!("[{index}].description"),
                "must be 1 to 1000 characters",
            );
        }
        if days.is_some_and(|days| !(1..=365).contains(&days)) {
            errors.push(
                format!("[{index}].due_within_business_days"),
                "must be between 1 and 365",
            );
        }
        obligations.push(Obligation {
            description,
            due_within_business_days: days,
        });
    }
    errors.finish(|| obligations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const DRAFT: Acceptance = Acceptance {
        status: VersionStatus::Draft,
        provider_accepted: false,
        consumer_accepted: false,
    };

    #[test]
    fn an_agreement_needs_both_sides() {
        let proposed = DRAFT.propose().unwrap_or(DRAFT);
        assert_eq!(proposed.status, VersionStatus::Proposed);
        let half = proposed.accept(&[Side::Provider]).unwrap_or(DRAFT);
        assert_eq!(half.status, VersionStatus::Proposed);
        assert_eq!(
            half.accept(&[Side::Provider]),
            Err(WorkflowError::AlreadyAccepted("provider"))
        );
        let agreed = half.accept(&[Side::Consumer]).unwrap_or(DRAFT);
        assert_eq!(agreed.status, VersionStatus::Agreed);
        let both_at_once = proposed
            .accept(&[Side::Provider, Side::Consumer])
            .unwrap_or(DRAFT);
        assert_eq!(both_at_once.status, VersionStatus::Agreed);
    }

    #[test]
    fn invalid_transitions_are_refused() {
        assert_eq!(
            DRAFT.accept(&[Side::Consumer]),
            Err(WorkflowError::NotProposed("draft"))
        );
        let proposed = DRAFT.propose().unwrap_or(DRAFT);
        assert_eq!(
            proposed.propose(),
            Err(WorkflowError::NotADraft("proposed"))
        );
        let agreed = Acceptance {
            status: VersionStatus::Agreed,
            provider_accepted: true,
            consumer_accepted: true,
        };
        assert_eq!(agreed.propose(), Err(WorkflowError::NotADraft("agreed")));
        assert_eq!(agreed.edit(), EditOutcome::NewVersion);
        assert_eq!(proposed.edit(), EditOutcome::InPlace);
    }

    #[test]
    fn reviews_fall_one_cadence_later_and_clamp_month_ends() {
        assert_eq!(
            ReviewCadence::Quarterly.next_review(date(2026, 1, 15)),
            date(2026, 4, 15)
        );
        assert_eq!(
            ReviewCadence::Monthly.next_review(date(2026, 1, 31)),
            date(2026, 2, 28)
        );
        assert_eq!(
            ReviewCadence::Yearly.next_review(date(2024, 2, 29)),
            date(2025, 2, 28)
        );
        let schedule =
            review_schedule(date(2026, 1, 1), ReviewCadence::Quarterly, date(2026, 4, 2));
        assert!(schedule.overdue);
        assert!(
            !review_schedule(date(2026, 1, 1), ReviewCadence::Quarterly, date(2026, 4, 1)).overdue
        );
    }

    #[test]
    fn obligations_are_validated() {
        assert!(parse_obligations(vec![("Feedback on every lead".into(), Some(5))]).is_ok());
        let errors = parse_obligations(vec![(" ".into(), Some(0))])
            .err()
            .unwrap_or_default();
        let fields: Vec<_> = errors.0.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["[0].description", "[0].due_within_business_days"]);
    }

    proptest! {
        #[test]
        fn any_acceptance_order_agrees_exactly_when_both_sides_accepted(order in proptest::collection::vec(0u8..3, 1..6)) {
            let mut state = DRAFT.propose().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (mut provider, mut consumer) = (false, false);
            for step in order {
                let sides: &[Side] = match step { 0 => &[Side::Provider], 1 => &[Side::Consumer], _ => &[Side::Provider, Side::Consumer] };
                if let Ok(next) = state.accept(sides) {
                    provider |= sides.contains(&Side::Provider);
                    consumer |= sides.contains(&Side::Consumer);
                    state = next;
                }
                prop_assert_eq!(state.status == VersionStatus::Agreed, provider && consumer);
            }
        }

        #[test]
        fn the_next_review_is_always_later(days in 0i64..20_000, cadence in 0usize..4) {
            let cadence = [ReviewCadence::Monthly, ReviewCadence::Quarterly, ReviewCadence::HalfYearly, ReviewCadence::Yearly][cadence];
            let last = date(2000, 1, 1).checked_add(days.days()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let next = cadence.next_review(last);
            prop_assert!(next > last);
            prop_assert!(last.until(next).map(|span| span.get_days()).is_ok());
        }
    }
}
