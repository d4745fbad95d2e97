//! Adding and changing services in the browser: what a provider delivers,
//! for whom, what good looks like, its targets in business minutes, its
//! intake form, segments and volume. The form is read into the use cases'
//! input and sent through `app::services::create` and `::update`, as
//! `POST /api/v1/services` and `PATCH /api/v1/services/{id}` are, so who may
//! manage a service and every rule on targets and intake fields are decided
//! in one place.

use super::directory::Directory;
use super::{
    ActionError, FormData, Layout, PageId, SignedForm, Viewer, WebError, after_action, at_version,
    errors_at_rows, first_view,
};
use crate::AppState;
use crate::api::services::ServiceView;
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use roundtable_app::services::{self, ServiceEdit, ServiceInput, TargetsInput, VolumeInput};
use roundtable_app::{AppError, Caller};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_domain::services::IntakeFieldInput;
use roundtable_store::auth::Actor;
use roundtable_store::{PageRequest, Scoped};
use std::collections::BTreeMap;

/// The pages that add and change services.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services/new", get(show_new_service).post(add_service))
        .route(
            "/services/{id}/edit",
            get(show_service_editor).post(change_service),
        )
}

/// Blank intake rows offered below the defined ones (no script adds rows).
const SPARE_INTAKE_ROWS: usize = 2;
/// The most intake rows a form is read for.
const MAX_INTAKE_ROWS: usize = 60;

/// The kinds of intake field, as the select offers them.
pub const FIELD_KINDS: [(&str, &str); 6] = [
    ("text", "Short text"),
    ("long_text", "Long text"),
    ("number", "Number"),
    ("date", "Date"),
    ("boolean", "Yes or no"),
    ("choice", "One of a list"),
];

pub const VOLUME_PERIODS: [(&str, &str); 3] = [
    ("week", "a week"),
    ("month", "a month"),
    ("quarter", "a quarter"),
];

/// The departments whose services the actor may manage: all for an
/// administrator, else those they lead (as `policy::manage_service` decides).
fn managed_departments(actor: &Actor, directory: &Directory) -> Vec<(i64, String)> {
    directory
        .departments
        .iter()
        .filter(|department| policy::manage_service(actor, department).is_ok())
        .map(|department| (department.id.0, department.name.clone()))
        .collect()
}

/// Whether the actor may add services at all (the catalogue's link).
pub(crate) fn adds_services(actor: &Actor, directory: &Directory) -> bool {
    actor.role == Role::Admin || !managed_departments(actor, directory).is_empty()
}

/// One row of the intake fieldset.
#[derive(Debug, Clone)]
pub struct IntakeRow {
    pub index: usize,
    pub key: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub choices: String,
}

#[derive(Debug, Template)]
#[template(path = "service_form.html")]
pub struct ServiceFormPage {
    layout: Layout,
    /// `None` when adding.
    service_id: Option<i64>,
    heading: String,
    providers: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    segments: Vec<(i64, String)>,
    people: Vec<(i64, String)>,
    intake: Vec<IntakeRow>,
    kinds: [(&'static str, &'static str); 6],
    periods: [(&'static str, &'static str); 3],
    form: FormData,
    failed: ActionError,
}

impl ServiceFormPage {
    pub fn chosen(&self, field: &str, id: &i64) -> bool {
        let id = id.to_string();
        self.form
            .0
            .iter()
            .any(|(name, value)| name == field && *value == id)
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.failed.errors.get(field)
    }

    /// `aria-describedby` and `aria-invalid` for a control with an error.
    pub fn invalid(&self, field: &str) -> bool {
        self.error(field).is_some()
    }
}

fn intake_rows(form: &FormData) -> Vec<IntakeRow> {
    let mut rows: Vec<IntakeRow> = (0..MAX_INTAKE_ROWS)
        .filter_map(|index| {
            let get = |part: &str| form.get(&format!("field-{index}.{part}")).to_owned();
            let row = IntakeRow {
                index,
                key: get("key"),
                label: get("label"),
                kind: get("kind"),
                required: form.has(&format!("field-{index}.required")),
                choices: get("choices"),
            };
            (!row.key.trim().is_empty()
                || !row.label.trim().is_empty()
                || !row.choices.trim().is_empty())
            .then_some(row)
        })
        .collect();
    let next = rows.iter().map(|row| row.index + 1).max().unwrap_or(0);
    rows.extend((next..next + SPARE_INTAKE_ROWS).map(|index| IntakeRow {
        index,
        key: String::new(),
        label: String::new(),
        kind: "text".to_owned(),
        required: false,
        choices: String::new(),
    }));
    rows
}

