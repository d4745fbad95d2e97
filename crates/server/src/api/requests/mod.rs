//! `/api/v1/requests`: internal requests, their workflow, timeline and
//! comments, with service-level clocks computed on the provider's business
//! calendar; and `GET /api/v1/departments/{id}/queue`, a provider's open work
//! in the order it should be done.

mod views;

pub use views::{
    ClockView, Clocks, CommentView, CommitmentView, EventView, QueueResponse, RequestView,
    TimeHeld, view,
};

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, explicit_null,
    with_etag,
};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use roundtable_app::Caller;
use roundtable_app::requests::workflow::{self, InstantInput, Move};
use roundtable_app::requests::{
    self, ListQuery, NewRequestInput, RequestUpdate, commitments, queue,
};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::requests::RawValue;
use roundtable_store::requests::Request;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, create_request))
        .routes(routes!(get_request, update_request))
        .routes(routes!(transition_request))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(list_events))
        .routes(routes!(department_queue))
        .routes(routes!(list_commitments, propose_commitment))
        .routes(routes!(accept_commitment))
        .routes(routes!(defer_request))
        .routes(routes!(transfer_request))
        .routes(routes!(create_sub_request))
}

/// A request as the API shows it, with its version as the `ETag`.
async fn respond(
    caller: &Caller<'_>,
    status: StatusCode,
    request: Request,
) -> Result<Response, ApiError> {
    let calendars = requests::calendars(caller).await?;
    let version = request.version;
    Ok(with_etag(
        status,
        version,
        view(request, &calendars, Timestamp::now()),
    ))
}

/// A positive id from a path segment, or a problem naming the segment.
pub(crate) fn path_id(field: &str, text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid(field, "must be a positive whole number"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// The service asked for; its provider works the request.
    pub service_id: Option<i64>,
    /// For a request without a service: the department asked.
    pub provider_department_id: Option<i64>,
    #[schema(example = "Leads for the spring trade show")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Answers to the service's intake fields, by key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub intake_values: serde_json::Map<String, serde_json::Value>,
    /// Defaults to `normal`.
    pub priority: Option<String>,
    /// Defaults to `none`.
    pub external_impact: Option<String>,
    /// A CRM case or order id.
    pub external_reference: Option<String>,
    pub segment_id: Option<i64>,
}

/// Only the fields present change. A new priority brings the service's targets
/// for it; time already elapsed or paused is kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub assignee_person_id: Option<Option<i64>>,
    pub external_impact: Option<String>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<String>)]
    pub external_reference: Option<Option<String>>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub segment_id: Option<Option<i64>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The new status.
    #[schema(example = "in_progress")]
    pub to: String,
    #[serde(default)]
    pub note: String,
    /// On resolving: how complete the input from the requester was (`complete`, `partial`, `poor`).
    pub input_quality: Option<String>,
    pub input_quality_note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
    /// An internal note, visible only to the provider department.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub status: Option<String>,
    /// Only open requests.
    pub open: Option<bool>,
    pub provider_department_id: Option<i64>,
    pub requester_person_id: Option<i64>,
    /// Only requests the caller raised.
    pub mine: Option<bool>,
    pub service_id: Option<i64>,
    pub external_impact: Option<String>,
    /// Only requests whose fulfilment clock breached (as escalated by the clock worker, within a minute).
    pub breached: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type RequestPage = Page<RequestView>;

fn raw(value: &serde_json::Value) -> RawValue {
    match value {
        serde_json::Value::Null => RawValue::Null,
        serde_json::Value::Bool(flag) => RawValue::Bool(*flag),
        serde_json::Value::Number(number) => {
            number.as_f64().map_or(RawValue::Other, RawValue::Number)
        }
        serde_json::Value::String(text) => RawValue::Text(text.clone()),
        _ => RawValue::Other,
    }
}

