//! `/api/v1/organization`: the caller's own organization and its settings.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, IfMatch, explicit_null, with_etag};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::organization::{self as app, SettingsEdit};
use roundtable_store::organizations::Organization;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_organization, update_organization))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The calendar of departments that name none.
    pub default_calendar_id: Option<i64>,
    /// Service-level clocks count as at risk from this share of their target (percent, default 75).
    pub at_risk_percent: i64,
    /// The anonymity threshold k (at least 3, default 5): pulse aggregates resting on fewer people are never shown.
    pub anonymity_threshold: i64,
    /// Nobody is asked for a satisfaction check more than once per this many days (default 7).
    pub check_fatigue_days: i64,
    /// What a completed check or pulse response earns: `none`, `points` or `coupon`.
    pub thank_you_kind: String,
    /// Points per completed response when `thank_you_kind` is `points`.
    pub thank_you_points: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Organization> for OrganizationView {
    fn from(organization: Organization) -> Self {
        OrganizationView {
            id: organization.id.0,
            slug: organization.slug,
            name: organization.name,
            default_calendar_id: organization.default_calendar_id.map(|calendar| calendar.0),
            at_risk_percent: organization.at_risk_percent,
            anonymity_threshold: organization.anonymity_threshold,
            check_fatigue_days: organization.check_fatigue_days,
            thank_you_kind: organization.thank_you_kind,
            thank_you_points: organization.thank_you_points,
            version: organization.version,
            created_at: organization.created_at.to_string(),
            updated_at: organization.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub default_calendar_id: Option<Option<i64>>,
    /// 1 to 99.
    pub at_risk_percent: Option<i64>,
    /// At least 3.
    pub anonymity_threshold: Option<i64>,
    /// 0 to 365.
    pub check_fatigue_days: Option<i64>,
    /// `none`, `points` or `coupon`.
    pub thank_you_kind: Option<String>,
    /// 0 to 100000.
    pub thank_you_points: Option<i64>,
}

/// Reads the caller's organization.
#[utoipa::path(
    get, path = "/organization", tag = "organization",
    responses((status = 200, body = OrganizationView, headers(("ETag" = String))), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_organization(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Response, ApiError> {
    let organization = app::get(&Caller::new(&state.store, &actor)).await?;
    Ok(with_etag(
        StatusCode::OK,
        organization.version,
        OrganizationView::from(organization),
    ))
}

/// Changes the organization's name or default calendar (administrators).
#[utoipa::path(
    patch, path = "/organization", tag = "organization", request_body = UpdateOrganization,
    params(("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = OrganizationView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_organization(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateOrganization>,
) -> Result<Response, ApiError> {
    let organization = app::update(
        &Caller::new(&state.store, &actor),
        SettingsEdit {
            name: input.name,
            default_calendar_id: input.default_calendar_id,
            at_risk_percent: input.at_risk_percent,
            anonymity_threshold: input.anonymity_threshold,
            check_fatigue_days: input.check_fatigue_days,
            thank_you_kind: input.thank_you_kind,
            thank_you_points: input.thank_you_points,
        },
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        organization.version,
        OrganizationView::from(organization),
    ))
}
