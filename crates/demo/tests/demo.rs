#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{default_demo, demo_scope};

use jiff::Timestamp;
use roundtable_domain::clocks::ClockState;
use roundtable_domain::clocks::ExternalImpact;
use roundtable_domain::credentials::verify_password;
use roundtable_domain::people::Role;
use roundtable_domain::requests::Status;
use roundtable_store::people::PeopleFilter;
use roundtable_store::requests::{ClockContext, Request};
use roundtable_store::{PageRequest, Store};
use roundtable_testkit::{TestDatabase, all_requests};
use std::collections::HashSet;
use std::time::Instant;

/// The fulfilment clock of a request, read the way the API reads it.
/// The fulfilment clock's state, read as the API reads it.
fn fulfilment_clock(request: &Request, context: &ClockContext, now: Timestamp) -> ClockState {
    request
        .clocks(context, now)
        .expect("every demo department has a calendar")
        .1
        .state
}

async fn people_and_departments(store: &Store) -> (Vec<(String, String, String)>, Vec<String>) {
    let organization = store
        .find_organization_by_slug("demo")
        .await
        .unwrap()
        .unwrap();
    let scoped = store.scoped(organization.id);
    let people = scoped
        .list_people(PeopleFilter::default(), PageRequest::first(200))
        .await
        .unwrap()
        .items;
    let departments = scoped
        .list_departments(PageRequest::first(200))
        .await
        .unwrap()
        .items;
    (
        people
            .into_iter()
            .map(|person| (person.email, person.name, person.role.to_string()))
            .collect(),
        departments
            .into_iter()
            .map(|department| department.slug)
            .collect(),
    )
}

#[tokio::test]
async fn the_demo_is_a_realistic_organization_and_the_same_for_the_same_seed() {
    let first = TestDatabase::create().await;
    let second = TestDatabase::create().await;
    let (store_a, store_b) = (first.store().await, second.store().await);
    let started = Instant::now();
    let summary = roundtable_demo::generate(&store_a, 7).await.unwrap();
    eprintln!("generating the demo took {:?}", started.elapsed());
    roundtable_demo::generate(&store_b, 7).await.unwrap();

    assert!(
        summary.departments >= 6 && summary.people >= 40 && summary.calendars >= 2,
        "{summary:?}"
    );
    let (people, departments) = people_and_departments(&store_a).await;
    assert_eq!(
        people_and_departments(&store_b).await,
        (people.clone(), departments.clone())
    );

    let emails: HashSet<&str> = people.iter().map(|(email, _, _)| email.as_str()).collect();
    assert_eq!(emails.len(), people.len(), "emails are unique");
    assert!(emails.contains(roundtable_demo::ADMIN_EMAIL));
    for role in Role::ALL {
        assert!(
            people
                .iter()
                .any(|(_, _, person_role)| person_role == role.as_str()),
            "someone is {role}"
        );
    }

    let organization = store_a
        .find_organization_by_slug("demo")
        .await
        .unwrap()
        .unwrap();
    let scoped = store_a.scoped(organization.id);
    let calendars = scoped
        .list_calendars(PageRequest::first(50))
        .await
        .unwrap()
        .items;
    let zones: HashSet<&str> = calendars
        .iter()
        .map(|calendar| calendar.definition.time_zone_name())
        .collect();
    assert!(zones.len() >= 2, "{zones:?}");
    assert!(
        calendars
            .iter()
            .all(|calendar| !calendar.definition.holidays().is_empty())
    );
    assert_eq!(organization.default_calendar_id, Some(calendars[0].id));
    for department in scoped
        .list_departments(PageRequest::first(50))
        .await
        .unwrap()
        .items
    {
        assert!(
            !department.lead_ids.is_empty(),
            "{} has a lead",
            department.slug
        );
    }

    let admin = store_a
        .login_candidates(roundtable_demo::ADMIN_EMAIL, Some("demo"))
        .await
        .unwrap();
    assert!(verify_password(
        roundtable_demo::PASSWORD,
        admin[0].password_hash.as_deref().unwrap()
    ));

    let titles = |requests: &[Request]| -> Vec<(String, &'static str, i64)> {
        requests
            .iter()
            .map(|request| {
                (
                    request.title.clone(),
                    request.priority.as_str(),
                    request.requester_person_id.0,
                )
            })
            .collect()
    };
    let requests = all_requests(&demo_scope(&store_a).await).await;
    assert_eq!(
        titles(&all_requests(&demo_scope(&store_b).await).await),
        titles(&requests),
        "the same seed gives the same requests"
    );

    let other_seed = TestDatabase::create().await;
    let store_c = other_seed.store().await;
    roundtable_demo::generate(&store_c, 8).await.unwrap();
    assert_ne!(
        people_and_departments(&store_c).await.0,
        people,
        "another seed, other people"
    );
    assert!(matches!(
        roundtable_demo::generate(&store_a, 7).await,
        Err(roundtable_demo::DemoError::AlreadyExists)
    ));
}

