//! Satisfaction checks in the browser: the list of the viewer's checks and
//! the answer form of one. Reading and answering are the use cases of
//! `app::checks`, the same the API calls, so a check is its respondent's
//! alone, is answered once, and `not_met` reopens the request exactly as
//! through the API.

use super::directory::Directory;
use super::format::{instant, status_label};
use super::{FieldErrors, FormData, Layout, Refusal, SignedForm, Viewer, WebError, render};
use crate::AppState;
use crate::api::checks::{CheckView, QUESTION};
use crate::api::requests::view;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use roundtable_app::checks::{self, Answer};
use roundtable_app::requests;
use roundtable_app::{AppError, Caller};
use roundtable_store::PageRequest;

/// A check's answer in words.
pub fn answer_label(answer: &str) -> &'static str {
    match answer {
        "met" => "Met",
        "partly" => "Partly met",
        "not_met" => "Not met",
        _ => "Unknown",
    }
}

/// A check's status in words, and the style class that colours it.
pub fn check_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "pending" => ("Waiting for your answer", "warn"),
        "answered" => ("Answered", "done"),
        "expired" => ("Expired", "paused"),
        _ => ("Unknown", "none"),
    }
}

/// One check as a line of a list.
#[derive(Debug, Clone)]
pub struct CheckRow {
    pub id: i64,
    pub request_id: i64,
    pub request_title: String,
    pub provider: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub asked: String,
    pub expires: String,
    pub answer: Option<&'static str>,
}

impl CheckRow {
    pub fn new(check: &CheckView, directory: &Directory) -> Self {
        let (status, tone) = check_status(&check.status);
        CheckRow {
            id: check.id,
            request_id: check.request_id,
            request_title: check.request_title.clone(),
            provider: directory.department_name(check.provider_department_id),
            status,
            tone,
            asked: instant(&check.created_at),
            expires: instant(&check.expires_at),
            answer: check.answer.as_deref().map(answer_label),
        }
    }
}

/// The viewer's checks with `status` (`pending`, `answered`, …), newest first.
pub async fn checks_of(
    state: &AppState,
    viewer: &Viewer,
    status: &str,
    limit: u32,
) -> Result<Vec<CheckView>, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let status = checks::parse_status_filter(Some(status))?;
    let listing = checks::list(&caller, status, PageRequest::first(limit)).await?;
    let now = Timestamp::now();
    Ok(listing
        .items
        .into_iter()
        .map(|check| CheckView::new(check, now))
        .collect())
}

#[derive(Debug, Template, askama_web::WebTemplate)]
#[template(path = "checks.html")]
pub struct ChecksPage {
    layout: Layout,
    pending: Vec<CheckRow>,
    answered: Vec<CheckRow>,
}

/// `GET /checks`: the checks waiting for the viewer's answer, and the last answered.
pub async fn list_my_checks(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<ChecksPage, WebError> {
    let directory = Directory::load(&state.scoped(&viewer.actor)).await?;
    let rows = |checks: Vec<CheckView>| -> Vec<CheckRow> {
        checks
            .iter()
            .map(|check| CheckRow::new(check, &directory))
            .collect()
    };
    let pending = rows(checks_of(&state, &viewer, "pending", 200).await?);
    let answered = rows(checks_of(&state, &viewer, "answered", 20).await?);
    Ok(ChecksPage {
        layout: Layout::new(&viewer, "My satisfaction checks", "checks"),
        pending,
        answered,
    })
}

/// What answering just did, shown once as a confirmation.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub answer: &'static str,
    pub reopened: bool,
}

#[derive(Debug, Template)]
#[template(path = "check.html")]
pub struct CheckPage {
    layout: Layout,
    check: CheckRow,
    question: &'static str,
    service: Option<String>,
    /// The request's status now, in words, when the viewer can still see it.
    request_status: Option<&'static str>,
    resolved: Option<String>,
    rating: Option<i64>,
    comment: String,
    pending: bool,
    outcome: Option<Outcome>,
    /// Why the check cannot be answered now, when the answer was refused.
    problem: Option<String>,
    form: FormData,
    errors: FieldErrors,
}

