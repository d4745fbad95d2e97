//! The authorization matrix, generated from the OpenAPI document: every
//! operation the document lists is called by every kind of caller (admin,
//! executive, the lead of the department concerned, the requester, a member of
//! an unrelated department, nobody signed in), in our organization and from
//! another organization, on real records made for the purpose; each answer is
//! compared with the table below. An operation without an entry in the table
//! fails the test, so a new endpoint cannot ship without deciding who may call it.
//!
//! Allowed means a 2xx, or a 4xx about the input or the record's state
//! (400, 409, 412, 415, 422, 428): the caller got past authorization. Denied
//! means 401, 403 or 404. Another organization's records are always denied.

use crate::support::{PASSWORD, TestApp, User, expect_status, id_of, weekday_calendar};
use reqwest::{Method, StatusCode};
use roundtable_domain::people::Role;
use roundtable_exchange::export::ExportKind;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A word every record of our organization carries in its name, so a leak
/// into another organization's answers is visible.
const MARKER: &str = "Acmesecret";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Caller {
    Anonymous,
    /// A member of a department that is party to nothing.
    Bystander,
    /// A member of the consumer department, who raised the request.
    Member,
    /// The lead of the provider department: the department concerned.
    Lead,
    Executive,
    Admin,
}

use Caller::{Admin, Anonymous, Bystander, Executive, Lead, Member};

const EVERYONE: &[Caller] = &[Anonymous, Bystander, Member, Lead, Executive, Admin];
const SIGNED_IN: &[Caller] = &[Bystander, Member, Lead, Executive, Admin];
const ADMIN: &[Caller] = &[Admin];
const EXECUTIVE: &[Caller] = &[Executive];
const STEERING: &[Caller] = &[Executive, Admin];
const LEAD_OR_ADMIN: &[Caller] = &[Lead, Admin];
const LEADERSHIP: &[Caller] = &[Lead, Executive, Admin];
/// A request is visible to the requester's and the provider's departments, executives and admins.
const REQUEST_PARTIES: &[Caller] = &[Member, Lead, Executive, Admin];
/// The requester, the provider department, and admins (who act for the provider).
const REQUEST_SIDES: &[Caller] = &[Member, Lead, Admin];
const PROVIDER_SIDE: &[Caller] = &[Lead, Admin];
const REQUESTER: &[Caller] = &[Member];

/// One row of the table: who may call an operation, and with what.
struct Entry {
    allowed: &'static [Caller],
    body: Option<Value>,
    query: String,
    /// Runs after every other operation (it changes what the others need).
    last: bool,
    /// Each call gets a record of its own (deletes, and moves that change state).
    fresh: bool,
}

fn allow(allowed: &'static [Caller]) -> Entry {
    Entry {
        allowed,
        body: None,
        query: String::new(),
        last: false,
        fresh: false,
    }
}

impl Entry {
    fn body(mut self, body: Value) -> Entry {
        self.body = Some(body);
        self
    }
    fn query(mut self, query: &str) -> Entry {
        self.query = query.to_owned();
        self
    }
    fn last(mut self) -> Entry {
        self.last = true;
        self
    }
    fn fresh(mut self) -> Entry {
        self.fresh = true;
        self
    }
}

/// Our organization's records and people.
struct World {
    ids: HashMap<&'static str, i64>,
    provider: i64,
    consumer: i64,
    unrelated: i64,
    own: HashMap<Caller, User>,
    other: HashMap<Caller, User>,
    counter: AtomicUsize,
}

impl World {
    fn id(&self, collection: &str) -> i64 {
        *self
            .ids
            .get(collection)
            .unwrap_or_else(|| panic!("no fixture for {collection}"))
    }

