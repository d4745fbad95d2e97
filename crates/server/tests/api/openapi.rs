//! The OpenAPI document tells the truth about errors: every error response is
//! documented as problem details (`application/problem+json`, the `Problem`
//! schema), and every operation lists the statuses the layers in front of its
//! handler can answer. Checked on the document itself, and against the real
//! server: a bad request to each operation gets an answer the document lists.

use crate::support::{TestApp, expect_status};
use reqwest::{Method, StatusCode, header};
use serde_json::Value;

const PROBLEM: &str = "application/problem+json";
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    expect_status(
        app.request(Method::GET, None, "/api/v1/openapi.json")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await
}

/// Every operation of the document: (method, path template, operation).
fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push((method.to_owned(), path.clone(), operation.clone()));
            }
        }
    }
    assert!(
        operations.len() > 100,
        "the document lists {} operations",
        operations.len()
    );
    operations
}

fn documents(operation: &Value, status: u16) -> bool {
    operation["responses"].get(status.to_string()).is_some()
}

fn takes_input(operation: &Value) -> bool {
    operation.get("requestBody").is_some()
        || operation["parameters"]
            .as_array()
            .is_some_and(|parameters| !parameters.is_empty())
}

#[tokio::test]
async fn every_error_response_is_documented_as_problem_details() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let mut wrong = Vec::new();
    for (method, path, operation) in operations(&document) {
        for (status, response) in operation["responses"].as_object().expect("responses") {
            if !(status.starts_with('4') || status.starts_with('5')) {
                continue;
            }
            let content = response["content"].as_object();
            let media_types: Vec<&String> = content.iter().flat_map(|map| map.keys()).collect();
            let schema = &response["content"][PROBLEM]["schema"]["$ref"];
            if media_types != [PROBLEM] || schema != "#/components/schemas/Problem" {
                wrong.push(format!(
                    "{method} {path} {status}: {media_types:?} {schema}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "error responses not documented as application/problem+json with the Problem schema: {wrong:#?}"
    );
}

#[tokio::test]
async fn every_operation_documents_the_errors_in_front_of_its_handler() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let mut missing = Vec::new();
    for (method, path, operation) in operations(&document) {
        let mut expected = vec![403, 500, 503];
        if operation.get("security").is_some() {
            expected.push(401);
        }
        if takes_input(&operation) {
            expected.push(422);
        }
        if path.contains('{') {
            expected.push(404);
        }
        if operation.get("requestBody").is_some() {
            expected.extend([400, 413, 415]);
        }
        if method == "patch" {
            expected.extend([412, 428]);
        }
        for status in expected {
            if !documents(&operation, status) {
                missing.push(format!("{method} {path} {status}"));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented statuses: {missing:#?}");
    // Sign-in refuses to be guessed at.
    assert!(documents(
        &document["paths"]["/api/v1/auth/login"]["post"],
        429
    ));
}

#[tokio::test]
async fn creating_a_request_documents_every_way_it_can_fail() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let create = &document["paths"]["/api/v1/requests"]["post"];
    for status in [201, 400, 401, 403, 409, 413, 415, 422, 500, 503] {
        assert!(
            documents(create, status),
            "POST /api/v1/requests does not document {status}"
        );
    }
}

/// A template's path with every parameter filled with `id` (for exports, a
/// kind that exists).
fn address(template: &str, id: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{kind}" => "people",
            segment if segment.starts_with('{') => id,
            segment => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Sends bad requests of several kinds to every operation (nobody signed in,
/// a token nobody issued, malformed JSON, a body that is not JSON, an id of
/// no record, an id that is not a number) and checks the answer: a status the operation documents, as
/// problem details. Token revocation and sign-out are exercised like the rest;
/// the caller here has nothing to lose.
#[tokio::test]
async fn bad_requests_to_every_operation_are_answered_as_documented() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let mut wrong = Vec::new();
    for (method, template, operation) in operations(&document) {
        let path = address(&template, "987654");
        let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let has_body = operation.get("requestBody").is_some();
        let mut attempts = vec![
            ("nobody signed in", app.request(verb.clone(), None, &path)),
            (
                "an unknown token",
                app.request(verb.clone(), None, &path)
                    .bearer_auth("not-a-token"),
            ),
            (
                "an id of no record",
                app.request(verb.clone(), Some(&app.admin), &path)
                    .header("If-Match", "\"1\""),
            ),
        ];
        if template.contains("id}") {
            attempts.push((
                "an id that is not a number",
                app.request(verb.clone(), Some(&app.admin), &address(&template, "true"))
                    .header("If-Match", "\"1\""),
            ));
        }
        if has_body {
            attempts.push((
                "malformed JSON",
                app.request(verb.clone(), Some(&app.admin), &path)
                    .header("If-Match", "\"1\"")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body("{\"unfinished\": "),
            ));
            attempts.push((
                "a body that is not JSON",
                app.request(verb.clone(), Some(&app.admin), &path)
                    .header("If-Match", "\"1\"")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body("hello"),
            ));
        }
        for (what, request) in attempts {
            let response = request.send().await.unwrap();
            let status = response.status();
            if !status.is_client_error() && !status.is_server_error() {
                continue;
            }
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if !documents(&operation, status.as_u16()) || !content_type.starts_with(PROBLEM) {
                let body = response.text().await.unwrap_or_default();
                wrong.push(format!(
                    "{method} {template} with {what}: {status} {content_type} {body}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "answers the document does not list: {wrong:#?}"
    );
}
