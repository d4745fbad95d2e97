//! The service catalogue (what each department offers, grouped by provider)
//! and the request form built from a service's intake fields. A request is
//! checked by the same parsing as `POST /api/v1/requests` and created by the
//! same store call.

use super::directory::Directory;
use super::format::business_duration;
use super::{
    ActionError, FieldErrors, FormData, Layout, PageId, SignedForm, Viewer, WebError, first_view,
    render, see_other,
};
use crate::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::requests::{self, NewRequestInput};
use roundtable_app::{AppError, Caller};
use roundtable_domain::requests::RawValue;
use roundtable_domain::services::FieldKind;
use roundtable_store::services::{Service, ServiceFilter};
use roundtable_store::{Scoped, every_page};

/// A service as the catalogue lists it.
#[derive(Debug, Clone)]
pub struct ServiceCard {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub definition_of_good: String,
    pub first_response: String,
    pub fulfilment: String,
    pub consumers: String,
}

impl ServiceCard {
    pub fn new(service: &Service, directory: &Directory) -> Self {
        ServiceCard {
            id: service.id,
            name: service.name.clone(),
            description: service.description.clone(),
            definition_of_good: service.definition_of_good.clone(),
            first_response: business_duration(service.targets.first_response_minutes),
            fulfilment: business_duration(service.targets.fulfilment_minutes),
            consumers: service
                .consumer_department_ids
                .iter()
                .map(|department| directory.department_name(department.0))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Debug)]
pub struct ProviderGroup {
    pub id: i64,
    pub name: String,
    /// The viewer may change this provider's services.
    pub can_manage: bool,
    pub services: Vec<ServiceCard>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "catalogue.html")]
pub struct CataloguePage {
    layout: Layout,
    groups: Vec<ProviderGroup>,
    /// The search as typed, kept in its box.
    query: String,
    /// The viewer may add services (leads and administrators).
    can_add: bool,
}

#[derive(Debug, serde::Deserialize)]
pub struct CatalogueQuery {
    q: Option<String>,
}

/// Whether a service matches every word of a search (name, description,
/// provider, definition of good), ignoring case.
fn matches(service: &Service, provider: &str, query: &str) -> bool {
    let haystack = format!(
        "{} {} {} {}",
        service.name, service.description, service.definition_of_good, provider
    )
    .to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| haystack.contains(word))
}

pub(crate) async fn active_services(scoped: &Scoped<'_>) -> Result<Vec<Service>, WebError> {
    let filter = ServiceFilter {
        active: Some(true),
        ..ServiceFilter::default()
    };
    let mut services = every_page(|page| scoped.list_services(filter, page)).await?;
    services.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(services)
}

/// `GET /services`: every active service, grouped by the department that provides it.
pub async fn show_catalogue(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<CatalogueQuery>,
) -> Result<CataloguePage, WebError> {
    let query = search.q.unwrap_or_default();
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let services = active_services(&scoped).await?;
    let groups = directory
        .departments
        .iter()
        .map(|department| ProviderGroup {
            id: department.id.0,
            name: department.name.clone(),
            can_manage: super::service_admin::manages(&viewer.actor, &directory, department.id),
            services: services
                .iter()
                .filter(|service| service.provider_department_id == department.id)
                .filter(|service| matches(service, &department.name, &query))
                .map(|service| ServiceCard::new(service, &directory))
                .collect(),
        })
        .filter(|group| !group.services.is_empty())
        .collect();
    Ok(CataloguePage {
        layout: Layout::new(&viewer, "Service catalogue", "services"),
        groups,
        query,
        can_add: super::service_admin::adds_services(&viewer.actor, &directory),
    })
}

/// One intake question as the form shows it.
#[derive(Debug, Clone)]
pub struct IntakeInput {
    /// The form field's name (`intake.KEY`) and the element's id.
    pub name: String,
    pub id: String,
    pub label: String,
    /// `text`, `long_text`, `number`, `date`, `boolean` or `choice`.
    pub kind: &'static str,
    pub required: bool,
    pub choices: Vec<String>,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "request_form.html")]
pub struct RequestFormPage {
    layout: Layout,
    service: ServiceCard,
    provider: String,
    intake: Vec<IntakeInput>,
    /// The customer segments the service serves, as (id, name).
    segments: Vec<(String, String)>,
    form: FormData,
    errors: FieldErrors,
}

impl RequestFormPage {
    pub fn selected(&self, field: &str, value: &str) -> bool {
        self.form.get(field) == value
    }
}

