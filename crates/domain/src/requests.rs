//! The life of an internal request: which status may follow which, and who
//! may move it there.
//!
//! The provider side works the request; the requester confirms, reopens or
//! cancels it. Keeping these rules here, apart from storage, lets every
//! interface (API, web, worker) refuse the same invalid moves with the same
//! words, and lets the rules be tested exhaustively.

use crate::ValidationErrors;
use crate::services::{FieldKind, IntakeField};
use jiff::{SignedDuration, Timestamp};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    Acknowledged,
    InProgress,
    WaitingOnRequester,
    Resolved,
    Closed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Acknowledged,
        Status::InProgress,
        Status::WaitingOnRequester,
        Status::Resolved,
        Status::Closed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::WaitingOnRequester => "waiting_on_requester",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == input.trim())
            .ok_or_else(|| {
                ValidationErrors::single(
                    "",
                    "must be one of new, acknowledged, in_progress, waiting_on_requester, resolved, closed, cancelled",
                )
            })
    }

    /// Open requests are still being worked or waited on.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Cancelled)
    }
}

/// Whether a request was delivered on time: resolved within its fulfilment
/// target (`fulfilment_met`, unknown without a business calendar), or by the
/// delivery date both sides accepted, whichever the request can show. `None`
/// until it is delivered, and when nothing can judge it (no calendar and no
/// accepted date).
pub fn delivered_on_time(
    status: Status,
    resolved_at: Option<Timestamp>,
    committed_due_at: Option<Timestamp>,
    fulfilment_met: Option<bool>,
) -> Option<bool> {
    let resolved = resolved_at.filter(|_| matches!(status, Status::Resolved | Status::Closed))?;
    let by_commitment = committed_due_at.map(|committed| resolved <= committed);
    match (by_commitment, fulfilment_met) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), _) | (_, Some(false)) => Some(false),
        (None, None) => None,
    }
}

/// Who is asking for a transition, relative to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles {
    /// Works in (or administers) the provider department.
    pub provider: bool,
    /// Raised the request.
    pub requester: bool,
}

/// How long after resolution the requester may still reopen.
pub const REOPEN_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a request cannot go from {} to {}", .from.as_str(), .to.as_str())]
    NotAllowed { from: Status, to: Status },
    #[error("only the provider department can move a request to {}", .0.as_str())]
    ProviderOnly(Status),
    #[error("only the requester can move a request to {}", .0.as_str())]
    RequesterOnly(Status),
    #[error("the 7-day window to reopen this request ended at {0}")]
    ReopenWindowClosed(Timestamp),
}

impl TransitionError {
    /// Whether the caller lacks the right (403) rather than the move being impossible (409).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            TransitionError::ProviderOnly(_) | TransitionError::RequesterOnly(_)
        )
    }
}

/// Checks a move from `from` to `to` by someone with `roles` at `now`
/// (`resolved_at` for the reopen window).
pub fn check_transition(
    from: Status,
    to: Status,
    roles: Roles,
    now: Timestamp,
    resolved_at: Option<Timestamp>,
) -> Result<(), TransitionError> {
    use Status::*;
    let allowed = matches!(
        (from, to),
        (New, Acknowledged)
            | (New | Acknowledged | WaitingOnRequester, InProgress)
            | (Acknowledged | InProgress, WaitingOnRequester)
            | (
                New | Acknowledged | InProgress | WaitingOnRequester,
                Resolved
            )
            | (Resolved, InProgress)
            | (Resolved, Closed)
            | (
                New | Acknowledged | InProgress | WaitingOnRequester,
                Cancelled
            )
    );
    if !allowed {
        return Err(TransitionError::NotAllowed { from, to });
    }
    match (from, to) {
        // Reopening and confirming are the requester's; the reopen has a window.
        (Resolved, InProgress) => {
            if !roles.requester {
                return Err(TransitionError::RequesterOnly(InProgress));
            }
            if let Some(resolved_at) = resolved_at {
                let window_end = resolved_at
                    .checked_add(REOPEN_WINDOW)
                    .unwrap_or(Timestamp::MAX);
                if now > window_end {
                    return Err(TransitionError::ReopenWindowClosed(window_end));
                }
            }
        }
        (Resolved, Closed) => {
            if !roles.requester {
                return Err(TransitionError::RequesterOnly(Closed));
            }
        }
        // Either side may withdraw a request it no longer needs or cannot take.
        (_, Cancelled) => {
            if !(roles.requester || roles.provider) {
                return Err(TransitionError::ProviderOnly(Cancelled));
            }
        }
        // A requester answering a question puts the request back to work.
        (WaitingOnRequester, InProgress) => {
            if !(roles.requester || roles.provider) {
                return Err(TransitionError::ProviderOnly(InProgress));
            }
        }
        (_, to) => {
            if !roles.provider {
                return Err(TransitionError::ProviderOnly(to));
            }
        }
    }
    Ok(())
}

