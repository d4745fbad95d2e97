//! Internal requests: intake, workflow, clocks, visibility and the queue.

use crate::support::{
    TestApp, User, event_kinds, expect_status, id_of, new_request, problem_fields, version_of,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Marketing provides "Qualified leads" to Sales on a round-the-clock calendar,
/// so business time equals wall time whenever the test runs.
struct Setup {
    marketing: Value,
    sales: Value,
    /// A second provider on the same calendar, for hand-offs.
    operations: Value,
    service: Value,
    marketer: User,
    seller: User,
    bystander: User,
}

async fn setup(app: &TestApp) -> Setup {
    let calendar = app.always_open_calendar().await;
    let marketing = app.department_on("Marketing", &calendar).await;
    let sales = app.department("Sales").await;
    let operations = app.department_on("Operations", &calendar).await;
    let finance = app.department("Finance").await;
    let more = json!({
        "priority_targets": { "urgent": { "first_response_minutes": 15, "fulfilment_minutes": 120 } },
        "intake_fields": [
            { "key": "region", "label": "Region", "kind": "choice", "required": true, "choices": ["EMEA", "Americas"] },
            { "key": "count", "label": "How many", "kind": "number" }
        ]
    });
    let service = app.qualified_leads(&marketing, &sales, more).await;
    Setup {
        marketer: app
            .add_member("marketer@acme.test", id_of(&marketing))
            .await,
        seller: app.add_member("seller@acme.test", id_of(&sales)).await,
        bystander: app.add_member("finance@acme.test", id_of(&finance)).await,
        marketing,
        sales,
        operations,
        service,
    }
}

async fn raise(app: &TestApp, setup: &Setup, extra: Value) -> Value {
    let mut body = json!({ "service_id": id_of(&setup.service), "title": "Leads for the trade show", "intake_values": { "region": "EMEA", "count": 40 } });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    app.create(&setup.seller, "/api/v1/requests", &body).await
}

async fn move_to(app: &TestApp, user: &User, request: &Value, to: &str) -> reqwest::Response {
    app.post(
        user,
        &format!("/api/v1/requests/{}/transitions", id_of(request)),
        &json!({ "to": to }),
    )
    .await
}

#[tokio::test]
async fn a_request_against_a_service_starts_its_clocks() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(
        &app,
        &setup,
        json!({ "external_impact": "customer_waiting", "external_reference": "CRM-1042" }),
    )
    .await;
    assert_eq!(request["status"], "new");
    assert_eq!(request["provider_department_id"], id_of(&setup.marketing));
    assert_eq!(request["requester_person_id"], setup.seller.id.0);
    assert_eq!(
        request["intake_values"],
        json!({ "region": "EMEA", "count": 40.0 })
    );
    assert_eq!(request["clocks"]["first_response"]["target_minutes"], 60);
    assert_eq!(request["clocks"]["fulfilment"]["state"], "running");
    assert_eq!(request["clocks"]["fulfilment"]["remaining_minutes"], 600);
    assert!(request["clocks"]["fulfilment"]["due_at"].is_string());
    assert_eq!(
        request["time_held"][0]["department_id"],
        id_of(&setup.marketing)
    );

    let urgent = raise(&app, &setup, json!({ "priority": "urgent" })).await;
    assert_eq!(
        urgent["clocks"]["fulfilment"]["target_minutes"], 120,
        "targets follow the priority"
    );
    let events = app.events(&setup.seller, &request).await;
    assert_eq!(events[0]["kind"], "created");
    assert_eq!(events[0]["actor_person_id"], setup.seller.id.0);
}

