use crate::support::{TestApp, expect_status};
use crate::web::text_with_status;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn health_and_readiness_answer_without_signing_in() {
    let app = TestApp::spawn().await;
    let health = app
        .request(Method::GET, None, "/healthz")
        .send()
        .await
        .unwrap();
    assert_eq!(expect_status(health, StatusCode::OK).await["status"], "ok");
    let ready = app
        .request(Method::GET, None, "/readyz")
        .send()
        .await
        .unwrap();
    let ready = expect_status(ready, StatusCode::OK).await;
    assert_eq!(ready["database"], roundtable_testkit::backend_name());
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = TestApp::spawn().await;
    app.read(&app.admin, "/api/v1/departments").await;
    let metrics = app
        .request(Method::GET, None, "/metrics")
        .send()
        .await
        .unwrap();
    let text = text_with_status(metrics, StatusCode::OK).await;
    assert!(
        text.lines()
            .any(|line| line.starts_with("http_requests_total")
                && line.contains("route=\"/api/v1/departments\"")
                && line.contains("status=\"200\"")),
        "{text}"
    );
}

/// Every HTTP path PRODUCT.md's "Stable surface" lists under `/api/v1`, with
/// the methods it names; a bare collection (listed without methods) is
/// listed and, where people create its records, created. Parameter names in
/// templates do not matter to a client, so `{id}` matches any name.
const STABLE_API: &[(&str, &[&str])] = &[
    ("/api/v1/auth/login", &["post"]),
    ("/api/v1/departments", &["get", "post"]),
    ("/api/v1/departments/{id}", &["get", "patch", "delete"]),
    ("/api/v1/people", &["get", "post"]),
    ("/api/v1/people/{id}", &["get", "patch", "delete"]),
    ("/api/v1/calendars", &["get", "post"]),
    ("/api/v1/calendars/{id}", &["get", "patch", "delete"]),
    ("/api/v1/segments", &["get", "post"]),
    ("/api/v1/segments/{id}", &["get", "patch", "delete"]),
    ("/api/v1/services", &["get", "post"]),
    ("/api/v1/services/{id}", &["get", "patch", "delete"]),
    ("/api/v1/agreements", &["get", "post"]),
    ("/api/v1/agreements/{id}", &["get", "patch", "delete"]),
    ("/api/v1/calendars/{id}/due", &["get"]),
    ("/api/v1/calendars/{id}/business-minutes", &["get"]),
    ("/api/v1/agreements/{id}/propose", &["post"]),
    ("/api/v1/agreements/{id}/accept", &["post"]),
    ("/api/v1/matrix", &["get"]),
    ("/api/v1/requests", &["get", "post"]),
    ("/api/v1/requests/{id}", &["get", "patch"]),
    ("/api/v1/requests/{id}/transitions", &["post"]),
    ("/api/v1/requests/{id}/comments", &["get", "post"]),
    ("/api/v1/requests/{id}/commitments", &["get", "post"]),
    (
        "/api/v1/requests/{id}/commitments/{commitment_id}/accept",
        &["post"],
    ),
    ("/api/v1/requests/{id}/events", &["get"]),
    ("/api/v1/departments/{id}/queue", &["get"]),
    ("/api/v1/departments/{id}/scorecard", &["get"]),
    ("/api/v1/checks", &["get"]),
    ("/api/v1/checks/{id}/answer", &["post"]),
    ("/api/v1/pulses", &["get", "post"]),
    ("/api/v1/pulses/{id}/responses", &["post"]),
    ("/api/v1/pulses/{id}/results", &["get"]),
    ("/api/v1/objectives", &["get", "post"]),
    ("/api/v1/measures", &["get", "post"]),
    ("/api/v1/measures/{id}/checkins", &["post"]),
    ("/api/v1/goals", &["get", "post"]),
    ("/api/v1/reviews", &["get", "post"]),
    ("/api/v1/reviews/{id}/agenda", &["get"]),
    ("/api/v1/topics", &["get", "post"]),
    ("/api/v1/topics/{id}/votes", &["post"]),
    ("/api/v1/topics/{id}/answer", &["post"]),
    ("/api/v1/sessions", &["get", "post"]),
    ("/api/v1/actions", &["get", "post"]),
    ("/api/v1/enhancements", &["get", "post"]),
    ("/api/v1/enhancements/{id}/sponsor", &["post"]),
    ("/api/v1/kudos", &["get", "post"]),
    ("/api/v1/notifications", &["get"]),
    ("/api/v1/webhooks", &["get", "post"]),
    ("/api/v1/audit-log", &["get"]),
];

