//! Single sign-on against a real OpenID Connect provider: the `oidc-provider`
//! package from npm (pinned in `crates/server/tests/oidc/`), run by node on
//! loopback for each test. The flow is driven over real HTTP like a browser
//! would, redirect by redirect, with a cookie jar per host. A provider that
//! misbehaves on purpose (a wrong nonce, a wrong audience, a key it does not
//! publish) signs its ID tokens with its real key, so only the relying
//! party's own checks stand in the way.
//!
//! Node and the npm package are required: a missing one fails these tests
//! loudly (`scripts/test` installs the package with `npm ci`).

use crate::support::{TestApp, expect_status, set_cookies};
use reqwest::{StatusCode, Url};
use roundtable_domain::credentials::Secret;
use roundtable_server::ServerConfig;
use roundtable_server::sso::OidcConfig;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const CLIENT_ID: &str = "roundtable";
const CLIENT_SECRET: &str = "roundtable-test-secret";

/// The node process of the provider; killed when the test ends.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn provider_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// Starts the provider for `redirect_uri`; `tamper` as provider.mjs describes.
async fn start_provider(redirect_uri: &str, tamper: &str) -> Provider {
    let folder = provider_folder();
    assert!(
        folder.join("node_modules/oidc-provider").is_dir(),
        "the test OpenID Connect provider is not installed: run `npm ci` in {} (scripts/test does)",
        folder.display()
    );
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(&folder)
        .env("REDIRECT_URI", redirect_uri)
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("TAMPER", tamper)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("node is required for the single sign-on tests and could not start: {error}")
        });
    let stdout = child.stdout.take().expect("provider stdout");
    // The provider prints its issuer once it listens (or exits on failure);
    // its output is read to the end, so it never writes into a closed pipe.
    let (announce, announced) = tokio::sync::oneshot::channel::<String>();
    std::thread::spawn(move || {
        let mut announce = Some(announce);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match (line.strip_prefix("issuer="), announce.take()) {
                (Some(issuer), Some(sender)) => {
                    let _ = sender.send(issuer.to_owned());
                }
                (_, unused) => {
                    announce = unused;
                    eprintln!("oidc-provider: {line}");
                }
            }
        }
    });
    let Ok(issuer) = announced.await else {
        let status = child.wait();
        panic!("the OpenID Connect provider did not start: {status:?}");
    };
    Provider { child, issuer }
}

/// A loopback address for the application to bind a little later (the
/// provider must know the callback first). The port is chosen below the
/// range the system hands out for port 0 (32768 and up on Linux): a port
/// taken from that range and let go could be handed to another test's
/// server before this one binds it.
fn free_loopback_address() -> String {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..200 {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let port = 20_000 + (random % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return format!("127.0.0.1:{port}");
        }
    }
    panic!("no free loopback port between 20000 and 32000");
}

/// The application with single sign-on through a fresh provider.
async fn app_with_provider(tamper: &str) -> (TestApp, Provider) {
    let bind = free_loopback_address();
    let redirect_url = format!("http://{bind}/auth/oidc/callback");
    let provider = start_provider(&redirect_url, tamper).await;
    let app = TestApp::spawn_at(ServerConfig {
        bind,
        oidc: Some(OidcConfig {
            issuer: provider.issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: Secret::new(CLIENT_SECRET),
            redirect_url,
            organization: "acme".to_owned(),
            display_name: "Acme Login".to_owned(),
        }),
        ..ServerConfig::default()
    })
    .await;
    (app, provider)
}

/// Cookies per host:port, as a browser keeps them (paths ignored).
#[derive(Default)]
struct Jar(HashMap<String, HashMap<String, String>>);