#[tokio::test]
async fn invalid_requests_are_refused_field_by_field() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let service = id_of(&setup.service);
    let cases = [
        (
            json!({ "service_id": service, "intake_values": { "region": "EMEA" } }),
            vec!["title"],
        ),
        (
            json!({ "service_id": service, "title": "X", "priority": "asap", "intake_values": { "region": "EMEA" } }),
            vec!["priority"],
        ),
        (
            json!({ "service_id": service, "title": "X", "intake_values": {} }),
            vec!["intake_values.region"],
        ),
        (
            json!({ "service_id": service, "title": "X", "intake_values": { "region": "Mars", "count": "many", "colour": 1 } }),
            vec![
                "intake_values.colour",
                "intake_values.region",
                "intake_values.count",
            ],
        ),
        (
            json!({ "service_id": service, "title": "X", "external_impact": "panic", "intake_values": { "region": "EMEA" } }),
            vec!["external_impact"],
        ),
        (json!({ "title": "X" }), vec!["service_id"]),
        (
            json!({ "service_id": 987_654, "title": "X" }),
            vec!["service_id"],
        ),
        (
            json!({ "provider_department_id": id_of(&setup.sales), "title": "X", "intake_values": { "a": 1 } }),
            vec!["intake_values"],
        ),
        (
            json!({ "provider_department_id": 987_654, "title": "X" }),
            vec!["provider_department_id"],
        ),
    ];
    for (body, fields) in cases {
        let problem = expect_status(
            app.post(&setup.seller, "/api/v1/requests", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), fields, "for {body}");
    }
    let listed = app.read(&app.admin, "/api/v1/requests").await;
    assert_eq!(listed["items"], json!([]), "nothing half-written");
}

