//! The home page: the work waiting for the viewer (their department's queue,
//! in the order to work it, marking what is assigned to them), the requests
//! they raised, the satisfaction checks waiting for their answer and their
//! latest notifications.

use super::checks::{CheckRow, checks_of};
use super::directory::Directory;
use super::format::{ClockSummary, fulfilment_summary, impact_label, priority_label, status_label};
use super::notifications::{NotificationRow, inbox};
use super::{Layout, Viewer, WebError};
use crate::AppState;
use crate::api::requests::{
    QueueQuery, RequestQuery, RequestView, department_queue, list_requests,
};
use crate::auth::Authenticated;
use crate::extract::{ApiQuery, RecordId};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

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
}

/// How many queue entries the home page shows before linking to the queue.
const QUEUE_PREVIEW: u32 = 10;

/// How many of the latest notifications the home page shows.
const NOTIFICATIONS_PREVIEW: u32 = 5;

/// `GET /`: the viewer's queue and requests.
pub async fn show_home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<HomePage, WebError> {
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let authenticated = || Authenticated(viewer.actor.clone());
    let (department, queue_url, queue, queue_total) = match viewer.actor.department_id {
        Some(department) => {
            let entries = department_queue(
                State(state.clone()),
                authenticated(),
                RecordId(department.0),
                ApiQuery(QueueQuery {
                    limit: Some(QUEUE_PREVIEW),
                    offset: None,
                }),
            )
            .await?;
            let total = entries.total;
            let rows = entries
                .requests
                .iter()
                .map(|request| RequestRow::new(request, &directory, &viewer))
                .collect();
            (
                Some(directory.department_name(department.0)),
                Some(format!("/departments/{}/queue", department.0)),
                rows,
                total,
            )
        }
        None => (None, None, Vec::new(), 0),
    };
    let mine = list_requests(
        State(state.clone()),
        authenticated(),
        ApiQuery(RequestQuery {
            status: None,
            open: None,
            provider_department_id: None,
            requester_person_id: None,
            mine: Some(true),
            service_id: None,
            external_impact: None,
            breached: None,
            limit: Some(200),
            cursor: None,
        }),
    )
    .await?
    .0
    .items
    .iter()
    .rev()
    .take(50)
    .map(|request| RequestRow::new(request, &directory, &viewer))
    .collect();
    let checks = checks_of(&state, &viewer, "pending", 200)
        .await?
        .iter()
        .map(|check| CheckRow::new(check, &directory))
        .collect();
    let inbox = inbox(&state, &viewer, NOTIFICATIONS_PREVIEW, None).await?;
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
    let query = RequestQuery {
        status: Some(status.clone()).filter(|status| !status.is_empty()),
        open: None,
        provider_department_id: None,
        requester_person_id: None,
        mine: None,
        service_id: None,
        external_impact: Some(impact.clone()).filter(|impact| !impact.is_empty()),
        breached: breached.then_some(true),
        limit: Some(50),
        cursor: filters.cursor,
    };
    let (rows, next, problem) = match list_requests(
        State(state.clone()),
        Authenticated(viewer.actor.clone()),
        ApiQuery(query),
    )
    .await
    {
        Ok(page) => {
            let page = page.0;
            let next = page.next_cursor.map(|cursor| {
                let mut address = form_urlencoded::Serializer::new(String::new());
                address.append_pair("status", &status);
                address.append_pair("impact", &impact);
                if breached {
                    address.append_pair("breached", "true");
                }
                address.append_pair("cursor", &cursor);
                format!("/requests?{}", address.finish())
            });
            let rows = page
                .items
                .iter()
                .map(|request| RequestRow::new(request, &directory, &viewer))
                .collect();
            (rows, next, None)
        }
        Err(crate::problem::ApiError::Validation(errors)) => {
            (Vec::new(), None, Some(errors.to_string()))
        }
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
