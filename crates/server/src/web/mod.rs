//! The web application: server-rendered pages for people in a browser.
//!
//! Pages are askama templates (`crates/server/templates/`), checked at compile
//! time. Handlers here are as thin as the API's, and thinner: they call the
//! same API handlers or the same parsing and store functions, so a rule lives
//! in one place and the browser and the API can never disagree. Every form
//! works without JavaScript; htmx only refreshes parts of pages.
//!
//! A page needs a signed-in [`Viewer`] (anyone else is sent to the sign-in
//! page), every form carries a per-session CSRF token checked by
//! [`SignedForm`], and errors become an HTML page ([`WebError`]), never
//! problem details.

pub mod admin;
pub mod agreements;
pub mod assets;
pub mod calendars;
pub mod catalogue;
pub mod checks;
pub mod departments;
pub mod directory;
pub mod enhancements;
pub mod format;
pub mod health;
pub mod home;
pub mod import;
pub mod kudos;
pub mod mail;
pub mod matrix;
pub mod meetings;
pub mod notifications;
pub mod objectives;
pub mod organization;
pub mod pulses;
pub mod refusals;
pub mod reports;
pub mod requests;
pub mod round_table;
pub mod service_admin;
pub mod session;
pub mod settings;
pub mod sso;
pub mod time_zone;
pub mod upload;
pub use refusals::{
    ActionError, FieldErrors, Refusal, after_action, at_version, errors_at_rows, first_view,
    valid_at_version,
};
pub mod work;

use crate::AppState;
use crate::auth::{Authenticated, session_cookie};
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use roundtable_domain::ValidationErrors;
use roundtable_store::auth::Actor;
use sha2::{Digest, Sha256};

/// The routes of the web application.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::show_home))
        .route("/assets/{file}", get(assets::serve_asset))
        .route("/login", get(session::show_login).post(session::sign_in))
        .route("/logout", post(session::sign_out))
        .route("/auth/oidc/start", get(sso::start))
        .route("/auth/oidc/callback", get(sso::callback))
        .route("/services", get(catalogue::show_catalogue))
        .route(
            "/services/{id}/request",
            get(catalogue::show_request_form).post(catalogue::raise_request),
        )
        .route("/requests", get(home::list_visible_requests))
        .route("/requests/{id}", get(requests::show_request))
        .route("/requests/{id}/transition", post(requests::move_request))
        .route("/requests/{id}/assignment", post(requests::take_request))
        .route(
            "/requests/{id}/comments",
            post(requests::comment_on_request),
        )
        .route("/requests/{id}/deferral", post(requests::defer_request))
        .route(
            "/requests/{id}/commitments",
            post(requests::propose_commitment),
        )
        .route(
            "/requests/{id}/commitments/{commitment_id}/accept",
            post(requests::accept_commitment),
        )
        .route("/requests/{id}/transfer", post(requests::hand_off_request))
        .route("/requests/{id}/details", post(requests::change_details))
        .route("/requests/{id}/sub-requests", post(requests::split_request))
        .route(
            "/requests/{id}/credits",
            post(requests::credit_contributors),
        )
        .route(
            "/requests/{id}/credits/{person_id}/remove",
            post(requests::remove_credit),
        )
        .route("/departments/{id}", get(matrix::show_department))
        .route("/departments/{id}/queue", get(departments::show_queue))
        .route(
            "/departments/{id}/request",
            get(catalogue::show_adhoc_form).post(catalogue::raise_adhoc_request),
        )
        .route("/kudos", get(kudos::show_kudos).post(kudos::give))
        .route(
            "/reports/external-impact",
            get(reports::show_external_impact),
        )
        .route("/matrix", get(matrix::show_matrix))
        .route("/matrix/{provider}/{consumer}", get(matrix::show_cell))
        .route(
            "/admin/people",
            get(admin::show_people).post(admin::add_person),
        )
        .route(
            "/admin/people/{id}",
            get(admin::show_person).post(admin::change_person),
        )
        .route(
            "/admin/departments",
            get(admin::show_departments).post(admin::add_department),
        )
        .route("/checks", get(checks::list_my_checks))
        .route("/checks/{id}", get(checks::show_check))
        .route("/checks/{id}/answer", post(checks::answer))
        .route("/inbox", get(work::show_inbox))
        .route("/notifications", get(notifications::show_notifications))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/read", post(notifications::read_one))
        .route("/pulses", get(pulses::list_pulses).post(pulses::open_round))
        .route("/pulses/{id}", get(pulses::show_round))
        .route("/pulses/{id}/close", post(pulses::close))
        .route(
            "/pulses/{id}/cells/{provider}/{consumer}",
            get(pulses::show_response_form).post(pulses::answer_cell),
        )
        .route(
            "/admin/calendars",
            get(calendars::show_calendars).post(calendars::add_calendar),
        )
        .route(
            "/admin/calendars/{id}",
            get(calendars::show_calendar).post(calendars::change_calendar),
        )
        .route(
            "/admin/import",
            get(import::show_import).post(import::run_import),
        )
        .route("/tokens", get(admin::show_tokens).post(admin::add_token))
        .route("/tokens/{id}/revoke", post(admin::revoke))
        .merge(agreements::routes())
        .merge(service_admin::routes())
        .merge(meetings::routes())
        .merge(settings::routes())
        .merge(time_zone::routes())
        .merge(organization::routes())
        .merge(mail::routes())
        .merge(objectives::routes())
        .merge(round_table::routes())
        .merge(enhancements::routes())
        .fallback(not_found)
        .layer(axum::middleware::map_response(protect_pages))
}

