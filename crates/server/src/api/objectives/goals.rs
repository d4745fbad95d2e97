//! `/api/v1/goals`: department goals, each serving an objective or flagged
//! `unaligned` when it serves none.

use super::*;

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
    let period = period_filter(query.period.as_deref())?;
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