/// Whether entering `to` from `from` counts as the provider's first response.
pub fn is_first_response(to: Status) -> bool {
    matches!(
        to,
        Status::Acknowledged | Status::InProgress | Status::WaitingOnRequester | Status::Resolved
    )
}

/// The provider's rating of the input it got from the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputQuality {
    Complete,
    Partial,
    Poor,
}

impl InputQuality {
    pub fn as_str(self) -> &'static str {
        match self {
            InputQuality::Complete => "complete",
            InputQuality::Partial => "partial",
            InputQuality::Poor => "poor",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        match input.trim() {
            "complete" => Ok(InputQuality::Complete),
            "partial" => Ok(InputQuality::Partial),
            "poor" => Ok(InputQuality::Poor),
            _ => Err(ValidationErrors::single(
                "",
                "must be one of complete, partial, poor",
            )),
        }
    }
}

/// An intake answer as received, before it is checked against its field.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    /// Anything else (a list, an object): never valid.
    Other,
}

/// A checked intake answer.
#[derive(Debug, Clone, PartialEq)]
pub enum IntakeValue {
    Text(String),
    Number(f64),
    Date(jiff::civil::Date),
    Boolean(bool),
}

/// Checks answers against a service's intake fields: required fields present,
/// each value of its field's kind, choices among the allowed ones, no unknown
/// keys. Errors are named by key.
pub fn check_intake(
    fields: &[IntakeField],
    answers: Vec<(String, RawValue)>,
) -> Result<Vec<(String, IntakeValue)>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut checked = Vec::new();
    for (key, _) in &answers {
        if !fields.iter().any(|field| &field.key == key) {
            errors.push(key.as_str(), "is not a field of this service's form");
        }
    }
    for field in fields {
        let answer = answers
            .iter()
            .find(|(key, _)| key == &field.key)
            .map(|(_, value)| value)
            .filter(|value| !matches!(value, RawValue::Null))
            .filter(|value| !matches!(value, RawValue::Text(text) if text.trim().is_empty()));
        let Some(answer) = answer else {
            if field.required {
                errors.push(field.key.as_str(), format!("is required ({})", field.label));
            }
            continue;
        };
        let value = match (field.kind, answer) {
            (FieldKind::Text, RawValue::Text(text))
                if !text.contains(['\n', '\r']) && text.chars().count() <= 500 =>
            {
                Some(IntakeValue::Text(text.trim().to_owned()))
            }
            (FieldKind::LongText, RawValue::Text(text)) if text.chars().count() <= 10_000 => {
                Some(IntakeValue::Text(text.trim().to_owned()))
            }
            (FieldKind::Number, RawValue::Number(number)) if number.is_finite() => {
                Some(IntakeValue::Number(*number))
            }
            (FieldKind::Date, RawValue::Text(text)) => {
                text.trim().parse().ok().map(IntakeValue::Date)
            }
            (FieldKind::Boolean, RawValue::Bool(flag)) => Some(IntakeValue::Boolean(*flag)),
            (FieldKind::Choice, RawValue::Text(text))
                if field.choices.iter().any(|choice| choice == text.trim()) =>
            {
                Some(IntakeValue::Text(text.trim().to_owned()))
            }
            _ => None,
        };
        match value {
            Some(value) => checked.push((field.key.clone(), value)),
            None => errors.push(
                field.key.as_str(),
                match field.kind {
                    FieldKind::Text => {
                        "must be a single line of text (at most 500 characters)".to_owned()
                    }
                    FieldKind::LongText => "must be text (at most 10000 characters)".to_owned(),
                    FieldKind::Number => "must be a number".to_owned(),
                    FieldKind::Date => "must be a date as YYYY-MM-DD".to_owned(),
                    FieldKind::Boolean => "must be true or false".to_owned(),
                    FieldKind::Choice => format!("must be one of: {}", field.choices.join(", ")),
                },
            ),
        }
    }
    errors.finish(|| checked)
}

#[cfg(test)]
mod tests {
    #[test]
    fn delivery_is_on_time_by_the_target_or_by_the_accepted_date() {
        let at = |hour: i8| {
            jiff::civil::date(2026, 11, 2)
                .at(hour, 0, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|zoned| zoned.timestamp())
                .ok()
        };
        // Not delivered yet: nothing to judge.
        assert_eq!(
            delivered_on_time(Status::InProgress, None, at(17), Some(true)),
            None
        );
        assert_eq!(
            delivered_on_time(Status::Cancelled, at(9), at(17), Some(true)),
            None
        );
        // Within target, with or without a commitment.
        assert_eq!(
            delivered_on_time(Status::Resolved, at(9), None, Some(true)),
            Some(true)
        );
        // Target missed but the accepted date kept: on time.
        assert_eq!(
            delivered_on_time(Status::Closed, at(9), at(17), Some(false)),
            Some(true)
        );
        assert_eq!(
            delivered_on_time(Status::Resolved, at(17), at(17), Some(false)),
            Some(true)
        );
        // Both missed.
        assert_eq!(
            delivered_on_time(Status::Resolved, at(18), at(17), Some(false)),
            Some(false)
        );
        // No calendar: the accepted date alone judges; with neither, unknown.
        assert_eq!(
            delivered_on_time(Status::Resolved, at(18), at(17), None),
            Some(false)
        );
        assert_eq!(
            delivered_on_time(Status::Resolved, at(9), at(17), None),
            Some(true)
        );
        assert_eq!(delivered_on_time(Status::Resolved, at(9), None, None), None);
    }