fn host_of(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

impl Jar {
    fn keep(&mut self, url: &Url, response: &reqwest::Response) {
        let cookies = self.0.entry(host_of(url)).or_default();
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.to_ascii_lowercase().contains("max-age=0") {
                cookies.remove(name.trim());
            } else {
                cookies.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self, url: &Url) -> String {
        self.0
            .get(&host_of(url))
            .map(|cookies| {
                cookies
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }

    async fn get(&mut self, app: &TestApp, url: &Url) -> reqwest::Response {
        let response = app
            .client
            .get(url.clone())
            .header("cookie", self.header(url))
            .send()
            .await
            .unwrap();
        self.keep(url, &response);
        response
    }
}

fn location(url: &Url, response: &reqwest::Response) -> Url {
    assert!(
        response.status().is_redirection(),
        "{url} answered {} instead of redirecting",
        response.status()
    );
    let target = response.headers()["location"].to_str().unwrap();
    url.join(target).unwrap()
}

/// Starts single sign-on at the application and follows the provider's
/// redirects as `person` (the provider's account, by email) until the
/// provider sends the browser back: returns that callback address.
async fn through_provider(app: &TestApp, jar: &mut Jar, person: &str) -> Url {
    let start = Url::parse(&app.url("/auth/oidc/start?next=/requests")).unwrap();
    let response = jar.get(app, &start).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut url = location(&start, &response);
    let sent: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(sent["code_challenge_method"], "S256");
    assert_eq!(sent["response_type"], "code");
    assert!(sent["code_challenge"].len() >= 43 && sent.contains_key("nonce"));
    url.query_pairs_mut().append_pair("login_hint", person);
    for _ in 0..10 {
        if url.as_str().starts_with(&app.url("/auth/oidc/callback")) {
            return url;
        }
        let response = jar.get(app, &url).await;
        url = location(&url, &response);
    }
    panic!("the provider never sent the browser back");
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookies(response)
        .find(|cookie| cookie.starts_with("roundtable_session=") && !cookie.contains("Max-Age=0"))
        .map(str::to_owned)
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    let log = app.read(&app.admin, "/api/v1/audit-log").await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap_or_default().to_owned(),
                entry["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The callback's answer when single sign-on is refused: the sign-in page
/// with the reason, no session, and an audit entry.
async fn assert_refused(
    app: &TestApp,
    response: reqwest::Response,
    status: StatusCode,
    reason: &str,
) {
    assert_eq!(response.status(), status);
    assert!(session_cookie(&response).is_none(), "a session was started");
    let page = response.text().await.unwrap();
    assert!(page.contains("Single sign-on failed"), "{page}");
    assert!(page.contains(reason), "{reason} not in {page}");
    assert!(
        audit_actions(app)
            .await
            .iter()
            .any(|(action, _)| action == "sso.refused"),
        "the refusal was not audit-logged"
    );
}

#[tokio::test]
async fn signing_in_through_the_provider_starts_a_session_for_the_right_person() {
    let (app, _provider) = app_with_provider("").await;
    let login = app.client.get(app.url("/login")).send().await.unwrap();
    let page = login.text().await.unwrap();
    assert!(page.contains("Sign in with Acme Login"), "{page}");

    let mut jar = Jar::default();
    let callback = through_provider(&app, &mut jar, "member@acme.test").await;
    // A session id planted in the browser before is not the one after.
    let planted = "roundtable_session=planted-by-someone-else";
    let response = app
        .client
        .get(callback.clone())
        .header("cookie", format!("{}; {planted}", jar.header(&callback)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/requests");
    let cookie = session_cookie(&response).expect("a session cookie");
    // The same flags as the password sign-in's.
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    let session = cookie
        .trim_start_matches("roundtable_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(session, "planted-by-someone-else");
    let me = expect_status(
        app.client
            .get(app.url("/api/v1/me"))
            .header("cookie", format!("roundtable_session={session}"))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["email"], "member@acme.test");
    assert_eq!(me["person_id"], app.member.id.0);
    let actions = audit_actions(&app).await;
    assert!(
        actions
            .iter()
            .any(|(action, detail)| action == "sso.signed_in"
                && detail.contains("member@acme.test")
                && detail.contains("Acme Login")),
        "{actions:?}"
    );

    // The same answer cannot be used a second time: the provider refuses the spent code.
    let replayed = jar.get(&app, &callback).await;
    assert_refused(&app, replayed, StatusCode::FORBIDDEN, "invalid_grant").await;
    // And without the attempt's cookie, nothing is even tried.
    let elsewhere = app.client.get(callback).send().await.unwrap();
    assert_refused(
        &app,
        elsewhere,
        StatusCode::BAD_REQUEST,
        "expired or was started in another browser",
    )
    .await;
}

#[tokio::test]
async fn a_tampered_state_is_refused() {
    let (app, _provider) = app_with_provider("").await;
    let mut jar = Jar::default();
    let callback = through_provider(&app, &mut jar, "member@acme.test").await;
    let mut tampered = callback.clone();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .into_owned()
        .map(|(name, value)| {
            if name == "state" {
                (name, format!("{value}x"))
            } else {
                (name, value)
            }
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    let response = jar.get(&app, &tampered).await;
    assert_refused(
        &app,
        response,
        StatusCode::BAD_REQUEST,
        "did not belong to the sign-in this browser started",
    )
    .await;
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let (app, _provider) = app_with_provider("nonce").await;
    let mut jar = Jar::default();
    let callback = through_provider(&app, &mut jar, "member@acme.test").await;
    let response = jar.get(&app, &callback).await;
    assert_refused(&app, response, StatusCode::FORBIDDEN, "nonce").await;
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    let (app, _provider) = app_with_provider("aud").await;
    let mut jar = Jar::default();
    let callback = through_provider(&app, &mut jar, "member@acme.test").await;
    let response = jar.get(&app, &callback).await;
    assert_refused(&app, response, StatusCode::FORBIDDEN, "InvalidAudience").await;
}

#[tokio::test]
async fn an_id_token_signed_with_an_unpublished_key_is_refused() {
    let (app, _provider) = app_with_provider("signature").await;
    let mut jar = Jar::default();
    let callback = through_provider(&app, &mut jar, "member@acme.test").await;
    let response = jar.get(&app, &callback).await;
    assert_refused(
        &app,
        response,
        StatusCode::FORBIDDEN,
        "a key the provider does not publish",
    )
    .await;
}

#[tokio::test]
async fn unknown_and_unverified_emails_get_no_session() {
    let (app, _provider) = app_with_provider("").await;
    let mut jar = Jar::default();
    let callback = through_provider(&app, &mut jar, "stranger@acme.test").await;
    let response = jar.get(&app, &callback).await;
    assert_refused(
        &app,
        response,
        StatusCode::FORBIDDEN,
        "no active Roundtable account in this organization uses the email stranger@acme.test",
    )
    .await;
    // Nobody was created for the stranger.
    let people = app.read(&app.admin, "/api/v1/people").await;
    assert!(!people.to_string().contains("stranger@acme.test"));

    // The provider names a known email but does not vouch for it.
    let mut jar = Jar::default();
    let callback = through_provider(&app, &mut jar, "unverified@acme.test").await;
    let response = jar.get(&app, &callback).await;
    assert_refused(
        &app,
        response,
        StatusCode::FORBIDDEN,
        "is not marked as verified",
    )
    .await;
}

#[tokio::test]
async fn without_configuration_there_is_no_single_sign_on() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Sign in with"), "{page}");
    for path in ["/auth/oidc/start", "/auth/oidc/callback?code=x&state=y"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
