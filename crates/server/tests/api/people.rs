use crate::support::{PASSWORD, TestApp, User, expect_status, id_of, problem_fields, version_of};
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

    let by_department = app
        .read(
            &app.admin,
            &format!("/api/v1/people?department_id={}", id_of(&department)),
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
    let me = app.read(&app.member, &path).await;
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
    let still = app.read(&app.member, &path).await;
    assert_eq!(still["role"], "member");
}

#[tokio::test]
async fn deleting_a_person_deactivates_them_and_ends_their_access() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/people/{}", app.member.id.0);
    expect_status(app.delete(&app.admin, &path).await, StatusCode::NO_CONTENT).await;
    let person = app.read(&app.admin, &path).await;
    assert_eq!(person["active"], false);
    expect_status(
        app.get(&app.member, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let inactive = app.read(&app.admin, "/api/v1/people?active=false").await;
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

async fn signed_in_cookie(app: &TestApp, email: &str, password: &str) -> String {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn changing_ones_own_password_needs_the_current_one_unless_just_signed_in() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/people/{}", app.member.id.0);
    let current = app.read(&app.member, &path).await;
    let version = version_of(&current);
    // A stolen token alone cannot take the account over.
    for body in [
        json!({ "password": "a stolen token's choice" }),
        json!({ "password": "a stolen token's choice", "current_password": "a wild guess here" }),
    ] {
        let refused = app.patch(&app.member, &path, version, &body).await;
        let problem = expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), ["current_password"], "{body}");
    }
    let changed = app
        .patch(
            &app.member,
            &path,
            version,
            &json!({ "password": "a much better passphrase", "current_password": PASSWORD }),
        )
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    // A change of password ends every session and token, as before.
    expect_status(
        app.get(&app.member, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Within ten minutes of signing in, a browser session is not asked again.
    let cookie = signed_in_cookie(&app, "member@acme.test", "a much better passphrase").await;
    let fresh = app
        .client
        .patch(app.url(&path))
        .header("cookie", &cookie)
        .header("if-match", format!("\"{}\"", version_of(&changed)))
        .json(&json!({ "password": "yet another private phrase" }))
        .send()
        .await
        .unwrap();
    expect_status(fresh, StatusCode::OK).await;
    signed_in_cookie(&app, "member@acme.test", "yet another private phrase").await;
}

#[tokio::test]
async fn administrators_reset_someone_elses_password_as_an_audited_action() {
    let app = TestApp::spawn().await;
    let member_path = format!("/api/v1/people/{}", app.member.id.0);
    let member = app.read(&app.admin, &member_path).await;
    // Not through the change of a person's fields: that leaves no trace of a reset.
    let through_patch = app
        .patch(
            &app.admin,
            &member_path,
            version_of(&member),
            &json!({ "password": "an administrator's pick" }),
        )
        .await;
    let problem = expect_status(through_patch, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["password"]);
    assert!(problem.to_string().contains("password-reset"), "{problem}");

    let reset_path = format!("{member_path}/password-reset");
    let weak = app
        .post(
            &app.admin,
            &reset_path,
            &json!({ "password": "Welcome2026!" }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(weak, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["password"]
    );
    expect_status(
        app.post(
            &app.lead,
            &reset_path,
            &json!({ "password": "an administrator's pick" }),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let own = app
        .post(
            &app.admin,
            &format!("/api/v1/people/{}/password-reset", app.admin.id.0),
            &json!({ "password": "an administrator's pick" }),
        )
        .await;
    expect_status(own, StatusCode::UNPROCESSABLE_ENTITY).await;
    expect_status(
        app.post(
            &app.outsider,
            &reset_path,
            &json!({ "password": "an administrator's pick" }),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let reset = app
        .post(
            &app.admin,
            &reset_path,
            &json!({ "password": "an administrator's pick" }),
        )
        .await;
    let reset = expect_status(reset, StatusCode::OK).await;
    assert_eq!(reset["has_password"], true);
    // The member's old token ends; the new password opens the account.
    expect_status(
        app.get(&app.member, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    signed_in_cookie(&app, "member@acme.test", "an administrator's pick").await;
    let log = app.read(&app.admin, "/api/v1/audit-log").await;
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["action"] == "person.password_reset")
        .unwrap_or_else(|| panic!("no reset in the audit log: {log}"));
    assert_eq!(entry["actor_person_id"], app.admin.id.0);
    assert_eq!(entry["subject_id"], app.member.id.0);
}

#[tokio::test]
async fn email_addresses_are_checked_as_mail_servers_read_them() {
    let app = TestApp::spawn().await;
    for email in [
        "x,y@example.com",
        "ada..lovelace@example.com",
        ".ada@example.com",
        "Ada <ada@example.com>",
        "ada@[127.0.0.1]",
        "ada@-example.com",
    ] {
        let refused = app
            .post(
                &app.admin,
                "/api/v1/people",
                &json!({ "email": email, "name": "Ada" }),
            )
            .await;
        let problem = expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), ["email"], "{email}");
    }
    let created = app
        .post(
            &app.admin,
            "/api/v1/people",
            &json!({ "email": " Ada.Lovelace+Work@Example.COM ", "name": "Ada" }),
        )
        .await;
    let created = expect_status(created, StatusCode::CREATED).await;
    assert_eq!(created["email"], "ada.lovelace+work@example.com");
}
