use crate::support::{TestApp, expect_status, id_of, problem_fields, version_of};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn retailers() -> serde_json::Value {
    json!({
        "name": "Mid-market retailers",
        "needs": "Reliable seasonal stock and quick reorders",
        "criteria": ["5 to 50 stores", "Buys outdoor gear twice a year"]
    })
}

/// Creates the retailers segment as the admin and returns its JSON.
async fn create_retailers(app: &TestApp) -> serde_json::Value {
    app.create(&app.admin, "/api/v1/segments", &retailers())
        .await
}

#[tokio::test]
async fn a_segment_describes_the_external_customer() {
    let app = TestApp::spawn().await;
    let created = app.post(&app.admin, "/api/v1/segments", &retailers()).await;
    assert_eq!(created.headers()["etag"], "\"1\"");
    let created = expect_status(created, StatusCode::CREATED).await;
    assert_eq!(created["name"], "Mid-market retailers");
    assert_eq!(
        created["needs"],
        "Reliable seasonal stock and quick reorders"
    );
    assert_eq!(
        created["criteria"],
        json!(["5 to 50 stores", "Buys outdoor gear twice a year"])
    );
    assert_eq!(created["version"], 1);
    let path = format!("/api/v1/segments/{}", id_of(&created));
    let read = app.get(&app.member, &path).await;
    assert_eq!(read.headers()["etag"], "\"1\"");
    assert_eq!(expect_status(read, StatusCode::OK).await, created);

    let changed = app
        .patch(
            &app.admin,
            &path,
            version_of(&created),
            &json!({ "needs": "Fast reorders\nand delivery before the season" }),
        )
        .await;
    assert_eq!(changed.headers()["etag"], "\"2\"");
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(
        changed["needs"],
        "Fast reorders\nand delivery before the season"
    );
    assert_eq!(changed["name"], created["name"], "unchanged fields stay");
    assert_eq!(
        changed["criteria"], created["criteria"],
        "unchanged fields stay"
    );
    assert_eq!(changed["version"], 2);
    let emptied = app
        .patch(
            &app.admin,
            &path,
            2,
            &json!({ "criteria": [], "needs": "" }),
        )
        .await;
    let emptied = expect_status(emptied, StatusCode::OK).await;
    assert_eq!(emptied["criteria"], json!([]));
    assert_eq!(emptied["needs"], "");
    assert_eq!(emptied["name"], created["name"]);

    let listed = app.read(&app.member, "/api/v1/segments").await;
    assert_eq!(listed["items"], json!([emptied]));
    assert_eq!(listed["next_cursor"], json!(null));

    expect_status(app.delete(&app.admin, &path).await, StatusCode::NO_CONTENT).await;
    expect_status(app.get(&app.admin, &path).await, StatusCode::NOT_FOUND).await;
    let listed = app.read(&app.member, "/api/v1/segments").await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn a_segment_a_service_serves_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let created = create_retailers(&app).await;
    let path = format!("/api/v1/segments/{}", id_of(&created));
    let provider = app.department("Marketing").await;
    let consumer = app.department("Sales").await;
    let service = json!({ "provider_department_id": id_of(&provider), "consumer_department_ids": [id_of(&consumer)],
                          "segment_ids": [id_of(&created)], "name": "Leads", "first_response_minutes": 60, "fulfilment_minutes": 600 });
    let service = app.create(&app.admin, "/api/v1/services", &service).await;
    assert_eq!(service["segment_ids"], json!([id_of(&created)]));
    let refused = expect_status(app.delete(&app.admin, &path).await, StatusCode::CONFLICT).await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("services")),
        "the refusal says why: {refused}"
    );
    app.read(&app.admin, &path).await;
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
    let too_many: Vec<String> = (0..51).map(|index| format!("Criterion {index}")).collect();
    let cases = [
        (json!({}), vec!["name"]),
        (json!({ "name": "" }), vec!["name"]),
        (json!({ "name": " " }), vec!["name"]),
        (json!({ "name": ["x"] }), vec!["name"]),
        (json!({ "name": "two\nlines" }), vec!["name"]),
        (json!({ "name": "X", "needs": 5 }), vec!["needs"]),
        (json!({ "name": "X", "criteria": "x" }), vec!["criteria"]),
        (
            json!({ "name": "X", "criteria": ["ok", 7] }),
            vec!["criteria[1]"],
        ),
        (
            json!({ "name": "X", "criteria": ["ok", ""] }),
            vec!["criteria[1]"],
        ),
        (
            json!({ "name": "X", "criteria": ["ok", "two\nlines"] }),
            vec!["criteria[1]"],
        ),
        (
            json!({ "name": "X", "criteria": too_many }),
            vec!["criteria"],
        ),
        (
            json!({ "name": "X", "needs": "n".repeat(4001) }),
            vec!["needs"],
        ),
        (json!({ "name": "X", "needs": "bell\u{7}" }), vec!["needs"]),
        (
            json!({ "name": "", "criteria": [" "] }),
            vec!["name", "criteria[0]"],
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
    let listed = app.read(&app.admin, "/api/v1/segments").await;
    assert_eq!(listed["items"], json!([]), "nothing was half-written");

    let longest = json!({ "name": "Longest", "needs": "n".repeat(4000) });
    app.create(&app.admin, "/api/v1/segments", &longest).await;
    let created = create_retailers(&app).await;
    let duplicate = app.post(&app.admin, "/api/v1/segments", &retailers()).await;
    assert_eq!(
        problem_fields(&expect_status(duplicate, StatusCode::CONFLICT).await),
        ["name"]
    );

    let path = format!("/api/v1/segments/{}", id_of(&created));
    let patches = [
        (json!({ "name": "" }), vec!["name"]),
        (json!({ "criteria": [" "] }), vec!["criteria[0]"]),
        (json!({ "needs": "n".repeat(4001) }), vec!["needs"]),
        (json!({ "colour": "red" }), vec!["colour"]),
    ];
    for (body, fields) in patches {
        let problem = expect_status(
            app.patch(&app.admin, &path, 1, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), fields, "for {body}");
    }
    let renamed = app
        .patch(&app.admin, &path, 1, &json!({ "name": "Longest" }))
        .await;
    assert_eq!(
        problem_fields(&expect_status(renamed, StatusCode::CONFLICT).await),
        ["name"]
    );
    let unchanged = app.read(&app.admin, &path).await;
    assert_eq!(unchanged, created);
}

#[tokio::test]
async fn only_administrators_change_segments_and_only_their_own() {
    let app = TestApp::spawn().await;
    let created = create_retailers(&app).await;
    let path = format!("/api/v1/segments/{}", id_of(&created));
    for user in [&app.member, &app.lead] {
        app.assert_may_not_write(user, "/api/v1/segments", &path)
            .await;
        let listed = app.read(user, "/api/v1/segments").await;
        assert_eq!(listed["items"], json!([created]), "everyone reads");
    }
    let unchanged = app.read(&app.member, &path).await;
    assert_eq!(unchanged, created);

    let intruder = &app.outsider;
    expect_status(app.get(intruder, &path).await, StatusCode::NOT_FOUND).await;
    expect_status(
        app.patch(intruder, &path, 1, &json!({ "name": "Taken" }))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(app.delete(intruder, &path).await, StatusCode::NOT_FOUND).await;
    let theirs = app.read(intruder, "/api/v1/segments").await;
    assert_eq!(theirs["items"], json!([]));
    // The same name is free in another organization.
    let own = app.create(intruder, "/api/v1/segments", &retailers()).await;
    assert_ne!(id_of(&own), id_of(&created));
    let ours = app.read(&app.member, &path).await;
    assert_eq!(ours, created);
}

#[tokio::test]
async fn changing_a_segment_needs_its_current_version() {
    let app = TestApp::spawn().await;
    let created = create_retailers(&app).await;
    let path = format!("/api/v1/segments/{}", id_of(&created));
    let missing = app
        .patch_if_match(&app.admin, &path, None, &json!({ "needs": "x" }))
        .await;
    expect_status(missing, StatusCode::PRECONDITION_REQUIRED).await;
    let malformed = app
        .patch_if_match(&app.admin, &path, Some("*"), &json!({ "needs": "x" }))
        .await;
    let problem = expect_status(malformed, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["If-Match"]);

    let changed = app
        .patch(&app.admin, &path, 1, &json!({ "needs": "First" }))
        .await;
    expect_status(changed, StatusCode::OK).await;
    let stale = app
        .patch(&app.admin, &path, 1, &json!({ "needs": "Second" }))
        .await;
    expect_status(stale, StatusCode::PRECONDITION_FAILED).await;
    let stale_delete = app
        .request(Method::DELETE, Some(&app.admin), &path)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    expect_status(stale_delete, StatusCode::PRECONDITION_FAILED).await;
    let current = app.read(&app.admin, &path).await;
    assert_eq!(current["needs"], "First");
    assert_eq!(current["version"], 2);

    let delete = app
        .request(Method::DELETE, Some(&app.admin), &path)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    expect_status(delete, StatusCode::NO_CONTENT).await;
}

#[tokio::test]
async fn segment_changes_are_in_the_audit_log() {
    let app = TestApp::spawn().await;
    let created = create_retailers(&app).await;
    let path = format!("/api/v1/segments/{}", id_of(&created));
    let changed = app
        .patch(
            &app.admin,
            &path,
            1,
            &json!({ "name": "Retailers", "criteria": [] }),
        )
        .await;
    expect_status(changed, StatusCode::OK).await;
    expect_status(app.delete(&app.admin, &path).await, StatusCode::NO_CONTENT).await;

    let log = app.read(&app.admin, "/api/v1/audit-log").await;
    let ours: Vec<_> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["subject_kind"] == "segment")
        .collect();
    let actions: Vec<_> = ours.iter().map(|entry| entry["action"].clone()).collect();
    assert_eq!(
        actions,
        ["segment.deleted", "segment.updated", "segment.created"],
        "{log}"
    );
    assert_eq!(ours[1]["detail"], "changed name, criteria");
    for entry in &ours {
        assert_eq!(entry["actor_person_id"], app.admin.id.0);
        assert_eq!(entry["subject_id"], id_of(&created));
    }
}
