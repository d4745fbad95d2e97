//! `/api/v1/services`: the service catalogue. A service is something a
//! provider department delivers to consumer departments, with targets in
//! business minutes, an intake form, and the customer segments it serves.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, explicit_null,
    with_etag,
};
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::services::{
    IntakeField, IntakeFieldInput, Priority, Targets, VolumeExpectation, parse_intake_fields,
    parse_sampling_rate,
};
use roundtable_domain::text::Label;
use roundtable_store::Change;
use roundtable_store::services::{Service, ServiceChanges, ServiceDefinition, ServiceFilter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services, create_service))
        .routes(routes!(get_service, update_service, delete_service))
}

/// First-response and fulfilment targets, in business minutes of the provider's calendar.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsBody {
    #[schema(example = 120)]
    pub first_response_minutes: i64,
    #[schema(example = 960)]
    pub fulfilment_minutes: i64,
}

/// One question of the request form.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeFieldBody {
    /// Machine name: a-z, 0-9 and _.
    #[schema(example = "lead_source")]
    pub key: String,
    #[schema(example = "Where did the lead come from?")]
    pub label: String,
    /// One of `text`, `long_text`, `number`, `date`, `boolean`, `choice`.
    #[schema(example = "choice")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// The allowed answers of a `choice` field.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// "200 qualified leads a month".
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeBody {
    #[schema(example = 200)]
    pub quantity: i64,
    /// `week`, `month` or `quarter`.
    #[schema(example = "month")]
    pub period: String,
    #[schema(example = "qualified leads")]
    pub unit: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: i64,
    pub provider_department_id: i64,
    pub consumer_department_ids: Vec<i64>,
    /// The customer segments this service ultimately serves.
    pub segment_ids: Vec<i64>,
    pub name: String,
    pub description: String,
    /// The quality criteria: what "good" looks like.
    pub definition_of_good: String,
    pub owner_person_id: Option<i64>,
    pub first_response_minutes: i64,
    pub fulfilment_minutes: i64,
    /// Targets that differ for some priorities (`low`, `normal`, `high`, `urgent`).
    pub priority_targets: BTreeMap<String, TargetsBody>,
    pub intake_fields: Vec<IntakeFieldBody>,
    pub volume: Option<VolumeBody>,
    /// Share of resolved requests whose requester is asked for a satisfaction check (0 to 1).
    pub check_sampling_rate: f64,
    /// Whether a `not_met` check answer reopens the request.
    pub reopen_on_not_met: bool,
    /// Retired services take no new requests and leave the matrix.
    pub active: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn field_body(field: IntakeField) -> IntakeFieldBody {
    IntakeFieldBody {
        key: field.key,
        label: field.label,
        kind: field.kind.as_str().to_owned(),
        required: field.required,
        choices: field.choices,
    }
}

impl From<Service> for ServiceView {
    fn from(service: Service) -> Self {
        ServiceView {
            id: service.id,
            provider_department_id: service.provider_department_id.0,
            consumer_department_ids: service
                .consumer_department_ids
                .into_iter()
                .map(|department| department.0)
                .collect(),
            segment_ids: service.segment_ids,
            name: service.name,
            description: service.description,
            definition_of_good: service.definition_of_good,
            owner_person_id: service.owner_person_id.map(|owner| owner.0),
            first_response_minutes: service.targets.first_response_minutes,
            fulfilment_minutes: service.targets.fulfilment_minutes,
            priority_targets: service
                .priority_targets
                .into_iter()
                .map(|(priority, targets)| {
                    (
                        priority.as_str().to_owned(),
                        TargetsBody {
                            first_response_minutes: targets.first_response_minutes,
                            fulfilment_minutes: targets.fulfilment_minutes,
                        },
                    )
                })
                .collect(),
            intake_fields: service.intake_fields.into_iter().map(field_body).collect(),
            volume: service.volume.map(|volume| VolumeBody {
                quantity: volume.quantity,
                period: volume.period.as_str().to_owned(),
                unit: volume.unit,
            }),
            check_sampling_rate: service.check_sampling_rate,
            reopen_on_not_met: service.reopen_on_not_met,
            active: service.active,
            version: service.version,
            created_at: service.created_at.to_string(),
            updated_at: service.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateService {
    pub provider_department_id: i64,
    pub consumer_department_ids: Vec<i64>,
    #[serde(default)]
    pub segment_ids: Vec<i64>,
    #[schema(example = "Qualified leads")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub definition_of_good: String,
    pub owner_person_id: Option<i64>,
    pub first_response_minutes: i64,
    pub fulfilment_minutes: i64,
    #[serde(default)]
    pub priority_targets: BTreeMap<String, TargetsBody>,
    #[serde(default)]
    pub intake_fields: Vec<IntakeFieldBody>,
    pub volume: Option<VolumeBody>,
    /// Defaults to 1 (every resolved request is checked).
    pub check_sampling_rate: Option<f64>,
    /// Defaults to true.
    pub reopen_on_not_met: Option<bool>,
}

/// Only the fields present change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateService {
    pub provider_department_id: Option<i64>,
    pub consumer_department_ids: Option<Vec<i64>>,
    pub segment_ids: Option<Vec<i64>>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub definition_of_good: Option<String>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub owner_person_id: Option<Option<i64>>,
    pub first_response_minutes: Option<i64>,
    pub fulfilment_minutes: Option<i64>,
    pub priority_targets: Option<BTreeMap<String, TargetsBody>>,
    pub intake_fields: Option<Vec<IntakeFieldBody>>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<VolumeBody>)]
    pub volume: Option<Option<VolumeBody>>,
    pub check_sampling_rate: Option<f64>,
    pub reopen_on_not_met: Option<bool>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Only services of this provider.
    pub provider_department_id: Option<i64>,
    /// Only services offered to this consumer.
    pub consumer_department_id: Option<i64>,
    pub active: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type ServicePage = Page<ServiceView>;

const MAX_TEXT: usize = 10_000;

fn long_text(errors: &mut ValidationErrors, field: &str, text: &str) -> String {
    if text.chars().count() > MAX_TEXT {
        errors.push(field, format!("must be at most {MAX_TEXT} characters"));
    }
    text.trim().to_owned()
}

fn parse_priority_targets(
    errors: &mut ValidationErrors,
    input: BTreeMap<String, TargetsBody>,
) -> BTreeMap<Priority, Targets> {
    let mut parsed = BTreeMap::new();
    for (priority, targets) in input {
        let field = format!("priority_targets.{priority}");
        let priority = errors.check(&field, Priority::parse(&priority));
        let targets = errors.check(
            &field,
            Targets::new(targets.first_response_minutes, targets.fulfilment_minutes),
        );
        if let (Some(priority), Some(targets)) = (priority, targets) {
            parsed.insert(priority, targets);
        }
    }
    parsed
}

fn parse_fields(errors: &mut ValidationErrors, input: Vec<IntakeFieldBody>) -> Vec<IntakeField> {
    let inputs = input
        .into_iter()
        .map(|field| IntakeFieldInput {
            key: field.key,
            label: field.label,
            kind: field.kind,
            required: field.required,
            choices: field.choices,
        })
        .collect();
    errors
        .check("intake_fields", parse_intake_fields(inputs))
        .unwrap_or_default()
}

fn parse_volume(
    errors: &mut ValidationErrors,
    input: Option<VolumeBody>,
) -> Option<VolumeExpectation> {
    input.and_then(|volume| {
        errors.check(
            "volume",
            VolumeExpectation::new(volume.quantity, &volume.period, &volume.unit),
        )
    })
}

fn parse_rate(errors: &mut ValidationErrors, rate: Option<f64>) -> Option<f64> {
    rate.and_then(|rate| errors.check("check_sampling_rate", parse_sampling_rate(rate)))
}

fn consumers(ids: Vec<i64>) -> Vec<DepartmentId> {
    ids.into_iter().map(DepartmentId).collect()
}

/// Lists services, optionally of one provider or for one consumer.
#[utoipa::path(
    get, path = "/services", tag = "services", params(ServiceQuery),
    responses((status = 200, body = ServicePage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_services(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<ServiceQuery>,
) -> Result<axum::Json<ServicePage>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let filter = ServiceFilter {
        provider_department_id: query.provider_department_id.map(DepartmentId),
        consumer_department_id: query.consumer_department_id.map(DepartmentId),
        active: query.active,
    };
    let listing = state.scoped(&actor).list_services(filter, page).await?;
    Ok(axum::Json(Page::from_listing(listing, ServiceView::from)))
}

/// Adds a service to the catalogue (the provider's leads, administrators).
#[utoipa::path(
    post, path = "/services", tag = "services", request_body = CreateService,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(
        (status = 201, body = ServiceView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_service(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateService>,
) -> Result<Response, ApiError> {
    let scoped = state.scoped(&actor);
    let provider = scoped
        .department(DepartmentId(input.provider_department_id))
        .await
        .map_err(|error| match error {
            roundtable_store::StoreError::NotFound => {
                ApiError::invalid("provider_department_id", "no such department")
            }
            other => other.into(),
        })?;
    policy::manage_service(&actor, &provider)?;
    let mut errors = ValidationErrors::new();
    let name = errors.check("name", Label::parse(&input.name));
    let description = long_text(&mut errors, "description", &input.description);
    let definition_of_good =
        long_text(&mut errors, "definition_of_good", &input.definition_of_good);
    let targets = errors.check(
        "",
        Targets::new(input.first_response_minutes, input.fulfilment_minutes),
    );
    let priority_targets = parse_priority_targets(&mut errors, input.priority_targets);
    let intake_fields = parse_fields(&mut errors, input.intake_fields);
    let volume = parse_volume(&mut errors, input.volume);
    let rate = parse_rate(&mut errors, input.check_sampling_rate).unwrap_or(1.0);
    let (Some(name), Some(targets)) = (name, targets) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let service = scoped
        .create_service(ServiceDefinition {
            provider_department_id: provider.id,
            consumer_department_ids: consumers(input.consumer_department_ids),
            segment_ids: input.segment_ids,
            name,
            description,
            definition_of_good,
            owner_person_id: input.owner_person_id.map(PersonId),
            targets,
            priority_targets,
            intake_fields,
            volume,
            check_sampling_rate: rate,
            reopen_on_not_met: input.reopen_on_not_met.unwrap_or(true),
            active: true,
        })
        .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        service.version,
        ServiceView::from(service),
    ))
}

/// Reads one service.
#[utoipa::path(
    get, path = "/services/{id}", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = ServiceView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_service(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let service = state.scoped(&actor).service(id).await?;
    Ok(with_etag(
        StatusCode::OK,
        service.version,
        ServiceView::from(service),
    ))
}

/// Changes a service (the provider's leads, administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/services/{id}", tag = "services", request_body = UpdateService,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = ServiceView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_service(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateService>,
) -> Result<Response, ApiError> {
    let scoped = state.scoped(&actor);
    let current = scoped.service(id).await?;
    policy::manage_service(
        &actor,
        &scoped.department(current.provider_department_id).await?,
    )?;
    if let Some(provider) = input.provider_department_id {
        let new_provider = scoped
            .department(DepartmentId(provider))
            .await
            .map_err(|error| match error {
                roundtable_store::StoreError::NotFound => {
                    ApiError::invalid("provider_department_id", "no such department")
                }
                other => other.into(),
            })?;
        policy::manage_service(&actor, &new_provider)?;
    }
    let mut errors = ValidationErrors::new();
    let targets = if input.first_response_minutes.is_some() || input.fulfilment_minutes.is_some() {
        errors
            .check(
                "",
                Targets::new(
                    input
                        .first_response_minutes
                        .unwrap_or(current.targets.first_response_minutes),
                    input
                        .fulfilment_minutes
                        .unwrap_or(current.targets.fulfilment_minutes),
                ),
            )
            .map_or(Change::Keep, Change::Set)
    } else {
        Change::Keep
    };
    let changes = ServiceChanges {
        provider_department_id: input.provider_department_id.map(DepartmentId).into(),
        consumer_department_ids: input.consumer_department_ids.map(consumers).into(),
        segment_ids: input.segment_ids.into(),
        name: crate::extract::parse_change(
            &mut errors,
            "name",
            input.name.as_deref(),
            Label::parse,
        ),
        description: input
            .description
            .map(|text| long_text(&mut errors, "description", &text))
            .into(),
        definition_of_good: input
            .definition_of_good
            .map(|text| long_text(&mut errors, "definition_of_good", &text))
            .into(),
        owner_person_id: input
            .owner_person_id
            .map(|owner| owner.map(PersonId))
            .into(),
        targets,
        priority_targets: input
            .priority_targets
            .map(|targets| parse_priority_targets(&mut errors, targets))
            .into(),
        intake_fields: input
            .intake_fields
            .map(|fields| parse_fields(&mut errors, fields))
            .into(),
        volume: input
            .volume
            .map(|volume| parse_volume(&mut errors, volume))
            .into(),
        check_sampling_rate: parse_rate(&mut errors, input.check_sampling_rate).into(),
        reopen_on_not_met: input.reopen_on_not_met.into(),
        active: input.active.into(),
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let service = scoped.update_service(id, changes, version).await?;
    Ok(with_etag(
        StatusCode::OK,
        service.version,
        ServiceView::from(service),
    ))
}

/// Deletes a service no agreement names (the provider's leads, administrators).
#[utoipa::path(
    delete, path = "/services/{id}", tag = "services",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_service(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    let scoped = state.scoped(&actor);
    let current = scoped.service(id).await?;
    policy::manage_service(
        &actor,
        &scoped.department(current.provider_department_id).await?,
    )?;
    scoped.delete_service(id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
