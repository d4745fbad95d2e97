//! Request pages of the management side: the provider reprioritises and
//! splits, the requester changes the impact, and ad hoc requests outside
//! the catalogue.

use super::cell;
use crate::support::{TestApp, id_of, version_of};
use crate::web::{Browser, location, text_with_status};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_provider_reprioritises_and_splits_a_request_and_the_requester_changes_its_impact() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let request = app
        .create(
            &cell.seller,
            "/api/v1/requests",
            &json!({ "service_id": id_of(&cell.service), "title": "Leads for the trade show" }),
        )
        .await;
    let path = format!("/requests/{}", id_of(&request));
    let api_path = format!("/api/v1{path}");

    // The requester changes the external impact, but sees no priority to change.
    let mut requester = Browser::default();
    requester.sign_in(&app, &cell.seller.email).await;
    let page = requester.page(&app, &path).await;
    assert!(page.contains("id=\"details-form\""));
    assert!(!page.contains("id=\"details-priority\""));
    assert!(
        !page.contains("id=\"split-form\""),
        "only the provider splits"
    );
    let changed = requester
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&request).to_string()),
                ("external_impact", "customer_waiting"),
                ("external_reference", "CASE-42"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let stored = app.read(&app.admin, &api_path).await;
    assert_eq!(stored["external_impact"], "customer_waiting");
    assert_eq!(stored["external_reference"], "CASE-42");
    let forbidden = requester
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&stored).to_string()),
                ("priority", "urgent"),
            ],
        )
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // The provider raises the priority, then splits off a sub-request.
    let mut provider = Browser::default();
    provider.sign_in(&app, &cell.marketing_lead.email).await;
    let page = provider.page(&app, &path).await;
    assert!(page.contains("id=\"details-priority\""));
    assert!(page.contains("value=\"CASE-42\""));
    let bad = provider
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&stored).to_string()),
                ("priority", "whenever"),
                ("external_impact", "customer_waiting"),
                ("external_reference", "CASE-42"),
            ],
        )
        .await;
    assert!(
        text_with_status(bad, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains("id=\"details-priority-error\"")
    );
    let raised = provider
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&stored).to_string()),
                ("priority", "urgent"),
                ("external_impact", "customer_waiting"),
                ("external_reference", "CASE-42"),
            ],
        )
        .await;
    assert_eq!(raised.status(), StatusCode::SEE_OTHER);
    let stored = app.read(&app.admin, &api_path).await;
    assert_eq!(stored["priority"], "urgent");

    let refused = provider
        .submit(
            &app,
            &format!("{path}/sub-requests"),
            &[
                ("title", "Check the booth budget"),
                ("description", "Kept details"),
            ],
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"split-department-error\""), "{page}");
    assert!(page.contains("value=\"Check the booth budget\""));
    assert!(page.contains(">Kept details</textarea>"));
    let split = provider
        .submit(
            &app,
            &format!("{path}/sub-requests"),
            &[
                ("department_id", &id_of(&cell.sales).to_string()),
                ("title", "Check the booth budget"),
            ],
        )
        .await;
    assert_eq!(split.status(), StatusCode::SEE_OTHER);
    let listed = app
        .read(
            &app.admin,
            &format!(
                "/api/v1/requests?provider_department_id={}",
                id_of(&cell.sales)
            ),
        )
        .await;
    let sub = listed["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|item| item["title"] == "Check the booth budget")
        })
        .cloned()
        .expect("the sub-request");
    assert_eq!(sub["parent_request_id"], id_of(&request));
}

#[tokio::test]
async fn a_member_asks_a_department_for_something_outside_its_catalogue() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
    let path = format!("/departments/{}/request", id_of(&cell.marketing));
    assert!(
        member
            .page(&app, "/services")
            .await
            .contains(&format!("href=\"{path}\""))
    );
    assert!(member.page(&app, &path).await.contains("id=\"adhoc-form\""));
    let refused = member
        .submit(
            &app,
            &path,
            &[
                ("title", ""),
                ("description", "A <one-off> flyer"),
                ("priority", "high"),
                ("external_impact", "customer_waiting"),
            ],
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"title-error\""), "{page}");
    assert!(page.contains("A &#60;one-off&#62; flyer"));
    assert!(page.contains("value=\"high\" selected"));
    assert!(page.contains("value=\"customer_waiting\" checked"));
    let listed = app.read(&app.admin, "/api/v1/requests").await;
    assert_eq!(listed["items"], json!([]));
    let raised = member
        .submit(
            &app,
            &path,
            &[
                ("title", "A flyer for the fair"),
                ("priority", "high"),
                ("external_impact", "none"),
            ],
        )
        .await;
    assert_eq!(raised.status(), StatusCode::SEE_OTHER);
    let listed = app.read(&app.admin, "/api/v1/requests").await;
    let request = &listed["items"][0];
    assert_eq!(request["provider_department_id"], id_of(&cell.marketing));
    assert!(request["service_id"].is_null());
    assert_eq!(location(&raised), format!("/requests/{}", id_of(request)));
    // Without the form's token nothing is raised.
    let forged = member
        .post(
            &app,
            &path,
            &[("csrf_token", "forged"), ("title", "Forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
