//! `/api/v1/requests`: internal requests, their workflow, timeline and
//! comments, with service-level clocks computed on the provider's business
//! calendar; and `GET /api/v1/departments/{id}/queue`, a provider's open work
//! in the order it should be done.

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
use roundtable_domain::ValidationErrors;
use roundtable_domain::clocks::{
    ClockReading, ExternalImpact, QueueEntry, queue_page, time_held_per_department,
};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::requests::{InputQuality, RawValue, Roles, Status, check_intake};
use roundtable_domain::services::{Priority, Targets};
use roundtable_domain::text::Label;
use roundtable_store::Scoped;
use roundtable_store::auth::Actor;
use roundtable_store::requests::{
    AD_HOC_TARGETS, ClockContext, Comment, Commitment, CommitmentSide, Handoff, NewRequest,
    Request, RequestChanges, RequestEvent, RequestFilter, Transition, TransitionDetails,
};
use serde::{Deserialize, Serialize};
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    /// `running`, `at_risk`, `breached`, `paused`, `met` or `missed`.
    pub state: String,
    pub target_minutes: i64,
    /// Business minutes counted so far (paused time excluded).
    pub elapsed_minutes: i64,
    /// Business minutes left; negative once breached.
    pub remaining_minutes: i64,
    /// When the target falls due if nothing pauses the clock.
    pub due_at: Option<String>,
    pub stopped_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Clocks {
    pub first_response: ClockView,
    pub fulfilment: ClockView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeHeld {
    pub department_id: i64,
    /// Business minutes on that department's own calendar.
    pub business_minutes: i64,
    pub wall_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    pub id: i64,
    pub service_id: Option<i64>,
    pub provider_department_id: i64,
    pub requester_person_id: i64,
    pub assignee_person_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// Answers to the service's intake fields, by key.
    #[schema(value_type = Object)]
    pub intake_values: serde_json::Value,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub status: String,
    /// `none`, `customer_affected` or `customer_waiting`.
    pub external_impact: String,
    pub external_reference: Option<String>,
    pub segment_id: Option<i64>,
    pub parent_request_id: Option<i64>,
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub input_quality: Option<String>,
    pub input_quality_note: Option<String>,
    /// The delivery date both sides accepted, if any.
    pub committed_due_at: Option<String>,
    /// Deferred for an external customer until this new ETA; the clock keeps running.
    pub deferred_until: Option<String>,
    pub deferral_reason: Option<String>,
    /// Once resolved: delivered within the fulfilment target or by the accepted committed date.
    pub on_time: Option<bool>,
    /// Absent when the provider department has no business calendar.
    pub clocks: Option<Clocks>,
    /// Who held the request for how long, each on its own calendar.
    pub time_held: Vec<TimeHeld>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn minutes(duration: jiff::SignedDuration) -> i64 {
    duration.as_secs().div_euclid(60)
}

fn clock_view(reading: ClockReading, target_minutes: i64) -> ClockView {
    ClockView {
        state: reading.state.as_str().to_owned(),
        target_minutes,
        elapsed_minutes: minutes(reading.elapsed),
        remaining_minutes: target_minutes - minutes(reading.elapsed),
        due_at: reading.due.map(|due| due.to_string()),
        stopped_at: reading.stopped_at.map(|stopped| stopped.to_string()),
    }
}

pub fn view(request: Request, calendars: &ClockContext, now: Timestamp) -> RequestView {
    let readings = request.clocks(calendars, now);
    let on_time = match (request.status, request.resolved_at) {
        (Status::Resolved | Status::Closed, Some(resolved_at)) => Some(
            request
                .committed_due_at
                .is_some_and(|committed| resolved_at <= committed)
                || readings.as_ref().is_some_and(|(_, fulfilment)| {
                    fulfilment.state == roundtable_domain::clocks::ClockState::Met
                }),
        ),
        _ => None,
    };
    let clocks = readings.map(|(response, fulfilment)| Clocks {
        first_response: clock_view(response, request.targets.first_response_minutes),
        fulfilment: clock_view(fulfilment, request.targets.fulfilment_minutes),
    });
    let time_held = time_held_per_department(&request.holding_periods(), &calendars.indexed, now)
        .into_iter()
        .map(|held| TimeHeld {
            department_id: held.department.0,
            business_minutes: minutes(held.business),
            wall_minutes: minutes(held.wall),
        })
        .collect();
    let text = |instant: Option<Timestamp>| instant.map(|instant| instant.to_string());
    RequestView {
        id: request.id,
        service_id: request.service_id,
        provider_department_id: request.provider_department_id.0,
        requester_person_id: request.requester_person_id.0,
        assignee_person_id: request.assignee_person_id.map(|person| person.0),
        title: request.title,
        description: request.description,
        intake_values: serde_json::from_str(&request.intake_values)
            .unwrap_or_else(|_| serde_json::json!({})),
        priority: request.priority.as_str().to_owned(),
        status: request.status.as_str().to_owned(),
        external_impact: request.external_impact,
        external_reference: request.external_reference,
        segment_id: request.segment_id,
        parent_request_id: request.parent_request_id,
        first_response_at: text(request.first_response_at),
        resolved_at: text(request.resolved_at),
        closed_at: text(request.closed_at),
        input_quality: request
            .input_quality
            .map(|quality| quality.as_str().to_owned()),
        input_quality_note: request.input_quality_note,
        committed_due_at: text(request.committed_due_at),
        deferred_until: text(request.deferred_until),
        deferral_reason: request.deferral_reason,
        on_time,
        clocks,
        time_held,
        version: request.version,
        created_at: request.created_at.to_string(),
        updated_at: request.updated_at.to_string(),
    }
}

/// Who may see a request: its requester, the requester's and the provider's
/// departments, executives and administrators.
fn can_see(actor: &Actor, request: &Request) -> bool {
    matches!(actor.role, Role::Admin | Role::Executive)
        || actor.person_id == request.requester_person_id
        || actor.department_id.is_some_and(|department| {
            department == request.provider_department_id
                || Some(department) == request.requester_department_id
        })
}

/// The provider side works the request: people of the provider department, and administrators.
pub(crate) fn roles_of(actor: &Actor, request: &Request) -> Roles {
    Roles {
        provider: actor.role == Role::Admin
            || actor.department_id == Some(request.provider_department_id),
        requester: actor.person_id == request.requester_person_id,
    }
}

/// Reads a request the actor may see (or is credited on); others get 404,
/// as if it did not exist.
pub(crate) async fn visible(
    scoped: &Scoped<'_>,
    actor: &Actor,
    id: i64,
) -> Result<Request, ApiError> {
    let request = scoped.request(id).await?;
    if can_see(actor, &request) || scoped.is_credited(id, actor.person_id).await? {
        Ok(request)
    } else {
        Err(ApiError::NotFound)
    }
}

fn respond(status: StatusCode, request: Request, calendars: &ClockContext) -> Response {
    let version = request.version;
    with_etag(status, version, view(request, calendars, Timestamp::now()))
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

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RequestCommentView)]
pub struct CommentView {
    pub id: i64,
    pub author_person_id: i64,
    pub body: String,
    pub internal: bool,
    pub created_at: String,
}

impl From<Comment> for CommentView {
    fn from(comment: Comment) -> Self {
        CommentView {
            id: comment.id,
            author_person_id: comment.author_person_id.0,
            body: comment.body,
            internal: comment.internal,
            created_at: comment.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub actor_person_id: Option<i64>,
    /// `created`, `status_changed`, `reopened`, `updated`, `commented`, `internal_note`, …
    pub kind: String,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
    pub note: String,
    pub created_at: String,
}

impl From<RequestEvent> for EventView {
    fn from(event: RequestEvent) -> Self {
        EventView {
            id: event.id,
            actor_person_id: event.actor_person_id.map(|person| person.0),
            kind: event.kind,
            before: serde_json::from_str(&event.before).unwrap_or_default(),
            after: serde_json::from_str(&event.after).unwrap_or_default(),
            note: event.note,
            created_at: event.created_at.to_string(),
        }
    }
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

fn parse_impact(value: &str) -> Result<ExternalImpact, ValidationErrors> {
    ExternalImpact::parse(value).map_err(|_| {
        ValidationErrors::single(
            "",
            "must be one of none, customer_affected, customer_waiting",
        )
    })
}

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

fn long_text(errors: &mut ValidationErrors, field: &str, text: &str) -> String {
    if text.chars().count() > 20_000 {
        errors.push(field, "must be at most 20000 characters");
    }
    text.trim().to_owned()
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
    let mut errors = ValidationErrors::new();
    let status = query
        .status
        .as_deref()
        .and_then(|status| errors.check("status", Status::parse(status)));
    let impact = query
        .external_impact
        .as_deref()
        .and_then(|impact| errors.check("external_impact", parse_impact(impact)));
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let sees_all = matches!(actor.role, Role::Admin | Role::Executive);
    let filter = RequestFilter {
        status,
        open_only: query.open.unwrap_or(false),
        provider_department_id: query.provider_department_id.map(DepartmentId),
        requester_person_id: if query.mine.unwrap_or(false) {
            Some(actor.person_id)
        } else {
            query.requester_person_id.map(PersonId)
        },
        service_id: query.service_id,
        external_impact: impact.map(ExternalImpact::as_str),
        breached: query.breached,
        visible_to: (!sees_all).then_some((actor.person_id, actor.department_id)),
    };
    let scoped = state.scoped(&actor);
    let listing = scoped.list_requests(filter, page).await?;
    let calendars = scoped.clock_context().await?;
    let now = Timestamp::now();
    Ok(Json(Page::from_listing(listing, |request| {
        view(request, &calendars, now)
    })))
}

/// Parses and checks a new request as the actor raises it.
pub(crate) async fn parse_new_request(
    scoped: &Scoped<'_>,
    actor: &Actor,
    input: CreateRequest,
) -> Result<NewRequest, ApiError> {
    let mut errors = ValidationErrors::new();
    let title = errors.check("title", Label::parse(&input.title));
    let description = long_text(&mut errors, "description", &input.description);
    let priority = match &input.priority {
        Some(priority) => errors.check("priority", Priority::parse(priority)),
        None => Some(Priority::Normal),
    };
    let impact = match &input.external_impact {
        Some(impact) => errors.check("external_impact", parse_impact(impact)),
        None => Some(ExternalImpact::None),
    };
    let reference = match input.external_reference.as_deref() {
        Some(reference) => errors
            .check("external_reference", Label::parse_optional(reference))
            .flatten(),
        None => None,
    };
    let answers: Vec<(String, RawValue)> = input
        .intake_values
        .iter()
        .map(|(key, value)| (key.clone(), raw(value)))
        .collect();
    let (provider, service, intake, targets) =
        match (input.service_id, input.provider_department_id) {
            (Some(service_id), provider) => {
                let service = scoped
                    .service(service_id)
                    .await
                    .map_err(|error| match error {
                        roundtable_store::StoreError::NotFound => {
                            ApiError::invalid("service_id", "no such service")
                        }
                        other => other.into(),
                    })?;
                if !service.active {
                    errors.push(
                        "service_id",
                        "this service is retired and takes no new requests",
                    );
                }
                if provider.is_some_and(|provider| provider != service.provider_department_id.0) {
                    errors.push(
                        "provider_department_id",
                        "differs from the service's provider; leave it out",
                    );
                }
                let intake = errors
                    .check(
                        "intake_values",
                        check_intake(&service.intake_fields, answers),
                    )
                    .unwrap_or_default();
                // Only a segment the service serves (app::services::request_segment).
                errors.check(
                    "",
                    roundtable_app::services::request_segment(&service, input.segment_id),
                );
                let targets = priority
                    .and_then(|priority| service.priority_targets.get(&priority).copied())
                    .unwrap_or(service.targets);
                (
                    service.provider_department_id,
                    Some(service.id),
                    intake,
                    targets,
                )
            }
            (None, Some(provider)) => {
                if !answers.is_empty() {
                    errors.push(
                        "intake_values",
                        "only requests for a service have intake fields",
                    );
                }
                (DepartmentId(provider), None, Vec::new(), AD_HOC_TARGETS)
            }
            (None, None) => {
                errors.push(
                    "service_id",
                    "name a service, or a provider_department_id for a request without one",
                );
                (DepartmentId(0), None, Vec::new(), AD_HOC_TARGETS)
            }
        };
    let (Some(title), Some(priority), Some(impact)) = (title, priority, impact) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let intake_json: serde_json::Map<String, serde_json::Value> = intake
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                roundtable_domain::requests::IntakeValue::Text(text) => {
                    serde_json::Value::String(text)
                }
                roundtable_domain::requests::IntakeValue::Number(number) => {
                    serde_json::json!(number)
                }
                roundtable_domain::requests::IntakeValue::Date(date) => {
                    serde_json::Value::String(date.to_string())
                }
                roundtable_domain::requests::IntakeValue::Boolean(flag) => {
                    serde_json::Value::Bool(flag)
                }
            };
            (key, value)
        })
        .collect();
    Ok(NewRequest {
        service_id: service,
        provider_department_id: provider,
        requester_person_id: actor.person_id,
        title: title.into_string(),
        description,
        intake_values: serde_json::Value::Object(intake_json).to_string(),
        priority,
        external_impact: impact.as_str().to_owned(),
        external_reference: reference.map(Label::into_string),
        segment_id: input.segment_id,
        targets,
    })
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
    let scoped = state.scoped(&actor);
    let new = parse_new_request(&scoped, &actor, input).await?;
    let request = scoped.create_request(new, Timestamp::now()).await?;
    let calendars = scoped.clock_context().await?;
    Ok(respond(StatusCode::CREATED, request, &calendars))
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    let calendars = scoped.clock_context().await?;
    Ok(respond(StatusCode::OK, request, &calendars))
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    let roles = roles_of(&actor, &request);
    if !(roles.provider || roles.requester) {
        return Err(ApiError::forbidden(
            "Only the requester or the provider department can change a request.",
        ));
    }
    if (input.priority.is_some() || input.assignee_person_id.is_some()) && !roles.provider {
        return Err(ApiError::forbidden(
            "Only the provider department sets the priority and the assignee.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let priority = input
        .priority
        .as_deref()
        .and_then(|priority| errors.check("priority", Priority::parse(priority)));
    // A new segment must be one the request's service serves
    // (app::services::request_segment); none may always be set.
    if let (Some(Some(segment)), Some(service)) = (input.segment_id, request.service_id) {
        let service = scoped.service(service).await?;
        errors.check(
            "",
            roundtable_app::services::request_segment(&service, Some(segment)),
        );
    }
    let targets = match (priority, request.service_id) {
        (Some(priority), Some(service)) => {
            let service = scoped.service(service).await?;
            Some(
                service
                    .priority_targets
                    .get(&priority)
                    .copied()
                    .unwrap_or(service.targets),
            )
        }
        _ => None,
    };
    let changes = RequestChanges {
        title: crate::extract::parse_change(
            &mut errors,
            "title",
            input.title.as_deref(),
            |title| Label::parse(title).map(Label::into_string),
        ),
        description: input
            .description
            .map(|text| long_text(&mut errors, "description", &text))
            .into(),
        priority: priority.into(),
        targets: targets.map(|targets: Targets| targets).into(),
        assignee_person_id: input
            .assignee_person_id
            .map(|assignee| assignee.map(PersonId))
            .into(),
        external_impact: crate::extract::parse_change(
            &mut errors,
            "external_impact",
            input.external_impact.as_deref(),
            |impact| parse_impact(impact).map(|impact| impact.as_str().to_owned()),
        ),
        external_reference: input
            .external_reference
            .map(|reference| {
                reference
                    .and_then(|text| {
                        errors
                            .check("external_reference", Label::parse_optional(&text))
                            .flatten()
                    })
                    .map(Label::into_string)
            })
            .into(),
        segment_id: input.segment_id.into(),
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let request = scoped
        .update_request(id, changes, actor.person_id, version)
        .await?;
    let calendars = scoped.clock_context().await?;
    Ok(respond(StatusCode::OK, request, &calendars))
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    // Who may move it at all is decided before the body is judged; which
    // move is theirs depends on the body, and the workflow judges it below.
    let roles = roles_of(&actor, &request);
    if !roles.provider && !roles.requester {
        return Err(ApiError::forbidden(
            "Only the requester and the provider department move a request along.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let to = errors.check("to", Status::parse(&input.to));
    let quality = input
        .input_quality
        .as_deref()
        .and_then(|quality| errors.check("input_quality", InputQuality::parse(quality)));
    let note = long_text(&mut errors, "note", &input.note);
    if input.input_quality.is_some() && to != Some(Status::Resolved) {
        errors.push("input_quality", "is rated when resolving");
    }
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let details = TransitionDetails {
        note,
        input_quality: quality.map(|quality| {
            (
                quality,
                input.input_quality_note.map(|note| note.trim().to_owned()),
            )
        }),
    };
    let request = scoped
        .transition_request(
            id,
            Transition {
                to,
                actor: actor.person_id,
                roles,
                details,
                expected_version: version,
                at: Timestamp::now(),
            },
        )
        .await?;
    let calendars = scoped.clock_context().await?;
    Ok(respond(StatusCode::OK, request, &calendars))
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    let comments = scoped
        .comments(id, roles_of(&actor, &request).provider)
        .await?;
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    let roles = roles_of(&actor, &request);
    if input.internal && !roles.provider {
        return Err(ApiError::forbidden(
            "Internal notes are for the provider department.",
        ));
    }
    let body = input.body.trim();
    if body.is_empty() || body.chars().count() > 20_000 {
        return Err(ApiError::invalid("body", "must be 1 to 20000 characters"));
    }
    let comment = scoped
        .add_comment(
            id,
            actor.person_id,
            body.to_owned(),
            input.internal,
            roles.provider,
            Timestamp::now(),
        )
        .await?;
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    let events = scoped
        .request_events(id, roles_of(&actor, &request).provider)
        .await?;
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
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    /// The whole queue (up to the largest page), for pages that count it.
    pub fn whole() -> Self {
        Self {
            limit: Some(Self::MAX_LIMIT),
            offset: None,
        }
    }

    fn bounds(&self) -> Result<(usize, usize), ApiError> {
        let limit = self.limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(ValidationErrors::single(
                "limit",
                format!("must be from 1 to {}", Self::MAX_LIMIT),
            )
            .into());
        }
        Ok((self.offset.unwrap_or(0) as usize, limit as usize))
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
    let (offset, limit) = query.bounds()?;
    let scoped = state.scoped(&actor);
    let department = scoped.department(DepartmentId(id)).await?;
    let sees_all = matches!(actor.role, Role::Admin | Role::Executive);
    if !sees_all && actor.department_id != Some(department.id) {
        return Err(ApiError::forbidden(
            "A queue is for its own department (and executives and administrators).",
        ));
    }
    let calendars = scoped.clock_context().await?;
    let now = Timestamp::now();
    // The order needs only each request's fulfilment clock; the full view
    // (both clocks and all fields) is built for the requested page alone.
    let open = scoped.open_requests_of(department.id).await?;
    let entries: Vec<(QueueEntry, &Request)> = open
        .iter()
        .map(|request| {
            let remaining = request
                .fulfilment_remaining(&calendars, now)
                .unwrap_or(jiff::SignedDuration::MAX);
            let entry = QueueEntry {
                id: request.id,
                impact: ExternalImpact::parse(&request.external_impact)
                    .unwrap_or(ExternalImpact::None),
                remaining_fulfilment: remaining,
                priority: request.priority,
                created_at: request.created_at,
            };
            (entry, request)
        })
        .collect();
    let total = entries.len();
    Ok(QueueResponse {
        total,
        requests: queue_page(entries, offset, limit)
            .into_iter()
            .map(|request| view(request.clone(), &calendars, now))
            .collect(),
    })
}

/// A page of a queue, with the size of the whole queue in `X-Total-Count`.
#[derive(Debug)]
pub struct QueueResponse {
    pub total: usize,
    pub requests: Vec<RequestView>,
}

impl axum::response::IntoResponse for QueueResponse {
    fn into_response(self) -> axum::response::Response {
        (
            [(
                axum::http::HeaderName::from_static("x-total-count"),
                self.total.to_string(),
            )],
            Json(self.requests),
        )
            .into_response()
    }
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

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentView {
    pub id: i64,
    /// `provider` (an offer) or `requester` (a counter-proposal).
    pub proposed_by_side: String,
    pub proposed_by: i64,
    pub due_at: String,
    pub note: String,
    /// `proposed`, `accepted` or `superseded`.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub created_at: String,
}

impl From<Commitment> for CommitmentView {
    fn from(commitment: Commitment) -> Self {
        CommitmentView {
            id: commitment.id,
            proposed_by_side: commitment.proposed_by_side.as_str().to_owned(),
            proposed_by: commitment.proposed_by.0,
            due_at: commitment.due_at.to_string(),
            note: commitment.note,
            status: commitment.status,
            decided_by: commitment.decided_by.map(|person| person.0),
            decided_at: commitment.decided_at.map(|instant| instant.to_string()),
            created_at: commitment.created_at.to_string(),
        }
    }
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

/// The side of a request the actor speaks for in a commitment.
fn commitment_side(roles: Roles) -> Result<CommitmentSide, ApiError> {
    match (roles.provider, roles.requester) {
        (true, _) => Ok(CommitmentSide::Provider),
        (false, true) => Ok(CommitmentSide::Requester),
        (false, false) => Err(ApiError::forbidden(
            "Only the requester or the provider department take part in a commitment.",
        )),
    }
}

fn future_instant(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    text.trim()
        .parse::<Timestamp>()
        .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 instant with an offset"))
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
    let scoped = state.scoped(&actor);
    visible(&scoped, &actor, id).await?;
    Ok(Json(
        scoped
            .commitments(id)
            .await?
            .into_iter()
            .map(CommitmentView::from)
            .collect(),
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    let side = commitment_side(roles_of(&actor, &request))?;
    let due_at = future_instant("due_at", &input.due_at)?;
    let commitment = scoped
        .propose_commitment(
            id,
            side,
            actor.person_id,
            due_at,
            input.note.trim().to_owned(),
            Timestamp::now(),
        )
        .await?;
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
    let parse = |field: &str, text: &str| {
        text.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::invalid(field, "must be a positive whole number"))
    };
    let (id, commitment) = (parse("id", &id)?, parse("commitment_id", &commitment)?);
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    let side = commitment_side(roles_of(&actor, &request))?;
    let accepted = scoped
        .accept_commitment(id, commitment, side, actor.person_id, Timestamp::now())
        .await?;
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    if !roles_of(&actor, &request).provider {
        return Err(ApiError::forbidden(
            "Only the provider department defers its requests.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let reason = errors.check("reason", Label::parse(&input.reason));
    let eta = future_instant("new_eta", &input.new_eta);
    let (Some(reason), Ok(eta)) = (reason, eta) else {
        if let Err(ApiError::Validation(more)) = future_instant("new_eta", &input.new_eta) {
            errors.0.extend(more.0);
        }
        return Err(errors.into());
    };
    let request = scoped
        .defer_request(
            id,
            actor.person_id,
            reason.into_string(),
            eta,
            Timestamp::now(),
        )
        .await?;
    let calendars = scoped.clock_context().await?;
    Ok(respond(StatusCode::OK, request, &calendars))
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
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    if !roles_of(&actor, &request).provider {
        return Err(ApiError::forbidden(
            "Only the provider department hands its requests over.",
        ));
    }
    let to = DepartmentId(input.department_id);
    let (service, targets) = match input.service_id {
        Some(service_id) => {
            let service = scoped
                .service(service_id)
                .await
                .map_err(|error| match error {
                    roundtable_store::StoreError::NotFound => {
                        ApiError::invalid("service_id", "no such service")
                    }
                    other => other.into(),
                })?;
            if service.provider_department_id != to {
                return Err(ApiError::invalid(
                    "service_id",
                    "is not a service of the receiving department",
                ));
            }
            let targets = service
                .priority_targets
                .get(&request.priority)
                .copied()
                .unwrap_or(service.targets);
            (Some(service.id), targets)
        }
        None => (None, AD_HOC_TARGETS),
    };
    let request = scoped
        .transfer_request(
            id,
            Handoff {
                by: actor.person_id,
                to,
                service,
                targets,
                note: input.note.trim().to_owned(),
                at: Timestamp::now(),
            },
        )
        .await?;
    let calendars = scoped.clock_context().await?;
    Ok(respond(StatusCode::OK, request, &calendars))
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
    let scoped = state.scoped(&actor);
    let parent = visible(&scoped, &actor, id).await?;
    if !roles_of(&actor, &parent).provider {
        return Err(ApiError::forbidden(
            "Only the provider department splits its requests.",
        ));
    }
    let new = parse_new_request(&scoped, &actor, input).await?;
    let request = scoped
        .create_sub_request(parent.id, new, Timestamp::now())
        .await?;
    let calendars = scoped.clock_context().await?;
    Ok(respond(StatusCode::CREATED, request, &calendars))
}
