//! `/api/v1/checks`: the satisfaction checks a person has been asked, and
//! answering them; `/api/v1/thank-yous`: what answering earned, and the
//! coupon list administrators upload.
//!
//! A check is personal: only its respondent sees or answers it (anyone else
//! gets 404, as for a record that does not exist).

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, Page, PageQuery, RecordId};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use roundtable_app::Caller;
use roundtable_app::checks::{self, Answer};
use roundtable_store::checks::{AnsweredCheck, Check};
use roundtable_store::thank_you::LedgerEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_checks))
        .routes(routes!(get_check))
        .routes(routes!(answer_check))
        .routes(routes!(list_thank_yous))
        .routes(routes!(add_coupons))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    pub id: i64,
    pub request_id: i64,
    pub request_title: String,
    pub provider_department_id: i64,
    pub consumer_department_id: Option<i64>,
    pub service_id: Option<i64>,
    /// `pending`, `answered` or `expired`.
    pub status: String,
    pub question: String,
    pub created_at: String,
    pub expires_at: String,
    pub answered_at: Option<String>,
    /// `met`, `partly` or `not_met`.
    pub answer: Option<String>,
    pub rating: Option<i64>,
    pub comment: String,
}

pub const QUESTION: &str = "Did this meet your expectation?";

impl CheckView {
    pub fn new(check: Check, now: Timestamp) -> Self {
        CheckView {
            status: check.status(now).as_str().to_owned(),
            id: check.id,
            request_id: check.request_id,
            request_title: check.request_title,
            provider_department_id: check.provider_department_id.0,
            consumer_department_id: check.consumer_department_id.map(|department| department.0),
            service_id: check.service_id,
            question: QUESTION.to_owned(),
            created_at: check.created_at.to_string(),
            expires_at: check.expires_at.to_string(),
            answered_at: check.answered_at.map(|at| at.to_string()),
            answer: check.answer.map(|answer| answer.as_str().to_owned()),
            rating: check.rating,
            comment: check.comment,
        }
    }
}

pub type CheckPage = Page<CheckView>;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// `pending` (the default), `answered`, `expired` or `all`.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The caller's checks: by default those waiting for an answer.
#[utoipa::path(
    get, path = "/checks", tag = "checks", params(CheckQuery),
    responses((status = 200, body = CheckPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_checks(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<CheckQuery>,
) -> Result<Json<CheckPage>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let status = checks::parse_status_filter(query.status.as_deref())?;
    let listing = checks::list(&Caller::new(&state.store, &actor), status, page).await?;
    let now = Timestamp::now();
    Ok(Json(Page::from_listing(listing, |check| {
        CheckView::new(check, now)
    })))
}

/// One of the caller's checks.
#[utoipa::path(
    get, path = "/checks/{id}", tag = "checks", params(("id" = i64, Path)),
    responses((status = 200, body = CheckView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_check(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<CheckView>, ApiError> {
    let check = checks::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(CheckView::new(check, Timestamp::now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CheckAnswerBody)]
pub struct AnswerBody {
    /// `met`, `partly` or `not_met`.
    pub answer: String,
    /// Optional, 1 to 5.
    pub rating: Option<i64>,
    /// Optional, up to 5000 characters.
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CheckAnswerView)]
pub struct AnswerView {
    pub check: CheckView,
    /// The request went back to work because the answer was `not_met`.
    pub request_reopened: bool,
    /// The provider's leads who were told of a `not_met` answer.
    pub leads_told: Vec<i64>,
}

/// Answers one of the caller's checks, once. `not_met` reopens the request
/// (when its service says so) and tells the provider's leads.
#[utoipa::path(
    post, path = "/checks/{id}/answer", tag = "checks", request_body = AnswerBody, params(("id" = i64, Path)),
    responses((status = 200, body = AnswerView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn answer_check(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<AnswerBody>,
) -> Result<Json<AnswerView>, ApiError> {
    let answered = checks::answer(
        &Caller::new(&state.store, &actor),
        id,
        Answer {
            answer: input.answer,
            rating: input.rating,
            comment: input.comment,
        },
    )
    .await?;
    Ok(Json(AnswerView::from(answered)))
}

impl From<AnsweredCheck> for AnswerView {
    fn from(answered: AnsweredCheck) -> Self {
        AnswerView {
            check: CheckView::new(answered.check, Timestamp::now()),
            request_reopened: answered.reopened,
            leads_told: answered
                .leads_told
                .into_iter()
                .map(|person| person.0)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThankYouView {
    pub id: i64,
    pub person_id: i64,
    /// `check:<id>`, or `pulse:<round>` (the round only, never the cell; dated at its close).
    pub earned_for: String,
    /// `points`, `coupon`, or `none_left` when the coupon list ran out.
    pub reward: String,
    pub points: i64,
    pub coupon_code: Option<String>,
    pub issued_at: String,
}

impl From<LedgerEntry> for ThankYouView {
    fn from(entry: LedgerEntry) -> Self {
        ThankYouView {
            id: entry.id,
            person_id: entry.person_id.0,
            earned_for: entry.earned_for,
            reward: entry.reward,
            points: entry.points,
            coupon_code: entry.coupon_code,
            issued_at: entry.issued_at.to_string(),
        }
    }
}

pub type ThankYouPage = Page<ThankYouView>;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThankYouQuery {
    /// Administrators: everyone's entries when true; otherwise one's own.
    pub everyone: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The thank-you ledger: one's own entries (administrators may read all).
#[utoipa::path(
    get, path = "/thank-yous", tag = "checks", params(ThankYouQuery),
    responses((status = 200, body = ThankYouPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_thank_yous(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<ThankYouQuery>,
) -> Result<Json<ThankYouPage>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let listing = checks::thank_yous(
        &Caller::new(&state.store, &actor),
        query.everyone.unwrap_or(false),
        page,
    )
    .await?;
    Ok(Json(Page::from_listing(listing, ThankYouView::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponsBody {
    /// 1 to 10000 codes, each 1 to 200 characters.
    pub codes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CouponsView {
    pub added: u64,
    pub available: i64,
}

/// Adds coupon codes to the thank-you list (administrators).
#[utoipa::path(
    post, path = "/thank-yous/coupons", tag = "checks", request_body = CouponsBody,
    responses((status = 200, body = CouponsView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn add_coupons(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CouponsBody>,
) -> Result<Json<CouponsView>, ApiError> {
    let added = checks::add_coupons(&Caller::new(&state.store, &actor), input.codes).await?;
    Ok(Json(CouponsView {
        added: added.added,
        available: added.available,
    }))
}
