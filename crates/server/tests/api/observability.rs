use crate::support::{TestApp, expect_status};
use reqwest::{Method, StatusCode};

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
