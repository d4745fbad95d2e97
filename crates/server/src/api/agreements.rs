//! `/api/v1/agreements`: the cells of the matrix. An agreement names the
//! services from a provider to a consumer and what the consumer owes back; it
//! comes into force when the leads of both departments accept it. Every
//! handler is an adapter around `app::agreements`.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, RecordId, with_etag};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use roundtable_app::Caller;
use roundtable_app::agreements::{self, Draft, Edit, ObligationInput, ReviewInput};
use roundtable_app::input::today;
use roundtable_domain::agreements::review_schedule;
use roundtable_domain::ids::DepartmentId;
use roundtable_store::agreements::{Agreement, AgreementFilter, AgreementReview, AgreementVersion};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agreements, create_agreement))
        .routes(routes!(get_agreement, update_agreement, delete_agreement))
        .routes(routes!(propose_agreement))
        .routes(routes!(accept_agreement))
        .routes(routes!(list_agreement_versions))
        .routes(routes!(list_agreement_reviews, review_agreement))
}

/// Something the consumer owes the provider back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObligationBody {
    #[schema(
        example = "Feedback on every lead: accepted, rejected (with the reason) or converted"
    )]
    pub description: String,
    #[schema(example = 5)]
    pub due_within_business_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementVersionView {
    pub number: i64,
    /// `draft`, `proposed`, `agreed` (in force) or `superseded`.
    pub status: String,
    pub service_ids: Vec<i64>,
    /// What the consumer owes the provider back.
    pub obligations: Vec<ObligationBody>,
    pub notes: String,
    pub created_by: Option<i64>,
    pub created_at: String,
    pub proposed_by: Option<i64>,
    pub proposed_at: Option<String>,
    pub provider_accepted_by: Option<i64>,
    pub provider_accepted_at: Option<String>,
    pub consumer_accepted_by: Option<i64>,
    pub consumer_accepted_at: Option<String>,
    pub agreed_at: Option<String>,
}

