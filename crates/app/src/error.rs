//! Why a use case refused, in the words the person should read. Each
//! adapter turns these into its own form (a problem-details answer, a page
//! with the message beside the field) through one function of its own.

use roundtable_domain::ValidationErrors;
use roundtable_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller may not do this (their role, or the record's departments).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such record in the caller's organization (or one they may not know of).
    #[error("not found")]
    NotFound,
    /// The input breaks a rule; each message names its field.
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// The record's state does not allow it (a workflow step, a duplicate).
    #[error("conflict: {detail}")]
    Conflict {
        field: Option<String>,
        detail: String,
    },
    /// Nobody is proven to be asking: wrong credentials at sign-in.
    #[error("not signed in: {0}")]
    Unauthenticated(String),
    /// Too many failed attempts: wait before the next.
    #[error("too many attempts: {detail}")]
    Throttled {
        detail: String,
        retry_after_seconds: i64,
    },
    /// The record changed since the caller read it.
    #[error("the record is at version {current_version}")]
    PreconditionFailed { current_version: i64 },
    /// The database cannot take writes now (full, unreachable).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken database, never the caller's doing.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn forbidden(detail: impl Into<String>) -> AppError {
        AppError::Forbidden(detail.into())
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid(ValidationErrors::single(field, message))
    }
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> AppError {
        AppError::Invalid(errors)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { field, message } => AppError::Conflict {
                field,
                detail: message,
            },
            StoreError::InUse(message) => AppError::Conflict {
                field: None,
                detail: message,
            },
            StoreError::VersionMismatch { current } => AppError::PreconditionFailed {
                current_version: current,
            },
            StoreError::Invalid(errors) => AppError::Invalid(errors),
            StoreError::Forbidden(detail) => AppError::Forbidden(detail),
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
            other => AppError::Internal(format!("{other:?}")),
        }
    }
}
