//! Bad input of every shape gets a clear 4xx problem, never a 5xx.

use crate::support::{TestApp, expect_status};
use reqwest::{Method, StatusCode};
use roundtable_server::ServerConfig;
use serde_json::{Value, json};

const COLLECTIONS: [&str; 9] = [
    "/api/v1/departments",
    "/api/v1/people",
    "/api/v1/calendars",
    "/api/v1/tokens",
    "/api/v1/auth/login",
    "/api/v1/segments",
    "/api/v1/services",
    "/api/v1/agreements",
    "/api/v1/requests",
];

#[tokio::test]
async fn malformed_bodies_get_400_and_wrong_media_types_415() {
    let app = TestApp::spawn().await;
    for path in COLLECTIONS {
        for body in ["{", "{\"name\": }", "[1, 2", "\u{0}"] {
            let response = app
                .request(Method::POST, Some(&app.admin), path)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            expect_status(response, StatusCode::BAD_REQUEST).await;
        }
        let form = app
            .request(Method::POST, Some(&app.admin), path)
            .header("content-type", "text/plain")
            .body("name=x")
            .send()
            .await
            .unwrap();
        expect_status(form, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
}

#[tokio::test]
async fn oversize_bodies_get_413_problem_details() {
    let app = TestApp::spawn_with(ServerConfig {
        body_limit: 4096,
        ..ServerConfig::default()
    })
    .await;
    let huge = json!({ "name": "x".repeat(10_000) });
    let response = app.post(&app.admin, "/api/v1/departments", &huge).await;
    expect_status(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    let chunked = app
        .request(Method::POST, Some(&app.admin), "/api/v1/departments")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(
            (0..20).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])),
        )))
        .send()
        .await
        .unwrap();
    expect_status(chunked, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn unknown_addresses_methods_and_ids_are_problems() {
    let app = TestApp::spawn().await;
    expect_status(
        app.get(&app.admin, "/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let wrong_method = app
        .request(Method::PUT, Some(&app.admin), "/api/v1/departments")
        .send()
        .await
        .unwrap();
    expect_status(wrong_method, StatusCode::METHOD_NOT_ALLOWED).await;
    for id in ["abc", "-1", "0", "99999999999999999999999"] {
        expect_status(
            app.get(&app.admin, &format!("/api/v1/departments/{id}"))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    expect_status(
        app.get(&app.admin, "/api/v1/people/424242").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(
        app.get(&app.admin, "/api/v1/people?active=maybe").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

/// Values of every JSON type, including hostile ones, that any field is
/// sent: each area's tests add values of their own.
pub(crate) fn hostile_values_of_every_type() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(-1),
        json!(0),
        json!(9_223_372_036_854_775_807_i64),
        json!(""),
        json!("\u{202e}\u{0007}"),
        json!([]),
        json!([null, -5]),
        json!({}),
    ]
}

/// Values of every JSON type, including hostile ones, for every field.
fn hostile_values() -> Vec<Value> {
    let mut values = hostile_values_of_every_type();
    values.extend([
        json!(1.5),
        json!("x".repeat(1000)),
        json!("'; DROP TABLE people; --"),
        json!({ "start": "25:99" }),
    ]);
    values
}

#[tokio::test]
async fn no_input_of_any_shape_causes_a_server_error() {
    let app = TestApp::spawn().await;
    let fields = [
        "name",
        "slug",
        "parent_id",
        "calendar_id",
        "customer_facing",
        "lead_ids",
        "email",
        "title",
        "department_id",
        "role",
        "password",
        "time_zone",
        "working_hours",
        "holidays",
        "expires_in_days",
        "person_id",
        "organization",
        "needs",
        "criteria",
        "provider_department_id",
        "consumer_department_ids",
        "consumer_department_id",
        "segment_ids",
        "first_response_minutes",
        "fulfilment_minutes",
        "priority_targets",
        "intake_fields",
        "volume",
        "check_sampling_rate",
        "service_ids",
        "obligations",
        "review_cadence",
        "service_id",
        "intake_values",
        "priority",
        "external_impact",
    ];
    let mut checked = 0;
    for path in COLLECTIONS {
        for field in fields {
            for value in hostile_values() {
                let body = json!({ field: value, "name": "Base", "email": "base@acme.test", "time_zone": "UTC",
                                   "working_hours": { "monday": [{ "start": "09:00", "end": "17:00" }] }, "password": "pw" });
                let response = app.post(&app.admin, path, &body).await;
                let status = response.status();
                assert!(
                    !status.is_server_error(),
                    "{path} {body} -> {status}: {}",
                    response.text().await.unwrap()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 4000);
}
