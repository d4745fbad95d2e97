//! Signing in through the organization's OpenID Connect provider
//! (`crate::sso` speaks the protocol).
//!
//! `GET /auth/oidc/start` keeps the attempt's `state`, `nonce` and PKCE
//! verifier in a short-lived cookie of their own (HttpOnly, SameSite=Lax,
//! limited to `/auth/oidc`), so any server instance can finish it, and sends
//! the browser to the provider. `GET /auth/oidc/callback` checks that the
//! answer belongs to the attempt this browser started (`state`), lets
//! `crate::sso` exchange the code and verify the ID token, finds the active
//! person of the configured organization with the verified email (nobody is
//! created), and starts the session exactly as the password sign-in does.
//! Every sign-in and every refusal is written to the audit log; a refusal is
//! the sign-in page with the reason, never a 500.

use super::session::{login_response, safe_next};
use crate::AppState;
use crate::auth::{cookie_value, start_session};
use crate::sso::SsoError;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use roundtable_domain::text::Email;
use serde::Deserialize;

const ATTEMPT_COOKIE: &str = "roundtable_oidc";
/// How long a started sign-in may take at the provider.
const ATTEMPT_SECONDS: u32 = 600;

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207: the issuer of the answer, when the provider says it.
    iss: Option<String>,
}

/// What the browser carries between the start and the callback.
#[derive(Debug)]
struct AttemptCookie {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

impl AttemptCookie {
    fn encode(&self) -> String {
        // The random values are base64url already; `next` is encoded too, so
        // the dot-separated value needs no quoting.
        format!(
            "{}.{}.{}.{}",
            self.state,
            self.nonce,
            self.verifier,
            URL_SAFE_NO_PAD.encode(self.next.as_bytes())
        )
    }