impl From<AgreementVersion> for AgreementVersionView {
    fn from(version: AgreementVersion) -> Self {
        let text = |instant: Option<jiff::Timestamp>| instant.map(|instant| instant.to_string());
        AgreementVersionView {
            number: version.number,
            status: version.status.as_str().to_owned(),
            service_ids: version.service_ids,
            obligations: version
                .obligations
                .into_iter()
                .map(|obligation| ObligationBody {
                    description: obligation.description,
                    due_within_business_days: obligation.due_within_business_days,
                })
                .collect(),
            notes: version.notes,
            created_by: version.created_by.map(|person| person.0),
            created_at: version.created_at.to_string(),
            proposed_by: version.proposed_by.map(|person| person.0),
            proposed_at: text(version.proposed_at),
            provider_accepted_by: version.provider_accepted_by.map(|person| person.0),
            provider_accepted_at: text(version.provider_accepted_at),
            consumer_accepted_by: version.consumer_accepted_by.map(|person| person.0),
            consumer_accepted_at: text(version.consumer_accepted_at),
            agreed_at: text(version.agreed_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub id: i64,
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// The status of the newest version.
    pub status: String,
    pub current_version: i64,
    /// The version in force; an agreed agreement stays in force while a change is discussed.
    pub agreed_version: Option<i64>,
    /// `monthly`, `quarterly`, `half_yearly` or `yearly`.
    pub review_cadence: String,
    pub last_reviewed_on: Option<String>,
    pub next_review_on: Option<String>,
    pub review_overdue: bool,
    /// The newest version.
    pub current: AgreementVersionView,
    /// Send as `If-Match` when updating, proposing or accepting.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub fn view(agreement: Agreement, today: Date) -> AgreementView {
    let schedule = agreement
        .last_reviewed_on
        .map(|last| review_schedule(last, agreement.review_cadence, today));
    AgreementView {
        id: agreement.id,
        provider_department_id: agreement.provider_department_id.0,
        consumer_department_id: agreement.consumer_department_id.0,
        status: agreement.current.status.as_str().to_owned(),
        current_version: agreement.current_version,
        agreed_version: agreement.agreed_version,
        review_cadence: agreement.review_cadence.as_str().to_owned(),
        last_reviewed_on: agreement.last_reviewed_on.map(|date| date.to_string()),
        next_review_on: schedule.map(|schedule| schedule.next_review_on.to_string()),
        review_overdue: schedule.is_some_and(|schedule| schedule.overdue),
        current: AgreementVersionView::from(agreement.current),
        version: agreement.version,
        created_at: agreement.created_at.to_string(),
        updated_at: agreement.updated_at.to_string(),
    }
}

fn respond(status: StatusCode, agreement: Agreement) -> Response {
    let version = agreement.version;
    with_etag(status, version, view(agreement, today()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgreement {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// Defaults to `quarterly`.
    pub review_cadence: Option<String>,
    /// Services of the provider offered to the consumer.
    #[serde(default)]
    pub service_ids: Vec<i64>,
    #[serde(default)]
    pub obligations: Vec<ObligationBody>,
    #[serde(default)]
    pub notes: String,
}

/// Only the fields present change. Changing an agreed agreement starts a new
/// version that both sides must accept again; the agreed one stays in force.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgreement {
    pub review_cadence: Option<String>,
    pub service_ids: Option<Vec<i64>>,
    pub obligations: Option<Vec<ObligationBody>>,
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// Defaults to today.
    pub reviewed_on: Option<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AgreementReviewView)]
pub struct ReviewView {
    pub id: i64,
    /// The agreed version that was reviewed.
    pub version_number: i64,
    pub reviewed_on: String,
    pub reviewer_person_id: Option<i64>,
    pub notes: String,
    pub created_at: String,
}

impl From<AgreementReview> for ReviewView {
    fn from(review: AgreementReview) -> Self {
        ReviewView {
            id: review.id,
            version_number: review.version_number,
            reviewed_on: review.reviewed_on.to_string(),
            reviewer_person_id: review.reviewer_person_id.map(|person| person.0),
            notes: review.notes,
            created_at: review.created_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    pub provider_department_id: Option<i64>,
    pub consumer_department_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type AgreementPage = Page<AgreementView>;

fn obligation_inputs(input: Vec<ObligationBody>) -> Vec<ObligationInput> {
    input
        .into_iter()
        .map(|obligation| ObligationInput {
            description: obligation.description,
            due_within_business_days: obligation.due_within_business_days,
        })
        .collect()
}

impl From<CreateAgreement> for Draft {
    fn from(input: CreateAgreement) -> Draft {
        Draft {
            provider_department_id: input.provider_department_id,
            consumer_department_id: input.consumer_department_id,
            review_cadence: input.review_cadence,
            service_ids: input.service_ids,
            obligations: obligation_inputs(input.obligations),
            notes: input.notes,
        }
    }
}

impl UpdateAgreement {
    /// The use case's input, at the version the caller read.
    pub fn edit(self, expected_version: i64) -> Edit {
        Edit {
            review_cadence: self.review_cadence,
            service_ids: self.service_ids,
            obligations: self.obligations.map(obligation_inputs),
            notes: self.notes,
            expected_version,
        }
    }
}

impl From<ReviewBody> for ReviewInput {
    fn from(input: ReviewBody) -> ReviewInput {
        ReviewInput {
            reviewed_on: input.reviewed_on,
            notes: input.notes,
        }
    }
}

/// Lists agreements, optionally of one provider or consumer.
#[utoipa::path(
    get, path = "/agreements", tag = "agreements", params(AgreementQuery),
    responses((status = 200, body = AgreementPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_agreements(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<AgreementQuery>,
) -> Result<Json<AgreementPage>, ApiError> {
    let page = crate::extract::PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let filter = AgreementFilter {
        provider_department_id: query.provider_department_id.map(DepartmentId),
        consumer_department_id: query.consumer_department_id.map(DepartmentId),
    };
    let listing = agreements::list(&Caller::new(&state.store, &actor), filter, page).await?;
    let today = today();
    Ok(Json(Page::from_listing(listing, |agreement| {
        view(agreement, today)
    })))
}

/// Drafts the agreement of a provider → consumer cell (leads of either side, administrators).
#[utoipa::path(
    post, path = "/agreements", tag = "agreements", request_body = CreateAgreement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(
        (status = 201, body = AgreementView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateAgreement>,
) -> Result<Response, ApiError> {
    let agreement = agreements::draft(&Caller::new(&state.store, &actor), input.into()).await?;
    Ok(respond(StatusCode::CREATED, agreement))
}

/// Reads one agreement with its newest version.
#[utoipa::path(
    get, path = "/agreements/{id}", tag = "agreements", params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let agreement = agreements::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(respond(StatusCode::OK, agreement))
}

/// Changes an agreement (leads of either side, administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/agreements/{id}", tag = "agreements", request_body = UpdateAgreement,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = AgreementView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateAgreement>,
) -> Result<Response, ApiError> {
    let agreement =
        agreements::change(&Caller::new(&state.store, &actor), id, input.edit(version)).await?;
    Ok(respond(StatusCode::OK, agreement))
}

/// Deletes an agreement that was never in force (leads of either side, administrators).
#[utoipa::path(
    delete, path = "/agreements/{id}", tag = "agreements",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    agreements::delete(&Caller::new(&state.store, &actor), id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts the newest (draft) version to both sides' leads for acceptance.
#[utoipa::path(
    post, path = "/agreements/{id}/propose", tag = "agreements",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "Propose only the version you read")),
    responses(
        (status = 200, body = AgreementView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "Not a draft", body = Problem),
        (status = 412, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn propose_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<Response, ApiError> {
    let agreement = agreements::propose(&Caller::new(&state.store, &actor), id, version).await?;
    Ok(respond(StatusCode::OK, agreement))
}

/// Accepts the proposed version for the side(s) the caller leads; agreed once both sides accepted.
#[utoipa::path(
    post, path = "/agreements/{id}/accept", tag = "agreements",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "Accept only the version you read")),
    responses(
        (status = 200, body = AgreementView, headers(("ETag" = String))),
        (status = 403, description = "Not a lead of either department", body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Not proposed, or already accepted by this side", body = Problem),
        (status = 412, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn accept_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<Response, ApiError> {
    let agreement =
        agreements::accept(&Caller::new(&state.store, &actor), id, version, today()).await?;
    Ok(respond(StatusCode::OK, agreement))
}

/// Every version of the agreement, oldest first.
#[utoipa::path(
    get, path = "/agreements/{id}/versions", tag = "agreements", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AgreementVersionView>), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_agreement_versions(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<Vec<AgreementVersionView>>, ApiError> {
    let versions = agreements::versions(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(AgreementVersionView::from)
            .collect(),
    ))
}

/// The reviews of the agreement, newest first.
#[utoipa::path(
    get, path = "/agreements/{id}/reviews", tag = "agreements", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ReviewView>), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_agreement_reviews(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<Vec<ReviewView>>, ApiError> {
    let reviews = agreements::reviews(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(reviews.into_iter().map(ReviewView::from).collect()))
}

/// Records a review of the agreement in force; the next review falls one cadence later.
#[utoipa::path(
    post, path = "/agreements/{id}/reviews", tag = "agreements", request_body = ReviewBody,
    params(("id" = i64, Path)),
    responses(
        (status = 201, body = ReviewView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Nothing in force to review", body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn review_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<ReviewBody>,
) -> Result<(StatusCode, Json<ReviewView>), ApiError> {
    let review = agreements::review(
        &Caller::new(&state.store, &actor),
        id,
        input.into(),
        today(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ReviewView::from(review))))
}
