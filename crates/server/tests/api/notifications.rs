//! Notifications: the inbox, preferences, signed webhooks with retries, and
//! the outbox shared by several instances without duplicates or losses.

use crate::checks::{Desk, desk, resolved_request};
use crate::support::{TestApp, User, expect_status, id_of, problem_fields, version_of};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use hmac::{Hmac, Mac};
use jiff::SignedDuration;
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use roundtable_testkit::messages_to;
use roundtable_worker::dispatch::{DispatchConfig, dispatch_once};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// A local webhook receiver: records every call, answers 500 to the first
/// `failures` calls (or always, with `usize::MAX`).
#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    failures: Arc<Mutex<usize>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: String) -> AxumStatus {
    let mut failures = receiver.failures.lock().unwrap();
    receiver.calls.lock().unwrap().push((headers, body));
    if *failures > 0 {
        *failures = failures.saturating_sub(1);
        AxumStatus::INTERNAL_SERVER_ERROR
    } else {
        AxumStatus::OK
    }
}

async fn start_receiver(failures: usize) -> (String, Receiver) {
    let receiver = Receiver {
        calls: Arc::default(),
        failures: Arc::new(Mutex::new(failures)),
    };
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), receiver)
}

/// The receivers listen on 127.0.0.1, so private targets are allowed here
/// (the refusal has its own tests in `input_safety`).
pub(crate) fn quick_retries() -> DispatchConfig {
    DispatchConfig {
        retry_base: SignedDuration::ZERO,
        max_attempts: 3,
        public_url: "https://roundtable.example".to_owned(),
        allow_private_webhooks: true,
        ..DispatchConfig::default()
    }
}

async fn inbox(app: &TestApp, user: &User) -> Value {
    app.read(user, "/api/v1/notifications").await
}

/// A webhook's delivery log, as the admin reads it.
async fn deliveries(app: &TestApp, webhook: &Value) -> Value {
    let path = format!("/api/v1/webhooks/{}/deliveries", id_of(webhook));
    app.read(&app.admin, &path).await
}

/// `seller` asks the desk's service for "Booth leads".
async fn booth_leads(app: &TestApp, desk: &Desk, seller: &User) -> Value {
    let body = json!({ "service_id": id_of(&desk.service), "title": "Booth leads" });
    app.create(seller, "/api/v1/requests", &body).await
}

