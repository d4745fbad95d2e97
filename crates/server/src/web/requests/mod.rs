//! The request page (details, clocks, time held per department, timeline,
//! comments, commitments) and its actions. Every action goes through the
//! same API handler as `/api/v1/requests/{id}/…`, so the browser obeys the
//! same workflow, sides and validation; on a problem the page is shown again
//! with the message next to the field and the values kept.

mod actions;

pub(crate) use actions::reader_instant;
pub use actions::{
    accept_commitment, change_details, comment_on_request, credit_contributors, defer_request,
    hand_off_request, move_request, propose_commitment, remove_credit, split_request, take_request,
};

use super::directory::Directory;
use super::format::{
    ClockSummary, business_duration, clock_summary, impact_label, instant, moment, priority_label,
    status_label,
};
use super::home::RequestRow;
use super::{ActionError, FormData, Layout, PageId, Viewer, WebError, first_view, record_id};
use crate::AppState;
use crate::api::requests::{RequestView, view};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use jiff::Timestamp;
use roundtable_app::requests::workflow;
use roundtable_app::requests::{self, commitments};
use roundtable_app::{Caller, credits, policy};
use roundtable_domain::requests::{Roles, Status, check_transition};
use roundtable_store::requests::{CommitmentSide, CommitmentStatus};

#[derive(Debug, Clone)]
pub struct ClockPanel {
    pub name: &'static str,
    pub summary: ClockSummary,
    pub target: String,
    pub elapsed: String,
    pub due: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HeldRow {
    pub department: String,
    pub business: String,
    pub wall: String,
    /// The bar's length in the chart, in SVG units.
    pub bar: i64,
    pub y: i64,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub who: String,
    pub what: String,
    pub changes: Vec<String>,
    pub note: String,
    pub when: String,
}

#[derive(Debug, Clone)]
pub struct CommentRow {
    pub who: String,
    pub body: String,
    pub internal: bool,
    pub when: String,
}

#[derive(Debug, Clone)]
pub struct CommitmentRow {
    pub id: i64,
    pub side: &'static str,
    pub who: String,
    pub due: String,
    pub note: String,
    pub status: String,
    pub can_accept: bool,
}

/// A contributor the request credits.
#[derive(Debug, Clone)]
pub struct CreditRow {
    pub person_id: i64,
    pub person: String,
    pub department: Option<String>,
    pub note: String,
    pub by: String,
    pub when: String,
    /// The viewer gave this credit (or administers), so may take it back.
    pub can_remove: bool,
}

/// How many people the credit form offers to credit at once.
pub const CREDIT_ROWS: [usize; 3] = [1, 2, 3];

#[derive(Debug, Clone)]
pub struct TransitionButton {
    pub to: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Template)]
#[template(path = "request.html")]
pub struct RequestPage {
    layout: Layout,
    request: RequestView,
    /// Its status, priority, impact and people in words, as a list shows them.
    summary: RequestRow,
    service: Option<(i64, String)>,
    /// The external customer segment the request ultimately serves.
    segment: Option<String>,
    created: String,
    intake: Vec<(String, String)>,
    clocks: Vec<ClockPanel>,
    held: Vec<HeldRow>,
    chart_height: i64,
    events: Vec<EventRow>,
    comments: Vec<CommentRow>,
    commitments: Vec<CommitmentRow>,
    deferral: Option<(String, String)>,
    committed_due: Option<String>,
    resolved: Option<String>,
    on_time: Option<bool>,
    input_quality: Option<String>,
    transitions: Vec<TransitionButton>,
    can_resolve: bool,
    is_provider: bool,
    can_commit: bool,
    is_open: bool,
    /// The provider side may take an open request it does not hold yet.
    can_take: bool,
    /// The provider or the requester may change an open request's details
    /// (the priority only the provider).
    can_edit: bool,
    departments: Vec<Choice>,
    services: Vec<Choice>,
    credits: Vec<CreditRow>,
    /// The viewer may credit contributors now (a side, the request resolved or closed).
    can_credit: bool,
    /// Whom the credit form offers: active people not credited yet.
    creditable: Vec<Choice>,
    credit_rows: [usize; 3],
    form: FormData,
    failed: ActionError,
}

