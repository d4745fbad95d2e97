//! `/api/v1/objectives`, `/api/v1/measures` and `/api/v1/goals`: corporate
//! objectives per period, their measures with contributing departments and
//! check-ins, and department goals (flagged `unaligned` when they serve no
//! objective). Progress and status are derived on every read by
//! `domain::objectives`, never stored.

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
use jiff::civil::Date;
use roundtable_app::Caller;
use roundtable_app::objectives::{
    self as app, CheckinInput, ContributorInput, GoalEdit, GoalInput, MeasureEdit, MeasureInput,
    ObjectiveEdit, ObjectiveInput, ObjectiveWithMeasures,
};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::objectives::{Period, objective_progress, status};
use roundtable_store::objectives::{Checkin, GoalFilter, Measure, Objective};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_objectives, create_objective))
        .routes(routes!(get_objective, update_objective, delete_objective))
        .routes(routes!(list_measures, create_measure))
        .routes(routes!(get_measure, update_measure))
        .routes(routes!(list_checkins, record_checkin))
        .routes(routes!(list_goals, create_goal))
        .routes(routes!(get_goal, update_goal, delete_goal))
}

/// Rounded to a thousandth, so clients see 0.333 rather than 0.33333333.
fn rounded(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContributorView {
    pub department_id: i64,
    pub department_name: String,
    /// What this department will do for the measure.
    pub statement: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureView {
    pub id: i64,
    pub objective_id: i64,
    pub name: String,
    pub unit: String,
    /// `increase` or `decrease`.
    pub direction: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    /// (current − baseline) / (target − baseline), clamped to 0–1.
    pub progress: f64,
    /// `on_track`, `at_risk` or `off_track` against the elapsed share of the objective's period.
    pub status: String,
    /// Two or more contributing departments.
    pub mutual: bool,
    pub target_reached: bool,
    pub target_reached_at: Option<String>,
    pub contributors: Vec<ContributorView>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl MeasureView {
    pub fn new(measure: Measure, today: Date) -> Self {
        let progress = measure.scale.progress(measure.current);
        let elapsed = measure.period.elapsed_share(today);
        MeasureView {
            id: measure.id,
            objective_id: measure.objective_id,
            mutual: measure.is_mutual(),
            name: measure.name,
            unit: measure.unit,
            direction: measure.scale.direction().as_str().to_owned(),
            baseline: measure.scale.baseline(),
            target: measure.scale.target(),
            current: measure.current,
            progress: rounded(progress),
            status: status(progress, elapsed).as_str().to_owned(),
            target_reached: measure.scale.reached(measure.current),
            target_reached_at: measure.target_reached_at.map(|at| at.to_string()),
            contributors: measure
                .contributors
                .into_iter()
                .map(|contributor| ContributorView {
                    department_id: contributor.department_id.0,
                    department_name: contributor.department_name,
                    statement: contributor.statement,
                })
                .collect(),
            version: measure.version,
            created_at: measure.created_at.to_string(),
            updated_at: measure.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectiveView {
    pub id: i64,
    #[schema(example = "2027-Q1")]
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    /// The share of the period that has passed, 0–1.
    pub elapsed_share: f64,
    pub title: String,
    pub description: String,
    /// `revenue`, `repeat_business`, `referrals`, `reputation` or `other`.
    pub category: String,
    pub owner_person_id: Option<i64>,
    /// The mean progress of its measures; absent without measures.
    pub progress: Option<f64>,
    /// `on_track`, `at_risk` or `off_track`; absent without measures.
    pub status: Option<String>,
    pub measures: Vec<MeasureView>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl ObjectiveView {
    pub fn new(objective: Objective, measures: Vec<Measure>, today: Date) -> Self {
        let elapsed = objective.period.elapsed_share(today);
        let progress = objective_progress(
            &measures
                .iter()
                .map(|measure| measure.scale.progress(measure.current))
                .collect::<Vec<_>>(),
        );
        ObjectiveView {
            id: objective.id,
            period: objective.period.to_string(),
            period_start: objective.period.start().to_string(),
            period_end: objective.period.end().to_string(),
            elapsed_share: rounded(elapsed),
            title: objective.title,
            description: objective.description,
            category: objective.category.as_str().to_owned(),
            owner_person_id: objective.owner_person_id.map(|person| person.0),
            progress: progress.map(rounded),
            status: progress.map(|progress| status(progress, elapsed).as_str().to_owned()),
            measures: measures
                .into_iter()
                .map(|measure| MeasureView::new(measure, today))
                .collect(),
            version: objective.version,
            created_at: objective.created_at.to_string(),
            updated_at: objective.updated_at.to_string(),
        }
    }
}

impl ObjectiveView {
    /// The view of an objective read with its measures.
    pub fn of(objective: ObjectiveWithMeasures, today: Date) -> Self {
        ObjectiveView::new(objective.objective, objective.measures, today)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateObjective {
    #[schema(example = "2027-Q1")]
    pub period: String,
    #[schema(example = "Grow repeat business from outfitters")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `revenue`, `repeat_business`, `referrals`, `reputation` or `other`.
    pub category: String,
    pub owner_person_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateObjective {
    pub period: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    /// `null` clears the owner.
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub owner_person_id: Option<Option<i64>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectiveQuery {
    /// Only objectives of this period, e.g. `2027-Q1`.
    pub period: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type ObjectivePage = Page<ObjectiveView>;

fn to_page(
    limit: Option<u32>,
    cursor: Option<String>,
) -> Result<roundtable_store::PageRequest, ApiError> {
    PageQuery { limit, cursor }.to_page()
}

/// Lists objectives with their measures, progress and status.
#[utoipa::path(
    get, path = "/objectives", tag = "objectives", params(ObjectiveQuery),
    responses((status = 200, body = ObjectivePage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_objectives(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<ObjectiveQuery>,
) -> Result<axum::Json<ObjectivePage>, ApiError> {
    let period = query
        .period
        .as_deref()
        .map(|text| {
            Period::parse(text)
                .map_err(|_| ApiError::invalid("period", "must be a period such as 2027-Q1"))
        })
        .transpose()?;
    let page = to_page(query.limit, query.cursor)?;
    let listing = app::list(&Caller::new(&state.store, &actor), period, page).await?;
    let today = super::agreements::today();
    Ok(axum::Json(Page::from_listing(listing, |objective| {
        ObjectiveView::of(objective, today)
    })))
}

/// Sets a corporate objective for a period (executives and administrators).
#[utoipa::path(
    post, path = "/objectives", tag = "objectives", request_body = CreateObjective,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = ObjectiveView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_objective(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateObjective>,
) -> Result<Response, ApiError> {
    let objective = app::create(
        &Caller::new(&state.store, &actor),
        ObjectiveInput {
            period: input.period,
            title: input.title,
            description: input.description,
            category: input.category,
            owner_person_id: input.owner_person_id,
        },
    )
    .await?;
    let version = objective.version;
    let view = ObjectiveView::new(objective, Vec::new(), super::agreements::today());
    Ok(with_etag(StatusCode::CREATED, version, view))
}

/// Reads one objective with its measures.
#[utoipa::path(
    get, path = "/objectives/{id}", tag = "objectives", params(("id" = i64, Path)),
    responses((status = 200, body = ObjectiveView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_objective(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let objective = app::get(&Caller::new(&state.store, &actor), id).await?;
    let version = objective.objective.version;
    let view = ObjectiveView::of(objective, super::agreements::today());
    Ok(with_etag(StatusCode::OK, version, view))
}

/// Changes an objective (executives and administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/objectives/{id}", tag = "objectives", request_body = UpdateObjective,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = ObjectiveView, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_objective(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateObjective>,
) -> Result<Response, ApiError> {
    let objective = app::update(
        &Caller::new(&state.store, &actor),
        id,
        ObjectiveEdit {
            period: input.period,
            title: input.title,
            description: input.description,
            category: input.category,
            owner_person_id: input.owner_person_id,
        },
        version,
    )
    .await?;
    let version = objective.objective.version;
    let view = ObjectiveView::of(objective, super::agreements::today());
    Ok(with_etag(StatusCode::OK, version, view))
}

/// Deletes an objective nothing refers to (executives and administrators).
#[utoipa::path(
    delete, path = "/objectives/{id}", tag = "objectives",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_objective(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    app::delete(&Caller::new(&state.store, &actor), id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributorBody {
    pub department_id: i64,
    /// What this department will do for the measure.
    #[schema(example = "Sales logs every lost deal's reason within two days")]
    pub statement: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMeasure {
    pub objective_id: i64,
    #[schema(example = "Repeat orders within 90 days")]
    pub name: String,
    #[serde(default)]
    #[schema(example = "%")]
    pub unit: String,
    /// `increase` or `decrease`.
    pub direction: String,
    pub baseline: f64,
    /// Must differ from the baseline, in the measure's direction.
    pub target: f64,
    /// Defaults to the baseline.
    pub current: Option<f64>,
    /// Two or more make the measure mutual.
    #[serde(default)]
    pub contributors: Vec<ContributorBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeasure {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub direction: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// Replaces all contributors.
    pub contributors: Option<Vec<ContributorBody>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeasureQuery {
    pub objective_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type MeasurePage = Page<MeasureView>;

fn contributor_inputs(contributors: Vec<ContributorBody>) -> Vec<ContributorInput> {
    contributors
        .into_iter()
        .map(|contributor| ContributorInput {
            department_id: contributor.department_id,
            statement: contributor.statement,
        })
        .collect()
}

/// Lists measures with progress, status and contributors.
#[utoipa::path(
    get, path = "/measures", tag = "objectives", params(MeasureQuery),
    responses((status = 200, body = MeasurePage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_measures(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<MeasureQuery>,
) -> Result<axum::Json<MeasurePage>, ApiError> {
    let page = to_page(query.limit, query.cursor)?;
    let listing =
        app::list_measures(&Caller::new(&state.store, &actor), query.objective_id, page).await?;
    let today = super::agreements::today();
    Ok(axum::Json(Page::from_listing(listing, |measure| {
        MeasureView::new(measure, today)
    })))
}

/// Adds a measure to an objective (executives and administrators).
#[utoipa::path(
    post, path = "/measures", tag = "objectives", request_body = CreateMeasure,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = MeasureView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_measure(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateMeasure>,
) -> Result<Response, ApiError> {
    let measure = app::add_measure(
        &Caller::new(&state.store, &actor),
        MeasureInput {
            objective_id: input.objective_id,
            name: input.name,
            unit: input.unit,
            direction: input.direction,
            baseline: input.baseline,
            target: input.target,
            current: input.current,
            contributors: contributor_inputs(input.contributors),
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        measure.version,
        MeasureView::new(measure, super::agreements::today()),
    ))
}

/// Reads one measure.
#[utoipa::path(
    get, path = "/measures/{id}", tag = "objectives", params(("id" = i64, Path)),
    responses((status = 200, body = MeasureView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_measure(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let measure = app::get_measure(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        measure.version,
        MeasureView::new(measure, super::agreements::today()),
    ))
}

/// Changes a measure (executives and administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/measures/{id}", tag = "objectives", request_body = UpdateMeasure,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = MeasureView, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_measure(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateMeasure>,
) -> Result<Response, ApiError> {
    let measure = app::update_measure(
        &Caller::new(&state.store, &actor),
        id,
        MeasureEdit {
            name: input.name,
            unit: input.unit,
            direction: input.direction,
            baseline: input.baseline,
            target: input.target,
            contributors: input.contributors.map(contributor_inputs),
        },
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        measure.version,
        MeasureView::new(measure, super::agreements::today()),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinView {
    pub id: i64,
    pub measure_id: i64,
    pub value: f64,
    pub note: String,
    pub author_person_id: Option<i64>,
    pub recorded_on: String,
    pub created_at: String,
}

impl From<Checkin> for CheckinView {
    fn from(checkin: Checkin) -> Self {
        CheckinView {
            id: checkin.id,
            measure_id: checkin.measure_id,
            value: checkin.value,
            note: checkin.note,
            author_person_id: checkin.author_person_id.map(|person| person.0),
            recorded_on: checkin.recorded_on.to_string(),
            created_at: checkin.created_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCheckin {
    pub value: f64,
    #[serde(default)]
    pub note: String,
    /// The date the value was measured; default today.
    pub recorded_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinOutcomeView {
    pub checkin: CheckinView,
    pub measure: MeasureView,
    /// Departments credited together because this check-in reached a mutual target.
    pub credited_department_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinList {
    /// Oldest first.
    pub items: Vec<CheckinView>,
}

/// A measure's check-in history, oldest first.
#[utoipa::path(
    get, path = "/measures/{id}/checkins", tag = "objectives", params(("id" = i64, Path)),
    responses((status = 200, body = CheckinList), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_checkins(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<axum::Json<CheckinList>, ApiError> {
    let items = app::checkins(&Caller::new(&state.store, &actor), id)
        .await?
        .into_iter()
        .map(CheckinView::from)
        .collect();
    Ok(axum::Json(CheckinList { items }))
}

/// Checks in a new value (people of a contributing department, executives,
/// administrators). Reaching a mutual measure's target credits every
/// contributing department together, once.
#[utoipa::path(
    post, path = "/measures/{id}/checkins", tag = "objectives", request_body = CreateCheckin,
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = CheckinOutcomeView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn record_checkin(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<CreateCheckin>,
) -> Result<(StatusCode, axum::Json<CheckinOutcomeView>), ApiError> {
    let outcome = app::check_in(
        &Caller::new(&state.store, &actor),
        id,
        CheckinInput {
            value: input.value,
            note: input.note,
            recorded_on: input.recorded_on,
        },
    )
    .await?;
    let today = super::agreements::today();
    Ok((
        StatusCode::CREATED,
        axum::Json(CheckinOutcomeView {
            checkin: CheckinView::from(outcome.checkin),
            measure: MeasureView::new(outcome.measure, today),
            credited_department_ids: outcome.credited_departments.iter().map(|id| id.0).collect(),
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalView {
    pub id: i64,
    pub department_id: i64,
    /// The objective the goal serves; absent when it serves none.
    pub objective_id: Option<i64>,
    /// True when the goal serves no objective.
    pub unaligned: bool,
    pub period: String,
    pub title: String,
    pub description: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<roundtable_store::objectives::Goal> for GoalView {
    fn from(goal: roundtable_store::objectives::Goal) -> Self {
        GoalView {
            id: goal.id,
            department_id: goal.department_id.0,
            unaligned: goal.objective_id.is_none(),
            objective_id: goal.objective_id,
            period: goal.period.to_string(),
            title: goal.title,
            description: goal.description,
            version: goal.version,
            created_at: goal.created_at.to_string(),
            updated_at: goal.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoal {
    pub department_id: i64,
    /// The objective it serves; without one the goal is flagged unaligned.
    pub objective_id: Option<i64>,
    #[schema(example = "2027-Q1")]
    pub period: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGoal {
    /// `null` unlinks it (the goal becomes unaligned).
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub objective_id: Option<Option<i64>>,
    pub period: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoalQuery {
    pub department_id: Option<i64>,
    pub period: Option<String>,
    /// `true`: only goals serving no objective.
    pub unaligned: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type GoalPage = Page<GoalView>;

/// Lists department goals; `unaligned=true` shows those serving no objective.
#[utoipa::path(
    get, path = "/goals", tag = "objectives", params(GoalQuery),
    responses((status = 200, body = GoalPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_goals(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<GoalQuery>,
) -> Result<axum::Json<GoalPage>, ApiError> {
    let period = query
        .period
        .as_deref()
        .map(|text| {
            Period::parse(text)
                .map_err(|_| ApiError::invalid("period", "must be a period such as 2027-Q1"))
        })
        .transpose()?;
    let filter = GoalFilter {
        department_id: query.department_id.map(DepartmentId),
        period,
        unaligned: query.unaligned,
    };
    let listing = app::list_goals(
        &Caller::new(&state.store, &actor),
        filter,
        to_page(query.limit, query.cursor)?,
    )
    .await?;
    Ok(axum::Json(Page::from_listing(listing, GoalView::from)))
}

/// Sets a department goal (its leads, executives, administrators).
#[utoipa::path(
    post, path = "/goals", tag = "objectives", request_body = CreateGoal,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = GoalView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_goal(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateGoal>,
) -> Result<Response, ApiError> {
    let goal = app::set_goal(
        &Caller::new(&state.store, &actor),
        GoalInput {
            department_id: input.department_id,
            objective_id: input.objective_id,
            period: input.period,
            title: input.title,
            description: input.description,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        goal.version,
        GoalView::from(goal),
    ))
}

/// Reads one goal.
#[utoipa::path(
    get, path = "/goals/{id}", tag = "objectives", params(("id" = i64, Path)),
    responses((status = 200, body = GoalView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_goal(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let goal = app::get_goal(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        goal.version,
        GoalView::from(goal),
    ))
}

/// Changes a goal (its department's leads, executives, administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/goals/{id}", tag = "objectives", request_body = UpdateGoal,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = GoalView, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_goal(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateGoal>,
) -> Result<Response, ApiError> {
    let goal = app::update_goal(
        &Caller::new(&state.store, &actor),
        id,
        GoalEdit {
            objective_id: input.objective_id,
            period: input.period,
            title: input.title,
            description: input.description,
        },
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        goal.version,
        GoalView::from(goal),
    ))
}

/// Deletes a goal (its department's leads, executives, administrators).
#[utoipa::path(
    delete, path = "/goals/{id}", tag = "objectives",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_goal(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    app::delete_goal(&Caller::new(&state.store, &actor), id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
