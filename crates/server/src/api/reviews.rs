//! `/api/v1/reviews`: alignment reviews per period, with decisions and
//! actions, and `GET /api/v1/reviews/{id}/agenda`, generated from the data
//! whenever it is read: off-track objectives of the period, the lowest-health
//! cells, the largest perception gaps, the top-voted open topics and the
//! overdue actions (`app::reviews::agenda`). Every section is always
//! present, empty when it has no data.

use super::objectives::ObjectiveView;
use super::sessions::ActionView;
use super::topics::TopicView;
use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, IfMatch, Page, PageQuery, RecordId, explicit_null, with_etag};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::reviews::{self, Minutes, Opening};
use roundtable_app::{Caller, actions};
use roundtable_store::auth::Actor;
use roundtable_store::reviews::Review;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reviews, create_review))
        .routes(routes!(get_review, update_review))
        .routes(routes!(review_agenda))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: i64,
    #[schema(example = "2027-Q1")]
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    pub held_on: Option<String>,
    pub decisions: Vec<String>,
    /// The actions agreed at this review.
    pub actions: Vec<ActionView>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub(crate) async fn review_view(
    state: &AppState,
    actor: &Actor,
    review: Review,
) -> Result<ReviewView, ApiError> {
    let today = actions::today();
    let actions = reviews::actions(&Caller::new(&state.store, actor), review.id).await?;
    Ok(ReviewView {
        id: review.id,
        period: review.period.to_string(),
        period_start: review.period.start().to_string(),
        period_end: review.period.end().to_string(),
        held_on: review.held_on.map(|day| day.to_string()),
        decisions: review.decisions,
        actions: actions
            .into_iter()
            .map(|action| ActionView::new(action, today))
            .collect(),
        version: review.version,
        created_at: review.created_at.to_string(),
        updated_at: review.updated_at.to_string(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReview {
    #[schema(example = "2027-Q1")]
    pub period: String,
    pub held_on: Option<String>,
    #[serde(default)]
    pub decisions: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReview {
    /// `null` clears it.
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<String>)]
    pub held_on: Option<Option<String>>,
    /// Replaces all decisions.
    pub decisions: Option<Vec<String>>,
}

pub type ReviewPage = Page<ReviewView>;

/// Lists alignment reviews.
#[utoipa::path(
    get, path = "/reviews", tag = "objectives", params(PageQuery),
    responses((status = 200, body = ReviewPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_reviews(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    crate::extract::ApiQuery(query): crate::extract::ApiQuery<PageQuery>,
) -> Result<axum::Json<ReviewPage>, ApiError> {
    let listing = reviews::list(&Caller::new(&state.store, &actor), query.to_page()?).await?;
    let next_after = listing.next_after;
    let mut items = Vec::with_capacity(listing.items.len());
    for review in listing.items {
        items.push(review_view(&state, &actor, review).await?);
    }
    Ok(axum::Json(Page::from_listing(
        roundtable_store::Listing { items, next_after },
        |view| view,
    )))
}

/// Opens an alignment review for a period (executives and administrators).
#[utoipa::path(
    post, path = "/reviews", tag = "objectives", request_body = CreateReview,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = ReviewView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_review(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateReview>,
) -> Result<Response, ApiError> {
    let review = reviews::open(
        &Caller::new(&state.store, &actor),
        Opening {
            period: input.period,
            held_on: input.held_on,
            decisions: input.decisions,
        },
    )
    .await?;
    let version = review.version;
    Ok(with_etag(
        StatusCode::CREATED,
        version,
        review_view(&state, &actor, review).await?,
    ))
}

/// Reads one review with its decisions and actions.
#[utoipa::path(
    get, path = "/reviews/{id}", tag = "objectives", params(("id" = i64, Path)),
    responses((status = 200, body = ReviewView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_review(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let review = reviews::get(&Caller::new(&state.store, &actor), id).await?;
    let version = review.version;
    Ok(with_etag(
        StatusCode::OK,
        version,
        review_view(&state, &actor, review).await?,
    ))
}

/// Records decisions or the date held (executives and administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/reviews/{id}", tag = "objectives", request_body = UpdateReview,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = ReviewView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_review(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateReview>,
) -> Result<Response, ApiError> {
    let review = reviews::record(
        &Caller::new(&state.store, &actor),
        id,
        Minutes {
            held_on: input.held_on,
            decisions: input.decisions,
            expected_version: version,
        },
    )
    .await?;
    let version = review.version;
    Ok(with_etag(
        StatusCode::OK,
        version,
        review_view(&state, &actor, review).await?,
    ))
}

/// One provider → consumer cell the agenda points at.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaCell {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// The cell's health score, or the size of its perception gap.
    pub value: f64,
    /// Why it is on the agenda, in words.
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Agenda {
    pub review_id: i64,
    pub period: String,
    /// The date the agenda was generated for.
    pub as_of: String,
    /// Objectives of the review's period that are off track.
    pub off_track_objectives: Vec<ObjectiveView>,
    /// The matrix cells with the lowest relationship health.
    pub lowest_health_cells: Vec<AgendaCell>,
    /// The cells where provider and consumer see the relationship most differently.
    pub largest_perception_gaps: Vec<AgendaCell>,
    pub top_voted_open_topics: Vec<TopicView>,
    /// Unfinished actions past their due date, most overdue first.
    pub overdue_actions: Vec<ActionView>,
}

fn agenda_cell(cell: reviews::AgendaCell) -> AgendaCell {
    AgendaCell {
        provider_department_id: cell.provider.0,
        consumer_department_id: cell.consumer.0,
        value: cell.value,
        detail: cell.detail,
    }
}

/// The agenda as the API shows it (and the review page reads it).
pub fn agenda_view(agenda: reviews::Agenda) -> Agenda {
    let today = agenda.as_of;
    Agenda {
        review_id: agenda.review.id,
        period: agenda.review.period.to_string(),
        as_of: today.to_string(),
        off_track_objectives: agenda
            .off_track_objectives
            .into_iter()
            .map(|objective| ObjectiveView::of(objective, today))
            .collect(),
        lowest_health_cells: agenda
            .lowest_health_cells
            .into_iter()
            .map(agenda_cell)
            .collect(),
        largest_perception_gaps: agenda
            .largest_perception_gaps
            .into_iter()
            .map(agenda_cell)
            .collect(),
        top_voted_open_topics: super::topics::views(agenda.top_voted_open_topics),
        overdue_actions: agenda
            .overdue_actions
            .into_iter()
            .map(|action| ActionView::new(action, today))
            .collect(),
    }
}

/// The review's agenda, generated from the data now.
#[utoipa::path(
    get, path = "/reviews/{id}/agenda", tag = "objectives", params(("id" = i64, Path)),
    responses((status = 200, body = Agenda), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn review_agenda(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<axum::Json<Agenda>, ApiError> {
    let agenda = reviews::agenda(
        &Caller::new(&state.store, &actor),
        id,
        actions::today(),
        jiff::Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(agenda_view(agenda)))
}
