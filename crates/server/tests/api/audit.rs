use crate::support::{TestApp, expect_status, id_of, version_of};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn administrative_changes_are_in_the_audit_log_with_who_made_them() {
    let app = TestApp::spawn().await;
    let department = app.department("Finance").await;
    let path = format!("/api/v1/departments/{}", id_of(&department));
    let changed = app
        .patch(
            &app.admin,
            &path,
            version_of(&department),
            &json!({ "name": "Group Finance" }),
        )
        .await;
    expect_status(changed, StatusCode::OK).await;
    let refused = app
        .post(&app.admin, "/api/v1/departments", &json!({ "name": "" }))
        .await;
    expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;

    let log = app.read(&app.admin, "/api/v1/audit-log").await;
    let ours: Vec<_> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["subject_kind"] == "department")
        .collect();
    assert_eq!(ours.len(), 2, "a refused change leaves no entry: {log}");
    assert_eq!(ours[0]["action"], "department.updated");
    assert_eq!(ours[0]["detail"], "changed name");
    assert_eq!(ours[1]["action"], "department.created");
    for entry in &ours {
        assert_eq!(entry["actor_person_id"], app.admin.id.0);
        assert_eq!(entry["subject_id"], id_of(&department));
    }

    expect_status(
        app.get(&app.member, "/api/v1/audit-log").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let theirs = app.read(&app.outsider, "/api/v1/audit-log").await;
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["subject_kind"] != "department"),
        "another organization's log holds none of ours: {theirs}"
    );

    let first = app.read(&app.admin, "/api/v1/audit-log?limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .read(
            &app.admin,
            &format!("/api/v1/audit-log?limit=1&cursor={cursor}"),
        )
        .await;
    assert!(
        id_of(&second["items"][0]) < id_of(&first["items"][0]),
        "newest first"
    );
}
