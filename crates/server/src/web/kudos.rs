//! Kudos: the public feed (newest first) and the form to thank a person
//! and/or a department. Both call `app::kudos`, as `POST /api/v1/kudos`
//! does, so the page and the API accept and refuse exactly the same thanks.

use super::directory::Directory;
use super::{FieldErrors, FormData, Layout, SignedForm, Viewer, WebError, render, see_other};
use crate::AppState;
use crate::api::kudos::KudosView;
use crate::extract::{Page, PageQuery};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::kudos::{self, Link, Thanks};
use roundtable_app::{AppError, Caller};
use roundtable_domain::ValidationErrors;
use roundtable_store::kudos::Kudos;
use serde::Deserialize;

/// How many kudos one page of the feed shows.
const FEED_PAGE: u32 = 30;

/// One kudos as the feed shows it.
#[derive(Debug, Clone)]
pub struct KudosEntry {
    /// "Ada Lovelace", or "Shared recognition" for a reached mutual measure.
    pub giver: String,
    /// "Grace Hopper (Finance)", "Finance", or both.
    pub receiver: String,
    pub message: String,
    pub value_tag: Option<String>,
    /// What it points at, in words, and where that lives (when it has a page).
    pub link: Option<(String, Option<String>)>,
    pub given: String,
    pub recognition: bool,
}

/// One kudos as the feed shows it, from the store's record or the API's view of it.
pub fn kudos_entry(kudos: impl Into<KudosEntry>) -> KudosEntry {
    kudos.into()
}

impl From<Kudos> for KudosEntry {
    fn from(kudos: Kudos) -> Self {
        KudosEntry::from(KudosView::from(kudos))
    }
}

impl From<KudosView> for KudosEntry {
    fn from(kudos: KudosView) -> Self {
        let receiver = match (kudos.receiver_person_name, kudos.receiver_department_name) {
            (Some(person), Some(department)) => format!("{person} and {department}"),
            (Some(person), None) => person,
            (None, Some(department)) => department,
            (None, None) => "someone no longer listed".to_owned(),
        };
        KudosEntry {
            giver: if kudos.recognition {
                "Shared recognition".to_owned()
            } else {
                kudos
                    .giver_name
                    .unwrap_or_else(|| "someone no longer listed".to_owned())
            },
            receiver,
            message: kudos.message,
            value_tag: kudos.value_tag,
            link: kudos.link.map(|link| {
                let href = match link.kind.as_str() {
                    "request" => Some(format!("/requests/{}", link.id)),
                    "service" => Some(format!("/services/{}/request", link.id)),
                    _ => None,
                };
                (format!("{} #{}", link.kind, link.id), href)
            }),
            given: super::format::instant(&kudos.created_at),
            recognition: kudos.recognition,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Template)]
#[template(path = "kudos.html")]
pub struct KudosPage {
    layout: Layout,
    feed: Vec<KudosEntry>,
    /// The link to older kudos, when there are more.
    older: Option<String>,
    people: Vec<Choice>,
    departments: Vec<Choice>,
    form: FormData,
    errors: FieldErrors,
    message: Option<String>,
    /// Set right after kudos were given.
    thanked: bool,
    /// The latest contributors credited on resolved requests.
    credits: Vec<CreditEntry>,
}

/// A credit on a resolved request, as the recognition page shows it.
#[derive(Debug, Clone)]
pub struct CreditEntry {
    /// "Grace Hopper (Finance)".
    pub person: String,
    pub by: String,
    pub request_id: i64,
    pub note: String,
    pub when: String,
}

/// How many of the latest credits the kudos page shows.
const RECENT_CREDITS: i64 = 10;

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    pub cursor: Option<String>,
    pub given: Option<String>,
}