/// Lists the requests the caller may see, with filters.
#[utoipa::path(
    get, path = "/requests", tag = "requests", params(RequestQuery),
    responses((status = 200, body = RequestPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_requests(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<RequestQuery>,
) -> Result<Json<RequestPage>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let caller = Caller::new(&state.store, &actor);
    let listing = requests::list(
        &caller,
        ListQuery {
            status: query.status,
            open_only: query.open.unwrap_or(false),
            provider_department_id: query.provider_department_id,
            requester_person_id: query.requester_person_id,
            mine: query.mine.unwrap_or(false),
            service_id: query.service_id,
            external_impact: query.external_impact,
            breached: query.breached,
        },
        page,
    )
    .await?;
    let calendars = requests::calendars(&caller).await?;
    let now = Timestamp::now();
    Ok(Json(Page::from_listing(listing, |request| {
        view(request, &calendars, now)
    })))
}

impl From<CreateRequest> for NewRequestInput {
    fn from(input: CreateRequest) -> Self {
        NewRequestInput {
            service_id: input.service_id,
            provider_department_id: input.provider_department_id,
            title: input.title,
            description: input.description,
            intake_values: input
                .intake_values
                .iter()
                .map(|(key, value)| (key.clone(), raw(value)))
                .collect(),
            priority: input.priority,
            external_impact: input.external_impact,
            external_reference: input.external_reference,
            segment_id: input.segment_id,
        }
    }
}

/// Raises a request against a service (or ad hoc to a department).
#[utoipa::path(
    post, path = "/requests", tag = "requests", request_body = CreateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = RequestView, headers(("ETag" = String))), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_request(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateRequest>,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let request = requests::raise(&caller, input.into()).await?;
    respond(&caller, StatusCode::CREATED, request).await
}

/// Reads one request with its clocks and the time each department held it.
#[utoipa::path(
    get, path = "/requests/{id}", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = RequestView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_request(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let request = requests::visible(&caller, id).await?;
    respond(&caller, StatusCode::OK, request).await
}

/// Changes a request's details; needs `If-Match`. The provider side assigns and
/// sets priority; the requester may edit the title, description and impact.
#[utoipa::path(
    patch, path = "/requests/{id}", tag = "requests", request_body = UpdateRequest,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = RequestView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_request(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateRequest>,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let update = RequestUpdate {
        title: input.title,
        description: input.description,
        priority: input.priority,
        assignee_person_id: input.assignee_person_id,
        external_impact: input.external_impact,
        external_reference: input.external_reference,
        segment_id: input.segment_id,
    };
    let request = requests::update(&caller, id, version, update).await?;
    respond(&caller, StatusCode::OK, request).await
}