    fn unique(&self, prefix: &str) -> String {
        format!(
            "Matrix {prefix} {}",
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// The expected outcome of every operation in our organization.
fn table(world: &World) -> HashMap<(Method, &'static str), Entry> {
    let provider = world.provider;
    let consumer = world.consumer;
    let unrelated = world.unrelated;
    let member = world.own[&Member].id.0;
    let objective = world.id("objectives");
    let topic = world.id("topics");
    let tomorrow = "2030-01-02T10:00:00Z";
    let dimensions = json!({ "reliability": 5, "responsiveness": 5, "assurance": 5, "empathy": 5, "tangibles": 5 });
    let entries: Vec<(Method, &'static str, Entry)> = vec![
        // Signing in and out, and who am I.
        (
            Method::POST,
            "/api/v1/auth/login",
            allow(EVERYONE).body(json!({ "email": world.own[&Member].email, "password": PASSWORD })),
        ),
        (Method::POST, "/api/v1/auth/logout", allow(SIGNED_IN)),
        (Method::POST, "/api/v1/auth/logout-everywhere", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/me", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/me/time-zone", allow(SIGNED_IN)),
        (Method::PUT, "/api/v1/me/time-zone", allow(SIGNED_IN)),
        // The organization's structure: read by all, changed by admins.
        (Method::GET, "/api/v1/organization", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/organization", allow(ADMIN).body(json!({}))),
        (Method::GET, "/api/v1/departments", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/departments",
            allow(ADMIN).body(json!({ "name": world.unique("Department") })),
        ),
        (Method::GET, "/api/v1/departments/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/departments/{id}", allow(ADMIN).body(json!({}))),
        (Method::DELETE, "/api/v1/departments/{id}", allow(ADMIN).fresh()),
        (Method::GET, "/api/v1/departments/{id}/scorecard", allow(SIGNED_IN)),
        // A department's queue: its own people, executives and admins.
        (Method::GET, "/api/v1/departments/{id}/queue", allow(&[Lead, Executive, Admin])),
        (Method::GET, "/api/v1/people", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/people",
            allow(ADMIN).body(json!({ "email": "new.person@acme.test", "name": world.unique("Person") })),
        ),
        (Method::GET, "/api/v1/people/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/people/{id}", allow(ADMIN).body(json!({}))),
        (Method::DELETE, "/api/v1/people/{id}", allow(ADMIN).fresh()),
        (
            Method::POST,
            "/api/v1/people/{id}/password-reset",
            allow(ADMIN).body(json!({ "password": "a reset but private phrase" })).fresh(),
        ),
        (Method::GET, "/api/v1/calendars", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/calendars",
            allow(ADMIN).body(weekday_calendar(&world.unique("Calendar"))),
        ),
        (Method::GET, "/api/v1/calendars/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/calendars/{id}", allow(ADMIN).body(json!({}))),
        (Method::DELETE, "/api/v1/calendars/{id}", allow(ADMIN).fresh()),
        (
            Method::GET,
            "/api/v1/calendars/{id}/due",
            allow(SIGNED_IN).query("start=2027-01-04T08:00:00Z&minutes=60"),
        ),
        (
            Method::GET,
            "/api/v1/calendars/{id}/business-minutes",
            allow(SIGNED_IN).query("from=2027-01-04T08:00:00Z&to=2027-01-05T08:00:00Z"),
        ),
        (Method::GET, "/api/v1/segments", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/segments",
            allow(ADMIN).body(json!({ "name": world.unique("Segment") })),
        ),
        (Method::GET, "/api/v1/segments/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/segments/{id}", allow(ADMIN).body(json!({}))),
        (Method::DELETE, "/api/v1/segments/{id}", allow(ADMIN).fresh()),
        // Tokens: one's own; admins anyone's.
        (Method::GET, "/api/v1/tokens", allow(SIGNED_IN)),
        (Method::POST, "/api/v1/tokens", allow(SIGNED_IN).body(json!({ "name": "matrix" }))),
        (Method::DELETE, "/api/v1/tokens/{id}", allow(ADMIN).fresh()),
        (Method::GET, "/api/v1/audit-log", allow(ADMIN)),
        // Services and agreements: the provider's lead (either side's lead for agreements) and admins.
        (Method::GET, "/api/v1/services", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/services",
            allow(LEAD_OR_ADMIN).body(json!({
                "provider_department_id": provider, "consumer_department_ids": [unrelated],
                "name": world.unique("Service"), "first_response_minutes": 60, "fulfilment_minutes": 600
            })),
        ),
        (Method::GET, "/api/v1/services/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/services/{id}", allow(LEAD_OR_ADMIN).body(json!({}))),
        (Method::DELETE, "/api/v1/services/{id}", allow(LEAD_OR_ADMIN).fresh()),
        (Method::GET, "/api/v1/agreements", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/agreements",
            allow(LEAD_OR_ADMIN).body(json!({ "provider_department_id": provider, "consumer_department_id": consumer })),
        ),
        (Method::GET, "/api/v1/agreements/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/agreements/{id}", allow(LEAD_OR_ADMIN).body(json!({ "notes": "Revised" }))),
        (Method::DELETE, "/api/v1/agreements/{id}", allow(LEAD_OR_ADMIN).fresh()),
        (Method::POST, "/api/v1/agreements/{id}/propose", allow(LEAD_OR_ADMIN)),
        // Only the departments' own leads accept.
        (Method::POST, "/api/v1/agreements/{id}/accept", allow(&[Lead])),
        (Method::GET, "/api/v1/agreements/{id}/versions", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/agreements/{id}/reviews", allow(SIGNED_IN)),
        (Method::POST, "/api/v1/agreements/{id}/reviews", allow(LEAD_OR_ADMIN).body(json!({}))),
        (Method::GET, "/api/v1/matrix", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/matrix/cells/{provider_id}/{consumer_id}", allow(SIGNED_IN)),
        // Requests: visible to the two departments, executives and admins.
        (Method::GET, "/api/v1/requests", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/requests",
            allow(SIGNED_IN).body(json!({ "service_id": world.id("services"), "title": world.unique("Request") })),
        ),
        (Method::GET, "/api/v1/requests/{id}", allow(REQUEST_PARTIES)),
        (Method::PATCH, "/api/v1/requests/{id}", allow(REQUEST_SIDES).body(json!({ "description": "More detail" }))),
        (
            Method::POST,
            "/api/v1/requests/{id}/transitions",
            allow(PROVIDER_SIDE).body(json!({ "to": "acknowledged" })).fresh(),
        ),
        (Method::GET, "/api/v1/requests/{id}/comments", allow(REQUEST_PARTIES)),
        (
            Method::POST,
            "/api/v1/requests/{id}/comments",
            allow(REQUEST_PARTIES).body(json!({ "body": "A comment" })),
        ),
        (Method::GET, "/api/v1/requests/{id}/events", allow(REQUEST_PARTIES)),
        // Credit: the two sides give it (the fixture is open, so they hear 409); the giver (or an admin) takes it back.
        (Method::GET, "/api/v1/requests/{id}/credits", allow(REQUEST_PARTIES)),
        (
            Method::POST,
            "/api/v1/requests/{id}/credits",
            allow(REQUEST_SIDES).body(json!({ "people": [world.id("people")], "note": "Thanks" })),
        ),
        (Method::DELETE, "/api/v1/requests/{id}/credits/{person_id}", allow(LEAD_OR_ADMIN).fresh()),
        (Method::GET, "/api/v1/requests/{id}/commitments", allow(REQUEST_PARTIES)),
        (
            Method::POST,
            "/api/v1/requests/{id}/commitments",
            allow(REQUEST_SIDES).body(json!({ "due_at": tomorrow })),
        ),
        (
            Method::POST,
            "/api/v1/requests/{id}/commitments/{commitment_id}/accept",
            allow(REQUEST_SIDES),
        ),
        (
            Method::POST,
            "/api/v1/requests/{id}/deferral",
            allow(PROVIDER_SIDE).body(json!({ "reason": "Waiting for the budget", "new_eta": tomorrow })),
        ),
        (
            Method::POST,
            "/api/v1/requests/{id}/sub-requests",
            allow(PROVIDER_SIDE).body(json!({ "provider_department_id": unrelated, "title": world.unique("Sub-request") })),
        ),
        (
            Method::POST,
            "/api/v1/requests/{id}/transfer",
            allow(PROVIDER_SIDE).body(json!({ "department_id": unrelated })).last(),
        ),
        // Checks are the requester's to answer; the ledger is the admins'.
        (Method::GET, "/api/v1/checks", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/checks/{id}", allow(REQUESTER)),
        (Method::POST, "/api/v1/checks/{id}/answer", allow(REQUESTER).body(json!({ "answer": "met" }))),
        // One's own thank-yous; everyone's for admins.
        (Method::GET, "/api/v1/thank-yous", allow(ADMIN).query("everyone=true")),
        (Method::POST, "/api/v1/thank-yous/coupons", allow(ADMIN).body(json!({ "codes": ["MATRIX-1"] }))),
        // Pulses: rounds are run by executives and admins; everyone may answer and read results.
        (Method::GET, "/api/v1/pulses", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/pulses",
            allow(STEERING).body(json!({ "name": world.unique("Pulse"), "closes_at": tomorrow,
                "cells": [{ "provider_department_id": provider, "consumer_department_id": consumer }] })),
        ),
        (Method::GET, "/api/v1/pulses/{id}", allow(SIGNED_IN)),
        (Method::POST, "/api/v1/pulses/{id}/close", allow(STEERING).last()),
        (
            Method::POST,
            "/api/v1/pulses/{id}/responses",
            allow(&[Member, Lead]).body(json!({ "provider_department_id": provider, "consumer_department_id": consumer,
                "perception": dimensions })),
        ),
        (Method::GET, "/api/v1/pulses/{id}/results", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/exports/{kind}", allow(STEERING)),
        // Notifications are one's own; webhooks the admins'.
        (Method::GET, "/api/v1/inbox", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/notifications", allow(SIGNED_IN)),
        (Method::POST, "/api/v1/notifications/{id}/read", allow(REQUESTER)),
        (Method::POST, "/api/v1/notifications/read-all", allow(SIGNED_IN)),
        (Method::GET, "/api/v1/notifications/preferences", allow(SIGNED_IN)),
        (
            Method::PUT,
            "/api/v1/notifications/preferences",
            allow(SIGNED_IN).body(json!({ "choices": [] })),
        ),
        (Method::GET, "/api/v1/webhooks", allow(ADMIN)),
        (
            Method::POST,
            "/api/v1/webhooks",
            allow(ADMIN).body(json!({ "url": "http://127.0.0.1:9/hook" })),
        ),
        (Method::GET, "/api/v1/webhooks/{id}", allow(ADMIN)),
        (Method::PATCH, "/api/v1/webhooks/{id}", allow(ADMIN).body(json!({ "active": true }))),
        (Method::DELETE, "/api/v1/webhooks/{id}", allow(ADMIN).fresh()),
        (Method::GET, "/api/v1/webhooks/{id}/deliveries", allow(ADMIN)),
        // Objectives, measures and reviews: executives and admins steer; departments check in and set goals.
        (Method::GET, "/api/v1/objectives", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/objectives",
            allow(STEERING).body(json!({ "period": "2027-Q1", "title": world.unique("Objective"), "category": "other" })),
        ),
        (Method::GET, "/api/v1/objectives/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/objectives/{id}", allow(STEERING).body(json!({}))),
        (Method::DELETE, "/api/v1/objectives/{id}", allow(STEERING).fresh()),
        (Method::GET, "/api/v1/measures", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/measures",
            allow(STEERING).body(json!({ "objective_id": objective, "name": world.unique("Measure"),
                "direction": "increase", "baseline": 0, "target": 10 })),
        ),
        (Method::GET, "/api/v1/measures/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/measures/{id}", allow(STEERING).body(json!({}))),
        (Method::GET, "/api/v1/measures/{id}/checkins", allow(SIGNED_IN)),
        // The measure's contributor is the provider department.
        (
            Method::POST,
            "/api/v1/measures/{id}/checkins",
            allow(LEADERSHIP).body(json!({ "value": 1 })),
        ),
        (Method::GET, "/api/v1/goals", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/goals",
            allow(LEADERSHIP).body(json!({ "department_id": provider, "period": "2027-Q1", "title": world.unique("Goal") })),
        ),
        (Method::GET, "/api/v1/goals/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/goals/{id}", allow(LEADERSHIP).body(json!({}))),
        (Method::DELETE, "/api/v1/goals/{id}", allow(LEADERSHIP).fresh()),
        (Method::GET, "/api/v1/reviews", allow(SIGNED_IN)),
        (Method::POST, "/api/v1/reviews", allow(STEERING).body(json!({ "period": "2027-Q2" }))),
        (Method::GET, "/api/v1/reviews/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/reviews/{id}", allow(STEERING).body(json!({}))),
        (Method::GET, "/api/v1/reviews/{id}/agenda", allow(SIGNED_IN)),
        // The round table: everyone speaks; leads, executives and admins move things along.
        (Method::GET, "/api/v1/topics", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/topics",
            allow(SIGNED_IN).body(json!({ "kind": "suggestion", "title": world.unique("Topic") })),
        ),
        (Method::GET, "/api/v1/topics/{id}", allow(SIGNED_IN)),
        // Authors edit their own words; moving a topic along is for leadership.
        (Method::PATCH, "/api/v1/topics/{id}", allow(LEADERSHIP).body(json!({ "status": "discussed" }))),
        (Method::POST, "/api/v1/topics/{id}/votes", allow(SIGNED_IN)),
        (Method::DELETE, "/api/v1/topics/{id}/votes", allow(SIGNED_IN)),
        // The topic is an assumption about the provider department: its people answer it (and admins).
        (
            Method::POST,
            "/api/v1/topics/{id}/answer",
            allow(&[Lead, Admin]).body(json!({ "answer": "confirmed" })),
        ),
        (Method::GET, "/api/v1/topics/{id}/comments", allow(SIGNED_IN)),
        (Method::POST, "/api/v1/topics/{id}/comments", allow(SIGNED_IN).body(json!({ "body": "Agreed" }))),
        (Method::GET, "/api/v1/sessions", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/sessions",
            allow(LEADERSHIP).body(json!({ "scheduled_at": tomorrow, "topic_ids": [topic] })),
        ),
        (Method::GET, "/api/v1/sessions/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/sessions/{id}", allow(LEADERSHIP).body(json!({}))),
        (Method::GET, "/api/v1/actions", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/actions",
            allow(LEADERSHIP).body(json!({ "title": world.unique("Action"), "owner_person_id": member, "due_on": "2030-01-31" })),
        ),
        (Method::GET, "/api/v1/actions/{id}", allow(SIGNED_IN)),
        (Method::PATCH, "/api/v1/actions/{id}", allow(LEADERSHIP).body(json!({}))),
        (Method::GET, "/api/v1/enhancements", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/enhancements",
            allow(LEADERSHIP).body(json!({ "objective_id": objective, "title": world.unique("Enhancement"),
                "department_ids": [provider, consumer] })),
        ),
        (Method::GET, "/api/v1/enhancements/{id}", allow(SIGNED_IN)),
        // The work is the proposing departments' (the fixture names the provider); sponsoring is an executive's.
        (Method::PATCH, "/api/v1/enhancements/{id}", allow(&[Lead]).body(json!({ "status": "in_progress" }))),
        (Method::POST, "/api/v1/enhancements/{id}/sponsor", allow(EXECUTIVE)),
        (Method::POST, "/api/v1/enhancements/{id}/confirm", allow(&[Lead])),
        // Kudos: a public feed anyone adds to.
        (Method::GET, "/api/v1/kudos", allow(SIGNED_IN)),
        (
            Method::POST,
            "/api/v1/kudos",
            allow(SIGNED_IN).body(json!({ "message": "Thank you", "receiver_department_id": consumer })),
        ),
        (Method::GET, "/api/v1/kudos/{id}", allow(SIGNED_IN)),
        // Reports: leads (their own departments' rows), executives and admins.
        (Method::GET, "/api/v1/reports/external-impact", allow(LEADERSHIP)),
    ];
    let mut table = HashMap::new();
    for (method, path, entry) in entries {
        let previous = table.insert((method.clone(), path), entry);
        assert!(previous.is_none(), "{method} {path} is in the table twice");
    }
    table
}

async fn created(app: &TestApp, user: &User, path: &str, body: Value) -> Value {
    app.create(user, path, &body).await
}

/// Makes our organization's records: the provider (led by `Lead`) serves the
/// consumer (where `Member` works); a third department is party to nothing.
async fn world(app: &TestApp) -> World {
    let admin = app.admin.clone();
    let department = |name: &str| json!({ "name": format!("{MARKER} {name}") });
    let provider =
        id_of(&created(app, &admin, "/api/v1/departments", department("Provider")).await);
    let consumer =
        id_of(&created(app, &admin, "/api/v1/departments", department("Consumer")).await);
    let unrelated =
        id_of(&created(app, &admin, "/api/v1/departments", department("Unrelated")).await);
    let lead = app
        .add_member_of("provider.lead@acme.test", Role::Lead, provider)
        .await;
    let member = app.add_member("requester@acme.test", consumer).await;
    let bystander = app.add_member("bystander@acme.test", unrelated).await;
    let executive = app.add_user("executive@acme.test", Role::Executive).await;
    let current = app
        .read(&admin, &format!("/api/v1/departments/{provider}"))
        .await;
    expect_status(
        app.patch(
            &admin,
            &format!("/api/v1/departments/{provider}"),
            current["version"].as_i64().unwrap(),
            &json!({ "lead_ids": [lead.id.0] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let mut ids: HashMap<&'static str, i64> = HashMap::new();
    ids.insert("departments", provider);
    let every_day = json!([{ "start": "00:00", "end": "24:00" }]);
    let calendar = created(app, &admin, "/api/v1/calendars", json!({
        "name": format!("{MARKER} Always"), "time_zone": "UTC",
        "working_hours": { "monday": every_day, "tuesday": every_day, "wednesday": every_day, "thursday": every_day,
                           "friday": every_day, "saturday": every_day, "sunday": every_day }
    }))
    .await;
    ids.insert("calendars", id_of(&calendar));
    ids.insert(
        "segments",
        id_of(
            &created(
                app,
                &admin,
                "/api/v1/segments",
                json!({ "name": format!("{MARKER} Segment") }),
            )
            .await,
        ),
    );
    let service = created(app, &admin, "/api/v1/services", json!({
        "provider_department_id": provider, "consumer_department_ids": [consumer], "name": format!("{MARKER} Service"),
        "first_response_minutes": 600, "fulfilment_minutes": 6000, "check_sampling_rate": 1.0
    }))
    .await;
    ids.insert("services", id_of(&service));
    let agreement = created(app, &admin, "/api/v1/agreements", json!({
        "provider_department_id": provider, "consumer_department_id": consumer, "service_ids": [id_of(&service)],
        "notes": format!("{MARKER} agreement")
    }))
    .await;
    ids.insert("agreements", id_of(&agreement));
    // The consumer's lead accepts too: the cell is agreed, so a pulse can ask about it.
    let consumer_lead = app
        .add_member_of("consumer.lead@acme.test", Role::Lead, consumer)
        .await;
    ids.insert("people", consumer_lead.id.0);
    let current = app
        .read(&admin, &format!("/api/v1/departments/{consumer}"))
        .await;
    expect_status(
        app.patch(
            &admin,
            &format!("/api/v1/departments/{consumer}"),
            current["version"].as_i64().unwrap(),
            &json!({ "lead_ids": [consumer_lead.id.0] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let transition = |step: &str| format!("/api/v1/agreements/{}/{step}", id_of(&agreement));
    expect_status(
        app.post(&lead, &transition("propose"), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post(&lead, &transition("accept"), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post(&consumer_lead, &transition("accept"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;

    // A request the member raised and the lead resolved: the member is asked a check.
    let resolved = created(
        app,
        &member,
        "/api/v1/requests",
        json!({ "service_id": id_of(&service), "title": format!("{MARKER} Resolved") }),
    )
    .await;
    let transitions = format!("/api/v1/requests/{}/transitions", id_of(&resolved));
    for step in [
        json!({ "to": "acknowledged" }),
        json!({ "to": "resolved", "input_quality": "complete" }),
    ] {
        expect_status(app.post(&lead, &transitions, &step).await, StatusCode::OK).await;
    }
    let checks = app.read(&member, "/api/v1/checks").await;
    ids.insert("checks", id_of(&checks["items"][0]));
    let notifications = app.read(&member, "/api/v1/notifications").await;
    ids.insert("notifications", id_of(&notifications["items"][0]));

    let request = created(
        app,
        &member,
        "/api/v1/requests",
        json!({ "service_id": id_of(&service), "title": format!("{MARKER} Open") }),
    )
    .await;
    ids.insert("requests", id_of(&request));
    let commitment = created(
        app,
        &lead,
        &format!("/api/v1/requests/{}/commitments", id_of(&request)),
        json!({ "due_at": "2030-01-01T10:00:00Z" }),
    )
    .await;
    ids.insert("commitments", id_of(&commitment));

    let pulse = created(
        app,
        &admin,
        "/api/v1/pulses",
        json!({ "name": format!("{MARKER} Pulse"), "closes_at": "2030-01-01T00:00:00Z",
        "cells": [{ "provider_department_id": provider, "consumer_department_id": consumer }] }),
    )
    .await;
    ids.insert("pulses", id_of(&pulse));
    let objective = created(
        app,
        &admin,
        "/api/v1/objectives",
        json!({ "period": "2027-Q1", "title": format!("{MARKER} Objective"), "category": "other" }),
    )
    .await;
    ids.insert("objectives", id_of(&objective));
    let measure = created(app, &admin, "/api/v1/measures", json!({
        "objective_id": id_of(&objective), "name": format!("{MARKER} Measure"), "direction": "increase", "baseline": 0, "target": 100,
        "contributors": [{ "department_id": provider, "statement": "We deliver" }]
    }))
    .await;
    ids.insert("measures", id_of(&measure));
    ids.insert("goals", id_of(&created(app, &admin, "/api/v1/goals", json!({ "department_id": provider, "period": "2027-Q1", "title": format!("{MARKER} Goal") })).await));
    ids.insert(
        "reviews",
        id_of(
            &created(
                app,
                &admin,
                "/api/v1/reviews",
                json!({ "period": "2027-Q1" }),
            )
            .await,
        ),
    );
    let topic = created(
        app,
        &member,
        "/api/v1/topics",
        json!({ "kind": "assumption", "title": format!("{MARKER} Assumption"),
        "about_department_id": provider }),
    )
    .await;
    ids.insert("topics", id_of(&topic));
    ids.insert(
        "sessions",
        id_of(
            &created(
                app,
                &admin,
                "/api/v1/sessions",
                json!({ "scheduled_at": "2030-01-01T10:00:00Z" }),
            )
            .await,
        ),
    );
    ids.insert("actions", id_of(&created(app, &admin, "/api/v1/actions", json!({ "title": format!("{MARKER} Action"), "owner_person_id": lead.id.0, "due_on": "2030-01-31" })).await));
    ids.insert(
        "enhancements",
        id_of(
            &created(
                app,
                &admin,
                "/api/v1/enhancements",
                json!({ "objective_id": id_of(&objective),
        "title": format!("{MARKER} Enhancement"), "department_ids": [provider, consumer] }),
            )
            .await,
        ),
    );
    ids.insert(
        "kudos",
        id_of(
            &created(
                app,
                &member,
                "/api/v1/kudos",
                json!({ "message": format!("{MARKER} thanks"), "receiver_person_id": lead.id.0 }),
            )
            .await,
        ),
    );
    ids.insert(
        "webhooks",
        id_of(
            &created(
                app,
                &admin,
                "/api/v1/webhooks",
                json!({ "url": "http://127.0.0.1:9/acmesecret" }),
            )
            .await,
        ),
    );
    ids.insert(
        "tokens",
        id_of(
            &created(
                app,
                &admin,
                "/api/v1/tokens",
                json!({ "name": format!("{MARKER} token") }),
            )
            .await,
        ),
    );

    // The other organization: one person per role, a lead of a department of its own.
    let globex = app.outsider.organization;
    let mut other = HashMap::new();
    other.insert(Admin, app.outsider.clone());
    let theirs = id_of(
        &created(
            app,
            &app.outsider,
            "/api/v1/departments",
            json!({ "name": "Theirs" }),
        )
        .await,
    );
    other.insert(
        Executive,
        app.add_user_to(globex, "executive@globex.test", Role::Executive, None)
            .await,
    );
    other.insert(
        Lead,
        app.add_user_to(globex, "lead@globex.test", Role::Lead, Some(theirs))
            .await,
    );
    other.insert(
        Member,
        app.add_user_to(globex, "member@globex.test", Role::Member, Some(theirs))
            .await,
    );
    other.insert(
        Bystander,
        app.add_user_to(globex, "bystander@globex.test", Role::Member, None)
            .await,
    );

    let mut own = HashMap::new();
    own.insert(Admin, admin);
    own.insert(Executive, executive);
    own.insert(Lead, lead);
    own.insert(Member, member);
    own.insert(Bystander, bystander);
    World {
        ids,
        provider,
        consumer,
        unrelated,
        own,
        other,
        counter: AtomicUsize::new(0),
    }
}

/// A fresh record for a DELETE to remove, so every caller deletes a live one.
async fn disposable(app: &TestApp, world: &World, collection: &str) -> i64 {
    let admin = &world.own[&Admin];
    let body = match collection {
        "departments" => json!({ "name": world.unique("Disposable") }),
        "people" => {
            json!({ "email": format!("disposable{}@acme.test", world.counter.fetch_add(1, Ordering::Relaxed)), "name": world.unique("Disposable") })
        }
        "calendars" => weekday_calendar(&world.unique("Disposable")),
        "segments" => json!({ "name": world.unique("Disposable") }),
        "services" => {
            json!({ "provider_department_id": world.provider, "consumer_department_ids": [world.unrelated],
            "name": world.unique("Disposable"), "first_response_minutes": 60, "fulfilment_minutes": 600 })
        }
        "agreements" => {
            let consumer = id_of(
                &created(
                    app,
                    admin,
                    "/api/v1/departments",
                    json!({ "name": world.unique("Counterpart") }),
                )
                .await,
            );
            json!({ "provider_department_id": world.provider, "consumer_department_id": consumer })
        }
        "objectives" => {
            json!({ "period": "2027-Q1", "title": world.unique("Disposable"), "category": "other" })
        }
        "goals" => {
            json!({ "department_id": world.provider, "period": "2027-Q1", "title": world.unique("Disposable") })
        }
        "webhooks" => json!({ "url": "http://127.0.0.1:9/disposable" }),
        "tokens" => json!({ "name": world.unique("Disposable") }),
        "requests" => {
            let body = json!({ "service_id": world.id("services"), "title": world.unique("Fresh request") });
            return id_of(&created(app, &world.own[&Member], "/api/v1/requests", body).await);
        }
        other => panic!("no disposable {other}"),
    };
    id_of(&created(app, admin, &format!("/api/v1/{collection}"), body).await)
}

/// A resolved request of our organization on which the provider's lead
/// credited the consumer's lead: (request, credited person).
async fn credited_request(app: &TestApp, world: &World) -> (i64, i64) {
    let lead = &world.own[&Lead];
    let body =
        json!({ "service_id": world.id("services"), "title": world.unique("Credited request") });
    let request = id_of(&created(app, &world.own[&Member], "/api/v1/requests", body).await);
    let transitions = format!("/api/v1/requests/{request}/transitions");
    for step in [json!({ "to": "acknowledged" }), json!({ "to": "resolved" })] {
        expect_status(app.post(lead, &transitions, &step).await, StatusCode::OK).await;
    }
    let person = world.id("people");
    created(
        app,
        lead,
        &format!("/api/v1/requests/{request}/credits"),
        json!({ "people": [person] }),
    )
    .await;
    (request, person)
}

/// The concrete address of an operation on our organization's records.
async fn address(app: &TestApp, world: &World, fresh: bool, template: &str) -> String {
    if template == "/api/v1/requests/{id}/credits/{person_id}" {
        // Every caller takes back a credit of its own.
        let (request, person) = credited_request(app, world).await;
        return format!("/api/v1/requests/{request}/credits/{person}");
    }
    let segments: Vec<&str> = template.split('/').collect();
    let mut path = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        if !segment.starts_with('{') {
            path.push((*segment).to_owned());
            continue;
        }
        let collection = segments[index - 1];
        let value = match (*segment, collection) {
            ("{kind}", _) => "requests".to_owned(),
            ("{provider_id}", _) => world.provider.to_string(),
            ("{consumer_id}", _) => world.consumer.to_string(),
            ("{commitment_id}", _) => world.id("commitments").to_string(),
            (_, collection) if fresh && index == 4 => {
                disposable(app, world, collection).await.to_string()
            }
            (_, collection) => world.id(collection).to_string(),
        };
        path.push(value);
    }
    path.join("/")
}

/// Denied: not signed in, not allowed, or not visible.
fn denied(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    )
}

async fn call(
    app: &TestApp,
    caller: Option<&User>,
    method: &Method,
    path: &str,
    entry: &Entry,
) -> (StatusCode, String) {
    let url = if entry.query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", entry.query)
    };
    let mut request = app.request(method.clone(), caller, &url);
    if *method == Method::PATCH {
        // The current version, so that only authorization can stand in the way.
        let current = app
            .request(Method::GET, Some(&app.admin), path)
            .send()
            .await
            .unwrap();
        let etag = current
            .headers()
            .get("etag")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("\"0\"")
            .to_owned();
        request = request.header("If-Match", etag);
    }
    if let Some(body) = &entry.body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn every_operation_answers_every_caller_as_the_table_says() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let table = table(&world);

    let document = expect_status(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let mut operations: Vec<(Method, String)> = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                operations.push((
                    method,
                    format!("/api/v1{}", path.trim_start_matches("/api/v1")),
                ));
            }
        }
    }
    assert!(
        operations.len() > 100,
        "the document lists {} operations",
        operations.len()
    );
    let missing: Vec<String> = operations
        .iter()
        .filter(|(method, path)| !table.contains_key(&(method.clone(), path.as_str())))
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "operations in the OpenAPI document without an entry in the authorization table: {missing:#?}"
    );
    let listed: BTreeSet<(String, String)> = operations
        .iter()
        .map(|(m, p)| (m.to_string(), p.clone()))
        .collect();
    for (method, path) in table.keys() {
        assert!(
            listed.contains(&(method.to_string(), (*path).to_owned())),
            "{method} {path} is in the table but not in the OpenAPI document"
        );
    }
    operations.sort_by_key(|(method, path)| {
        let entry = &table[&(method.clone(), path.as_str())];
        (entry.last, path.clone(), method.to_string())
    });

    let mut failures = Vec::new();
    let mut calls = 0;
    for (method, template) in &operations {
        let entry = &table[&(method.clone(), template.as_str())];
        // `{kind}` names an export, not a record.
        let has_id = template.contains("id}");
        // Another organization first: its callers must never reach our records.
        for caller in [Bystander, Member, Lead, Executive, Admin] {
            let user = &world.other[&caller];
            let path = address(&app, &world, entry.fresh, template).await;
            let (status, body) = call(&app, Some(user), method, &path, entry).await;
            calls += 1;
            if status.is_server_error() {
                failures.push(format!(
                    "{method} {template} by {caller:?} of another organization: {status} {body}"
                ));
            } else if has_id && !denied(status) {
                failures.push(format!(
                    "{method} {template} by {caller:?} of another organization reached our record: {status} {body}"
                ));
            } else if *method == Method::GET && status.is_success() && body.contains(MARKER) {
                failures.push(format!(
                    "{method} {template} by {caller:?} of another organization sees our data: {body}"
                ));
            } else if !has_id
                && *method == Method::GET
                && denied(status) == entry.allowed.contains(&caller)
            {
                failures.push(format!(
                    "{method} {template} by {caller:?} of another organization: {status}, expected {} {body}",
                    if entry.allowed.contains(&caller) { "allowed" } else { "denied" }
                ));
            }
        }
        // Then ours, the least powerful first.
        for caller in [Anonymous, Bystander, Member, Lead, Executive, Admin] {
            let path = address(&app, &world, entry.fresh, template).await;
            let user = world.own.get(&caller);
            let (status, body) = call(&app, user, method, &path, entry).await;
            calls += 1;
            let expected_allowed = entry.allowed.contains(&caller);
            if status.is_server_error() || denied(status) == expected_allowed {
                failures.push(format!(
                    "{method} {template} by {caller:?}: {status}, expected {} — {body}",
                    if expected_allowed {
                        "allowed"
                    } else {
                        "denied"
                    }
                ));
            }
        }
    }
    assert!(calls > 1000, "only {calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} calls answered against the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Who may read each export: `{kind}` is one operation in the document, but
/// the audit log is for administrators alone. Every kind the exchange crate
/// knows must have an entry here, so a new export cannot ship undecided.
fn export_readers(kind: ExportKind) -> &'static [Caller] {
    match kind {
        ExportKind::AuditLog => ADMIN,
        ExportKind::People
        | ExportKind::Departments
        | ExportKind::Requests
        | ExportKind::Checks
        | ExportKind::Pulses
        | ExportKind::Health
        | ExportKind::ExternalImpact => STEERING,
    }
}

#[tokio::test]
async fn every_export_answers_every_caller_as_its_table_says() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let mut failures = Vec::new();
    for kind in ExportKind::ALL {
        let path = format!("/api/v1/exports/{}", kind.name());
        let allowed = export_readers(kind);
        for caller in [Anonymous, Bystander, Member, Lead, Executive, Admin] {
            let response = app
                .request(Method::GET, world.own.get(&caller), &path)
                .send()
                .await
                .unwrap();
            let status = response.status();
            if status.is_server_error() || denied(status) == allowed.contains(&caller) {
                failures.push(format!("{path} by {caller:?}: {status}"));
            }
        }
        // Another organization's callers get their own organization's export, never ours.
        for caller in [Bystander, Member, Lead, Executive, Admin] {
            let response = app
                .request(Method::GET, Some(&world.other[&caller]), &path)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            if status.is_server_error()
                || denied(status) == allowed.contains(&caller)
                || body.contains(MARKER)
            {
                failures.push(format!(
                    "{path} by {caller:?} of another organization: {status} {body}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The body with every value made wrong in kind-preserving ways: strings
/// empty, numbers negative, lists empty. Still well-formed JSON of the right
/// types, so only the handler's own validation would refuse it.
fn spoiled(body: &Value) -> Value {
    match body {
        Value::String(_) => Value::String(String::new()),
        Value::Number(_) => json!(-1),
        Value::Array(_) => json!([]),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), spoiled(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Callers whose right depends on the body's value, not only on who they
/// are: the requester may make some moves of a request and not others, and
/// an executive may decline an enhancement but not start it, so an
/// unreadable move is judged as input (422).
fn body_decides(method: &Method, template: &str, caller: Caller) -> bool {
    (*method == Method::POST && template == "/api/v1/requests/{id}/transitions" && caller == Member)
        || (*method == Method::PATCH
            && template == "/api/v1/enhancements/{id}"
            && caller == Executive)
}

/// A caller who may not touch a record learns nothing from a bad body: another
/// organization's records are 404 and a record one has no right over is
/// 403/404, whatever the body holds, never a 422 about the fields.
#[tokio::test]
async fn invalid_bodies_from_callers_without_rights_are_denied_not_validated() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let table = table(&world);
    let mut failures = Vec::new();
    let mut calls = 0;
    for ((method, template), entry) in &table {
        let Some(body) = &entry.body else { continue };
        if *method == Method::GET || template.ends_with("/auth/login") {
            continue;
        }
        // On collection creates the department acted for is named in the
        // body, so only a valid body can be authorized: item operations only.
        if !template.contains("id}") {
            continue;
        }
        let spoiled_entry = Entry {
            allowed: entry.allowed,
            body: Some(spoiled(body)),
            query: entry.query.clone(),
            last: entry.last,
            fresh: entry.fresh,
        };
        let mut callers: Vec<(String, &User)> = Vec::new();
        for (caller, user) in &world.other {
            callers.push((format!("{caller:?} of another organization"), user));
        }
        for (caller, user) in &world.own {
            if !entry.allowed.contains(caller) && !body_decides(method, template, *caller) {
                callers.push((format!("{caller:?}"), user));
            }
        }
        for (caller, user) in callers {
            let path = address(&app, &world, entry.fresh, template).await;
            let (status, answer) = call(&app, Some(user), method, &path, &spoiled_entry).await;
            calls += 1;
            if !denied(status) {
                failures.push(format!(
                    "{method} {template} by {caller}: {status} {answer}"
                ));
            }
        }
    }
    assert!(calls > 150, "only {calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} calls validated before authorizing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
