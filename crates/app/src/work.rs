//! The work inbox: every hand-over waiting on the caller, in one list, each
//! leading to the page where it is done in one step.
//!
//! Each kind is read from the records (see `store::work`), so an item is
//! gone as soon as anyone entitled does the step, and nothing has to be kept
//! in step with the records. Only the caller's own items are ever read: the
//! person's own requests, checks and actions, the departments they lead
//! (read from the store, not from the role), and, for executives, the
//! enhancements awaiting sponsorship.

use crate::{AppError, Caller};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use roundtable_domain::agreements::review_schedule;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_domain::work::{
    DEFAULT_CHECKIN_CADENCE_DAYS, WorkItem, WorkKind, checkin_due_on, order,
};
use roundtable_store::PageRequest;
use roundtable_store::checks::{CheckFilter, CheckStatus};
use roundtable_store::pulses::RoundStatus;
use std::collections::{BTreeMap, BTreeSet};

/// How many requests of one kind (assigned, unassigned) the inbox lists;
/// the rest wait in the queue, and the count says how many there are.
pub const REQUESTS_LISTED: usize = 50;

/// The caller's inbox: the items in the order to do them, and how many
/// requests of their led departments' queues wait unassigned in all (the
/// list holds at most [`REQUESTS_LISTED`] of them).
#[derive(Debug, Clone)]
pub struct WorkInbox {
    pub items: Vec<WorkItem>,
    pub unassigned_total: usize,
    pub now: Timestamp,
}

/// What waits on the caller now.
#[tracing::instrument(skip(caller), fields(person = caller.actor.person_id.0))]
pub async fn inbox(caller: &Caller<'_>) -> Result<WorkInbox, AppError> {
    let now = Timestamp::now();
    let today = now.to_zoned(TimeZone::UTC).date();
    let person = caller.actor.person_id;
    let scoped = &caller.scoped;
    let led: BTreeSet<DepartmentId> = scoped
        .departments_led_by(person)
        .await?
        .into_iter()
        .collect();
    let names = department_names(caller).await?;
    let name = |department: DepartmentId| {
        names
            .get(&department)
            .cloned()
            .unwrap_or_else(|| format!("Department {department}"))
    };
    let mut items = Vec::new();

    let mut proposed_seen = BTreeSet::new();
    for waiting in scoped.acceptances_waiting_on(person).await? {
        if proposed_seen.insert(waiting.agreement_id) {
            items.push(WorkItem {
                kind: WorkKind::AgreementToAccept,
                title: format!(
                    "Agreement {} → {}, version {}",
                    name(waiting.provider),
                    name(waiting.consumer),
                    waiting.version_number
                ),
                subject_kind: "agreement",
                subject_id: waiting.agreement_id,
                link: cell_link(waiting.provider, waiting.consumer),
                waiting_since: waiting.proposed_at,
                due_at: None,
                detail: None,
            });
        }
    }
    for agreement in scoped.agreements_in_force_led_by(person).await? {
        let schedule = review_schedule(agreement.last_reviewed_on, agreement.cadence, today);
        if schedule.next_review_on <= today {
            let due = start_of(schedule.next_review_on);
            items.push(WorkItem {
                kind: WorkKind::AgreementReviewDue,
                title: format!(
                    "Agreement {} → {}",
                    name(agreement.provider),
                    name(agreement.consumer)
                ),
                subject_kind: "agreement",
                subject_id: agreement.agreement_id,
                link: cell_link(agreement.provider, agreement.consumer),
                waiting_since: due,
                due_at: Some(due),
                detail: Some(format!("Review due on {}", schedule.next_review_on)),
            });
        }
    }
    if caller.actor.role == Role::Executive {
        for enhancement in scoped.enhancements_to_sponsor().await? {
            items.push(enhancement_item(
                WorkKind::EnhancementToSponsor,
                enhancement,
            ));
        }
    }
    if !led.is_empty() {
        for enhancement in scoped.enhancements_to_confirm(person).await? {
            items.push(enhancement_item(
                WorkKind::EnhancementToConfirm,
                enhancement,
            ));
        }
        for topic in scoped.topics_waiting_on(person).await? {
            let kind = if topic.kind == "assumption" {
                WorkKind::AssumptionToAnswer
            } else {
                WorkKind::FrustrationToAnswer
            };
            items.push(WorkItem {
                kind,
                title: topic.title,
                subject_kind: "topic",
                subject_id: topic.topic_id,
                link: format!("/topics/{}", topic.topic_id),
                waiting_since: topic.created_at,
                due_at: None,
                detail: None,
            });
        }
    }
    pulse_items(caller, now, &mut items).await?;
    check_items(caller, &mut items).await?;
    for commitment in scoped.commitments_waiting_on(person).await? {
        items.push(WorkItem {
            kind: WorkKind::CommitmentToDecide,
            title: commitment.request_title,
            subject_kind: "request",
            subject_id: commitment.request_id,
            link: format!("/requests/{}#commitments", commitment.request_id),
            waiting_since: commitment.proposed_at,
            due_at: None,
            detail: Some(format!("Proposed date: {}", commitment.due_at)),
        });
    }
    let unassigned_total = request_items(caller, &led, now, &mut items).await?;
    for action in scoped.overdue_actions_of(person, today).await? {
        let due = start_of(action.due_on);
        items.push(WorkItem {
            kind: WorkKind::ActionOverdue,
            title: action.title,
            subject_kind: "action",
            subject_id: action.action_id,
            link: format!("/actions/{}", action.action_id),
            waiting_since: due,
            due_at: Some(due),
            detail: Some(format!("Was due on {}", action.due_on)),
        });
    }
    if !led.is_empty() {
        for measure in scoped.measures_contributed_by(person).await? {
            let created_on = measure.created_at.to_zoned(TimeZone::UTC).date();
            let due_on = checkin_due_on(
                measure.last_checkin,
                created_on,
                DEFAULT_CHECKIN_CADENCE_DAYS,
            );
            if due_on <= today && measure.period.end() >= today {
                let due = start_of(due_on);
                items.push(WorkItem {
                    kind: WorkKind::MeasureCheckinDue,
                    title: measure.name,
                    subject_kind: "measure",
                    subject_id: measure.measure_id,
                    link: format!("/measures/{}", measure.measure_id),
                    waiting_since: due,
                    due_at: Some(due),
                    detail: Some(match measure.last_checkin {
                        Some(last) => format!("Last check-in on {last}"),
                        None => "No check-in yet".to_owned(),
                    }),
                });
            }
        }
    }
    order(&mut items, now);
    Ok(WorkInbox {
        items,
        unassigned_total,
        now,
    })
}

