//! `/api/v1/measures`: an objective's measures with their contributing
//! departments.

use super::*;

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

pub(super) fn contributor_inputs(contributors: Vec<ContributorBody>) -> Vec<ContributorInput> {
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
    let today = roundtable_app::input::today();
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
        MeasureView::new(measure, roundtable_app::input::today()),
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
        MeasureView::new(measure, roundtable_app::input::today()),
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
        MeasureView::new(measure, roundtable_app::input::today()),
    ))
}
