//! `/api/v1/agreements`: the cells of the matrix. An agreement names the
//! services from a provider to a consumer and what the consumer owes back; it
//! comes into force when the leads of both departments accept it.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, RecordId, with_etag};
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use roundtable_domain::ValidationErrors;
use roundtable_domain::agreements::{ReviewCadence, parse_obligations, review_schedule};
use roundtable_domain::ids::DepartmentId;
use roundtable_store::Scoped;
use roundtable_store::agreements::{
    Agreement, AgreementChanges, AgreementFilter, AgreementReview, AgreementVersion, NewAgreement,
};
use roundtable_store::departments::Department;
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

/// Today's date, for review schedules.
pub fn today() -> Date {
    jiff::Timestamp::now().to_zoned(TimeZone::UTC).date()
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

const MAX_NOTES: usize = 10_000;

fn obligations(
    errors: &mut ValidationErrors,
    input: Vec<ObligationBody>,
) -> Vec<roundtable_domain::agreements::Obligation> {
    let inputs = input
        .into_iter()
        .map(|obligation| (obligation.description, obligation.due_within_business_days))
        .collect();
    errors
        .check("obligations", parse_obligations(inputs))
        .unwrap_or_default()
}

fn notes(errors: &mut ValidationErrors, text: String) -> String {
    if text.chars().count() > MAX_NOTES {
        errors.push("notes", format!("must be at most {MAX_NOTES} characters"));
    }
    text.trim().to_owned()
}

async fn department(scoped: &Scoped<'_>, id: i64, field: &str) -> Result<Department, ApiError> {
    scoped
        .department(DepartmentId(id))
        .await
        .map_err(|error| match error {
            roundtable_store::StoreError::NotFound => {
                ApiError::invalid(field, "no such department")
            }
            other => other.into(),
        })
}

/// The agreement and its two departments, for the policy checks.
async fn with_sides(
    scoped: &Scoped<'_>,
    id: i64,
) -> Result<(Agreement, Department, Department), ApiError> {
    let agreement = scoped.agreement(id).await?;
    let provider = scoped.department(agreement.provider_department_id).await?;
    let consumer = scoped.department(agreement.consumer_department_id).await?;
    Ok((agreement, provider, consumer))
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
    let listing = state.scoped(&actor).list_agreements(filter, page).await?;
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
    let scoped = state.scoped(&actor);
    let provider = department(
        &scoped,
        input.provider_department_id,
        "provider_department_id",
    )
    .await?;
    let consumer = department(
        &scoped,
        input.consumer_department_id,
        "consumer_department_id",
    )
    .await?;
    policy::manage_agreement(&actor, &provider, &consumer)?;
    let mut errors = ValidationErrors::new();
    let review_cadence = match &input.review_cadence {
        Some(cadence) => errors.check("review_cadence", ReviewCadence::parse(cadence)),
        None => Some(ReviewCadence::Quarterly),
    };
    let obligations = obligations(&mut errors, input.obligations);
    let notes = notes(&mut errors, input.notes);
    let Some(review_cadence) = review_cadence else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let agreement = scoped
        .create_agreement(NewAgreement {
            provider_department_id: provider.id,
            consumer_department_id: consumer.id,
            review_cadence,
            service_ids: input.service_ids,
            obligations,
            notes,
        })
        .await?;
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
    Ok(respond(
        StatusCode::OK,
        state.scoped(&actor).agreement(id).await?,
    ))
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
    let scoped = state.scoped(&actor);
    let (_, provider, consumer) = with_sides(&scoped, id).await?;
    policy::manage_agreement(&actor, &provider, &consumer)?;
    let mut errors = ValidationErrors::new();
    let changes = AgreementChanges {
        review_cadence: crate::extract::parse_change(
            &mut errors,
            "review_cadence",
            input.review_cadence.as_deref(),
            ReviewCadence::parse,
        ),
        service_ids: input.service_ids.into(),
        obligations: input
            .obligations
            .map(|list| obligations(&mut errors, list))
            .into(),
        notes: input.notes.map(|text| notes(&mut errors, text)).into(),
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(respond(
        StatusCode::OK,
        scoped.update_agreement(id, changes, version).await?,
    ))
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
    let scoped = state.scoped(&actor);
    let (_, provider, consumer) = with_sides(&scoped, id).await?;
    policy::manage_agreement(&actor, &provider, &consumer)?;
    scoped.delete_agreement(id, version).await?;
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
    let scoped = state.scoped(&actor);
    let (_, provider, consumer) = with_sides(&scoped, id).await?;
    policy::manage_agreement(&actor, &provider, &consumer)?;
    Ok(respond(
        StatusCode::OK,
        scoped
            .propose_agreement(id, actor.person_id, version)
            .await?,
    ))
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
    let scoped = state.scoped(&actor);
    let (_, provider, consumer) = with_sides(&scoped, id).await?;
    let sides = policy::accepting_sides(&actor, &provider, &consumer)?;
    let agreement = scoped
        .accept_agreement(id, actor.person_id, sides, today(), version)
        .await?;
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
    let versions = state.scoped(&actor).agreement_versions(id).await?;
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
    let reviews = state.scoped(&actor).agreement_reviews(id).await?;
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
    let scoped = state.scoped(&actor);
    let (_, provider, consumer) = with_sides(&scoped, id).await?;
    policy::manage_agreement(&actor, &provider, &consumer)?;
    let today = today();
    let reviewed_on = match &input.reviewed_on {
        None => today,
        Some(text) => match text.trim().parse::<Date>() {
            Ok(date) if date <= today => date,
            Ok(_) => return Err(ApiError::invalid("reviewed_on", "cannot be in the future")),
            Err(_) => {
                return Err(ApiError::invalid(
                    "reviewed_on",
                    "must be a date as YYYY-MM-DD",
                ));
            }
        },
    };
    let mut errors = ValidationErrors::new();
    let notes = notes(&mut errors, input.notes);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let review = scoped
        .review_agreement(id, reviewed_on, notes, Some(actor.person_id))
        .await?;
    Ok((StatusCode::CREATED, Json(ReviewView::from(review))))
}
