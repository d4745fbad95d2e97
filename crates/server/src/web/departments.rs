//! A department's queue: its open requests in the order to work them, as
//! `GET /api/v1/departments/{id}/queue` orders them.

use super::directory::Directory;
use super::home::RequestRow;
use super::{Layout, Viewer, WebError};
use crate::AppState;
use crate::api::requests::{RequestView, view};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use roundtable_app::Caller;
use roundtable_app::requests::queue;
use roundtable_domain::ids::DepartmentId;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "queue.html")]
pub struct QueuePage {
    layout: Layout,
    department: String,
    /// This page's address, which htmx re-reads to refresh the clocks.
    url: String,
    rows: Vec<RequestRow>,
    waiting: usize,
    at_risk: usize,
    breached: usize,
}

/// `GET /departments/{id}/queue`.
pub async fn show_queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<QueuePage, WebError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)?;
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let department = directory
        .department(id)
        .map(|department| department.name.clone())
        .ok_or(WebError::NotFound)?;
    let caller = Caller::new(&state.store, &viewer.actor);
    let page = queue::page(&caller, DepartmentId(id), None, Some(queue::MAX_LIMIT)).await?;
    let entries: Vec<RequestView> = page
        .requests
        .into_iter()
        .map(|request| view(request, &page.calendars, page.now))
        .collect();
    let rows: Vec<RequestRow> = entries
        .iter()
        .map(|request| RequestRow::new(request, &directory, &viewer))
        .collect();
    let count = |tone: &str| rows.iter().filter(|row| row.clock.tone == tone).count();
    let own = viewer.actor.department_id.map(|own| own.0) == Some(id);
    Ok(QueuePage {
        layout: Layout::new(
            &viewer,
            format!("Queue of {department}"),
            if own { "queue" } else { "" },
        ),
        waiting: entries
            .iter()
            .filter(|request| request.external_impact == "customer_waiting")
            .count(),
        at_risk: count("warn"),
        breached: count("bad"),
        department,
        url: format!("/departments/{id}/queue"),
        rows,
    })
}
