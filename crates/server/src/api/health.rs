//! Relationship health as the API shows it: every cell's score with each
//! component's value, sample size and applied weight, and the words that
//! explain it; a cell's detail with its weekly trend and latest pulse; and
//! `GET /api/v1/departments/{id}/scorecard`, a department seen as provider
//! and as consumer.

use crate::AppState;
use crate::api::pulses::{CellResultView, DepartmentResultView};
use crate::auth::Authenticated;
use crate::extract::{ApiQuery, RecordId, parse_record_id};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use roundtable_app::{Caller, health};
use roundtable_domain::health::{Component, Health};
use roundtable_store::health::{CellHealth, InputQuality};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cell_detail))
        .routes(routes!(scorecard))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    /// `satisfaction`, `pulse`, `reliability` or `responsiveness`.
    pub name: String,
    /// 0–100; absent without data (or, for the pulse, below the anonymity threshold).
    pub value: Option<f64>,
    /// Data points behind the value; absent for a withheld pulse.
    pub sample_size: Option<i64>,
    /// Whether it had enough data (5 points; the pulse: the anonymity threshold) to count.
    pub sufficient: bool,
    /// The nominal weight, and the weight it carried after renormalising.
    pub weight: f64,
    pub applied_weight: f64,
    /// What the component measures, in words. Absent in the matrix, which
    /// explains each component once in its `components` legend instead of
    /// in every one of its N × (N − 1) cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// A health component explained once: its name, nominal weight and words.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentLegend {
    pub name: String,
    pub weight: f64,
    pub explanation: String,
}

/// Every component of health, explained.
pub fn component_legend() -> Vec<ComponentLegend> {
    roundtable_domain::health::ComponentKind::ALL
        .iter()
        .map(|kind| ComponentLegend {
            name: kind.as_str().to_owned(),
            weight: kind.weight(),
            explanation: kind.explanation().to_owned(),
        })
        .collect()
}

impl ComponentView {
    /// The figures without the words.
    fn terse(component: &Component) -> Self {
        ComponentView {
            name: component.kind.as_str().to_owned(),
            value: component.value.map(round),
            sample_size: component.sample_size,
            sufficient: component.sufficient,
            weight: component.kind.weight(),
            applied_weight: (component.applied_weight * 10_000.0).round() / 10_000.0,
            explanation: None,
        }
    }
}