    use super::*;
    use proptest::prelude::*;

    const PROVIDER: Roles = Roles {
        provider: true,
        requester: false,
    };
    const REQUESTER: Roles = Roles {
        provider: false,
        requester: true,
    };
    const NOBODY: Roles = Roles {
        provider: false,
        requester: false,
    };

    fn at(text: &str) -> Timestamp {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn the_provider_works_the_request_and_the_requester_confirms_it() {
        let now = at("2026-11-20T10:00:00Z");
        use Status::*;
        for (from, to) in [
            (New, Acknowledged),
            (Acknowledged, InProgress),
            (InProgress, WaitingOnRequester),
            (InProgress, Resolved),
        ] {
            assert_eq!(check_transition(from, to, PROVIDER, now, None), Ok(()));
            assert_eq!(
                check_transition(from, to, REQUESTER, now, None),
                Err(TransitionError::ProviderOnly(to))
            );
        }
        assert_eq!(
            check_transition(Resolved, Closed, REQUESTER, now, None),
            Ok(())
        );
        assert_eq!(
            check_transition(Resolved, Closed, PROVIDER, now, None),
            Err(TransitionError::RequesterOnly(Closed))
        );
        assert_eq!(
            check_transition(WaitingOnRequester, InProgress, REQUESTER, now, None),
            Ok(())
        );
        assert_eq!(
            check_transition(New, Cancelled, REQUESTER, now, None),
            Ok(())
        );
        assert_eq!(
            check_transition(New, Cancelled, NOBODY, now, None),
            Err(TransitionError::ProviderOnly(Cancelled))
        );
    }

    #[test]
    fn reopening_is_the_requesters_within_seven_days() {
        let resolved = at("2026-11-01T12:00:00Z");
        let inside = at("2026-11-08T12:00:00Z");
        let outside = at("2026-11-08T12:00:01Z");
        assert_eq!(
            check_transition(
                Status::Resolved,
                Status::InProgress,
                REQUESTER,
                inside,
                Some(resolved)
            ),
            Ok(())
        );
        assert!(matches!(
            check_transition(
                Status::Resolved,
                Status::InProgress,
                REQUESTER,
                outside,
                Some(resolved)
            ),
            Err(TransitionError::ReopenWindowClosed(_))
        ));
        assert_eq!(
            check_transition(
                Status::Resolved,
                Status::InProgress,
                PROVIDER,
                inside,
                Some(resolved)
            ),
            Err(TransitionError::RequesterOnly(Status::InProgress))
        );
    }

    #[test]
    fn intake_answers_are_checked_against_the_form() {
        let fields = crate::services::parse_intake_fields(vec![
            crate::services::IntakeFieldInput {
                key: "region".into(),
                label: "Region".into(),
                kind: "choice".into(),
                required: true,
                choices: vec!["EMEA".into(), "Americas".into()],
            },
            crate::services::IntakeFieldInput {
                key: "size".into(),
                label: "Size".into(),
                kind: "number".into(),
                required: false,
                choices: vec![],
            },
            crate::services::IntakeFieldInput {
                key: "by".into(),
                label: "Needed by".into(),
                kind: "date".into(),
                required: false,
                choices: vec![],
            },
        ])
        .unwrap_or_default();
        let good = check_intake(
            &fields,
            vec![
                ("region".into(), RawValue::Text("EMEA".into())),
                ("by".into(), RawValue::Text("2026-12-01".into())),
            ],
        );
        assert_eq!(good.map(|values| values.len()).ok(), Some(2));
        let bad = check_intake(
            &fields,
            vec![
                ("size".into(), RawValue::Text("big".into())),
                ("by".into(), RawValue::Text("soon".into())),
                ("colour".into(), RawValue::Text("red".into())),
            ],
        );
        let names: Vec<String> = bad
            .err()
            .unwrap_or_default()
            .0
            .into_iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(names, ["colour", "region", "size", "by"]);
        let wrong_choice = check_intake(
            &fields,
            vec![("region".into(), RawValue::Text("Mars".into()))],
        );
        assert!(wrong_choice.is_err());
    }

    fn any_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn nothing_leaves_closed_or_cancelled_and_nobody_without_a_role_moves_anything(
            from in any_status(), to in any_status(), provider: bool, requester: bool
        ) {
            let now = at("2026-11-20T10:00:00Z");
            let result = check_transition(from, to, Roles { provider, requester }, now, Some(now));
            if matches!(from, Status::Closed | Status::Cancelled) || from == to {
                prop_assert!(result.is_err());
            }
            if !provider && !requester {
                prop_assert!(result.is_err());
            }
        }
    }
}
