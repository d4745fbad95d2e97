//! `/api/v1/services`: the service catalogue. A service is something a
//! provider department delivers to consumer departments, with targets in
//! business minutes, an intake form, and the customer segments it serves.
//! Every handler is an adapter around `app::services`.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, explicit_null,
    with_etag,
};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::services::{self, ServiceEdit, ServiceInput, TargetsInput, VolumeInput};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::services::{IntakeField, IntakeFieldInput};
use roundtable_store::services::{Service, ServiceFilter};
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

fn targets_input(targets: TargetsBody) -> TargetsInput {
    TargetsInput {
        first_response_minutes: targets.first_response_minutes,
        fulfilment_minutes: targets.fulfilment_minutes,
    }
}

fn priority_targets_input(
    targets: BTreeMap<String, TargetsBody>,
) -> BTreeMap<String, TargetsInput> {
    targets
        .into_iter()
        .map(|(priority, targets)| (priority, targets_input(targets)))
        .collect()
}

/// An intake field as the use case takes it.
fn intake_field_input(field: IntakeFieldBody) -> IntakeFieldInput {
    IntakeFieldInput {
        key: field.key,
        label: field.label,
        kind: field.kind,
        required: field.required,
        choices: field.choices,
    }
}

fn intake_fields_input(fields: Vec<IntakeFieldBody>) -> Vec<IntakeFieldInput> {
    fields.into_iter().map(intake_field_input).collect()
}

/// A volume expectation as the use case takes it.
fn volume_input(volume: VolumeBody) -> VolumeInput {
    VolumeInput {
        quantity: volume.quantity,
        period: volume.period,
        unit: volume.unit,
    }
}

impl From<CreateService> for ServiceInput {
    fn from(input: CreateService) -> ServiceInput {
        ServiceInput {
            provider_department_id: input.provider_department_id,
            consumer_department_ids: input.consumer_department_ids,
            segment_ids: input.segment_ids,
            name: input.name,
            description: input.description,
            definition_of_good: input.definition_of_good,
            owner_person_id: input.owner_person_id,
            targets: TargetsInput {
                first_response_minutes: input.first_response_minutes,
                fulfilment_minutes: input.fulfilment_minutes,
            },
            priority_targets: priority_targets_input(input.priority_targets),
            intake_fields: intake_fields_input(input.intake_fields),
            volume: input.volume.map(volume_input),
            check_sampling_rate: input.check_sampling_rate,
            reopen_on_not_met: input.reopen_on_not_met,
        }
    }
}

impl UpdateService {
    /// The use case's input, at the version the caller read.
    pub fn edit(self, expected_version: i64) -> ServiceEdit {
        ServiceEdit {
            provider_department_id: self.provider_department_id,
            consumer_department_ids: self.consumer_department_ids,
            segment_ids: self.segment_ids,
            name: self.name,
            description: self.description,
            definition_of_good: self.definition_of_good,
            owner_person_id: self.owner_person_id,
            first_response_minutes: self.first_response_minutes,
            fulfilment_minutes: self.fulfilment_minutes,
            priority_targets: self.priority_targets.map(priority_targets_input),
            intake_fields: self.intake_fields.map(intake_fields_input),
            volume: self.volume.map(|volume| volume.map(volume_input)),
            check_sampling_rate: self.check_sampling_rate,
            reopen_on_not_met: self.reopen_on_not_met,
            active: self.active,
            expected_version,
        }
    }
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
    let listing = services::list(&Caller::new(&state.store, &actor), filter, page).await?;
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
    let service = services::create(&Caller::new(&state.store, &actor), input.into()).await?;
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
    let service = services::get(&Caller::new(&state.store, &actor), id).await?;
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
    let service =
        services::update(&Caller::new(&state.store, &actor), id, input.edit(version)).await?;
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
    services::delete(&Caller::new(&state.store, &actor), id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
