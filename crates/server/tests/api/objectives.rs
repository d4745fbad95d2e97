//! Objectives, mutual measures with check-ins, goals: validation naming the
//! field, derived progress and status, recognition of a reached mutual target,
//! and nothing visible to another organization.

use crate::support::{TestApp, expect_status, id_of, problem_fields, version_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The current quarter, so statuses are judged against a running period.
fn current_quarter() -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1)
}

async fn objective(app: &TestApp, period: &str) -> Value {
    let response = app
        .post(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": period, "title": "Grow repeat business", "category": "repeat_business" }),
        )
        .await;
    expect_status(response, StatusCode::CREATED).await
}

#[tokio::test]
async fn measures_validate_their_numbers_naming_the_field() {
    let app = TestApp::spawn().await;
    let objective = objective(&app, &current_quarter()).await;
    let equal = app
        .post(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "Repeat orders", "direction": "increase",
                     "baseline": 20, "target": 20 }),
        )
        .await;
    let problem = expect_status(equal, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["target"]);

    let several = app
        .post(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": 0, "name": "", "direction": "sideways", "baseline": 1, "target": 2,
                     "contributors": [{ "department_id": 1, "statement": "" }] }),
        )
        .await;
    let problem = expect_status(several, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields = problem_fields(&problem);
    for field in [
        "objective_id",
        "name",
        "direction",
        "contributors[0].statement",
    ] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }

    let bad_period = app
        .post(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": "2027-Q5", "title": "x", "category": "profit" }),
        )
        .await;
    let problem = expect_status(bad_period, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["period", "category"]);

    let member = app
        .post(
            &app.member,
            "/api/v1/objectives",
            &json!({ "period": "2027-Q1", "title": "Mine", "category": "other" }),
        )
        .await;
    expect_status(member, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_mutual_measure_reaching_its_target_credits_every_department_once() {
    let app = TestApp::spawn().await;
    let sales = id_of(&app.department("Sales").await);
    let marketing = id_of(&app.department("Marketing").await);
    let seller = app.add_member("seller@acme.test", sales).await;
    let objective = objective(&app, &current_quarter()).await;
    let measure = app
        .post(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "Lead conversion", "unit": "%",
                     "direction": "increase", "baseline": 20, "target": 30,
                     "contributors": [
                         { "department_id": sales, "statement": "Sales follows up every lead within a day" },
                         { "department_id": marketing, "statement": "Marketing qualifies leads by the agreed criteria" }
                     ] }),
        )
        .await;
    let measure = expect_status(measure, StatusCode::CREATED).await;
    assert_eq!(measure["mutual"], true);
    assert_eq!(measure["progress"], 0.0);
    assert_eq!(measure["contributors"].as_array().map(Vec::len), Some(2));
    let path = format!("/api/v1/measures/{}/checkins", id_of(&measure));

    // Someone outside the contributing departments cannot check in.
    let outsider = app.post(&app.member, &path, &json!({ "value": 25 })).await;
    expect_status(outsider, StatusCode::FORBIDDEN).await;

    let halfway = app
        .post(&seller, &path, &json!({ "value": 25, "note": "Half way" }))
        .await;
    let halfway = expect_status(halfway, StatusCode::CREATED).await;
    assert_eq!(halfway["measure"]["progress"], 0.5);
    assert_eq!(halfway["measure"]["current"], 25.0);
    assert_eq!(halfway["credited_department_ids"], json!([]));

    let reached = app
        .post(
            &seller,
            &path,
            &json!({ "value": 31, "note": "Done together" }),
        )
        .await;
    let reached = expect_status(reached, StatusCode::CREATED).await;
    assert_eq!(reached["measure"]["progress"], 1.0);
    assert_eq!(reached["measure"]["target_reached"], true);
    let mut credited: Vec<i64> = reached["credited_department_ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    credited.sort_unstable();
    let mut expected = vec![sales, marketing];
    expected.sort_unstable();
    assert_eq!(credited, expected);

    // Falling back and reaching it again credits nobody a second time.
    app.post(&seller, &path, &json!({ "value": 28 })).await;
    let again = app.post(&seller, &path, &json!({ "value": 32 })).await;
    let again = expect_status(again, StatusCode::CREATED).await;
    assert_eq!(again["credited_department_ids"], json!([]));

    let history = app.read(&app.member, &path).await;
    let values: Vec<f64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|checkin| checkin["value"].as_f64())
        .collect();
    assert_eq!(values, [25.0, 31.0, 28.0, 32.0]);
    assert_eq!(history["items"][0]["author_person_id"], seller.id.0);

    let future = app
        .post(
            &seller,
            &path,
            &json!({ "value": 1, "recorded_on": "2999-01-01" }),
        )
        .await;
    let problem = expect_status(future, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["recorded_on"]);

    let objective = app
        .read(
            &app.member,
            &format!("/api/v1/objectives/{}", id_of(&objective)),
        )
        .await;
    assert_eq!(objective["progress"], 1.0);
    assert_eq!(objective["status"], "on_track");
}

