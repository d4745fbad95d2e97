//! The work inbox: each hand-over appears for the person whose turn it is,
//! leads to the page where it is done, and leaves once anyone entitled has
//! done it; nobody else sees it.

use crate::checks::{desk, resolved_request};
use crate::support::{TestApp, User, expect_status, id_of};
use crate::web::Browser;
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

async fn inbox(app: &TestApp, user: &User) -> Value {
    expect_status(app.get(user, "/api/v1/inbox").await, StatusCode::OK).await
}

/// The inbox's items of one kind, as (subject id, link).
async fn items_of(app: &TestApp, user: &User, kind: &str) -> Vec<(i64, String)> {
    inbox(app, user).await["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|item| item["kind"] == kind)
        .map(|item| {
            (
                item["subject_id"].as_i64().unwrap_or_default(),
                item["link"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn step(app: &TestApp, user: &User, agreement: i64, step: &str) -> reqwest::Response {
    app.post(
        user,
        &format!("/api/v1/agreements/{agreement}/{step}"),
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn a_proposed_agreement_waits_on_each_lead_until_their_side_accepts() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 0.0).await;
    let (marketing, sales) = (id_of(&desk.marketing), id_of(&desk.sales));
    let sales_lead = app.lead_of("sales.lead@acme.test", sales).await;
    let agreement = expect_status(
        app.post(
            &app.lead,
            "/api/v1/agreements",
            &json!({ "provider_department_id": marketing, "consumer_department_id": sales,
                     "service_ids": [id_of(&desk.service)] }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = id_of(&agreement);
    // A draft waits on nobody.
    assert!(
        items_of(&app, &sales_lead, "agreement_to_accept")
            .await
            .is_empty()
    );
    expect_status(step(&app, &app.lead, id, "propose").await, StatusCode::OK).await;

    let cell = format!("/matrix/{marketing}/{sales}");
    assert_eq!(
        items_of(&app, &sales_lead, "agreement_to_accept").await,
        [(id, cell.clone())]
    );
    assert_eq!(
        items_of(&app, &app.lead, "agreement_to_accept").await,
        [(id, cell.clone())]
    );
    let listed = inbox(&app, &sales_lead).await;
    let item = &listed["items"][0];
    assert_eq!(item["subject_kind"], "agreement");
    assert_eq!(item["action"], "Accept or discuss the agreement");
    assert!(
        item["title"]
            .as_str()
            .is_some_and(|title| title.contains("Marketing") && title.contains("Sales")),
        "{item}"
    );
    assert!(
        item["waiting_since"]
            .as_str()
            .is_some_and(|since| since.ends_with('Z'))
    );
    // Nobody else is asked: not a member of either side, not an executive,
    // not the administrator, not another organization.
    let executive = app.add_user("chief@acme.test", Role::Executive).await;
    for user in [&desk.marketer, &executive, &app.admin, &app.outsider] {
        assert!(
            items_of(&app, user, "agreement_to_accept").await.is_empty(),
            "{}",
            user.email
        );
    }

    expect_status(step(&app, &app.lead, id, "accept").await, StatusCode::OK).await;
    assert!(
        items_of(&app, &app.lead, "agreement_to_accept")
            .await
            .is_empty()
    );
    assert_eq!(
        items_of(&app, &sales_lead, "agreement_to_accept").await,
        [(id, cell)]
    );
    expect_status(step(&app, &sales_lead, id, "accept").await, StatusCode::OK).await;
    assert!(
        items_of(&app, &sales_lead, "agreement_to_accept")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn requests_wait_unassigned_on_the_lead_then_assigned_on_the_assignee() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = app
        .add_member_of("seller@acme.test", Role::Member, id_of(&desk.sales))
        .await;
    let request = expect_status(
        app.post(
            &seller,
            "/api/v1/requests",
            &json!({ "service_id": id_of(&desk.service), "title": "Leads for the fair" }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = id_of(&request);
    let link = format!("/requests/{id}");
    assert_eq!(
        items_of(&app, &app.lead, "request_unassigned").await,
        [(id, link.clone())]
    );
    assert_eq!(inbox(&app, &app.lead).await["unassigned_requests"], 1);
    // A member of the queue is not asked to assign; the requester waits on nobody.
    assert!(
        items_of(&app, &desk.marketer, "request_unassigned")
            .await
            .is_empty()
    );
    assert!(inbox(&app, &seller).await["items"] == json!([]));

    let assigned = expect_status(
        app.patch(
            &desk.marketer,
            &link.replace("/requests", "/api/v1/requests"),
            crate::support::version_of(&request),
            &json!({ "assignee_person_id": desk.marketer.id.0 }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        items_of(&app, &app.lead, "request_unassigned")
            .await
            .is_empty()
    );
    assert_eq!(inbox(&app, &app.lead).await["unassigned_requests"], 0);
    let mine = inbox(&app, &desk.marketer).await;
    let item = &mine["items"][0];
    assert_eq!(item["kind"], "request_assigned");
    assert_eq!(item["subject_id"], id);
    // Its due time is the fulfilment clock's.
    assert_eq!(
        item["due_at"], assigned["clocks"]["fulfilment"]["due_at"],
        "{item}"
    );
    assert_eq!(item["overdue"], false);

    // Once resolved it leaves the assignee's inbox, and the requester's check arrives.
    let path = format!("/api/v1/requests/{id}/transitions");
    for to in [
        json!({ "to": "acknowledged" }),
        json!({ "to": "resolved", "input_quality": "complete" }),
    ] {
        expect_status(app.post(&desk.marketer, &path, &to).await, StatusCode::OK).await;
    }
    assert!(
        items_of(&app, &desk.marketer, "request_assigned")
            .await
            .is_empty()
    );
    let checks = items_of(&app, &seller, "check_to_answer").await;
    assert_eq!(checks.len(), 1);
    let (check, check_link) = &checks[0];
    assert_eq!(check_link, &format!("/checks/{check}"));
    expect_status(
        app.post(
            &seller,
            &format!("/api/v1/checks/{check}/answer"),
            &json!({ "answer": "met", "rating": 5 }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(items_of(&app, &seller, "check_to_answer").await.is_empty());
}

#[tokio::test]
async fn an_assumption_waits_on_the_lead_it_is_about_until_someone_of_theirs_answers() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 0.0).await;
    let seller = app
        .add_member_of("seller@acme.test", Role::Member, id_of(&desk.sales))
        .await;
    let assumption = expect_status(
        app.post(
            &seller,
            "/api/v1/topics",
            &json!({ "kind": "assumption", "title": "Marketing scores every lead by hand",
                     "about_department_id": id_of(&desk.marketing) }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let frustration = expect_status(
        app.post(
            &seller,
            "/api/v1/topics",
            &json!({ "kind": "frustration", "title": "Leads arrive without a budget",
                     "mirror": "We never said which budget band we sell to",
                     "about_department_id": id_of(&desk.marketing) }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (assumption, frustration) = (id_of(&assumption), id_of(&frustration));
    assert_eq!(
        items_of(&app, &app.lead, "assumption_to_answer").await,
        [(assumption, format!("/topics/{assumption}"))]
    );
    assert_eq!(
        items_of(&app, &app.lead, "frustration_to_answer").await,
        [(frustration, format!("/topics/{frustration}"))]
    );
    // The author's department is not asked about its own topic.
    assert!(
        items_of(&app, &seller, "assumption_to_answer")
            .await
            .is_empty()
    );

    // A member of Marketing answers: the lead's item is done.
    expect_status(
        app.post(
            &desk.marketer,
            &format!("/api/v1/topics/{assumption}/answer"),
            &json!({ "answer": "corrected", "note": "A model scores them; we check the top tenth." }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        items_of(&app, &app.lead, "assumption_to_answer")
            .await
            .is_empty()
    );
    // The seller's own comment does not answer the frustration; Marketing's does.
    let comments = format!("/api/v1/topics/{frustration}/comments");
    let noted = json!({ "body": "Noted." });
    expect_status(
        app.post(&seller, &comments, &noted).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        items_of(&app, &app.lead, "frustration_to_answer")
            .await
            .len(),
        1
    );
    expect_status(
        app.post(&desk.marketer, &comments, &noted).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(
        items_of(&app, &app.lead, "frustration_to_answer")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_home_page_and_the_inbox_page_list_what_waits_with_its_link() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = app
        .add_member_of("seller@acme.test", Role::Member, id_of(&desk.sales))
        .await;
    let request = resolved_request(&app, &desk, &seller).await;
    let checks = expect_status(app.get(&seller, "/api/v1/checks").await, StatusCode::OK).await;
    let check = id_of(&checks["items"][0]);

    let mut browser = Browser::default();
    browser.sign_in(&app, &seller.email).await;
    let home = browser.page(&app, "/").await;
    assert!(home.contains("Waiting on you (1)"), "{home}");
    assert!(home.contains(&format!("href=\"/checks/{check}\"")));
    assert!(home.contains("Say whether your request was met"));
    let page = browser.page(&app, "/inbox").await;
    assert!(
        page.contains(&format!("href=\"/checks/{check}\"")),
        "{page}"
    );
    assert!(page.contains(request["title"].as_str().unwrap_or("?")));

    let mut lead = Browser::default();
    lead.sign_in(&app, &app.lead.email).await;
    let empty = lead.page(&app, "/inbox").await;
    assert!(empty.contains("Nothing is waiting on you."), "{empty}");
}

/// The kinds and links of `user`'s notifications, oldest first.
async fn told(app: &TestApp, user: &User, kind: &str) -> Vec<String> {
    let page = expect_status(app.get(user, "/api/v1/notifications").await, StatusCode::OK).await;
    let mut links: Vec<String> = page["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|item| item["kind"] == kind)
        .map(|item| item["link"].as_str().unwrap_or_default().to_owned())
        .collect();
    links.reverse();
    links
}

fn days_later(days: i64) -> jiff::Timestamp {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap_or(jiff::Timestamp::MAX)
}

#[tokio::test]
async fn hand_overs_are_told_once_to_whoever_they_wait_on_and_reminded_once() {
    use roundtable_worker::handovers::sweep;
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let (marketing, sales) = (id_of(&desk.marketing), id_of(&desk.sales));
    let sales_lead = app.lead_of("sales.lead@acme.test", sales).await;
    let seller = app
        .add_member_of("seller@acme.test", Role::Member, sales)
        .await;
    let agreement = expect_status(
        app.post(
            &app.lead,
            "/api/v1/agreements",
            &json!({ "provider_department_id": marketing, "consumer_department_id": sales,
                     "service_ids": [id_of(&desk.service)] }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        step(&app, &app.lead, id_of(&agreement), "propose").await,
        StatusCode::OK,
    )
    .await;
    let topic = expect_status(
        app.post(
            &seller,
            "/api/v1/topics",
            &json!({ "kind": "assumption", "title": "Marketing scores every lead by hand",
                     "about_department_id": marketing }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    resolved_request(&app, &desk, &seller).await;

    // Now: the Sales lead is asked to accept (the proposer, who leads the
    // other side, is not told of their own proposal); the Marketing lead of
    // the assumption about Marketing.
    assert_eq!(sweep(&app.store, jiff::Timestamp::now()).await.unwrap(), 2);
    let cell = format!("/matrix/{marketing}/{sales}");
    assert_eq!(
        told(&app, &sales_lead, "agreement_proposed").await,
        [cell.as_str()]
    );
    assert!(told(&app, &app.lead, "agreement_proposed").await.is_empty());
    assert_eq!(
        told(&app, &app.lead, "topic_raised").await,
        [format!("/topics/{}", id_of(&topic))]
    );
    assert!(told(&app, &seller, "topic_raised").await.is_empty());
    // Told once, however often the sweep runs (and on however many instances).
    assert_eq!(sweep(&app.store, jiff::Timestamp::now()).await.unwrap(), 0);

    // Four days on (the calendar runs round the clock, so three business
    // days have passed): one reminder to the Sales lead, and one to the
    // seller whose check waits; then nothing more.
    assert_eq!(sweep(&app.store, days_later(4)).await.unwrap(), 2);
    assert_eq!(told(&app, &sales_lead, "agreement_reminder").await, [cell]);
    assert_eq!(told(&app, &seller, "check_reminder").await.len(), 1);
    assert_eq!(sweep(&app.store, days_later(5)).await.unwrap(), 0);

    // Once the Sales lead accepts, nothing about it is sent any more.
    expect_status(
        step(&app, &sales_lead, id_of(&agreement), "accept").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(sweep(&app.store, days_later(9)).await.unwrap(), 0);
}

#[tokio::test]
async fn a_pulse_round_is_announced_to_its_people_and_reminded_to_those_who_have_not_answered() {
    use roundtable_worker::handovers::sweep;
    let app = TestApp::spawn().await;
    let board = crate::pulses::board(&app).await;
    let sellers = crate::pulses::people_of(&app, "seller", 2, board.sales).await;
    let marketers = crate::pulses::people_of(&app, "marketer", 1, board.marketing).await;
    let round = expect_status(
        app.post(
            &app.admin,
            "/api/v1/pulses",
            &json!({ "name": "2027-Q1 pulse", "closes_at": days_later(10).to_string() }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = id_of(&round);
    let link = format!("/pulses/{id}");
    sweep(&app.store, jiff::Timestamp::now()).await.unwrap();
    for seller in &sellers {
        assert_eq!(told(&app, seller, "pulse_opened").await, [link.as_str()]);
    }
    // The provider's people are asked too: the mirror. Someone of no
    // department in the round is not.
    assert_eq!(
        told(&app, &marketers[0], "pulse_opened").await,
        [link.as_str()]
    );
    assert!(told(&app, &app.member, "pulse_opened").await.is_empty());
    assert_eq!(sweep(&app.store, jiff::Timestamp::now()).await.unwrap(), 0);

    // One seller answers; at half-time only the other is reminded.
    let answer = json!({
        "provider_department_id": board.marketing, "consumer_department_id": board.sales,
        "expectation": crate::pulses::ratings([6, 6, 6, 6, 6]),
        "perception": crate::pulses::ratings([5, 5, 5, 5, 5]),
        "importance": crate::pulses::ratings([20, 20, 20, 20, 20]),
    });
    let answered = app
        .post(
            &sellers[0],
            &format!("/api/v1/pulses/{id}/responses"),
            &answer,
        )
        .await;
    assert!(answered.status().is_success(), "{}", answered.status());
    sweep(&app.store, days_later(6)).await.unwrap();
    assert!(told(&app, &sellers[0], "pulse_reminder").await.is_empty());
    assert_eq!(
        told(&app, &sellers[1], "pulse_reminder").await,
        [link.as_str()]
    );
    // Its last day: reminded once more, then never again.
    sweep(
        &app.store,
        days_later(9) + jiff::SignedDuration::from_hours(12),
    )
    .await
    .unwrap();
    assert_eq!(told(&app, &sellers[1], "pulse_reminder").await.len(), 2);
    assert_eq!(
        sweep(
            &app.store,
            days_later(9) + jiff::SignedDuration::from_hours(13)
        )
        .await
        .unwrap(),
        0
    );
}

#[tokio::test]
async fn an_agreement_that_says_nothing_cannot_be_proposed() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 0.0).await;
    let (marketing, sales) = (id_of(&desk.marketing), id_of(&desk.sales));
    let sales_lead = app.lead_of("sales.lead@acme.test", sales).await;
    let empty = expect_status(
        app.post(
            &app.lead,
            "/api/v1/agreements",
            &json!({ "provider_department_id": marketing, "consumer_department_id": sales }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let refused = step(&app, &app.lead, id_of(&empty), "propose").await;
    assert_eq!(
        crate::support::problem_fields(
            &expect_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await
        ),
        ["service_ids"]
    );
    // Nothing waits on the other lead.
    assert!(
        items_of(&app, &sales_lead, "agreement_to_accept")
            .await
            .is_empty()
    );
}