async fn department_names(caller: &Caller<'_>) -> Result<BTreeMap<DepartmentId, String>, AppError> {
    let mut names = BTreeMap::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = caller.scoped.list_departments(page).await?;
        for department in &listing.items {
            names.insert(department.id, department.name.clone());
        }
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(names),
        }
    }
}

fn cell_link(provider: DepartmentId, consumer: DepartmentId) -> String {
    format!("/matrix/{provider}/{consumer}")
}

/// The first instant of a day, the moment a date-only due falls due.
fn start_of(date: Date) -> Timestamp {
    date.to_zoned(TimeZone::UTC)
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::MAX)
}

fn enhancement_item(
    kind: WorkKind,
    enhancement: roundtable_store::work::EnhancementWaiting,
) -> WorkItem {
    WorkItem {
        kind,
        title: enhancement.title,
        subject_kind: "enhancement",
        subject_id: enhancement.enhancement_id,
        link: format!("/enhancements/{}", enhancement.enhancement_id),
        waiting_since: enhancement.since,
        due_at: None,
        detail: None,
    }
}

/// Open pulse rounds with cells the caller may answer and has not.
async fn pulse_items(
    caller: &Caller<'_>,
    now: Timestamp,
    items: &mut Vec<WorkItem>,
) -> Result<(), AppError> {
    let rounds = caller.scoped.pulse_rounds(PageRequest::first(50)).await?;
    for round in rounds
        .items
        .iter()
        .filter(|round| round.status(now) == RoundStatus::Open)
    {
        let invitations = caller
            .scoped
            .pulse_invitations(round, caller.actor.person_id)
            .await?;
        let open = invitations.iter().filter(|cell| !cell.answered).count();
        if open == 0 {
            continue;
        }
        let mirror = invitations
            .iter()
            .any(|cell| !cell.answered && cell.side == "provider");
        items.push(WorkItem {
            kind: WorkKind::PulseToAnswer,
            title: round.name.clone(),
            subject_kind: "pulse_round",
            subject_id: round.id,
            link: format!("/pulses/{}", round.id),
            waiting_since: round.opens_at,
            due_at: Some(round.closing()),
            detail: Some(format!(
                "{open} {} to rate{}",
                if open == 1 {
                    "relationship"
                } else {
                    "relationships"
                },
                if mirror {
                    ", your own department's among them"
                } else {
                    ""
                }
            )),
        });
    }
    Ok(())
}