async fn segments(scoped: &Scoped<'_>) -> Result<Vec<(i64, String)>, WebError> {
    let mut segments = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = scoped.list_segments(page).await?;
        segments.extend(
            listing
                .items
                .into_iter()
                .map(|segment| (segment.id, segment.name)),
        );
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    segments.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(segments)
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    service_id: Option<i64>,
    form: FormData,
    failed: ActionError,
) -> Result<ServiceFormPage, WebError> {
    let actor = &viewer.actor;
    let scoped = state.scoped(actor);
    let directory = Directory::load(&scoped).await?;
    let providers = managed_departments(actor, &directory);
    if providers.is_empty() {
        return Err(WebError::Forbidden(
            "Only a department's leads (and administrators) add and change its services."
                .to_owned(),
        ));
    }
    let heading = match service_id {
        Some(_) => format!("Change the service {}", form.get("name")),
        None => "Add a service".to_owned(),
    };
    Ok(ServiceFormPage {
        layout: Layout::new(viewer, heading.clone(), "services"),
        service_id,
        heading,
        providers,
        departments: directory.department_choices(),
        segments: segments(&scoped).await?,
        people: directory
            .people_by_name()
            .into_iter()
            .map(|person| (person.id.0, person.name.clone()))
            .collect(),
        intake: intake_rows(&form),
        kinds: FIELD_KINDS,
        periods: VOLUME_PERIODS,
        form,
        failed,
    })
}

/// `GET /services/new`: the form to add a service (leads, administrators).
pub async fn show_new_service(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let mut form = FormData::default();
    // A lead's own department first, the usual targets of one working day.
    if let Some(department) = viewer.actor.department_id {
        form.0.push((
            "provider_department_id".to_owned(),
            department.0.to_string(),
        ));
    }
    form.0
        .push(("reopen_on_not_met".to_owned(), "true".to_owned()));
    first_view(form, async |form, failed| {
        form_page(&state, &viewer, None, form, failed).await
    })
    .await
}

/// The form as the API's service fields, or the problems by field; `rows`
/// are the form rows the intake fields came from, in order.
struct ServiceFields {
    provider_department_id: i64,
    consumer_department_ids: Vec<i64>,
    segment_ids: Vec<i64>,
    name: String,
    description: String,
    definition_of_good: String,
    owner_person_id: Option<i64>,
    first_response_minutes: i64,
    fulfilment_minutes: i64,
    intake_fields: Vec<IntakeFieldInput>,
    rows: Vec<usize>,
    volume: Option<VolumeInput>,
    check_sampling_rate: Option<f64>,
    reopen_on_not_met: bool,
}

fn ids(form: &FormData, field: &str) -> Vec<i64> {
    form.0
        .iter()
        .filter(|(name, _)| name == field)
        .filter_map(|(_, value)| value.trim().parse::<i64>().ok())
        .collect()
}

fn whole_number(form: &FormData, field: &str, errors: &mut ValidationErrors) -> i64 {
    match form.get(field).trim().parse::<i64>() {
        Ok(number) => number,
        Err(_) => {
            errors.push(field, "enter a whole number of business minutes");
            0
        }
    }
}

