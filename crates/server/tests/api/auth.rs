use crate::support::{PASSWORD, TestApp, expect_status};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn session_cookie(response: &reqwest::Response) -> String {
    let header = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Lax"),
        "{header}"
    );
    header.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn password_login_starts_a_session_that_logout_ends() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, None, "/api/v1/auth/login")
        .json(&json!({ "email": "Member@Acme.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&response);
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(body["me"]["email"], "member@acme.test");
    assert_eq!(body["me"]["role"], "member");

    let me = app
        .request(Method::GET, None, "/api/v1/me")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_status(me, StatusCode::OK).await["person_id"],
        app.member.id.0
    );

    let logout = app
        .request(Method::POST, None, "/api/v1/auth/logout")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    expect_status(logout, StatusCode::NO_CONTENT).await;
    let after = app
        .request(Method::GET, None, "/api/v1/me")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    expect_status(after, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_people_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let mut details = Vec::new();
    for body in [
        json!({ "email": "member@acme.test", "password": "not the password" }),
        json!({ "email": "nobody@acme.test", "password": PASSWORD }),
        json!({ "email": "member@acme.test", "password": PASSWORD, "organization": "globex" }),
    ] {
        let response = app
            .request(Method::POST, None, "/api/v1/auth/login")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("set-cookie").is_none());
        details.push(expect_status(response, StatusCode::UNAUTHORIZED).await["detail"].clone());
    }
    assert!(
        details.windows(2).all(|pair| pair[0] == pair[1]),
        "{details:?}"
    );
    let malformed = app
        .request(Method::POST, None, "/api/v1/auth/login")
        .json(&json!({ "email": "not an email", "password": "x" }))
        .send()
        .await
        .unwrap();
    expect_status(malformed, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn bad_or_missing_credentials_are_refused() {
    let app = TestApp::spawn().await;
    let anonymous = app
        .request(Method::GET, None, "/api/v1/departments")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    expect_status(anonymous, StatusCode::UNAUTHORIZED).await;
    for header in ["Bearer rt_forged", "Basic YWRtaW46YWRtaW4=", "Bearer "] {
        let response = app
            .request(Method::GET, None, "/api/v1/departments")
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        expect_status(response, StatusCode::UNAUTHORIZED).await;
    }
    let forged_cookie = app
        .request(Method::GET, None, "/api/v1/me")
        .header("cookie", "roundtable_session=rts_forged")
        .send()
        .await
        .unwrap();
    expect_status(forged_cookie, StatusCode::UNAUTHORIZED).await;
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, None, "/api/v1/auth/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_email_for_a_while_with_a_clear_answer() {
    let app = TestApp::spawn().await;
    for _ in 0..4 {
        expect_status(
            sign_in(&app, "member@acme.test", "guess").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let fifth = sign_in(&app, "member@acme.test", "guess").await;
    let retry_after: i64 = fifth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=900).contains(&retry_after), "{retry_after}");
    let problem = expect_status(fifth, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("locked for 15 more minutes"),
        "{problem}"
    );
    // Locked: even the right password waits, and says so.
    expect_status(
        sign_in(&app, "member@acme.test", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    // Other people are not affected, and a success clears their count.
    expect_status(
        sign_in(&app, "lead@acme.test", "guess").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_status(
        sign_in(&app, "lead@acme.test", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
    for _ in 0..4 {
        expect_status(
            sign_in(&app, "lead@acme.test", "guess").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    expect_status(
        sign_in(&app, "lead@acme.test", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_and_a_new_sign_in_gets_a_new_session() {
    let app = TestApp::spawn().await;
    let first = sign_in(&app, "member@acme.test", PASSWORD).await;
    let laptop = session_cookie(&first);
    let second = sign_in(&app, "member@acme.test", PASSWORD).await;
    let phone = session_cookie(&second);
    assert_ne!(laptop, phone, "every sign-in issues a fresh session");
    let me = |cookie: String| {
        let request = app
            .request(Method::GET, None, "/api/v1/me")
            .header("cookie", cookie);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(me(laptop.clone()).await, StatusCode::OK);
    let everywhere = app
        .request(Method::POST, None, "/api/v1/auth/logout-everywhere")
        .header("cookie", &phone)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_status(everywhere, StatusCode::OK).await["sessions_ended"],
        2
    );
    assert_eq!(me(laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(phone).await, StatusCode::UNAUTHORIZED);
    // A made-up session cookie is never accepted.
    assert_eq!(
        me("roundtable_session=rts_planted".to_owned()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn every_response_refuses_sniffing_and_framing() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/me",
        "/api/v1/openapi.json",
        "/healthz",
        "/api/v1/nothing-here",
    ] {
        let response = app.get(&app.member, path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
}
