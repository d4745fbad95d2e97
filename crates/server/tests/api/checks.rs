//! Satisfaction checks on resolved requests, the thank-you ledger, and the
//! health they feed into the matrix and the scorecard.

use crate::support::{
    TestApp, User, event_kinds, expect_status, id_of, new_request, problem_fields, version_of,
};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

/// Marketing (led by `app.lead`) serves Sales on a round-the-clock calendar.
pub struct Desk {
    pub marketing: Value,
    pub sales: Value,
    pub service: Value,
    pub marketer: User,
}

pub async fn desk(app: &TestApp, sampling_rate: f64) -> Desk {
    let calendar = app.always_open_calendar().await;
    let marketing = app
        .create(&app.admin, "/api/v1/departments", &json!({ "name": "Marketing", "calendar_id": id_of(&calendar), "lead_ids": [app.lead.id.0] }))
        .await;
    let sales = app.department_on("Sales", &calendar).await;
    let service = app
        .create(&app.admin, "/api/v1/services", &json!({
            "provider_department_id": id_of(&marketing), "consumer_department_ids": [id_of(&sales)], "name": "Qualified leads",
            "first_response_minutes": 600, "fulfilment_minutes": 6000, "check_sampling_rate": sampling_rate
        }))
        .await;
    let marketer = app
        .add_member("marketer@acme.test", id_of(&marketing))
        .await;
    Desk {
        marketing,
        sales,
        service,
        marketer,
    }
}

/// Raises a request as `requester`, and has the marketer acknowledge and resolve it.
impl Desk {
    /// seller@acme.test, a member of Sales.
    pub async fn seller(&self, app: &TestApp) -> User {
        app.add_member("seller@acme.test", id_of(&self.sales)).await
    }
}

