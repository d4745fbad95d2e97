//! The round table: topics raised between departments, the actions agreed on,
//! and enhancements put to an executive.
//!
//! The rules that make the conversation honest live here: a frustration must
//! carry the *mirror* (what the author's own department could do
//! differently), statuses move only forward along their workflows, and a
//! declined enhancement says why. The store records outcomes; the API asks.

use crate::ValidationErrors;
use jiff::civil::Date;

fn invalid(message: impl Into<String>) -> ValidationErrors {
    ValidationErrors::single("", message)
}

/// A step a workflow does not allow from where the record stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot move from {from} to {to}")]
pub struct InvalidTransition {
    pub from: &'static str,
    pub to: &'static str,
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
                let wanted = input.trim().to_ascii_lowercase();
                Self::ALL.iter().copied().find(|value| value.as_str() == wanted).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|value| value.as_str()).collect();
                    invalid(format!("must be one of {}", names.join(", ")))
                })
            }
        }
    };
}

named_enum!(
    /// What kind of topic is raised.
    TopicKind { Frustration => "frustration", Assumption => "assumption", Suggestion => "suggestion" }
);

named_enum!(
    /// Where a topic stands: `open` → `discussed` → `action_planned` →
    /// `resolved`, or `parked` on the way (and reopened from there).
    TopicStatus {
        Open => "open",
        Discussed => "discussed",
        ActionPlanned => "action_planned",
        Resolved => "resolved",
        Parked => "parked",
    }
);

impl TopicStatus {
    pub fn can_move_to(self, next: TopicStatus) -> bool {
        use TopicStatus::*;
        matches!(
            (self, next),
            (Open, Discussed)
                | (Discussed, ActionPlanned)
                | (Discussed, Resolved)
                | (ActionPlanned, Resolved)
                | (Open | Discussed | ActionPlanned, Parked)
                | (Parked, Open)
        )
    }

    pub fn move_to(self, next: TopicStatus) -> Result<TopicStatus, InvalidTransition> {
        if self.can_move_to(next) {
            Ok(next)
        } else {
            Err(InvalidTransition {
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }
}

named_enum!(
    /// How the department an assumption is about answers it.
    AssumptionAnswer { Confirmed => "confirmed", Corrected => "corrected" }
);

/// Checks a topic's kind against its texts: a frustration without the mirror
/// is refused, naming `mirror`.
pub fn check_topic(kind: TopicKind, mirror: Option<&str>) -> Result<(), ValidationErrors> {
    let has_mirror = mirror.is_some_and(|text| !text.trim().is_empty());
    if kind == TopicKind::Frustration && !has_mirror {
        return Err(ValidationErrors::single(
            "mirror",
            "a frustration must say what your own department could do differently",
        ));
    }
    Ok(())
}

/// Whether an answer may be given: only assumptions, only once, and only
/// about a department (not the whole organization).
pub fn check_answerable(
    kind: TopicKind,
    about_a_department: bool,
    already_answered: bool,
) -> Result<(), &'static str> {
    if kind != TopicKind::Assumption {
        Err("only an assumption can be answered")
    } else if !about_a_department {
        Err("an assumption about the whole organization has no department to answer it")
    } else if already_answered {
        Err("this assumption has been answered already")
    } else {
        Ok(())
    }
}

named_enum!(
    /// Where an action stands.
    ActionStatus { Open => "open", InProgress => "in_progress", Done => "done", Dropped => "dropped" }
);

impl ActionStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Dropped)
    }
}

/// An action is overdue while unfinished after its due date.
pub fn action_overdue(status: ActionStatus, due_on: Date, today: Date) -> bool {
    !status.is_finished() && due_on < today
}

/// The done date an action carries after moving to `next`: set on the day
/// it is done, kept if it was done already, cleared if reopened.
pub fn done_on_after(
    previous: ActionStatus,
    previous_done_on: Option<Date>,
    next: ActionStatus,
    today: Date,
) -> Option<Date> {
    match (previous, next) {
        (ActionStatus::Done, ActionStatus::Done) => previous_done_on.or(Some(today)),
        (_, ActionStatus::Done) => Some(today),
        _ => None,
    }
}