#[tokio::test]
async fn the_people_concerned_hear_of_a_change_and_choose_how() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = desk.seller(&app).await;
    let request = resolved_request(&app, &desk, &seller).await;
    let seen = inbox(&app, &seller).await;
    assert_eq!(seen["unread"], 1);
    let check = &seen["items"][0];
    assert_eq!(check["kind"], "check_requested");
    assert_eq!(check["subject_id"], request["id"]);
    // It leads to the check's answer form, not to the request.
    let checks = app.read(&seller, "/api/v1/checks").await;
    assert_eq!(
        check["link"],
        format!("/checks/{}", id_of(&checks["items"][0]))
    );

    // The seller turns off deferral notices in the inbox; a deferral then arrives read.
    let bad = app
        .request(
            reqwest::Method::PUT,
            Some(&seller),
            "/api/v1/notifications/preferences",
        )
        .json(&json!({ "choices": [{ "kind": "gossip", "channel": "pigeon", "enabled": false }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem_fields(&expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["choices[0].kind", "choices[0].channel"]
    );
    let set = app
        .request(
            reqwest::Method::PUT,
            Some(&seller),
            "/api/v1/notifications/preferences",
        )
        .json(
            &json!({ "choices": [{ "kind": "deferred", "channel": "in_app", "enabled": false }] }),
        )
        .send()
        .await
        .unwrap();
    let preferences = expect_status(set, StatusCode::OK).await;
    assert_eq!(
        preferences["choices"],
        json!([{ "kind": "deferred", "channel": "in_app", "enabled": false }])
    );
    let open = booth_leads(&app, &desk, &seller).await;
    let defer = app
        .post(&desk.marketer, &format!("/api/v1/requests/{}/deferral", id_of(&open)), &json!({ "reason": "A key customer's outage comes first", "new_eta": "2099-01-01T00:00:00Z" }))
        .await;
    expect_status(defer, StatusCode::OK).await;
    let seen = inbox(&app, &seller).await;
    assert_eq!(seen["items"][0]["kind"], "deferred");
    assert!(
        seen["items"][0]["read_at"].is_string(),
        "turned off in the inbox: born read"
    );
    assert_eq!(seen["unread"], 1);

    // A failing change notifies nobody: a deferral to the past is refused whole.
    let refused = app
        .post(
            &desk.marketer,
            &format!("/api/v1/requests/{}/deferral", id_of(&open)),
            &json!({ "reason": "Later", "new_eta": "2001-01-01T00:00:00Z" }),
        )
        .await;
    expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        inbox(&app, &seller).await["items"].as_array().map(Vec::len),
        Some(2)
    );

    // Assignment tells the new assignee.
    let current = app
        .read(
            &desk.marketer,
            &format!("/api/v1/requests/{}", id_of(&open)),
        )
        .await;
    expect_status(
        app.patch(
            &desk.marketer,
            &format!("/api/v1/requests/{}", id_of(&open)),
            version_of(&current),
            &json!({ "assignee_person_id": app.lead.id.0 }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let lead_inbox = inbox(&app, &app.lead).await;
    assert_eq!(lead_inbox["items"][0]["kind"], "assigned");

    // Reading: one, then all; someone else's is not found.
    let first = id_of(&inbox(&app, &seller).await["items"][1]);
    expect_status(
        app.post(
            &app.lead,
            &format!("/api/v1/notifications/{first}/read"),
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let marked = expect_status(
        app.post(
            &seller,
            &format!("/api/v1/notifications/{first}/read"),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(marked["marked"], 1);
    assert_eq!(inbox(&app, &seller).await["unread"], 0);
    let unread_only = app.read(&seller, "/api/v1/notifications?unread=true").await;
    assert_eq!(unread_only["items"], json!([]));
}

fn verify(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    let Some(header) = headers
        .get("x-roundtable-signature")
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let Some((timestamp, signature)) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    hex::decode(signature).is_ok_and(|bytes| mac.verify_slice(&bytes).is_ok())
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_disabled_after_repeated_failure() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let (url, receiver) = start_receiver(2).await;
    let members_may_not = json!({ "url": url });
    app.post_expecting(
        &app.member,
        "/api/v1/webhooks",
        &members_may_not,
        StatusCode::FORBIDDEN,
    )
    .await;
    let bad = app
        .post(
            &app.admin,
            "/api/v1/webhooks",
            &json!({ "url": "ftp://nowhere", "kinds": ["nothing"] }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["url", "kinds[0]"]
    );
    let webhook = app
        .create(
            &app.admin,
            "/api/v1/webhooks",
            &json!({ "url": url, "kinds": ["check_requested"] }),
        )
        .await;
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    let shown = app
        .read(&app.admin, &format!("/api/v1/webhooks/{}", id_of(&webhook)))
        .await;
    assert_eq!(shown["secret"], Value::Null, "the secret is shown once");

    let seller = desk.seller(&app).await;
    let request = resolved_request(&app, &desk, &seller).await;
    let config = quick_retries();
    let client = reqwest::Client::new();
    // Two 500s, then success: three attempts.
    for _ in 0..3 {
        dispatch_once(&app.store, &config, &client).await.unwrap();
    }
    let calls = receiver.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3);
    for (headers, body) in &calls {
        assert!(verify(&secret, headers, body), "signature verifies");
        assert!(!verify("wrong secret", headers, body));
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["event"], "check_requested");
        assert_eq!(payload["notification"]["subject"]["id"], request["id"]);
        // The subject is the request; the link, the check's answer form.
        assert!(
            payload["notification"]["url"]
                .as_str()
                .is_some_and(|url| url.starts_with("https://roundtable.example/checks/")),
            "{payload}"
        );
    }
    let log = deliveries(&app, &webhook).await;
    assert_eq!(log["items"][0]["state"], "sent");
    assert_eq!(log["items"][0]["attempts"], 3);
    assert_eq!(log["items"][0]["last_status"], 200);

    // A receiver that always fails: each delivery is given up after three
    // attempts, and after five given-up deliveries the webhook is disabled
    // and the admin told.
    *receiver.failures.lock().unwrap() = usize::MAX;
    for index in 0..5 {
        let other = app
            .add_member_of(
                &format!("buyer{index}@acme.test"),
                Role::Member,
                id_of(&desk.sales),
            )
            .await;
        resolved_request(&app, &desk, &other).await;
        for _ in 0..3 {
            dispatch_once(&app.store, &config, &client).await.unwrap();
        }
    }
    let disabled = app
        .read(&app.admin, &format!("/api/v1/webhooks/{}", id_of(&webhook)))
        .await;
    assert_eq!(disabled["active"], false);
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("5 failed deliveries")
    );
    let admin_inbox = inbox(&app, &app.admin).await;
    assert_eq!(admin_inbox["items"][0]["kind"], "webhook_disabled");
    let log = deliveries(&app, &webhook).await;
    assert_eq!(log["items"][0]["state"], "failed");
    assert_eq!(log["items"][0]["last_status"], 500);
    // Disabled: new events are not queued for it; turning it on again resets it.
    let enabled = expect_status(
        app.patch(
            &app.admin,
            &format!("/api/v1/webhooks/{}", id_of(&webhook)),
            version_of(&disabled),
            &json!({ "active": true }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(enabled["consecutive_failures"], 0);
}

#[tokio::test]
async fn two_instances_share_the_outbox_and_a_dead_instances_claims_are_taken_over() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let (url, receiver) = start_receiver(0).await;
    app.create(&app.admin, "/api/v1/webhooks", &json!({ "url": url }))
        .await;
    // 1,000 notification-causing events: a request assigned back and forth
    // between two people, each assignment telling the new assignee.
    let other = app
        .add_member("second@acme.test", id_of(&desk.marketing))
        .await;
    let open = app
        .create(
            &desk.marketer,
            "/api/v1/requests",
            &json!({ "service_id": id_of(&desk.service), "title": "Busy" }),
        )
        .await;
    let path = format!("/api/v1/requests/{}", id_of(&open));
    let mut version = version_of(&open);
    for index in 0..1000 {
        let assignee = if index % 2 == 0 {
            app.lead.id.0
        } else {
            other.id.0
        };
        let changed = expect_status(
            app.patch(
                &desk.marketer,
                &path,
                version,
                &json!({ "assignee_person_id": assignee }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        version = version_of(&changed);
    }
    let second = app.another_instance_store().await;
    let mut first_config = quick_retries();
    first_config.instance = "first".to_owned();
    first_config.mail = None;
    let mut second_config = first_config.clone();
    second_config.instance = "second".to_owned();
    // A dead instance: it claimed a batch, then never finished. Its lease is short.
    let stranded = app
        .store
        .claim_deliveries(
            "dead",
            jiff::Timestamp::now(),
            SignedDuration::from_millis(300),
            40,
        )
        .await
        .unwrap();
    assert_eq!(stranded.len(), 40);
    let client = reqwest::Client::new();
    let run = |store: roundtable_store::Store, config: DispatchConfig| {
        let client = client.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            loop {
                let handled = dispatch_once(&store, &config, &client).await.unwrap();
                if handled == 0 {
                    if started.elapsed() > std::time::Duration::from_secs(2) {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        })
    };
    let first = run(app.store.clone(), first_config);
    let second = run(second, second_config);
    first.await.unwrap();
    second.await.unwrap();
    let calls = receiver.calls.lock().unwrap().clone();
    let mut ids: Vec<String> = calls
        .iter()
        .filter_map(|(headers, _)| {
            headers
                .get("x-roundtable-delivery")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        })
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(total, 1000, "every webhook delivery made");
    assert_eq!(ids.len(), 1000, "none twice");
    let counts = app.store.delivery_counts().await.unwrap();
    assert!(
        counts.iter().all(|(_, state, _)| state != "pending"),
        "{counts:?}"
    );
}

/// The SMTP server `scripts/test` starts (aiosmtpd from PyPI, writing a
/// Maildir): `ROUNDTABLE_TEST_SMTP` is its `host:port`,
/// `ROUNDTABLE_TEST_MAILDIR` where messages land. Without them the test
/// fails rather than passing untested: `scripts/test` always starts the
/// server, so only a run outside it can miss one.
fn test_smtp() -> (String, std::path::PathBuf) {
    let variable = |name: &str| {
        roundtable_testkit::required_env(
            name,
            "this test needs a real SMTP server. Run the suite with `scripts/test sqlite` (or \
             `scripts/test postgres`), which starts one (aiosmtpd, writing a Maildir) and sets \
             ROUNDTABLE_TEST_SMTP=host:port and ROUNDTABLE_TEST_MAILDIR=folder; add a test name \
             after the backend to run only this test",
        )
    };
    let address = variable("ROUNDTABLE_TEST_SMTP");
    let maildir = variable("ROUNDTABLE_TEST_MAILDIR");
    (address, maildir.into())
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server_as_the_person_chose() {
    let (address, maildir) = test_smtp();
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let recipient = format!(
        "mail-{}@acme.test",
        std::process::id() as u64 * 1000
            + u64::from(jiff::Timestamp::now().subsec_millisecond().unsigned_abs())
    );
    let seller = app.add_member(&recipient, id_of(&desk.sales)).await;
    let set = app
        .request(
            reqwest::Method::PUT,
            Some(&seller),
            "/api/v1/notifications/preferences",
        )
        .json(&json!({ "choices": [{ "kind": "deferred", "channel": "email", "enabled": false }] }))
        .send()
        .await
        .unwrap();
    expect_status(set, StatusCode::OK).await;
    let request = resolved_request(&app, &desk, &seller).await;
    let open = booth_leads(&app, &desk, &seller).await;
    let defer = app
        .post(
            &desk.marketer,
            &format!("/api/v1/requests/{}/deferral", id_of(&open)),
            &json!({ "reason": "A customer outage first", "new_eta": "2099-01-01T00:00:00Z" }),
        )
        .await;
    expect_status(defer, StatusCode::OK).await;
    let mut config = quick_retries();
    config.mail = Some(
        roundtable_worker::dispatch::MailSettings::from_url(
            &format!("smtp://{address}"),
            "Roundtable <roundtable@acme.test>",
        )
        .unwrap(),
    );
    dispatch_once(&app.store, &config, &reqwest::Client::new())
        .await
        .unwrap();
    let mut messages = Vec::new();
    for _ in 0..50 {
        messages = messages_to(&maildir, &recipient);
        if !messages.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        messages.len(),
        1,
        "the check request by email, the deferral not (turned off)"
    );
    let message = &messages[0];
    assert!(message.contains("Subject: Did"), "{message}");
    assert!(
        message.contains("From: Roundtable <roundtable@acme.test>"),
        "{message}"
    );
    assert!(message.contains("Content-Type: text/plain"), "{message}");
    assert!(message.contains("Content-Type: text/html"), "{message}");
    assert!(
        message.contains("https://roundtable.example/checks/"),
        "a link back to the check's answer form: {message}"
    );
    assert!(
        message.contains(&format!(
            "In-Reply-To: <request-{}@roundtable.invalid>",
            id_of(&request)
        )),
        "threaded: {message}"
    );
    let counts = app.store.delivery_counts().await.unwrap();
    assert!(
        counts.contains(&("email".to_owned(), "sent".to_owned(), 1)),
        "{counts:?}"
    );
}

#[tokio::test]
async fn kudos_answered_assumptions_and_actions_due_reach_their_people() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = desk.seller(&app).await;
    let kinds = |inbox: &Value| -> Vec<String> {
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|item| item["kind"].as_str().map(str::to_owned))
            .collect()
    };

    app.create(&desk.marketer, "/api/v1/kudos", &json!({ "receiver_person_id": seller.id.0, "message": "Thanks for the quick feedback on the leads" }))
    .await;
    let topic = app.create(&seller, "/api/v1/topics", &json!({
            "kind": "assumption", "title": "Marketing scores leads by company size only",
            "from_department_id": id_of(&desk.sales), "about_department_id": id_of(&desk.marketing)
        }))
    .await;
    expect_status(
        app.post(
            &desk.marketer,
            &format!("/api/v1/topics/{}/answer", id_of(&topic)),
            &json!({ "answer": "corrected", "note": "We also score engagement." }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    app.create(&app.admin, "/api/v1/actions", &json!({ "title": "Share the scoring model", "owner_person_id": seller.id.0, "due_on": today.to_string() }))
    .await;
    let now = jiff::Timestamp::now();
    assert_eq!(
        roundtable_worker::digest::remind_actions(&app.store, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        roundtable_worker::digest::remind_actions(&app.store, now)
            .await
            .unwrap(),
        0,
        "once"
    );

    let inbox = inbox(&app, &seller).await;
    assert_eq!(
        kinds(&inbox),
        ["action_due", "assumption_answered", "kudos_received"]
    );
    assert!(
        inbox["items"][1]["title"]
            .as_str()
            .unwrap()
            .contains("corrected")
    );
    assert_eq!(inbox["items"][1]["body"], "We also score engagement.");
}

/// Without `--allow-private-webhooks`, a webhook cannot be pointed at
/// loopback, link-local, private or special addresses, whether written as an
/// address or as a name resolving to one.
#[tokio::test]
async fn webhooks_to_private_addresses_are_refused_at_creation() {
    let app = TestApp::spawn_with(roundtable_server::ServerConfig::default()).await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9/hook",
        "http://2130706433/hook",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://192.0.2.1/hook",
        "http://localhost:8080/hook",
    ] {
        let refused = app
            .post(&app.admin, "/api/v1/webhooks", &json!({ "url": url }))
            .await;
        let problem = expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), ["url"], "{url}");
    }
    app.create(
        &app.admin,
        "/api/v1/webhooks",
        &json!({ "url": "http://93.184.216.34/hook" }),
    )
    .await;
}

/// Every delivery checks the resolved address again (a name may have been
/// pointed elsewhere since): a refused one is recorded as failed with the
/// reason, the receiver is never called, and it is not retried.
#[tokio::test]
async fn deliveries_to_private_addresses_fail_with_the_reason_and_are_not_retried() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let (url, receiver) = start_receiver(0).await;
    let webhook = app
        .create(
            &app.admin,
            "/api/v1/webhooks",
            &json!({ "url": url.replace("127.0.0.1", "localhost"), "kinds": ["check_requested"] }),
        )
        .await;
    let seller = desk.seller(&app).await;
    resolved_request(&app, &desk, &seller).await;
    let config = DispatchConfig {
        allow_private_webhooks: false,
        ..quick_retries()
    };
    let client = reqwest::Client::new();
    for _ in 0..3 {
        dispatch_once(&app.store, &config, &client).await.unwrap();
    }
    assert!(receiver.calls.lock().unwrap().is_empty(), "never called");
    let log = deliveries(&app, &webhook).await;
    let delivery = &log["items"][0];
    assert_eq!(delivery["state"], "failed", "{log}");
    assert_eq!(delivery["attempts"], 1, "not retried: {log}");
    let error = delivery["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("refused") && error.contains("loopback"),
        "{error}"
    );
}

/// With no relay, email is recorded once as not sent, and administrators
/// read it on the Mail page: recipient, subject, status, the text on a
/// details toggle. Others may not.
#[tokio::test]
async fn administrators_read_the_mail_that_would_have_gone_out() {
    use crate::web::Browser;
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = app
        .add_member("mail-reader@acme.test", id_of(&desk.sales))
        .await;
    resolved_request(&app, &desk, &seller).await;
    let config = quick_retries();
    assert!(config.mail.is_none());
    let client = reqwest::Client::new();
    while dispatch_once(&app.store, &config, &client).await.unwrap() > 0 {}
    let counts = app.store.delivery_counts().await.unwrap();
    assert!(
        counts
            .iter()
            .all(|(channel, state, _)| channel != "email" || state == "failed"),
        "{counts:?}"
    );
    let mut admin = Browser::default();
    admin.sign_in(&app, "admin@acme.test").await;
    let page = admin.page(&app, "/admin/mail").await;
    assert!(page.contains("<h1>Mail</h1>"), "{page}");
    assert!(
        page.contains("href=\"/admin/mail\" aria-current=\"page\""),
        "{page}"
    );
    assert!(page.contains("mail-reader@acme.test"), "{page}");
    assert!(page.contains(">Not sent</span>"), "{page}");
    assert!(page.contains("<details><summary>"), "{page}");
    assert!(page.contains("no SMTP relay is configured"), "{page}");
    let mut member = Browser::default();
    member.sign_in(&app, &seller.email).await;
    assert_eq!(
        member.get(&app, "/admin/mail").await.status(),
        StatusCode::FORBIDDEN
    );
}