#[tokio::test]
async fn a_decreasing_measure_behind_at_the_end_of_its_period_is_off_track() {
    let app = TestApp::spawn().await;
    let objective = objective(&app, "2020-Q1").await;
    let measure = app
        .post(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "Returns", "unit": "%",
                     "direction": "decrease", "baseline": 8, "target": 4, "current": 7 }),
        )
        .await;
    let measure = expect_status(measure, StatusCode::CREATED).await;
    assert_eq!(measure["progress"], 0.25);
    assert_eq!(measure["status"], "off_track");
    assert_eq!(measure["mutual"], false);
    let listed = app
        .read(&app.admin, "/api/v1/objectives?period=2020-Q1")
        .await;
    assert_eq!(listed["items"][0]["status"], "off_track");
    assert_eq!(listed["items"][0]["elapsed_share"], 1.0);
}

#[tokio::test]
async fn goals_without_an_objective_are_flagged_unaligned() {
    let app = TestApp::spawn().await;
    let sales = app.department("Sales").await;
    let objective = objective(&app, "2027-Q1").await;
    let aligned = app
        .post(
            &app.admin,
            "/api/v1/goals",
            &json!({ "department_id": id_of(&sales), "objective_id": id_of(&objective), "period": "2027-Q1",
                     "title": "Answer every lead within a day" }),
        )
        .await;
    let aligned = expect_status(aligned, StatusCode::CREATED).await;
    assert_eq!(aligned["unaligned"], false);
    let unaligned = app
        .post(
            &app.admin,
            "/api/v1/goals",
            &json!({ "department_id": id_of(&sales), "period": "2027-Q1", "title": "Repaint the office" }),
        )
        .await;
    let unaligned = expect_status(unaligned, StatusCode::CREATED).await;
    assert_eq!(unaligned["unaligned"], true);

    let listed = app.read(&app.admin, "/api/v1/goals?unaligned=true").await;
    let ids: Vec<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, [id_of(&unaligned)]);

    let path = format!("/api/v1/goals/{}", id_of(&unaligned));
    let linked = app
        .patch(
            &app.admin,
            &path,
            version_of(&unaligned),
            &json!({ "objective_id": id_of(&objective) }),
        )
        .await;
    let linked = expect_status(linked, StatusCode::OK).await;
    assert_eq!(linked["unaligned"], false);
    let stale = app
        .patch(
            &app.admin,
            &path,
            version_of(&unaligned),
            &json!({ "objective_id": null }),
        )
        .await;
    expect_status(stale, StatusCode::PRECONDITION_FAILED).await;
    let by_member = app
        .post(
            &app.member,
            "/api/v1/goals",
            &json!({ "department_id": id_of(&sales), "period": "2027-Q1", "title": "Mine" }),
        )
        .await;
    expect_status(by_member, StatusCode::FORBIDDEN).await;
    let missing_department = app
        .post(
            &app.admin,
            "/api/v1/goals",
            &json!({ "department_id": 9999, "period": "2027-Q1", "title": "Nowhere" }),
        )
        .await;
    let problem = expect_status(missing_department, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["department_id"]);
    expect_status(app.delete(&app.admin, &path).await, StatusCode::NO_CONTENT).await;
    expect_status(app.get(&app.admin, &path).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn another_organization_cannot_read_our_objectives_measures_or_goals() {
    let app = TestApp::spawn().await;
    let sales = app.department("Sales").await;
    let objective = objective(&app, "2027-Q1").await;
    let measure = app
        .post(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "NPS", "direction": "increase",
                     "baseline": 10, "target": 40 }),
        )
        .await;
    let measure = expect_status(measure, StatusCode::CREATED).await;
    let goal = app
        .post(
            &app.admin,
            "/api/v1/goals",
            &json!({ "department_id": id_of(&sales), "period": "2027-Q1", "title": "Ours" }),
        )
        .await;
    let goal = expect_status(goal, StatusCode::CREATED).await;
    for path in [
        format!("/api/v1/objectives/{}", id_of(&objective)),
        format!("/api/v1/measures/{}", id_of(&measure)),
        format!("/api/v1/measures/{}/checkins", id_of(&measure)),
        format!("/api/v1/goals/{}", id_of(&goal)),
    ] {
        expect_status(app.get(&app.outsider, &path).await, StatusCode::NOT_FOUND).await;
    }
    let checkin = app
        .post(
            &app.outsider,
            &format!("/api/v1/measures/{}/checkins", id_of(&measure)),
            &json!({ "value": 40 }),
        )
        .await;
    expect_status(checkin, StatusCode::NOT_FOUND).await;
    let foreign_objective = app
        .post(
            &app.outsider,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "Theirs", "direction": "increase",
                     "baseline": 1, "target": 2 }),
        )
        .await;
    let problem = expect_status(foreign_objective, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["objective_id"]);
    let listed = app.read(&app.outsider, "/api/v1/objectives").await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn the_openapi_document_describes_the_alignment_surface() {
    let app = TestApp::spawn().await;
    let document = expect_status(
        app.request(reqwest::Method::GET, None, "/api/v1/openapi.json")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let paths = document["paths"].as_object().unwrap();
    let expected: [(&str, &[&str]); 17] = [
        ("/api/v1/objectives", &["get", "post"]),
        ("/api/v1/objectives/{id}", &["get", "patch", "delete"]),
        ("/api/v1/measures", &["get", "post"]),
        ("/api/v1/measures/{id}", &["get", "patch"]),
        ("/api/v1/measures/{id}/checkins", &["get", "post"]),
        ("/api/v1/goals", &["get", "post"]),
        ("/api/v1/goals/{id}", &["get", "patch", "delete"]),
        ("/api/v1/reviews", &["get", "post"]),
        ("/api/v1/reviews/{id}/agenda", &["get"]),
        ("/api/v1/topics", &["get", "post"]),
        ("/api/v1/topics/{id}/votes", &["post", "delete"]),
        ("/api/v1/topics/{id}/answer", &["post"]),
        ("/api/v1/sessions", &["get", "post"]),
        ("/api/v1/actions", &["get", "post"]),
        ("/api/v1/enhancements", &["get", "post"]),
        ("/api/v1/enhancements/{id}/sponsor", &["post"]),
        ("/api/v1/kudos", &["get", "post"]),
    ];
    for (path, methods) in expected {
        for method in methods {
            assert!(
                paths.get(path).and_then(|item| item.get(method)).is_some(),
                "{method} {path}"
            );
        }
    }
    let cell = &document["components"]["schemas"]["MatrixCell"]["properties"];
    assert!(cell["kudos"].is_object(), "matrix cells carry kudos");
}
