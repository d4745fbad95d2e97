//! Clock escalation against a real database: at risk and breached clocks are
//! escalated exactly once, even with workers racing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::{SignedDuration, Timestamp};
use roundtable_domain::calendar::{CalendarDefinition, WEEKDAYS, WeeklySchedule, WorkingInterval};
use roundtable_domain::people::Role;
use roundtable_domain::services::{Priority, Targets};
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_store::calendars::NewCalendar;
use roundtable_store::departments::NewDepartment;
use roundtable_store::people::NewPerson;
use roundtable_store::requests::NewRequest;
use roundtable_testkit::TestDatabase;

#[tokio::test]
async fn clocks_are_escalated_exactly_once_with_racing_workers() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let organization = store
        .create_organization(Slug::parse("acme").unwrap(), Label::parse("Acme").unwrap())
        .await
        .unwrap();
    let scoped = store.scoped(organization.id);
    let always = WeeklySchedule::new(
        WEEKDAYS.map(|(day, _)| (day, vec![WorkingInterval::parse("00:00", "24:00").unwrap()])),
    )
    .unwrap();
    let calendar = scoped
        .create_calendar(NewCalendar {
            name: Label::parse("Always").unwrap(),
            definition: CalendarDefinition::new("UTC", always, vec![]).unwrap(),
        })
        .await
        .unwrap();
    // The requester's department is the consumer side of the matrix cell,
    // so the escalations below show in the health rollup.
    let sales = scoped
        .create_department(NewDepartment {
            slug: Slug::parse("sales").unwrap(),
            name: Label::parse("Sales").unwrap(),
            parent_id: None,
            calendar_id: None,
            customer_facing: false,
            lead_ids: vec![],
        })
        .await
        .unwrap();
    let requester = scoped
        .create_person(NewPerson {
            email: Email::parse("asker@acme.test").unwrap(),
            name: Label::parse("Asker").unwrap(),
            title: None,
            department_id: Some(sales.id),
            role: Role::Member,
            password_hash: None,
        })
        .await
        .unwrap();
    let provider = scoped
        .create_department(NewDepartment {
            slug: Slug::parse("ops").unwrap(),
            name: Label::parse("Ops").unwrap(),
            parent_id: None,
            calendar_id: Some(calendar.id),
            customer_facing: false,
            lead_ids: vec![requester.id],
        })
        .await
        .unwrap();
    let now = Timestamp::now();
    let raise = |title: &str| NewRequest {
        service_id: None,
        provider_department_id: provider.id,
        requester_person_id: requester.id,
        title: title.to_owned(),
        description: String::new(),
        intake_values: "{}".to_owned(),
        priority: Priority::Normal,
        external_impact: "none".to_owned(),
        external_reference: None,
        segment_id: None,
        targets: Targets::new(100, 100).unwrap(),
    };
    // 120 of 100 minutes: both clocks breached. 80 of 100: both at risk. 10: fine.
    let breached = scoped
        .create_request(raise("late"), now - SignedDuration::from_mins(120))
        .await
        .unwrap();
    let at_risk = scoped
        .create_request(raise("close"), now - SignedDuration::from_mins(80))
        .await
        .unwrap();
    let fine = scoped
        .create_request(raise("fresh"), now - SignedDuration::from_mins(10))
        .await
        .unwrap();

    for created in [&breached, &at_risk, &fine] {
        assert_eq!(
            &scoped.request(created.id).await.unwrap(),
            created,
            "the request a create returns is the one stored"
        );
    }

    // The sweep reads open work a page at a time, in id order.
    let ids = |page: Vec<roundtable_store::requests::Request>| {
        page.iter().map(|request| request.id).collect::<Vec<_>>()
    };
    let first_page = ids(scoped.unsettled_requests_after(0, 2).await.unwrap());
    assert_eq!(first_page, vec![breached.id, at_risk.id]);
    let second_page = ids(scoped
        .unsettled_requests_after(at_risk.id, 2)
        .await
        .unwrap());
    assert_eq!(second_page, vec![fine.id]);
    assert!(
        scoped
            .unsettled_requests_after(fine.id, 2)
            .await
            .unwrap()
            .is_empty()
    );

    let rollup_before = scoped.health_rollup().await.unwrap();
    let queue_before = scoped.open_requests_of(provider.id).await.unwrap();
    let racing = four_racing_workers(&store, now).await;
    assert!(
        std::sync::Arc::ptr_eq(
            &queue_before,
            &scoped.open_requests_of(provider.id).await.unwrap()
        ),
        "escalating changes no request: the cached queue stays"
    );
    assert_eq!(
        racing, 4,
        "two clocks of each of two requests, once in total across racing workers"
    );
    // Both clocks of the late request breached and were escalated: the
    // sweep has nothing more to do for it and no longer reads it.
    assert_eq!(
        ids(scoped.unsettled_requests_after(0, 10).await.unwrap()),
        vec![at_risk.id, fine.id]
    );
    let generation = store.write_generation();
    let background = store.background_generation();
    assert_eq!(
        roundtable_worker::escalate_clocks(&store, now)
            .await
            .unwrap(),
        0,
        "never twice"
    );
    assert_eq!(
        (store.write_generation(), store.background_generation()),
        (generation, background),
        "a sweep that finds nothing new writes nothing, so cached views stay"
    );

    // The escalations told the lead: delivering that mail and signing the
    // lead in are bookkeeping, which no cached view reads.
    let claimed = store
        .claim_deliveries("test", now, SignedDuration::from_mins(1), 100)
        .await
        .unwrap();
    assert!(!claimed.is_empty());
    scoped
        .create_session(
            requester.id,
            "digest".to_owned(),
            now + SignedDuration::from_hours(1),
        )
        .await
        .unwrap();
    assert_eq!(store.write_generation(), generation);

    let kinds = |events: Vec<roundtable_store::requests::RequestEvent>| {
        events
            .into_iter()
            .filter(|event| event.kind == "escalated")
            .map(|event| event.after)
            .collect::<Vec<_>>()
    };
    let late = kinds(scoped.request_events(breached.id, true).await.unwrap());
    assert_eq!(late.len(), 2);
    assert!(
        late.iter()
            .all(|after| after.contains("\"level\":\"breached\"")
                && after.contains(&format!("\"notify_person_id\":{}", requester.id)))
    );
    let close = kinds(scoped.request_events(at_risk.id, true).await.unwrap());
    assert_eq!(close.len(), 2);
    assert!(
        close
            .iter()
            .all(|after| after.contains("\"level\":\"at_risk\""))
    );
    assert!(kinds(scoped.request_events(fine.id, true).await.unwrap()).is_empty());

    // Later the at-risk request breaches: that is a new escalation, once.
    let later = now + SignedDuration::from_mins(30);
    assert_eq!(
        roundtable_worker::escalate_clocks(&store, later)
            .await
            .unwrap(),
        2
    );
    assert!(
        store.background_generation() > background,
        "an escalation changes health, so cached views are refreshed"
    );
    assert_eq!(
        store.write_generation(),
        generation,
        "behind their readers: nobody waits to see the sweep's writes"
    );

    // A breached first response counts as a miss in health from its
    // escalation on: the rollup kept by the batched sweeps moved, and it
    // equals the one rebuilt from the rows.
    let kept = scoped.health_rollup().await.unwrap();
    assert_ne!(kept, rollup_before);
    scoped.rebuild_health_rollup().await.unwrap();
    assert_eq!(scoped.health_rollup().await.unwrap(), kept);
    assert_eq!(
        roundtable_worker::escalate_clocks(&store, later)
            .await
            .unwrap(),
        0
    );
}

/// Four workers at once, as four server instances would.
async fn four_racing_workers(store: &roundtable_store::Store, now: Timestamp) -> u64 {
    let (a, b, c, d) = tokio::join!(
        roundtable_worker::escalate_clocks(store, now),
        roundtable_worker::escalate_clocks(store, now),
        roundtable_worker::escalate_clocks(store, now),
        roundtable_worker::escalate_clocks(store, now),
    );
    a.unwrap() + b.unwrap() + c.unwrap() + d.unwrap()
}
