//! Crediting contributors on a resolved request: several people at once (all
//! or none), shown on the request and its timeline, told by notification,
//! refused on open requests and for people of other organizations, taken back
//! only by whoever gave it, and never moved by a hand-off.

use crate::support::{TestApp, User, expect_status, id_of, problem_fields};
use crate::web::{Browser, location, text_with_status};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

/// Marketing serves Sales; Marketing has a lead and a designer; Sales a
/// seller who raises the request; Operations a helper; Finance a bystander.
struct Setup {
    marketing: i64,
    operations: i64,
    marketing_lead: User,
    designer: User,
    seller: User,
    helper: User,
    bystander: User,
    executive: User,
}

async fn setup(app: &TestApp) -> Setup {
    let marketing = id_of(&app.department("Marketing").await);
    let sales = id_of(&app.department("Sales").await);
    let operations = id_of(&app.department("Operations").await);
    let finance = id_of(&app.department("Finance").await);
    let marketing_lead = app
        .add_member_of("marketing.lead@acme.test", Role::Lead, marketing)
        .await;
    app.set_leads(marketing, &[&marketing_lead]).await;
    Setup {
        marketing,
        operations,
        marketing_lead,
        designer: app.add_member("designer@acme.test", marketing).await,
        seller: app.add_member("seller@acme.test", sales).await,
        helper: app.add_member("helper@acme.test", operations).await,
        bystander: app.add_member("bystander@acme.test", finance).await,
        executive: app.add_user("executive@acme.test", Role::Executive).await,
    }
}

/// A request the seller raised to Marketing, resolved by its lead unless `open`.
async fn request(app: &TestApp, setup: &Setup, open: bool) -> i64 {
    let request = app
        .create(
            &setup.seller,
            "/api/v1/requests",
            &json!({ "provider_department_id": setup.marketing, "title": "Trade show stand" }),
        )
        .await;
    let id = id_of(&request);
    if !open {
        app.step(&setup.marketing_lead, id, "acknowledged").await;
        app.step(&setup.marketing_lead, id, "resolved").await;
    }
    id
}

fn credits_path(id: i64) -> String {
    format!("/api/v1/requests/{id}/credits")
}

async fn credited_people(app: &TestApp, id: i64) -> Vec<i64> {
    app.read(&app.admin, &credits_path(id))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|credit| credit["person_id"].as_i64().unwrap())
        .collect()
}

async fn events(app: &TestApp, id: i64) -> Vec<Value> {
    app.read(&app.admin, &format!("/api/v1/requests/{id}/events"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_resolved_request_credits_several_contributors_who_are_told() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let id = request(&app, &setup, false).await;
    let credits = app
        .create(
            &setup.marketing_lead,
            &credits_path(id),
            &json!({ "people": [setup.designer.id.0, setup.helper.id.0], "note": "  The stand design and the transport  " }),
        )
        .await;
    assert_eq!(credits.as_array().unwrap().len(), 2);
    assert_eq!(credits[0]["person_id"], setup.designer.id.0);
    assert_eq!(credits[0]["department_id"], setup.marketing);
    assert_eq!(credits[0]["department_name"], "Marketing");
    assert_eq!(credits[1]["department_name"], "Operations");
    assert_eq!(credits[1]["note"], "The stand design and the transport");
    assert_eq!(credits[1]["credited_by"], setup.marketing_lead.id.0);

    // The requester credits too, and everyone involved reads the same list.
    app.create(
        &setup.seller,
        &credits_path(id),
        &json!({ "people": [setup.marketing_lead.id.0] }),
    )
    .await;
    let listed = app.read(&setup.seller, &credits_path(id)).await;
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|credit| credit["person_id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [
            setup.designer.id.0,
            setup.helper.id.0,
            setup.marketing_lead.id.0
        ]
    );
    let credited: Vec<i64> = events(&app, id)
        .await
        .iter()
        .filter(|event| event["kind"] == "credited")
        .map(|event| event["after"]["credited_person_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        credited,
        [
            setup.designer.id.0,
            setup.helper.id.0,
            setup.marketing_lead.id.0
        ]
    );

    // Each credit counts in the recognition of the person's department.
    for (department, credits) in [(setup.marketing, 2), (setup.operations, 1)] {
        let scorecard = app
            .read(
                &setup.seller,
                &format!("/api/v1/departments/{department}/scorecard"),
            )
            .await;
        assert_eq!(
            scorecard["kudos"]["credits"], credits,
            "department {department}"
        );
    }
    // The helper of another department is told, and may now read the request.
    let inbox = app.read(&setup.helper, "/api/v1/notifications").await;
    let notice = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["kind"] == "kudos_received")
        .expect("a notification of the credit");
    assert_eq!(notice["link"], format!("/requests/{id}"));
    assert!(
        notice["title"]
            .as_str()
            .unwrap()
            .contains("Trade show stand")
    );
    app.read(&setup.helper, &format!("/api/v1/requests/{id}"))
        .await;
    // The giver is not told of their own credit.
    let lead_inbox = app
        .read(&setup.marketing_lead, "/api/v1/notifications")
        .await;
    assert_eq!(
        lead_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["kind"] == "kudos_received")
            .count(),
        1,
        "the lead hears only of the seller's credit"
    );
}