    fn decode(value: &str) -> Option<Self> {
        let mut parts = value.split('.');
        let (state, nonce, verifier, next) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let next = String::from_utf8(URL_SAFE_NO_PAD.decode(next).ok()?).ok()?;
        Some(Self {
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            verifier: verifier.to_owned(),
            next: safe_next(&next),
        })
    }
}

fn attempt_cookie(state: &AppState, value: &str, max_age: u32) -> Option<HeaderValue> {
    let cookie = format!(
        "{ATTEMPT_COOKIE}={value}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    HeaderValue::from_str(&cookie).ok()
}

/// `GET /auth/oidc/start`: to the provider, with a fresh attempt.
pub async fn start(State(state): State<AppState>, Query(query): Query<StartQuery>) -> Response {
    let Some(sso) = state.sso.clone() else {
        return super::WebError::NotFound.into_response();
    };
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    let attempt = match sso.start().await {
        Ok(attempt) => attempt,
        Err(error) => {
            tracing::warn!(%error, "single sign-on could not start");
            return login_response(
                &state,
                StatusCode::BAD_GATEWAY,
                next,
                Some(format!(
                    "Single sign-on is not available right now: {error}."
                )),
            );
        }
    };
    let value = AttemptCookie {
        state: attempt.state,
        nonce: attempt.nonce,
        verifier: attempt.verifier,
        next,
    }
    .encode();
    let mut response = Redirect::to(&attempt.authorize_url).into_response();
    if let Some(cookie) = attempt_cookie(&state, &value, ATTEMPT_SECONDS) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A refused sign-in: audit-logged (for the configured organization, with no
/// actor), then the sign-in page with the reason.
async fn refuse(state: &AppState, status: StatusCode, reason: String, detail: String) -> Response {
    tracing::info!(%detail, "single sign-on refused");
    if let Some(sso) = &state.sso
        && let Ok(Some(organization)) = state
            .store
            .find_organization_by_slug(&sso.config().organization)
            .await
        && let Err(error) = state
            .store
            .scoped(organization.id)
            .record_security_event("sso.refused", "sign_in", None, detail)
            .await
    {
        tracing::error!(%error, "the refused single sign-on could not be audit-logged");
    }
    let mut response = login_response(
        state,
        status,
        "/".to_owned(),
        Some(format!("Single sign-on failed: {reason}")),
    );
    if let Some(cleared) = attempt_cookie(state, "", 0) {
        response.headers_mut().append(header::SET_COOKIE, cleared);
    }
    response
}

/// `GET /auth/oidc/callback`: the provider's answer.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(sso) = state.sso.clone() else {
        return super::WebError::NotFound.into_response();
    };
    let Some(attempt) = cookie_value(&headers, ATTEMPT_COOKIE).and_then(AttemptCookie::decode)
    else {
        return refuse(
            &state,
            StatusCode::BAD_REQUEST,
            "this sign-in expired or was started in another browser. Please try again.".to_owned(),
            "no sign-in attempt in this browser".to_owned(),
        )
        .await;
    };
    if query.state.as_deref() != Some(attempt.state.as_str()) {
        return refuse(
            &state,
            StatusCode::BAD_REQUEST,
            "the answer did not belong to the sign-in this browser started. Please try again."
                .to_owned(),
            "state mismatch".to_owned(),
        )
        .await;
    }
    if query
        .iss
        .as_deref()
        .is_some_and(|iss| iss != sso.config().issuer)
    {
        return refuse(
            &state,
            StatusCode::BAD_REQUEST,
            "the answer came from another sign-in provider.".to_owned(),
            "issuer mismatch in the authorization response".to_owned(),
        )
        .await;
    }
    if let Some(error) = query.error {
        let description = query.error_description.unwrap_or_default();
        return refuse(
            &state,
            StatusCode::FORBIDDEN,
            format!("the sign-in provider answered {error}. {description}"),
            format!("the provider answered {error}: {description}"),
        )
        .await;
    }
    let Some(code) = query.code.filter(|code| !code.is_empty()) else {
        return refuse(
            &state,
            StatusCode::BAD_REQUEST,
            "the sign-in provider sent no authorization code.".to_owned(),
            "no code".to_owned(),
        )
        .await;
    };
    let identity = match sso.finish(&code, &attempt.verifier, &attempt.nonce).await {
        Ok(identity) => identity,
        Err(error) => {
            let status = match error {
                SsoError::Provider(_) => StatusCode::BAD_GATEWAY,
                SsoError::Refused(_) | SsoError::InvalidToken(_) | SsoError::NoVerifiedEmail(_) => {
                    StatusCode::FORBIDDEN
                }
            };
            return refuse(&state, status, format!("{error}."), error.to_string()).await;
        }
    };
    let organization = &sso.config().organization;
    let candidate = match Email::parse(&identity.email) {
        Ok(email) => state
            .store
            .login_candidates(email.as_str(), Some(organization))
            .await
            .map(|candidates| candidates.into_iter().next()),
        Err(_) => Ok(None),
    };
    let candidate = match candidate {
        Ok(Some(candidate)) => candidate,
        Ok(None) => {
            return refuse(
                &state,
                StatusCode::FORBIDDEN,
                format!(
                    "no active Roundtable account in this organization uses the email {}. \
                     Ask an administrator to add you.",
                    identity.email
                ),
                format!(
                    "no active person with the email {} (subject {})",
                    identity.email, identity.subject
                ),
            )
            .await;
        }
        Err(error) => {
            return super::WebError::from(crate::problem::ApiError::from(error)).into_response();
        }
    };
    let started = match start_session(&state, candidate.organization_id, candidate.person_id).await
    {
        Ok(started) => started,
        Err(error) => return super::WebError::from(error).into_response(),
    };
    if let Err(error) = state
        .store
        .scoped(candidate.organization_id)
        .by(candidate.person_id)
        .record_security_event(
            "sso.signed_in",
            "person",
            Some(candidate.person_id.0),
            format!(
                "signed in through {} as {} (subject {})",
                sso.config().display_name,
                identity.email,
                identity.subject
            ),
        )
        .await
    {
        tracing::error!(%error, "the single sign-on could not be audit-logged");
    }
    let mut response = super::see_other(&attempt.next);
    response
        .headers_mut()
        .append(header::SET_COOKIE, started.cookie);
    if let Some(cleared) = attempt_cookie(&state, "", 0) {
        response.headers_mut().append(header::SET_COOKIE, cleared);
    }
    response
}
