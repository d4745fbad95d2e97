//! Who is calling: API tokens (`Authorization: Bearer`) and browser sessions
//! (a cookie), resolved once per request by [`resolve_actor`] into the
//! [`Authenticated`] person every handler acts as.

use crate::AppState;
use crate::extract::ApiJson;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use roundtable_app::sign_in::{self, Credentials};
use roundtable_domain::credentials::{Secret, token_digest};
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::people::Role;
use roundtable_store::auth::{Actor, TokenGrant};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use utoipa::ToSchema;

pub const SESSION_COOKIE: &str = "roundtable_session";

/// The person a request acts as; extracting it answers 401 when nobody signed in.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Actor);

/// How the caller authenticated, kept for handlers whose rule depends on it
/// (logout, issuing tokens, changing one's password).
#[derive(Debug, Clone)]
pub enum Credential {
    /// An API token, with what it allows.
    Token(TokenGrant),
    /// A browser session: its digest, and when its person signed in.
    Session {
        digest: String,
        signed_in_at: Timestamp,
    },
}

/// The caller's [`Credential`]; `None` when a page calls a handler in
/// process on someone's behalf, or nobody signed in.
#[derive(Debug, Clone, Default)]
pub struct CallerCredential(pub Option<Credential>);

impl<S: Send + Sync> FromRequestParts<S> for CallerCredential {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(CallerCredential(
            parts.extensions.get::<Credential>().cloned(),
        ))
    }
}

/// The network address a request came from (the TCP peer), when known.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn of(parts: &Parts) -> Self {
        ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(address)| address.ip()),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress::of(parts))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Authenticated>()
            .cloned()
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "Sign in, or send an API token as Authorization: Bearer TOKEN.".to_owned(),
                )
            })
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let text = value.to_str().map_err(|_| ());
    Some(text.and_then(|text| {
        let (scheme, token) = text.split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            Ok(token.trim())
        } else {
            Err(())
        }
    }))
}

pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of the request's cookie `name`, if it sent one.
pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value)
}

/// Resolves the caller before routing. A bad bearer token is refused at once;
/// a stale session cookie just leaves the request anonymous.
pub async fn resolve_actor(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let now = Timestamp::now();
    let resolved = match bearer_token(request.headers()) {
        Some(Ok(token)) => match state.store.actor_for_token(&token_digest(token), now).await {
            Ok(Some((mut actor, grant))) => {
                let scopes = grant.scopes;
                let safe = matches!(
                    *request.method(),
                    axum::http::Method::GET
                        | axum::http::Method::HEAD
                        | axum::http::Method::OPTIONS
                );
                let (needed, granted) = if safe {
                    ("read", scopes.read)
                } else {
                    ("write", scopes.write)
                };
                if !granted {
                    return ApiError::forbidden(format!(
                        "This API token has the scopes {}; this call needs the {needed} scope.",
                        scopes.names().join(", ")
                    ))
                    .into_response();
                }
                // Without the admin scope an administrator's token acts as a plain member.
                if actor.role == Role::Admin && !scopes.admin {
                    actor.role = Role::Member;
                }
                Some((actor, Credential::Token(grant)))
            }
            Ok(None) => {
                return ApiError::Unauthorized(
                    "The API token is unknown, expired or revoked.".to_owned(),
                )
                .into_response();
            }
            Err(error) => return ApiError::from(error).into_response(),
        },
        Some(Err(())) => {
            return ApiError::Unauthorized(
                "The Authorization header must be `Bearer TOKEN`.".to_owned(),
            )
            .into_response();
        }
        None => match session_cookie(request.headers()) {
            Some(cookie) => {
                let digest = token_digest(cookie);
                match state
                    .store
                    .actor_for_session(&digest, now, state.config.session_idle_timeout)
                    .await
                {
                    Ok(Some((actor, signed_in_at))) => Some((
                        actor,
                        Credential::Session {
                            digest,
                            signed_in_at,
                        },
                    )),
                    Ok(None) => None,
                    Err(error) => return ApiError::from(error).into_response(),
                }
            }
            None => None,
        },
    };
    let signed_in = resolved.is_some();
    if let Some((actor, credential)) = resolved {
        request.extensions_mut().insert(Authenticated(actor));
        request.extensions_mut().insert(credential);
    }
    let mut response = next.run(request).await;
    // What a signed-in person sees is theirs: no shared or browser cache may
    // keep it, unless the answer chose its own caching (the matrix's
    // revalidated `private, no-cache`, the assets' year).
    if signed_in && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin@demo.example")]
    pub email: String,
    pub password: String,
    /// The organization's slug; needed only when the same email and password
    /// open accounts in several organizations.
    pub organization: Option<String>,
}

