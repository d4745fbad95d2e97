//! The in-app inbox in the browser: the viewer's notifications, newest
//! first, with unread ones marked in words, and forms to mark them read.
//! Reading and marking are the use cases of `app::inbox`, the same the API
//! calls, so a person only ever sees and changes their own.

use super::format::instant;
use super::session::safe_next;
use super::{Layout, SignedForm, Viewer, WebError, see_other};
use crate::AppState;
use crate::api::notifications::{Inbox, NotificationView};
use crate::extract::PageQuery;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use roundtable_app::{Caller, inbox};

/// One notification as a line of the inbox.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// A page of this application (notifications only link inside it).
    pub link: Option<String>,
    pub when: String,
    pub unread: bool,
}

impl From<&NotificationView> for NotificationRow {
    fn from(notification: &NotificationView) -> Self {
        NotificationRow {
            id: notification.id,
            title: notification.title.clone(),
            body: notification.body.clone(),
            link: Some(safe_next(&notification.link)).filter(|link| link != "/"),
            when: instant(&notification.created_at),
            unread: notification.read_at.is_none(),
        }
    }
}

/// The viewer's inbox, one page of it.
pub async fn inbox(
    state: &AppState,
    viewer: &Viewer,
    limit: u32,
    cursor: Option<String>,
) -> Result<Inbox, WebError> {
    let page = PageQuery {
        limit: Some(limit),
        cursor,
    }
    .to_page()?;
    let caller = Caller::new(&state.store, &viewer.actor);
    Ok(Inbox::from(inbox::list(&caller, false, page).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct InboxPageQuery {
    cursor: Option<String>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    layout: Layout,
    rows: Vec<NotificationRow>,
    unread: i64,
    /// This page's own address, to come back to after marking.
    here: String,
    next: Option<String>,
}

/// `GET /notifications`: the whole inbox, a page at a time.
pub async fn show_notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<InboxPageQuery>,
) -> Result<NotificationsPage, WebError> {
    let here = match &query.cursor {
        Some(cursor) => format!(
            "/notifications?cursor={}",
            form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
        ),
        None => "/notifications".to_owned(),
    };
    let inbox = match inbox(&state, &viewer, 50, query.cursor).await {
        Ok(inbox) => inbox,
        // A cursor from elsewhere: start again from the newest.
        Err(WebError::Invalid(_)) => return Err(WebError::NotFound),
        Err(other) => return Err(other),
    };
    Ok(NotificationsPage {
        layout: Layout::new(&viewer, "Notifications", "notifications"),
        rows: inbox.items.iter().map(NotificationRow::from).collect(),
        unread: inbox.unread,
        here,
        next: inbox.next_cursor.map(|cursor| {
            format!(
                "/notifications?cursor={}",
                form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
            )
        }),
    })
}

/// `POST /notifications/{id}/read`: marks one read, then back to where the form was.
pub async fn read_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)?;
    let _marked = inbox::mark_read(&Caller::new(&state.store, &viewer.actor), Some(id)).await?;
    Ok(see_other(&safe_next(form.get("next"))))
}

/// `POST /notifications/read-all`: marks every notification read.
pub async fn read_all(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let _marked = inbox::mark_read(&Caller::new(&state.store, &viewer.actor), None).await?;
    Ok(see_other(&safe_next(form.get("next"))))
}
