//! `/api/v1/requests/{id}/credits`: the contributors a resolved request
//! credits. Who may credit: the request's two sides (the provider
//! department, which includes its lead and the assignee, and the requester;
//! administrators act for the provider), only once the request is resolved
//! or closed. Credits are added, never replaced; a credit is taken back only
//! by whoever gave it (or an administrator), explicitly, on the timeline and
//! in the audit log. Authorization comes before validation: a caller who may
//! not credit learns nothing from a bad body.

use crate::AppState;
use crate::api::requests::path_id;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, RecordId};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use roundtable_app::{Caller, credits};
use roundtable_domain::ids::PersonId;
use roundtable_store::credits::Credit;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credits, credit_contributors))
        .routes(routes!(remove_credit))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditBody {
    /// The people to credit (ids), each once; all are credited or none.
    #[schema(example = json!([12, 15]))]
    pub people: Vec<i64>,
    /// What they contributed, shown with each credit.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditView {
    pub id: i64,
    pub request_id: i64,
    pub person_id: i64,
    pub person_name: String,
    /// The person's department when credited.
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub note: String,
    pub credited_by: i64,
    pub credited_by_name: String,
    pub created_at: String,
}

impl From<Credit> for CreditView {
    fn from(credit: Credit) -> Self {
        CreditView {
            id: credit.id,
            request_id: credit.request_id,
            person_id: credit.person_id.0,
            person_name: credit.person_name,
            department_id: credit.department_id.map(|department| department.0),
            department_name: credit.department_name,
            note: credit.note,
            credited_by: credit.credited_by.0,
            credited_by_name: credit.credited_by_name,
            created_at: credit.created_at.to_string(),
        }
    }
}

/// The contributors a request credits, in the order they were credited.
#[utoipa::path(
    get, path = "/requests/{id}/credits", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CreditView>), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_credits(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<Vec<CreditView>>, ApiError> {
    let credits = credits::list(&Caller::new(&state.store, &actor), id).await?;
    Ok(Json(credits.into_iter().map(CreditView::from).collect()))
}

/// Credits contributors on a resolved or closed request (all or none); each
/// is told, and each credit appears on the timeline.
#[utoipa::path(
    post, path = "/requests/{id}/credits", tag = "requests", request_body = CreditBody, params(("id" = i64, Path)),
    responses(
        (status = 201, body = Vec<CreditView>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn credit_contributors(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(body): ApiJson<CreditBody>,
) -> Result<(StatusCode, Json<Vec<CreditView>>), ApiError> {
    let caller = Caller::new(&state.store, &actor);
    let credits = credits::credit(&caller, id, &body.people, &body.note).await?;
    Ok((
        StatusCode::CREATED,
        Json(credits.into_iter().map(CreditView::from).collect()),
    ))
}

/// Takes a credit back: only whoever gave it, or an administrator.
#[utoipa::path(
    delete, path = "/requests/{id}/credits/{person_id}", tag = "requests",
    params(("id" = i64, Path), ("person_id" = i64, Path, description = "The credited person")),
    responses(
        (status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn remove_credit(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, person)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (id, person) = (path_id("id", &id)?, path_id("person_id", &person)?);
    let caller = Caller::new(&state.store, &actor);
    credits::remove(&caller, id, PersonId(person)).await?;
    Ok(StatusCode::NO_CONTENT)
}
