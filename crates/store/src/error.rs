//! What can go wrong in storage, in terms callers can act on.
//!
//! Built from sqlx's `DatabaseError::kind()`, which both drivers fill in the same
//! way, so a duplicate is a [`StoreError::Conflict`] on SQLite and PostgreSQL alike.

use roundtable_domain::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record in this organization.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (a duplicate slug or email); `field` names it when known.
    #[error("conflict: {message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// The workflow forbids this caller the step (not their role on the record).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The record is still referenced by others and cannot be removed.
    #[error("in use: {0}")]
    InUse(String),
    /// The caller's version is stale: someone else changed the record first.
    #[error("the record was changed by someone else (now version {current})")]
    VersionMismatch { current: i64 },
    /// The input refers to records that do not exist, or breaks a rule only the
    /// database can check (such as a department becoming its own ancestor).
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// The database could not be reached or is overloaded; worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Misconfiguration (a bad URL, a backup target that exists).
    #[error("{0}")]
    Configuration(String),
    #[error("migration failed: {0}")]
    Migration(String),
    /// Stored data that no longer parses: a bug or a manual edit.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid(ValidationErrors::single(field, message))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(error.to_string())
            }
            sqlx::Error::Database(database_error) => match database_error.kind() {
                ErrorKind::UniqueViolation => StoreError::Conflict {
                    field: None,
                    message: "a record with the same unique value already exists".to_owned(),
                },
                ErrorKind::ForeignKeyViolation => {
                    StoreError::InUse("the record is referenced by other records".to_owned())
                }
                _ if is_busy(database_error.message())
                    || is_out_of_storage(database_error.message()) =>
                {
                    StoreError::Unavailable(database_error.message().to_owned())
                }
                _ => StoreError::Database(error),
            },
            _ => StoreError::Database(error),
        }
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("too many connections")
}

/// SQLite's full disk (or a file at its `max_page_count`) and I/O errors;
/// PostgreSQL's "could not extend file" and "No space left on device".
/// Worth retrying once space is back, and never the caller's fault.
fn is_out_of_storage(message: &str) -> bool {
    message.contains("database or disk is full")
        || message.contains("disk I/O error")
        || message.contains("could not extend file")
        || message.contains("No space left on device")
}
