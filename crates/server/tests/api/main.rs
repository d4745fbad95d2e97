//! API tests: real HTTP against the running application, on whichever database
//! the run selected (see roundtable-testkit). The same tests run on both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod auth;
mod calendars;
mod concurrency;
mod departments;
mod idempotency;
mod matrix;
mod observability;
mod people;
mod requests;
mod robustness;
mod segments;
mod support;
mod tenancy;
mod tokens;
mod web;
