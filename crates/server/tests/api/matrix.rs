//! Services, agreements and the matrix they make.

use crate::support::{TestApp, User, expect_status, id_of, problem_fields, version_of};
use reqwest::{Method, StatusCode};
use roundtable_domain::people::Role;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Two departments, each led by its own lead: Marketing (led by `app.lead`) → Sales.
struct Cell {
    provider: Value,
    consumer: Value,
    consumer_lead: User,
}

async fn cell(app: &TestApp) -> Cell {
    let consumer_lead = app.add_user("sales.lead@acme.test", Role::Lead).await;
    let provider = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Marketing", "lead_ids": [app.lead.id.0] }),
        )
        .await;
    let provider = expect_status(provider, StatusCode::CREATED).await;
    let consumer = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Sales", "lead_ids": [consumer_lead.id.0], "customer_facing": true }),
        )
        .await;
    let consumer = expect_status(consumer, StatusCode::CREATED).await;
    Cell {
        provider,
        consumer,
        consumer_lead,
    }
}

fn leads_service(cell: &Cell) -> Value {
    json!({
        "provider_department_id": id_of(&cell.provider),
        "consumer_department_ids": [id_of(&cell.consumer)],
        "name": "Qualified leads",
        "definition_of_good": "Budget, authority, need and timeline confirmed",
        "first_response_minutes": 240,
        "fulfilment_minutes": 2400,
        "priority_targets": { "urgent": { "first_response_minutes": 30, "fulfilment_minutes": 480 } },
        "intake_fields": [
            { "key": "region", "label": "Region", "kind": "choice", "required": true, "choices": ["EMEA", "Americas"] },
            { "key": "notes", "label": "Notes", "kind": "long_text" }
        ],
        "volume": { "quantity": 200, "period": "month", "unit": "qualified leads" },
        "check_sampling_rate": 0.5
    })
}

