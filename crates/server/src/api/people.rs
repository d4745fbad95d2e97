//! `/api/v1/people`: who works in the organization, in which department, with
//! which role. Deleting a person deactivates them, so their history stays.

use crate::AppState;
use crate::auth::{Authenticated, CallerCredential, Credential};
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, explicit_null,
    parse_change, with_etag,
};
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_domain::ValidationErrors;
use roundtable_domain::credentials::{Password, verify_password};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label};
use roundtable_store::Change;
use roundtable_store::people::{NewPerson, PeopleFilter, Person, PersonChanges};
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

/// Whether `password` is the person's current one (never, without a password set).
async fn is_current_password(hash: Option<String>, password: String) -> Result<bool, ApiError> {
    let Some(hash) = hash else { return Ok(false) };
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))
}

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

async fn hash_password(password: Password) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?
        .map_err(|error| ApiError::Internal(error.to_string()))
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
    let listing = state.scoped(&actor).list_people(filter, page).await?;
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
    policy::manage_organization(&actor)?;
    let mut errors = ValidationErrors::new();
    let email = errors.check("email", Email::parse(&input.email));
    let name = errors.check("name", Label::parse(&input.name));
    let title = match &input.title {
        Some(title) => errors
            .check("title", Label::parse_optional(title))
            .flatten(),
        None => None,
    };
    let role = match &input.role {
        Some(role) => errors.check("role", Role::parse(role)),
        None => Some(Role::Member),
    };
    let password = match &input.password {
        Some(password) => errors.check(
            "password",
            Password::parse_for(password, &input.email, &[&input.name]),
        ),
        None => None,
    };
    let (Some(email), Some(name), Some(role)) = (email, name, role) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let password_hash = match password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let person = state
        .scoped(&actor)
        .create_person(NewPerson {
            email,
            name,
            title,
            department_id: input.department_id.map(DepartmentId),
            role,
            password_hash,
        })
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
    let person = state.scoped(&actor).person(PersonId(id)).await?;
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
    let administrative = input.email.is_some()
        || input.department_id.is_some()
        || input.role.is_some()
        || input.active.is_some();
    let own = actor.person_id == PersonId(id);
    if administrative || !own {
        policy::manage_organization(&actor)?;
    }
    if input.password.is_some() && !own {
        return Err(ApiError::invalid(
            "password",
            "you can change only your own password here; set someone else's with \
             POST /api/v1/people/{id}/password-reset, which the audit log records as a reset",
        ));
    }
    let mut errors = ValidationErrors::new();
    if input.current_password.is_some() && input.password.is_none() {
        errors.push(
            "current_password",
            "is needed only to change your password; send it with `password`",
        );
    }
    if input.password.is_some() && !signed_in_recently(&credential) {
        match input.current_password.clone() {
            None => errors.push(
                "current_password",
                "is required to change your password (or sign in again: within ten minutes \
                 of signing in it is not asked)",
            ),
            Some(current) => {
                let hash = state.scoped(&actor).password_hash(PersonId(id)).await?;
                if !is_current_password(hash, current).await? {
                    errors.push("current_password", "is not your current password");
                }
            }
        }
    }
    let title = match &input.title {
        Some(Some(title)) => errors
            .check("title", Label::parse_optional(title))
            .map_or(Change::Keep, Change::Set),
        Some(None) => Change::Set(None),
        None => Change::Keep,
    };
    let mut changes = PersonChanges {
        email: parse_change(&mut errors, "email", input.email.as_deref(), Email::parse),
        name: parse_change(&mut errors, "name", input.name.as_deref(), Label::parse),
        title,
        department_id: input
            .department_id
            .map(|department| department.map(DepartmentId))
            .into(),
        role: parse_change(&mut errors, "role", input.role.as_deref(), Role::parse),
        active: input.active.into(),
        password_hash: Change::Keep,
    };
    let password = match &input.password {
        Some(password) => {
            let person = state.scoped(&actor).person(PersonId(id)).await?;
            let name = input.name.clone().unwrap_or(person.name);
            errors.check(
                "password",
                Password::parse_for(password, &person.email, &[&name]),
            )
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if let Some(password) = password {
        changes.password_hash = Change::Set(hash_password(password).await?);
    }
    let person = state
        .scoped(&actor)
        .update_person(PersonId(id), changes, version)
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
    policy::manage_organization(&actor)?;
    let scoped = state.scoped(&actor);
    let person = scoped.person(PersonId(id)).await?;
    if person.id == actor.person_id {
        return Err(ApiError::invalid(
            "password",
            "change your own password with PATCH /api/v1/people/{id} and your current password",
        ));
    }
    let mut errors = ValidationErrors::new();
    let Some(password) = errors.check(
        "password",
        Password::parse_for(&input.password, &person.email, &[&person.name]),
    ) else {
        return Err(errors.into());
    };
    let hash = hash_password(password).await?;
    let person = scoped.reset_password(person.id, hash).await?;
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
    policy::manage_organization(&actor)?;
    if actor.person_id == PersonId(id) {
        return Err(ApiError::Conflict {
            field: None,
            detail: "You cannot deactivate yourself; ask another administrator.".to_owned(),
        });
    }
    state
        .scoped(&actor)
        .deactivate_person(PersonId(id), version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
