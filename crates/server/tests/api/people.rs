use crate::support::{TestApp, User, expect_status, id_of, problem_fields, version_of};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn people_are_created_with_roles_and_changed() {
    let app = TestApp::spawn().await;
    let department = app.department("Marketing").await;
    let created = app
        .post(
            &app.admin,
            "/api/v1/people",
            &json!({ "email": " Grace.Hopper@Acme.test ", "name": "Grace Hopper", "title": "Campaign Manager",
                     "department_id": id_of(&department), "role": "lead", "password": "a long enough secret" }),
        )
        .await;
    let created = expect_status(created, StatusCode::CREATED).await;
    assert_eq!(created["email"], "grace.hopper@acme.test");
    assert_eq!(created["role"], "lead");
    assert_eq!(created["has_password"], true);
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());

    let path = format!("/api/v1/people/{}", id_of(&created));
    let changed = app
        .patch(
            &app.admin,
            &path,
            version_of(&created),
            &json!({ "title": null, "role": "member", "department_id": null }),
        )
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(changed["title"], json!(null));
    assert_eq!(changed["role"], "member");
    assert_eq!(changed["department_id"], json!(null));

    let by_department = expect_status(
        app.get(
            &app.admin,
            &format!("/api/v1/people?department_id={}", id_of(&department)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_department["items"], json!([]));
}

#[tokio::test]
async fn invalid_people_are_refused_field_by_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "name": "No Email" }), vec!["email"]),
        (
            json!({ "email": "not-an-email", "name": "X" }),
            vec!["email"],
        ),
        (
            json!({ "email": "x@acme.test", "name": "X", "role": "owner" }),
            vec!["role"],
        ),
        (
            json!({ "email": "x@acme.test", "name": "X", "password": "short" }),
            vec!["password"],
        ),
        (
            json!({ "email": "x@acme.test", "name": "X", "department_id": 424_242 }),
            vec!["department_id"],
        ),
        (
            json!({ "email": "bad", "name": "", "role": "boss" }),
            vec!["email", "name", "role"],
        ),
    ];
    for (body, fields) in cases {
        let problem = expect_status(
            app.post(&app.admin, "/api/v1/people", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), fields, "for {body}");
    }
    let duplicate = app
        .post(
            &app.admin,
            "/api/v1/people",
            &json!({ "email": "MEMBER@acme.test", "name": "Again" }),
        )
        .await;
    let problem = expect_status(duplicate, StatusCode::CONFLICT).await;
    assert_eq!(problem_fields(&problem), ["email"]);
}

#[tokio::test]
async fn people_change_their_own_name_but_not_their_role() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/people/{}", app.member.id.0);
    let me = expect_status(app.get(&app.member, &path).await, StatusCode::OK).await;
    let renamed = app
        .patch(
            &app.member,
            &path,
            version_of(&me),
            &json!({ "name": "New Name" }),
        )
        .await;
    let renamed = expect_status(renamed, StatusCode::OK).await;
    assert_eq!(renamed["name"], "New Name");
    let promoted = app
        .patch(
            &app.member,
            &path,
            version_of(&renamed),
            &json!({ "role": "admin" }),
        )
        .await;
    expect_status(promoted, StatusCode::FORBIDDEN).await;
    let other = format!("/api/v1/people/{}", app.lead.id.0);
    expect_status(
        app.patch(&app.member, &other, 1, &json!({ "name": "Hijacked" }))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let still = expect_status(app.get(&app.member, &path).await, StatusCode::OK).await;
    assert_eq!(still["role"], "member");
}

#[tokio::test]
async fn deleting_a_person_deactivates_them_and_ends_their_access() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/people/{}", app.member.id.0);
    expect_status(app.delete(&app.admin, &path).await, StatusCode::NO_CONTENT).await;
    let person = expect_status(app.get(&app.admin, &path).await, StatusCode::OK).await;
    assert_eq!(person["active"], false);
    expect_status(
        app.get(&app.member, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let inactive = expect_status(
        app.get(&app.admin, "/api/v1/people?active=false").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        inactive["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        [app.member.id.0]
    );
    let own: &User = &app.admin;
    let self_delete = app
        .delete(own, &format!("/api/v1/people/{}", own.id.0))
        .await;
    expect_status(self_delete, StatusCode::CONFLICT).await;
}
