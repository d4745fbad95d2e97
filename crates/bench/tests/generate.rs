//! The benchmark's data at a tiny scale, on the run's backend: what the
//! generator writes is what the product reads (the provider's queue, the
//! matrix health from fixed clock outcomes, answered checks), and the bulk
//! path agrees with its own summary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use roundtable_bench::{Scale, generate, people_csv};
use roundtable_domain::ids::DepartmentId;
use roundtable_store::PageRequest;
use roundtable_testkit::{TestDatabase, all_requests};

fn tiny() -> Scale {
    Scale {
        departments: 6,
        people: 60,
        services: 10,
        requests: 3_000,
        answered_checks: 900,
        pulse_rounds: 2,
        pulse_respondents_per_side: 3,
        days: 60,
        seed: 7,
    }
}

#[tokio::test]
async fn a_tiny_organization_is_generated_and_reads_back_through_the_store() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let mut reported = Vec::new();
    let generated = generate(&store, &tiny(), |written| reported.push(written))
        .await
        .unwrap();
    assert_eq!(generated.requests, 3_000);
    assert_eq!(reported.last(), Some(&3_000), "progress reaches the end");

    let scoped = store.scoped(roundtable_domain::ids::OrganizationId(
        generated.organization_id,
    ));
    let departments = scoped
        .list_departments(PageRequest::first(PageRequest::MAX_LIMIT))
        .await
        .unwrap()
        .items;
    assert_eq!(departments.len(), 6);

    // Every generated request is stored; none is lost between chunks.
    let stored = all_requests(&scoped).await.len();
    assert!(
        stored > 2_900 && stored <= 3_000,
        "{stored} requests stored (a draw with no member to ask is skipped)"
    );

    // The busiest queue holds the open requests the generator counted.
    let queue = scoped
        .open_requests_of(DepartmentId(generated.queue_department_id))
        .await
        .unwrap();
    assert_eq!(queue.len(), generated.queue_open_requests);
    assert!(!queue.is_empty(), "the measured queue has work");

    // Health reads the fixed outcomes and the answered checks.
    let report = scoped
        .relationship_health(90, Timestamp::now())
        .await
        .unwrap();
    let scored = report
        .cells
        .values()
        .filter(|cell| cell.health.score.is_some())
        .count();
    assert!(scored >= 5, "{scored} cells with a health score");
    let answered = scoped
        .answered_checks(Timestamp::UNIX_EPOCH, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(answered.len(), generated.answered_checks);
    assert!(
        (600..=1_100).contains(&answered.len()),
        "about 900 answered checks: {}",
        answered.len()
    );
    // Two closed pulse rounds, answered on both sides, feed the matrix.
    let rounds = scoped.closed_pulse_results(Timestamp::now()).await.unwrap();
    assert_eq!(rounds.len(), 2);
    assert!(
        generated.pulse_responses > 2 * 10 * 3,
        "{}",
        generated.pulse_responses
    );
    assert!(
        report
            .cells
            .values()
            .any(|cell| cell.pulse_source.is_some()),
        "the matrix reads the latest closed round"
    );

    // The bulk load kept the health rollup as the workflow would have.
    let kept = scoped.health_rollup().await.unwrap();
    assert!(!kept.is_empty());
    scoped.rebuild_health_rollup().await.unwrap();
    assert_eq!(kept, scoped.health_rollup().await.unwrap());
}

#[test]
fn the_import_file_has_a_header_and_one_row_per_person() {
    let csv = people_csv(3, 2);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "email,name,title,department,role");
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("import0@bench.example,"));
    assert!(lines[2].ends_with(",Department 02,member"));
}