fn read_fields(form: &FormData) -> Result<ServiceFields, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let provider_department_id = match form.get("provider_department_id").trim().parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            errors.push(
                "provider_department_id",
                "choose the department that delivers it",
            );
            0
        }
    };
    let first_response_minutes = whole_number(form, "first_response_minutes", &mut errors);
    let fulfilment_minutes = whole_number(form, "fulfilment_minutes", &mut errors);
    let rows: Vec<IntakeRow> = intake_rows(form)
        .into_iter()
        .filter(|row| !row.key.trim().is_empty() || !row.label.trim().is_empty())
        .collect();
    let intake_fields = rows
        .iter()
        .map(|row| IntakeFieldInput {
            key: row.key.trim().to_owned(),
            label: row.label.clone(),
            kind: row.kind.clone(),
            required: row.required,
            choices: row
                .choices
                .split(',')
                .map(|choice| choice.trim().to_owned())
                .filter(|choice| !choice.is_empty())
                .collect(),
        })
        .collect();
    let quantity = form.get("volume_quantity").trim();
    let unit = form.get("volume_unit").trim();
    let volume = if quantity.is_empty() && unit.is_empty() {
        None
    } else {
        match quantity.parse::<i64>() {
            Ok(quantity) => Some(VolumeInput {
                quantity,
                period: form.get("volume_period").to_owned(),
                unit: unit.to_owned(),
            }),
            Err(_) => {
                errors.push("volume.quantity", "enter a whole number, such as 200");
                None
            }
        }
    };
    let rate = form.get("check_sampling_rate").trim();
    let check_sampling_rate = if rate.is_empty() {
        None
    } else {
        match rate.parse::<f64>() {
            Ok(rate) => Some(rate),
            Err(_) => {
                errors.push(
                    "check_sampling_rate",
                    "enter a share between 0 and 1, such as 0.5",
                );
                None
            }
        }
    };
    let owner_person_id = form.get("owner_person_id").trim().parse::<i64>().ok();
    errors.finish(|| ServiceFields {
        provider_department_id,
        consumer_department_ids: ids(form, "consumer_department_ids"),
        segment_ids: ids(form, "segment_ids"),
        name: form.get("name").to_owned(),
        description: form.get("description").to_owned(),
        definition_of_good: form.get("definition_of_good").to_owned(),
        owner_person_id,
        first_response_minutes,
        fulfilment_minutes,
        intake_fields,
        rows: rows.iter().map(|row| row.index).collect(),
        volume,
        check_sampling_rate,
        reopen_on_not_met: form.has("reopen_on_not_met"),
    })
}

/// Problems the use case names by intake field position, moved to the form's rows.
fn at_rows(error: AppError, rows: &[usize]) -> ApiError {
    match error {
        AppError::Invalid(errors) => {
            ApiError::Validation(errors_at_rows(errors, "intake_fields", "field", rows))
        }
        other => other.into(),
    }
}

/// `POST /services/new`: adds the service, or the form again with each
/// problem at its field and every value kept.
pub async fn add_service(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = match read_fields(&form) {
        Err(errors) => Err(ApiError::Validation(errors)),
        Ok(fields) => {
            let rows = fields.rows.clone();
            services::create(
                &Caller::new(&state.store, &viewer.actor),
                ServiceInput {
                    provider_department_id: fields.provider_department_id,
                    consumer_department_ids: fields.consumer_department_ids,
                    segment_ids: fields.segment_ids,
                    name: fields.name,
                    description: fields.description,
                    definition_of_good: fields.definition_of_good,
                    owner_person_id: fields.owner_person_id,
                    targets: TargetsInput {
                        first_response_minutes: fields.first_response_minutes,
                        fulfilment_minutes: fields.fulfilment_minutes,
                    },
                    priority_targets: BTreeMap::new(),
                    intake_fields: fields.intake_fields,
                    volume: fields.volume,
                    check_sampling_rate: fields.check_sampling_rate,
                    reopen_on_not_met: Some(fields.reopen_on_not_met),
                },
            )
            .await
            .map_err(|error| at_rows(error, &rows))
        }
    };
    after_service_form(&state, &viewer, None, form, outcome).await
}

/// After the service form (a new service, or service `id` changed): to the
/// provider's services in the catalogue, or the form again with each problem
/// at its field or row.
async fn after_service_form<T>(
    state: &AppState,
    viewer: &Viewer,
    id: Option<i64>,
    form: FormData,
    outcome: Result<T, ApiError>,
) -> Result<Response, WebError> {
    let provider = form.get("provider_department_id").to_owned();
    after_action(
        outcome,
        "service",
        "this service",
        &format!("/services#provider-{provider}"),
        async |failed| form_page(state, viewer, id, form, failed).await,
    )
    .await
}

