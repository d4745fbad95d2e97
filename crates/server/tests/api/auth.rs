use crate::support::{PASSWORD, TestApp, assert_me, expect_status};
use crate::web::{Browser, hidden_token};
use jiff::SignedDuration;
use reqwest::{Method, Response, StatusCode};
use roundtable_server::ServerConfig;
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

/// A sign-in's status; when it is 429, its wait (1 to 60 s) is checked,
/// and that its problem's detail mentions `delayed_because`.
async fn answer(response: Response, delayed_because: &str) -> u16 {
    let status = response.status().as_u16();
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        assert!((1..=60).contains(&retry_after(&response)));
        let problem = expect_status(response, StatusCode::TOO_MANY_REQUESTS).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(delayed_because),
            "{problem}"
        );
    }
    status
}

#[tokio::test]
async fn password_login_starts_a_session_that_logout_ends() {
    let app = TestApp::spawn().await;
    let response = app
        .log_in(&json!({ "email": "Member@Acme.test", "password": PASSWORD }))
        .await;
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
    assert_me(me, &app.member).await;

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
        let response = app.log_in(&body).await;
        assert!(response.headers().get("set-cookie").is_none());
        details.push(expect_status(response, StatusCode::UNAUTHORIZED).await["detail"].clone());
    }
    assert!(
        details.windows(2).all(|pair| pair[0] == pair[1]),
        "{details:?}"
    );
    let malformed = app
        .log_in(&json!({ "email": "not an email", "password": "x" }))
        .await;
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
    app.log_in(&json!({ "email": email, "password": password }))
        .await
}

/// A client on its own loopback address (Linux routes all of 127/8 to the
/// loopback), so one test can sign in from several clients.
fn client_at(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn sign_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &reqwest::Response) -> i64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Delays long enough that no attempt in a test outlives one, however slow the machine.
fn slow_to_forgive() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.sign_in_throttling.account.first_delay = SignedDuration::from_mins(1);
    config.sign_in_throttling.client.first_delay = SignedDuration::from_mins(1);
    config
}

#[tokio::test]
async fn guessing_from_elsewhere_slows_the_guesser_but_not_the_owners_usual_client() {
    let app = TestApp::spawn_with(slow_to_forgive()).await;
    let usual = client_at("127.0.0.2");
    let guesser = client_at("127.0.0.3");
    expect_status(
        sign_in_from(&app, &usual, "admin@acme.test", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
    let mut answers = Vec::new();
    for attempt in 0..9 {
        let response = sign_in_from(
            &app,
            &guesser,
            "admin@acme.test",
            &format!("guess {attempt}"),
        )
        .await;
        answers.push(answer(response, "Try again in").await);
    }
    // Five free failures, a sixth that starts the delay, then waiting.
    assert_eq!(answers, [401, 401, 401, 401, 401, 401, 429, 429, 429]);
    // Even the right password waits, from a client the account never used...
    let guessed = sign_in_from(&app, &guesser, "admin@acme.test", PASSWORD).await;
    assert!((50..=60).contains(&retry_after(&guessed)));
    expect_status(guessed, StatusCode::TOO_MANY_REQUESTS).await;
    // ...but the owner's usual client is not held up by the guesser's failures.
    expect_status(
        sign_in_from(&app, &usual, "admin@acme.test", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
    // Other accounts are not affected.
    expect_status(
        sign_in_from(&app, &client_at("127.0.0.4"), "lead@acme.test", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn spraying_many_accounts_from_one_client_is_slowed_on_the_api_and_the_form() {
    let app = TestApp::spawn_with(slow_to_forgive()).await;
    let sprayer = client_at("127.0.0.5");
    let mut answers = Vec::new();
    for account in 0..14 {
        let response = sign_in_from(
            &app,
            &sprayer,
            &format!("person{account}@acme.test"),
            "Spring2026!",
        )
        .await;
        answers.push(answer(response, "network address").await);
    }
    // Ten free failures, an eleventh that starts the delay, then waiting.
    assert_eq!(&answers[..11], [401; 11]);
    assert_eq!(&answers[11..], [429; 3]);
    // Other clients sign in as usual.
    expect_status(
        sign_in_from(&app, &client_at("127.0.0.6"), "member@acme.test", PASSWORD).await,
        StatusCode::OK,
    )
    .await;

    // The sign-in form counts the same way (the test's own client, 127.0.0.1).
    let mut browser = Browser::default();
    let mut statuses = Vec::new();
    for account in 0..12 {
        let token = hidden_token(&browser.page(&app, "/login").await);
        let email = format!("web{account}@acme.test");
        let response = browser
            .send_sign_in(&app, &token, &email, "Spring2026!", Some("/"))
            .await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let page = response.text().await.unwrap();
            assert!(page.contains("network address"), "{page}");
        }
    }
    assert_eq!(&statuses[..11], [401; 11]);
    assert_eq!(statuses[11], 429);
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
