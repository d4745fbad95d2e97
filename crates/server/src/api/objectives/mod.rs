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

mod checkins;
mod corporate;
mod goals;
mod measures;
pub use checkins::*;
pub use corporate::*;
pub use goals::*;
pub use measures::*;

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

/// A listing's `period` filter, parsed; a bad one is refused naming `period`.
pub(crate) fn period_filter(text: Option<&str>) -> Result<Option<Period>, ApiError> {
    text.map(|text| {
        Period::parse(text)
            .map_err(|_| ApiError::invalid("period", "must be a period such as 2027-Q1"))
    })
    .transpose()
}
