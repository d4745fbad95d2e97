//! `/api/v1/enhancements`: mutual improvements proposed by two or more
//! departments, linked to an objective and put to an executive: `proposed` →
//! (every proposing department confirms) → `sponsored` (only by an
//! executive) → `in_progress` → `delivered` (only by the proposing
//! departments' leads), or `declined` with a reason (only by an executive).
//! Steps the workflow refuses answer 409; steps that are someone else's, 403.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, IfMatch, Page, PageQuery, RecordId, with_etag};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::enhancements::{self, Proposal, Step};
use roundtable_domain::ValidationErrors;
use roundtable_domain::round_table::EnhancementStatus;
use roundtable_store::round_table::Enhancement;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_enhancements, create_enhancement))
        .routes(routes!(get_enhancement, update_enhancement))
        .routes(routes!(sponsor_enhancement))
        .routes(routes!(confirm_enhancement))
}

/// One proposing department's confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationView {
    pub department_id: i64,
    /// When its lead confirmed; null while it has not.
    pub confirmed_at: Option<String>,
    pub confirmed_by: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnhancementView {
    pub id: i64,
    pub objective_id: i64,
    pub title: String,
    pub description: String,
    /// `proposed`, `sponsored`, `in_progress`, `delivered` or `declined`.
    pub status: String,
    /// The proposing departments (two or more).
    pub department_ids: Vec<i64>,
    /// Each proposing department's confirmation: an enhancement goes to an
    /// executive only once every department named on it has confirmed.
    pub confirmations: Vec<ConfirmationView>,
    /// The proposing departments that have not confirmed yet.
    pub awaiting_confirmation: Vec<i64>,
    pub sponsor_person_id: Option<i64>,
    pub sponsored_at: Option<String>,
    /// Why it was declined.
    pub decline_reason: Option<String>,
    pub proposed_by: Option<i64>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Enhancement> for EnhancementView {
    fn from(enhancement: Enhancement) -> Self {
        let awaiting_confirmation = enhancement
            .awaiting_confirmation()
            .iter()
            .map(|id| id.0)
            .collect();
        EnhancementView {
            id: enhancement.id,
            objective_id: enhancement.objective_id,
            title: enhancement.title,
            description: enhancement.description,
            status: enhancement.status.as_str().to_owned(),
            department_ids: enhancement.department_ids.iter().map(|id| id.0).collect(),
            awaiting_confirmation,
            confirmations: enhancement
                .confirmations
                .iter()
                .map(|confirmation| ConfirmationView {
                    department_id: confirmation.department_id.0,
                    confirmed_at: confirmation.confirmed_at.map(|at| at.to_string()),
                    confirmed_by: confirmation.confirmed_by.map(|person| person.0),
                })
                .collect(),
            sponsor_person_id: enhancement.sponsor_person_id.map(|person| person.0),
            sponsored_at: enhancement.sponsored_at.map(|at| at.to_string()),
            decline_reason: enhancement.decline_reason,
            proposed_by: enhancement.proposed_by.map(|person| person.0),
            version: enhancement.version,
            created_at: enhancement.created_at.to_string(),
            updated_at: enhancement.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnhancement {
    pub objective_id: i64,
    #[schema(example = "One shared lead form for marketing and sales")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The proposing departments: two or more.
    pub department_ids: Vec<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnhancement {
    /// The next status: `in_progress`, `delivered` or `declined` (sponsoring
    /// is `POST …/sponsor`, by an executive). Other steps answer 409.
    pub status: String,
    /// Required when declining.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnhancementQuery {
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type EnhancementPage = Page<EnhancementView>;

/// Lists enhancements.
#[utoipa::path(
    get, path = "/enhancements", tag = "round table", params(EnhancementQuery),
    responses((status = 200, body = EnhancementPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_enhancements(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<EnhancementQuery>,
) -> Result<axum::Json<EnhancementPage>, ApiError> {
    let mut errors = ValidationErrors::new();
    let status = query
        .status
        .as_deref()
        .and_then(|text| errors.check("status", EnhancementStatus::parse(text)));
    errors.finish(|| ())?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let listing = enhancements::list(&Caller::new(&state.store, &actor), status, page).await?;
    Ok(axum::Json(Page::from_listing(
        listing,
        EnhancementView::from,
    )))
}

/// Proposes a mutual improvement from two or more departments (leads, executives,
/// administrators). The departments the proposer leads are confirmed at
/// once; each other department named confirms it (`POST …/confirm`) before
/// an executive can sponsor it.
#[utoipa::path(
    post, path = "/enhancements", tag = "round table", request_body = CreateEnhancement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = EnhancementView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_enhancement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateEnhancement>,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let enhancement = enhancements::propose(
        &caller,
        Proposal {
            objective_id: input.objective_id,
            title: input.title,
            description: input.description,
            department_ids: input.department_ids,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        enhancement.version,
        EnhancementView::from(enhancement),
    ))
}

/// Reads one enhancement.
#[utoipa::path(
    get, path = "/enhancements/{id}", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = EnhancementView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_enhancement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let enhancement = enhancements::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        enhancement.version,
        EnhancementView::from(enhancement),
    ))
}

/// Moves an enhancement on: `in_progress` and `delivered` by a lead of a
/// proposing department, `declined` with a reason by an executive (others
/// answer 403). Needs `If-Match`; invalid steps answer 409.
#[utoipa::path(
    patch, path = "/enhancements/{id}", tag = "round table", request_body = UpdateEnhancement,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = EnhancementView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_enhancement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateEnhancement>,
) -> Result<Response, ApiError> {
    let enhancement = enhancements::advance(
        &Caller::new(&state.store, &actor),
        id,
        Step {
            status: input.status,
            reason: input.reason,
            expected_version: Some(version),
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        enhancement.version,
        EnhancementView::from(enhancement),
    ))
}

/// Sponsors a proposed enhancement: only an executive (403 otherwise); 409
/// unless it is `proposed`.
#[utoipa::path(
    post, path = "/enhancements/{id}/sponsor", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = EnhancementView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn sponsor_enhancement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let enhancement = enhancements::sponsor(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        enhancement.version,
        EnhancementView::from(enhancement),
    ))
}

/// Confirms a proposed enhancement for the proposing departments the caller
/// leads: 403 for anyone who leads none of them, 409 once it is past
/// `proposed` or already confirmed. When the last department confirms, the
/// executives are told it waits for a sponsor.
#[utoipa::path(
    post, path = "/enhancements/{id}/confirm", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = EnhancementView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn confirm_enhancement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let enhancement = enhancements::confirm(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        enhancement.version,
        EnhancementView::from(enhancement),
    ))
}
