use crate::support::{TestApp, expect_status, id_of, problem_fields, version_of};
use reqwest::StatusCode;
use serde_json::json;

fn retailers() -> serde_json::Value {
    json!({
        "name": "Mid-market retailers",
        "needs": "Reliable seasonal stock and quick reorders",
        "criteria": ["5 to 50 stores", "Buys outdoor gear twice a year"]
    })
}

#[tokio::test]
async fn a_segment_describes_the_external_customer() {
    let app = TestApp::spawn().await;
    let created = expect_status(
        app.post(&app.admin, "/api/v1/segments", &retailers()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        created["criteria"],
        json!(["5 to 50 stores", "Buys outdoor gear twice a year"])
    );
    let path = format!("/api/v1/segments/{}", id_of(&created));
    let read = app.get(&app.member, &path).await;
    assert_eq!(read.headers()["etag"], "\"1\"");
    assert_eq!(expect_status(read, StatusCode::OK).await, created);
    let changed = app
        .patch(
            &app.admin,
            &path,
            version_of(&created),
            &json!({ "needs": "Fast reorders" }),
        )
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(changed["needs"], "Fast reorders");
    assert_eq!(
        changed["criteria"], created["criteria"],
        "unchanged fields stay"
    );
    expect_status(
        app.patch(&app.admin, &path, 1, &json!({ "needs": "x" }))
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;

    // A segment a service serves cannot be deleted.
    let provider = app.department("Marketing").await;
    let consumer = app.department("Sales").await;
    let service = json!({ "provider_department_id": id_of(&provider), "consumer_department_ids": [id_of(&consumer)],
                          "segment_ids": [id_of(&created)], "name": "Leads", "first_response_minutes": 60, "fulfilment_minutes": 600 });
    let service = expect_status(
        app.post(&app.admin, "/api/v1/services", &service).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(service["segment_ids"], json!([id_of(&created)]));
    expect_status(app.delete(&app.admin, &path).await, StatusCode::CONFLICT).await;
    let retarget = app
        .patch(
            &app.admin,
            &format!("/api/v1/services/{}", id_of(&service)),
            1,
            &json!({ "segment_ids": [] }),
        )
        .await;
    expect_status(retarget, StatusCode::OK).await;
    expect_status(app.delete(&app.admin, &path).await, StatusCode::NO_CONTENT).await;
    expect_status(app.get(&app.admin, &path).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn invalid_segments_are_refused_field_by_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({}), vec!["name"]),
        (json!({ "name": " " }), vec!["name"]),
        (json!({ "name": ["x"] }), vec!["name"]),
        (
            json!({ "name": "X", "criteria": ["ok", ""] }),
            vec!["criteria[1]"],
        ),
        (
            json!({ "name": "X", "needs": "n".repeat(5000) }),
            vec!["needs"],
        ),
        (json!({ "name": "X", "size": 3 }), vec!["size"]),
    ];
    for (body, fields) in cases {
        let problem = expect_status(
            app.post(&app.admin, "/api/v1/segments", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), fields, "for {body}");
    }
    expect_status(
        app.post(&app.admin, "/api/v1/segments", &retailers()).await,
        StatusCode::CREATED,
    )
    .await;
    let duplicate = app.post(&app.admin, "/api/v1/segments", &retailers()).await;
    assert_eq!(
        problem_fields(&expect_status(duplicate, StatusCode::CONFLICT).await),
        ["name"]
    );
}

#[tokio::test]
async fn only_administrators_change_segments_and_only_their_own() {
    let app = TestApp::spawn().await;
    let created = expect_status(
        app.post(&app.admin, "/api/v1/segments", &retailers()).await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/api/v1/segments/{}", id_of(&created));
    for user in [&app.member, &app.lead] {
        expect_status(
            app.post(user, "/api/v1/segments", &json!({ "name": "Mine" }))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        expect_status(
            app.patch(user, &path, 1, &json!({ "name": "Mine" })).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        expect_status(app.delete(user, &path).await, StatusCode::FORBIDDEN).await;
    }
    let intruder = &app.outsider;
    expect_status(app.get(intruder, &path).await, StatusCode::NOT_FOUND).await;
    expect_status(
        app.patch(intruder, &path, 1, &json!({ "name": "Taken" }))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(app.delete(intruder, &path).await, StatusCode::NOT_FOUND).await;
    let theirs = expect_status(app.get(intruder, "/api/v1/segments").await, StatusCode::OK).await;
    assert_eq!(theirs["items"], json!([]));
    let ours = expect_status(app.get(&app.member, &path).await, StatusCode::OK).await;
    assert_eq!(ours["version"], 1);
}
