//! `/api/v1/inbox`: the work waiting on the caller (see `app::work`). The
//! notifications at `/api/v1/notifications` say what happened; the inbox
//! says what is the caller's turn, and an item stays until the step is done.

use crate::AppState;
use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use roundtable_app::Caller;
use roundtable_app::work::WorkInbox;
use roundtable_domain::work::WorkItem;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inbox))
}

/// One thing waiting on the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkItemView {
    /// What kind of hand-over: `agreement_to_accept`, `agreement_review_due`,
    /// `enhancement_to_sponsor`, `enhancement_to_confirm`, `assumption_to_answer`,
    /// `frustration_to_answer`, `pulse_to_answer`, `check_to_answer`,
    /// `commitment_to_decide`, `request_assigned`, `request_unassigned`,
    /// `action_overdue` or `measure_checkin_due`.
    pub kind: String,
    /// What the caller is asked to do, in words.
    pub action: String,
    /// One line naming the record.
    pub title: String,
    /// The record's type (`agreement`, `enhancement`, `topic`, `pulse_round`,
    /// `check`, `request`, `action`, `measure`) and id.
    pub subject_kind: String,
    pub subject_id: i64,
    /// The web page where the step is done.
    pub link: String,
    /// Since when it waits (RFC 3339).
    pub waiting_since: String,
    /// When it is due, where there is a due time (RFC 3339).
    pub due_at: Option<String>,
    /// Whether the due time has passed.
    pub overdue: bool,
    /// What else to know before acting (the thank-you an answer earns, the
    /// date proposed, …).
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkInboxView {
    /// In the order to do them: overdue first, then by due time, then by
    /// how long they have waited.
    pub items: Vec<WorkItemView>,
    /// How many open requests wait unassigned in the queues of the
    /// departments the caller leads (the list names at most 50).
    pub unassigned_requests: usize,
}

impl From<WorkInbox> for WorkInboxView {
    fn from(inbox: WorkInbox) -> Self {
        let now = inbox.now;
        WorkInboxView {
            items: inbox
                .items
                .into_iter()
                .map(|item| item_view(item, now))
                .collect(),
            unassigned_requests: inbox.unassigned_total,
        }
    }
}

fn item_view(item: WorkItem, now: jiff::Timestamp) -> WorkItemView {
    WorkItemView {
        kind: item.kind.as_str().to_owned(),
        action: item.kind.call_to_action().to_owned(),
        title: item.title,
        subject_kind: item.subject_kind.to_owned(),
        subject_id: item.subject_id,
        link: item.link,
        waiting_since: item.waiting_since.to_string(),
        overdue: item.due_at.is_some_and(|due| due <= now),
        due_at: item.due_at.map(|due| due.to_string()),
        detail: item.detail,
    }
}

/// The work waiting on the caller: what to accept, answer, confirm, sponsor,
/// review, assign or finish, each with the page where it is done.
#[utoipa::path(
    get, path = "/inbox", tag = "inbox",
    responses((status = 200, body = WorkInboxView), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn inbox(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<WorkInboxView>, ApiError> {
    let inbox = roundtable_app::work::inbox(&Caller::new(&state.store, &actor)).await?;
    Ok(Json(WorkInboxView::from(inbox)))
}
