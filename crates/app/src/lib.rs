//! The application layer: what a person can do with Roundtable, one
//! function per use case (`enhancements::confirm`, `enhancements::sponsor`, …),
//! each taking a [`Caller`] and typed input and giving typed output or an
//! [`AppError`].
//!
//! Why a layer of its own: the JSON API and the web pages are two ways of
//! asking for the same things. When the rules (who may, what must hold
//! beyond the input's shape, which store calls make the change) live here
//! once, the two adapters cannot drift apart, and neither has to call the
//! other. Adapters parse HTTP into the input types, call the use case and
//! render its answer; they hold no business rule. The store below knows
//! rows and transactions, not people's rights.
//!
//! Areas move here one at a time (see ARCHITECTURE.md for which already
//! have); until an area has, its rules still live in its API handlers.

pub mod actions;
pub mod agreements;
pub mod calendars;
pub mod checks;
pub mod credits;
pub mod departments;
pub mod enhancements;
pub mod error;
pub mod health;
pub mod inbox;
pub mod input;
pub mod kudos;
pub mod mail;
pub mod notification_settings;
pub mod objectives;
pub mod organization;
pub mod people;
pub mod policy;
pub mod pulses;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod segments;
pub mod services;
pub mod sessions;
pub mod sign_in;
pub mod time_zone;
pub mod tokens;
pub mod topics;
pub mod work;

pub use error::AppError;

use roundtable_store::auth::Actor;
use roundtable_store::{Scoped, Store};

/// Who is asking, and the store as they may see it: limited to their
/// organization and recording changes as theirs.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    pub actor: &'a Actor,
    pub scoped: Scoped<'a>,
}

impl<'a> Caller<'a> {
    pub fn new(store: &'a Store, actor: &'a Actor) -> Caller<'a> {
        Caller {
            actor,
            scoped: store.scoped(actor.organization_id).by(actor.person_id),
        }
    }
}