fn intake_inputs(service: &Service, form: &FormData, errors: &FieldErrors) -> Vec<IntakeInput> {
    service
        .intake_fields
        .iter()
        .map(|field| {
            let name = format!("intake.{}", field.key);
            IntakeInput {
                id: format!("intake-{}", field.key),
                label: field.label.clone(),
                kind: field.kind.as_str(),
                required: field.required,
                choices: field.choices.clone(),
                value: form.get(&name).to_owned(),
                error: errors
                    .get(&format!("intake_values.{}", field.key))
                    .map(str::to_owned),
                name,
            }
        })
        .collect()
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    service_id: i64,
    form: FormData,
    failed: ActionError,
) -> Result<RequestFormPage, WebError> {
    let scoped = state.scoped(&viewer.actor);
    let service = scoped.service(service_id).await?;
    if !service.active {
        return Err(WebError::NotFound);
    }
    let directory = Directory::load(&scoped).await?;
    let mut segments = Vec::new();
    for segment in &service.segment_ids {
        let segment = scoped.segment(*segment).await?;
        segments.push((segment.id.to_string(), segment.name));
    }
    Ok(RequestFormPage {
        segments,
        layout: Layout::new(viewer, format!("Request: {}", service.name), "services"),
        provider: directory.department_name(service.provider_department_id.0),
        intake: intake_inputs(&service, &form, &failed.errors),
        service: ServiceCard::new(&service, &directory),
        form,
        errors: failed.errors,
    })
}

/// `GET /services/{id}/request`: the request form of a service.
pub async fn show_request_form(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        form_page(&state, &viewer, id, form, failed).await
    })
    .await
}

/// The intake answers of a form, typed as the API's JSON gives them, so the
/// domain checks them exactly as it checks the API's.
fn intake_values(service: &Service, form: &FormData) -> Vec<(String, RawValue)> {
    let mut values = Vec::new();
    for field in &service.intake_fields {
        let name = format!("intake.{}", field.key);
        let text = form.get(&name).trim();
        let value = match field.kind {
            FieldKind::Boolean => RawValue::Bool(form.has(&name)),
            _ if text.is_empty() => continue,
            FieldKind::Number => text
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite())
                .map(RawValue::Number)
                .unwrap_or_else(|| RawValue::Text(text.to_owned())),
            _ => RawValue::Text(form.get(&name).to_owned()),
        };
        values.push((field.key.clone(), value));
    }
    values
}

/// `POST /services/{id}/request`: raises the request, or shows the form again
/// with each problem next to its field and the answers kept.
pub async fn raise_request(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let scoped = state.scoped(&viewer.actor);
    let service = scoped.service(id).await?;
    let input = NewRequestInput {
        service_id: Some(id),
        provider_department_id: None,
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        intake_values: intake_values(&service, &form),
        priority: form.optional("priority"),
        external_impact: form.optional("external_impact"),
        external_reference: form.optional("external_reference"),
        // A segment the service does not serve is refused at the field by
        // the same rule as the API's (`app::services::request_segment`).
        segment_id: form.get("segment_id").trim().parse::<i64>().ok(),
    };
    match requests::raise(&Caller::new(&state.store, &viewer.actor), input).await {
        Ok(request) => Ok(see_other(&format!("/requests/{}", request.id))),
        Err(AppError::Invalid(errors)) => {
            let page = form_page(&state, &viewer, id, form, ActionError::at_fields(errors)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Template)]
#[template(path = "adhoc_request.html")]
pub struct AdHocRequestPage {
    layout: Layout,
    department_id: i64,
    department: String,
    form: FormData,
    errors: FieldErrors,
}

impl AdHocRequestPage {
    pub fn selected(&self, field: &str, value: &str) -> bool {
        self.form.get(field) == value
    }
}

async fn adhoc_page(
    state: &AppState,
    viewer: &Viewer,
    department_id: i64,
    form: FormData,
    failed: ActionError,
) -> Result<AdHocRequestPage, WebError> {
    let scoped = state.scoped(&viewer.actor);
    let department = scoped
        .department(roundtable_domain::ids::DepartmentId(department_id))
        .await?;
    Ok(AdHocRequestPage {
        layout: Layout::new(
            viewer,
            format!("Request to {}", department.name),
            "services",
        ),
        department_id,
        department: department.name,
        form,
        errors: failed.errors,
    })
}

/// `GET /departments/{id}/request`: a request to a department outside its
/// catalogue (ad hoc), measured on the department's calendar.
pub async fn show_adhoc_form(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        adhoc_page(&state, &viewer, id, form, failed).await
    })
    .await
}

/// `POST /departments/{id}/request`: raises the ad hoc request through the
/// API's own parsing, or shows the form again with the problems at their fields.
pub async fn raise_adhoc_request(
    State(state): State<AppState>,
    PageId(department_id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let input = NewRequestInput {
        service_id: None,
        provider_department_id: Some(department_id),
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        priority: form.optional("priority"),
        external_impact: form.optional("external_impact"),
        external_reference: form.optional("external_reference"),
        ..NewRequestInput::default()
    };
    match requests::raise(&Caller::new(&state.store, &viewer.actor), input).await {
        Ok(request) => Ok(see_other(&format!("/requests/{}", request.id))),
        Err(AppError::Invalid(errors)) => {
            let page = adhoc_page(
                &state,
                &viewer,
                department_id,
                form,
                ActionError::at_fields(errors),
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}