/// Moves a request through its workflow. Invalid moves answer 409; moves that
/// belong to the other side answer 403.
#[utoipa::path(
    post, path = "/requests/{id}/transitions", tag = "requests", request_body = TransitionBody,
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "Move only the version you read")),
    responses(
        (status = 200, body = RequestView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn transition_request(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
    ApiJson(input): ApiJson<TransitionBody>,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let step = Move {
        to: input.to,
        note: input.note,
        input_quality: input.input_quality,
        input_quality_note: input.input_quality_note,
    };
    let request = workflow::transition(&caller, id, version, step).await?;
    respond(&caller, StatusCode::OK, request).await
}

/// The comments of a request; internal notes only for the provider side.
#[utoipa::path(
    get, path = "/requests/{id}/comments", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CommentView>), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_comments(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<Vec<CommentView>>, ApiError> {
    let comments = workflow::comments(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(comments.into_iter().map(CommentView::from).collect()))
}

/// Comments on a request. The provider side's first public comment is its first response.
#[utoipa::path(
    post, path = "/requests/{id}/comments", tag = "requests", request_body = CommentBody, params(("id" = i64, Path)),
    responses((status = 201, body = CommentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn add_comment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let comment = workflow::comment(&caller, id, &input.body, input.internal).await?;
    Ok((StatusCode::CREATED, Json(CommentView::from(comment))))
}

/// The request's timeline: every change, who made it, before and after.
#[utoipa::path(
    get, path = "/requests/{id}/events", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_events(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let events = workflow::events(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(events.into_iter().map(EventView::from).collect()))
}

/// A provider department's open requests in the order to work them: waiting
/// customers first, then affected ones; within that, least remaining
/// fulfilment time (breached first), then priority, then age.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// How many requests to return, from the top of the queue (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// How many requests of the queue's order to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u32>,
}

impl QueueQuery {
    /// The whole queue (up to the largest page), for pages that count it.
    pub fn whole() -> Self {
        Self {
            limit: Some(queue::MAX_LIMIT),
            offset: None,
        }
    }
}

#[utoipa::path(
    get, path = "/departments/{id}/queue", tag = "requests", params(("id" = i64, Path), QueueQuery),
    responses(
        (status = 200, body = Vec<RequestView>, description = "The department's open requests in queue order \
          (customer impact, then least fulfilment time left, priority, age), `limit` of them from `offset`; \
          the header `X-Total-Count` tells how many are open."),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn department_queue(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<QueueResponse, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let page = queue::page(&caller, DepartmentId(id), query.offset, query.limit).await?;
    Ok(QueueResponse {
        total: page.total,
        requests: page
            .requests
            .into_iter()
            .map(|request| view(request, &page.calendars, page.now))
            .collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentBody {
    /// The proposed delivery instant (RFC 3339).
    #[schema(example = "2026-11-26T17:00:00Z")]
    pub due_at: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeferralBody {
    /// Which external customer comes first, and why.
    pub reason: String,
    /// The new expected delivery instant (RFC 3339).
    pub new_eta: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// The department that takes the request over.
    pub department_id: i64,
    /// A service of that department the request falls under; its targets apply.
    pub service_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// An RFC 3339 instant, or the message for its field.
fn instant(text: &str) -> InstantInput {
    text.trim()
        .parse::<Timestamp>()
        .map_err(|_| "must be an RFC 3339 instant with an offset".to_owned())
}

/// The commitments proposed for a request, oldest first.
#[utoipa::path(
    get, path = "/requests/{id}/commitments", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CommitmentView>), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_commitments(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<Vec<CommitmentView>>, ApiError> {
    let commitments = commitments::list(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(
        commitments.into_iter().map(CommitmentView::from).collect(),
    ))
}

/// Proposes a delivery date ("we can do it by Thursday"); from the requester it is a counter-proposal.
#[utoipa::path(
    post, path = "/requests/{id}/commitments", tag = "requests", request_body = CommitmentBody, params(("id" = i64, Path)),
    responses(
        (status = 201, body = CommitmentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn propose_commitment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<CommitmentBody>,
) -> Result<(StatusCode, Json<CommitmentView>), ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let commitment = commitments::propose(&caller, id, instant(&input.due_at), &input.note).await?;
    Ok((StatusCode::CREATED, Json(CommitmentView::from(commitment))))
}

/// Accepts the other side's proposed date; a request resolved by it is on time.
#[utoipa::path(
    post, path = "/requests/{id}/commitments/{commitment_id}/accept", tag = "requests",
    params(("id" = i64, Path), ("commitment_id" = i64, Path)),
    responses(
        (status = 200, body = CommitmentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn accept_commitment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    axum::extract::Path((id, commitment)): axum::extract::Path<(String, String)>,
) -> Result<Json<CommitmentView>, ApiError> {
    let (id, commitment) = (path_id("id", &id)?, path_id("commitment_id", &commitment)?);
    let caller = Caller::new(&state.store, &actor);
    let accepted = commitments::accept(&caller, id, commitment).await?;
    Ok(Json(CommitmentView::from(accepted)))
}

/// Defers a request because an external customer must be served first. The
/// requester is told; the clock keeps running.
#[utoipa::path(
    post, path = "/requests/{id}/deferral", tag = "requests", request_body = DeferralBody, params(("id" = i64, Path)),
    responses(
        (status = 200, body = RequestView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn defer_request(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<DeferralBody>,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let request = workflow::defer(&caller, id, &input.reason, instant(&input.new_eta)).await?;
    respond(&caller, StatusCode::OK, request).await
}

/// Hands a request over to another provider department. Each department's time
/// stays on its own clock, so nobody is blamed for another's time.
#[utoipa::path(
    post, path = "/requests/{id}/transfer", tag = "requests", request_body = TransferBody, params(("id" = i64, Path)),
    responses(
        (status = 200, body = RequestView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn transfer_request(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<TransferBody>,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let request = workflow::transfer(
        &caller,
        id,
        DepartmentId(input.department_id),
        input.service_id,
        &input.note,
    )
    .await?;
    respond(&caller, StatusCode::OK, request).await
}

/// Splits part of the work off into a linked sub-request for another department
/// (the provider side of the parent raises it).
#[utoipa::path(
    post, path = "/requests/{id}/sub-requests", tag = "requests", request_body = CreateRequest, params(("id" = i64, Path)),
    responses(
        (status = 201, body = RequestView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_sub_request(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<CreateRequest>,
) -> Result<Response, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let request = workflow::split(&caller, id, input.into()).await?;
    respond(&caller, StatusCode::CREATED, request).await
}
