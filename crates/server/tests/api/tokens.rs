use crate::support::{PASSWORD, TestApp, User, assert_me, expect_status, id_of, problem_fields};
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

    let me = app.me_with_token(&token).await;
    assert_me(me, &app.member).await;

    let listed = app.read(&app.member, "/api/v1/tokens").await;
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
    let after = app.me_with_token(&token).await;
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
    let issued = app.create(&app.admin, "/api/v1/tokens", &body).await;
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

#[tokio::test]
async fn token_scopes_limit_what_a_token_may_do() {
    let app = TestApp::spawn().await;
    let create = |scopes: serde_json::Value| {
        let app = &app;
        async move {
            let created = expect_status(
                app.post(
                    &app.admin,
                    "/api/v1/tokens",
                    &serde_json::json!({ "name": "script", "scopes": scopes }),
                )
                .await,
                reqwest::StatusCode::CREATED,
            )
            .await;
            created["token"].as_str().unwrap().to_owned()
        }
    };
    let call = |token: String, method: reqwest::Method, path: &'static str| {
        let app = &app;
        async move {
            app.client
                .request(method, app.url(path))
                .bearer_auth(token)
                .json(&serde_json::json!({ "name": "Scoped" }))
                .send()
                .await
                .unwrap()
        }
    };
    let bad = app
        .post(
            &app.admin,
            "/api/v1/tokens",
            &serde_json::json!({ "name": "x", "scopes": ["root"] }),
        )
        .await;
    assert_eq!(
        crate::support::problem_fields(
            &expect_status(bad, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await
        ),
        ["scopes"]
    );

    let reader = create(serde_json::json!(["read"])).await;
    assert_eq!(
        call(reader.clone(), reqwest::Method::GET, "/api/v1/departments")
            .await
            .status(),
        reqwest::StatusCode::OK
    );
    let refused = call(reader, reqwest::Method::POST, "/api/v1/segments").await;
    let problem = expect_status(refused, reqwest::StatusCode::FORBIDDEN).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("needs the write scope"),
        "{problem}"
    );

    // The default is read and write: an administrator's token without the
    // admin scope acts as a plain member.
    let plain = create(serde_json::Value::Null).await;
    assert_eq!(
        call(plain.clone(), reqwest::Method::GET, "/api/v1/audit-log")
            .await
            .status(),
        reqwest::StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(plain, reqwest::Method::POST, "/api/v1/segments")
            .await
            .status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let full = create(serde_json::json!(["read", "write", "admin"])).await;
    assert_eq!(
        call(full.clone(), reqwest::Method::GET, "/api/v1/audit-log")
            .await
            .status(),
        reqwest::StatusCode::OK
    );
    assert_eq!(
        call(full, reqwest::Method::POST, "/api/v1/segments")
            .await
            .status(),
        reqwest::StatusCode::CREATED
    );
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/tokens").await,
        reqwest::StatusCode::OK,
    )
    .await;
    let scopes: Vec<serde_json::Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|token| token["scopes"].clone())
        .collect();
    assert!(
        scopes.contains(&serde_json::json!(["read"]))
            && scopes.contains(&serde_json::json!(["read", "write"])),
        "{scopes:?}"
    );
}

#[tokio::test]
async fn a_token_issues_tokens_only_within_its_own_scopes_and_lifetime() {
    let app = TestApp::spawn().await;
    let narrow = app
        .create(
            &app.admin,
            "/api/v1/tokens",
            &json!({ "name": "narrow", "scopes": ["read", "write"], "expires_in_days": 5 }),
        )
        .await;
    let narrow = User {
        token: narrow["token"].as_str().unwrap().to_owned(),
        ..app.admin.clone()
    };
    for (body, field) in [
        // A wider token: the admin scope it lacks.
        (
            json!({ "name": "wider", "scopes": ["read", "write", "admin"], "expires_in_days": 1 }),
            "scopes",
        ),
        (
            json!({ "name": "wider", "scopes": ["admin"], "expires_in_days": 1 }),
            "scopes",
        ),
        // A longer-lived token: later than itself, or never expiring.
        (
            json!({ "name": "longer", "scopes": ["read"], "expires_in_days": 30 }),
            "expires_in_days",
        ),
        (
            json!({ "name": "longer", "scopes": ["read"] }),
            "expires_in_days",
        ),
    ] {
        let refused = app.post(&narrow, "/api/v1/tokens", &body).await;
        let problem = expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), [field], "{body}: {problem}");
    }
    let within = app
        .create(
            &narrow,
            "/api/v1/tokens",
            &json!({ "name": "narrower", "scopes": ["read"], "expires_in_days": 4 }),
        )
        .await;
    assert_eq!(within["scopes"], json!(["read"]));
    // Nothing wider was issued along the way.
    let listed = app.read(&app.admin, "/api/v1/tokens").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|token| token["name"] != "wider" && token["name"] != "longer"),
        "{listed}"
    );

    // A signed-in administrator's session acts with the administrator's role.
    let signed_in = app
        .log_in(&json!({ "email": "admin@acme.test", "password": PASSWORD }))
        .await;
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let admin_token = app
        .request(Method::POST, None, "/api/v1/tokens")
        .header("cookie", cookie)
        .json(&json!({ "name": "administration", "scopes": ["read", "write", "admin"] }))
        .send()
        .await
        .unwrap();
    let admin_token = expect_status(admin_token, StatusCode::CREATED).await;
    assert_eq!(admin_token["scopes"], json!(["read", "write", "admin"]));
}
