//! Email through real SMTP servers that `scripts/test` starts (aiosmtpd from
//! PyPI): one with STARTTLS required and sign-in, one with implicit TLS and
//! sign-in, both on a throwaway certificate authority; and a webhook receiver
//! that never answers, which must delay no email. Without the servers these
//! tests fail, saying how to start them, rather than pass untested.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use roundtable_domain::people::Role;
use roundtable_store::mail_log::NOT_SENT;
use roundtable_store::{PageRequest, Store};
use roundtable_testkit::{TestDatabase, messages_to, required_env};
use roundtable_worker::dispatch::{DispatchConfig, MailSettings, SmtpOptions, dispatch_once};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The secure test server's settings, from the variables `scripts/test` exports.
struct SecureSmtp {
    starttls: String,
    smtps: String,
    ca: PathBuf,
    user: String,
    password: String,
    maildir: PathBuf,
}

fn secure_smtp() -> SecureSmtp {
    let variable = |name: &str| {
        required_env(
            name,
            "this test needs the test SMTP server with TLS and AUTH that `scripts/test \
             sqlite` (or postgres) starts (aiosmtpd, scripts/smtp_secure_server.py); add a test \
             name after the backend to run only this test",
        )
    };
    SecureSmtp {
        starttls: variable("ROUNDTABLE_TEST_SMTP_STARTTLS"),
        smtps: variable("ROUNDTABLE_TEST_SMTPS"),
        ca: variable("ROUNDTABLE_TEST_SMTP_CA").into(),
        user: variable("ROUNDTABLE_TEST_SMTP_USER"),
        password: variable("ROUNDTABLE_TEST_SMTP_PASSWORD"),
        maildir: variable("ROUNDTABLE_TEST_SECURE_MAILDIR").into(),
    }
}

fn unique(tag: &str) -> String {
    format!(
        "{tag}-{}-{}@acme.test",
        std::process::id(),
        Timestamp::now().as_nanosecond()
    )
}

/// An organization whose one lead (`email`) has one weekly digest waiting to
/// be emailed (and, with `webhook`, called to that webhook too).
async fn one_email_due(store: &Store, email: &str, webhook: Option<&str>) {
    let organization = roundtable_testkit::acme(store).await;
    let scoped = store.scoped(organization.id);
    if let Some(url) = webhook {
        scoped
            .create_webhook(url.to_owned(), "secret".to_owned(), vec![])
            .await
            .unwrap();
    }
    let lead = scoped
        .create_person(roundtable_testkit::person(
            email,
            "Lea <Lead> & co",
            Role::Lead,
        ))
        .await
        .unwrap();
    scoped
        .create_department(roundtable_testkit::department("ops", "Ops", vec![lead.id]))
        .await
        .unwrap();
    let monday: Timestamp = "2026-11-23T08:00:00Z".parse().unwrap();
    let sent = roundtable_worker::digest::send_weekly_digests(store, monday)
        .await
        .unwrap();
    assert_eq!(sent, 1);
}

fn config_with(mail: Option<MailSettings>) -> DispatchConfig {
    DispatchConfig {
        mail,
        allow_private_webhooks: true,
        timeout: Duration::from_secs(5),
        ..DispatchConfig::default()
    }
}

fn mail(url: &str, ca: Option<&Path>) -> MailSettings {
    MailSettings::build(
        url,
        "Roundtable <roundtable@acme.test>",
        &SmtpOptions {
            extra_roots_pem: ca.map(|path| std::fs::read(path).unwrap()),
            ..SmtpOptions::default()
        },
    )
    .unwrap_or_else(|error| panic!("{error}"))
}

/// `(state, last_error)` of every email delivery, newest first.
async fn email_log(store: &Store) -> Vec<(String, Option<String>, i64)> {
    let organization = store.list_organizations().await.unwrap()[0].id;
    store
        .scoped(organization)
        .mail_log(PageRequest::first(50))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|record| (record.state, record.last_error, record.attempts))
        .collect()
}