#[tokio::test]
async fn credit_is_refused_on_open_requests_and_for_unknown_people_all_or_nothing() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let open = request(&app, &setup, true).await;
    let conflict = expect_status(
        app.post(
            &setup.marketing_lead,
            &credits_path(open),
            &json!({ "people": [setup.designer.id.0] }),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        conflict["detail"]
            .as_str()
            .unwrap()
            .contains("resolved or closed"),
        "{conflict}"
    );

    let id = request(&app, &setup, false).await;
    let problem = expect_status(
        app.post(
            &setup.marketing_lead,
            &credits_path(id),
            &json!({ "people": [setup.designer.id.0, app.outsider.id.0, setup.designer.id.0, -4] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["people[3]"], "the shape first");
    let problem = expect_status(
        app.post(
            &setup.marketing_lead,
            &credits_path(id),
            &json!({ "people": [setup.designer.id.0, app.outsider.id.0, setup.designer.id.0] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["people[1]", "people[2]"]);
    assert!(
        credited_people(&app, id).await.is_empty(),
        "nothing was credited"
    );
    expect_status(
        app.post(
            &setup.marketing_lead,
            &credits_path(id),
            &json!({ "people": [] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    app.create(
        &setup.marketing_lead,
        &credits_path(id),
        &json!({ "people": [setup.designer.id.0] }),
    )
    .await;
    let again = expect_status(
        app.post(
            &setup.seller,
            &credits_path(id),
            &json!({ "people": [setup.helper.id.0, setup.designer.id.0] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&again), ["people[1]"]);
    assert_eq!(credited_people(&app, id).await, [setup.designer.id.0]);
}

#[tokio::test]
async fn only_the_two_sides_credit_and_they_are_asked_before_the_body_is_read() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let id = request(&app, &setup, false).await;
    let spoiled = json!({ "people": [], "note": "" });
    // The bystander cannot see the request; the executive sees it but is neither side.
    expect_status(
        app.post(&setup.bystander, &credits_path(id), &spoiled)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(
        app.post(&setup.executive, &credits_path(id), &spoiled)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_status(
        app.post(&app.outsider, &credits_path(id), &spoiled).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(
        app.get(&setup.bystander, &credits_path(id)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A member of the provider department may credit; an admin acts for the provider.
    app.create(
        &setup.designer,
        &credits_path(id),
        &json!({ "people": [setup.marketing_lead.id.0] }),
    )
    .await;
    app.create(
        &app.admin,
        &credits_path(id),
        &json!({ "people": [setup.designer.id.0] }),
    )
    .await;
}

#[tokio::test]
async fn a_credit_is_taken_back_only_by_its_giver_and_survives_a_hand_off() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let id = request(&app, &setup, false).await;
    app.create(
        &setup.marketing_lead,
        &credits_path(id),
        &json!({ "people": [setup.designer.id.0, setup.helper.id.0] }),
    )
    .await;

    // Reopened and handed to Operations: the credits stay as they were.
    app.step(&setup.seller, id, "in_progress").await;
    expect_status(
        app.post(
            &setup.marketing_lead,
            &format!("/api/v1/requests/{id}/transfer"),
            &json!({ "department_id": setup.operations }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        credited_people(&app, id).await,
        [setup.designer.id.0, setup.helper.id.0]
    );

    let designer_credit = format!("{}/{}", credits_path(id), setup.designer.id.0);
    // The requester did not give it; an unknown credit is not found.
    expect_status(
        app.delete(&setup.seller, &designer_credit).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_status(
        app.delete(
            &setup.seller,
            &format!("{}/{}", credits_path(id), setup.seller.id.0),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Operations holds the request now, so the Marketing lead who gave the
    // credit no longer sees it; an administrator takes it back.
    expect_status(
        app.delete(&setup.marketing_lead, &designer_credit).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(
        app.delete(&app.admin, &designer_credit).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(credited_people(&app, id).await, [setup.helper.id.0]);
    let removed = events(&app, id)
        .await
        .into_iter()
        .find(|event| event["kind"] == "credit_removed")
        .expect("the removal is on the timeline");
    assert_eq!(removed["before"]["credited_person_id"], setup.designer.id.0);
    assert_eq!(removed["actor_person_id"], app.admin.id.0);
    let audit = app.read(&app.admin, "/api/v1/audit-log").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    assert!(actions.contains(&"request.credit_removed"), "{actions:?}");
    assert!(actions.contains(&"request.credited"), "{actions:?}");
}

#[tokio::test]
async fn the_giver_takes_back_their_own_credit() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let id = request(&app, &setup, false).await;
    app.create(
        &setup.seller,
        &credits_path(id),
        &json!({ "people": [setup.designer.id.0] }),
    )
    .await;
    let path = format!("{}/{}", credits_path(id), setup.designer.id.0);
    expect_status(
        app.delete(&setup.marketing_lead, &path).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_status(
        app.delete(&setup.seller, &path).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(credited_people(&app, id).await.is_empty());
    expect_status(
        app.delete(&setup.seller, &path).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn the_request_page_credits_contributors_with_errors_at_their_row() {
    let app = TestApp::spawn().await;
    let setup = setup(&app).await;
    let open = request(&app, &setup, true).await;
    let mut lead = Browser::default();
    lead.sign_in(&app, &setup.marketing_lead.email).await;
    let page = lead.page(&app, &format!("/requests/{open}")).await;
    assert!(
        !page.contains("id=\"credit-form\""),
        "no credit while the request is open"
    );

    let id = request(&app, &setup, false).await;
    let path = format!("/requests/{id}");
    let page = lead.page(&app, &path).await;
    assert!(page.contains("id=\"credit-form\""));
    assert!(page.contains("Nobody is credited on this request yet."));
    let designer = setup.designer.id.0.to_string();
    let outsider = app.outsider.id.0.to_string();
    // The first and third rows filled: the refused person shows at row 3, the choices kept.
    let refused = lead
        .submit(
            &app,
            &format!("{path}/credits"),
            &[
                ("person-1", designer.as_str()),
                ("person-2", ""),
                ("person-3", outsider.as_str()),
                ("note", "The stand design"),
            ],
        )
        .await;
    let html = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        html.contains("id=\"credit-person-3-error\""),
        "the error at row 3"
    );
    assert!(!html.contains("id=\"credit-person-1-error\""));
    assert!(html.contains(&format!("<option value=\"{designer}\" selected>")));
    assert!(html.contains("value=\"The stand design\""));
    assert!(credited_people(&app, id).await.is_empty());

    let credited = lead
        .submit(
            &app,
            &format!("{path}/credits"),
            &[
                ("person-2", designer.as_str()),
                ("note", "The stand design"),
            ],
        )
        .await;
    assert_eq!(credited.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&credited), path);
    let page = lead.page(&app, &path).await;
    assert!(page.contains("credited by lead of test"), "the giver named");
    assert!(page.contains("“The stand design”"));
    assert!(page.contains("credited a contributor"), "on the timeline");
    assert!(page.contains(&format!("{path}/credits/{designer}/remove")));

    // The recognition page shows it among the latest credits.
    let kudos = lead.page(&app, "/kudos").await;
    assert!(kudos.contains("Credited on resolved requests"));
    assert!(kudos.contains(&format!("<a href=\"{path}\">request #{id}</a>")));
    // The requester sees the credit, but it is not theirs to take back.
    let mut seller = Browser::default();
    seller.sign_in(&app, &setup.seller.email).await;
    let page = seller.page(&app, &path).await;
    assert!(page.contains("Credited contributors"));
    assert!(!page.contains(&format!("{path}/credits/{designer}/remove")));

    let removed = lead
        .submit(&app, &format!("{path}/credits/{designer}/remove"), &[])
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert!(credited_people(&app, id).await.is_empty());
    assert!(lead.page(&app, &path).await.contains("took a credit back"));
}