impl RequestPage {
    /// A value the failed form sent, to keep it; empty for other forms.
    pub fn kept(&self, action: &str, field: &str) -> &str {
        self.failed.kept(action, &self.form, field)
    }
}

fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "none".to_owned(),
        serde_json::Value::String(text) => {
            if text.len() >= 20 && text.parse::<Timestamp>().is_ok() {
                instant(text)
            } else {
                text.clone()
            }
        }
        serde_json::Value::Bool(true) => "yes".to_owned(),
        serde_json::Value::Bool(false) => "no".to_owned(),
        serde_json::Value::Number(number) => match number.as_f64() {
            Some(whole) if whole.fract() == 0.0 && whole.abs() < 1e15 => {
                format!("{}", whole as i64)
            }
            _ => number.to_string(),
        },
        other => other.to_string(),
    }
}

/// "status: New → Acknowledged" lines from an event's before and after.
fn changes(
    before: &serde_json::Value,
    after: &serde_json::Value,
    directory: &Directory,
) -> Vec<String> {
    let Some(after) = after.as_object() else {
        return Vec::new();
    };
    after
        .iter()
        .map(|(key, new)| {
            let old = before.get(key);
            let words = |value: &serde_json::Value| match (key.as_str(), value.as_str()) {
                ("status", Some(status)) => status_label(status).to_owned(),
                ("priority", Some(priority)) => priority_label(priority).to_owned(),
                ("external_impact", Some(impact)) => impact_label(impact).to_owned(),
                (key, None) if key.ends_with("department_id") && value.is_i64() => {
                    directory.department_name(value.as_i64().unwrap_or_default())
                }
                (key, None) if key.ends_with("person_id") && value.is_i64() => {
                    directory.person_name(value.as_i64())
                }
                _ => json_text(value),
            };
            let name = key
                .trim_end_matches("_person_id")
                .trim_end_matches("_id")
                .replace('_', " ");
            match old {
                Some(old) if !old.is_null() => format!("{name}: {} → {}", words(old), words(new)),
                _ => format!("{name}: {}", words(new)),
            }
        })
        .collect()
}

fn event_words(kind: &str) -> String {
    match kind {
        "created" => "raised the request".to_owned(),
        "status_changed" => "changed the status".to_owned(),
        "reopened" => "reopened the request".to_owned(),
        "updated" => "changed the details".to_owned(),
        "commented" => "commented".to_owned(),
        "internal_note" => "added an internal note".to_owned(),
        "deferred" => "deferred the request for an external customer".to_owned(),
        "transferred" => "handed the request over".to_owned(),
        "credited" => "credited a contributor".to_owned(),
        "credit_removed" => "took a credit back".to_owned(),
        other => other.replace('_', " "),
    }
}

fn transition_buttons(
    status: Status,
    roles: Roles,
    resolved_at: Option<Timestamp>,
) -> Vec<TransitionButton> {
    let now = Timestamp::now();
    let in_progress_label = match status {
        Status::WaitingOnRequester => "Resume work",
        Status::Resolved => "Reopen",
        _ => "Start work",
    };
    [
        (Status::Acknowledged, "Acknowledge"),
        (Status::InProgress, in_progress_label),
        (Status::WaitingOnRequester, "Wait on the requester"),
        (Status::Closed, "Confirm and close"),
        (Status::Cancelled, "Cancel the request"),
    ]
    .into_iter()
    .filter(|(to, _)| check_transition(status, *to, roles, now, resolved_at).is_ok())
    .map(|(to, label)| TransitionButton {
        to: to.as_str(),
        label,
    })
    .collect()
}