#[tokio::test]
async fn the_workflow_moves_by_the_right_side_and_pauses_while_waiting() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(&app, &setup, json!({})).await;
    expect_status(
        move_to(&app, &setup.seller, &request, "acknowledged").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_status(
        move_to(&app, &setup.marketer, &request, "closed").await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_status(
        move_to(&app, &setup.marketer, &request, "reopen").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let acknowledged = expect_status(
        move_to(&app, &setup.marketer, &request, "acknowledged").await,
        StatusCode::OK,
    )
    .await;
    assert!(acknowledged["first_response_at"].is_string());
    assert_eq!(acknowledged["clocks"]["first_response"]["state"], "met");
    let waiting = expect_status(
        move_to(&app, &setup.marketer, &request, "waiting_on_requester").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(waiting["clocks"]["fulfilment"]["state"], "paused");
    assert_eq!(waiting["clocks"]["fulfilment"]["due_at"], json!(null));
    let resumed = expect_status(
        move_to(&app, &setup.seller, &request, "in_progress").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resumed["clocks"]["fulfilment"]["state"], "running");

    let resolve = json!({ "to": "resolved", "input_quality": "partial", "input_quality_note": "No budget given" });
    let resolved = app
        .post(
            &setup.marketer,
            &format!("/api/v1/requests/{}/transitions", id_of(&request)),
            &resolve,
        )
        .await;
    let resolved = expect_status(resolved, StatusCode::OK).await;
    assert_eq!(resolved["input_quality"], "partial");
    assert_eq!(resolved["clocks"]["fulfilment"]["state"], "met");
    expect_status(
        move_to(&app, &setup.marketer, &request, "closed").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let reopened = expect_status(
        move_to(&app, &setup.seller, &request, "in_progress").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reopened["resolved_at"], json!(null));
    expect_status(
        move_to(&app, &setup.marketer, &request, "resolved").await,
        StatusCode::OK,
    )
    .await;
    let closed = expect_status(
        move_to(&app, &setup.seller, &request, "closed").await,
        StatusCode::OK,
    )
    .await;
    assert!(closed["closed_at"].is_string());
    for to in [
        "new",
        "acknowledged",
        "in_progress",
        "resolved",
        "cancelled",
    ] {
        let user = if to == "in_progress" {
            &setup.seller
        } else {
            &setup.marketer
        };
        expect_status(
            move_to(&app, user, &request, to).await,
            StatusCode::CONFLICT,
        )
        .await;
    }
    let events = app.events(&setup.seller, &request).await;
    let kinds = event_kinds(&events);
    assert_eq!(
        kinds,
        [
            "created",
            "status_changed",
            "status_changed",
            "status_changed",
            "status_changed",
            // The service samples every resolution: the requester is asked once.
            "check_requested",
            "reopened",
            "status_changed",
            "status_changed"
        ]
    );
    assert_eq!(events[1]["before"]["status"], "new");
    assert_eq!(events[1]["after"]["status"], "acknowledged");
}

#[tokio::test]
async fn only_the_departments_concerned_see_a_request() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(&app, &setup, json!({})).await;
    let path = format!("/api/v1/requests/{}", id_of(&request));
    for user in [&setup.seller, &setup.marketer, &app.admin] {
        app.read(user, &path).await;
    }
    for user in [&setup.bystander, &app.outsider] {
        expect_status(app.get(user, &path).await, StatusCode::NOT_FOUND).await;
        expect_status(
            move_to(&app, user, &request, "cancelled").await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let listed = app.read(user, "/api/v1/requests").await;
        assert_eq!(listed["items"], json!([]));
    }
    let mine = app
        .read(&setup.seller, "/api/v1/requests?mine=true&open=true")
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    expect_status(
        app.get(&setup.seller, "/api/v1/requests?status=lost").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn the_provider_changes_priority_and_targets_follow() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(&app, &setup, json!({})).await;
    let path = format!("/api/v1/requests/{}", id_of(&request));
    let by_requester = app
        .patch(
            &setup.seller,
            &path,
            version_of(&request),
            &json!({ "priority": "urgent" }),
        )
        .await;
    expect_status(by_requester, StatusCode::FORBIDDEN).await;
    let urgent = app
        .patch(
            &setup.marketer,
            &path,
            version_of(&request),
            &json!({ "priority": "urgent", "assignee_person_id": setup.marketer.id.0 }),
        )
        .await;
    let urgent = expect_status(urgent, StatusCode::OK).await;
    assert_eq!(urgent["clocks"]["fulfilment"]["target_minutes"], 120);
    assert_eq!(urgent["assignee_person_id"], setup.marketer.id.0);
    let stale = app
        .patch(
            &setup.seller,
            &path,
            version_of(&request),
            &json!({ "title": "Renamed" }),
        )
        .await;
    expect_status(stale, StatusCode::PRECONDITION_FAILED).await;
    let events = app.read(&setup.seller, &format!("{path}/events")).await;
    let update = events
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["kind"] == "updated")
        .unwrap();
    assert_eq!(update["before"]["priority"], "normal");
    assert_eq!(update["after"]["priority"], "urgent");
    assert_eq!(update["after"]["fulfilment_target_minutes"], 120);
}

#[tokio::test]
async fn internal_notes_stay_with_the_provider() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(&app, &setup, json!({})).await;
    let path = format!("/api/v1/requests/{}/comments", id_of(&request));
    expect_status(
        app.post(
            &setup.seller,
            &path,
            &json!({ "body": "secret", "internal": true }),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    app.create(
        &setup.marketer,
        &path,
        &json!({ "body": "Budget unclear", "internal": true }),
    )
    .await;
    app.create(&setup.marketer, &path, &json!({ "body": "Working on it" }))
        .await;
    expect_status(
        app.post(&setup.seller, &path, &json!({ "body": " " }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let for_requester = app.read(&setup.seller, &path).await;
    assert_eq!(for_requester.as_array().unwrap().len(), 1);
    let for_provider = app.read(&setup.marketer, &path).await;
    assert_eq!(for_provider.as_array().unwrap().len(), 2);
    let read = app
        .read(
            &setup.seller,
            &format!("/api/v1/requests/{}", id_of(&request)),
        )
        .await;
    assert!(
        read["first_response_at"].is_string(),
        "a public reply is the first response"
    );
}

#[tokio::test]
async fn the_queue_puts_waiting_customers_first_then_the_least_time_left() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let plain = raise(&app, &setup, json!({ "title": "Plain" })).await;
    let affected = raise(
        &app,
        &setup,
        json!({ "title": "Affected", "external_impact": "customer_affected" }),
    )
    .await;
    let waiting_low = raise(
        &app,
        &setup,
        json!({ "title": "Waiting low", "external_impact": "customer_waiting", "priority": "low" }),
    )
    .await;
    let waiting_urgent = raise(&app, &setup, json!({ "title": "Waiting urgent", "external_impact": "customer_waiting", "priority": "urgent" })).await;
    let plain_urgent = raise(
        &app,
        &setup,
        json!({ "title": "Plain urgent", "priority": "urgent" }),
    )
    .await;
    let queue_path = format!("/api/v1/departments/{}/queue", id_of(&setup.marketing));
    let queue = app.read(&setup.marketer, &queue_path).await;
    let order: Vec<i64> = queue.as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(
        order,
        [
            id_of(&waiting_urgent),
            id_of(&waiting_low),
            id_of(&affected),
            id_of(&plain_urgent),
            id_of(&plain)
        ],
        "impact first, then least remaining time (urgent targets are shorter)"
    );
    expect_status(
        app.get(&setup.seller, &queue_path).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    app.read(&app.admin, &queue_path).await;
    expect_status(
        move_to(&app, &setup.marketer, &plain, "resolved").await,
        StatusCode::OK,
    )
    .await;
    let after = app.read(&setup.marketer, &queue_path).await;
    assert_eq!(
        after.as_array().unwrap().len(),
        4,
        "resolved requests leave the queue"
    );
    let late = raise(&app, &setup, json!({ "title": "Raised after the read" })).await;
    let again = app.read(&setup.marketer, &queue_path).await;
    assert!(
        again
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| id_of(entry) == id_of(&late)),
        "a request raised after the queue was read is in the next read"
    );
}

/// Raised eleven hours ago against a 600-minute fulfilment target on a
/// round-the-clock calendar: the target is breached by an hour whatever
/// happens now. A date both sides accepted, and met, makes the delivery on
/// time all the same; the same request without one is late.
#[tokio::test]
async fn a_commitment_accepted_by_the_other_side_makes_delivery_on_time() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let scoped = app.store.scoped(app.admin.organization);
    let raised = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(660);
    let committed = backdated(&scoped, &setup, "Trade show leads", (60, 600), raised).await;
    let uncommitted = backdated(&scoped, &setup, "Other leads", (60, 600), raised).await;
    let request = json!({ "id": committed.id });
    let path = format!("/api/v1/requests/{}/commitments", id_of(&request));
    let thursday = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72)).to_string();
    let friday = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(96)).to_string();
    let offer = app
        .create(
            &setup.marketer,
            &path,
            &json!({ "due_at": thursday, "note": "Trade show list first" }),
        )
        .await;
    assert_eq!(offer["proposed_by_side"], "provider");
    let own = app
        .post(
            &setup.marketer,
            &format!("{path}/{}/accept", id_of(&offer)),
            &json!({}),
        )
        .await;
    expect_status(own, StatusCode::FORBIDDEN).await;
    let counter = app
        .create(&setup.seller, &path, &json!({ "due_at": friday }))
        .await;
    assert_eq!(counter["proposed_by_side"], "requester");
    let superseded = app
        .post(
            &setup.seller,
            &format!("{path}/{}/accept", id_of(&offer)),
            &json!({}),
        )
        .await;
    expect_status(superseded, StatusCode::CONFLICT).await;
    let accepted = expect_status(
        app.post(
            &setup.marketer,
            &format!("{path}/{}/accept", id_of(&counter)),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(accepted["status"], "accepted");
    let past = app
        .post(
            &setup.marketer,
            &path,
            &json!({ "due_at": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(past, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["due_at"]
    );
    expect_status(
        app.post(&setup.bystander, &path, &json!({ "due_at": friday }))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let read = app
        .read(
            &setup.seller,
            &format!("/api/v1/requests/{}", id_of(&request)),
        )
        .await;
    assert!(read["committed_due_at"].is_string());
    let resolved = expect_status(
        move_to(&app, &setup.marketer, &request, "resolved").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        resolved["clocks"]["fulfilment"]["state"], "missed",
        "the target was missed: {resolved}"
    );
    assert_eq!(
        resolved["on_time"], true,
        "resolved by the accepted date: {resolved}"
    );
    // What health's reliability counts is recorded the same way.
    assert_eq!(
        scoped
            .request(committed.id)
            .await
            .unwrap()
            .delivered_on_time,
        Some(true)
    );
    let late = expect_status(
        move_to(
            &app,
            &setup.marketer,
            &json!({ "id": uncommitted.id }),
            "resolved",
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(late["clocks"]["fulfilment"]["state"], "missed");
    assert_eq!(late["on_time"], false, "no commitment: the target decides");
    assert_eq!(
        scoped
            .request(uncommitted.id)
            .await
            .unwrap()
            .delivered_on_time,
        Some(false)
    );
    let listed = app.read(&setup.seller, &path).await;
    let statuses: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["superseded", "accepted"],
        "the offer was superseded by the counter-proposal; the refused past date left nothing behind"
    );
}

/// The other side of the rule: resolved after the accepted date and past
/// the target, the delivery is late. The commitment was made and accepted
/// eleven hours ago for a date an hour ago (the API refuses dates in the
/// past, so the store records them as of then).
#[tokio::test]
async fn a_request_resolved_after_its_committed_date_and_its_target_is_late() {
    use roundtable_store::requests::CommitmentSide;
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let scoped = app.store.scoped(app.admin.organization);
    let now = jiff::Timestamp::now();
    let minutes_ago = |minutes: i64| now - jiff::SignedDuration::from_mins(minutes);
    let request = backdated(
        &scoped,
        &setup,
        "Trade show leads",
        (60, 600),
        minutes_ago(660),
    )
    .await;
    let offer = scoped
        .propose_commitment(
            request.id,
            CommitmentSide::Provider,
            setup.marketer.id,
            minutes_ago(60),
            "By this morning".to_owned(),
            minutes_ago(650),
        )
        .await
        .unwrap();
    scoped
        .accept_commitment(
            request.id,
            offer.id,
            CommitmentSide::Requester,
            setup.seller.id,
            minutes_ago(640),
        )
        .await
        .unwrap();
    let read = app
        .read(&setup.seller, &format!("/api/v1/requests/{}", request.id))
        .await;
    let due: jiff::Timestamp = read["committed_due_at"].as_str().unwrap().parse().unwrap();
    assert!(
        due.duration_since(minutes_ago(60)).abs() < jiff::SignedDuration::from_secs(1),
        "{read}"
    );
    let resolved = expect_status(
        move_to(
            &app,
            &setup.marketer,
            &json!({ "id": request.id }),
            "resolved",
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resolved["clocks"]["fulfilment"]["state"], "missed");
    assert_eq!(
        resolved["on_time"], false,
        "an hour after the accepted date: {resolved}"
    );
    assert_eq!(
        scoped.request(request.id).await.unwrap().delivered_on_time,
        Some(false)
    );
}

#[tokio::test]
async fn a_deferral_for_an_external_customer_keeps_the_clock_running() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(&app, &setup, json!({})).await;
    let path = format!("/api/v1/requests/{}/deferral", id_of(&request));
    let eta = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string();
    let body = json!({ "reason": "Order recall for a key account", "new_eta": eta });
    expect_status(
        app.post(&setup.seller, &path, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let deferred = expect_status(
        app.post(&setup.marketer, &path, &body).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        deferred["deferral_reason"],
        "Order recall for a key account"
    );
    assert!(deferred["deferred_until"].is_string());
    assert_eq!(
        deferred["clocks"]["fulfilment"]["state"], "running",
        "a deferral does not pause the clock"
    );
    let missing = app
        .post(
            &setup.marketer,
            &path,
            &json!({ "reason": "", "new_eta": "soon" }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(missing, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["reason", "new_eta"]
    );
    let events = app.events(&setup.seller, &request).await;
    let deferral = events
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["kind"] == "deferred")
        .unwrap();
    assert_eq!(
        deferral["note"], "Order recall for a key account",
        "the requester sees why"
    );
}

#[tokio::test]
async fn a_hand_off_keeps_each_departments_time_on_its_own_clock() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let request = raise(&app, &setup, json!({})).await;
    expect_status(
        move_to(&app, &setup.marketer, &request, "acknowledged").await,
        StatusCode::OK,
    )
    .await;
    let path = format!("/api/v1/requests/{}/transfer", id_of(&request));
    let to_operations =
        json!({ "department_id": id_of(&setup.operations), "note": "Needs a warehouse fix" });
    expect_status(
        app.post(&setup.seller, &path, &to_operations).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let moved = expect_status(
        app.post(&setup.marketer, &path, &to_operations).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["provider_department_id"], id_of(&setup.operations));
    assert_eq!(
        moved["first_response_at"],
        json!(null),
        "the new department owes its own first response"
    );
    assert_eq!(moved["clocks"]["fulfilment"]["target_minutes"], 2400);
    let held: Vec<i64> = moved["time_held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|held| held["department_id"].as_i64().unwrap())
        .collect();
    assert_eq!(held, [id_of(&setup.marketing), id_of(&setup.operations)]);
    let again = app.post(&setup.marketer, &path, &to_operations).await;
    expect_status(again, StatusCode::NOT_FOUND).await;
    let operator = app
        .add_member("operator@acme.test", id_of(&setup.operations))
        .await;
    let same = app.post(&operator, &path, &to_operations).await;
    assert_eq!(
        problem_fields(&expect_status(same, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["department_id"]
    );
    let wrong_service = app
        .post(
            &operator,
            &path,
            &json!({ "department_id": id_of(&setup.marketing), "service_id": 987_654 }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(wrong_service, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["service_id"]
    );
    let events = app.events(&setup.seller, &request).await;
    let transfer = events
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["kind"] == "transferred")
        .unwrap();
    assert_eq!(
        transfer["before"]["provider_department_id"],
        id_of(&setup.marketing)
    );
    assert_eq!(
        transfer["after"]["provider_department_id"],
        id_of(&setup.operations)
    );

    // Exact time held, each department on its own calendar: Marketing keeps
    // office hours in UTC (Mon–Fri 09:00–17:00); Operations works
    // 13:00–15:00 in Berlin (12:00–14:00 UTC in early March, before summer
    // time). Backdated to a fixed week so every run counts the same minutes.
    let office = |day_hours: Value| json!({ "monday": day_hours, "tuesday": day_hours, "wednesday": day_hours, "thursday": day_hours, "friday": day_hours });
    for (department, name, time_zone, hours) in [
        (
            &setup.marketing,
            "Office",
            "UTC",
            json!([{ "start": "09:00", "end": "17:00" }]),
        ),
        (
            &setup.operations,
            "Berlin afternoons",
            "Europe/Berlin",
            json!([{ "start": "13:00", "end": "15:00" }]),
        ),
    ] {
        let calendar = app
            .create(
                &app.admin,
                "/api/v1/calendars",
                &json!({ "name": name, "time_zone": time_zone, "working_hours": office(hours) }),
            )
            .await;
        app.admin_edit(
            &format!("/api/v1/departments/{}", id_of(department)),
            &json!({ "calendar_id": id_of(&calendar) }),
        )
        .await;
    }
    let scoped = app.store.scoped(app.admin.organization);
    let at = |text: &str| -> jiff::Timestamp { text.parse().unwrap() };
    let marketing = roundtable_domain::ids::DepartmentId(id_of(&setup.marketing));
    let operations = roundtable_domain::ids::DepartmentId(id_of(&setup.operations));
    let targets = roundtable_domain::services::Targets::new(60, 2400).unwrap();
    // Monday 3 March 2025, 08:00 UTC: raised before Marketing opens.
    let held = backdated(
        &scoped,
        &setup,
        "Held",
        (60, 2400),
        at("2025-03-03T08:00:00Z"),
    )
    .await;
    let provider = roundtable_domain::requests::Roles {
        provider: true,
        requester: false,
    };
    let transition = |to, at| roundtable_store::requests::Transition {
        to,
        actor: setup.marketer.id,
        roles: provider,
        details: roundtable_store::requests::TransitionDetails::default(),
        expected_version: None,
        at,
    };
    scoped
        .transition_request(
            held.id,
            transition(
                roundtable_domain::requests::Status::Acknowledged,
                at("2025-03-03T08:30:00Z"),
            ),
        )
        .await
        .unwrap();
    let handoff = |by: &User, to, when| roundtable_store::requests::Handoff {
        by: by.id,
        to,
        service: None,
        targets,
        note: String::new(),
        at: when,
    };
    // Monday 11:30 UTC to Operations; Tuesday 13:15 UTC back to Marketing;
    // resolved on Wednesday at 10:00 UTC.
    scoped
        .transfer_request(
            held.id,
            handoff(&setup.marketer, operations, at("2025-03-03T11:30:00Z")),
        )
        .await
        .unwrap();
    scoped
        .transfer_request(
            held.id,
            handoff(&operator, marketing, at("2025-03-04T13:15:00Z")),
        )
        .await
        .unwrap();
    scoped
        .transition_request(
            held.id,
            transition(
                roundtable_domain::requests::Status::Resolved,
                at("2025-03-05T10:00:00Z"),
            ),
        )
        .await
        .unwrap();
    let read = app
        .read(&setup.seller, &format!("/api/v1/requests/{}", held.id))
        .await;
    // Marketing: Mon 09:00–11:30 (150) + Tue 13:15–17:00 (225) + Wed
    // 09:00–10:00 (60) = 435 business minutes; wall 3 h 30 + 20 h 45 = 1455.
    // Operations: Mon 12:00–14:00 UTC (120) + Tue 12:00–13:15 UTC (75) = 195;
    // wall 25 h 45 = 1545. On Marketing's calendar Operations would have
    // 585; on one 24/7 calendar 1545.
    assert_eq!(
        read["time_held"],
        json!([
            { "department_id": marketing.0, "business_minutes": 435, "wall_minutes": 1455 },
            { "department_id": operations.0, "business_minutes": 195, "wall_minutes": 1545 }
        ]),
        "{read}"
    );
}

#[tokio::test]
async fn the_provider_splits_work_into_linked_sub_requests() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let parent = raise(&app, &setup, json!({})).await;
    let path = format!("/api/v1/requests/{}/sub-requests", id_of(&parent));
    let body = json!({ "provider_department_id": id_of(&setup.operations), "title": "Pull stock figures" });
    expect_status(
        app.post(&setup.seller, &path, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let child = app.create(&setup.marketer, &path, &body).await;
    assert_eq!(child["parent_request_id"], id_of(&parent));
    assert_eq!(child["requester_person_id"], setup.marketer.id.0);
    assert_eq!(child["provider_department_id"], id_of(&setup.operations));
    assert_eq!(
        child["time_held"][0]["department_id"],
        id_of(&setup.operations)
    );
}

#[tokio::test]
async fn breached_requests_can_be_listed_once_the_worker_escalated_them() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let scoped = app.store.scoped(app.admin.organization);
    let now = jiff::Timestamp::now();
    let late = late_request(&scoped, &setup, now).await;
    let fresh = backdated(&scoped, &setup, "Fresh", (30, 60), now).await;
    roundtable_worker::escalate_clocks(&app.store, jiff::Timestamp::now())
        .await
        .unwrap();
    let breached = app
        .read(&setup.marketer, "/api/v1/requests?breached=true")
        .await;
    assert_eq!(
        breached["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        [late.id]
    );
    assert_eq!(
        breached["items"][0]["clocks"]["fulfilment"]["state"],
        "breached"
    );
    let on_track = app
        .read(&setup.marketer, "/api/v1/requests?breached=false")
        .await;
    assert_eq!(
        on_track["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        [fresh.id]
    );
    let events = app
        .read(
            &setup.marketer,
            &format!("/api/v1/requests/{}/events", late.id),
        )
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["kind"] == "escalated" && event["after"]["level"] == "breached")
    );
}

#[tokio::test]
async fn the_matrix_shows_an_escalation_soon_without_holding_its_readers() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let scoped = app.store.scoped(app.admin.organization);
    let now = jiff::Timestamp::now();
    late_request(&scoped, &setup, now).await;
    let before = app
        .matrix_cell(id_of(&setup.marketing), id_of(&setup.sales))
        .await;
    let generation = app.store.write_generation();
    assert!(
        roundtable_worker::escalate_clocks(&app.store, jiff::Timestamp::now())
            .await
            .unwrap()
            > 0
    );
    assert_eq!(
        app.store.write_generation(),
        generation,
        "the sweep's writes make no reader wait for a fresh matrix"
    );
    // A breached first response counts as a miss from its escalation on.
    // The matrix read before was assembled moments ago, well within the
    // caches' time to live (5 s): only the refresh the sweep starts behind
    // the readers can show the change within this deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    loop {
        let after = app
            .matrix_cell(id_of(&setup.marketing), id_of(&setup.sales))
            .await;
        if after["health"] != before["health"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the matrix still shows the health before the escalation: {after}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_organization_sets_when_a_clock_is_at_risk() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let scoped = app.store.scoped(app.admin.organization);
    let request = backdated(
        &scoped,
        &setup,
        "Sixty of a hundred minutes",
        (100, 100),
        jiff::Timestamp::now() - jiff::SignedDuration::from_mins(60),
    )
    .await;
    let path = format!("/api/v1/requests/{}", request.id);
    let before = app.read(&setup.marketer, &path).await;
    assert_eq!(
        before["clocks"]["fulfilment"]["state"], "running",
        "60 % is below the default 75 %"
    );
    let organization = app.read(&app.admin, "/api/v1/organization").await;
    assert_eq!(organization["at_risk_percent"], 75);
    let bad = app
        .patch(
            &app.admin,
            "/api/v1/organization",
            version_of(&organization),
            &json!({ "at_risk_percent": 100 }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["at_risk_percent"]
    );
    let changed = app
        .patch(
            &app.admin,
            "/api/v1/organization",
            version_of(&organization),
            &json!({ "at_risk_percent": 50 }),
        )
        .await;
    expect_status(changed, StatusCode::OK).await;
    let after = app.read(&setup.marketer, &path).await;
    assert_eq!(after["clocks"]["fulfilment"]["state"], "at_risk");
}

/// A request from the seller to Marketing without a service, raised at `at`.
/// "Late": raised 90 minutes before `now` with a 60-minute fulfilment target.
async fn late_request(
    scoped: &roundtable_store::Scoped<'_>,
    setup: &Setup,
    now: jiff::Timestamp,
) -> roundtable_store::requests::Request {
    let raised = now - jiff::SignedDuration::from_mins(90);
    backdated(scoped, setup, "Late", (30, 60), raised).await
}

async fn backdated(
    scoped: &roundtable_store::Scoped<'_>,
    setup: &Setup,
    title: &str,
    (first_response, fulfilment): (i64, i64),
    at: jiff::Timestamp,
) -> roundtable_store::requests::Request {
    let new = new_request(
        id_of(&setup.marketing),
        &setup.seller,
        title,
        (first_response, fulfilment),
    );
    scoped.create_request(new, at).await.unwrap()
}