named_enum!(
    /// A mutual improvement's way: `proposed` → `sponsored` (by an executive)
    /// → `in_progress` → `delivered`, or `declined` (with a reason).
    EnhancementStatus {
        Proposed => "proposed",
        Sponsored => "sponsored",
        InProgress => "in_progress",
        Delivered => "delivered",
        Declined => "declined",
    }
);

impl EnhancementStatus {
    pub fn can_move_to(self, next: EnhancementStatus) -> bool {
        use EnhancementStatus::*;
        matches!(
            (self, next),
            (Proposed, Sponsored)
                | (Sponsored, InProgress)
                | (InProgress, Delivered)
                | (Proposed | Sponsored | InProgress, Declined)
        )
    }

    /// Whose decision a step is. Sponsoring and declining put the
    /// organization's money and attention behind an improvement (or not), so
    /// they are an executive's; starting and delivering the work is the
    /// proposing departments' own, so it is their leads'.
    pub fn decided_by(next: EnhancementStatus) -> EnhancementDecider {
        match next {
            EnhancementStatus::Sponsored | EnhancementStatus::Declined => {
                EnhancementDecider::Executive
            }
            EnhancementStatus::Proposed
            | EnhancementStatus::InProgress
            | EnhancementStatus::Delivered => EnhancementDecider::ProposingLead,
        }
    }

    /// The next status, checking the reason a decline needs (named `reason`)
    /// and that no proposing department still has to confirm before an
    /// executive sponsors it: an improvement is mutual only when every
    /// department named on it has said so.
    pub fn move_to(
        self,
        next: EnhancementStatus,
        reason: Option<&str>,
        awaiting_confirmation: usize,
    ) -> Result<EnhancementStatus, EnhancementStepError> {
        if !self.can_move_to(next) {
            return Err(EnhancementStepError::Transition(InvalidTransition {
                from: self.as_str(),
                to: next.as_str(),
            }));
        }
        if next == EnhancementStatus::Sponsored && awaiting_confirmation > 0 {
            return Err(EnhancementStepError::AwaitingConfirmation(
                awaiting_confirmation,
            ));
        }
        if next == EnhancementStatus::Declined && reason.is_none_or(|text| text.trim().is_empty()) {
            return Err(EnhancementStepError::Invalid(ValidationErrors::single(
                "reason",
                "a declined enhancement needs a reason",
            )));
        }
        Ok(next)
    }
}

/// Why an enhancement cannot take a step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnhancementStepError {
    #[error(transparent)]
    Transition(InvalidTransition),
    #[error(transparent)]
    Invalid(ValidationErrors),
    /// This many proposing departments have not confirmed yet.
    #[error("{0} proposing department(s) have not confirmed the enhancement yet")]
    AwaitingConfirmation(usize),
}

/// Who decides an enhancement's step (see [`EnhancementStatus::decided_by`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnhancementDecider {
    /// An executive, and only an executive.
    Executive,
    /// A lead of one of the proposing departments.
    ProposingLead,
}

