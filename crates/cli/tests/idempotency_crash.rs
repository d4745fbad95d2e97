//! `Idempotency-Key` survives a server killed with `kill -9` in the middle of
//! creates: after a restart, retrying every key either replays the first
//! answer or creates the record then, exactly once. No key answers "still
//! being processed" for good, and none makes a duplicate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::start_server;

use roundtable_domain::credentials::{TokenKind, TokenScopes, issue_token};
use roundtable_domain::people::Role;
use roundtable_store::PageRequest;
use roundtable_testkit::TestDatabase;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// What a create answered: status and, on success, the kudos id.
type Answer = (u16, Option<i64>, String);

async fn give(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    key: usize,
    receiver: i64,
) -> Option<Answer> {
    let response = client
        .post(format!("{address}/api/v1/kudos"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("crash-{key}"))
        .json(&serde_json::json!({
            "receiver_person_id": receiver,
            "message": format!("Thanks, number {key}"),
        }))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let body = response.text().await.ok()?;
    let id = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value["id"].as_i64());
    Some((status, id, body))
}

#[tokio::test]
async fn a_server_killed_mid_create_neither_loses_nor_doubles_a_keyed_create() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let organization = roundtable_testkit::acme(&store).await;
    let scoped = store.scoped(organization.id);
    let mut people = Vec::new();
    for (email, role) in [
        ("giver@acme.test", Role::Member),
        ("lead@acme.test", Role::Lead),
    ] {
        people.push(
            scoped
                .create_person(roundtable_testkit::person(email, email, role))
                .await
                .unwrap(),
        );
    }
    let token = issue_token(TokenKind::Api);
    scoped
        .create_api_token(
            people[0].id,
            "crash test".to_owned(),
            token.digest.clone(),
            None,
            TokenScopes::ALL,
        )
        .await
        .unwrap();
    let token = Arc::new(token.secret.expose().to_owned());
    let receiver = people[1].id.0;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    // Creates with keys, 48 at a time, until the server is killed; again on
    // a restarted server with new keys until at least one kill fell between
    // a create's commit and its answer, the window that loses answers.
    let per_round = 600;
    let gate = Arc::new(Semaphore::new(48));
    let mut before_kill = BTreeMap::<usize, Answer>::new();
    let mut keys = 0;
    let mut committed_unanswered = 0;
    for round in 0..6 {
        let (mut server, address) = start_server(&database, &[]);
        let answered = Arc::new(std::sync::Mutex::new(BTreeMap::<usize, Answer>::new()));
        let mut sending = Vec::new();
        for key in keys..keys + per_round {
            let (client, address, token, answered, gate) = (
                client.clone(),
                address.clone(),
                token.clone(),
                answered.clone(),
                gate.clone(),
            );
            sending.push(tokio::spawn(async move {
                let _turn = gate.acquire().await.unwrap();
                if let Some(answer) = give(&client, &address, &token, key, receiver).await {
                    answered.lock().unwrap().insert(key, answer);
                }
            }));
        }
        let started = Instant::now();
        while answered.lock().unwrap().len() < 80 + 40 * round {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the server answers"
            );
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        server.kill().unwrap(); // SIGKILL: no graceful anything.
        server.wait().unwrap();
        for task in sending {
            task.await.unwrap();
        }
        let answered = answered.lock().unwrap().clone();
        assert!(
            answered.len() < per_round,
            "killed in the middle ({} of {per_round} answered)",
            answered.len()
        );
        for (key, (status, _, body)) in &answered {
            assert_eq!(*status, 201, "key {key} before the kill: {body}");
        }
        let stored_keys: BTreeSet<usize> = stored_kudos(&scoped).await.into_values().collect();
        committed_unanswered += (keys..keys + per_round)
            .filter(|key| stored_keys.contains(key) && !answered.contains_key(key))
            .count();
        before_kill.extend(answered);
        keys += per_round;
        if committed_unanswered > 0 {
            break;
        }
    }
    assert!(
        committed_unanswered > 0,
        "no kill in six fell between a commit and its answer: the test did not reach the window it guards"
    );

    // Retry every key on a restarted server, twice: the second retry must
    // say what the first did.
    let (mut second, address) = start_server(&database, &[]);
    let mut retries = Vec::new();
    for key in 0..keys {
        let (client, address, token, gate) =
            (client.clone(), address.clone(), token.clone(), gate.clone());
        retries.push(tokio::spawn(async move {
            let _turn = gate.acquire().await.unwrap();
            let once = give(&client, &address, &token, key, receiver).await;
            let twice = give(&client, &address, &token, key, receiver).await;
            (key, once, twice)
        }));
    }
    let mut ids = BTreeSet::new();
    for retry in retries {
        let (key, once, twice) = retry.await.unwrap();
        let (status, id, body) = once.unwrap_or_else(|| panic!("key {key}: no answer on retry"));
        assert_eq!(status, 201, "key {key} on retry: {body}");
        let id = id.unwrap();
        if let Some((_, first_id, _)) = before_kill.get(&key) {
            assert_eq!(
                *first_id,
                Some(id),
                "key {key}: the retry replays the first answer"
            );
        }
        let (status, again, body) = twice.unwrap();
        assert_eq!((status, again), (201, Some(id)), "key {key} twice: {body}");
        assert!(ids.insert(id), "key {key}: id {id} answered for two keys");
    }
    second.kill().unwrap();
    second.wait().unwrap();

    // Exactly one kudos per key: none lost, none doubled.
    let stored = stored_kudos(&scoped).await;
    assert_eq!(stored.len(), keys, "one kudos per key");
    assert_eq!(stored.keys().copied().collect::<BTreeSet<_>>(), ids);
    assert_eq!(
        stored.values().copied().collect::<BTreeSet<_>>().len(),
        keys,
        "each key's message is stored once"
    );
}

/// Every stored kudos: its id and the key its message names.
async fn stored_kudos(scoped: &roundtable_store::Scoped<'_>) -> BTreeMap<i64, usize> {
    let mut stored = BTreeMap::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = scoped.kudos_feed(None, page).await.unwrap();
        for kudos in &listing.items {
            let key = kudos
                .message
                .strip_prefix("Thanks, number ")
                .and_then(|number| number.parse().ok())
                .unwrap_or_else(|| panic!("an unexpected kudos {:?}", kudos.message));
            stored.insert(kudos.id, key);
        }
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    stored
}