/// Satisfaction checks waiting on the caller's answer, naming the thank-you
/// an answer earns when the organization offers one.
async fn check_items(caller: &Caller<'_>, items: &mut Vec<WorkItem>) -> Result<(), AppError> {
    let checks = caller
        .scoped
        .checks_of(
            caller.actor.person_id,
            CheckFilter {
                status: Some(CheckStatus::Pending),
            },
            PageRequest::first(PageRequest::MAX_LIMIT),
        )
        .await?;
    if checks.items.is_empty() {
        return Ok(());
    }
    let organization = caller.scoped.organization().await?;
    let thank_you = match organization.thank_you_kind.as_str() {
        "points" => Some(format!(
            "Answering earns {} thank-you point{}",
            organization.thank_you_points,
            if organization.thank_you_points == 1 {
                ""
            } else {
                "s"
            }
        )),
        "coupon" => Some("Answering earns a thank-you coupon".to_owned()),
        _ => None,
    };
    for check in checks.items {
        items.push(WorkItem {
            kind: WorkKind::CheckToAnswer,
            title: check.request_title,
            subject_kind: "check",
            subject_id: check.id,
            link: format!("/checks/{}", check.id),
            waiting_since: check.created_at,
            due_at: Some(check.expires_at),
            detail: thank_you.clone(),
        });
    }
    Ok(())
}

/// Open requests assigned to the caller, and those of the queues of the
/// departments they lead that nobody is assigned to; returns how many
/// unassigned requests wait in all.
async fn request_items(
    caller: &Caller<'_>,
    led: &BTreeSet<DepartmentId>,
    now: Timestamp,
    items: &mut Vec<WorkItem>,
) -> Result<usize, AppError> {
    let assigned = caller
        .scoped
        .open_requests_assigned_to(caller.actor.person_id, REQUESTS_LISTED as i64)
        .await?;
    let mut unassigned = Vec::new();
    for department in led {
        let open = caller.scoped.open_requests_of(*department).await?;
        unassigned.extend(
            open.iter()
                .filter(|request| request.assignee_person_id.is_none())
                .cloned(),
        );
    }
    if assigned.is_empty() && unassigned.is_empty() {
        return Ok(0);
    }
    let context = caller.scoped.clock_context().await?;
    let due = |request: &roundtable_store::requests::Request| {
        request.committed_due_at.or_else(|| {
            request
                .clocks(&context, now)
                .and_then(|(_, fulfilment)| fulfilment.due)
        })
    };
    let unassigned_total = unassigned.len();
    unassigned.sort_by_key(|request| (due(request).unwrap_or(Timestamp::MAX), request.id));
    for (kind, requests) in [
        (WorkKind::RequestAssigned, assigned),
        (
            WorkKind::RequestUnassigned,
            unassigned.into_iter().take(REQUESTS_LISTED).collect(),
        ),
    ] {
        for request in requests {
            items.push(WorkItem {
                kind,
                due_at: due(&request),
                title: request.title,
                subject_kind: "request",
                subject_id: request.id,
                link: format!("/requests/{}", request.id),
                waiting_since: request.created_at,
                detail: None,
            });
        }
    }
    Ok(unassigned_total)
}