async fn kudos_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: Option<String>,
    form: FormData,
    errors: FieldErrors,
    message: Option<String>,
) -> Result<KudosPage, WebError> {
    let page = PageQuery {
        limit: Some(FEED_PAGE),
        cursor,
    }
    .to_page()?;
    let listing = kudos::feed(&Caller::new(&state.store, &viewer.actor), None, page).await?;
    let page = Page::from_listing(listing, KudosEntry::from);
    let directory = Directory::load(&state.scoped(&viewer.actor)).await?;
    let credits = state
        .scoped(&viewer.actor)
        .recent_credits(RECENT_CREDITS)
        .await?
        .into_iter()
        .map(|credit| CreditEntry {
            person: match credit.department_name {
                Some(department) => format!("{} ({department})", credit.person_name),
                None => credit.person_name,
            },
            by: credit.credited_by_name,
            request_id: credit.request_id,
            note: credit.note,
            when: super::format::instant(&credit.created_at.to_string()),
        })
        .collect();
    Ok(KudosPage {
        credits,
        layout: Layout::new(viewer, "Kudos", "kudos"),
        feed: page.items,
        older: page.next_cursor.map(|cursor| {
            format!(
                "/kudos?cursor={}",
                form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
            )
        }),
        people: directory
            .people_by_name()
            .into_iter()
            .filter(|person| person.active && person.id != viewer.actor.person_id)
            .map(|person| Choice {
                value: person.id.0.to_string(),
                label: match person.department_id {
                    Some(department) => format!(
                        "{} ({})",
                        person.name,
                        directory.department_name(department.0)
                    ),
                    None => person.name.clone(),
                },
            })
            .collect(),
        departments: directory
            .departments
            .iter()
            .map(|department| Choice {
                value: department.id.0.to_string(),
                label: department.name.clone(),
            })
            .collect(),
        form,
        errors,
        message,
        thanked: false,
    })
}

/// `GET /kudos`: the feed and the form.
pub async fn show_kudos(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<FeedQuery>,
) -> Result<Response, WebError> {
    let mut page = kudos_page(
        &state,
        &viewer,
        query.cursor.filter(|cursor| !cursor.is_empty()),
        FormData::default(),
        FieldErrors::default(),
        None,
    )
    .await?;
    page.thanked = query.given.is_some();
    Ok(render(StatusCode::OK, &page))
}

/// A record id chosen in the form: empty is none; text that is no number is
/// passed on as 0, which the use case refuses naming the field ("must be a record id").
fn chosen_id(text: &str) -> Option<i64> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.parse::<i64>().unwrap_or(0))
}

/// The form's fields as the use case's input, so every rule (and every
/// error message) is the same as the API's, all reported at once.
fn kudos_input(form: &FormData) -> Thanks {
    let link_kind = form.get("link_kind").trim();
    let link_id = form.get("link_id");
    let link = (!link_kind.is_empty() || !link_id.trim().is_empty()).then(|| Link {
        kind: link_kind.to_owned(),
        id: chosen_id(link_id).unwrap_or(0),
    });
    Thanks {
        receiver_person_id: chosen_id(form.get("receiver_person_id")),
        receiver_department_id: chosen_id(form.get("receiver_department_id")),
        message: form.get("message").to_owned(),
        link,
        value_tag: form.optional("value_tag"),
    }
}

/// The API's field names as this form names them.
fn form_errors(errors: ValidationErrors) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|error| {
                let field = match error.field.as_str() {
                    "link.kind" => "link_kind".to_owned(),
                    "link.id" => "link_id".to_owned(),
                    other => other.to_owned(),
                };
                (field, error.message)
            })
            .collect(),
    )
}

/// `POST /kudos`: gives kudos, then back to the feed where they now lead.
pub async fn give(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = kudos::give(
        &Caller::new(&state.store, &viewer.actor),
        kudos_input(&form),
    )
    .await;
    match outcome {
        Ok(_) => Ok(see_other("/kudos?given=1")),
        Err(AppError::Invalid(errors)) => {
            let page = kudos_page(
                &state,
                &viewer,
                None,
                form,
                form_errors(errors),
                Some("Please correct the marked fields.".to_owned()),
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}
