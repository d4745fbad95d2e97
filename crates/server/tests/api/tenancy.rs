//! Nothing crosses between organizations: the other organization's records
//! are invisible, unchangeable and unreferenceable through every endpoint.

use crate::support::{TestApp, expect_status, id_of, problem_fields};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn another_organization_can_neither_see_nor_touch_our_records() {
    let app = TestApp::spawn().await;
    let calendar = app.calendar("Acme calendar").await;
    let department = app.department("Acme Sales").await;
    let records = [
        format!("/api/v1/departments/{}", id_of(&department)),
        format!("/api/v1/calendars/{}", id_of(&calendar)),
        format!("/api/v1/people/{}", app.member.id.0),
    ];
    let intruder = &app.outsider;
    for path in &records {
        expect_status(app.get(intruder, path).await, StatusCode::NOT_FOUND).await;
        expect_status(
            app.patch(intruder, path, 1, &json!({ "name": "Taken over" }))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        expect_status(app.delete(intruder, path).await, StatusCode::NOT_FOUND).await;
    }
    for list in ["/api/v1/departments", "/api/v1/calendars", "/api/v1/people"] {
        let page = app.read(intruder, list).await;
        let ids: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        assert!(
            !ids.contains(&id_of(&department)) || list != "/api/v1/departments",
            "{list}"
        );
        assert!(
            !ids.contains(&id_of(&calendar)) || list != "/api/v1/calendars",
            "{list}"
        );
        assert!(
            !ids.contains(&app.member.id.0) || list != "/api/v1/people",
            "{list}"
        );
    }
    let people = app.read(intruder, "/api/v1/people").await;
    assert_eq!(
        people["items"].as_array().unwrap().len(),
        1,
        "only globex's own admin"
    );
    let organization = app.read(intruder, "/api/v1/organization").await;
    assert_eq!(organization["slug"], "globex");

    // Our records are unchanged.
    let ours = app.read(&app.admin, &records[0]).await;
    assert_eq!(ours["name"], "Acme Sales");
    assert_eq!(ours["version"], 1);
}

#[tokio::test]
async fn records_cannot_reference_another_organization() {
    let app = TestApp::spawn().await;
    let calendar = app.calendar("Acme calendar").await;
    let department = app.department("Acme Sales").await;
    let intruder = &app.outsider;
    let cases = [
        (
            json!({ "name": "X", "parent_id": id_of(&department) }),
            "parent_id",
        ),
        (
            json!({ "name": "X", "calendar_id": id_of(&calendar) }),
            "calendar_id",
        ),
        (
            json!({ "name": "X", "lead_ids": [app.member.id.0] }),
            "lead_ids[0]",
        ),
    ];
    for (body, field) in cases {
        let problem = expect_status(
            app.post(intruder, "/api/v1/departments", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), [field]);
    }
    let person =
        json!({ "email": "spy@globex.test", "name": "Spy", "department_id": id_of(&department) });
    let problem = expect_status(
        app.post(intruder, "/api/v1/people", &person).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["department_id"]);
    let token = json!({ "name": "x", "person_id": app.member.id.0 });
    expect_status(
        app.post(intruder, "/api/v1/tokens", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let organization = app
        .patch(
            intruder,
            "/api/v1/organization",
            1,
            &json!({ "default_calendar_id": id_of(&calendar) }),
        )
        .await;
    expect_status(organization, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn the_same_email_may_exist_in_two_organizations() {
    let app = TestApp::spawn().await;
    let body = json!({ "email": "member@acme.test", "name": "Namesake" });
    let created = app.create(&app.outsider, "/api/v1/people", &body).await;
    assert_ne!(id_of(&created), app.member.id.0);
}
