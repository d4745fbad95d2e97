//! Internal requests as stored: the request row, its holding periods (who held
//! it, paused or not — the clocks are computed from these), its immutable
//! event timeline and its comments. Every change writes its event in the same
//! transaction, so the timeline can never disagree with the request.
//!
//! One file per noun or concern: `records` (the request and the values about
//! it), `rows` (reading a row and its periods), `timeline` (the one INSERT of
//! an event and of a period), `outcomes` (the clock outcomes kept on the row),
//! `telling` (notices, worded in `roundtable_domain::notices`), `clock_cache`
//! (calendars and the at-risk share per configuration generation), `create`,
//! `reads`, `workflow` (transitions, edits, deferral, hand-offs), `comments`,
//! `commitments` and `escalations`.

mod clock_cache;
mod comments;
mod commitments;
mod create;
mod escalations;
mod outcomes;
mod reads;
mod records;
mod rows;
mod telling;
pub(crate) mod timeline;
mod workflow;

pub use clock_cache::ClockContext;
pub use commitments::{Commitment, CommitmentSide, CommitmentStatus};
pub use escalations::Escalation;
pub use records::{
    AD_HOC_TARGETS, Comment, NewRequest, Period, Request, RequestChanges, RequestEvent,
    RequestFilter, Transition, TransitionDetails,
};
pub use roundtable_domain::clocks::{ClockKind, EscalationLevel};
pub use workflow::Handoff;

pub(crate) use outcomes::record_outcomes;
pub(crate) use rows::{COLUMNS, FROM, attach_periods, fetch, fetch_locked, from_row};
pub(crate) use telling::{Telling, tell};
pub(crate) use timeline::{NewEvent, end_period, record_event, start_period};
