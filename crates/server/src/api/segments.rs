//! `/api/v1/segments`: customer segments, the external customer at the centre.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, parse_change, with_etag,
};
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_domain::ValidationErrors;
use roundtable_domain::text::Label;
use roundtable_store::segments::{NewSegment, Segment, SegmentChanges};
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

/// The longest `needs` text, in characters.
const MAX_NEEDS: usize = 4_000;
/// The most criteria one segment lists.
const MAX_CRITERIA: usize = 50;

/// Free text over several lines, possibly empty: trimmed, bounded, and free of
/// control characters other than line breaks and tabs.
fn parse_needs(errors: &mut ValidationErrors, needs: &str) -> String {
    let needs = needs.trim();
    if needs.chars().count() > MAX_NEEDS {
        errors.push("needs", format!("must be at most {MAX_NEEDS} characters"));
    } else if needs
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(
            "needs",
            "must not contain control characters other than line breaks and tabs",
        );
    }
    needs.to_owned()
}

/// Each criterion is a single line; errors name it as `criteria[2]`.
fn parse_criteria(errors: &mut ValidationErrors, criteria: &[String]) -> Vec<Label> {
    if criteria.len() > MAX_CRITERIA {
        errors.push(
            "criteria",
            format!("may list at most {MAX_CRITERIA} criteria"),
        );
    }
    criteria
        .iter()
        .enumerate()
        .filter_map(|(index, criterion)| {
            errors.check(&format!("criteria[{index}]"), Label::parse(criterion))
        })
        .collect()
}

fn parse_new(input: CreateSegment) -> Result<NewSegment, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = errors.check("name", Label::parse(&input.name));
    let needs = parse_needs(&mut errors, &input.needs);
    let criteria = parse_criteria(&mut errors, &input.criteria);
    match name {
        Some(name) if errors.is_empty() => Ok(NewSegment {
            name,
            needs,
            criteria,
        }),
        _ => Err(errors),
    }
}

fn parse_changes(input: UpdateSegment) -> Result<SegmentChanges, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let changes = SegmentChanges {
        name: parse_change(&mut errors, "name", input.name.as_deref(), Label::parse),
        needs: input
            .needs
            .map(|needs| parse_needs(&mut errors, &needs))
            .into(),
        criteria: input
            .criteria
            .map(|criteria| parse_criteria(&mut errors, &criteria))
            .into(),
    };
    errors.finish(|| changes)
}

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
    let listing = state.scoped(&actor).list_segments(query.to_page()?).await?;
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
    policy::manage_organization(&actor)?;
    let new = parse_new(input)?;
    let segment = state.scoped(&actor).create_segment(new).await?;
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
    let segment = state.scoped(&actor).segment(id).await?;
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
    policy::manage_organization(&actor)?;
    let changes = parse_changes(input)?;
    let segment = state
        .scoped(&actor)
        .update_segment(id, changes, version)
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
    policy::manage_organization(&actor)?;
    state.scoped(&actor).delete_segment(id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