/// Unknown addresses: a page for people, problem details under `/api/`
/// (the problem middleware turns the bare status into one).
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        StatusCode::NOT_FOUND.into_response()
    } else {
        WebError::NotFound.into_response()
    }
}

/// Pages may load only this site's own assets and may not be framed by
/// another site (no clickjacking of the forms).
async fn protect_pages(mut response: Response) -> Response {
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_page {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                 form-action 'self'; frame-ancestors 'none'",
            ),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    response
}

/// The signed-in person looking at a page, with their form token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

/// The CSRF token of a session: derived from the session's secret cookie,
/// which scripts on other sites can neither read nor guess, so a forged form
/// cannot carry it. It changes with every sign-in and needs no storage.
fn csrf_token_for(session_secret: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"roundtable-csrf\0")
        .chain_update(session_secret.as_bytes())
        .finalize();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares two tokens in time independent of where they differ.
pub(crate) fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let sign_in = || WebError::SignIn {
            next: parts
                .uri
                .path_and_query()
                .map(|path| path.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned()),
        };
        let actor = parts
            .extensions
            .get::<Authenticated>()
            .map(|Authenticated(actor)| actor.clone())
            .ok_or_else(sign_in)?;
        let cookie = session_cookie(&parts.headers).ok_or_else(sign_in)?;
        Ok(Viewer {
            actor,
            csrf: csrf_token_for(cookie),
        })
    }
}

/// The fields of a submitted form, in order, as text.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        FormData(
            form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// Refuses (422 naming the field) a form any of whose fields holds text
    /// the database cannot store, as the API's extractors do.
    pub fn refuse_unstorable_text(&self) -> Result<(), WebError> {
        let unstorable: Vec<&str> = self
            .0
            .iter()
            .filter(|(name, value)| {
                crate::extract::contains_unstorable_text(name)
                    || crate::extract::contains_unstorable_text(value)
            })
            .map(|(name, _)| name.as_str())
            .collect();
        if unstorable.is_empty() {
            Ok(())
        } else {
            Err(WebError::Invalid(
                unstorable
                    .iter()
                    .map(|name| {
                        format!(
                            "{}: {}",
                            name.replace('\0', "\\u0000"),
                            crate::extract::UNSTORABLE_TEXT
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ))
        }
    }

    /// The field's value, or empty text when the form did not send it.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    /// Field `name` as one item a line, each trimmed; blank lines are left out.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(field, _)| field == name)
    }

    /// The trimmed value, or `None` when blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|value| !value.is_empty())
    }
}

/// A form posted by a signed-in person, its CSRF token already checked.
#[derive(Debug)]
pub struct SignedForm {
    pub viewer: Viewer,
    pub form: FormData,
}

impl FromRequest<AppState> for SignedForm {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, state.config.body_limit)
            .await
            .map_err(|_| WebError::BadForm)?;
        let form = FormData::parse(&bytes);
        if !same_token(form.get(CSRF_FIELD), &viewer.csrf) {
            return Err(WebError::Csrf);
        }
        form.refuse_unstorable_text()?;
        Ok(SignedForm { viewer, form })
    }
}

/// The hidden field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// What every page's frame needs: title, who is signed in, where they are.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    pub viewer_name: Option<String>,
    pub viewer_role: String,
    /// Show the administration entries.
    pub administers: bool,
    /// The viewer's own department's queue, if they belong to one.
    pub queue_url: Option<String>,
    /// Show the external-impact report (leads, executives, administrators).
    pub reads_reports: bool,
    pub csrf: String,
    /// The zone the page's times are in, for form labels ("Closes (Europe/Berlin)").
    pub zone_name: String,
    pub css_url: &'static str,
    pub htmx_url: &'static str,
}

