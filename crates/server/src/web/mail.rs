//! The Mail page (`/admin/mail`): the email Roundtable sent or would have
//! sent, newest first, each with its status and, on a details toggle, its
//! text. Read through `app::mail`, administrators only.

use super::format::moment;
use super::{Layout, Viewer, WebError, render};
use crate::AppState;
use crate::extract::{Page, PageQuery};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use roundtable_app::mail::{MailItem, MailStatus};
use roundtable_app::{Caller, mail, policy};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/mail", get(show_mail))
}

#[derive(Debug)]
pub struct MailRow {
    pub when: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    /// "Sent", "Not sent", "Failed", "Waiting".
    pub status: &'static str,
    /// The badge's tone.
    pub tone: &'static str,
    /// The cause of a failure, or when it went out.
    pub detail: String,
}

#[derive(Debug, Template)]
#[template(path = "admin_mail.html")]
pub struct MailPage {
    layout: Layout,
    rows: Vec<MailRow>,
    /// Whether a message on this page was kept, not sent (email is off).
    any_not_sent: bool,
    /// The address of the next, older page.
    older: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub struct CursorQuery {
    cursor: Option<String>,
}

fn row(item: MailItem) -> MailRow {
    let (status, tone, detail) = match &item.status {
        MailStatus::Sent => ("Sent", "ok", item.sent_at.map(moment).unwrap_or_default()),
        MailStatus::NotSent => (
            "Not sent",
            "none",
            "Email is off: no SMTP relay is configured.".to_owned(),
        ),
        MailStatus::Failed { cause } => ("Failed", "bad", cause.clone()),
        MailStatus::Pending { last_error } => (
            "Waiting",
            "warn",
            match last_error {
                Some(error) => format!("Will try again ({} tries): {error}", item.attempts),
                None => String::new(),
            },
        ),
    };
    MailRow {
        when: moment(item.created_at),
        to: format!("{} <{}>", item.recipient_name, item.recipient_email),
        subject: item.subject,
        body: item.body,
        link: item.link,
        status,
        tone,
        detail,
    }
}

/// `GET /admin/mail`: the organization's email, newest first (administrators).
pub async fn show_mail(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CursorQuery>,
) -> Result<Response, WebError> {
    // Who may read it is judged before the cursor.
    policy::manage_organization(&viewer.actor)?;
    let caller = Caller::new(&state.store, &viewer.actor);
    let request = PageQuery {
        limit: Some(50),
        cursor: query.cursor.filter(|cursor| !cursor.is_empty()),
    }
    .to_page()?;
    let page = Page::from_listing(mail::outgoing(&caller, request).await?, row);
    let page = MailPage {
        layout: Layout::new(&viewer, "Mail", "admin"),
        any_not_sent: page.items.iter().any(|row| row.status == "Not sent"),
        rows: page.items,
        older: page.next_cursor.map(|cursor| {
            format!(
                "/admin/mail?cursor={}",
                form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
            )
        }),
    };
    Ok(render(StatusCode::OK, &page))
}
