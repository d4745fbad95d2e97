//! `/api/v1/me/time-zone`: the zone a person reads times in. Pages, notices
//! and emails show times in it; the API itself keeps RFC 3339 with offsets.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::ApiJson;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use roundtable_app::Caller;
use roundtable_app::time_zone::{self, ReaderZone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_time_zone, set_time_zone))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeZoneView {
    /// The zone the person chose (an IANA name), or null to follow their
    /// department's calendar.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    /// The zone their times are shown in: their own, else their department
    /// calendar's, else UTC.
    #[schema(example = "Europe/Berlin")]
    pub reading_time_zone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetTimeZone {
    /// An IANA time zone name such as `Europe/Berlin`; null or blank to
    /// follow the department's calendar again.
    pub time_zone: Option<String>,
}

fn view(reader: ReaderZone) -> TimeZoneView {
    TimeZoneView {
        time_zone: reader.chosen.then(|| reader.name.clone()),
        reading_time_zone: reader.name,
    }
}

/// The caller's time zone and the zone their times are shown in.
#[utoipa::path(
    get, path = "/me/time-zone", tag = "auth",
    responses((status = 200, body = TimeZoneView), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_time_zone(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<TimeZoneView>, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    Ok(Json(view(time_zone::of_caller(&caller).await?)))
}

/// Sets the caller's own time zone (null or blank: back to the department's).
#[utoipa::path(
    put, path = "/me/time-zone", tag = "auth", request_body = SetTimeZone,
    responses((status = 200, body = TimeZoneView), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn set_time_zone(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(body): ApiJson<SetTimeZone>,
) -> Result<Json<TimeZoneView>, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let person = time_zone::set_own(&caller, body.time_zone.as_deref().unwrap_or("")).await?;
    let reader =
        time_zone::zone_for(&caller, person.time_zone.as_deref(), person.department_id).await?;
    Ok(Json(view(reader)))
}