async fn wait_for_message(maildir: &Path, recipient: &str) -> String {
    for _ in 0..100 {
        if let Some(message) = messages_to(maildir, recipient).pop() {
            return message;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no message to {recipient} arrived in {}", maildir.display());
}

#[tokio::test]
async fn mail_arrives_through_starttls_with_the_right_password() {
    let server = secure_smtp();
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let recipient = unique("starttls");
    one_email_due(&store, &recipient, None).await;
    let url = format!(
        "smtp://{}:{}@{}?tls=required",
        server.user, server.password, server.starttls
    );
    let config = config_with(Some(mail(&url, Some(&server.ca))));
    assert!(!format!("{config:?}").contains(&server.password));
    assert_eq!(
        dispatch_once(&store, &config, &reqwest::Client::new())
            .await
            .unwrap(),
        1
    );
    assert_eq!(email_log(&store).await, vec![("sent".to_owned(), None, 1)]);
    let message = wait_for_message(&server.maildir, &recipient).await;
    assert!(message.contains("Content-Type: text/plain"), "{message}");
    assert!(message.contains("Content-Type: text/html"), "{message}");
    // The recipient's name is in the header, the HTML escaped by askama.
    assert!(
        message.contains("X-MailFrom: roundtable@acme.test"),
        "{message}"
    );
    assert!(message.contains("UTC"), "{message}");
}

#[tokio::test]
async fn mail_arrives_through_implicit_tls() {
    let server = secure_smtp();
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let recipient = unique("smtps");
    one_email_due(&store, &recipient, None).await;
    let url = format!(
        "smtps://{}:{}@{}",
        server.user, server.password, server.smtps
    );
    let config = config_with(Some(mail(&url, Some(&server.ca))));
    dispatch_once(&store, &config, &reqwest::Client::new())
        .await
        .unwrap();
    assert_eq!(email_log(&store).await, vec![("sent".to_owned(), None, 1)]);
    wait_for_message(&server.maildir, &recipient).await;
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_error_in_the_delivery_log() {
    let server = secure_smtp();
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let recipient = unique("wrong-password");
    one_email_due(&store, &recipient, None).await;
    let url = format!(
        "smtp://{}:not-the-password@{}?tls=required",
        server.user, server.starttls
    );
    let config = config_with(Some(mail(&url, Some(&server.ca))));
    dispatch_once(&store, &config, &reqwest::Client::new())
        .await
        .unwrap();
    let log = email_log(&store).await;
    let (state, error, _) = &log[0];
    assert_eq!(state, "pending", "retried later: {log:?}");
    let error = error.as_deref().unwrap_or_default();
    assert!(error.starts_with("authentication failed"), "{error}");
    assert!(error.contains("535"), "the server's reply: {error}");
    assert!(
        error.contains("Authentication credentials invalid"),
        "the server's text: {error}"
    );
    assert!(!error.contains("not-the-password"), "{error}");
    assert!(messages_to(&server.maildir, &recipient).is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_certificate_error_in_the_delivery_log() {
    let server = secure_smtp();
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let recipient = unique("untrusted");
    one_email_due(&store, &recipient, None).await;
    // The system's roots only: the test CA is not among them.
    let url = format!(
        "smtp://{}:{}@{}?tls=required",
        server.user, server.password, server.starttls
    );
    let config = config_with(Some(mail(&url, None)));
    dispatch_once(&store, &config, &reqwest::Client::new())
        .await
        .unwrap();
    let log = email_log(&store).await;
    let error = log[0].1.as_deref().unwrap_or_default();
    assert!(error.starts_with("TLS failed"), "{error}");
    assert!(error.contains("certificate"), "{error}");
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(messages_to(&server.maildir, &recipient).is_empty());
}

#[tokio::test]
async fn a_refused_connection_says_so() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    one_email_due(&store, &unique("refused"), None).await;
    // A port nobody listens on: free now, and below the range the system
    // hands out for port 0 (32768 and up on Linux), so no other test's
    // server is given it meanwhile.
    let port = (0..200)
        .map(|_| {
            use std::hash::{BuildHasher, Hasher};
            let random = std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish();
            20_000 + (random % 12_000) as u16
        })
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .unwrap_or_else(|| panic!("no free loopback port between 20000 and 32000"));
    let config = config_with(Some(mail(&format!("smtp://127.0.0.1:{port}"), None)));
    dispatch_once(&store, &config, &reqwest::Client::new())
        .await
        .unwrap();
    let log = email_log(&store).await;
    let error = log[0].1.as_deref().unwrap_or_default();
    assert!(error.contains("refused"), "{error}");
}

#[tokio::test]
async fn without_a_relay_email_is_recorded_once_as_not_sent() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    one_email_due(&store, &unique("off"), None).await;
    let config = config_with(None);
    let client = reqwest::Client::new();
    assert_eq!(dispatch_once(&store, &config, &client).await.unwrap(), 1);
    assert_eq!(dispatch_once(&store, &config, &client).await.unwrap(), 0);
    assert_eq!(
        email_log(&store).await,
        vec![("failed".to_owned(), Some(NOT_SENT.to_owned()), 1)]
    );
}

/// A receiver that accepts connections and never answers.
async fn silent_receiver() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

#[tokio::test]
async fn a_webhook_that_never_answers_does_not_delay_an_email_of_the_same_round() {
    let server = secure_smtp();
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let (hook, receiver) = silent_receiver().await;
    let recipient = unique("not-delayed");
    one_email_due(&store, &recipient, Some(&hook)).await;
    let url = format!(
        "smtp://{}:{}@{}?tls=required",
        server.user, server.password, server.starttls
    );
    let config = config_with(Some(mail(&url, Some(&server.ca))));
    let round = {
        let store = store.clone();
        let config = config.clone();
        tokio::spawn(async move {
            dispatch_once(&store, &config, &reqwest::Client::new())
                .await
                .unwrap()
        })
    };
    wait_for_message(&server.maildir, &recipient).await;
    // The email is in the mailbox while the webhook call still waits for its
    // answer: the round is not over, the webhook delivery not recorded.
    assert!(
        !round.is_finished(),
        "the round ended before the email came"
    );
    let counts = store.delivery_counts().await.unwrap();
    assert!(
        counts.contains(&("webhook".to_owned(), "pending".to_owned(), 1)),
        "{counts:?}"
    );
    assert_eq!(round.await.unwrap(), 2);
    let counts = store.delivery_counts().await.unwrap();
    assert!(
        counts.contains(&("email".to_owned(), "sent".to_owned(), 1)),
        "{counts:?}"
    );
    let organization = store.list_organizations().await.unwrap()[0].id;
    let webhook = store.scoped(organization).webhooks().await.unwrap()[0].id;
    let log = store
        .scoped(organization)
        .webhook_deliveries(webhook, PageRequest::first(10))
        .await
        .unwrap();
    let error = log.items[0].last_error.as_deref().unwrap_or_default();
    assert!(error.starts_with("timed out"), "{error}");
    receiver.abort();
}