pub async fn resolved_request(app: &TestApp, desk: &Desk, requester: &User) -> Value {
    let request = app
        .create(
            requester,
            "/api/v1/requests",
            &json!({ "service_id": id_of(&desk.service), "title": "Leads for the fair" }),
        )
        .await;
    let path = format!("/api/v1/requests/{}/transitions", id_of(&request));
    expect_status(
        app.post(&desk.marketer, &path, &json!({ "to": "acknowledged" }))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post(
            &desk.marketer,
            &path,
            &json!({ "to": "resolved", "input_quality": "partial" }),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

async fn pending_checks(app: &TestApp, user: &User) -> Vec<Value> {
    let page = app.read(user, "/api/v1/checks").await;
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_resolution_asks_the_requester_once_and_not_met_reopens_and_tells_the_lead() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = desk.seller(&app).await;
    app.set_organization(&json!({ "thank_you_kind": "points", "thank_you_points": 10 }))
        .await;

    let request = resolved_request(&app, &desk, &seller).await;
    let checks = pending_checks(&app, &seller).await;
    assert_eq!(checks.len(), 1);
    let check = &checks[0];
    assert_eq!(check["request_id"], request["id"]);
    assert_eq!(check["status"], "pending");
    assert_eq!(check["provider_department_id"], desk.marketing["id"]);
    assert_eq!(check["consumer_department_id"], desk.sales["id"]);
    let check_path = format!("/api/v1/checks/{}", id_of(check));
    // A check is its respondent's alone.
    expect_status(
        app.get(&desk.marketer, &check_path).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(
        app.post(
            &desk.marketer,
            &format!("{check_path}/answer"),
            &json!({ "answer": "met" }),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(pending_checks(&app, &desk.marketer).await.is_empty());

    let bad = app
        .post(
            &seller,
            &format!("{check_path}/answer"),
            &json!({ "answer": "maybe", "rating": 9 }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["answer", "rating"]
    );

    let answered = expect_status(
        app.post(
            &seller,
            &format!("{check_path}/answer"),
            &json!({ "answer": "not_met", "rating": 2, "comment": "Half the leads had no budget" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answered["request_reopened"], true);
    assert_eq!(answered["leads_told"], json!([app.lead.id.0]));
    assert_eq!(answered["check"]["status"], "answered");
    assert_eq!(answered["check"]["answer"], "not_met");
    let again = app
        .post(
            &seller,
            &format!("{check_path}/answer"),
            &json!({ "answer": "met" }),
        )
        .await;
    expect_status(again, StatusCode::CONFLICT).await;

    let reopened = app
        .read(&seller, &format!("/api/v1/requests/{}", id_of(&request)))
        .await;
    assert_eq!(reopened["status"], "in_progress");
    let events = app.events(&seller, &request).await;
    let kinds = event_kinds(&events);
    assert!(
        kinds.ends_with(&[
            "check_requested",
            "check_answered",
            "reopened",
            "leads_told"
        ]),
        "{kinds:?}"
    );

    // Resolving the reopened request again never asks a second time.
    let path = format!("/api/v1/requests/{}/transitions", id_of(&request));
    expect_status(
        app.post(&desk.marketer, &path, &json!({ "to": "resolved" }))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(pending_checks(&app, &seller).await.is_empty());

    // The answer earned the organization's thank-you, once.
    let ledger = app.read(&seller, "/api/v1/thank-yous").await;
    assert_eq!(ledger["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(ledger["items"][0]["reward"], "points");
    assert_eq!(ledger["items"][0]["points"], 10);
    expect_status(
        app.get(&seller, "/api/v1/thank-yous?everyone=true").await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn the_fatigue_cap_the_rate_and_own_work_spare_people() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = desk.seller(&app).await;

    // Nobody rates work they resolved themselves (here the marketer raised a
    // request with its own department and resolved it).
    resolved_request(&app, &desk, &desk.marketer).await;
    assert!(pending_checks(&app, &desk.marketer).await.is_empty());

    resolved_request(&app, &desk, &seller).await;
    resolved_request(&app, &desk, &seller).await;
    // Asked about the first; the second falls inside the 7-day fatigue cap.
    assert_eq!(pending_checks(&app, &seller).await.len(), 1);

    // The cap holds across services.
    let other = app.create(&app.admin, "/api/v1/services", &json!({
            "provider_department_id": id_of(&desk.marketing), "consumer_department_ids": [id_of(&desk.sales)], "name": "Event kits",
            "first_response_minutes": 600, "fulfilment_minutes": 6000
        }))
    .await;
    let other_desk = Desk {
        service: other,
        marketing: desk.marketing.clone(),
        sales: desk.sales.clone(),
        marketer: desk.marketer.clone(),
    };
    resolved_request(&app, &other_desk, &seller).await;
    assert_eq!(pending_checks(&app, &seller).await.len(), 1);

    // Without the fatigue cap the next resolution asks again, unless the
    // service's rate is 0.
    app.set_organization(&json!({ "check_fatigue_days": 0 }))
        .await;
    resolved_request(&app, &other_desk, &seller).await;
    assert_eq!(pending_checks(&app, &seller).await.len(), 2);
    let quiet = expect_status(
        app.patch(
            &app.admin,
            &format!("/api/v1/services/{}", id_of(&desk.service)),
            version_of(&desk.service),
            &json!({ "check_sampling_rate": 0.0 }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let quiet_desk = Desk {
        service: quiet,
        ..other_desk
    };
    resolved_request(&app, &quiet_desk, &seller).await;
    assert_eq!(pending_checks(&app, &seller).await.len(), 2);
}

#[tokio::test]
async fn the_matrix_shows_health_with_components_and_sample_sizes() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let mut sellers = Vec::new();
    for index in 0..5 {
        sellers.push(
            app.add_member_of(
                &format!("seller{index}@acme.test"),
                Role::Member,
                id_of(&desk.sales),
            )
            .await,
        );
    }
    for (index, seller) in sellers.iter().enumerate() {
        resolved_request(&app, &desk, seller).await;
        let check = &pending_checks(&app, seller).await[0];
        let answer = if index == 0 { "partly" } else { "met" };
        expect_status(
            app.post(
                seller,
                &format!("/api/v1/checks/{}/answer", id_of(check)),
                &json!({ "answer": answer }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    let matrix = app.read(&app.admin, "/api/v1/matrix").await;
    let cell = matrix["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cell| {
            cell["provider_department_id"] == desk.marketing["id"]
                && cell["consumer_department_id"] == desk.sales["id"]
        })
        .cloned()
        .unwrap();
    let health = &cell["health"];
    let component = |name: &str| {
        health["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|component| component["name"] == name)
            .cloned()
            .unwrap()
    };
    // Satisfaction (4 × 100 + 50) / 5 = 90; reliability and responsiveness 100;
    // no pulse: weights 0.3, 0.3, 0.2 renormalised to 0.375, 0.375, 0.25.
    assert_eq!(component("satisfaction")["value"], 90.0);
    assert_eq!(component("satisfaction")["sample_size"], 5);
    assert_eq!(component("satisfaction")["applied_weight"], 0.375);
    assert_eq!(component("reliability")["value"], 100.0);
    assert_eq!(component("reliability")["sample_size"], 5);
    assert_eq!(component("responsiveness")["sample_size"], 5);
    assert_eq!(component("pulse")["sufficient"], false);
    assert_eq!(component("pulse")["sample_size"], Value::Null);
    assert_eq!(health["score"], 96.25);
    assert_eq!(health["band"], "healthy");
    assert_eq!(cell["input_quality"]["partial"], 5);
    assert_eq!(cell["input_quality"]["score"], 50.0);
    assert_eq!(matrix["summary"]["with_health"], 1);

    // The reverse direction has no data: insufficient, not zero.
    let reverse = matrix["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cell| {
            cell["provider_department_id"] == desk.sales["id"]
                && cell["consumer_department_id"] == desk.marketing["id"]
        })
        .cloned()
        .unwrap();
    assert_eq!(reverse["health"]["score"], Value::Null);
    assert_eq!(reverse["health"]["band"], "insufficient_data");

    let detail = app
        .read(
            &app.member,
            &format!(
                "/api/v1/matrix/cells/{}/{}?weeks=4",
                id_of(&desk.marketing),
                id_of(&desk.sales)
            ),
        )
        .await;
    assert_eq!(detail["health"]["score"], health["score"]);
    assert_eq!(detail["trend"].as_array().map(Vec::len), Some(4));
    assert_eq!(detail["trend"][3]["score"], health["score"]);

    let scorecard = app
        .read(
            &app.member,
            &format!("/api/v1/departments/{}/scorecard", id_of(&desk.marketing)),
        )
        .await;
    assert_eq!(
        scorecard["kudos"],
        json!({ "received": 0, "given": 0, "recognitions": 0, "credits": 0 })
    );
    let as_provider = &scorecard["as_provider"]["cells"][0];
    assert_eq!(as_provider["department_id"], desk.sales["id"]);
    assert_eq!(as_provider["health"]["score"], health["score"]);
    let consumer_side = app
        .read(
            &app.member,
            &format!("/api/v1/departments/{}/scorecard", id_of(&desk.sales)),
        )
        .await;
    assert_eq!(
        consumer_side["as_consumer"]["cells"][0]["input_quality"]["partial"],
        5
    );
    let bad = app.get(&app.member, "/api/v1/matrix?window_days=0").await;
    assert_eq!(
        problem_fields(&expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["window_days"]
    );
    expect_status(
        app.get(
            &app.outsider,
            &format!("/api/v1/departments/{}/scorecard", id_of(&desk.marketing)),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn coupons_thank_each_answer_once_until_they_run_out() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let organization = app.read(&app.admin, "/api/v1/organization").await;
    let bad = app
        .patch(
            &app.admin,
            "/api/v1/organization",
            version_of(&organization),
            &json!({ "thank_you_kind": "cash" }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["thank_you_kind"]
    );
    expect_status(
        app.patch(
            &app.admin,
            "/api/v1/organization",
            version_of(&organization),
            &json!({ "thank_you_kind": "coupon" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post(
            &app.member,
            "/api/v1/thank-yous/coupons",
            &json!({ "codes": ["COFFEE-1"] }),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let empty = app
        .post(
            &app.admin,
            "/api/v1/thank-yous/coupons",
            &json!({ "codes": ["COFFEE-1", " "] }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(empty, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["codes[1]"]
    );
    let added = expect_status(
        app.post(
            &app.admin,
            "/api/v1/thank-yous/coupons",
            &json!({ "codes": ["COFFEE-1", "COFFEE-1"] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(added, json!({ "added": 1, "available": 1 }));
    for (index, expected) in ["coupon", "none_left"].iter().enumerate() {
        let seller = app
            .add_member_of(
                &format!("seller{index}@acme.test"),
                Role::Member,
                id_of(&desk.sales),
            )
            .await;
        resolved_request(&app, &desk, &seller).await;
        let check = pending_checks(&app, &seller).await.remove(0);
        expect_status(
            app.post(
                &seller,
                &format!("/api/v1/checks/{}/answer", id_of(&check)),
                &json!({ "answer": "met" }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let ledger = app.read(&seller, "/api/v1/thank-yous").await;
        assert_eq!(ledger["items"][0]["reward"], *expected);
        assert_eq!(
            ledger["items"][0]["earned_for"],
            format!("check:{}", id_of(&check))
        );
    }
    let everyone = app
        .read(&app.admin, "/api/v1/thank-yous?everyone=true")
        .await;
    assert_eq!(everyone["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(everyone["items"][1]["coupon_code"], "COFFEE-1");
}

/// Checks expire after 14 days: one asked 15 days ago has left the pending
/// list, reads as expired and refuses an answer (recording nothing); one
/// asked 13 days ago is still pending and is answered. Backdated through the
/// store: two requesters, so the fatigue cap spares neither.
#[tokio::test]
async fn a_check_older_than_fourteen_days_can_no_longer_be_answered() {
    use roundtable_domain::requests::{Roles, Status};
    use roundtable_store::requests::{NewRequest, Transition, TransitionDetails};
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let scoped = app.store.scoped(app.admin.organization);
    let now = jiff::Timestamp::now();
    let mut asked = Vec::new();
    for (email, days) in [("late@acme.test", 15), ("in.time@acme.test", 13)] {
        let requester = app.add_member(email, id_of(&desk.sales)).await;
        let resolved_at = now - jiff::SignedDuration::from_hours(days * 24);
        let request = scoped
            .create_request(
                NewRequest {
                    service_id: Some(id_of(&desk.service)),
                    ..new_request(
                        id_of(&desk.marketing),
                        &requester,
                        &format!("Leads asked {days} days ago"),
                        (600, 6000),
                    )
                },
                resolved_at - jiff::SignedDuration::from_hours(2),
            )
            .await
            .unwrap();
        for (to, at) in [
            (
                Status::Acknowledged,
                resolved_at - jiff::SignedDuration::from_hours(1),
            ),
            (Status::Resolved, resolved_at),
        ] {
            scoped
                .transition_request(
                    request.id,
                    Transition {
                        to,
                        actor: desk.marketer.id,
                        roles: Roles {
                            provider: true,
                            requester: false,
                        },
                        details: TransitionDetails::default(),
                        expected_version: None,
                        at,
                    },
                )
                .await
                .unwrap();
        }
        let check = scoped
            .check_of_request(request.id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the resolution {days} days ago asked its requester"));
        asked.push((requester, check.id));
    }

    let (late, expired) = &asked[0];
    assert!(pending_checks(&app, late).await.is_empty());
    let read = app.read(late, &format!("/api/v1/checks/{expired}")).await;
    assert_eq!(read["status"], "expired", "{read}");
    let refused = expect_status(
        app.post(
            late,
            &format!("/api/v1/checks/{expired}/answer"),
            &json!({ "answer": "met", "rating": 5 }),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{refused}"
    );
    let stored = scoped.check(*expired).await.unwrap();
    assert_eq!((stored.answer, stored.answered_at), (None, None));

    let (in_time, pending) = &asked[1];
    let listed: Vec<i64> = pending_checks(&app, in_time)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(listed, [*pending]);
    let answered = expect_status(
        app.post(
            in_time,
            &format!("/api/v1/checks/{pending}/answer"),
            &json!({ "answer": "met" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answered["check"]["status"], "answered");
}
