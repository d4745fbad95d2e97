//! The work inbox as a page (`/inbox`) and as the top of the home page: the
//! hand-overs waiting on the viewer, each a link to where it is done.

use super::format::moment;
use super::{Layout, Viewer, WebError};
use crate::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use roundtable_app::Caller;
use roundtable_app::work::WorkInbox;

/// One item as a line of the inbox.
#[derive(Debug, Clone)]
pub struct WorkRow {
    pub action: &'static str,
    pub title: String,
    pub link: String,
    pub detail: Option<String>,
    pub since: String,
    pub due: Option<String>,
    pub overdue: bool,
}

/// The inbox's rows, in its order.
pub fn rows(inbox: &WorkInbox) -> Vec<WorkRow> {
    inbox
        .items
        .iter()
        .map(|item| WorkRow {
            action: item.kind.call_to_action(),
            title: item.title.clone(),
            link: item.link.clone(),
            detail: item.detail.clone(),
            since: moment(item.waiting_since),
            due: item.due_at.map(moment),
            overdue: item.due_at.is_some_and(|due| due <= inbox.now),
        })
        .collect()
}

/// The viewer's inbox.
pub async fn inbox_of(state: &AppState, viewer: &Viewer) -> Result<WorkInbox, WebError> {
    Ok(roundtable_app::work::inbox(&Caller::new(&state.store, &viewer.actor)).await?)
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    layout: Layout,
    rows: Vec<WorkRow>,
    unassigned_total: usize,
}

/// `GET /inbox`: everything waiting on the viewer.
pub async fn show_inbox(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<InboxPage, WebError> {
    let inbox = inbox_of(&state, &viewer).await?;
    Ok(InboxPage {
        layout: Layout::new(&viewer, "Waiting on you", "inbox"),
        rows: rows(&inbox),
        unassigned_total: inbox.unassigned_total,
    })
}
