//! The weekly digest against a real database: once per lead and week, even
//! with two instances running the job at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use roundtable_domain::people::Role;
use roundtable_store::PageRequest;
use roundtable_testkit::TestDatabase;
use roundtable_worker::digest::send_weekly_digests;

#[tokio::test]
async fn each_lead_gets_one_digest_a_week_however_many_instances_run() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let other_instance = database.store().await;
    let organization = roundtable_testkit::acme(&store).await;
    let scoped = store.scoped(organization.id);
    let mut leads = Vec::new();
    for name in ["one", "two"] {
        leads.push(
            scoped
                .create_person(roundtable_testkit::person(
                    &format!("{name}@acme.test"),
                    name,
                    Role::Lead,
                ))
                .await
                .unwrap()
                .id,
        );
    }
    scoped
        .create_department(roundtable_testkit::department("ops", "Ops", leads.clone()))
        .await
        .unwrap();
    let monday: Timestamp = "2026-11-23T08:00:00Z".parse().unwrap();
    let (first, second) = tokio::join!(
        send_weekly_digests(&store, monday),
        send_weekly_digests(&other_instance, monday)
    );
    assert_eq!(
        first.unwrap() + second.unwrap(),
        2,
        "one digest for each of the two leads"
    );
    assert_eq!(
        send_weekly_digests(&store, "2026-11-27T08:00:00Z".parse().unwrap())
            .await
            .unwrap(),
        0,
        "not twice in a week"
    );
    assert_eq!(
        send_weekly_digests(&store, "2026-11-30T08:00:00Z".parse().unwrap())
            .await
            .unwrap(),
        2,
        "again next week"
    );
    for lead in leads {
        let inbox = scoped
            .notifications_of(lead, false, PageRequest::first(10))
            .await
            .unwrap()
            .items;
        assert_eq!(inbox.len(), 2);
        assert!(
            inbox
                .iter()
                .all(|notification| notification.kind == "weekly_digest")
        );
        assert!(inbox[0].title.contains("2026-W49"));
        assert!(
            inbox[0].body.contains("No relationship"),
            "{}",
            inbox[0].body
        );
    }
}
