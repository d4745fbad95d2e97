//! Hardening: the password policy wherever a password is set, session
//! fixation, expired tokens, slow requests, and the audit log's export.

use crate::support::{PASSWORD, TestApp, expect_status, problem_fields, set_cookies, version_of};
use reqwest::{Method, StatusCode};
use roundtable_domain::credentials::{TokenKind, TokenScopes, issue_token};
use roundtable_server::ServerConfig;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn passwords_must_be_long_hard_to_guess_and_not_the_email() {
    let app = TestApp::spawn().await;
    for (password, message) in [
        ("eleven char", "at least 12"),
        ("Password1234", "too easy to guess"),
        ("qwertyuiopas", "too easy to guess"),
        ("Welcome2026!", "too easy to guess"),
        ("roundtable-demo", "too easy to guess"),
        // The person's own name is among an attacker's first guesses.
        ("ada lovelace 1815", "too easy to guess"),
        ("ada.lovelace@acme.test", "your email"),
        ("ada.lovelace", "your email"),
    ] {
        let refused = app
            .post(
                &app.admin,
                "/api/v1/people",
                &json!({ "email": "ada.lovelace@acme.test", "name": "Ada Lovelace", "password": password }),
            )
            .await;
        let problem = expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), ["password"], "{password}");
        assert!(
            problem.to_string().contains(message),
            "{password}: {problem}"
        );
    }
    // zxcvbn's advice comes with the refusal.
    let refused = app
        .post(
            &app.admin,
            "/api/v1/people",
            &json!({ "email": "ada.lovelace@acme.test", "name": "Ada", "password": "Welcome2026!" }),
        )
        .await;
    let problem = expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(problem.to_string().contains("unrelated words"), "{problem}");
    app.create(
        &app.admin,
        "/api/v1/people",
        &json!({ "email": "ada.lovelace@acme.test", "name": "Ada", "password": "analytical engine notes" }),
    )
    .await;

    // Changing one's own password follows the same policy.
    let path = format!("/api/v1/people/{}", app.member.id.0);
    let current = app.read(&app.member, &path).await;
    for weak in ["member@acme.test", "Welcome2026!"] {
        let refused = app
            .patch(
                &app.member,
                &path,
                version_of(&current),
                &json!({ "password": weak, "current_password": PASSWORD }),
            )
            .await;
        assert_eq!(
            problem_fields(&expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await),
            ["password"]
        );
    }
    expect_status(
        app.patch(
            &app.member,
            &path,
            version_of(&current),
            &json!({ "password": "a much better passphrase", "current_password": PASSWORD }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let signed_in = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "member@acme.test", "password": "a much better passphrase" }))
        .send()
        .await
        .unwrap();
    expect_status(signed_in, StatusCode::OK).await;
}

