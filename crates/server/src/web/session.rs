//! Signing in and out in the browser, through the same use case
//! (`app::sign_in`: throttling, the password check, the session) and the
//! same session cookie as `POST /api/v1/auth/login`.
//!
//! The sign-in form has no session yet, so its CSRF token is a random value
//! kept in a short-lived cookie of its own and echoed in a hidden field (a
//! forged cross-site form cannot read the cookie to copy it).

use super::{CSRF_FIELD, FieldErrors, FormData, Layout, SignedForm, WebError, render, same_token};
use crate::AppState;
use crate::auth::{self, Authenticated, SESSION_COOKIE, cookie_value};
use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roundtable_app::AppError;
use roundtable_app::sign_in::{self, Credentials};
use roundtable_domain::credentials::{Secret, TokenKind, issue_token, token_digest};
use serde::Deserialize;

const LOGIN_CSRF_COOKIE: &str = "roundtable_login_csrf";

#[derive(Debug, Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    token: String,
    next: String,
    email: String,
    organization: String,
    /// Shown above the form (wrong email or password, a refused single sign-on).
    message: Option<String>,
    errors: FieldErrors,
    /// "Sign in with NAME", when single sign-on is configured.
    sso: Option<SsoLink>,
}

#[derive(Debug)]
struct SsoLink {
    href: String,
    name: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths on this site, so the sign-in page cannot be used to send
/// people elsewhere: a single `/` first, and never a second one or a
/// backslash right after it (which browsers read as another host), nor a
/// backslash or control character anywhere (browsers drop tabs and line
/// breaks, so `/<TAB>/evil.example` is `//evil.example` to them). The value
/// is checked as given and after every round of percent-decoding another
/// hop might apply; anything else becomes `/`.
pub fn safe_next(next: &str) -> String {
    if is_path_on_this_site(next) {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

fn is_path_on_this_site(next: &str) -> bool {
    let mut text = next.to_owned();
    // Each round decodes one layer; five layers deep is no longer a path anyone means.
    for _ in 0..5 {
        let unsafe_here = !text.starts_with('/')
            || text.starts_with("//")
            || text.contains('\\')
            || text.chars().any(char::is_control);
        if unsafe_here {
            return false;
        }
        let decoded = percent_decoded(&text);
        if decoded == text {
            return true;
        }
        text = decoded;
    }
    false
}

/// `%XX` sequences turned into their bytes (read as UTF-8, lossily); a `%`
/// not followed by two hex digits stays as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|byte| (*byte as char).to_digit(16));
        match (bytes[index], hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                index += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn login_page(state: &AppState, token: String, next: String) -> LoginPage {
    let sso = state.sso.as_ref().map(|sso| SsoLink {
        href: format!(
            "/auth/oidc/start?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        name: sso.config().display_name.clone(),
    });
    LoginPage {
        layout: Layout::anonymous("Sign in"),
        token,
        next,
        email: String::new(),
        organization: String::new(),
        message: None,
        errors: FieldErrors::default(),
        sso,
    }
}

/// The sign-in page with a fresh CSRF token and its cookie, and a message
/// above the form when there is one (a refused single sign-on).
pub(super) fn login_response(
    state: &AppState,
    status: StatusCode,
    next: String,
    message: Option<String>,
) -> Response {
    let token = issue_token(TokenKind::Session).secret.expose().to_owned();
    let page = LoginPage {
        message,
        ..login_page(state, token.clone(), next)
    };
    let mut response = render(status, &page);
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Lax; Max-Age=3600{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /login`: the sign-in form (or straight on, for someone signed in).
pub async fn show_login(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
    request: Request,
) -> Response {
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    if request.extensions().get::<Authenticated>().is_some()
        && auth::session_cookie(request.headers()).is_some()
    {
        return super::see_other(&next);
    }
    login_response(&state, StatusCode::OK, next, None)
}

/// `POST /login`: checks the password like the API does and starts a session.
pub async fn sign_in(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, WebError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, state.config.body_limit)
        .await
        .map_err(|_| WebError::BadForm)?;
    let form = FormData::parse(&bytes);
    let expected = cookie_value(&parts.headers, LOGIN_CSRF_COOKIE).ok_or(WebError::Csrf)?;
    let token = form.get(CSRF_FIELD);
    if !same_token(token, expected) {
        return Err(WebError::Csrf);
    }
    form.refuse_unstorable_text()?;
    let next = safe_next(form.get("next"));
    let credentials = Credentials {
        email: form.get("email").trim().to_owned(),
        password: Secret::new(form.get("password")),
        organization: form.optional("organization"),
    };
    let again = |message: Option<String>, errors: FieldErrors, status: StatusCode| {
        let page = LoginPage {
            email: form.get("email").to_owned(),
            organization: form.get("organization").to_owned(),
            message,
            errors,
            ..login_page(&state, token.to_owned(), next.clone())
        };
        Ok(render(status, &page))
    };
    let client = auth::ClientAddress::of(&parts);
    let outcome = sign_in::sign_in(
        &state.store,
        &state.config.sign_in_throttling,
        client.0,
        credentials,
        state.config.session_lifetime,
    )
    .await;
    match outcome {
        Ok(session) => {
            let started = auth::started_session(&state, session)?;
            let mut response = super::see_other(&next);
            response
                .headers_mut()
                .append(header::SET_COOKIE, started.cookie);
            response.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_static(
                    "roundtable_login_csrf=; Path=/login; HttpOnly; SameSite=Lax; Max-Age=0",
                ),
            );
            Ok(response)
        }
        Err(AppError::Unauthenticated(message)) => again(
            Some(message),
            FieldErrors::default(),
            StatusCode::UNAUTHORIZED,
        ),
        Err(AppError::Invalid(errors)) => {
            again(None, errors.into(), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Throttled { detail, .. }) => again(
            Some(detail),
            FieldErrors::default(),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(other) => Err(other.into()),
    }
}

/// `POST /logout`: ends this browser's session.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedForm { .. }: SignedForm,
) -> Result<Response, WebError> {
    if let Some(cookie) = auth::session_cookie(&headers) {
        state.store.delete_session(&token_digest(cookie)).await?;
    }
    let mut response = super::see_other("/login");
    let cleared = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(cleared) = HeaderValue::from_str(&cleared) {
        response.headers_mut().insert(header::SET_COOKIE, cleared);
    }
    Ok(response.into_response())
}
