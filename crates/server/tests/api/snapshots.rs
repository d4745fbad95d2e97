//! Snapshots of what integrators build on: the OpenAPI document and
//! representative JSON answers (a request with its clocks, its timeline, a
//! problem-details refusal, the queue), compared whole with `insta`, so any
//! change to a field, a name or a shape shows up in review as a diff of the
//! `.snap` files beside this one. Ids, instants and versions differ from run
//! to run and backend to backend, so they are redacted to their kind.
//!
//! After a deliberate change: `cargo insta review` (or `INSTA_UPDATE=always`
//! with the test filter, then read the diff before committing).

use crate::support::{TestApp, expect_status, id_of};
use insta::{assert_json_snapshot, dynamic_redaction};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Replaces a value by its kind: `"[id]"`, `"[instant]"`, … so a snapshot
/// holds the shape and the stable values, not this run's numbers.
fn kind_of(
    label: &'static str,
) -> impl Fn(insta::internals::Content, insta::internals::ContentPath<'_>) -> String {
    move |value, _| {
        if value.is_nil() {
            "[none]".to_owned()
        } else {
            format!("[{label}]")
        }
    }
}

#[tokio::test]
async fn the_openapi_document() {
    let app = TestApp::spawn().await;
    let document = expect_status(
        app.request(Method::GET, None, "/api/v1/openapi.json")
            .send()
            .await
            .expect("GET the document"),
        StatusCode::OK,
    )
    .await;
    // The version follows the build, not the contract.
    assert_json_snapshot!("openapi_document", document, {
        ".info.version" => "[version]",
    });
}

/// Sales asks Marketing, on a round-the-clock calendar, for qualified leads.
async fn a_request(app: &TestApp) -> (Value, crate::support::User, crate::support::User) {
    let calendar = app.always_open_calendar().await;
    let marketing = app.department_on("Marketing", &calendar).await;
    let sales = app.department("Sales").await;
    let region = json!({ "key": "region", "label": "Region", "kind": "choice",
                         "required": true, "choices": ["EMEA", "Americas"] });
    let service = app
        .qualified_leads(&marketing, &sales, json!({ "intake_fields": [region] }))
        .await;
    let marketer = app
        .add_member("marketer@acme.test", id_of(&marketing))
        .await;
    let seller = app.add_member("seller@acme.test", id_of(&sales)).await;
    let request = app
        .create(
            &seller,
            "/api/v1/requests",
            &json!({
                "service_id": id_of(&service), "title": "Leads for the spring trade show",
                "description": "Retailers in the north", "priority": "high",
                "external_impact": "customer_waiting", "external_reference": "CASE-1042",
                "intake_values": { "region": "EMEA" }
            }),
        )
        .await;
    (request, marketer, seller)
}

#[tokio::test]
async fn a_request_its_timeline_a_refusal_and_the_queue() {
    let app = TestApp::spawn().await;
    let (request, marketer, seller) = a_request(&app).await;
    let id = id_of(&request);
    let path = format!("/api/v1/requests/{id}");
    let acknowledged = expect_status(
        app.post(
            &marketer,
            &format!("{path}/transitions"),
            &json!({ "to": "acknowledged", "note": "On it" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let redacted = |name: &str, value: &Value| {
        insta::with_settings!({ sort_maps => true }, {
            assert_json_snapshot!(name, value, {
                ".id" => dynamic_redaction(kind_of("id")),
                ".instance" => dynamic_redaction(kind_of("path")),
                ".**.id" => dynamic_redaction(kind_of("id")),
                ".**.service_id" => dynamic_redaction(kind_of("id")),
                ".**.provider_department_id" => dynamic_redaction(kind_of("id")),
                ".**.requester_person_id" => dynamic_redaction(kind_of("id")),
                ".**.assignee_person_id" => dynamic_redaction(kind_of("id")),
                ".**.actor_person_id" => dynamic_redaction(kind_of("id")),
                ".**.department_id" => dynamic_redaction(kind_of("id")),
                ".**.created_at" => dynamic_redaction(kind_of("instant")),
                ".**.updated_at" => dynamic_redaction(kind_of("instant")),
                ".**.first_response_at" => dynamic_redaction(kind_of("instant")),
                ".**.due_at" => dynamic_redaction(kind_of("instant")),
                ".**.elapsed_minutes" => dynamic_redaction(kind_of("minutes")),
                ".**.remaining_minutes" => dynamic_redaction(kind_of("minutes")),
                ".**.business_minutes" => dynamic_redaction(kind_of("minutes")),
                ".**.wall_minutes" => dynamic_redaction(kind_of("minutes")),
                ".**.stopped_at" => dynamic_redaction(kind_of("instant")),
            });
        });
    };
    redacted("request_acknowledged", &acknowledged);
    let events = app.read(&seller, &format!("{path}/events")).await;
    redacted("request_timeline", &events);
    // An unknown status and a note too long: both named at their fields,
    // in one answer.
    let refused = expect_status(
        app.post(
            &seller,
            &format!("{path}/transitions"),
            &json!({ "to": "someday", "note": "x".repeat(20_001) }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    redacted("request_refusal", &refused);
    let queue = app
        .read(
            &marketer,
            &format!(
                "/api/v1/departments/{}/queue",
                acknowledged["provider_department_id"]
            ),
        )
        .await;
    redacted("department_queue", &queue);
}
