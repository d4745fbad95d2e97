use crate::support::{TestApp, expect_status, id_of, version_of};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn of_two_updates_from_the_same_version_one_wins_and_one_gets_412() {
    let app = TestApp::spawn().await;
    let department = app.department("Finance").await;
    let path = format!("/api/v1/departments/{}", id_of(&department));
    let version = version_of(&department);
    let (body_a, body_b) = (
        json!({ "name": "Finance A" }),
        json!({ "name": "Finance B" }),
    );
    let (first, second) = tokio::join!(
        app.patch(&app.admin, &path, version, &body_a),
        app.patch(&app.admin, &path, version, &body_b),
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let loser = if first.status() == StatusCode::PRECONDITION_FAILED {
        first
    } else {
        second
    };
    let problem = expect_status(loser, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(problem["current_version"], version + 1);
    let now = app.read(&app.admin, &path).await;
    assert_eq!(now["version"], version + 1);
}

#[tokio::test]
async fn updates_without_if_match_are_refused() {
    let app = TestApp::spawn().await;
    let department = app.department("Finance").await;
    let path = format!("/api/v1/departments/{}", id_of(&department));
    let missing = app
        .patch_if_match(&app.admin, &path, None, &json!({ "name": "X" }))
        .await;
    expect_status(missing, StatusCode::PRECONDITION_REQUIRED).await;
    let malformed = app
        .patch_if_match(
            &app.admin,
            &path,
            Some("yesterday"),
            &json!({ "name": "X" }),
        )
        .await;
    expect_status(malformed, StatusCode::UNPROCESSABLE_ENTITY).await;
    let stale = app
        .patch(&app.admin, &path, 7, &json!({ "name": "X" }))
        .await;
    expect_status(stale, StatusCode::PRECONDITION_FAILED).await;
    let weak = app
        .patch_if_match(
            &app.admin,
            &path,
            Some("W/\"1\""),
            &json!({ "name": "Weakly matched" }),
        )
        .await;
    expect_status(weak, StatusCode::OK).await;
}
