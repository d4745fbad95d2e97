//! `/api/v1/objectives`: corporate objectives per period, read with their
//! measures and derived progress, and created, changed and deleted.

use super::*;

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

pub(super) fn to_page(
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
    let period = period_filter(query.period.as_deref())?;
    let page = to_page(query.limit, query.cursor)?;
    let listing = app::list(&Caller::new(&state.store, &actor), period, page).await?;
    let today = roundtable_app::input::today();
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
    let view = ObjectiveView::new(objective, Vec::new(), roundtable_app::input::today());
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
    let view = ObjectiveView::of(objective, roundtable_app::input::today());
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
    let view = ObjectiveView::of(objective, roundtable_app::input::today());
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