impl Layout {
    pub fn new(viewer: &Viewer, title: impl Into<String>, section: &'static str) -> Self {
        Layout {
            title: title.into(),
            section,
            viewer_name: Some(viewer.actor.name.clone()),
            viewer_role: viewer.actor.role.as_str().to_owned(),
            administers: admin::administers(viewer.actor.role),
            queue_url: viewer
                .actor
                .department_id
                .map(|department| format!("/departments/{}/queue", department.0)),
            reads_reports: crate::api::reports::may_read_reports(viewer.actor.role),
            csrf: viewer.csrf.clone(),
            zone_name: format::reader_zone()
                .iana_name()
                .unwrap_or("UTC")
                .to_owned(),
            css_url: assets::url("app.css"),
            htmx_url: assets::url("htmx.min.js"),
        }
    }

    /// The frame for someone not signed in (sign-in and error pages).
    pub fn anonymous(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            section: "",
            viewer_name: None,
            viewer_role: String::new(),
            administers: false,
            queue_url: None,
            reads_reports: false,
            csrf: String::new(),
            zone_name: "UTC".to_owned(),
            css_url: assets::url("app.css"),
            htmx_url: assets::url("htmx.min.js"),
        }
    }

    pub fn is(&self, section: &str) -> bool {
        self.section == section
    }

    /// `aria-current` for the navigation entry of this page.
    pub fn current(&self, section: &str) -> &'static str {
        if self.is(section) { "page" } else { "false" }
    }
}

/// A record's id from a page's path: a positive whole number, or the page is
/// not found.
pub(crate) fn record_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)
}

/// The `{id}` of a page's address (`/agreements/{id}`), read as by
/// [`record_id`]: anything but a positive whole number is a page not found.
#[derive(Debug, Clone, Copy)]
pub struct PageId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PageId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        record_id(&raw)
            .map(PageId)
            .map_err(IntoResponse::into_response)
    }
}

/// Renders a template with a status, or a plain error if rendering fails.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => WebError::Internal(error.to_string()).into_response(),
    }
}

/// A redirect after a successful form (303: the browser follows with GET).
pub fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

pub use roundtable_app::policy::sees_everything;

/// Everything a page can fail with; each becomes an HTML page (or a redirect to sign in).
#[derive(Debug)]
pub enum WebError {
    SignIn { next: String },
    Csrf,
    BadForm,
    NotFound,
    Forbidden(String),
    Conflict(String),
    Invalid(String),
    Unavailable,
    Internal(String),
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::NotFound => WebError::NotFound,
            ApiError::Forbidden(detail) => WebError::Forbidden(detail),
            ApiError::Unauthorized(_) => WebError::SignIn {
                next: "/".to_owned(),
            },
            ApiError::Conflict { detail, .. } => WebError::Conflict(detail),
            ApiError::PreconditionFailed { .. } => WebError::Conflict(
                "Someone else changed this in the meantime. Reload the page and try again."
                    .to_owned(),
            ),
            ApiError::Validation(errors) => WebError::Invalid(errors.to_string()),
            ApiError::BadRequest(detail) => WebError::Invalid(detail),
            ApiError::Unavailable(_) => WebError::Unavailable,
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<roundtable_app::AppError> for WebError {
    fn from(error: roundtable_app::AppError) -> Self {
        WebError::from(ApiError::from(error))
    }
}

impl From<roundtable_store::StoreError> for WebError {
    fn from(error: roundtable_store::StoreError) -> Self {
        WebError::from(ApiError::from(error))
    }
}

#[derive(Debug, Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            WebError::SignIn { next } => {
                let next = session::safe_next(&next);
                let location = if next == "/" {
                    "/login".to_owned()
                } else {
                    format!(
                        "/login?next={}",
                        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                    )
                };
                return see_other(&location);
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was missing its security token or carried a wrong one, so nothing was \
                 changed. Go back, reload the page and send the form again."
                    .to_owned(),
            ),
            WebError::BadForm => (
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                "Go back, reload the page and send the form again.".to_owned(),
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it is not visible to you.".to_owned(),
            ),
            WebError::Forbidden(detail) => (StatusCode::FORBIDDEN, "Not allowed", detail),
            WebError::Conflict(detail) => (StatusCode::CONFLICT, "That cannot be done now", detail),
            WebError::Invalid(detail) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Something in the form is not right",
                detail,
            ),
            WebError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Roundtable cannot reach its database right now; try again shortly.".to_owned(),
            ),
            WebError::Internal(cause) => {
                tracing::error!(%cause, "internal error on a web page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side; it has been logged.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            layout: Layout::anonymous(heading),
            heading: heading.to_owned(),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => {
                let mut response = (status, heading.to_owned()).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                response
            }
        }
    }
}