impl CheckPage {
    pub fn chosen(&self, field: &str, value: &str) -> bool {
        self.form.get(field) == value
    }
}

fn check_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)
}

async fn check_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: FormData,
    errors: FieldErrors,
) -> Result<CheckPage, WebError> {
    let check = CheckView::new(
        checks::get(&Caller::new(&state.store, &viewer.actor), id).await?,
        Timestamp::now(),
    );
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let service = match check.service_id {
        Some(service) => Some(scoped.service(service).await?.name),
        None => None,
    };
    let caller = Caller::new(&state.store, &viewer.actor);
    let (request_status, resolved) = match requests::visible(&caller, check.request_id).await {
        Ok(request) => {
            let calendars = requests::calendars(&caller).await?;
            let request = view(request, &calendars, Timestamp::now());
            (
                Some(status_label(&request.status)),
                request.resolved_at.as_deref().map(instant),
            )
        }
        Err(AppError::NotFound | AppError::Forbidden(_)) => (None, None),
        Err(other) => return Err(other.into()),
    };
    Ok(CheckPage {
        layout: Layout::new(viewer, "Satisfaction check", "checks"),
        question: QUESTION,
        service,
        request_status,
        resolved,
        rating: check.rating,
        comment: check.comment.clone(),
        pending: check.status == "pending",
        check: CheckRow::new(&check, &directory),
        outcome: None,
        problem: None,
        form,
        errors,
    })
}

/// `GET /checks/{id}`: the request a check is about and, while it waits, the answer form.
pub async fn show_check(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let page = check_page(
        &state,
        &viewer,
        check_id(&id)?,
        FormData::default(),
        FieldErrors::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// The form's answer. A rating that is not a whole number is refused here,
/// naming the field; everything else is judged by the use case.
fn answer_body(form: &FormData) -> Result<Answer, FieldErrors> {
    let rating = match form.optional("rating") {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| FieldErrors::single("rating", "must be a whole number from 1 to 5"))?,
        ),
    };
    Ok(Answer {
        answer: form.get("answer").to_owned(),
        rating,
        comment: form.get("comment").to_owned(),
    })
}

/// `POST /checks/{id}/answer`: answers (as `POST /api/v1/checks/{id}/answer`
/// does) and confirms, saying when the request was reopened; a problem is shown at
/// its field with the answers kept.
pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = check_id(&id)?;
    let body = match answer_body(&form) {
        Ok(body) => body,
        Err(errors) => {
            let page = check_page(&state, &viewer, id, form, errors).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let answered = checks::answer(&Caller::new(&state.store, &viewer.actor), id, body)
        .await
        .map_err(ApiError::from);
    match answered {
        Ok(answered) => {
            let mut page = check_page(
                &state,
                &viewer,
                id,
                FormData::default(),
                FieldErrors::default(),
            )
            .await?;
            page.outcome = Some(Outcome {
                answer: answered
                    .check
                    .answer
                    .map_or("", |answer| answer_label(answer.as_str())),
                reopened: answered.reopened,
            });
            Ok(render(StatusCode::OK, &page))
        }
        Err(error) => {
            let refusal = Refusal::of(error, "this check")?;
            // A conflict (answered meanwhile, expired) shows the check as it
            // stands; other refusals keep what was sent beside the problems.
            let (form, problem) = match refusal.status {
                StatusCode::UNPROCESSABLE_ENTITY => (form, None),
                _ => (FormData::default(), Some(refusal.message)),
            };
            let mut page = check_page(&state, &viewer, id, form, refusal.errors).await?;
            page.problem = problem;
            Ok(render(refusal.status, &page))
        }
    }
}