#[tokio::test]
async fn a_provider_lead_defines_a_service_with_targets_and_intake_fields() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let created = app
        .create(&app.lead, "/api/v1/services", &leads_service(&cell))
        .await;
    assert_eq!(created["fulfilment_minutes"], 2400);
    assert_eq!(
        created["priority_targets"]["urgent"]["first_response_minutes"],
        30
    );
    assert_eq!(
        created["intake_fields"][0]["choices"],
        json!(["EMEA", "Americas"])
    );
    assert_eq!(created["volume"]["quantity"], 200);
    assert_eq!(created["check_sampling_rate"], 0.5);
    assert_eq!(created["reopen_on_not_met"], true);

    let path = format!("/api/v1/services/{}", id_of(&created));
    let changed = app
        .patch(
            &app.lead,
            &path,
            version_of(&created),
            &json!({ "first_response_minutes": 120, "volume": null }),
        )
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(changed["first_response_minutes"], 120);
    assert_eq!(
        changed["fulfilment_minutes"], 2400,
        "the other target is kept"
    );
    assert_eq!(changed["volume"], json!(null));
    let too_slow = app
        .patch(
            &app.lead,
            &path,
            version_of(&changed),
            &json!({ "first_response_minutes": 5000 }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(too_slow, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["first_response_minutes"]
    );

    let consumer_side = app
        .post(
            &cell.consumer_lead,
            "/api/v1/services",
            &leads_service(&cell),
        )
        .await;
    expect_status(consumer_side, StatusCode::FORBIDDEN).await;
    expect_status(
        app.post(&app.member, "/api/v1/services", &leads_service(&cell))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let by_consumer = app
        .get(
            &app.member,
            &format!(
                "/api/v1/services?consumer_department_id={}",
                id_of(&cell.consumer)
            ),
        )
        .await;
    assert_eq!(
        expect_status(by_consumer, StatusCode::OK).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn invalid_services_are_refused_field_by_field() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let provider = id_of(&cell.provider);
    let with = |changes: Value| {
        let mut body = leads_service(&cell);
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let cases = [
        (
            with(json!({ "first_response_minutes": 0 })),
            vec!["first_response_minutes"],
        ),
        (
            with(json!({ "fulfilment_minutes": -60 })),
            vec!["fulfilment_minutes"],
        ),
        (
            with(json!({ "first_response_minutes": 600, "fulfilment_minutes": 60 })),
            vec!["first_response_minutes"],
        ),
        (
            with(json!({ "intake_fields": [{ "key": "Bad Key", "label": "", "kind": "colour" }] })),
            vec![
                "intake_fields[0].key",
                "intake_fields[0].label",
                "intake_fields[0].kind",
            ],
        ),
        (
            with(
                json!({ "intake_fields": [{ "key": "pick", "label": "Pick", "kind": "choice", "choices": ["only one"] }] }),
            ),
            vec!["intake_fields[0].choices"],
        ),
        (
            with(
                json!({ "priority_targets": { "critical": { "first_response_minutes": 1, "fulfilment_minutes": 2 } } }),
            ),
            vec!["priority_targets.critical"],
        ),
        (
            with(json!({ "consumer_department_ids": [provider] })),
            vec!["consumer_department_ids[0]"],
        ),
        (
            with(json!({ "consumer_department_ids": [] })),
            vec!["consumer_department_ids"],
        ),
        (
            with(json!({ "consumer_department_ids": [987_654] })),
            vec!["consumer_department_ids[0]"],
        ),
        (
            with(json!({ "segment_ids": [987_654] })),
            vec!["segment_ids[0]"],
        ),
        (
            with(json!({ "check_sampling_rate": 1.5 })),
            vec!["check_sampling_rate"],
        ),
        (
            with(json!({ "volume": { "quantity": 0, "period": "year", "unit": "leads" } })),
            vec!["volume.quantity", "volume.period"],
        ),
        (
            with(json!({ "provider_department_id": 987_654 })),
            vec!["provider_department_id"],
        ),
    ];
    for (body, fields) in cases {
        let response = app.post(&app.admin, "/api/v1/services", &body).await;
        let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), fields, "for {body}");
    }
    let listed = app.read(&app.admin, "/api/v1/services").await;
    assert_eq!(listed["items"], json!([]));
    app.create(&app.admin, "/api/v1/services", &leads_service(&cell))
        .await;
    let duplicate = app
        .post(&app.admin, "/api/v1/services", &leads_service(&cell))
        .await;
    assert_eq!(
        problem_fields(&expect_status(duplicate, StatusCode::CONFLICT).await),
        ["name"]
    );
}

async fn transition(app: &TestApp, user: &User, id: i64, step: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        Some(user),
        &format!("/api/v1/agreements/{id}/{step}"),
    )
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn an_agreement_comes_into_force_when_both_leads_accept_and_changes_are_new_versions() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let service = app
        .create(&app.lead, "/api/v1/services", &leads_service(&cell))
        .await;
    let body = json!({
        "provider_department_id": id_of(&cell.provider),
        "consumer_department_id": id_of(&cell.consumer),
        "service_ids": [id_of(&service)],
        "obligations": [{ "description": "Feedback on every lead", "due_within_business_days": 5 }],
    });
    let draft = app.create(&app.lead, "/api/v1/agreements", &body).await;
    let id = id_of(&draft);
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["review_cadence"], "quarterly");
    assert_eq!(draft["agreed_version"], json!(null));

    expect_status(
        transition(&app, &app.lead, id, "accept").await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_status(
        transition(&app, &app.member, id, "propose").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let proposed = expect_status(
        transition(&app, &cell.consumer_lead, id, "propose").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(proposed["status"], "proposed");
    expect_status(
        transition(&app, &app.lead, id, "propose").await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_status(
        transition(&app, &app.member, id, "accept").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_status(
        transition(&app, &app.admin, id, "accept").await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let half = expect_status(
        transition(&app, &app.lead, id, "accept").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(half["status"], "proposed");
    assert_eq!(half["current"]["provider_accepted_by"], app.lead.id.0);
    expect_status(
        transition(&app, &app.lead, id, "accept").await,
        StatusCode::CONFLICT,
    )
    .await;
    let stale = app
        .request(
            Method::POST,
            Some(&cell.consumer_lead),
            &format!("/api/v1/agreements/{id}/accept"),
        )
        .header("If-Match", format!("\"{}\"", version_of(&proposed)))
        .send()
        .await
        .unwrap();
    expect_status(stale, StatusCode::PRECONDITION_FAILED).await;
    let agreed = expect_status(
        transition(&app, &cell.consumer_lead, id, "accept").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(agreed["status"], "agreed");
    assert_eq!(agreed["agreed_version"], 1);
    assert!(agreed["next_review_on"].is_string());
    assert_eq!(agreed["review_overdue"], false);

    // A change to the agreed agreement is a new version; the agreed one stays in force.
    let changed = app
        .patch(&app.lead, &format!("/api/v1/agreements/{id}"), version_of(&agreed), &json!({ "obligations": [{ "description": "Feedback within 3 days", "due_within_business_days": 3 }] }))
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(changed["current_version"], 2);
    assert_eq!(changed["status"], "draft");
    assert_eq!(changed["agreed_version"], 1);

    expect_status(
        transition(&app, &app.lead, id, "propose").await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        transition(&app, &app.lead, id, "accept").await,
        StatusCode::OK,
    )
    .await;
    let second = expect_status(
        transition(&app, &cell.consumer_lead, id, "accept").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["agreed_version"], 2);

    let versions = app
        .read(&app.member, &format!("/api/v1/agreements/{id}/versions"))
        .await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["status"], "superseded");
    assert_eq!(
        versions[0]["obligations"][0]["description"], "Feedback on every lead",
        "no silent loss of the earlier version"
    );
    assert_eq!(versions[1]["status"], "agreed");
    assert_eq!(versions[1]["obligations"][0]["due_within_business_days"], 3);

    let review = app
        .post(
            &cell.consumer_lead,
            &format!("/api/v1/agreements/{id}/reviews"),
            &json!({ "notes": "Lead quality improving" }),
        )
        .await;
    let review = expect_status(review, StatusCode::CREATED).await;
    assert_eq!(review["version_number"], 2);
    let reviews = app
        .read(&app.member, &format!("/api/v1/agreements/{id}/reviews"))
        .await;
    assert_eq!(reviews.as_array().unwrap().len(), 1);
    let future = app
        .post(
            &app.lead,
            &format!("/api/v1/agreements/{id}/reviews"),
            &json!({ "reviewed_on": "2999-01-01" }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(future, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["reviewed_on"]
    );

    expect_status(
        app.delete(&app.lead, &format!("/api/v1/agreements/{id}"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let log = app.read(&app.admin, "/api/v1/audit-log?limit=200").await;
    let actions: HashSet<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    for action in [
        "agreement.created",
        "agreement.proposed",
        "agreement.accepted",
        "agreement.updated",
        "agreement.reviewed",
    ] {
        assert!(actions.contains(action), "{action} in the audit log");
    }
}

#[tokio::test]
async fn agreements_are_checked_against_their_cell() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let (provider, consumer) = (id_of(&cell.provider), id_of(&cell.consumer));
    let service = app
        .create(&app.lead, "/api/v1/services", &leads_service(&cell))
        .await;
    let cases = [
        (
            json!({ "provider_department_id": provider, "consumer_department_id": provider }),
            "consumer_department_id",
        ),
        (
            json!({ "provider_department_id": provider, "consumer_department_id": 987_654 }),
            "consumer_department_id",
        ),
        (
            json!({ "provider_department_id": consumer, "consumer_department_id": provider, "service_ids": [id_of(&service)] }),
            "service_ids[0]",
        ),
        (
            json!({ "provider_department_id": provider, "consumer_department_id": consumer, "review_cadence": "weekly" }),
            "review_cadence",
        ),
        (
            json!({ "provider_department_id": provider, "consumer_department_id": consumer, "obligations": [{ "description": "" }] }),
            "obligations[0].description",
        ),
    ];
    for (body, field) in cases {
        let response = app.post(&app.admin, "/api/v1/agreements", &body).await;
        let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), [field], "for {body}");
    }
    let body = json!({ "provider_department_id": provider, "consumer_department_id": consumer, "service_ids": [id_of(&service)] });
    expect_status(
        app.post(&app.member, "/api/v1/agreements", &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let first = app.create(&app.admin, "/api/v1/agreements", &body).await;
    expect_status(
        app.post(&app.admin, "/api/v1/agreements", &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    let reverse = json!({ "provider_department_id": consumer, "consumer_department_id": provider });
    let other_way = app.create(&app.admin, "/api/v1/agreements", &reverse).await;
    assert_ne!(
        id_of(&first),
        id_of(&other_way),
        "B → A is a cell of its own"
    );
    let service_path = format!("/api/v1/services/{}", id_of(&service));
    expect_status(
        app.delete(&app.lead, &service_path).await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_status(
        app.delete(&app.admin, &format!("/api/v1/agreements/{}", id_of(&first)))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_status(
        app.delete(&app.lead, &service_path).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let intruder = app
        .get(
            &app.outsider,
            &format!("/api/v1/agreements/{}", id_of(&other_way)),
        )
        .await;
    expect_status(intruder, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn the_matrix_has_every_cell_of_fifty_departments_exactly_once() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for index in 0..50 {
        ids.push(id_of(
            &app.department(&format!("Department {index:02}")).await,
        ));
    }
    let (a, b) = (ids[3], ids[41]);
    let service = json!({ "provider_department_id": a, "consumer_department_ids": [b], "name": "Reports",
                          "first_response_minutes": 60, "fulfilment_minutes": 600 });
    let service = app.create(&app.admin, "/api/v1/services", &service).await;
    let agreement = json!({ "provider_department_id": a, "consumer_department_id": b, "service_ids": [id_of(&service)] });
    app.create(&app.admin, "/api/v1/agreements", &agreement)
        .await;

    let matrix = app.read(&app.member, "/api/v1/matrix?window_days=30").await;
    assert_eq!(matrix["window_days"], 30);
    assert_eq!(matrix["departments"].as_array().unwrap().len(), 50);
    let cells = matrix["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 50 * 49);
    let pairs: HashSet<(i64, i64)> = cells
        .iter()
        .map(|cell| {
            (
                cell["provider_department_id"].as_i64().unwrap(),
                cell["consumer_department_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), cells.len(), "every cell exactly once");
    assert!(
        pairs
            .iter()
            .all(|(provider, consumer)| provider != consumer)
    );
    let find = |provider: i64, consumer: i64| {
        cells
            .iter()
            .find(|cell| {
                cell["provider_department_id"] == provider
                    && cell["consumer_department_id"] == consumer
            })
            .unwrap()
    };
    assert_eq!(find(a, b)["services"][0]["name"], "Reports");
    assert_eq!(find(a, b)["agreement"]["status"], "draft");
    assert_eq!(find(b, a)["services"], json!([]), "A → B is not B → A");
    assert_eq!(find(b, a)["agreement"], json!(null));
    assert_eq!(matrix["summary"]["drafts"], 1);
    assert_eq!(matrix["summary"]["cells_with_services"], 1);

    for bad in ["window_days=0", "window_days=1000", "window_days=ninety"] {
        expect_status(
            app.get(&app.member, &format!("/api/v1/matrix?{bad}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let theirs = app.read(&app.outsider, "/api/v1/matrix").await;
    assert_eq!(
        theirs["cells"],
        json!([]),
        "another organization sees none of our departments"
    );
}

#[tokio::test]
async fn an_agreement_not_reviewed_within_its_cadence_is_overdue() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let body = json!({ "provider_department_id": id_of(&cell.provider), "consumer_department_id": id_of(&cell.consumer), "review_cadence": "monthly" });
    let agreement = app.create(&app.lead, "/api/v1/agreements", &body).await;
    let id = id_of(&agreement);
    let scoped = app.store.scoped(app.admin.organization);
    scoped
        .propose_agreement(id, app.lead.id, None)
        .await
        .unwrap();
    let long_ago = jiff::civil::date(2025, 1, 10);
    use roundtable_domain::agreements::Side;
    scoped
        .accept_agreement(
            id,
            app.lead.id,
            vec![Side::Provider, Side::Consumer],
            long_ago,
            None,
        )
        .await
        .unwrap();
    let read = app
        .read(&app.member, &format!("/api/v1/agreements/{id}"))
        .await;
    assert_eq!(read["next_review_on"], "2025-02-10");
    assert_eq!(read["review_overdue"], true);
    let matrix = app.read(&app.member, "/api/v1/matrix").await;
    assert_eq!(matrix["summary"]["reviews_overdue"], 1);
    let reviewed = app
        .post(
            &cell.consumer_lead,
            &format!("/api/v1/agreements/{id}/reviews"),
            &json!({}),
        )
        .await;
    expect_status(reviewed, StatusCode::CREATED).await;
    let read = app
        .read(&app.member, &format!("/api/v1/agreements/{id}"))
        .await;
    assert_eq!(read["review_overdue"], false);
}

#[tokio::test]
async fn both_leads_accepting_at_the_same_moment_agree_the_agreement() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let body = json!({ "provider_department_id": id_of(&cell.provider), "consumer_department_id": id_of(&cell.consumer),
                       "obligations": [{ "description": "Feedback on every lead", "due_within_business_days": 5 }] });
    let agreement = app.create(&app.lead, "/api/v1/agreements", &body).await;
    let id = id_of(&agreement);
    expect_status(
        transition(&app, &app.lead, id, "propose").await,
        StatusCode::OK,
    )
    .await;
    let (provider, consumer) = tokio::join!(
        transition(&app, &app.lead, id, "accept"),
        transition(&app, &cell.consumer_lead, id, "accept")
    );
    assert_eq!(
        (provider.status(), consumer.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let read = app
        .read(&app.member, &format!("/api/v1/agreements/{id}"))
        .await;
    assert_eq!(read["status"], "agreed", "neither acceptance was lost");
    assert_eq!(read["agreed_version"], 1);
}

/// What intake and the matrix read is kept in memory between writes; a write
/// through the API must be seen by the very next read, never a stale copy.
#[tokio::test]
async fn the_matrix_and_intake_see_every_change_on_the_next_read() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let services_in_cell = |matrix: &Value| {
        matrix["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|candidate| {
                candidate["provider_department_id"] == id_of(&cell.provider)
                    && candidate["consumer_department_id"] == id_of(&cell.consumer)
            })
            .map(|found| found["services"].as_array().unwrap().len())
            .unwrap()
    };
    let before = app.read(&app.admin, "/api/v1/matrix").await;
    assert_eq!(services_in_cell(&before), 0);

    let service = app
        .create(&app.lead, "/api/v1/services", &leads_service(&cell))
        .await;
    let after = app.read(&app.admin, "/api/v1/matrix").await;
    assert_eq!(services_in_cell(&after), 1, "the new service shows at once");

    let raise = || async {
        let body = json!({
            "service_id": id_of(&service), "title": "Leads for the spring fair",
            "description": "Trade fair in March.", "intake_values": { "region": "EMEA" }
        });
        app.post(&cell.consumer_lead, "/api/v1/requests", &body)
            .await
    };
    let first = expect_status(raise().await, StatusCode::CREATED).await;
    assert_eq!(
        first["clocks"],
        json!(null),
        "no calendar yet, so no clocks"
    );
    let calendar = app.calendar("Marketing hours").await;
    let on_calendar = app
        .patch(
            &app.admin,
            &format!("/api/v1/departments/{}", id_of(&cell.provider)),
            version_of(&cell.provider),
            &json!({ "calendar_id": id_of(&calendar) }),
        )
        .await;
    expect_status(on_calendar, StatusCode::OK).await;
    let read_again = app
        .read(
            &cell.consumer_lead,
            &format!("/api/v1/requests/{}", id_of(&first)),
        )
        .await;
    assert_eq!(
        read_again["clocks"]["fulfilment"]["target_minutes"], 2400,
        "the department's new calendar runs its clocks at once"
    );
    let changed = app
        .patch(
            &app.lead,
            &format!("/api/v1/services/{}", id_of(&service)),
            version_of(&service),
            &json!({ "fulfilment_minutes": 1200 }),
        )
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    let second = expect_status(raise().await, StatusCode::CREATED).await;
    assert_eq!(
        second["clocks"]["fulfilment"]["target_minutes"], 1200,
        "a request raised after the change gets the new target"
    );

    let retired = app
        .patch(
            &app.lead,
            &format!("/api/v1/services/{}", id_of(&service)),
            version_of(&changed),
            &json!({ "active": false }),
        )
        .await;
    expect_status(retired, StatusCode::OK).await;
    assert_eq!(
        problem_fields(&expect_status(raise().await, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["service_id"],
        "a retired service takes no request, however recently it was read"
    );
    let retired_matrix = app.read(&app.admin, "/api/v1/matrix").await;
    assert_eq!(services_in_cell(&retired_matrix), 0);
}

/// The matrix is large and read often: a client that accepts gzip gets it
/// compressed, and a client holding the current version gets `304` until a
/// write changes it.
#[tokio::test]
async fn the_matrix_is_sent_compressed_and_revalidated_by_its_entity_tag() {
    use std::io::Read as _;
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    app.create(&app.lead, "/api/v1/services", &leads_service(&cell))
        .await;
    let get = |accept_encoding: Option<&'static str>, if_none_match: Option<String>| {
        let mut request = app.request(Method::GET, Some(&app.member), "/api/v1/matrix");
        if let Some(value) = accept_encoding {
            request = request.header("Accept-Encoding", value);
        }
        if let Some(value) = if_none_match {
            request = request.header("If-None-Match", value);
        }
        request.send()
    };
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };

    let plain = get(None, None).await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(header(&plain, "vary").as_deref(), Some("accept-encoding"));
    let etag = header(&plain, "etag").expect("an entity tag");
    let plain: Value = plain.json().await.unwrap();
    assert_eq!(plain["cells"].as_array().unwrap().len(), 2);

    let compressed = get(Some("br;q=1.0, gzip;q=0.8"), None).await.unwrap();
    assert_eq!(compressed.status(), StatusCode::OK);
    assert_eq!(
        header(&compressed, "content-encoding").as_deref(),
        Some("gzip")
    );
    assert_eq!(header(&compressed, "etag").as_ref(), Some(&etag));
    let bytes = compressed.bytes().await.unwrap();
    let mut json = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut json)
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), plain);

    let refused = get(Some("gzip;q=0"), None).await.unwrap();
    assert_eq!(header(&refused, "content-encoding"), None);

    let unchanged = get(Some("gzip"), Some(etag.clone())).await.unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&unchanged, "etag").as_ref(), Some(&etag));
    assert!(unchanged.bytes().await.unwrap().is_empty());

    // A write changes the matrix: the old tag no longer matches.
    let mut second = leads_service(&cell);
    second["name"] = json!("Market feedback");
    app.create(&app.lead, "/api/v1/services", &second).await;
    let changed = get(None, Some(etag.clone())).await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, "etag").as_ref(), Some(&etag));
    let changed: Value = changed.json().await.unwrap();
    assert_ne!(changed, plain);

    // Another organization's matrix is another version.
    let theirs = app
        .request(Method::GET, Some(&app.outsider), "/api/v1/matrix")
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::OK);
}

/// A cell's address names two departments; a segment that is not an id is a
/// validation problem naming that parameter, not a bare 400.
#[tokio::test]
async fn a_cell_address_that_is_not_two_ids_names_the_bad_one() {
    let app = TestApp::spawn().await;
    let department = id_of(&app.department("Marketing").await);
    for (path, field) in [
        (
            format!("/api/v1/matrix/cells/true/{department}"),
            "provider_id",
        ),
        (
            format!("/api/v1/matrix/cells/{department}/1.5"),
            "consumer_id",
        ),
        (
            format!("/api/v1/matrix/cells/{department}/-3"),
            "consumer_id",
        ),
    ] {
        let response = app.get(&app.admin, &path).await;
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("application/problem+json"),
            "{path}"
        );
        let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), vec![field.to_owned()], "{path}");
    }
}
