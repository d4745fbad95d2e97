//! The external-impact report: requests with external impact raised through
//! the API, one deferred, one left to breach, tallied per provider department
//! and per segment; who sees which rows; the window's validation.

use crate::support::{TestApp, User, expect_status, id_of, problem_fields};
use crate::web::{Browser, is_html, text_with_status};
use reqwest::StatusCode;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_domain::services::{Priority, Targets};
use roundtable_store::requests::NewRequest;
use serde_json::{Value, json};

const REPORT: &str = "/api/v1/reports/external-impact";

/// Marketing and Operations provide on a round-the-clock calendar (business
/// time is wall time whenever the test runs); Sales asks.
struct Setup {
    marketing: i64,
    operations: i64,
    segment: i64,
    marketing_lead: User,
    seller: User,
    executive: User,
}

async fn make_lead(app: &TestApp, department: i64, email: &str) -> User {
    let lead = app.add_member_of(email, Role::Lead, department).await;
    app.set_leads(department, &[&lead]).await;
    lead
}

async fn setup(app: &TestApp) -> Setup {
    let calendar = app.always_open_calendar().await;
    let marketing = id_of(&app.department_on("Marketing", &calendar).await);
    let operations = id_of(&app.department_on("Operations", &calendar).await);
    let sales = id_of(&app.department("Sales").await);
    let segment = id_of(
        &app.create(
            &app.admin,
            "/api/v1/segments",
            &json!({ "name": "Mid-market retailers" }),
        )
        .await,
    );
    Setup {
        marketing_lead: make_lead(app, marketing, "marketing.lead@acme.test").await,
        seller: app.add_member("seller@acme.test", sales).await,
        executive: app.add_user("executive@acme.test", Role::Executive).await,
        marketing,
        operations,
        segment,
    }
}

async fn raise(app: &TestApp, setup: &Setup, body: Value) -> Value {
    app.create(&setup.seller, "/api/v1/requests", &body).await
}

/// The fulfilment minutes the request page shows for a request.
async fn waited(app: &TestApp, id: i64) -> i64 {
    let request = app
        .read(&app.admin, &format!("/api/v1/requests/{id}"))
        .await;
    request["clocks"]["fulfilment"]["elapsed_minutes"]
        .as_i64()
        .unwrap()
}

fn row<'a>(rows: &'a Value, key: &str, value: Value) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|row| row[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {rows}"))
}

