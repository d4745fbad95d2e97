//! `/api/v1/sessions` and `/api/v1/actions`: round-table sessions (an agenda
//! drawn from the top-voted open topics, a facilitator who rotates, notes and
//! outcomes) and the actions agreed there or at an alignment review, with
//! `overdue` derived on every read.

use super::objectives::{parse_date, parse_text, positive_id};
use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, Page, PageQuery, RecordId, parse_change, with_etag,
};
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::PersonId;
use roundtable_domain::round_table::{ActionStatus, action_overdue};
use roundtable_domain::text::Label;
use roundtable_store::Change;
use roundtable_store::round_table::{
    Action, ActionChanges, ActionFilter, NewAction, NewSession, Session, SessionChanges,
};
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

/// The most topics a generated agenda takes.
const MAX_AGENDA: usize = 20;
const DEFAULT_AGENDA: usize = 5;

fn parse_instant(text: &str) -> Result<Timestamp, ValidationErrors> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        ValidationErrors::single(
            "",
            "must be an RFC 3339 instant such as 2027-02-10T14:00:00Z",
        )
    })
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
    let listing = state
        .scoped(&actor)
        .list_round_table_sessions(query.to_page()?)
        .await?;
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
    policy::run_round_table(&actor)?;
    let mut errors = ValidationErrors::new();
    let scheduled_at = errors.check("scheduled_at", parse_instant(&input.scheduled_at));
    let facilitator = input
        .facilitator_person_id
        .and_then(|id| positive_id(&mut errors, "facilitator_person_id", id))
        .map(PersonId);
    let topic_ids = input.topic_ids.map(|ids| {
        if ids.len() > MAX_AGENDA {
            errors.push("topic_ids", format!("may list at most {MAX_AGENDA} topics"));
        }
        ids.iter()
            .enumerate()
            .filter_map(|(index, id)| positive_id(&mut errors, &format!("topic_ids[{index}]"), *id))
            .collect::<Vec<_>>()
    });
    let agenda_size = match input.agenda_size {
        None => DEFAULT_AGENDA,
        Some(size) => match usize::try_from(size) {
            Ok(size) if (1..=MAX_AGENDA).contains(&size) => size,
            _ => {
                errors.push("agenda_size", format!("must be between 1 and {MAX_AGENDA}"));
                DEFAULT_AGENDA
            }
        },
    };
    let notes = parse_text(&mut errors, "notes", &input.notes);
    let scheduled_at = match scheduled_at {
        Some(at) if errors.is_empty() => at,
        _ => return Err(ApiError::Validation(errors)),
    };
    let session = state
        .scoped(&actor)
        .create_round_table_session(NewSession {
            scheduled_at,
            facilitator_person_id: facilitator,
            topic_ids,
            agenda_size,
            notes,
        })
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
    let session = state.scoped(&actor).round_table_session(id).await?;
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
    policy::run_round_table(&actor)?;
    let mut errors = ValidationErrors::new();
    let changes = SessionChanges {
        scheduled_at: parse_change(
            &mut errors,
            "scheduled_at",
            input.scheduled_at.as_deref(),
            parse_instant,
        ),
        facilitator_person_id: match input.facilitator_person_id {
            None => Change::Keep,
            Some(id) => match positive_id(&mut errors, "facilitator_person_id", id) {
                Some(id) => Change::Set(PersonId(id)),
                None => Change::Keep,
            },
        },
        notes: input
            .notes
            .map(|text| parse_text(&mut errors, "notes", &text))
            .into(),
        outcomes: input
            .outcomes
            .map(|text| parse_text(&mut errors, "outcomes", &text))
            .into(),
    };
    let changes = errors.finish(|| changes)?;
    let session = state
        .scoped(&actor)
        .update_round_table_session(id, changes, version)
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
    let today = super::agreements::today();
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
        today: Some(today),
    };
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let listing = state.scoped(&actor).list_actions(filter, page).await?;
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
    policy::run_round_table(&actor)?;
    let mut errors = ValidationErrors::new();
    let title = errors.check("title", Label::parse(&input.title));
    let owner = positive_id(&mut errors, "owner_person_id", input.owner_person_id);
    let due_on = errors.check("due_on", parse_date(&input.due_on));
    let topic_id = input
        .topic_id
        .and_then(|id| positive_id(&mut errors, "topic_id", id));
    let session_id = input
        .session_id
        .and_then(|id| positive_id(&mut errors, "session_id", id));
    let review_id = input
        .review_id
        .and_then(|id| positive_id(&mut errors, "review_id", id));
    let (Some(title), Some(owner), Some(due_on)) = (title, owner, due_on) else {
        return Err(ApiError::Validation(errors));
    };
    errors.finish(|| ())?;
    let action = state
        .scoped(&actor)
        .create_action(NewAction {
            title,
            owner_person_id: PersonId(owner),
            due_on,
            topic_id,
            session_id,
            review_id,
        })
        .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        action.version,
        ActionView::new(action, super::agreements::today()),
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
    let action = state.scoped(&actor).action(id).await?;
    Ok(with_etag(
        StatusCode::OK,
        action.version,
        ActionView::new(action, super::agreements::today()),
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
    let scoped = state.scoped(&actor);
    let action = scoped.action(id).await?;
    if action.owner_person_id != actor.person_id {
        policy::run_round_table(&actor)?;
    }
    let mut errors = ValidationErrors::new();
    let changes = ActionChanges {
        title: parse_change(&mut errors, "title", input.title.as_deref(), Label::parse),
        owner_person_id: match input.owner_person_id {
            None => Change::Keep,
            Some(id) => match positive_id(&mut errors, "owner_person_id", id) {
                Some(id) => Change::Set(PersonId(id)),
                None => Change::Keep,
            },
        },
        due_on: parse_change(&mut errors, "due_on", input.due_on.as_deref(), parse_date),
        status: parse_change(
            &mut errors,
            "status",
            input.status.as_deref(),
            ActionStatus::parse,
        ),
    };
    let changes = errors.finish(|| changes)?;
    let today = super::agreements::today();
    let action = scoped.update_action(id, changes, version, today).await?;
    Ok(with_etag(
        StatusCode::OK,
        action.version,
        ActionView::new(action, today),
    ))
}
