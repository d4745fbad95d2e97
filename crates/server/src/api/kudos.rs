//! `/api/v1/kudos`: thanks from a person to a person and/or a department,
//! with an optional link and value tag, in a public feed (newest first).
//! Recognitions of reached mutual measures appear in the same feed, from no
//! person, one per contributing department.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, Page, PageQuery, RecordId};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use roundtable_app::Caller;
use roundtable_app::kudos::{self, Link, Thanks};
use roundtable_domain::ids::DepartmentId;
use roundtable_store::kudos::Kudos;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_kudos, give_kudos))
        .routes(routes!(get_kudos))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KudosLink {
    /// `request`, `service`, `action` or `measure`.
    pub kind: String,
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KudosView {
    pub id: i64,
    /// Absent on a recognition of a reached mutual measure.
    pub giver_person_id: Option<i64>,
    /// The giver's department when the kudos was given.
    pub giver_department_id: Option<i64>,
    pub receiver_person_id: Option<i64>,
    pub receiver_department_id: Option<i64>,
    /// Names as they are now, for the feed.
    pub giver_name: Option<String>,
    pub receiver_person_name: Option<String>,
    pub receiver_department_name: Option<String>,
    pub message: String,
    pub link: Option<KudosLink>,
    #[schema(example = "customer_first")]
    pub value_tag: Option<String>,
    /// True for a recognition: every department of a mutual measure credited together.
    pub recognition: bool,
    pub recognized_measure_id: Option<i64>,
    pub created_at: String,
}

impl From<Kudos> for KudosView {
    fn from(kudos: Kudos) -> Self {
        KudosView {
            id: kudos.id,
            giver_person_id: kudos.giver_person_id.map(|person| person.0),
            giver_department_id: kudos.giver_department_id.map(|department| department.0),
            receiver_person_id: kudos.receiver_person_id.map(|person| person.0),
            receiver_department_id: kudos.receiver_department_id.map(|department| department.0),
            giver_name: kudos.giver_name,
            receiver_person_name: kudos.receiver_person_name,
            receiver_department_name: kudos.receiver_department_name,
            message: kudos.message,
            link: kudos.link.map(|(kind, id)| KudosLink {
                kind: kind.as_str().to_owned(),
                id,
            }),
            value_tag: kudos.value_tag,
            recognition: kudos.recognized_measure_id.is_some(),
            recognized_measure_id: kudos.recognized_measure_id,
            created_at: kudos.created_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveKudos {
    /// A person, a department, or both.
    pub receiver_person_id: Option<i64>,
    pub receiver_department_id: Option<i64>,
    #[schema(example = "Thanks for turning the pricing sheet around in an hour")]
    pub message: String,
    pub link: Option<KudosLink>,
    /// A short tag naming the value shown, e.g. `customer_first`.
    pub value_tag: Option<String>,
}

impl From<GiveKudos> for Thanks {
    fn from(input: GiveKudos) -> Thanks {
        Thanks {
            receiver_person_id: input.receiver_person_id,
            receiver_department_id: input.receiver_department_id,
            message: input.message,
            link: input.link.map(|link| Link {
                kind: link.kind,
                id: link.id,
            }),
            value_tag: input.value_tag,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KudosQuery {
    /// Only kudos given by or to this department.
    pub department_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type KudosPage = Page<KudosView>;

/// The public kudos feed, newest first.
#[utoipa::path(
    get, path = "/kudos", tag = "kudos", params(KudosQuery),
    responses((status = 200, body = KudosPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_kudos(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<KudosQuery>,
) -> Result<axum::Json<KudosPage>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let listing = kudos::feed(
        &Caller::new(&state.store, &actor),
        query.department_id.map(DepartmentId),
        page,
    )
    .await?;
    Ok(axum::Json(Page::from_listing(listing, KudosView::from)))
}

/// Thanks a person and/or a department.
#[utoipa::path(
    post, path = "/kudos", tag = "kudos", request_body = GiveKudos,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = KudosView), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn give_kudos(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<GiveKudos>,
) -> Result<(StatusCode, axum::Json<KudosView>), ApiError> {
    let kudos = kudos::give(&Caller::new(&state.store, &actor), input.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(KudosView::from(kudos))))
}

/// Reads one kudos.
#[utoipa::path(
    get, path = "/kudos/{id}", tag = "kudos", params(("id" = i64, Path)),
    responses((status = 200, body = KudosView), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_kudos(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<axum::Json<KudosView>, ApiError> {
    let kudos = kudos::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(axum::Json(KudosView::from(kudos)))
}
