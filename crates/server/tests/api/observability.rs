use crate::support::{TestApp, expect_status};
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
    expect_status(
        app.get(&app.admin, "/api/v1/departments").await,
        StatusCode::OK,
    )
    .await;
    let metrics = app
        .request(Method::GET, None, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(
        text.lines()
            .any(|line| line.starts_with("http_requests_total")
                && line.contains("route=\"/api/v1/departments\"")
                && line.contains("status=\"200\"")),
        "{text}"
    );
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
    let paths = document["paths"].as_object().unwrap();
    for resource in ["departments", "people", "calendars"] {
        let collection = &paths[&format!("/api/v1/{resource}")];
        assert!(
            collection.get("get").is_some() && collection.get("post").is_some(),
            "{resource}"
        );
        let item = &paths[&format!("/api/v1/{resource}/{{id}}")];
        for method in ["get", "patch", "delete"] {
            assert!(
                item.get(method).is_some(),
                "{method} /api/v1/{resource}/{{id}}"
            );
        }
    }
    assert!(paths["/api/v1/auth/login"].get("post").is_some());
    assert!(document["components"]["schemas"]["Problem"].is_object());
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
    expect_status(app.get(&app.member, "/api/v1/kudos").await, StatusCode::OK).await;

    // Space is back: no restart, no operator action beyond that.
    app.store.cap_sqlite_file_growth(1_000_000).await.unwrap();
    assert_eq!(readiness(&app).await, StatusCode::OK);
    let given = expect_status(
        give_kudos(&app, format!("after {long}")).await,
        StatusCode::CREATED,
    )
    .await;
    let read = expect_status(
        app.get(&app.member, &format!("/api/v1/kudos/{}", given["id"]))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["id"], given["id"]);
}
