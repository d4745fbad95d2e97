//! The outbox survives a server killed with `kill -9` in the middle of
//! dispatching: after a restart every pending notification is delivered,
//! none is lost, and at most the calls in flight at the kill are repeated
//! (webhook calls run concurrently, 8 at a time by default).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use jiff::Timestamp;
use roundtable_domain::ids::PersonId;
use roundtable_domain::people::Role;
use roundtable_store::notifications::Notice;
use roundtable_testkit::TestDatabase;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Calls = Arc<Mutex<Vec<String>>>;

async fn receive(State(calls): State<Calls>, headers: HeaderMap) -> &'static str {
    // Slow enough that a kill lands in the middle of the work.
    tokio::time::sleep(Duration::from_millis(15)).await;
    if let Some(id) = headers
        .get("x-roundtable-delivery")
        .and_then(|value| value.to_str().ok())
    {
        calls.lock().unwrap().push(id.to_owned());
    }
    "ok"
}

/// The server, with claims that expire after 2 s and webhooks to 127.0.0.1 allowed.
fn start_server(database: &TestDatabase) -> Child {
    let environment = [
        ("ROUNDTABLE_DISPATCH_LEASE_SECONDS", "2"),
        // The receiver listens on 127.0.0.1.
        ("ROUNDTABLE_ALLOW_PRIVATE_WEBHOOKS", "true"),
    ];
    common::start_server(database, &environment).0
}

fn distinct(calls: &Calls) -> (usize, usize) {
    let mut ids = calls.lock().unwrap().clone();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    (total, ids.len())
}

#[tokio::test]
async fn a_server_killed_mid_dispatch_loses_nothing_after_a_restart() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let organization = roundtable_testkit::acme(&store).await;
    let scoped = store.scoped(organization.id);
    let lead = scoped
        .create_person(roundtable_testkit::person(
            "lead@acme.test",
            "Lead",
            Role::Lead,
        ))
        .await
        .unwrap();

    let calls: Calls = Arc::default();
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    scoped
        .create_webhook(
            format!("http://{address}/hook"),
            "secret".to_owned(),
            vec![],
        )
        .await
        .unwrap();

    // 300 pending notifications, each with a webhook delivery.
    let events = 300;
    for week in 0..events {
        let notice = Notice {
            recipient: PersonId(lead.id.0),
            kind: "weekly_digest",
            subject_kind: "department",
            subject_id: None,
            title: format!("Digest {week}"),
            body: String::new(),
            link: "/".to_owned(),
        };
        assert!(
            scoped
                .send_digest(format!("test-{week}"), notice, Timestamp::now())
                .await
                .unwrap()
        );
    }

    let mut first = start_server(&database);
    let started = Instant::now();
    while distinct(&calls).1 < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first server delivers"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL: no graceful anything.
    first.wait().unwrap();
    let (_, at_kill) = distinct(&calls);
    assert!(
        at_kill < events,
        "killed in the middle ({at_kill} of {events} delivered)"
    );

    let mut second = start_server(&database);
    let restarted = Instant::now();
    while distinct(&calls).1 < events {
        assert!(
            restarted.elapsed() < Duration::from_secs(90),
            "the restarted server delivers the rest: {:?}",
            distinct(&calls)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate, if any, the time to show up.
    tokio::time::sleep(Duration::from_secs(1)).await;
    second.kill().unwrap();
    second.wait().unwrap();
    let (total, unique) = distinct(&calls);
    assert_eq!(unique, events, "none lost");
    assert!(
        total - unique <= 8,
        "at most the calls in flight at the kill (8 webhook slots) repeat: {total} calls for {unique}"
    );
    let counts = store.delivery_counts().await.unwrap();
    assert!(
        counts.contains(&("webhook".to_owned(), "sent".to_owned(), events as i64)),
        "{counts:?}"
    );
}
