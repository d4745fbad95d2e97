//! `/api/v1/segments`: customer segments, the external customer at the centre.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, with_etag,
};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::segments::{self as app, SegmentEdit, SegmentInput};
use roundtable_store::segments::Segment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_segments, create_segment))
        .routes(routes!(get_segment, update_segment, delete_segment))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    pub id: i64,
    #[schema(example = "Mid-market retailers")]
    pub name: String,
    /// What this kind of customer needs.
    pub needs: String,
    /// Criteria, e.g. what a qualified lead from this segment looks like.
    pub criteria: Vec<String>,
    /// Send as `If-Match` when updating.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Segment> for SegmentView {
    fn from(segment: Segment) -> Self {
        SegmentView {
            id: segment.id,
            name: segment.name,
            needs: segment.needs,
            criteria: segment.criteria,
            version: segment.version,
            created_at: segment.created_at.to_string(),
            updated_at: segment.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSegment {
    #[schema(example = "Mid-market retailers")]
    pub name: String,
    /// What this kind of customer needs; several lines, at most 4000 characters.
    #[serde(default)]
    pub needs: String,
    /// Single-line criteria, at most 50.
    #[serde(default)]
    pub criteria: Vec<String>,
}

/// Only the fields present change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSegment {
    pub name: Option<String>,
    pub needs: Option<String>,
    pub criteria: Option<Vec<String>>,
}

pub type SegmentPage = Page<SegmentView>;

/// Lists the customer segments.
#[utoipa::path(
    get, path = "/segments", tag = "segments", params(PageQuery),
    responses((status = 200, body = SegmentPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_segments(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<axum::Json<SegmentPage>, ApiError> {
    let listing = app::list(&Caller::new(&state.store, &actor), query.to_page()?).await?;
    Ok(axum::Json(Page::from_listing(listing, SegmentView::from)))
}

/// Describes a customer segment (administrators).
#[utoipa::path(
    post, path = "/segments", tag = "segments", request_body = CreateSegment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(
        (status = 201, body = SegmentView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_segment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateSegment>,
) -> Result<Response, ApiError> {
    let segment = app::create(
        &Caller::new(&state.store, &actor),
        SegmentInput {
            name: input.name,
            needs: input.needs,
            criteria: input.criteria,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        segment.version,
        SegmentView::from(segment),
    ))
}

/// Reads one customer segment.
#[utoipa::path(
    get, path = "/segments/{id}", tag = "segments", params(("id" = i64, Path)),
    responses((status = 200, body = SegmentView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_segment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let segment = app::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        segment.version,
        SegmentView::from(segment),
    ))
}

/// Changes a customer segment (administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/segments/{id}", tag = "segments", request_body = UpdateSegment,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = SegmentView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_segment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateSegment>,
) -> Result<Response, ApiError> {
    let segment = app::update(
        &Caller::new(&state.store, &actor),
        id,
        SegmentEdit {
            name: input.name,
            needs: input.needs,
            criteria: input.criteria,
        },
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        segment.version,
        SegmentView::from(segment),
    ))
}

/// Deletes a customer segment no service serves (administrators).
#[utoipa::path(
    delete, path = "/segments/{id}", tag = "segments",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_segment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    app::delete(&Caller::new(&state.store, &actor), id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
