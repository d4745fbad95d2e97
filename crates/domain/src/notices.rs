//! The wording of notifications: the title and body a person reads in the
//! inbox, in mail and in webhooks, made from typed facts. The store decides
//! who is told and when, in the transaction of the change; what they read is
//! decided here, once, and tested here.

use crate::clocks::{ClockKind, EscalationLevel};
use crate::round_table::{AssumptionAnswer, EnhancementStatus};
use jiff::Timestamp;

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    pub title: String,
    pub body: String,
}

impl Wording {
    fn new(title: String, body: impl Into<String>) -> Self {
        Wording {
            title,
            body: body.into(),
        }
    }
}

/// An instant as a notice shows it: "2027-01-05 17:00 UTC", never a raw
/// RFC 3339 string. (A notice is written once for all its recipients; pages
/// and emails show its time in each reader's own zone.)
fn readable(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// Something that happened to a request, told to someone concerned with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestNotice<'a> {
    /// The request was assigned to the person told.
    Assigned,
    /// One of its clocks reached `level`.
    Escalated {
        clock: ClockKind,
        level: EscalationLevel,
    },
    /// Deferred for an external customer until `new_eta`.
    Deferred { new_eta: Timestamp, reason: &'a str },
    /// A delivery date was proposed (or counter-proposed).
    CommitmentProposed { due_at: Timestamp, note: &'a str },
    /// The proposed delivery date was accepted.
    CommitmentAccepted { due_at: Timestamp },
    /// The requester is asked whether the request met their expectation,
    /// in the check `check`.
    CheckRequested { check: i64 },
    /// The requester answered the satisfaction check "not met".
    CheckNotMet { comment: &'a str },
}

impl RequestNotice<'_> {
    /// The notification kind (what preferences and webhooks filter on).
    pub fn kind(&self) -> &'static str {
        match self {
            RequestNotice::Assigned => "assigned",
            RequestNotice::Escalated {
                level: EscalationLevel::AtRisk,
                ..
            } => "clock_at_risk",
            RequestNotice::Escalated {
                level: EscalationLevel::Breached,
                ..
            } => "clock_breached",
            RequestNotice::Deferred { .. } => "deferred",
            RequestNotice::CommitmentProposed { .. } => "commitment_proposed",
            RequestNotice::CommitmentAccepted { .. } => "commitment_accepted",
            RequestNotice::CheckRequested { .. } => "check_requested",
            RequestNotice::CheckNotMet { .. } => "check_not_met",
        }
    }

    /// The page the notice leads to: where the step it asks for is done
    /// (the check's answer form), else the request.
    pub fn link(&self, request: i64) -> String {
        match self {
            RequestNotice::CheckRequested { check } => format!("/checks/{check}"),
            _ => format!("/requests/{request}"),
        }
    }

    /// The title and body about the request titled `request`.
    pub fn wording(&self, request: &str) -> Wording {
        match *self {
            RequestNotice::Assigned => Wording::new(format!("Assigned to you: {request}"), ""),
            RequestNotice::Escalated { clock, level } => {
                let title = match level {
                    EscalationLevel::AtRisk => format!("At risk: {request}"),
                    EscalationLevel::Breached => format!("Breached: {request}"),
                };
                let clock = match clock {
                    ClockKind::FirstResponse => "first response",
                    ClockKind::Fulfilment => "fulfilment",
                };
                let level = level.as_str().replace('_', " ");
                Wording::new(title, format!("The {clock} clock is {level}."))
            }
            RequestNotice::Deferred { new_eta, reason } => Wording::new(
                format!("Deferred for an external customer: {request}"),
                format!("New estimate: {}. Reason: {reason}", readable(new_eta)),
            ),
            RequestNotice::CommitmentProposed { due_at, note } => Wording::new(
                format!("A date was proposed for {request}"),
                format!("Proposed date: {}. {note}", readable(due_at)),
            ),
            RequestNotice::CommitmentAccepted { due_at } => Wording::new(
                format!("The committed date was accepted: {request}"),
                format!("Committed date: {}.", readable(due_at)),
            ),
            RequestNotice::CheckRequested { .. } => Wording::new(
                format!("Did \u{201c}{request}\u{201d} meet your expectation?"),
                "One question, one click: did it meet your expectation? \
                 It helps the provider serve you better.",
            ),
            RequestNotice::CheckNotMet { comment } => Wording::new(
                format!("Not met: {request}"),
                format!(
                    "The requester answered the satisfaction check \u{201c}not met\u{201d}. \
                     {comment}"
                ),
            ),
        }
    }
}

/// To a person credited on the request titled `request`, with the giver's note.
pub fn credited(request: &str, note: &str) -> Wording {
    Wording::new(
        format!("You were credited on \u{201c}{request}\u{201d}"),
        note,
    )
}

/// To the person (or the leads of the department) thanked, with the message.
pub fn kudos_received(message: &str) -> Wording {
    Wording::new("You received kudos".to_owned(), message)
}

/// To the author of an assumption, answered with `answer` and `note`.
pub fn assumption_answered(topic: &str, answer: AssumptionAnswer, note: &str) -> Wording {
    Wording::new(
        format!("Your assumption was {}: {topic}", answer.as_str()),
        note,
    )
}

/// To the leads of a department named as a co-proposer of an enhancement.
pub fn confirm_to_co_propose(enhancement: &str) -> Wording {
    Wording::new(
        format!("Confirm to co-propose: {enhancement}"),
        "Your department is named as a co-proposer of this enhancement; \
         it goes to an executive once every department has confirmed.",
    )
}

/// To the executives, once every proposing department has confirmed.
pub fn to_sponsor(enhancement: &str) -> Wording {
    Wording::new(
        format!("To sponsor: {enhancement}"),
        "Every proposing department has confirmed this enhancement; \
         it waits for an executive to sponsor or decline it.",
    )
}

/// To the proposer and the proposing leads, at each step of an enhancement
/// (`decline_reason` when it was declined).
pub fn enhancement_moved(
    enhancement: &str,
    status: EnhancementStatus,
    decline_reason: Option<&str>,
) -> Wording {
    Wording::new(
        format!("{enhancement}: {}", status.as_str().replace('_', " ")),
        decline_reason.unwrap_or_default(),
    )
}

/// To the owner of a round-table action due on `due_on` (a date), or overdue
/// since then.
pub fn action_reminder(action: &str, due_on: &str, overdue: bool) -> Wording {
    let title = if overdue {
        format!("Overdue since {due_on}: {action}")
    } else {
        format!("Due {due_on}: {action}")
    };
    Wording::new(title, "An action from the round table you own.")
}

/// To the admins, when a webhook failed `failures` deliveries in a row and
/// was turned off.
pub fn webhook_disabled(url: &str, failures: i64) -> Wording {
    Wording::new(
        format!("Webhook to {url} was disabled"),
        format!(
            "It failed {failures} deliveries in a row. \
             Fix the receiver, then turn the webhook on again."
        ),
    )
}

/// To a lead whose department is asked to accept an agreement version; a
/// reminder when it has waited `reminder` business days.
pub fn agreement_proposed(
    provider: &str,
    consumer: &str,
    version: i64,
    reminder: Option<u32>,
) -> Wording {
    let relationship = format!("{provider} → {consumer}");
    match reminder {
        None => Wording::new(
            format!("To accept: agreement {relationship}, version {version}"),
            "Read what each side commits to and accept it for your department, or discuss it with the other lead.",
        ),
        Some(days) => Wording::new(
            format!("Still waiting for you: agreement {relationship}, version {version}"),
            format!("It has waited {days} business days for your department's acceptance."),
        ),
    }
}

/// To the leads of the department an assumption or frustration is about.
pub fn topic_raised(kind: &str, topic: &str, about: &str) -> Wording {
    let (what, ask) = if kind == "assumption" {
        ("An assumption", "Confirm it or correct it.")
    } else {
        (
            "A frustration",
            "Respond to it, or bring it to the round table.",
        )
    };
    Wording::new(
        format!("{what} about {about}: {topic}"),
        format!("Raised on the round table. {ask}"),
    )
}

/// When in a pulse round a person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PulseStage {
    Opened,
    HalfTime,
    LastDay,
}

