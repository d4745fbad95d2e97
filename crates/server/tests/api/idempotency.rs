use crate::support::{TestApp, expect_status, id_of, problem_fields};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn create_with_key(
    app: &TestApp,
    user: &crate::support::User,
    key: &str,
    name: &str,
) -> reqwest::Response {
    app.request(Method::POST, Some(user), "/api/v1/departments")
        .header("Idempotency-Key", key)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_same_create_with_the_same_key_makes_one_record() {
    let app = TestApp::spawn().await;
    let first = expect_status(
        create_with_key(&app, &app.admin, "key-1", "Finance").await,
        StatusCode::CREATED,
    )
    .await;
    let retry = create_with_key(&app, &app.admin, "key-1", "Finance").await;
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let second = expect_status(retry, StatusCode::CREATED).await;
    assert_eq!(first, second);
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/departments").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        [id_of(&first)]
    );
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    let app = TestApp::spawn().await;
    expect_status(
        create_with_key(&app, &app.admin, "key-2", "Finance").await,
        StatusCode::CREATED,
    )
    .await;
    let other = expect_status(
        create_with_key(&app, &app.admin, "key-2", "Marketing").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&other), ["Idempotency-Key"]);
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/departments").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_create_can_be_retried_with_the_same_key() {
    let app = TestApp::spawn().await;
    expect_status(
        create_with_key(&app, &app.admin, "key-3", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    app.department("Finance").await;
    expect_status(
        create_with_key(&app, &app.admin, "key-4", "Finance").await,
        StatusCode::CONFLICT,
    )
    .await;
    let body = json!({ "name": "Finance", "slug": "finance-two" });
    let retried = app
        .request(Method::POST, Some(&app.admin), "/api/v1/departments")
        .header("Idempotency-Key", "key-3")
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_status(retried, StatusCode::CREATED).await;
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let mine = expect_status(
        create_with_key(&app, &app.admin, "shared", "Finance").await,
        StatusCode::CREATED,
    )
    .await;
    let theirs = expect_status(
        create_with_key(&app, &app.outsider, "shared", "Finance").await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(id_of(&mine), id_of(&theirs));
    let too_long = "k".repeat(300);
    let problem = expect_status(
        create_with_key(&app, &app.admin, &too_long, "X").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["Idempotency-Key"]);
}

#[tokio::test]
async fn concurrent_retries_never_create_twice() {
    let app = TestApp::spawn().await;
    let attempts = (0..8).map(|_| create_with_key(&app, &app.admin, "burst", "Operations"));
    let responses = futures::future::join_all(attempts).await;
    let statuses: Vec<StatusCode> = responses.iter().map(|response| response.status()).collect();
    assert!(
        statuses
            .iter()
            .all(|status| *status == StatusCode::CREATED || *status == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::CREATED));
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/departments").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}