#[tokio::test]
async fn signed_in_answers_are_never_cached_and_https_is_insisted_on() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/me", "/api/v1/people", "/api/v1/tokens"] {
        let response = app.get(&app.member, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_none(),
            "not over plain HTTP"
        );
    }
    // The matrix keeps its own revalidated caching.
    let matrix = app.get(&app.member, "/api/v1/matrix").await;
    assert_eq!(matrix.headers()["cache-control"], "private, no-cache");
    // The sign-in answer carries the person too.
    let signed_in = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "member@acme.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.headers()["cache-control"], "no-store");
    let cookie = session_cookie(&signed_in).unwrap();
    // Pages rendered for a signed-in person.
    let home = app
        .client
        .get(app.url("/"))
        .header("cookie", format!("roundtable_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["cache-control"], "no-store");

    let secure = TestApp::spawn_with(ServerConfig {
        secure_cookies: true,
        ..ServerConfig::default()
    })
    .await;
    for path in ["/api/v1/me", "/healthz", "/login"] {
        let response = secure.get(&secure.member, path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookies(response).find_map(|cookie| {
        let value = cookie.strip_prefix("roundtable_session=")?;
        let value = value.split(';').next()?;
        (!value.is_empty()).then(|| value.to_owned())
    })
}

async fn me_with_cookie(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("roundtable_session={cookie}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_session_planted_before_sign_in_is_not_the_session_after() {
    let app = TestApp::spawn().await;
    // The attacker's own, real session, planted in the victim's browser.
    let attacker = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "lead@acme.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let planted = session_cookie(&attacker).expect("a session cookie");
    for before in [planted.clone(), "attacker-chosen-value".to_owned()] {
        let victim = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("cookie", format!("roundtable_session={before}"))
            .json(&json!({ "email": "member@acme.test", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(victim.status(), StatusCode::OK);
        let after = session_cookie(&victim).expect("a new session cookie");
        assert_ne!(after, before, "the session was not renewed at sign-in");
        let me = expect_status(me_with_cookie(&app, &after).await, StatusCode::OK).await;
        assert_eq!(me["email"], "member@acme.test");
    }
    // The planted session still belongs to the attacker alone, and a made-up one to nobody.
    let theirs = expect_status(me_with_cookie(&app, &planted).await, StatusCode::OK).await;
    assert_eq!(theirs["email"], "lead@acme.test");
    expect_status(
        me_with_cookie(&app, "attacker-chosen-value").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn an_expired_token_is_refused_like_a_revoked_one() {
    let app = TestApp::spawn().await;
    let scoped = app.store.scoped(app.admin.organization);
    let issued = issue_token(TokenKind::Api);
    let yesterday = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    scoped
        .create_api_token(
            app.member.id,
            "expired".to_owned(),
            issued.digest.clone(),
            Some(yesterday),
            TokenScopes::ALL,
        )
        .await
        .unwrap();
    let expired = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(issued.secret.expose())
        .send()
        .await
        .unwrap();
    expect_status(expired, StatusCode::UNAUTHORIZED).await;

    let created = app
        .create(
            &app.member,
            "/api/v1/tokens",
            &json!({ "name": "soon revoked" }),
        )
        .await;
    let secret = created["token"]
        .as_str()
        .expect("the token, shown once")
        .to_owned();
    expect_status(
        app.delete(&app.member, &format!("/api/v1/tokens/{}", created["id"]))
            .await,
        StatusCode::OK,
    )
    .await;
    let revoked = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    expect_status(revoked, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_request_that_never_finishes_is_answered_408_within_the_limit() {
    let app = TestApp::spawn_with(ServerConfig {
        request_timeout: Duration::from_millis(700),
        ..ServerConfig::default()
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // Promises a body it never sends.
    let head = format!(
        "POST /api/v1/departments HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
        app.admin.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    // The server answers and closes; the test's own bound is far above the limit.
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => {
                    answer.extend_from_slice(&buffer[..count]);
                    if String::from_utf8_lossy(&answer).contains("\r\n\r\n{") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer to a stalled request");
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Nothing was created.
    let departments = app.read(&app.admin, "/api/v1/departments").await;
    assert_eq!(departments["items"], json!([]));
}

#[tokio::test]
async fn administrators_export_the_audit_log() {
    let app = TestApp::spawn().await;
    app.department("Finance").await;
    let csv = app
        .request(
            Method::GET,
            Some(&app.admin),
            "/api/v1/exports/audit-log?format=csv",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,created_at,actor_email,actor_person_id,action,subject_kind,subject_id,detail")
    );
    assert!(
        lines.any(|line| line.contains("admin@acme.test") && line.contains("department.created")),
        "{text}"
    );
    let json = app
        .read(&app.admin, "/api/v1/exports/audit-log?format=json")
        .await;
    assert!(json.as_array().is_some_and(|entries| !entries.is_empty()));
    for user in [&app.lead, &app.member] {
        expect_status(
            app.get(user, "/api/v1/exports/audit-log").await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // Another organization's administrator exports only their own log.
    let theirs = app
        .get(&app.outsider, "/api/v1/exports/audit-log")
        .await
        .text()
        .await
        .unwrap();
    assert!(!theirs.contains("admin@acme.test"), "{theirs}");
}
