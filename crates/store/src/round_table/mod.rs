//! The round table: topics with votes and comments, sessions with their
//! agenda, actions, and enhancements.
//!
//! The workflows' rules come from `domain::round_table`; a step the rules
//! refuse is a [`StoreError::Conflict`] naming `status`. An anonymous topic
//! is written with no author anywhere: not in its row and not in the audit
//! log (its entry carries no actor).
//!
//! One file per noun: `topics`, `votes`, `comments`, `sessions`, `actions`,
//! `enhancements`; the row helpers they share are here.

mod actions;
mod comments;
mod enhancements;
mod sessions;
mod topics;
mod votes;

pub use actions::{Action, ActionChanges, ActionFilter, NewAction};
pub use comments::Comment;
pub use enhancements::{Enhancement, EnhancementConfirmation, NewEnhancement};
pub use sessions::{NewSession, Session, SessionChanges};
pub use topics::{Answer, NewTopic, Topic, TopicChanges, TopicFilter};

use crate::StoreError;
use crate::objectives::date_from_db;
use jiff::civil::Date;
use roundtable_domain::ids::PersonId;
use roundtable_domain::round_table::InvalidTransition;
use sqlx::Row;
use sqlx::any::AnyRow;

pub(super) fn conflict(transition: InvalidTransition) -> StoreError {
    StoreError::Conflict {
        field: Some("status".to_owned()),
        message: transition.to_string(),
    }
}

pub(super) fn corrupt(what: &str, text: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {text:?}"))
}

pub(super) fn optional_date(row: &AnyRow, column: &str) -> Result<Option<Date>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| date_from_db(&text))
        .transpose()
}

pub(super) fn person(row: &AnyRow, column: &str) -> Result<Option<PersonId>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(PersonId))
}