/// The fewest departments that propose an enhancement together.
pub const MIN_ENHANCEMENT_DEPARTMENTS: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn a_frustration_needs_its_mirror() {
        let error = check_topic(TopicKind::Frustration, None).err();
        assert_eq!(
            error.map(|errors| errors.0[0].field.clone()).as_deref(),
            Some("mirror")
        );
        assert!(check_topic(TopicKind::Frustration, Some("   ")).is_err());
        assert!(check_topic(TopicKind::Frustration, Some("We could brief earlier")).is_ok());
        assert!(check_topic(TopicKind::Suggestion, None).is_ok());
        assert!(check_topic(TopicKind::Assumption, None).is_ok());
    }

    #[test]
    fn topics_move_forward_or_park() {
        use TopicStatus::*;
        assert!(Open.move_to(Discussed).is_ok());
        assert!(Discussed.move_to(ActionPlanned).is_ok());
        assert!(ActionPlanned.move_to(Resolved).is_ok());
        assert!(Open.move_to(Parked).is_ok());
        assert!(Parked.move_to(Open).is_ok());
        assert!(Open.move_to(Resolved).is_err());
        assert!(Resolved.move_to(Open).is_err());
        assert!(Resolved.move_to(Parked).is_err());
    }

    #[test]
    fn only_assumptions_about_a_department_are_answered_once() {
        assert!(check_answerable(TopicKind::Assumption, true, false).is_ok());
        assert!(check_answerable(TopicKind::Assumption, true, true).is_err());
        assert!(check_answerable(TopicKind::Assumption, false, false).is_err());
        assert!(check_answerable(TopicKind::Frustration, true, false).is_err());
    }

    #[test]
    fn actions_are_overdue_only_while_unfinished_after_their_due_date() {
        let today = day("2027-02-10");
        assert!(action_overdue(ActionStatus::Open, day("2027-02-09"), today));
        assert!(action_overdue(
            ActionStatus::InProgress,
            day("2027-01-01"),
            today
        ));
        assert!(!action_overdue(ActionStatus::Open, today, today));
        assert!(!action_overdue(
            ActionStatus::Done,
            day("2027-01-01"),
            today
        ));
        assert!(!action_overdue(
            ActionStatus::Dropped,
            day("2027-01-01"),
            today
        ));
        assert_eq!(
            done_on_after(ActionStatus::Open, None, ActionStatus::Done, today),
            Some(today)
        );
        assert_eq!(
            done_on_after(
                ActionStatus::Done,
                Some(day("2027-01-05")),
                ActionStatus::Done,
                today
            ),
            Some(day("2027-01-05"))
        );
        assert_eq!(
            done_on_after(ActionStatus::Done, Some(today), ActionStatus::Open, today),
            None
        );
    }

    #[test]
    fn enhancements_follow_their_way_and_declines_need_a_reason() {
        use EnhancementStatus::*;
        assert_eq!(Proposed.move_to(Sponsored, None, 0), Ok(Sponsored));
        assert_eq!(Sponsored.move_to(InProgress, None, 0), Ok(InProgress));
        assert_eq!(InProgress.move_to(Delivered, None, 0), Ok(Delivered));
        assert!(matches!(
            Proposed.move_to(Delivered, None, 0),
            Err(EnhancementStepError::Transition(_))
        ));
        assert!(matches!(
            Delivered.move_to(Declined, Some("late"), 0),
            Err(EnhancementStepError::Transition(_))
        ));
        assert!(matches!(
            Proposed.move_to(Declined, Some(" "), 0),
            Err(EnhancementStepError::Invalid(_))
        ));
        assert_eq!(
            Proposed.move_to(Declined, Some("No budget this year"), 0),
            Ok(Declined)
        );
        assert!(EnhancementStatus::parse("Sponsored").is_ok());
        assert!(EnhancementStatus::parse("approved").is_err());
    }

    #[test]
    fn an_enhancement_reaches_its_sponsor_only_once_every_department_confirmed() {
        use EnhancementStatus::*;
        assert_eq!(
            Proposed.move_to(Sponsored, None, 1),
            Err(EnhancementStepError::AwaitingConfirmation(1))
        );
        // An executive may still say no while a department hesitates.
        assert_eq!(Proposed.move_to(Declined, Some("Not now"), 2), Ok(Declined));
        // Confirmation matters for sponsoring only; later steps are past it.
        assert_eq!(Sponsored.move_to(InProgress, None, 1), Ok(InProgress));
    }

    #[test]
    fn executives_sponsor_and_decline_and_the_proposers_do_the_work() {
        use EnhancementStatus::*;
        assert_eq!(
            EnhancementStatus::decided_by(Sponsored),
            EnhancementDecider::Executive
        );
        assert_eq!(
            EnhancementStatus::decided_by(Declined),
            EnhancementDecider::Executive
        );
        assert_eq!(
            EnhancementStatus::decided_by(InProgress),
            EnhancementDecider::ProposingLead
        );
        assert_eq!(
            EnhancementStatus::decided_by(Delivered),
            EnhancementDecider::ProposingLead
        );
    }
}