#[tokio::test]
async fn the_demo_has_ninety_days_of_requests_and_open_work_in_every_state() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let summary = roundtable_demo::generate(&store, roundtable_demo::DEFAULT_SEED)
        .await
        .unwrap();
    let now = Timestamp::now();
    let scoped = demo_scope(&store).await;
    let requests = all_requests(&scoped).await;
    assert!(requests.len() >= 300, "{} requests", requests.len());
    assert_eq!(summary.requests, requests.len());
    let open: Vec<&Request> = requests
        .iter()
        .filter(|request| request.status.is_open())
        .collect();
    assert_eq!(summary.open_requests, open.len());
    for status in Status::ALL {
        assert!(
            requests.iter().any(|request| request.status == status),
            "some request is {}",
            status.as_str()
        );
    }
    let providers: HashSet<_> = open
        .iter()
        .map(|request| request.provider_department_id)
        .collect();
    assert!(providers.len() >= 3, "open work at {providers:?}");

    let oldest = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * 92))
        .unwrap();
    for request in &requests {
        assert!(
            request.created_at > oldest && request.created_at < now,
            "{} raised {}",
            request.title,
            request.created_at
        );
        let handed_over = request
            .periods
            .iter()
            .any(|period| period.department_id != request.provider_department_id);
        assert!(
            request.service_id.is_some() || handed_over,
            "{}",
            request.title
        );
        assert!(
            request.intake_values.starts_with('{') && request.intake_values.ends_with('}'),
            "{}",
            request.intake_values
        );
    }

    let calendars = scoped.clock_context().await.unwrap();
    let open_states: Vec<ClockState> = open
        .iter()
        .map(|request| fulfilment_clock(request, &calendars, now))
        .collect();
    for state in [
        ClockState::Breached,
        ClockState::AtRisk,
        ClockState::Running,
        ClockState::Paused,
    ] {
        assert!(
            open_states.contains(&state),
            "an open request's fulfilment clock is {} ({open_states:?})",
            state.as_str()
        );
    }
    let finished: Vec<ClockState> = requests
        .iter()
        .filter(|request| matches!(request.status, Status::Resolved | Status::Closed))
        .map(|request| fulfilment_clock(request, &calendars, now))
        .collect();
    let met = finished
        .iter()
        .filter(|state| **state == ClockState::Met)
        .count();
    let missed = finished
        .iter()
        .filter(|state| **state == ClockState::Missed)
        .count();
    assert_eq!(met + missed, finished.len());
    assert!(
        met > missed * 3 && missed > 0,
        "most met, some missed: {met} met, {missed} missed"
    );
    assert!(requests.iter().any(|request| request.external_impact
        == ExternalImpact::CustomerWaiting
        && request.external_reference.is_some()));

    // Every timeline runs forward (events of one change share its instant) and ends before now.
    let mut comments = 0;
    for request in &requests {
        let events = scoped.request_events(request.id, true).await.unwrap();
        assert_eq!(
            events.first().map(|event| event.kind.as_str()),
            Some("created")
        );
        for pair in events.windows(2) {
            assert!(
                pair[0].created_at <= pair[1].created_at,
                "{}: {:?} then {:?}",
                request.title,
                pair[0],
                pair[1]
            );
        }
        assert!(events.iter().all(|event| event.created_at <= now));
        comments += events
            .iter()
            .filter(|event| matches!(event.kind.as_str(), "commented" | "internal_note"))
            .count();
    }
    assert!(comments >= 30, "{comments} comments");
    assert!(
        requests.iter().any(|request| request.input_quality
            == Some(roundtable_domain::requests::InputQuality::Poor))
    );
}

