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
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::credentials::{
    TokenKind, decoy_password_hash, issue_token, token_digest, verify_password,
};
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::sign_in::SignInThrottle;
use roundtable_domain::text::Email;
use roundtable_store::auth::{Actor, SignInAttempt, ThrottleKey, TokenGrant};
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

    /// What sign-in attempts are counted under: an IPv4 address, or an IPv6
    /// address's /64 (one subscriber's network, from which a client may
    /// take any address it likes).
    fn throttle_identity(self) -> String {
        match self.0.map(|address| address.to_canonical()) {
            Some(IpAddr::V4(address)) => address.to_string(),
            Some(IpAddr::V6(address)) => {
                let segments = address.segments();
                format!(
                    "{:x}:{:x}:{:x}:{:x}::/64",
                    segments[0], segments[1], segments[2], segments[3]
                )
            }
            None => "unknown".to_owned(),
        }
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
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
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
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub me: Me,
    /// When the session ends (RFC 3339).
    pub expires_at: String,
}

/// How failed sign-ins slow further attempts (see `domain::sign_in`).
#[derive(Debug, Clone, Copy)]
pub struct SignInThrottling {
    /// Failures for one email, from clients that have not signed in to it before.
    pub account: SignInThrottle,
    /// Failures from one client address, whatever the email.
    pub client: SignInThrottle,
    /// A client that signed in to an account within this long is the
    /// account's own, and not held to the account's failures.
    pub known_client_for: SignedDuration,
}

impl Default for SignInThrottling {
    fn default() -> Self {
        Self {
            account: SignInThrottle {
                free_failures: 5,
                first_delay: SignedDuration::from_secs(1),
                max_delay: SignedDuration::from_mins(5),
                forget_after: SignedDuration::from_hours(1),
            },
            client: SignInThrottle {
                free_failures: 10,
                first_delay: SignedDuration::from_secs(1),
                max_delay: SignedDuration::from_mins(15),
                forget_after: SignedDuration::from_hours(1),
            },
            known_client_for: SignedDuration::from_hours(24 * 90),
        }
    }
}

const ACCOUNT_KEY_PREFIX: &str = "account:";
const CLIENT_KEY_PREFIX: &str = "client:";

fn throttled(key: &str, until: Timestamp, now: Timestamp) -> ApiError {
    let wait = until.duration_since(now);
    let seconds = (wait.as_secs() + i64::from(wait.subsec_nanos() > 0)).max(1);
    let detail = if key.starts_with(CLIENT_KEY_PREFIX) {
        format!(
            "Too many failed sign-ins from your network address. Try again in {seconds} second{}.",
            if seconds == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "Too many failed sign-ins for this email from devices it was not used on before. \
             Try again in {seconds} second{}; a device that signed in to this account before \
             is not held up, and an administrator can reset the password.",
            if seconds == 1 { "" } else { "s" }
        )
    };
    ApiError::TooManyRequests {
        detail,
        retry_after_seconds: seconds,
    }
}

fn wrong_credentials() -> ApiError {
    ApiError::Unauthorized("The email or password is wrong.".to_owned())
}

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
    let email = Email::parse(&input.email)
        .map_err(|_| ApiError::invalid("email", "must be an email address"))?;
    let now = Timestamp::now();
    let rules = state.config.sign_in_throttling;
    let email_digest = token_digest(email.as_str());
    let client_digest = token_digest(&client.throttle_identity());
    let account_key = format!("{ACCOUNT_KEY_PREFIX}{email_digest}");
    let client_key = format!("{CLIENT_KEY_PREFIX}{client_digest}");
    let known_since = now.checked_sub(rules.known_client_for).unwrap_or(now);
    let known = state
        .store
        .is_known_sign_in_client(&email_digest, &client_digest, known_since)
        .await?;
    let attempt = state
        .store
        .begin_sign_in_attempt(
            vec![
                ThrottleKey {
                    key: client_key.clone(),
                    rule: rules.client,
                    enforced: true,
                },
                ThrottleKey {
                    key: account_key.clone(),
                    rule: rules.account,
                    enforced: !known,
                },
            ],
            now,
        )
        .await?;
    if let SignInAttempt::Refused { key, until } = attempt {
        return Err(throttled(&key, until, now));
    }
    let candidates = state
        .store
        .login_candidates(email.as_str(), input.organization.as_deref())
        .await?;
    let password = input.password;
    let hashes: Vec<Option<String>> = candidates
        .iter()
        .map(|candidate| candidate.password_hash.clone())
        .collect();
    // argon2 is deliberately slow: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || {
        if hashes.is_empty() {
            verify_password(&password, decoy_password_hash());
            return Vec::new();
        }
        hashes
            .iter()
            .map(|hash| {
                verify_password(&password, hash.as_deref().unwrap_or(decoy_password_hash()))
                    && hash.is_some()
            })
            .collect::<Vec<bool>>()
    })
    .await
    .map_err(|error| ApiError::Internal(format!("password check panicked: {error}")))?;
    let matching: Vec<_> = candidates
        .iter()
        .zip(matches)
        .filter_map(|(candidate, matched)| matched.then_some(candidate))
        .collect();
    let candidate = match matching.as_slice() {
        // The attempt is already counted as a failure.
        [] => return Err(wrong_credentials()),
        [one] => *one,
        several => {
            let slugs: Vec<_> = several
                .iter()
                .map(|candidate| candidate.organization_slug.as_str())
                .collect();
            return Err(ApiError::invalid(
                "organization",
                format!(
                    "you have accounts in several organizations; name one of: {}",
                    slugs.join(", ")
                ),
            ));
        }
    };
    state
        .store
        .record_sign_in_success(
            &account_key,
            &client_key,
            &email_digest,
            &client_digest,
            now,
        )
        .await?;
    let started = start_session(&state, candidate.organization_id, candidate.person_id).await?;
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
    let scoped = state.store.scoped(organization);
    let session = issue_token(TokenKind::Session);
    let lifetime = state.config.session_lifetime;
    let expires_at = Timestamp::now()
        .checked_add(lifetime)
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    scoped
        .create_session(person, session.digest.clone(), expires_at)
        .await?;
    let actor = scoped.actor(person).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session.secret.expose(),
        lifetime.as_secs(),
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let cookie =
        HeaderValue::from_str(&cookie).map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(StartedSession {
        actor,
        expires_at,
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
