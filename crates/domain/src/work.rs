//! The work inbox: what waits on one person, in the order to do it.
//!
//! Roundtable's relationships are chains of hand-overs: an agreement one lead
//! proposes waits on the other; a check waits on the requester; an enhancement
//! waits on an executive. Each kind here names one such hand-over. Which items
//! exist is read from the records (an item leaves when its record says the step
//! is done, whoever did it); this module holds the vocabulary, the order and
//! the two date rules the store cannot answer alone.

use jiff::Timestamp;
use jiff::civil::Date;

/// One kind of hand-over. The `as_str` names are the API's stable words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkKind {
    /// An agreement version proposed to a department the person leads,
    /// not yet accepted for that department.
    AgreementToAccept,
    /// An agreement in force whose review date has come.
    AgreementReviewDue,
    /// An enhancement every proposing department confirmed (executives).
    EnhancementToSponsor,
    /// An enhancement proposed with the person's department, not yet
    /// confirmed for it (its leads).
    EnhancementToConfirm,
    /// An assumption about the person's department with no answer yet (leads).
    AssumptionToAnswer,
    /// A frustration about the person's department still open (leads).
    FrustrationToAnswer,
    /// An open pulse round with cells the person has not answered.
    PulseToAnswer,
    /// A satisfaction check on a request the person raised.
    CheckToAnswer,
    /// A date proposed by the other side of a request, to accept.
    CommitmentToDecide,
    /// An open request assigned to the person.
    RequestAssigned,
    /// An open request nobody is assigned to, in the queue of a department
    /// the person leads.
    RequestUnassigned,
    /// An action the person owns, past its due date.
    ActionOverdue,
    /// A measure the person's department contributes to with no check-in
    /// for longer than the organization's cadence (leads).
    MeasureCheckinDue,
}

impl WorkKind {
    pub const ALL: [WorkKind; 13] = [
        WorkKind::AgreementToAccept,
        WorkKind::AgreementReviewDue,
        WorkKind::EnhancementToSponsor,
        WorkKind::EnhancementToConfirm,
        WorkKind::AssumptionToAnswer,
        WorkKind::FrustrationToAnswer,
        WorkKind::PulseToAnswer,
        WorkKind::CheckToAnswer,
        WorkKind::CommitmentToDecide,
        WorkKind::RequestAssigned,
        WorkKind::RequestUnassigned,
        WorkKind::ActionOverdue,
        WorkKind::MeasureCheckinDue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::AgreementToAccept => "agreement_to_accept",
            WorkKind::AgreementReviewDue => "agreement_review_due",
            WorkKind::EnhancementToSponsor => "enhancement_to_sponsor",
            WorkKind::EnhancementToConfirm => "enhancement_to_confirm",
            WorkKind::AssumptionToAnswer => "assumption_to_answer",
            WorkKind::FrustrationToAnswer => "frustration_to_answer",
            WorkKind::PulseToAnswer => "pulse_to_answer",
            WorkKind::CheckToAnswer => "check_to_answer",
            WorkKind::CommitmentToDecide => "commitment_to_decide",
            WorkKind::RequestAssigned => "request_assigned",
            WorkKind::RequestUnassigned => "request_unassigned",
            WorkKind::ActionOverdue => "action_overdue",
            WorkKind::MeasureCheckinDue => "measure_checkin_due",
        }
    }

    /// The verb a person reads before the item's title: what they are asked to do.
    pub fn call_to_action(self) -> &'static str {
        match self {
            WorkKind::AgreementToAccept => "Accept or discuss the agreement",
            WorkKind::AgreementReviewDue => "Review the agreement",
            WorkKind::EnhancementToSponsor => "Sponsor or decline the enhancement",
            WorkKind::EnhancementToConfirm => "Confirm the enhancement for your department",
            WorkKind::AssumptionToAnswer => "Answer the assumption",
            WorkKind::FrustrationToAnswer => "Respond to the frustration",
            WorkKind::PulseToAnswer => "Answer the pulse",
            WorkKind::CheckToAnswer => "Say whether your request was met",
            WorkKind::CommitmentToDecide => "Accept the proposed date",
            WorkKind::RequestAssigned => "Work the request",
            WorkKind::RequestUnassigned => "Assign the request",
            WorkKind::ActionOverdue => "Finish the overdue action",
            WorkKind::MeasureCheckinDue => "Record a check-in",
        }
    }
}

/// One thing waiting on the person: what, about which record, where it is
/// done, since when it waits and by when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub kind: WorkKind,
    /// One line naming the record, e.g. the request's or agreement's title.
    pub title: String,
    /// The record's type (`agreement`, `request`, …) and id.
    pub subject_kind: &'static str,
    pub subject_id: i64,
    /// The web page where the step is done.
    pub link: String,
    pub waiting_since: Timestamp,
    pub due_at: Option<Timestamp>,
    /// What else the person should know before acting, e.g. the thank-you
    /// an answer earns or the date proposed.
    pub detail: Option<String>,
}

