//! The JSON API under `/api/v1`, one module per resource, following the URL
//! tree. Handlers stay thin: parse at the edge, ask the policy, call the store,
//! shape the response. The OpenAPI document is generated from these same route
//! definitions, so it cannot drift from what is served.

pub mod agreements;
pub mod audit_log;
pub mod calendars;
pub mod checks;
pub mod credits;
pub mod departments;
pub mod enhancements;
mod error_responses;
pub mod exports;
pub mod health;
pub mod kudos;
pub mod matrix;
pub mod me;
pub mod notifications;
pub mod objectives;
pub mod organization;
pub mod people;
pub mod pulses;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod segments;
pub mod services;
pub mod sessions;
pub mod tokens;
pub mod topics;
pub mod work;

use crate::AppState;
use crate::auth;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roundtable API",
        description = "Internal customer relationship management: departments, people, calendars, \
                       the relationship matrix, requests, checks and more. Errors are RFC 9457 problem \
                       details (`application/problem+json`); creates accept an Idempotency-Key; updates need If-Match; lists page with cursors."
    ),
    components(schemas(crate::problem::Problem, crate::problem::ProblemField)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "organization", description = "The caller's organization"),
        (name = "departments", description = "Departments: the nodes of the internal-customer chain"),
        (name = "people", description = "People and their roles"),
        (name = "calendars", description = "Business calendars for service levels"),
        (name = "tokens", description = "API tokens"),
        (name = "audit", description = "Who changed what"),
        (name = "services", description = "The service catalogue: what each department delivers to whom"),
        (name = "agreements", description = "Agreements: the cells of the matrix, accepted by both sides"),
        (name = "matrix", description = "The Internal Customer Relationship Matrix"),
        (name = "requests", description = "Internal requests with service-level clocks"),
        (name = "segments", description = "Customer segments: the external customer at the centre"),
        (name = "checks", description = "Satisfaction checks on resolved requests, and the thank-you ledger"),
        (name = "inbox", description = "The work waiting on the caller: each hand-over that is their turn"),
        (name = "notifications", description = "The in-app inbox, notification preferences and signed webhooks"),
        (name = "exports", description = "CSV and JSON exports that honour the anonymity threshold"),
        (name = "pulses", description = "Relationship pulses: rounds, answers (with the provider's mirror) and anonymous results"),
        (name = "round table", description = "Topics, votes, sessions, actions and enhancements"),
        (name = "kudos", description = "Thanks between people and departments, and shared recognitions"),
        (name = "objectives", description = "Corporate objectives, mutual measures with check-ins, department goals"),
        (name = "reports", description = "Reports across the organization: the external impact of internal work"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// The API's routes and the OpenAPI document describing them, every
/// operation's error responses completed (see [`error_responses`]).
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_everywhere))
        .routes(routes!(auth::me))
        .merge(me::router())
        .merge(organization::router())
        .merge(departments::router())
        .merge(people::router())
        .merge(calendars::router())
        .merge(tokens::router())
        .merge(segments::router())
        .merge(services::router())
        .merge(agreements::router())
        .merge(matrix::router())
        .merge(requests::router())
        .merge(credits::router())
        .merge(checks::router())
        .merge(pulses::router())
        .merge(health::router())
        .merge(exports::router())
        .merge(notifications::router())
        .merge(work::router())
        .merge(objectives::router())
        .merge(topics::router())
        .merge(sessions::router())
        .merge(enhancements::router())
        .merge(kudos::router())
        .merge(reviews::router())
        .merge(reports::router())
        .merge(audit_log::router());
    let (router, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .split_for_parts();
    error_responses::complete_error_responses(&mut document);
    (router, document)
}
