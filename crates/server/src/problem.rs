//! Errors of the HTTP layer and their one rendering: RFC 9457 problem details.
//!
//! Every error a client can see comes out of [`ApiError::into_response`] (or the
//! [`ensure_problem_details`] middleware, for errors raised outside our handlers,
//! such as an unknown route or an oversize body), so clients parse one shape.
//! Validation errors list each bad field. Internal errors are logged in full and
//! answered generically: no SQL, stack or path ever reaches a client.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use roundtable_app::AppError;
use roundtable_domain::{FieldError, ValidationErrors};
use roundtable_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem details document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For validation problems: each bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// For a stale `If-Match`: the record's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// One bad field of an input.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field's path in the input, e.g. `email` or `working_hours.monday[0].end`.
    pub field: String,
    pub message: String,
}

impl From<FieldError> for ProblemField {
    fn from(error: FieldError) -> Self {
        Self {
            field: error.field,
            message: error.message,
        }
    }
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {detail}")]
    Conflict {
        field: Option<String>,
        detail: String,
    },
    #[error("precondition failed")]
    PreconditionFailed { current_version: i64 },
    #[error("precondition required")]
    PreconditionRequired,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("invalid input: {0}")]
    Validation(ValidationErrors),
    #[error("too many requests: {detail}")]
    TooManyRequests {
        detail: String,
        retry_after_seconds: i64,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(ValidationErrors::single(field, message))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::Forbidden(detail.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn into_problem(self) -> Problem {
        let status = self.status();
        let mut problem = Problem::for_status(status);
        match self {
            ApiError::BadRequest(detail)
            | ApiError::Forbidden(detail)
            | ApiError::Unauthorized(detail) => {
                problem.detail = Some(detail);
            }
            ApiError::NotFound => {
                problem.detail = Some("No such record in your organization.".to_owned());
            }
            ApiError::Conflict { field, detail } => {
                if let Some(field) = field {
                    problem.errors.push(ProblemField {
                        field,
                        message: detail.clone(),
                    });
                }
                problem.detail = Some(detail);
            }
            ApiError::PreconditionFailed { current_version } => {
                problem.detail = Some(format!(
                    "The record was changed by someone else; it is now at version {current_version}. \
                     Fetch it again, reapply your change and send the new ETag in If-Match."
                ));
                problem.current_version = Some(current_version);
            }
            ApiError::PreconditionRequired => {
                problem.detail = Some(
                    "Updates need an If-Match header with the record's ETag, so concurrent edits are never lost."
                        .to_owned(),
                );
            }
            ApiError::PayloadTooLarge => {
                problem.detail =
                    Some("The request body is larger than this server accepts.".to_owned());
            }
            ApiError::UnsupportedMediaType => {
                problem.detail =
                    Some("Send the body as JSON with Content-Type: application/json.".to_owned());
            }
            ApiError::Validation(errors) => {
                problem.detail = Some(if errors.0.len() == 1 {
                    "One field is invalid.".to_owned()
                } else {
                    format!("{} fields are invalid.", errors.0.len())
                });
                problem.errors = errors.0.into_iter().map(ProblemField::from).collect();
            }
            ApiError::TooManyRequests { detail, .. } => {
                problem.detail = Some(detail);
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                problem.detail =
                    Some("The service is temporarily unavailable; try again shortly.".to_owned());
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                problem.detail =
                    Some("Something went wrong on our side; it has been logged.".to_owned());
            }
        }
        problem
    }
}

impl Problem {
    pub fn for_status(status: StatusCode) -> Self {
        let (slug, title) = match status.as_u16() {
            400 => ("bad-request", "Bad request"),
            401 => ("unauthorized", "Authentication required"),
            403 => ("forbidden", "Forbidden"),
            404 => ("not-found", "Not found"),
            405 => ("method-not-allowed", "Method not allowed"),
            408 => ("timeout", "Request timed out"),
            409 => ("conflict", "Conflict"),
            412 => ("precondition-failed", "Precondition failed"),
            413 => ("payload-too-large", "Payload too large"),
            415 => ("unsupported-media-type", "Unsupported media type"),
            422 => ("validation", "Invalid input"),
            428 => ("precondition-required", "Precondition required"),
            429 => ("too-many-requests", "Too many requests"),
            503 => ("unavailable", "Service unavailable"),
            _ if status.is_server_error() => ("internal", "Internal server error"),
            _ => ("error", "Error"),
        };
        Problem {
            problem_type: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            current_version: None,
        }
    }

    pub fn into_response_with(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = matches!(self, ApiError::Unauthorized(_));
        let retry_after = match &self {
            ApiError::TooManyRequests {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        };
        let mut response = self.into_problem().into_response_with();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(Ok(value)) =
            retry_after.map(|seconds| HeaderValue::from_str(&seconds.max(1).to_string()))
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::from(AppError::from(error))
    }
}

/// The one mapping from a use case's refusal to an HTTP status.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Forbidden(detail) => ApiError::Forbidden(detail),
            AppError::NotFound => ApiError::NotFound,
            AppError::Invalid(errors) => ApiError::Validation(errors),
            AppError::Conflict { field, detail } => ApiError::Conflict { field, detail },
            AppError::PreconditionFailed { current_version } => {
                ApiError::PreconditionFailed { current_version }
            }
            AppError::Unauthenticated(detail) => ApiError::Unauthorized(detail),
            AppError::Throttled {
                detail,
                retry_after_seconds,
            } => ApiError::TooManyRequests {
                detail,
                retry_after_seconds,
            },
            AppError::Unavailable(cause) => ApiError::Unavailable(cause),
            AppError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// Turns any error response that is not already problem details (an unknown
/// route, a wrong method, a body over the limit, a timeout) into one.
pub async fn ensure_problem_details(request: Request<Body>, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(PROBLEM_CONTENT_TYPE));
    // Web pages answer their errors with an HTML page of their own.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_problem || is_page {
        return response;
    }
    let mut problem = Problem::for_status(status);
    problem.detail = Some(match status.as_u16() {
        404 => "There is nothing at this address.".to_owned(),
        405 => "This address does not accept that method.".to_owned(),
        413 => "The request body is larger than this server accepts.".to_owned(),
        408 => "The request took too long.".to_owned(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    });
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut replaced = problem.into_response_with();
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    replaced
}
