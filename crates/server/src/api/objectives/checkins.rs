//! `/api/v1/measures/{id}/checkins`: a measure's check-in history, and
//! recording a check-in (which may credit the contributing departments).

use super::*;

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
    let today = roundtable_app::input::today();
    Ok((
        StatusCode::CREATED,
        axum::Json(CheckinOutcomeView {
            checkin: CheckinView::from(outcome.checkin),
            measure: MeasureView::new(outcome.measure, today),
            credited_department_ids: outcome.credited_departments.iter().map(|id| id.0).collect(),
        }),
    ))
}