/// The inbox order: what is already overdue first (longest overdue first),
/// then what has a due time (soonest first), then the rest by how long it
/// has waited (longest first). Ties keep kind and id order, so the order is
/// total and the same on every read.
pub fn order(items: &mut [WorkItem], now: Timestamp) {
    items.sort_by(|left, right| {
        rank(left, now)
            .cmp(&rank(right, now))
            .then(left.kind.cmp(&right.kind))
            .then(left.subject_id.cmp(&right.subject_id))
    });
}

fn rank(item: &WorkItem, now: Timestamp) -> (u8, Timestamp) {
    match item.due_at {
        Some(due) if due <= now => (0, due),
        Some(due) => (1, due),
        None => (2, item.waiting_since),
    }
}

/// How many days a measure may go without a check-in before its contributors
/// are asked for one, unless the organization says otherwise.
pub const DEFAULT_CHECKIN_CADENCE_DAYS: i32 = 14;

/// The day a measure's next check-in is due: one cadence after the latest
/// check-in, or after the measure was set up when it has none.
pub fn checkin_due_on(last_checkin: Option<Date>, created_on: Date, cadence_days: i32) -> Date {
    let from = last_checkin.map_or(created_on, |last| last.max(created_on));
    from.checked_add(jiff::Span::new().days(i64::from(cadence_days.max(1))))
        .unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn item(kind: WorkKind, id: i64, since: i64, due: Option<i64>) -> WorkItem {
        WorkItem {
            kind,
            title: format!("item {id}"),
            subject_kind: "request",
            subject_id: id,
            link: format!("/requests/{id}"),
            waiting_since: Timestamp::from_second(since).unwrap_or(Timestamp::UNIX_EPOCH),
            due_at: due.map(|due| Timestamp::from_second(due).unwrap_or(Timestamp::UNIX_EPOCH)),
            detail: None,
        }
    }

    #[test]
    fn overdue_comes_first_then_due_soonest_then_longest_waiting() {
        let now = Timestamp::from_second(1_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut items = vec![
            item(WorkKind::RequestAssigned, 1, 900, None),
            item(WorkKind::PulseToAnswer, 2, 950, Some(2_000)),
            item(WorkKind::ActionOverdue, 3, 100, Some(800)),
            item(WorkKind::CheckToAnswer, 4, 500, None),
            item(WorkKind::PulseToAnswer, 5, 960, Some(1_500)),
            item(WorkKind::ActionOverdue, 6, 100, Some(500)),
        ];
        order(&mut items, now);
        let ids: Vec<i64> = items.iter().map(|item| item.subject_id).collect();
        assert_eq!(ids, vec![6, 3, 5, 2, 4, 1]);
    }

    #[test]
    fn every_kind_has_its_own_name() {
        let mut names: Vec<&str> = WorkKind::ALL.iter().map(|kind| kind.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), WorkKind::ALL.len());
    }

    #[test]
    fn a_check_in_is_due_one_cadence_after_the_latest() {
        let created = date(2026, 1, 1);
        assert_eq!(checkin_due_on(None, created, 14), date(2026, 1, 15));
        assert_eq!(
            checkin_due_on(Some(date(2026, 2, 20)), created, 14),
            date(2026, 3, 6)
        );
        // A check-in dated before the measure existed counts from its creation.
        assert_eq!(
            checkin_due_on(Some(date(2025, 12, 1)), created, 7),
            date(2026, 1, 8)
        );
    }

    proptest! {
        #[test]
        fn the_order_is_total_and_stable_under_shuffling(
            entries in proptest::collection::vec(
                (0usize..13, 0i64..3_000, proptest::option::of(0i64..3_000)),
                0..40,
            ),
            now in 0i64..3_000,
        ) {
            let now = Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH);
            let mut items: Vec<WorkItem> = entries
                .iter()
                .zip(0i64..)
                .map(|((kind, since, due), id)| item(WorkKind::ALL[*kind], id, *since, *due))
                .collect();
            let mut reversed: Vec<WorkItem> = items.iter().rev().cloned().collect();
            order(&mut items, now);
            order(&mut reversed, now);
            let key = |item: &WorkItem| (item.kind, item.subject_id, item.waiting_since, item.due_at);
            prop_assert_eq!(items.iter().map(key).collect::<Vec<_>>(), reversed.iter().map(key).collect::<Vec<_>>());
            // Nothing overdue ever follows something that is not.
            let overdue: Vec<bool> = items.iter().map(|item| item.due_at.is_some_and(|due| due <= now)).collect();
            prop_assert!(overdue.windows(2).all(|pair| pair[0] || !pair[1]));
        }

        #[test]
        fn a_check_in_is_never_due_before_a_full_cadence(
            created in 0i32..20_000, last in proptest::option::of(0i32..20_000), cadence in 1i32..120,
        ) {
            let base = date(2000, 1, 1);
            let day = |offset: i32| base.checked_add(jiff::Span::new().days(i64::from(offset))).unwrap_or(base);
            let due = checkin_due_on(last.map(day), day(created), cadence);
            let from = last.map_or(day(created), |last| day(last).max(day(created)));
            prop_assert_eq!(from.until(due).map(|span| span.get_days()).unwrap_or(-1), cadence);
        }
    }
}
