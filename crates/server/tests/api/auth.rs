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