/// Stable paths PRODUCT.md lists that are not built yet, each with the issue
/// that builds it. Not required to be present; checked as soon as the
/// document has them, so one that appears with the wrong methods fails.
/// When one is built, move it to [`STABLE_API`].
const STABLE_API_NOT_BUILT_YET: &[(&str, &[&str])] = &[
    ("/api/v1/inbox", &["get"]),               // issue 22
    ("/api/v1/inbound-email", &["post"]),      // issue 23
    ("/api/v1/search", &["get"]),              // issue 24
    ("/api/v1/segments/{id}/chain", &["get"]), // issue 29
];

/// `{anything}` → `{}`: templates compared by shape.
fn template_shape(path: &str) -> String {
    let mut shape = String::new();
    let mut inside = false;
    for character in path.chars() {
        match character {
            '{' => {
                inside = true;
                shape.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            other => shape.push(other),
        }
    }
    shape
}

#[tokio::test]
async fn openapi_document_describes_the_stable_surface() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, None, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap();
    let document = expect_status(response, StatusCode::OK).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths: std::collections::HashMap<String, &serde_json::Value> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| (template_shape(path), item))
        .collect();
    let mut missing = Vec::new();
    for (path, methods) in STABLE_API {
        match paths.get(&template_shape(path)) {
            None => missing.push(format!("{path} (every method)")),
            Some(item) => {
                for method in *methods {
                    if item.get(*method).is_none() {
                        missing.push(format!("{} {path}", method.to_uppercase()));
                    }
                }
            }
        }
    }
    for (path, methods) in STABLE_API_NOT_BUILT_YET {
        if let Some(item) = paths.get(&template_shape(path)) {
            for method in *methods {
                if item.get(*method).is_none() {
                    missing.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the OpenAPI document lacks stable surface: {missing:#?}"
    );
    assert!(document["components"]["schemas"]["Problem"].is_object());
    // Served outside the document, and answering without signing in.
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"] {
        let response = app.request(Method::GET, None, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    }
}

async fn readiness(app: &TestApp) -> StatusCode {
    app.request(Method::GET, None, "/readyz")
        .send()
        .await
        .unwrap()
        .status()
}

async fn give_kudos(app: &TestApp, message: String) -> reqwest::Response {
    app.post(
        &app.member,
        "/api/v1/kudos",
        &json!({ "receiver_person_id": app.lead.id.0, "message": message }),
    )
    .await
}

/// A full disk fails the writes that need space with 503, makes the server
/// unready, and wedges nothing: once space is back, writes go through and
/// the server is ready again. SQLite-specific: its group-commit writer
/// shares one connection and one transaction between writes, and SQLite
/// ends that transaction by itself on a full disk (which left sqlx counting
/// an open transaction and refusing every later write until a restart).
/// PostgreSQL gives each write its own transaction and pooled connection and
/// rolls a failed one back; there the test checks that a failed write wedges
/// nothing and readiness stays 200.
#[tokio::test]
async fn a_full_disk_makes_writes_fail_and_the_server_unready_until_space_is_back() {
    let app = TestApp::spawn().await;
    assert_eq!(readiness(&app).await, StatusCode::OK);
    if roundtable_testkit::backend_name() != "sqlite" {
        let department = app.department("Finance").await;
        expect_status(
            app.post(
                &app.admin,
                "/api/v1/departments",
                &json!({ "name": "Finance" }),
            )
            .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(readiness(&app).await, StatusCode::OK);
        assert_ne!(app.department("Marketing").await["id"], department["id"]);
        return;
    }
    // The file may grow by a few pages only: a full disk, for SQLite.
    app.store.cap_sqlite_file_growth(4).await.unwrap();
    let long = "thanks ".repeat(140);
    let mut refused = None;
    for round in 0..100 {
        let gifts = (0..6).map(|gift| give_kudos(&app, format!("{round}-{gift} {long}")));
        for response in futures::future::join_all(gifts).await {
            match response.status() {
                StatusCode::CREATED => {}
                status => refused = Some((status, response.text().await.unwrap())),
            }
        }
        if refused.is_some() {
            break;
        }
    }
    let (status, body) = refused.expect("the capped file fills up");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        !body.to_lowercase().contains("sql"),
        "no SQL in the answer: {body}"
    );
    assert_eq!(readiness(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        give_kudos(&app, format!("still full {long}"))
            .await
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Reads still work while full.
    app.read(&app.member, "/api/v1/kudos").await;

    // Space is back: no restart, no operator action beyond that.
    app.store.cap_sqlite_file_growth(1_000_000).await.unwrap();
    assert_eq!(readiness(&app).await, StatusCode::OK);
    let given = expect_status(
        give_kudos(&app, format!("after {long}")).await,
        StatusCode::CREATED,
    )
    .await;
    let read = app
        .read(&app.member, &format!("/api/v1/kudos/{}", given["id"]))
        .await;
    assert_eq!(read["id"], given["id"]);
}