#[tokio::test]
async fn the_report_follows_each_miss_to_its_department_and_segment() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let operator = app.add_member("operator@acme.test", setup.operations).await;

    // Raised 90 minutes ago with a 60-minute target: it breaches.
    let scoped = app.store.scoped(app.admin.organization);
    let late = scoped
        .create_request(
            NewRequest {
                service_id: None,
                provider_department_id: DepartmentId(setup.marketing),
                requester_person_id: setup.seller.id,
                title: "Price list for a waiting customer".to_owned(),
                description: String::new(),
                intake_values: "{}".to_owned(),
                priority: Priority::Normal,
                external_impact: roundtable_domain::clocks::ExternalImpact::CustomerWaiting,
                external_reference: Some("CRM-7".to_owned()),
                segment_id: Some(setup.segment),
                targets: Targets::new(30, 60).unwrap(),
            },
            jiff::Timestamp::now() - jiff::SignedDuration::from_mins(90),
        )
        .await
        .unwrap();
    // Affecting a customer, no segment: deferred for another customer, then resolved.
    let deferred = raise(
        &app,
        &setup,
        json!({ "provider_department_id": setup.marketing, "title": "Brochure update", "external_impact": "customer_affected" }),
    )
    .await;
    expect_status(
        app.post(
            &setup.marketing_lead,
            &format!("/api/v1/requests/{}/deferral", id_of(&deferred)),
            &json!({ "reason": "A key account's launch comes first", "new_eta": "2030-01-02T10:00:00Z" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // A customer waiting on Operations, in the segment; resolved in time.
    let operations = raise(
        &app,
        &setup,
        json!({ "provider_department_id": setup.operations, "title": "Ship the replacement",
                "external_impact": "customer_waiting", "segment_id": setup.segment }),
    )
    .await;
    // No external impact: not in the report.
    raise(
        &app,
        &setup,
        json!({ "provider_department_id": setup.marketing, "title": "Internal newsletter" }),
    )
    .await;
    for id in [late.id, id_of(&deferred)] {
        app.step(&setup.marketing_lead, id, "acknowledged").await;
        app.step(&setup.marketing_lead, id, "resolved").await;
    }
    app.step(&operator, id_of(&operations), "acknowledged")
        .await;
    app.step(&operator, id_of(&operations), "resolved").await;
    let (late_wait, deferred_wait, operations_wait) = (
        waited(&app, late.id).await,
        waited(&app, id_of(&deferred)).await,
        waited(&app, id_of(&operations)).await,
    );
    assert!(
        late_wait >= 90,
        "the late request waited {late_wait} minutes"
    );

    let report = app.read(&setup.executive, REPORT).await;
    assert_eq!(report["scope"], "organization");
    let overall = &report["overall"];
    assert_eq!(overall["requests"], 3);
    assert_eq!(overall["customer_waiting"], 2);
    assert_eq!(overall["customer_affected"], 1);
    assert_eq!(overall["breached"], 1);
    assert_eq!(overall["deferred"], 1);
    assert_eq!(overall["unmeasured"], 0);
    assert_eq!(
        overall["waited_business_minutes"],
        late_wait + deferred_wait + operations_wait
    );

    let marketing = &row(
        &report["by_department"],
        "department_id",
        json!(setup.marketing),
    )["figures"];
    assert_eq!(marketing["requests"], 2);
    assert_eq!(marketing["breached"], 1);
    assert_eq!(marketing["deferred"], 1);
    assert_eq!(
        marketing["waited_business_minutes"],
        late_wait + deferred_wait
    );
    assert_eq!(
        marketing["median_waited_business_minutes"],
        late_wait.min(deferred_wait)
    );
    let ops = &row(
        &report["by_department"],
        "department_id",
        json!(setup.operations),
    )["figures"];
    assert_eq!(ops["requests"], 1);
    assert_eq!(ops["breached"], 0);
    assert_eq!(ops["waited_business_minutes"], operations_wait);
    assert_eq!(report["by_department"].as_array().unwrap().len(), 2);

    let segment = row(&report["by_segment"], "segment_id", json!(setup.segment));
    assert_eq!(segment["segment_name"], "Mid-market retailers");
    assert_eq!(segment["figures"]["requests"], 2);
    assert_eq!(segment["figures"]["customer_waiting"], 2);
    assert_eq!(segment["figures"]["breached"], 1);
    assert_eq!(
        segment["figures"]["waited_business_minutes"],
        late_wait + operations_wait
    );
    let unnamed = row(&report["by_segment"], "segment_id", Value::Null);
    assert_eq!(unnamed["segment_name"], "No segment");
    assert_eq!(unnamed["figures"]["deferred"], 1);
    assert_eq!(unnamed["figures"]["customer_affected"], 1);
    // "No segment" comes last.
    assert_eq!(report["by_segment"][1]["segment_id"], Value::Null);

    // The export holds the same figures, a row per department and per segment.
    let export = app
        .read(
            &setup.executive,
            "/api/v1/exports/external-impact?format=json",
        )
        .await;
    let rows = export.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let exported = rows
        .iter()
        .find(|row| row["group"] == "department" && row["id"] == setup.marketing)
        .unwrap();
    assert_eq!(exported["name"], "Marketing");
    assert_eq!(exported["requests"], 2);
    assert_eq!(exported["breached"], 1);
    assert_eq!(
        exported["waited_business_minutes"],
        late_wait + deferred_wait
    );
    let unnamed = rows
        .iter()
        .find(|row| row["group"] == "segment" && row["id"].is_null())
        .unwrap();
    assert_eq!(unnamed["name"], "No segment");
    assert_eq!(unnamed["deferred"], 1);

    // The lead of Marketing sees Marketing's requests alone, in both tables.
    let led = app.read(&setup.marketing_lead, REPORT).await;
    assert_eq!(led["scope"], "departments_led");
    assert_eq!(led["overall"]["requests"], 2);
    assert_eq!(led["by_department"].as_array().unwrap().len(), 1);
    assert_eq!(led["by_department"][0]["department_id"], setup.marketing);
    let led_segment = row(&led["by_segment"], "segment_id", json!(setup.segment));
    assert_eq!(led_segment["figures"]["requests"], 1);

    // A window before any of it holds nothing.
    let past = app
        .read(
            &setup.executive,
            &format!("{REPORT}?from=2020-01-01&to=2020-12-31"),
        )
        .await;
    assert_eq!(past["overall"]["requests"], 0);
    assert_eq!(past["from"], "2020-01-01");
    assert_eq!(past["to"], "2020-12-31");
    assert!(past["by_department"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn members_are_refused_and_other_organizations_see_none_of_it() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    raise(
        &app,
        &setup,
        json!({ "provider_department_id": setup.marketing, "title": "Urgent fix", "external_impact": "customer_waiting" }),
    )
    .await;
    expect_status(app.get(&setup.seller, REPORT).await, StatusCode::FORBIDDEN).await;
    let theirs = app.read(&app.outsider, REPORT).await;
    assert_eq!(theirs["overall"]["requests"], 0);
    // A lead who leads no department has no rows.
    let lead = app.read(&app.lead, REPORT).await;
    assert_eq!(lead["overall"]["requests"], 0);
    let admin = app.read(&app.admin, REPORT).await;
    assert_eq!(admin["overall"]["requests"], 1);
}

#[tokio::test]
async fn a_bad_window_is_refused_naming_the_parameter() {
    let app = TestApp::spawn().await;
    for (query, fields) in [
        ("from=yesterday", vec!["from"]),
        ("from=2026-13-01&to=soon", vec!["from", "to"]),
        ("from=2026-05-02&to=2026-05-01", vec!["to"]),
        ("from=2020-01-01&to=2026-01-01", vec!["from"]),
    ] {
        let problem = expect_status(
            app.get(&app.admin, &format!("{REPORT}?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), fields, "{query}");
    }
}

#[tokio::test]
async fn the_report_page_shows_both_tables_and_errors_at_the_dates() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(
        &app,
        &setup,
        json!({ "provider_department_id": setup.marketing, "title": "Replacement part",
                "external_impact": "customer_waiting", "segment_id": setup.segment }),
    )
    .await;
    expect_status(
        app.post(
            &setup.marketing_lead,
            &format!("/api/v1/requests/{}/deferral", id_of(&request)),
            &json!({ "reason": "A key account first", "new_eta": "2030-01-02T10:00:00Z" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let mut executive = Browser::default();
    executive.sign_in(&app, &setup.executive.email).await;
    let home = executive.page(&app, "/").await;
    assert!(
        home.contains("href=\"/reports/external-impact\""),
        "the navigation links the report"
    );
    let page = executive.page(&app, "/reports/external-impact").await;
    assert!(page.contains("By provider department"));
    assert!(page.contains("By customer segment"));
    assert!(page.contains(&format!(
        "<a href=\"/departments/{}\">Marketing</a>",
        setup.marketing
    )));
    assert!(page.contains("Mid-market retailers"));
    assert!(page.contains("<strong>1</strong> request with external impact"));
    assert!(page.contains("1 with a customer waiting"));
    assert!(page.contains("1 was deferred"));
    assert!(page.contains("<svg class=\"chart\" role=\"img\""));
    let department = executive
        .page(&app, &format!("/departments/{}", setup.marketing))
        .await;
    assert!(department.contains("href=\"/reports/external-impact\""));

    // A window that cannot be: the error at the date it names, the dates kept.
    let refused = executive
        .get(
            &app,
            "/reports/external-impact?from=2026-05-02&to=2026-05-01",
        )
        .await;
    let html = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(html.contains("id=\"impact-to-error\""));
    assert!(html.contains("must be on or after from"));
    assert!(html.contains("value=\"2026-05-02\"") && html.contains("value=\"2026-05-01\""));
    assert!(!html.contains("id=\"impact-from-error\""));

    // The lead of Marketing is told the figures are their departments' own.
    let mut lead = Browser::default();
    lead.sign_in(&app, &setup.marketing_lead.email).await;
    let page = lead.page(&app, "/reports/external-impact").await;
    assert!(page.contains("You see the requests of the departments you lead."));
    assert!(page.contains(&format!(
        "<a href=\"/departments/{}\">Marketing</a>",
        setup.marketing
    )));
    let own = lead
        .page(&app, &format!("/departments/{}", setup.marketing))
        .await;
    assert!(own.contains("External impact of its requests"));
    let other = lead
        .page(&app, &format!("/departments/{}", setup.operations))
        .await;
    assert!(
        !other.contains("External impact of its requests"),
        "not a department they lead"
    );

    // A member is told the report is not theirs, and has no link to it.
    let mut member = Browser::default();
    member.sign_in(&app, &setup.seller.email).await;
    assert!(
        !member
            .page(&app, "/")
            .await
            .contains("/reports/external-impact")
    );
    let denied = member.get(&app, "/reports/external-impact").await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&denied));
}