#[tokio::test]
async fn the_demo_timelines_show_a_hand_off_a_deferral_and_a_commitment() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let scoped = default_demo(&store).await;
    let mut kinds = HashSet::new();
    let mut handed_over = None;
    for request in all_requests(&scoped).await {
        for event in scoped.request_events(request.id, true).await.unwrap() {
            if event.kind == "transferred" {
                handed_over = Some(request.clone());
            }
            kinds.insert(event.kind);
        }
    }
    for kind in [
        "transferred",
        "deferred",
        "commitment_proposed",
        "commitment_accepted",
        "reopened",
        "commented",
    ] {
        assert!(kinds.contains(kind), "some timeline shows {kind}");
    }
    let handed_over = handed_over.unwrap();
    let departments: HashSet<_> = handed_over
        .periods
        .iter()
        .map(|period| period.department_id)
        .collect();
    assert_eq!(departments.len(), 2, "time held by both departments");
    let context = scoped.clock_context().await.unwrap();
    assert!(
        handed_over.clocks(&context, Timestamp::now()).is_some(),
        "the clock reads across the hand-off"
    );

    // Feedback: answered checks, two closed pulse rounds, and a spread of health.
    let now = Timestamp::now();
    let rounds = scoped.closed_pulse_results(now).await.unwrap();
    assert_eq!(rounds.len(), 2);
    let latest = rounds.last().unwrap();
    let largest_mirror_gap = latest
        .cells
        .iter()
        .filter_map(|cell| cell.scores.as_ref()?.mirror_gap)
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        largest_mirror_gap >= 2.0,
        "one cell sees itself far better than its customers do: {largest_mirror_gap}"
    );
    assert!(
        latest.cells.iter().any(|cell| !cell.disclosed),
        "some cell has too few answers to show"
    );
    assert!(latest.cells.iter().any(|cell| {
        cell.disclosed
            && cell
                .scores
                .as_ref()
                .is_some_and(|scores| scores.importance_weighted_gap < 0.0)
    }));
    let report = scoped.relationship_health(90, now).await.unwrap();
    let scores: Vec<f64> = report
        .cells
        .values()
        .filter_map(|cell| cell.health.score)
        .collect();
    assert!(
        scores.len() >= 10,
        "most agreed cells have a health score: {}",
        scores.len()
    );
    assert!(
        scores.iter().any(|score| *score >= 85.0),
        "some cells are strong: {scores:?}"
    );
    assert!(
        scores.iter().any(|score| *score < 75.0 && *score >= 50.0),
        "some cells need watching: {scores:?}"
    );
    assert!(
        scores.iter().any(|score| *score < 50.0),
        "some cell is at risk: {scores:?}"
    );
    assert!(
        report
            .cells
            .values()
            .any(|cell| cell.health.score.is_none()),
        "some cells have insufficient data"
    );
    let answered = scoped
        .answered_checks(Timestamp::UNIX_EPOCH, now)
        .await
        .unwrap();
    assert!(
        answered.len() >= 100,
        "checks answered over the history: {}",
        answered.len()
    );
}

/// Every write of the demo's ninety days (resolves, reopens after a
/// `not_met` check, transfers, accepted commitments, breaches, answered
/// checks) kept the health rollup incrementally; it must equal the rollup
/// rebuilt from the rows with the grouped queries it replaced.
#[tokio::test]
async fn the_health_rollup_kept_by_every_write_equals_a_rebuild_from_the_rows() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let scoped = default_demo(&store).await;
    let kept = scoped.health_rollup().await.unwrap();
    assert!(kept.len() > 100, "{} cell-days in the rollup", kept.len());
    scoped.rebuild_health_rollup().await.unwrap();
    let rebuilt = scoped.health_rollup().await.unwrap();
    let differing: Vec<_> = rebuilt
        .iter()
        .filter(|(key, outcomes)| kept.get(key) != Some(outcomes))
        .chain(kept.iter().filter(|(key, _)| !rebuilt.contains_key(key)))
        .collect();
    assert!(
        differing.is_empty(),
        "rollup rows that differ: {differing:?}"
    );
    assert_eq!(kept, rebuilt);
}
