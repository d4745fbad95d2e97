//! The home page: the work waiting for the viewer (their department's queue,
//! in the order to work it, marking what is assigned to them), the requests
//! they raised, the satisfaction checks waiting for their answer and their
//! latest notifications.

use super::checks::{CheckRow, checks_of};
use super::directory::Directory;
use super::format::{ClockSummary, fulfilment_summary, impact_label, priority_label, status_label};
use super::notifications::{NotificationRow, inbox};
use super::work::{self, WorkRow};
use super::{Layout, Viewer, WebError};
use crate::AppState;
use crate::api::requests::{RequestView, view};
use crate::extract::{PageQuery, encode_cursor};
use crate::problem::ApiError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use jiff::Timestamp;
use roundtable_app::Caller;
use roundtable_app::requests::{self, ListQuery, queue};
use roundtable_store::PageRequest;

/// One request as a line of a list.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub priority: &'static str,
    pub impact: &'static str,
    pub impact_tone: &'static str,
    pub provider: String,
    pub requester: String,
    pub assignee: String,
    pub assigned_to_viewer: bool,
    pub clock: ClockSummary,
    pub deferred: bool,
}

impl RequestRow {
    pub fn new(request: &RequestView, directory: &Directory, viewer: &Viewer) -> Self {
        RequestRow {
            id: request.id,
            title: request.title.clone(),
            status: status_label(&request.status),
            priority: priority_label(&request.priority),
            impact: impact_label(&request.external_impact),
            impact_tone: match request.external_impact.as_str() {
                "customer_waiting" => "bad",
                "customer_affected" => "warn",
                _ => "none",
            },
            provider: directory.department_name(request.provider_department_id),
            requester: directory.person_name(Some(request.requester_person_id)),
            assignee: directory.person_name(request.assignee_person_id),
            assigned_to_viewer: request.assignee_person_id == Some(viewer.actor.person_id.0),
            clock: fulfilment_summary(request),
            deferred: request.deferred_until.is_some(),
        }
    }
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    department: Option<String>,
    queue_url: Option<String>,
    queue: Vec<RequestRow>,
    queue_total: usize,
    mine: Vec<RequestRow>,
    checks: Vec<CheckRow>,
    notifications: Vec<NotificationRow>,
    unread: i64,
    /// The first items of the viewer's work inbox, and how many there are.
    work: Vec<WorkRow>,
    work_total: usize,
}

/// How many queue entries the home page shows before linking to the queue.
const QUEUE_PREVIEW: u32 = 10;

/// How many items of the work inbox the home page shows before linking to it.
const WORK_PREVIEW: usize = 10;

/// How many of the latest notifications the home page shows.
const NOTIFICATIONS_PREVIEW: u32 = 5;

/// `GET /`: the viewer's queue and requests.
pub async fn show_home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<HomePage, WebError> {
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let caller = Caller::new(&state.store, &viewer.actor);
    let (department, queue_url, queue, queue_total) = match viewer.actor.department_id {
        Some(department) => {
            let page = queue::page(&caller, department, None, Some(QUEUE_PREVIEW)).await?;
            let rows = page
                .requests
                .into_iter()
                .map(|request| {
                    RequestRow::new(
                        &view(request, &page.calendars, page.now),
                        &directory,
                        &viewer,
                    )
                })
                .collect();
            (
                Some(directory.department_name(department.0)),
                Some(format!("/departments/{}/queue", department.0)),
                rows,
                page.total,
            )
        }
        None => (None, None, Vec::new(), 0),
    };
    let mine_query = ListQuery {
        mine: true,
        ..ListQuery::default()
    };
    let listing = requests::list(&caller, mine_query, PageRequest::first(200)).await?;
    let calendars = requests::calendars(&caller).await?;
    let now = Timestamp::now();
    let mine = listing
        .items
        .into_iter()
        .rev()
        .take(50)
        .map(|request| RequestRow::new(&view(request, &calendars, now), &directory, &viewer))
        .collect();
    let checks = checks_of(&state, &viewer, "pending", 200)
        .await?
        .iter()
        .map(|check| CheckRow::new(check, &directory))
        .collect();
    let inbox = inbox(&state, &viewer, NOTIFICATIONS_PREVIEW, None).await?;
    let mut work = work::rows(&work::inbox_of(&state, &viewer).await?);
    let work_total = work.len();
    work.truncate(WORK_PREVIEW);
    Ok(HomePage {
        layout: Layout::new(&viewer, "Home", "home"),
        department,
        queue_url,
        queue,
        queue_total,
        mine,
        checks,
        notifications: inbox.items.iter().map(NotificationRow::from).collect(),
        unread: inbox.unread,
        work,
        work_total,
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct ListFilters {
    status: Option<String>,
    impact: Option<String>,
    breached: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "requests.html")]
pub struct RequestsPage {
    layout: Layout,
    rows: Vec<RequestRow>,
    status: String,
    impact: String,
    breached: bool,
    /// The address of the next page, if more follow.
    next: Option<String>,
    problem: Option<String>,
}

impl RequestsPage {
    pub fn status_is(&self, value: &str) -> bool {
        self.status == value
    }

    pub fn impact_is(&self, value: &str) -> bool {
        self.impact == value
    }
}

/// `GET /requests`: every request the viewer may see, filtered like `GET /api/v1/requests`.
pub async fn list_visible_requests(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(filters): axum::extract::Query<ListFilters>,
) -> Result<RequestsPage, WebError> {
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let status = filters.status.unwrap_or_default();
    let impact = filters.impact.unwrap_or_default();
    let breached = filters.breached.is_some_and(|value| value == "true");
    let query = ListQuery {
        status: Some(status.clone()).filter(|status| !status.is_empty()),
        external_impact: Some(impact.clone()).filter(|impact| !impact.is_empty()),
        breached: breached.then_some(true),
        ..ListQuery::default()
    };
    let caller = Caller::new(&state.store, &viewer.actor);
    let page_query = PageQuery {
        limit: Some(50),
        cursor: filters.cursor,
    };
    let page = match page_query.to_page() {
        Ok(page) => requests::list(&caller, query, page)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    let (rows, next, problem) = match page {
        Ok(listing) => {
            let calendars = requests::calendars(&caller).await?;
            let now = Timestamp::now();
            let next = listing.next_after.map(|after| {
                let cursor = encode_cursor(after);
                let mut address = form_urlencoded::Serializer::new(String::new());
                address.append_pair("status", &status);
                address.append_pair("impact", &impact);
                if breached {
                    address.append_pair("breached", "true");
                }
                address.append_pair("cursor", &cursor);
                format!("/requests?{}", address.finish())
            });
            let rows = listing
                .items
                .into_iter()
                .map(|request| {
                    RequestRow::new(&view(request, &calendars, now), &directory, &viewer)
                })
                .collect();
            (rows, next, None)
        }
        Err(ApiError::Validation(errors)) => (Vec::new(), None, Some(errors.to_string())),
        Err(other) => return Err(other.into()),
    };
    Ok(RequestsPage {
        layout: Layout::new(&viewer, "Requests", "requests"),
        rows,
        status,
        impact,
        breached,
        next,
        problem,
    })
}
