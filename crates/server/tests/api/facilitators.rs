//! The round table's facilitator rotates (PRODUCT.md: "it rotates: the round
//! table has no head"): a session without a named facilitator gets the
//! active lead of the organization who facilitated longest ago, or never
//! (the earliest-added first). Kept apart from round_table.rs.

use crate::support::{TestApp, expect_status, version_of};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

async fn session(app: &TestApp, scheduled_at: &str, facilitator: Option<i64>) -> i64 {
    let mut body = json!({ "scheduled_at": scheduled_at, "topic_ids": [] });
    if let Some(person) = facilitator {
        body["facilitator_person_id"] = json!(person);
    }
    let created = app.create(&app.admin, "/api/v1/sessions", &body).await;
    created["facilitator_person_id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_facilitator_rotates_through_the_active_leads() {
    let app = TestApp::spawn().await;
    // Leads in the order added: app.lead, second, gone (deactivated), third.
    // The administrator and the member were added before any of them, and
    // never facilitate: only leads rotate.
    let first = app.lead.id.0;
    let second = app.add_user("second.lead@acme.test", Role::Lead).await.id.0;
    let gone = app.add_user("gone.lead@acme.test", Role::Lead).await.id.0;
    let third = app.add_user("third.lead@acme.test", Role::Lead).await.id.0;
    app.add_user("executive@acme.test", Role::Executive).await;
    // Another organization's lead, who never facilitated: never ours.
    app.add_user_to(
        app.outsider.organization,
        "lead@globex.test",
        Role::Lead,
        None,
    )
    .await;
    let path = format!("/api/v1/people/{gone}");
    let person: Value = app.read(&app.admin, &path).await;
    expect_status(
        app.patch(
            &app.admin,
            &path,
            version_of(&person),
            &json!({ "active": false }),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // Everyone new first, in the order added, skipping the deactivated lead.
    assert_eq!(session(&app, "2027-01-06T14:00:00Z", None).await, first);
    assert_eq!(session(&app, "2027-01-13T14:00:00Z", None).await, second);
    assert_eq!(session(&app, "2027-01-20T14:00:00Z", None).await, third);
    // Then whoever facilitated longest ago.
    assert_eq!(session(&app, "2027-01-27T14:00:00Z", None).await, first);
    // A facilitator named by hand counts as having facilitated then.
    assert_eq!(
        session(&app, "2027-02-03T14:00:00Z", Some(third)).await,
        third
    );
    assert_eq!(
        session(&app, "2027-02-10T14:00:00Z", None).await,
        second,
        "first facilitated on 27 January, third on 3 February, second on 13 January"
    );
    assert_eq!(session(&app, "2027-02-17T14:00:00Z", None).await, first);

    let listed = app.read(&app.lead, "/api/v1/sessions").await;
    let mut facilitators: Vec<(String, i64)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| {
            (
                session["scheduled_at"].as_str().unwrap().to_owned(),
                session["facilitator_person_id"].as_i64().unwrap(),
            )
        })
        .collect();
    facilitators.sort();
    let rotation: Vec<i64> = facilitators.iter().map(|(_, person)| *person).collect();
    assert_eq!(
        rotation,
        [first, second, third, first, third, second, first],
        "as stored"
    );
}
