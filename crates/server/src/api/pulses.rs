//! `/api/v1/pulses`: relationship pulse rounds, answering them (consumers
//! rate their provider; the provider rates itself: the mirror), and their
//! results once closed.
//!
//! Results come only from `Scoped::pulse_results`, which has already withheld
//! every aggregate under the anonymity threshold; filters here pick from that
//! one decision and cannot widen it.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, OptionalIfMatch, Page, PageQuery, RecordId, with_etag};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use roundtable_app::Caller;
use roundtable_app::pulses::{self, Answer, NewRound};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::pulses::{CellScores, Dimension, Ratings};
use roundtable_store::pulses::{
    CellResult, DepartmentResult, PulseInvitation, PulseRound, RoundResults,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rounds, create_round))
        .routes(routes!(get_round))
        .routes(routes!(close_round))
        .routes(routes!(respond))
        .routes(routes!(results))
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, Copy)]
pub struct CellRef {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// `consumer`: rate the provider (expectation, perception, importance);
    /// `provider`: rate yourselves (perception only), the mirror.
    pub side: String,
    pub answered: bool,
}

impl From<PulseInvitation> for InvitationView {
    fn from(invitation: PulseInvitation) -> Self {
        InvitationView {
            provider_department_id: invitation.provider.0,
            consumer_department_id: invitation.consumer.0,
            side: invitation.side.to_owned(),
            answered: invitation.answered,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundView {
    pub id: i64,
    pub name: String,
    /// `scheduled`, `open` or `closed`.
    pub status: String,
    pub opens_at: String,
    pub closes_at: String,
    pub closed_at: Option<String>,
    pub cells: Vec<CellRef>,
    /// The cells the caller is asked about (present on a single round).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_cells: Option<Vec<InvitationView>>,
    pub version: i64,
    pub created_at: String,
}

fn round_view(
    round: PulseRound,
    my_cells: Option<Vec<InvitationView>>,
    now: Timestamp,
) -> RoundView {
    RoundView {
        id: round.id,
        status: round.status(now).as_str().to_owned(),
        name: round.name,
        opens_at: round.opens_at.to_string(),
        closes_at: round.closes_at.to_string(),
        closed_at: round.closed_at.map(|at| at.to_string()),
        cells: round
            .cells
            .iter()
            .map(|(provider, consumer)| CellRef {
                provider_department_id: provider.0,
                consumer_department_id: consumer.0,
            })
            .collect(),
        my_cells,
        version: round.version,
        created_at: round.created_at.to_string(),
    }
}

pub type RoundPage = Page<RoundView>;

/// Pulse rounds, newest first.
#[utoipa::path(
    get, path = "/pulses", tag = "pulses", params(PageQuery),
    responses((status = 200, body = RoundPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_rounds(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<RoundPage>, ApiError> {
    let listing = pulses::list(&Caller::new(&state.store, &actor), query.to_page()?).await?;
    let now = Timestamp::now();
    Ok(Json(Page::from_listing(listing, |round| {
        round_view(round, None, now)
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoundBody {
    /// Unique, 1 to 200 characters, e.g. "2027-Q1 pulse".
    pub name: String,
    /// RFC 3339; default now.
    pub opens_at: Option<String>,
    /// RFC 3339, after `opens_at`.
    pub closes_at: String,
    /// The cells to ask about; default every agreed cell.
    pub cells: Option<Vec<CellRef>>,
}

/// Opens (or schedules) a pulse round over agreed cells.
#[utoipa::path(
    post, path = "/pulses", tag = "pulses", request_body = NewRoundBody,
    responses((status = 201, body = RoundView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_round(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<NewRoundBody>,
) -> Result<Response, ApiError> {
    let round = pulses::open(
        &Caller::new(&state.store, &actor),
        NewRound {
            name: input.name,
            opens_at: input.opens_at,
            closes_at: input.closes_at,
            cells: input.cells.map(|cells| {
                cells
                    .iter()
                    .map(|cell| (cell.provider_department_id, cell.consumer_department_id))
                    .collect()
            }),
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        round.version,
        round_view(round, None, Timestamp::now()),
    ))
}

/// One round, with the cells the caller is asked about.
#[utoipa::path(
    get, path = "/pulses/{id}", tag = "pulses", params(("id" = i64, Path)),
    responses((status = 200, body = RoundView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_round(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let (round, invitations) = pulses::get(&Caller::new(&state.store, &actor), id).await?;
    let mine = invitations.into_iter().map(InvitationView::from).collect();
    Ok(with_etag(
        StatusCode::OK,
        round.version,
        round_view(round, Some(mine), Timestamp::now()),
    ))
}

/// Closes an open round now; its results become readable.
#[utoipa::path(
    post, path = "/pulses/{id}/close", tag = "pulses", params(("id" = i64, Path)),
    responses((status = 200, body = RoundView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn close_round(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<Response, ApiError> {
    let round = pulses::close(&Caller::new(&state.store, &actor), id, version).await?;
    Ok(with_etag(
        StatusCode::OK,
        round.version,
        round_view(round, None, Timestamp::now()),
    ))
}

/// Ratings on the five dimensions.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct DimensionRatings {
    pub reliability: i64,
    pub responsiveness: i64,
    pub assurance: i64,
    pub empathy: i64,
    pub tangibles: i64,
}

impl DimensionRatings {
    pub fn ratings(self) -> Ratings {
        [
            self.reliability,
            self.responsiveness,
            self.assurance,
            self.empathy,
            self.tangibles,
        ]
    }

    fn from_ratings(ratings: [f64; 5]) -> DimensionScoresView {
        let [reliability, responsiveness, assurance, empathy, tangibles] = ratings;
        DimensionScoresView {
            reliability,
            responsiveness,
            assurance,
            empathy,
            tangibles,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionScoresView {
    pub reliability: f64,
    pub responsiveness: f64,
    pub assurance: f64,
    pub empathy: f64,
    pub tangibles: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// Consumer side only: what you expect, 1 to 7 per dimension.
    pub expectation: Option<DimensionRatings>,
    /// How it is (consumer side) or how you see yourselves (provider side), 1 to 7.
    pub perception: DimensionRatings,
    /// Consumer side only: 100 points split across the dimensions.
    pub importance: Option<DimensionRatings>,
    /// Optional, up to 5000 characters; shown only with the aggregate, unattributed.
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseRecorded {
    pub round_id: i64,
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// Always true; the answer itself is never shown back, to anyone.
    pub recorded: bool,
}

/// Answers about one cell of an open round, once per person and cell.
#[utoipa::path(
    post, path = "/pulses/{id}/responses", tag = "pulses", request_body = ResponseBody, params(("id" = i64, Path)),
    responses((status = 201, body = ResponseRecorded), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn respond(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<ResponseBody>,
) -> Result<(StatusCode, Json<ResponseRecorded>), ApiError> {
    pulses::respond(
        &Caller::new(&state.store, &actor),
        id,
        Answer {
            provider_department_id: input.provider_department_id,
            consumer_department_id: input.consumer_department_id,
            expectation: input.expectation.map(DimensionRatings::ratings),
            perception: input.perception.ratings(),
            importance: input.importance.map(DimensionRatings::ratings),
            comment: input.comment,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ResponseRecorded {
            round_id: id,
            provider_department_id: input.provider_department_id,
            consumer_department_id: input.consumer_department_id,
            recorded: true,
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoresView {
    /// Consumer perception mean per dimension (1–7).
    pub perception: DimensionScoresView,
    /// Consumer expectation mean per dimension (1–7).
    pub expectation: DimensionScoresView,
    /// Perception − expectation per dimension: negative where the provider falls short.
    pub service_gap: DimensionScoresView,
    /// Mean importance points per dimension.
    pub importance: DimensionScoresView,
    /// SERVQUAL's importance-weighted gap: per respondent Σ points/100 × gap, then the mean.
    pub importance_weighted_gap: f64,
    /// Mean of the perception means (1–7), and the same on 0–100 (the pulse component of health).
    pub perception_mean: f64,
    pub pulse_score: f64,
    /// Provider self-rating per dimension, when enough provider-side people answered.
    pub self_rating: Option<DimensionScoresView>,
    /// Self-rating − consumer perception per dimension: positive where the provider sees itself better.
    pub mirror_gap: Option<DimensionScoresView>,
    pub mirror_gap_mean: Option<f64>,
}

pub fn scores_view(scores: &CellScores) -> ScoresView {
    let pick = |value: &dyn Fn(usize) -> f64| -> [f64; 5] { std::array::from_fn(value) };
    let dimension = |index: usize| scores.dimensions.get(index);
    let value = |index: usize, field: fn(&roundtable_domain::pulses::DimensionScore) -> f64| {
        dimension(index).map_or(0.0, field)
    };
    let optional =
        |field: fn(&roundtable_domain::pulses::DimensionScore) -> Option<f64>| -> Option<[f64; 5]> {
            let values: Option<Vec<f64>> = (0..5)
                .map(|index| dimension(index).and_then(field))
                .collect();
            values.and_then(|values| <[f64; 5]>::try_from(values).ok())
        };
    ScoresView {
        perception: DimensionRatings::from_ratings(pick(&|index| {
            value(index, |score| score.perception_mean)
        })),
        expectation: DimensionRatings::from_ratings(pick(&|index| {
            value(index, |score| score.expectation_mean)
        })),
        service_gap: DimensionRatings::from_ratings(pick(&|index| {
            value(index, |score| score.service_gap)
        })),
        importance: DimensionRatings::from_ratings(pick(&|index| {
            value(index, |score| score.importance_mean)
        })),
        importance_weighted_gap: scores.importance_weighted_gap,
        perception_mean: scores.perception_mean,
        pulse_score: scores.pulse_score,
        self_rating: optional(|score| score.self_rating_mean).map(DimensionRatings::from_ratings),
        mirror_gap: optional(|score| score.mirror_gap).map(DimensionRatings::from_ratings),
        mirror_gap_mean: scores.mirror_gap,
    }
}

pub const NOT_ENOUGH: &str = "not enough responses";

#[derive(Debug, Serialize, ToSchema)]
pub struct CellResultView {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// Whether the aggregate rests on at least the anonymity threshold of people.
    pub disclosed: bool,
    /// "not enough responses" when withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub respondents: Option<i64>,
    pub self_respondents: Option<i64>,
    pub scores: Option<ScoresView>,
    /// Consumer comments, unattributed, in an order unrelated to who wrote them.
    pub comments: Vec<String>,
    pub self_comments: Vec<String>,
}

impl From<&CellResult> for CellResultView {
    fn from(cell: &CellResult) -> Self {
        CellResultView {
            provider_department_id: cell.provider.0,
            consumer_department_id: cell.consumer.0,
            disclosed: cell.disclosed,
            note: (!cell.disclosed).then(|| NOT_ENOUGH.to_owned()),
            respondents: cell.respondents,
            self_respondents: cell.self_respondents,
            scores: cell.scores.as_ref().map(scores_view),
            comments: cell.comments.clone(),
            self_comments: cell.self_comments.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentResultView {
    pub department_id: i64,
    pub disclosed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub respondents: Option<i64>,
    pub scores: Option<ScoresView>,
}

impl From<&DepartmentResult> for DepartmentResultView {
    fn from(result: &DepartmentResult) -> Self {
        DepartmentResultView {
            department_id: result.department.0,
            disclosed: result.disclosed,
            note: (!result.disclosed).then(|| NOT_ENOUGH.to_owned()),
            respondents: result.respondents,
            scores: result.scores.as_ref().map(scores_view),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsView {
    pub round: RoundView,
    /// Aggregates resting on fewer people than this are never shown.
    pub anonymity_threshold: i64,
    pub dimensions: Vec<String>,
    pub cells: Vec<CellResultView>,
    /// How each provider is seen across its consumers.
    pub as_provider: Vec<DepartmentResultView>,
    /// How each consumer rates its providers overall.
    pub as_consumer: Vec<DepartmentResultView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    pub provider_department_id: Option<i64>,
    pub consumer_department_id: Option<i64>,
}

pub fn results_view(results: &RoundResults, query: &ResultsQuery, now: Timestamp) -> ResultsView {
    let provider = query.provider_department_id;
    let consumer = query.consumer_department_id;
    let wanted =
        |department: DepartmentId, filter: Option<i64>| filter.is_none_or(|id| id == department.0);
    ResultsView {
        round: round_view(results.round.clone(), None, now),
        anonymity_threshold: results.threshold,
        dimensions: Dimension::ALL
            .iter()
            .map(|dimension| dimension.as_str().to_owned())
            .collect(),
        cells: results
            .cells
            .iter()
            .filter(|cell| wanted(cell.provider, provider) && wanted(cell.consumer, consumer))
            .map(CellResultView::from)
            .collect(),
        as_provider: results
            .as_provider
            .iter()
            .filter(|result| wanted(result.department, provider) && consumer.is_none())
            .map(DepartmentResultView::from)
            .collect(),
        as_consumer: results
            .as_consumer
            .iter()
            .filter(|result| wanted(result.department, consumer) && provider.is_none())
            .map(DepartmentResultView::from)
            .collect(),
    }
}

/// The results of a closed round: means, gaps, the importance-weighted gap
/// and the mirror gap per cell and dimension; aggregates resting on fewer
/// people than the threshold read "not enough responses".
#[utoipa::path(
    get, path = "/pulses/{id}/results", tag = "pulses", params(("id" = i64, Path), ResultsQuery),
    responses((status = 200, body = ResultsView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn results(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiQuery(query): ApiQuery<ResultsQuery>,
) -> Result<Json<ResultsView>, ApiError> {
    let results = pulses::results(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(results_view(&results, &query, Timestamp::now())))
}