impl PulseStage {
    pub fn as_str(self) -> &'static str {
        match self {
            PulseStage::Opened => "opened",
            PulseStage::HalfTime => "half_time",
            PulseStage::LastDay => "last_day",
        }
    }
}

/// To a person who may answer a pulse round: it opened, or it closes soon
/// and they have not answered. `closes` is written for the reader.
pub fn pulse_round(round: &str, closes: &str, stage: PulseStage) -> Wording {
    match stage {
        PulseStage::Opened => Wording::new(
            format!("Pulse open: {round}"),
            format!(
                "How are your department's relationships doing? Answers are anonymous. Open until {closes}."
            ),
        ),
        PulseStage::HalfTime | PulseStage::LastDay => Wording::new(
            format!("Pulse closes {closes}: {round}"),
            "You have not answered yet. It takes a few minutes, and answers are anonymous.",
        ),
    }
}

/// To a requester whose satisfaction check still waits.
pub fn check_reminder(request: &str, expires: &str) -> Wording {
    Wording::new(
        format!("Still waiting for your answer: {request}"),
        format!("Did the work meet your expectation? The check is open until {expires}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn request_notices_name_the_request_and_the_facts() {
        let cases = [
            (
                RequestNotice::Assigned,
                "assigned",
                "Assigned to you: Laptop",
                "",
            ),
            (
                RequestNotice::Escalated {
                    clock: ClockKind::FirstResponse,
                    level: EscalationLevel::AtRisk,
                },
                "clock_at_risk",
                "At risk: Laptop",
                "The first response clock is at risk.",
            ),
            (
                RequestNotice::Escalated {
                    clock: ClockKind::Fulfilment,
                    level: EscalationLevel::Breached,
                },
                "clock_breached",
                "Breached: Laptop",
                "The fulfilment clock is breached.",
            ),
            (
                RequestNotice::Deferred {
                    new_eta: at("2027-01-04T09:00:00Z"),
                    reason: "a customer outage",
                },
                "deferred",
                "Deferred for an external customer: Laptop",
                "New estimate: 2027-01-04 09:00 UTC. Reason: a customer outage",
            ),
            (
                RequestNotice::CommitmentProposed {
                    due_at: at("2027-01-05T17:00:00Z"),
                    note: "after the audit",
                },
                "commitment_proposed",
                "A date was proposed for Laptop",
                "Proposed date: 2027-01-05 17:00 UTC. after the audit",
            ),
            (
                RequestNotice::CommitmentAccepted {
                    due_at: at("2027-01-05T17:00:00Z"),
                },
                "commitment_accepted",
                "The committed date was accepted: Laptop",
                "Committed date: 2027-01-05 17:00 UTC.",
            ),
            (
                RequestNotice::CheckRequested { check: 7 },
                "check_requested",
                "Did \u{201c}Laptop\u{201d} meet your expectation?",
                "One question, one click: did it meet your expectation? It helps the provider \
                 serve you better.",
            ),
            (
                RequestNotice::CheckNotMet {
                    comment: "Too late.",
                },
                "check_not_met",
                "Not met: Laptop",
                "The requester answered the satisfaction check \u{201c}not met\u{201d}. Too late.",
            ),
        ];
        for (notice, kind, title, body) in cases {
            assert_eq!(notice.kind(), kind);
            let wording = notice.wording("Laptop");
            assert_eq!(
                (wording.title.as_str(), wording.body.as_str()),
                (title, body)
            );
        }
    }

    #[test]
    fn other_notices_are_worded_from_their_facts() {
        assert_eq!(
            credited("Laptop", "thanks"),
            Wording::new(
                "You were credited on \u{201c}Laptop\u{201d}".to_owned(),
                "thanks"
            )
        );
        assert_eq!(kudos_received("Great").title, "You received kudos");
        assert_eq!(
            assumption_answered(
                "Nobody reads the wiki",
                AssumptionAnswer::Confirmed,
                "they do"
            )
            .title,
            "Your assumption was confirmed: Nobody reads the wiki"
        );
        assert_eq!(
            confirm_to_co_propose("Shared inbox").body,
            "Your department is named as a co-proposer of this enhancement; it goes to an \
             executive once every department has confirmed."
        );
        assert_eq!(
            to_sponsor("Shared inbox").body,
            "Every proposing department has confirmed this enhancement; it waits for an \
             executive to sponsor or decline it."
        );
        assert_eq!(
            enhancement_moved("Shared inbox", EnhancementStatus::Declined, Some("later")),
            Wording::new("Shared inbox: declined".to_owned(), "later")
        );
        assert_eq!(
            action_reminder("Write it down", "2027-01-04", true).title,
            "Overdue since 2027-01-04: Write it down"
        );
        assert_eq!(
            webhook_disabled("https://example.com/hook", 10),
            Wording::new(
                "Webhook to https://example.com/hook was disabled".to_owned(),
                "It failed 10 deliveries in a row. Fix the receiver, then turn the webhook on again."
            )
        );
        assert_eq!(
            action_reminder("Write it down", "2027-01-04", false),
            Wording::new(
                "Due 2027-01-04: Write it down".to_owned(),
                "An action from the round table you own."
            )
        );
    }
}
