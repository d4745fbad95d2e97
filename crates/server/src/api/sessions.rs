//! `/api/v1/sessions` and `/api/v1/actions`: round-table sessions (an agenda
//! drawn from the top-voted open topics, a facilitator who rotates, notes and
//! outcomes) and the actions agreed there or at an alignment review, with
//! `overdue` derived on every read.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, IfMatch, Page, PageQuery, RecordId, with_etag};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use roundtable_app::Caller;
use roundtable_app::actions::{self, Assign, Progress};
use roundtable_app::sessions::{self, Record, Schedule};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::PersonId;
use roundtable_domain::round_table::{ActionStatus, action_overdue};
use roundtable_store::round_table::{Action, ActionFilter, Session};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, create_session))
        .routes(routes!(get_session, update_session))
        .routes(routes!(list_actions, create_action))
        .routes(routes!(get_action, update_action))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub scheduled_at: String,
    pub facilitator_person_id: i64,
    /// The agenda's topics, in order.
    pub topic_ids: Vec<i64>,
    pub notes: String,
    pub outcomes: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Session> for SessionView {
    fn from(session: Session) -> Self {
        SessionView {
            id: session.id,
            scheduled_at: session.scheduled_at.to_string(),
            facilitator_person_id: session.facilitator_person_id.0,
            topic_ids: session.topic_ids,
            notes: session.notes,
            outcomes: session.outcomes,
            version: session.version,
            created_at: session.created_at.to_string(),
            updated_at: session.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    #[schema(example = "2027-02-10T14:00:00Z")]
    pub scheduled_at: String,
    /// Defaults to the lead who facilitated longest ago (the round table has no head).
    pub facilitator_person_id: Option<i64>,
    /// The agenda; defaults to the top-voted open topics.
    pub topic_ids: Option<Vec<i64>>,
    /// How many top-voted topics a generated agenda takes, 1 to 20 (default 5).
    pub agenda_size: Option<i64>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    pub scheduled_at: Option<String>,
    pub facilitator_person_id: Option<i64>,
    pub notes: Option<String>,
    pub outcomes: Option<String>,
}

pub type SessionPage = Page<SessionView>;

/// Lists round-table sessions.
#[utoipa::path(
    get, path = "/sessions", tag = "round table", params(PageQuery),
    responses((status = 200, body = SessionPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<axum::Json<SessionPage>, ApiError> {
    let listing = sessions::list(&Caller::new(&state.store, &actor), query.to_page()?).await?;
    Ok(axum::Json(Page::from_listing(listing, SessionView::from)))
}

/// Schedules a round table (leads, executives, administrators).
#[utoipa::path(
    post, path = "/sessions", tag = "round table", request_body = CreateSession,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = SessionView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_session(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateSession>,
) -> Result<Response, ApiError> {
    let session = sessions::schedule(
        &Caller::new(&state.store, &actor),
        Schedule {
            scheduled_at: input.scheduled_at,
            facilitator_person_id: input.facilitator_person_id,
            topic_ids: input.topic_ids,
            agenda_size: input.agenda_size,
            notes: input.notes,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        session.version,
        SessionView::from(session),
    ))
}

/// Reads one session.
#[utoipa::path(
    get, path = "/sessions/{id}", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = SessionView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_session(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let session = sessions::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        session.version,
        SessionView::from(session),
    ))
}

/// Records notes and outcomes, or reschedules (leads, executives, administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/sessions/{id}", tag = "round table", request_body = UpdateSession,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = SessionView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_session(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateSession>,
) -> Result<Response, ApiError> {
    let session = sessions::record(
        &Caller::new(&state.store, &actor),
        id,
        Record {
            scheduled_at: input.scheduled_at,
            facilitator_person_id: input.facilitator_person_id,
            notes: input.notes,
            outcomes: input.outcomes,
            expected_version: version,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        session.version,
        SessionView::from(session),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub id: i64,
    pub title: String,
    pub owner_person_id: i64,
    pub due_on: String,
    /// `open`, `in_progress`, `done` or `dropped`.
    pub status: String,
    pub done_on: Option<String>,
    /// Unfinished after its due date.
    pub overdue: bool,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl ActionView {
    pub fn new(action: Action, today: Date) -> Self {
        ActionView {
            id: action.id,
            overdue: action_overdue(action.status, action.due_on, today),
            title: action.title,
            owner_person_id: action.owner_person_id.0,
            due_on: action.due_on.to_string(),
            status: action.status.as_str().to_owned(),
            done_on: action.done_on.map(|day| day.to_string()),
            topic_id: action.topic_id,
            session_id: action.session_id,
            review_id: action.review_id,
            version: action.version,
            created_at: action.created_at.to_string(),
            updated_at: action.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAction {
    #[schema(example = "Agree a lead brief template with marketing")]
    pub title: String,
    pub owner_person_id: i64,
    #[schema(example = "2027-02-28")]
    pub due_on: String,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAction {
    pub title: Option<String>,
    pub owner_person_id: Option<i64>,
    pub due_on: Option<String>,
    /// `open`, `in_progress`, `done` (records the done date) or `dropped`.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    pub status: Option<String>,
    /// `true`: only actions unfinished after their due date.
    pub overdue: Option<bool>,
    pub owner_person_id: Option<i64>,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type ActionPage = Page<ActionView>;

/// Lists actions; `overdue=true` shows those unfinished after their due date.
#[utoipa::path(
    get, path = "/actions", tag = "round table", params(ActionQuery),
    responses((status = 200, body = ActionPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_actions(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<ActionQuery>,
) -> Result<axum::Json<ActionPage>, ApiError> {
    let today = actions::today();
    let mut errors = ValidationErrors::new();
    let status = query
        .status
        .as_deref()
        .and_then(|text| errors.check("status", ActionStatus::parse(text)));
    errors.finish(|| ())?;
    let filter = ActionFilter {
        status,
        owner_person_id: query.owner_person_id.map(PersonId),
        topic_id: query.topic_id,
        session_id: query.session_id,
        review_id: query.review_id,
        overdue: query.overdue,
        today: None,
    };
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let listing = actions::list(&Caller::new(&state.store, &actor), filter, page, today).await?;
    Ok(axum::Json(Page::from_listing(listing, |action| {
        ActionView::new(action, today)
    })))
}

/// Records an action with an owner and a due date (leads, executives, administrators).
#[utoipa::path(
    post, path = "/actions", tag = "round table", request_body = CreateAction,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = ActionView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_action(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateAction>,
) -> Result<Response, ApiError> {
    let action = actions::assign(
        &Caller::new(&state.store, &actor),
        Assign {
            title: input.title,
            owner_person_id: input.owner_person_id,
            due_on: input.due_on,
            topic_id: input.topic_id,
            session_id: input.session_id,
            review_id: input.review_id,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        action.version,
        ActionView::new(action, actions::today()),
    ))
}

/// Reads one action.
#[utoipa::path(
    get, path = "/actions/{id}", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = ActionView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_action(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let action = actions::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        action.version,
        ActionView::new(action, actions::today()),
    ))
}

/// Moves an action along or changes it (its owner, leads, executives,
/// administrators); `done` records today as the done date. Needs `If-Match`.
#[utoipa::path(
    patch, path = "/actions/{id}", tag = "round table", request_body = UpdateAction,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = ActionView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_action(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateAction>,
) -> Result<Response, ApiError> {
    let today = actions::today();
    let action = actions::update(
        &Caller::new(&state.store, &actor),
        id,
        Progress {
            title: input.title,
            owner_person_id: input.owner_person_id,
            due_on: input.due_on,
            status: input.status,
            expected_version: version,
        },
        today,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        action.version,
        ActionView::new(action, today),
    ))
}
