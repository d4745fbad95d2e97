use crate::support::{TestApp, expect_status, id_of, problem_fields, version_of};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_department_can_be_created_read_changed_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let calendar = app.calendar("Berlin").await;
    let lead = app.lead.id.0;
    let created = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Customer Service", "customer_facing": true, "calendar_id": id_of(&calendar), "lead_ids": [lead] }),
        )
        .await;
    assert!(created.headers().get("etag").is_some());
    let created = expect_status(created, StatusCode::CREATED).await;
    assert_eq!(created["slug"], "customer-service");
    assert_eq!(created["customer_facing"], true);
    assert_eq!(created["lead_ids"], json!([lead]));
    let id = id_of(&created);

    let read = app
        .get(&app.member, &format!("/api/v1/departments/{id}"))
        .await;
    assert_eq!(read.headers()["etag"], "\"1\"");
    assert_eq!(expect_status(read, StatusCode::OK).await, created);

    let parent = app.department("Operations").await;
    let changed = app
        .patch(
            &app.admin,
            &format!("/api/v1/departments/{id}"),
            version_of(&created),
            &json!({ "name": "Service", "parent_id": id_of(&parent), "lead_ids": [] }),
        )
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(changed["name"], "Service");
    assert_eq!(
        changed["slug"], "customer-service",
        "an unchanged field stays"
    );
    assert_eq!(changed["parent_id"], id_of(&parent));
    assert_eq!(changed["lead_ids"], json!([]));
    assert_eq!(changed["version"], 2);

    let cleared = app
        .patch(
            &app.admin,
            &format!("/api/v1/departments/{id}"),
            2,
            &json!({ "parent_id": null }),
        )
        .await;
    assert_eq!(
        expect_status(cleared, StatusCode::OK).await["parent_id"],
        json!(null)
    );

    let listed = app.read(&app.admin, "/api/v1/departments").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    expect_status(
        app.delete(&app.admin, &format!("/api/v1/departments/{id}"))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_status(
        app.get(&app.admin, &format!("/api/v1/departments/{id}"))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn invalid_departments_are_refused_field_by_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({}), vec!["name"]),
        (json!({ "name": "" }), vec!["name"]),
        (json!({ "name": 42 }), vec!["name"]),
        (
            json!({ "name": "Sales", "slug": "Sales Team" }),
            vec!["slug"],
        ),
        (json!({ "name": "Sales", "colour": "red" }), vec!["colour"]),
        (
            json!({ "name": "Sales", "customer_facing": "yes" }),
            vec!["customer_facing"],
        ),
        (
            json!({ "name": "Sales", "parent_id": 999_999 }),
            vec!["parent_id"],
        ),
        (
            json!({ "name": "Sales", "calendar_id": 999_999 }),
            vec!["calendar_id"],
        ),
        (
            json!({ "name": "Sales", "lead_ids": [app.admin.id.0, 999_999] }),
            vec!["lead_ids[1]"],
        ),
        (
            json!({ "name": "Sales", "lead_ids": ["x"] }),
            vec!["lead_ids[0]"],
        ),
        (json!({ "name": "!!!" }), vec!["name"]),
    ];
    for (body, fields) in cases {
        let response = app.post(&app.admin, "/api/v1/departments", &body).await;
        let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), fields, "for {body}");
    }
    let listed = app.read(&app.admin, "/api/v1/departments").await;
    assert_eq!(listed["items"], json!([]), "nothing was half-written");
}

#[tokio::test]
async fn duplicate_slugs_conflict_and_name_the_field() {
    let app = TestApp::spawn().await;
    app.department("Finance").await;
    let response = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Finance" }),
        )
        .await;
    let problem = expect_status(response, StatusCode::CONFLICT).await;
    assert_eq!(problem_fields(&problem), ["slug"]);
}

#[tokio::test]
async fn a_department_cannot_become_its_own_ancestor() {
    let app = TestApp::spawn().await;
    let top = app.department("Top").await;
    let middle = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Middle", "parent_id": id_of(&top) }),
        )
        .await;
    let middle = expect_status(middle, StatusCode::CREATED).await;
    let bottom = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Bottom", "parent_id": id_of(&middle) }),
        )
        .await;
    let bottom = expect_status(bottom, StatusCode::CREATED).await;
    for parent in [id_of(&bottom), id_of(&top)] {
        let response = app
            .patch(
                &app.admin,
                &format!("/api/v1/departments/{}", id_of(&top)),
                1,
                &json!({ "parent_id": parent }),
            )
            .await;
        let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), ["parent_id"]);
    }
}

#[tokio::test]
async fn a_department_in_use_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let top = app.department("Top").await;
    let child = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Child", "parent_id": id_of(&top) }),
        )
        .await;
    expect_status(child, StatusCode::CREATED).await;
    let response = app
        .delete(&app.admin, &format!("/api/v1/departments/{}", id_of(&top)))
        .await;
    expect_status(response, StatusCode::CONFLICT).await;
    app.read(&app.admin, &format!("/api/v1/departments/{}", id_of(&top)))
        .await;
}

#[tokio::test]
async fn only_administrators_change_departments() {
    let app = TestApp::spawn().await;
    let department = app.department("Finance").await;
    let path = format!("/api/v1/departments/{}", id_of(&department));
    for user in [&app.member, &app.lead] {
        app.assert_may_not_write(user, "/api/v1/departments", &path)
            .await;
    }
    let unchanged = app.read(&app.member, &path).await;
    assert_eq!(unchanged["name"], "Finance");
}

#[tokio::test]
async fn lists_page_with_cursors_through_every_record_once() {
    let app = TestApp::spawn().await;
    for index in 0..7 {
        app.department(&format!("Department {index}")).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/departments?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page = app.read(&app.admin, &path).await;
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/departments?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 7);
    assert_eq!(sorted, seen, "in order, each once");

    for bad in ["limit=0", "limit=500", "limit=many", "cursor=forged"] {
        let response = app
            .get(&app.admin, &format!("/api/v1/departments?{bad}"))
            .await;
        let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem).len(), 1, "{bad}");
    }
}
