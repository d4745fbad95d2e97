//! API tests: real HTTP against the running application, on whichever database
//! the run selected (see roundtable-testkit). The same tests run on both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alignment_robustness;
mod audit;
mod auth;
mod authorization;
mod calendars;
mod checks;
mod concurrency;
mod credits;
mod departments;
mod external_impact;
mod facilitators;
mod idempotency;
mod inbox;
mod input_safety;
mod kudos;
mod matrix;
mod notifications;
mod objectives;
mod observability;
mod openapi;
mod people;
mod pulses;
mod requests;
mod reviews;
mod robustness;
mod round_table;
mod security;
mod segments;
mod snapshots;
mod sso;
mod support;
mod tenancy;
mod tokens;
mod web;
mod web_alignment;
mod web_feedback;
mod web_heat_map;
mod web_management;
mod web_relationships;
mod web_time_zone;