impl From<&Component> for ComponentView {
    fn from(component: &Component) -> Self {
        ComponentView {
            explanation: Some(component.kind.explanation().to_owned()),
            ..ComponentView::terse(component)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// 0–100; absent when no component has enough data.
    pub score: Option<f64>,
    /// `healthy` (≥ 75), `watch` (50–75), `at_risk` (< 50) or `insufficient_data`.
    pub band: String,
    pub components: Vec<ComponentView>,
    /// The pulse round the pulse component came from.
    pub pulse_round_id: Option<i64>,
}

/// Two decimals: enough to check by hand, no false precision.
fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub use roundtable_domain::health::band;

pub fn health_view(health: &Health, pulse_round_id: Option<i64>) -> HealthView {
    HealthView {
        score: health.score.map(round),
        band: band(health.score).to_owned(),
        components: health.components.iter().map(ComponentView::from).collect(),
        pulse_round_id,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InputQualityView {
    /// How the provider rated what the consumer gave it, on requests resolved in the window.
    pub complete: i64,
    pub partial: i64,
    pub poor: i64,
    /// complete 100, partial 50, poor 0; the mean.
    pub score: Option<f64>,
}

impl From<InputQuality> for InputQualityView {
    fn from(quality: InputQuality) -> Self {
        InputQualityView {
            complete: quality.complete,
            partial: quality.partial,
            poor: quality.poor,
            score: quality.score().map(round),
        }
    }
}

pub fn cell_health_view(cell: &CellHealth) -> HealthView {
    health_view(
        &cell.health,
        cell.pulse_source.as_ref().map(|source| source.round_id),
    )
}

/// [`cell_health_view`] without the components' words (the matrix explains
/// them once).
pub fn terse_cell_health_view(cell: &CellHealth) -> HealthView {
    HealthView {
        score: cell.health.score.map(round),
        band: band(cell.health.score).to_owned(),
        components: cell
            .health
            .components
            .iter()
            .map(ComponentView::terse)
            .collect(),
        pulse_round_id: cell.pulse_source.as_ref().map(|source| source.round_id),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// 1 to 730 days; default 90.
    #[param(minimum = 1, maximum = 730)]
    pub window_days: Option<i64>,
    /// Weeks of trend, 1 to 104; default 12.
    #[param(minimum = 1, maximum = 104)]
    pub weeks: Option<usize>,
}

pub fn window_days(requested: Option<i64>) -> Result<i64, ApiError> {
    Ok(health::window_days(requested)?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPointView {
    pub week_ending: String,
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CellDetail {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    pub window_days: i64,
    pub health: HealthView,
    pub input_quality: InputQualityView,
    /// Health at the end of each week over the same window length, oldest first.
    pub trend: Vec<TrendPointView>,
    /// The cell in its latest closed pulse round, "not enough responses" below the threshold.
    pub pulse: Option<CellResultView>,
}

/// The two departments of a cell's address, `{provider_id}/{consumer_id}`;
/// a segment that is not a record id is a validation problem naming it.
#[derive(Debug, Clone, Copy)]
pub struct CellAddress {
    pub provider: i64,
    pub consumer: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for CellAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((provider, consumer)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::invalid("provider_id", "must be a record id"))?;
        Ok(CellAddress {
            provider: parse_record_id("provider_id", &provider)?,
            consumer: parse_record_id("consumer_id", &consumer)?,
        })
    }
}

/// One cell of the matrix in detail: health explained, input quality, the
/// weekly trend and its latest pulse result.
#[utoipa::path(
    get, path = "/matrix/cells/{provider_id}/{consumer_id}", tag = "matrix",
    params(("provider_id" = i64, Path), ("consumer_id" = i64, Path), WindowQuery),
    responses((status = 200, body = CellDetail), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn cell_detail(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    CellAddress { provider, consumer }: CellAddress,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> Result<Json<CellDetail>, ApiError> {
    let detail = health::cell_detail(
        &Caller::new(&state.store, &actor),
        provider,
        consumer,
        query.window_days,
        query.weeks,
    )
    .await?;
    Ok(Json(CellDetail::from(detail)))
}

impl From<health::CellDetail> for CellDetail {
    fn from(detail: health::CellDetail) -> Self {
        CellDetail {
            provider_department_id: detail.provider.0,
            consumer_department_id: detail.consumer.0,
            window_days: detail.window_days,
            health: cell_health_view(&detail.health),
            input_quality: detail.health.input_quality.into(),
            trend: detail
                .trend
                .iter()
                .map(|point| TrendPointView {
                    week_ending: point.week_ending.to_string(),
                    score: point.score.map(round),
                })
                .collect(),
            pulse: detail.pulse.as_ref().map(CellResultView::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardCell {
    /// The other department of the cell.
    pub department_id: i64,
    pub department_name: String,
    pub health: HealthView,
    pub input_quality: InputQualityView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardSide {
    /// Health of the cells on this side that have a score, weighted equally.
    pub average_health: Option<f64>,
    pub cells: Vec<ScorecardCell>,
    /// The department's aggregate in the latest closed pulse round, when it may be shown.
    pub pulse: Option<DepartmentResultView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Scorecard {
    pub department_id: i64,
    pub department_name: String,
    pub window_days: i64,
    /// How it serves its internal customers (it is the provider).
    pub as_provider: ScorecardSide,
    /// How it is served (it is the consumer); `input_quality` here is how its
    /// providers rated what it gave them — its reciprocal obligations.
    pub as_consumer: ScorecardSide,
    /// Thanks over the window: received from and given to other departments,
    /// and recognitions of mutual measures it reached together with others.
    pub kudos: ScorecardKudos,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardKudos {
    pub received: i64,
    pub given: i64,
    pub recognitions: i64,
    /// Times its people were credited on resolved requests (counted by
    /// their department when credited).
    pub credits: i64,
}

fn side(cells: Vec<health::ScorecardCell>, pulse: Option<DepartmentResultView>) -> ScorecardSide {
    let cells: Vec<ScorecardCell> = cells
        .into_iter()
        .map(|cell| ScorecardCell {
            department_id: cell.other.0,
            department_name: cell.other_name,
            health: cell_health_view(&cell.health),
            input_quality: cell.health.input_quality.into(),
        })
        .collect();
    let scores: Vec<f64> = cells.iter().filter_map(|cell| cell.health.score).collect();
    ScorecardSide {
        average_health: (!scores.is_empty())
            .then(|| round(scores.iter().sum::<f64>() / scores.len() as f64)),
        cells,
        pulse,
    }
}

/// A department's scorecard: its cells as provider and as consumer.
#[utoipa::path(
    get, path = "/departments/{id}/scorecard", tag = "departments", params(("id" = i64, Path), WindowQuery),
    responses((status = 200, body = Scorecard), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn scorecard(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> Result<Json<Scorecard>, ApiError> {
    let card = health::scorecard(&Caller::new(&state.store, &actor), id, query.window_days).await?;
    Ok(Json(Scorecard::from(card)))
}

impl From<health::Scorecard> for Scorecard {
    fn from(card: health::Scorecard) -> Self {
        Scorecard {
            kudos: ScorecardKudos {
                received: card.kudos.received,
                given: card.kudos.given,
                recognitions: card.kudos.recognitions,
                credits: card.credits,
            },
            department_id: card.department.id.0,
            department_name: card.department.name,
            window_days: card.window_days,
            as_provider: side(
                card.as_provider,
                card.provider_pulse.as_ref().map(DepartmentResultView::from),
            ),
            as_consumer: side(
                card.as_consumer,
                card.consumer_pulse.as_ref().map(DepartmentResultView::from),
            ),
        }
    }
}