/// A stored service as the form's fields.
fn form_of(service: &ServiceView) -> FormData {
    let mut pairs: Vec<(String, String)> = vec![
        (
            "provider_department_id".to_owned(),
            service.provider_department_id.to_string(),
        ),
        ("name".to_owned(), service.name.clone()),
        ("description".to_owned(), service.description.clone()),
        (
            "definition_of_good".to_owned(),
            service.definition_of_good.clone(),
        ),
        (
            "first_response_minutes".to_owned(),
            service.first_response_minutes.to_string(),
        ),
        (
            "fulfilment_minutes".to_owned(),
            service.fulfilment_minutes.to_string(),
        ),
        (
            "check_sampling_rate".to_owned(),
            service.check_sampling_rate.to_string(),
        ),
        ("version".to_owned(), service.version.to_string()),
    ];
    let mut flag = |name: &str, on: bool| {
        if on {
            pairs.push((name.to_owned(), "true".to_owned()));
        }
    };
    flag("reopen_on_not_met", service.reopen_on_not_met);
    flag("active", service.active);
    if let Some(owner) = service.owner_person_id {
        pairs.push(("owner_person_id".to_owned(), owner.to_string()));
    }
    if let Some(volume) = &service.volume {
        pairs.push(("volume_quantity".to_owned(), volume.quantity.to_string()));
        pairs.push(("volume_period".to_owned(), volume.period.clone()));
        pairs.push(("volume_unit".to_owned(), volume.unit.clone()));
    }
    for consumer in &service.consumer_department_ids {
        pairs.push(("consumer_department_ids".to_owned(), consumer.to_string()));
    }
    for segment in &service.segment_ids {
        pairs.push(("segment_ids".to_owned(), segment.to_string()));
    }
    for (index, field) in service.intake_fields.iter().enumerate() {
        let name = |part: &str| format!("field-{index}.{part}");
        pairs.push((name("key"), field.key.clone()));
        pairs.push((name("label"), field.label.clone()));
        pairs.push((name("kind"), field.kind.clone()));
        pairs.push((name("choices"), field.choices.join(", ")));
        if field.required {
            pairs.push((name("required"), "true".to_owned()));
        }
    }
    FormData(pairs)
}

/// The service, if the viewer may change it (else not allowed, as the API says).
async fn editable(state: &AppState, actor: &Actor, id: i64) -> Result<ServiceView, WebError> {
    let service = services::editable(&Caller::new(&state.store, actor), id).await?;
    Ok(ServiceView::from(service))
}

/// `GET /services/{id}/edit`: the service's form, filled in (its provider's
/// leads and administrators only).
pub async fn show_service_editor(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    let service = editable(&state, &viewer.actor, id).await?;
    first_view(form_of(&service), async |form, failed| {
        form_page(&state, &viewer, Some(id), form, failed).await
    })
    .await
}

/// `POST /services/{id}/edit`: changes the service at the version the form
/// was read at.
pub async fn change_service(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = match read_fields(&form) {
        Err(errors) => Err(ApiError::Validation(errors)),
        Ok(fields) => {
            at_version(&form, async |version| {
                let rows = fields.rows.clone();
                services::update(
                    &Caller::new(&state.store, &viewer.actor),
                    id,
                    ServiceEdit {
                        provider_department_id: Some(fields.provider_department_id),
                        consumer_department_ids: Some(fields.consumer_department_ids),
                        segment_ids: Some(fields.segment_ids),
                        name: Some(fields.name),
                        description: Some(fields.description),
                        definition_of_good: Some(fields.definition_of_good),
                        owner_person_id: Some(fields.owner_person_id),
                        first_response_minutes: Some(fields.first_response_minutes),
                        fulfilment_minutes: Some(fields.fulfilment_minutes),
                        priority_targets: None,
                        intake_fields: Some(fields.intake_fields),
                        volume: Some(fields.volume),
                        check_sampling_rate: fields.check_sampling_rate,
                        reopen_on_not_met: Some(fields.reopen_on_not_met),
                        active: Some(form.has("active")),
                        expected_version: version,
                    },
                )
                .await
                .map_err(|error| at_rows(error, &rows))
            })
            .await
        }
    };
    after_service_form(&state, &viewer, Some(id), form, outcome).await
}

/// Whether the viewer may change the services of a provider (the catalogue's links).
pub(crate) fn manages(actor: &Actor, directory: &Directory, provider: DepartmentId) -> bool {
    directory
        .department(provider.0)
        .is_some_and(|department| policy::manage_service(actor, department).is_ok())
}
