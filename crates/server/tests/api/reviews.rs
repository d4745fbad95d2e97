//! Alignment reviews and their generated agenda: each section picks the
//! right items from a prepared data set, and sections without data are
//! present and empty.

use crate::support::{TestApp, expect_status, id_of, problem_fields, version_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    app.create(&app.admin, path, &body).await
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(id_of).collect()
}

#[tokio::test]
async fn the_agenda_picks_the_right_items_from_the_data() {
    let app = TestApp::spawn().await;
    let sales = id_of(&app.department("Sales").await);
    let seller = app.add_member("seller@acme.test", sales).await;

    // 2020-Q1 is over: whatever is not done is off track.
    let behind = created(
        &app,
        "/api/v1/objectives",
        json!({ "period": "2020-Q1", "title": "Behind", "category": "revenue" }),
    )
    .await;
    created(
        &app,
        "/api/v1/measures",
        json!({ "objective_id": id_of(&behind), "name": "Revenue", "direction": "increase",
        "baseline": 100, "target": 200, "current": 110 }),
    )
    .await;
    let done = created(
        &app,
        "/api/v1/objectives",
        json!({ "period": "2020-Q1", "title": "Done", "category": "referrals" }),
    )
    .await;
    created(
        &app,
        "/api/v1/measures",
        json!({ "objective_id": id_of(&done), "name": "Referrals", "direction": "increase",
        "baseline": 0, "target": 10, "current": 10 }),
    )
    .await;
    created(
        &app,
        "/api/v1/objectives",
        json!({ "period": "2020-Q1", "title": "No measures yet", "category": "other" }),
    )
    .await;
    let elsewhere = created(
        &app,
        "/api/v1/objectives",
        json!({ "period": "2020-Q2", "title": "Another period", "category": "revenue" }),
    )
    .await;
    created(
        &app,
        "/api/v1/measures",
        json!({ "objective_id": id_of(&elsewhere), "name": "Revenue", "direction": "increase",
        "baseline": 100, "target": 200 }),
    )
    .await;

    // Topics: three open with votes, one discussed with the most votes (not open).
    let mut topics = Vec::new();
    for (title, votes) in [
        ("One vote", 1),
        ("Three votes", 3),
        ("Two votes", 2),
        ("Discussed", 4),
    ] {
        let topic = app
            .create(
                &seller,
                "/api/v1/topics",
                &json!({ "kind": "suggestion", "title": title }),
            )
            .await;
        let voters = [&app.admin, &app.lead, &app.member, &seller];
        for voter in voters.iter().take(votes) {
            app.post(
                voter,
                &format!("/api/v1/topics/{}/votes", id_of(&topic)),
                &json!({}),
            )
            .await;
        }
        topics.push(topic);
    }
    let discussed = &topics[3];
    expect_status(
        app.patch(
            &app.admin,
            &format!("/api/v1/topics/{}", id_of(discussed)),
            version_of(discussed),
            &json!({ "status": "discussed" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // Actions: one long overdue, one recently overdue, one done late, one not yet due.
    let mut actions = Vec::new();
    for due in ["2020-01-10", "2021-06-01", "2020-01-01", "2999-01-01"] {
        actions.push(created(&app, "/api/v1/actions", json!({ "title": format!("Due {due}"), "owner_person_id": app.member.id.0, "due_on": due })).await);
    }
    let finished = &actions[2];
    expect_status(
        app.patch(
            &app.admin,
            &format!("/api/v1/actions/{}", id_of(finished)),
            version_of(finished),
            &json!({ "status": "done" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let review = created(
        &app,
        "/api/v1/reviews",
        json!({ "period": "2020-Q1", "decisions": ["Fund the shared lead form"] }),
    )
    .await;
    let agenda = app
        .read(
            &app.member,
            &format!("/api/v1/reviews/{}/agenda", id_of(&review)),
        )
        .await;
    assert_eq!(agenda["period"], "2020-Q1");
    assert_eq!(ids(&agenda["off_track_objectives"]), [id_of(&behind)]);
    assert_eq!(agenda["off_track_objectives"][0]["status"], "off_track");
    assert_eq!(
        ids(&agenda["top_voted_open_topics"]),
        [id_of(&topics[1]), id_of(&topics[2]), id_of(&topics[0])]
    );
    assert_eq!(
        ids(&agenda["overdue_actions"]),
        [id_of(&actions[0]), id_of(&actions[1])]
    );
    // Health and perception gaps arrive with relationship health: present, empty.
    assert_eq!(agenda["lowest_health_cells"], json!([]));
    assert_eq!(agenda["largest_perception_gaps"], json!([]));

    // Decisions and actions of the review.
    let action = created(
        &app,
        "/api/v1/actions",
        json!({ "title": "Brief the board", "owner_person_id": app.lead.id.0,
        "due_on": "2999-02-01", "review_id": id_of(&review) }),
    )
    .await;
    let read = app
        .read(&app.member, &format!("/api/v1/reviews/{}", id_of(&review)))
        .await;
    assert_eq!(read["decisions"], json!(["Fund the shared lead form"]));
    assert_eq!(ids(&read["actions"]), [id_of(&action)]);
    let updated = app
        .patch(
            &app.admin,
            &format!("/api/v1/reviews/{}", id_of(&review)),
            version_of(&read),
            &json!({ "decisions": ["Fund it", ""], "held_on": "2020-04-02" }),
        )
        .await;
    let problem = expect_status(updated, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["decisions[1]"]);
}

#[tokio::test]
async fn reviews_are_for_executives_and_stay_in_their_organization() {
    let app = TestApp::spawn().await;
    let refused = app
        .post(
            &app.lead,
            "/api/v1/reviews",
            &json!({ "period": "2027-Q1" }),
        )
        .await;
    expect_status(refused, StatusCode::FORBIDDEN).await;
    let bad = app
        .post(
            &app.admin,
            "/api/v1/reviews",
            &json!({ "period": "soon", "held_on": "yesterday" }),
        )
        .await;
    let problem = expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["period", "held_on"]);
    let review = created(&app, "/api/v1/reviews", json!({ "period": "2027-Q1" })).await;
    for path in [
        format!("/api/v1/reviews/{}", id_of(&review)),
        format!("/api/v1/reviews/{}/agenda", id_of(&review)),
    ] {
        expect_status(app.get(&app.outsider, &path).await, StatusCode::NOT_FOUND).await;
    }
}
