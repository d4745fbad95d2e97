//! The pure heart of Roundtable.
//!
//! Everything here is a value or a rule: it knows nothing of HTTP, SQL, files or
//! the clock on the wall (callers pass "now" in). That keeps the rules testable
//! on their own, property-testable where they are arithmetic, and identical
//! whichever database or interface drives them.
//!
//! Values are parsed at the edge: a [`text::Email`] or a [`text::Slug`] can only be
//! made through its `parse` function, so an invalid one cannot exist past the
//! API or import layer.

pub mod agreements;
pub mod business_time;
pub mod business_time_index;
pub mod calendar;
pub mod checks;
pub mod clocks;
pub mod credentials;
pub mod external_impact;
pub mod health;
pub mod ids;
pub mod notices;
pub mod objectives;
pub mod people;
pub mod pulses;
pub mod requests;
pub mod round_table;
pub mod services;
pub mod sign_in;
pub mod text;
pub mod validation;
pub mod webhook_targets;
pub mod work;

pub use validation::{FieldError, ValidationErrors};
