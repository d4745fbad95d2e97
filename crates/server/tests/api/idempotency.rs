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
    assert_eq!(
        retry.headers()["etag"],
        format!("\"{}\"", first["version"]).as_str(),
        "the replay carries the first answer's ETag"
    );
    let second = expect_status(retry, StatusCode::CREATED).await;
    assert_eq!(first, second);
    let listed = app.read(&app.admin, "/api/v1/departments").await;
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
    let listed = app.read(&app.admin, "/api/v1/departments").await;
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
    let listed = app.read(&app.admin, "/api/v1/departments").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

/// Kudos have no unique key of their own, so only the idempotency key can
/// keep concurrent retries from each creating one. Before the key was
/// recorded with the create, the losers of the race answered 409 "still
/// being processed"; now every one of them answers what the winner did.
#[tokio::test]
async fn concurrent_retries_of_a_create_without_a_unique_key_all_get_the_one_answer() {
    let app = TestApp::spawn().await;
    let body =
        json!({ "receiver_person_id": app.lead.id.0, "message": "Thanks for the quick fix" });
    let attempts = (0..12).map(|_| {
        app.request(Method::POST, Some(&app.member), "/api/v1/kudos")
            .header("Idempotency-Key", "thanks-once")
            .json(&body)
            .send()
    });
    let mut answers = Vec::new();
    for response in futures::future::join_all(attempts).await {
        let response = response.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        answers.push((status, text));
    }
    for (status, text) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{text}");
        assert_eq!(text, &answers[0].1, "every answer is the first one");
    }
    let feed = app.read(&app.member, "/api/v1/kudos").await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one kudos: {feed}");
    let first: serde_json::Value = serde_json::from_str(&answers[0].1).unwrap();
    assert_eq!(id_of(&items[0]), id_of(&first));
    // A later retry replays it too.
    let later = app
        .request(Method::POST, Some(&app.member), "/api/v1/kudos")
        .header("Idempotency-Key", "thanks-once")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(later.headers()["idempotent-replayed"], "true");
    assert_eq!(later.text().await.unwrap(), answers[0].1);
}
