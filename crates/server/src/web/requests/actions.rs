//! The request page's forms: each parses what the browser sent into a use
//! case's input, calls it, and goes back to the page, or shows the page
//! again with the problem at the form that was refused.

use super::{CREDIT_ROWS, PageId, record_id, request_page};
use crate::AppState;
use crate::problem::ApiError;
use crate::web::{FormData, SignedForm, Viewer, WebError, at_version};
use axum::extract::{Path, State};
use axum::response::Response;
use jiff::Timestamp;
use roundtable_app::requests::workflow::{self, InstantInput, Move};
use roundtable_app::requests::{self, NewRequestInput, RequestUpdate, commitments};
use roundtable_app::{AppError, Caller, credits};
use roundtable_domain::ids::{DepartmentId, PersonId};

/// After an action: back to the request page, or the page again with the
/// problem shown at the action's form.
async fn after_action<T, E: Into<ApiError>>(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    action: &'static str,
    form: FormData,
    outcome: Result<T, E>,
) -> Result<Response, WebError> {
    crate::web::after_action(
        outcome,
        action,
        "this request",
        &format!("/requests/{id}"),
        async |failed| request_page(state, viewer, id, form, failed).await,
    )
    .await
}

/// A `datetime-local` value (or a date alone, meaning the end of a working
/// day at 17:00), read in the reader's time zone.
pub(crate) fn reader_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let civil = if text.contains('T') {
        text.parse::<jiff::civil::DateTime>().ok()?
    } else {
        text.parse::<jiff::civil::Date>().ok()?.at(17, 0, 0, 0)
    };
    civil
        .to_zoned(crate::web::format::reader_zone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// A `datetime-local` value, read in the reader's time zone, as the RFC 3339
/// instant the API takes.
pub(crate) fn reader_instant(text: &str) -> Option<String> {
    reader_timestamp(text).map(|instant| instant.to_string())
}

/// A form's date and time field, or the message for it.
fn instant_field(form: &FormData, field: &str) -> InstantInput {
    reader_timestamp(form.get(field)).ok_or_else(|| "enter a date and time".to_owned())
}

/// `POST /requests/{id}/transition`: acknowledge, start, wait, resume, resolve, reopen, close, cancel.
pub async fn move_request(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let version = form.get("version").parse::<i64>().ok();
    let resolving = form.get("to") == "resolved";
    let step = Move {
        to: form.get("to").to_owned(),
        note: form.get("note").to_owned(),
        input_quality: form.optional("input_quality").filter(|_| resolving),
        input_quality_note: form.optional("input_quality_note").filter(|_| resolving),
    };
    let caller = Caller::new(&state.store, &viewer.actor);
    let outcome = workflow::transition(&caller, id, version, step).await;
    let action = if resolving { "resolve" } else { "transition" };
    after_action(&state, &viewer, id, action, form, outcome).await
}

/// `POST /requests/{id}/assignment`: the viewer takes the request on.
pub async fn take_request(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let take = RequestUpdate::take(viewer.actor.person_id);
    let outcome = at_version(&form, async |version| {
        requests::update(&caller, id, version, take).await
    })
    .await;
    after_action(&state, &viewer, id, "take", form, outcome).await
}

/// `POST /requests/{id}/comments`.
pub async fn comment_on_request(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let outcome = workflow::comment(&caller, id, form.get("body"), form.has("internal")).await;
    after_action(&state, &viewer, id, "comment", form, outcome).await
}

/// `POST /requests/{id}/deferral`: an external customer comes first.
pub async fn defer_request(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let new_eta = instant_field(&form, "new_eta");
    let outcome = workflow::defer(&caller, id, form.get("reason"), new_eta).await;
    after_action(&state, &viewer, id, "defer", form, outcome).await
}

/// `POST /requests/{id}/commitments`: propose (or counter-propose) a delivery date.
pub async fn propose_commitment(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let due_at = instant_field(&form, "due_at");
    let outcome = commitments::propose(&caller, id, due_at, form.get("note")).await;
    after_action(&state, &viewer, id, "commit", form, outcome).await
}

/// `POST /requests/{id}/commitments/{commitment_id}/accept`.
pub async fn accept_commitment(
    State(state): State<AppState>,
    Path((id, commitment)): Path<(String, String)>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = record_id(&id)?;
    let commitment = record_id(&commitment)?;
    let caller = Caller::new(&state.store, &viewer.actor);
    let outcome = commitments::accept(&caller, id, commitment).await;
    after_action(&state, &viewer, id, "accept", form, outcome).await
}

/// `POST /requests/{id}/transfer`: hand the request to another department.
pub async fn hand_off_request(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let department = form.get("department_id").parse::<i64>().ok();
    let service = form.get("service_id").parse::<i64>().ok();
    let caller = Caller::new(&state.store, &viewer.actor);
    let outcome = match department {
        Some(department) => {
            let note = form.get("note");
            workflow::transfer(&caller, id, DepartmentId(department), service, note).await
        }
        None => Err(AppError::invalid(
            "department_id",
            "choose the department to hand over to",
        )),
    };
    after_action(&state, &viewer, id, "transfer", form, outcome).await
}

/// `POST /requests/{id}/details`: changes the priority (the provider side),
/// the external impact and its reference, at the version read; a new
/// priority brings its targets without losing elapsed time.
pub async fn change_details(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let update = RequestUpdate {
        priority: form.optional("priority"),
        external_impact: form.optional("external_impact"),
        external_reference: Some(form.optional("external_reference")),
        ..RequestUpdate::default()
    };
    let outcome = at_version(&form, async |version| {
        requests::update(&caller, id, version, update).await
    })
    .await;
    after_action(&state, &viewer, id, "details", form, outcome).await
}

/// `POST /requests/{id}/sub-requests`: the provider splits off a linked
/// request to another department (or one of its services); each department's
/// time is measured on its own clock.
pub async fn split_request(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let service_id = form.get("service_id").trim().parse::<i64>().ok();
    let department_id = form.get("department_id").trim().parse::<i64>().ok();
    let caller = Caller::new(&state.store, &viewer.actor);
    let outcome = if service_id.is_none() && department_id.is_none() {
        Err(AppError::invalid(
            "department_id",
            "choose the department (or a service) to ask",
        ))
    } else {
        let input = NewRequestInput {
            service_id,
            provider_department_id: department_id.filter(|_| service_id.is_none()),
            title: form.get("title").to_owned(),
            description: form.get("description").to_owned(),
            ..NewRequestInput::default()
        };
        workflow::split(&caller, id, input).await
    };
    after_action(&state, &viewer, id, "split", form, outcome).await
}

/// `POST /requests/{id}/credits`: credit the people chosen in the form's
/// rows (blank rows are skipped); a refused person shows at their row.
pub async fn credit_contributors(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let mut people = Vec::new();
    let mut rows = Vec::new();
    let mut errors = roundtable_domain::ValidationErrors::new();
    for row in CREDIT_ROWS {
        let field = format!("person-{row}");
        let Some(value) = form.optional(&field) else {
            continue;
        };
        match value.parse::<i64>() {
            Ok(person) => {
                people.push(person);
                rows.push(row);
            }
            Err(_) => errors.push(field, "choose a person from the list"),
        }
    }
    let outcome = if !errors.is_empty() {
        Err(AppError::Invalid(errors))
    } else {
        let caller = Caller::new(&state.store, &viewer.actor);
        credits::credit(&caller, id, &people, form.get("note"))
            .await
            .map_err(|error| match error {
                AppError::Invalid(errors) => AppError::Invalid(crate::web::errors_at_rows(
                    errors, "people", "person", &rows,
                )),
                other => other,
            })
    };
    after_action(&state, &viewer, id, "credit", form, outcome).await
}

/// `POST /requests/{id}/credits/{person_id}/remove`: the giver takes a credit back.
pub async fn remove_credit(
    State(state): State<AppState>,
    Path((id, person)): Path<(String, String)>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = record_id(&id)?;
    let person = record_id(&person)?;
    let caller = Caller::new(&state.store, &viewer.actor);
    let outcome = credits::remove(&caller, id, PersonId(person)).await;
    after_action(&state, &viewer, id, "uncredit", form, outcome).await
}
