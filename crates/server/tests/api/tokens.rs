use crate::support::{TestApp, expect_status, id_of};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_token_works_until_it_is_revoked() {
    let app = TestApp::spawn().await;
    let created = app
        .post(
            &app.member,
            "/api/v1/tokens",
            &json!({ "name": "script", "expires_in_days": 30 }),
        )
        .await;
    let created = expect_status(created, StatusCode::CREATED).await;
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("rt_"));
    assert!(created["expires_at"].is_string());

    let me = app
        .request(Method::GET, None, "/api/v1/me")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_status(me, StatusCode::OK).await["person_id"],
        app.member.id.0
    );

    let listed = expect_status(app.get(&app.member, "/api/v1/tokens").await, StatusCode::OK).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|token| token.get("token").is_none()),
        "secrets are never listed"
    );
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let path = format!("/api/v1/tokens/{}", id_of(&created));
    expect_status(app.delete(&app.lead, &path).await, StatusCode::FORBIDDEN).await;
    let revoked = expect_status(app.delete(&app.member, &path).await, StatusCode::OK).await;
    assert!(revoked["revoked_at"].is_string());
    let after = app
        .request(Method::GET, None, "/api/v1/me")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_status(after, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn tokens_for_others_need_an_administrator() {
    let app = TestApp::spawn().await;
    let body = json!({ "name": "on behalf", "person_id": app.lead.id.0 });
    expect_status(
        app.post(&app.member, "/api/v1/tokens", &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let issued = expect_status(
        app.post(&app.admin, "/api/v1/tokens", &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(issued["person_id"], app.lead.id.0);
    for bad in [
        json!({ "name": "" }),
        json!({ "name": "x", "expires_in_days": 0 }),
        json!({ "name": "x", "person_id": 999_999 }),
    ] {
        expect_status(
            app.post(&app.admin, "/api/v1/tokens", &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
}
