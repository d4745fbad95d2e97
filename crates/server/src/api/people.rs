//! `/api/v1/people`: who works in the organization, in which department, with
//! which role. Deleting a person deactivates them, so their history stays.

use crate::AppState;
use crate::auth::{Authenticated, CallerCredential, Credential};
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, explicit_null,
    with_etag,
};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::people::{self as app, PersonEdit, PersonInput};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_store::people::{PeopleFilter, Person};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_people, create_person))
        .routes(routes!(get_person, update_person, delete_person))
        .routes(routes!(reset_password))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    #[schema(example = "ada@example.com")]
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub department_id: Option<i64>,
    /// One of `admin`, `executive`, `lead`, `member`.
    #[schema(example = "member")]
    pub role: String,
    /// Deactivated people cannot sign in; their history stays.
    pub active: bool,
    /// Whether a password is set (the password itself is never shown).
    pub has_password: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Person> for PersonView {
    fn from(person: Person) -> Self {
        PersonView {
            id: person.id.0,
            email: person.email,
            name: person.name,
            title: person.title,
            department_id: person.department_id.map(|department| department.0),
            role: person.role.as_str().to_owned(),
            active: person.active,
            has_password: person.has_password,
            version: person.version,
            created_at: person.created_at.to_string(),
            updated_at: person.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePerson {
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub department_id: Option<i64>,
    /// Defaults to `member`.
    pub role: Option<String>,
    /// An initial password (at least 10 characters); without one the person cannot sign in yet.
    pub password: Option<String>,
}

/// Only the fields present change. People may change their own name, title
/// and password (with `current_password`, unless they signed in within the
/// last ten minutes); administrators may change everything else, and set
/// someone else's password through `POST /people/{id}/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    pub email: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub department_id: Option<Option<i64>>,
    pub role: Option<String>,
    pub active: Option<bool>,
    /// A new password for yourself.
    pub password: Option<String>,
    /// Your current password, needed with `password` unless this browser
    /// session signed in within the last ten minutes.
    pub current_password: Option<String>,
}

/// A new password an administrator sets for someone who lost theirs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub password: String,
}

/// How long after signing in a session may change its password without the current one.
const FRESH_SIGN_IN: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Only people of this department.
    pub department_id: Option<i64>,
    /// Only active (`true`) or deactivated (`false`) people.
    pub active: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type PersonPage = Page<PersonView>;

/// Whether the caller proved who they are recently enough to change their
/// password without typing the current one: a browser session started
/// within [`FRESH_SIGN_IN`] (by password or single sign-on). Tokens never are.
fn signed_in_recently(credential: &CallerCredential) -> bool {
    match credential {
        CallerCredential(Some(Credential::Session { signed_in_at, .. })) => {
            jiff::Timestamp::now().duration_since(*signed_in_at) <= FRESH_SIGN_IN
        }
        _ => false,
    }
}

/// Lists people, optionally of one department or activity state.
#[utoipa::path(
    get, path = "/people", tag = "people", params(PeopleQuery),
    responses((status = 200, body = PersonPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_people(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PeopleQuery>,
) -> Result<axum::Json<PersonPage>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let filter = PeopleFilter {
        department_id: query.department_id.map(DepartmentId),
        active: query.active,
    };
    let listing = app::list(&Caller::new(&state.store, &actor), filter, page).await?;
    Ok(axum::Json(Page::from_listing(listing, PersonView::from)))
}

/// Adds a person (administrators).
#[utoipa::path(
    post, path = "/people", tag = "people", request_body = CreatePerson,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(
        (status = 201, body = PersonView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_person(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreatePerson>,
) -> Result<Response, ApiError> {
    let person = app::add(
        &Caller::new(&state.store, &actor),
        PersonInput {
            email: input.email,
            name: input.name,
            title: input.title,
            department_id: input.department_id,
            role: input.role,
            password: input.password,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        person.version,
        PersonView::from(person),
    ))
}

/// Reads one person.
#[utoipa::path(
    get, path = "/people/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = PersonView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_person(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let person = app::get(&Caller::new(&state.store, &actor), PersonId(id)).await?;
    Ok(with_etag(
        StatusCode::OK,
        person.version,
        PersonView::from(person),
    ))
}

/// Changes a person; needs `If-Match`.
#[utoipa::path(
    patch, path = "/people/{id}", tag = "people", request_body = UpdatePerson,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = PersonView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_person(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    credential: CallerCredential,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdatePerson>,
) -> Result<Response, ApiError> {
    let person = app::update(
        &Caller::new(&state.store, &actor),
        PersonId(id),
        PersonEdit {
            email: input.email,
            name: input.name,
            title: input.title,
            department_id: input.department_id,
            role: input.role,
            active: input.active,
            password: input.password,
            current_password: input.current_password,
            signed_in_recently: signed_in_recently(&credential),
        },
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        person.version,
        PersonView::from(person),
    ))
}

/// Sets a new password for someone who lost theirs (administrators; not for
/// yourself, who changes it with `PATCH /people/{id}` and the current one).
/// Their sessions end and their API tokens are revoked; the audit log
/// records the reset and who made it.
#[utoipa::path(
    post, path = "/people/{id}/password-reset", tag = "people", request_body = PasswordReset,
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = PersonView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<PasswordReset>,
) -> Result<Response, ApiError> {
    let person = app::reset_password(
        &Caller::new(&state.store, &actor),
        PersonId(id),
        input.password,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        person.version,
        PersonView::from(person),
    ))
}

/// Deactivates a person (administrators): they can no longer sign in, their
/// sessions and tokens end, and their history stays attributed to them.
#[utoipa::path(
    delete, path = "/people/{id}", tag = "people",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, content_type = "application/problem+json", body = Problem), (status = 412, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_person(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    app::deactivate(&Caller::new(&state.store, &actor), PersonId(id), version).await?;
    Ok(StatusCode::NO_CONTENT)
}