/// The signed-in person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub person_id: i64,
    pub organization_id: i64,
    pub name: String,
    pub email: String,
    #[schema(example = "member")]
    pub role: String,
    pub department_id: Option<i64>,
    /// The person's own time zone (an IANA name), if they chose one; see
    /// `GET /me/time-zone` for the zone their times are shown in.
    pub time_zone: Option<String>,
}

impl From<&Actor> for Me {
    fn from(actor: &Actor) -> Self {
        Me {
            person_id: actor.person_id.0,
            organization_id: actor.organization_id.0,
            name: actor.name.clone(),
            email: actor.email.clone(),
            role: actor.role.as_str().to_owned(),
            department_id: actor.department_id.map(|department| department.0),
            time_zone: actor.time_zone.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub me: Me,
    /// When the session ends (RFC 3339).
    pub expires_at: String,
}

/// How failed sign-ins slow further attempts: the application layer's.
pub use roundtable_app::sign_in::SignInThrottling;

/// Signs in with email and password and starts a browser session (a cookie).
///
/// Failed sign-ins slow further attempts: from one client address after ten
/// failures, and for one email after five from clients that never signed in
/// to it; each further attempt then waits a delay that doubles with every
/// failure (429 with `Retry-After`). A client that signed in to the account
/// before is held only to its own address's count.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = LoginResponse),
        (status = 401, description = "Wrong email or password", body = Problem),
        (status = 422, description = "Invalid input", body = Problem),
        (status = 429, description = "Too many failed sign-ins: wait `Retry-After` seconds",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(input): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = sign_in::sign_in(
        &state.store,
        &state.config.sign_in_throttling,
        client.0,
        Credentials {
            email: input.email,
            password: Secret::new(input.password),
            organization: input.organization,
        },
        state.config.session_lifetime,
    )
    .await?;
    let started = started_session(&state, session)?;
    let body = LoginResponse {
        me: Me::from(&started.actor),
        expires_at: started.expires_at.to_string(),
    };
    let mut response = (StatusCode::OK, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, started.cookie);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A session just started for someone whose identity was proven.
#[derive(Debug)]
pub(crate) struct StartedSession {
    pub actor: Actor,
    pub expires_at: Timestamp,
    /// The `Set-Cookie` value carrying the new session.
    pub cookie: HeaderValue,
}

/// Starts a browser session for a person whose identity was proven (by
/// password or by single sign-on): always a new token, so a session id
/// planted before sign-in is never promoted; the same cookie flags for both.
pub(crate) async fn start_session(
    state: &AppState,
    organization: OrganizationId,
    person: PersonId,
) -> Result<StartedSession, ApiError> {
    let session = sign_in::start_session(
        &state.store,
        organization,
        person,
        state.config.session_lifetime,
    )
    .await?;
    started_session(state, session)
}

/// The session's cookie, with the flags every session cookie carries.
pub(crate) fn started_session(
    state: &AppState,
    session: sign_in::StartedSession,
) -> Result<StartedSession, ApiError> {
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session.secret.expose(),
        state.config.session_lifetime.as_secs(),
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let cookie =
        HeaderValue::from_str(&cookie).map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(StartedSession {
        actor: session.actor,
        expires_at: session.expires_at,
        cookie,
    })
}

/// Ends the current browser session.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(_actor): Authenticated,
    request: Request,
) -> Result<Response, ApiError> {
    if let Some(Credential::Session { digest, .. }) = request.extensions().get::<Credential>() {
        state.store.delete_session(digest).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("roundtable_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

/// Ends every session of the caller, on every device (API tokens stay; revoke them under `/tokens`).
#[utoipa::path(
    post, path = "/auth/logout-everywhere", tag = "auth",
    responses((status = 200, body = SignedOutEverywhere), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn logout_everywhere(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Response, ApiError> {
    let ended = state
        .store
        .delete_sessions_of(actor.organization_id, actor.person_id)
        .await?;
    let mut response = (
        StatusCode::OK,
        Json(SignedOutEverywhere {
            sessions_ended: ended,
        }),
    )
        .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("roundtable_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedOutEverywhere {
    pub sessions_ended: u64,
}

/// Who am I?
#[utoipa::path(
    get, path = "/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn me(Authenticated(actor): Authenticated) -> Json<Me> {
    Json(Me::from(&actor))
}
