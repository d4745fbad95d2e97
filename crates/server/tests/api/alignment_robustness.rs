//! Objectives, the round table, kudos and reviews: bad input of every shape
//! gets a clear 4xx problem, never a 5xx.

use crate::robustness::hostile_values_of_every_type;
use crate::support::{TestApp, expect_status, id_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Values of every type for every field, with a huge number, a long text,
/// an injection attempt and a reference of the wrong kind.
fn hostile_values() -> Vec<Value> {
    let mut values = hostile_values_of_every_type();
    values.extend([
        json!(1.5e300),
        json!("x".repeat(5000)),
        json!("'; DROP TABLE topics; --"),
        json!({ "kind": "request", "id": -1 }),
    ]);
    values
}

#[tokio::test]
async fn no_input_of_any_shape_causes_a_server_error() {
    let app = TestApp::spawn().await;
    let sales = id_of(&app.department("Sales").await);
    let objective = app
        .create(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": "2027-Q1", "title": "Base", "category": "other" }),
        )
        .await;
    let measure = app
        .create(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "Base",
            "direction": "increase", "baseline": 0, "target": 1 }),
        )
        .await;
    let topic = app
        .create(
            &app.admin,
            "/api/v1/topics",
            &json!({ "kind": "assumption", "title": "Base",
            "from_department_id": sales, "about_department_id": sales }),
        )
        .await;
    let paths = [
        "/api/v1/objectives".to_owned(),
        "/api/v1/measures".to_owned(),
        format!("/api/v1/measures/{}/checkins", id_of(&measure)),
        "/api/v1/goals".to_owned(),
        "/api/v1/topics".to_owned(),
        format!("/api/v1/topics/{}/answer", id_of(&topic)),
        format!("/api/v1/topics/{}/comments", id_of(&topic)),
        "/api/v1/sessions".to_owned(),
        "/api/v1/actions".to_owned(),
        "/api/v1/enhancements".to_owned(),
        "/api/v1/kudos".to_owned(),
        "/api/v1/reviews".to_owned(),
    ];
    let fields = [
        "period",
        "title",
        "description",
        "category",
        "owner_person_id",
        "objective_id",
        "name",
        "unit",
        "direction",
        "baseline",
        "target",
        "current",
        "contributors",
        "value",
        "note",
        "recorded_on",
        "department_id",
        "kind",
        "body",
        "mirror",
        "from_department_id",
        "about_department_id",
        "anonymous",
        "service_id",
        "request_ids",
        "answer",
        "scheduled_at",
        "facilitator_person_id",
        "topic_ids",
        "agenda_size",
        "owner_person_id",
        "due_on",
        "topic_id",
        "session_id",
        "review_id",
        "department_ids",
        "receiver_person_id",
        "receiver_department_id",
        "message",
        "link",
        "value_tag",
        "held_on",
        "decisions",
    ];
    let base = json!({ "period": "2027-Q1", "title": "Base", "category": "other", "objective_id": id_of(&objective),
        "name": "Base", "direction": "increase", "baseline": 0, "target": 1, "value": 1, "kind": "suggestion",
        "from_department_id": sales, "answer": "confirmed", "body": "Base", "scheduled_at": "2027-01-01T10:00:00Z",
        "owner_person_id": app.member.id.0, "due_on": "2027-02-01", "department_ids": [sales, sales],
        "receiver_department_id": sales, "message": "Thanks", "department_id": sales });
    let mut checked = 0;
    for path in &paths {
        for field in fields {
            for value in hostile_values() {
                let mut body = base.clone();
                body[field] = value;
                let response = app.post(&app.admin, path, &body).await;
                let status = response.status();
                assert!(
                    !status.is_server_error(),
                    "{path} {field} -> {status}: {}",
                    response.text().await.unwrap()
                );
                checked += 1;
            }
        }
        let malformed = app
            .request(Method::POST, Some(&app.admin), path)
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .unwrap();
        expect_status(malformed, StatusCode::BAD_REQUEST).await;
    }
    assert!(checked > 7000);
    for query in [
        "/api/v1/objectives?period=x",
        "/api/v1/goals?unaligned=maybe",
        "/api/v1/topics?status=closed&kind=rant",
        "/api/v1/actions?overdue=perhaps&status=x",
        "/api/v1/enhancements?status=approved",
        "/api/v1/kudos?limit=0",
        "/api/v1/measures?objective_id=abc",
        "/api/v1/reviews?cursor=forged",
    ] {
        expect_status(
            app.get(&app.admin, query).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
}