pub(super) async fn request_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: FormData,
    failed: ActionError,
) -> Result<RequestPage, WebError> {
    let actor = &viewer.actor;
    let caller = Caller::new(&state.store, actor);
    let scoped = state.scoped(actor);
    let stored = requests::visible(&caller, id).await?;
    let roles = policy::request_roles(actor, &stored);
    let may_credit = credits::may_credit(actor, &stored);
    let status = stored.status;
    let resolved_at = stored.resolved_at;
    let calendars = requests::calendars(&caller).await?;
    let request = view(stored, &calendars, Timestamp::now());
    let directory = Directory::load(&scoped).await?;
    let events = workflow::events(&caller, id).await?;
    let comments = workflow::comments(&caller, id).await?;
    let commitments = commitments::list(&caller, id).await?;
    let credits = credits::list(&caller, id).await?;
    let can_credit = may_credit && matches!(status, Status::Resolved | Status::Closed);
    let creditable: Vec<Choice> = if can_credit {
        directory
            .people_by_name()
            .into_iter()
            .filter(|person| {
                person.active && !credits.iter().any(|credit| credit.person_id == person.id)
            })
            .map(|person| Choice {
                value: person.id.0.to_string(),
                label: match directory.person_department(Some(person.id.0)) {
                    Some(department) => {
                        format!(
                            "{} ({})",
                            person.name,
                            directory.department_name(department)
                        )
                    }
                    None => person.name.clone(),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let service = match request.service_id {
        Some(service) => Some(scoped.service(service).await?),
        None => None,
    };
    let segment = match request.segment_id {
        Some(segment) => Some(scoped.segment(segment).await?.name),
        None => None,
    };
    let intake_label = |key: &str| {
        service
            .as_ref()
            .and_then(|service| service.intake_fields.iter().find(|field| field.key == key))
            .map(|field| field.label.clone())
            .unwrap_or_else(|| key.replace('_', " "))
    };
    let clocks = request
        .clocks
        .as_ref()
        .map(|clocks| {
            [
                ("First response", &clocks.first_response),
                ("Fulfilment", &clocks.fulfilment),
            ]
            .into_iter()
            .map(|(name, clock)| ClockPanel {
                name,
                summary: clock_summary(clock),
                target: business_duration(clock.target_minutes),
                elapsed: business_duration(clock.elapsed_minutes),
                due: clock
                    .due_at
                    .as_deref()
                    .filter(|_| clock.stopped_at.is_none())
                    .map(instant),
            })
            .collect()
        })
        .unwrap_or_default();
    let longest = request
        .time_held
        .iter()
        .map(|held| held.business_minutes)
        .max()
        .unwrap_or(0)
        .max(1);
    let held: Vec<HeldRow> = request
        .time_held
        .iter()
        .zip(0i64..)
        .map(|(held, index)| HeldRow {
            department: directory.department_name(held.department_id),
            business: business_duration(held.business_minutes),
            wall: business_duration(held.wall_minutes),
            bar: (held.business_minutes * 170 / longest).max(2),
            y: index * 32,
        })
        .collect();
    let is_provider = roles.provider;
    let my_side = commitments::side(roles).ok();
    let open = status.is_open();
    let page = RequestPage {
        layout: Layout::new(viewer, format!("#{} {}", request.id, request.title), ""),
        summary: RequestRow::new(&request, &directory, viewer),
        service: service
            .as_ref()
            .map(|service| (service.id, service.name.clone())),
        segment,
        created: instant(&request.created_at),
        intake: request
            .intake_values
            .as_object()
            .map(|values| {
                values
                    .iter()
                    .map(|(key, value)| (intake_label(key), json_text(value)))
                    .collect()
            })
            .unwrap_or_default(),
        clocks,
        chart_height: (held.len() as i64 * 32).max(32),
        held,
        events: events
            .into_iter()
            .map(|event| EventRow {
                who: event
                    .actor_person_id
                    .map(|person| directory.person_name(Some(person.0)))
                    .unwrap_or_else(|| "Roundtable".to_owned()),
                what: event_words(&event.kind),
                changes: changes(
                    &serde_json::from_str(&event.before).unwrap_or_default(),
                    &serde_json::from_str(&event.after).unwrap_or_default(),
                    &directory,
                ),
                note: event.note,
                when: moment(event.created_at),
            })
            .collect(),
        comments: comments
            .into_iter()
            .map(|comment| CommentRow {
                who: directory.person_name(Some(comment.author_person_id.0)),
                body: comment.body,
                internal: comment.internal,
                when: moment(comment.created_at),
            })
            .collect(),
        commitments: commitments
            .into_iter()
            .map(|commitment| CommitmentRow {
                id: commitment.id,
                can_accept: open
                    && commitment.status == CommitmentStatus::Proposed
                    && my_side.is_some_and(|side| side != commitment.proposed_by_side),
                side: match commitment.proposed_by_side {
                    CommitmentSide::Provider => "Provider's offer",
                    CommitmentSide::Requester => "Requester's counter-proposal",
                },
                who: directory.person_name(Some(commitment.proposed_by.0)),
                due: moment(commitment.due_at),
                note: commitment.note,
                status: commitment.status.as_str().to_owned(),
            })
            .collect(),
        deferral: request.deferred_until.as_deref().map(|until| {
            (
                instant(until),
                request.deferral_reason.clone().unwrap_or_default(),
            )
        }),
        committed_due: request.committed_due_at.as_deref().map(instant),
        resolved: request.resolved_at.as_deref().map(instant),
        on_time: request.on_time,
        input_quality: request.input_quality.clone().map(|quality| {
            match &request.input_quality_note {
                Some(note) if !note.is_empty() => format!("{quality}: {note}"),
                _ => quality,
            }
        }),
        transitions: transition_buttons(status, roles, resolved_at),
        can_resolve: check_transition(
            status,
            Status::Resolved,
            roles,
            Timestamp::now(),
            resolved_at,
        )
        .is_ok(),
        is_provider,
        can_commit: open && my_side.is_some(),
        is_open: open,
        can_take: open && is_provider && request.assignee_person_id != Some(actor.person_id.0),
        can_edit: open && (is_provider || roles.requester),
        departments: directory
            .departments
            .iter()
            .filter(|department| department.id.0 != request.provider_department_id)
            .map(|department| Choice {
                value: department.id.0.to_string(),
                label: department.name.clone(),
            })
            .collect(),
        services: if is_provider && open {
            super::catalogue::active_services(&scoped)
                .await?
                .into_iter()
                .filter(|service| {
                    service.provider_department_id.0 != request.provider_department_id
                })
                .map(|service| Choice {
                    value: service.id.to_string(),
                    label: format!(
                        "{} ({})",
                        service.name,
                        directory.department_name(service.provider_department_id.0)
                    ),
                })
                .collect()
        } else {
            Vec::new()
        },
        credits: credits
            .into_iter()
            .map(|credit| CreditRow {
                person_id: credit.person_id.0,
                person: credit.person_name,
                department: credit.department_name,
                note: credit.note,
                can_remove: credits::may_take_back(actor, credit.credited_by),
                by: credit.credited_by_name,
                when: moment(credit.created_at),
            })
            .collect(),
        can_credit,
        creditable,
        credit_rows: CREDIT_ROWS,
        request,
        form,
        failed,
    };
    Ok(page)
}

/// `GET /requests/{id}`.
pub async fn show_request(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        request_page(&state, &viewer, id, form, failed).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_in_the_readers_zone_utc_outside_a_page() {
        assert_eq!(
            reader_instant("2026-11-25T17:00").as_deref(),
            Some("2026-11-25T17:00:00Z")
        );
        assert_eq!(
            reader_instant("2026-11-25").as_deref(),
            Some("2026-11-25T17:00:00Z")
        );
        assert_eq!(reader_instant("next week"), None);
    }

    #[test]
    fn changes_name_each_field_in_words() {
        let before = serde_json::json!({"status": "new"});
        let after = serde_json::json!({"status": "acknowledged", "assignee_person_id": 4});
        let lines = changes(&before, &after, &Directory::default());
        assert!(lines.contains(&"status: New → Acknowledged".to_owned()));
        assert!(lines.contains(&"assignee: Person 4".to_owned()));
    }
}
