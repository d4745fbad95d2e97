//! `/api/v1/departments`: the organization's departments.

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
use roundtable_app::departments::{self as app, DepartmentEdit, DepartmentInput};
use roundtable_domain::ids::DepartmentId;
use roundtable_store::departments::Department;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_departments, create_department))
        .routes(routes!(
            get_department,
            update_department,
            delete_department
        ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    /// Unique within the organization; used in addresses and imports.
    #[schema(example = "customer-service")]
    pub slug: String,
    #[schema(example = "Customer Service")]
    pub name: String,
    pub parent_id: Option<i64>,
    /// The business calendar its service levels run on; the organization's default when absent.
    pub calendar_id: Option<i64>,
    /// Whether it serves external customers directly.
    pub customer_facing: bool,
    /// The people who lead it.
    pub lead_ids: Vec<i64>,
    /// Send as `If-Match` when updating.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Department> for DepartmentView {
    fn from(department: Department) -> Self {
        DepartmentView {
            id: department.id.0,
            slug: department.slug,
            name: department.name,
            parent_id: department.parent_id.map(|parent| parent.0),
            calendar_id: department.calendar_id.map(|calendar| calendar.0),
            customer_facing: department.customer_facing,
            lead_ids: department.lead_ids.into_iter().map(|lead| lead.0).collect(),
            version: department.version,
            created_at: department.created_at.to_string(),
            updated_at: department.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartment {
    #[schema(example = "Customer Service")]
    pub name: String,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    pub parent_id: Option<i64>,
    pub calendar_id: Option<i64>,
    #[serde(default)]
    pub customer_facing: bool,
    #[serde(default)]
    pub lead_ids: Vec<i64>,
}

/// Only the fields present change; `null` clears an optional reference.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDepartment {
    pub name: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub calendar_id: Option<Option<i64>>,
    pub customer_facing: Option<bool>,
    pub lead_ids: Option<Vec<i64>>,
}

pub type DepartmentPage = Page<DepartmentView>;

/// Lists the departments.
#[utoipa::path(
    get, path = "/departments", tag = "departments", params(PageQuery),
    responses((status = 200, body = DepartmentPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_departments(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<axum::Json<DepartmentPage>, ApiError> {
    let listing = app::list(&Caller::new(&state.store, &actor), query.to_page()?).await?;
    Ok(axum::Json(Page::from_listing(
        listing,
        DepartmentView::from,
    )))
}

/// Creates a department (administrators).
#[utoipa::path(
    post, path = "/departments", tag = "departments", request_body = CreateDepartment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(
        (status = 201, body = DepartmentView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_department(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateDepartment>,
) -> Result<Response, ApiError> {
    let department = app::create(
        &Caller::new(&state.store, &actor),
        DepartmentInput {
            name: input.name,
            slug: input.slug,
            parent_id: input.parent_id,
            calendar_id: input.calendar_id,
            customer_facing: input.customer_facing,
            lead_ids: input.lead_ids,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        department.version,
        DepartmentView::from(department),
    ))
}

/// Reads one department.
#[utoipa::path(
    get, path = "/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    responses((status = 200, body = DepartmentView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_department(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let department = app::get(&Caller::new(&state.store, &actor), DepartmentId(id)).await?;
    Ok(with_etag(
        StatusCode::OK,
        department.version,
        DepartmentView::from(department),
    ))
}

/// Changes a department (administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/departments/{id}", tag = "departments", request_body = UpdateDepartment,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = DepartmentView, headers(("ETag" = String))),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_department(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateDepartment>,
) -> Result<Response, ApiError> {
    let department = app::update(
        &Caller::new(&state.store, &actor),
        DepartmentId(id),
        DepartmentEdit {
            name: input.name,
            slug: input.slug,
            parent_id: input.parent_id,
            calendar_id: input.calendar_id,
            customer_facing: input.customer_facing,
            lead_ids: input.lead_ids,
        },
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        department.version,
        DepartmentView::from(department),
    ))
}

/// Deletes a department nobody belongs to (administrators).
#[utoipa::path(
    delete, path = "/departments/{id}", tag = "departments",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_department(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    app::delete(
        &Caller::new(&state.store, &actor),
        DepartmentId(id),
        version,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
