//! Every time in the reader's own time: their department's calendar zone
//! until they choose one, the chosen one after; forms read local times in
//! it; the API keeps RFC 3339 with offsets.

use crate::checks::{desk, resolved_request};
use crate::support::{TestApp, User, expect_status, id_of, problem_fields};
use crate::web::Browser;
use reqwest::{Method, StatusCode};
use roundtable_domain::people::Role;
use serde_json::{Value, json};

async fn set_zone(app: &TestApp, user: &User, zone: Value) -> reqwest::Response {
    app.request(Method::PUT, Some(user), "/api/v1/me/time-zone")
        .json(&json!({ "time_zone": zone }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_person_reads_times_in_their_departments_zone_until_they_choose_their_own() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    // Sales works on a Berlin calendar; its seller has chosen nothing.
    let berlin = app.calendar("Berlin office").await;
    let seller_department = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Field sales", "calendar_id": id_of(&berlin) }),
        )
        .await;
    let field_sales = id_of(&expect_status(seller_department, StatusCode::CREATED).await);
    let seller = app
        .add_member_of("seller@acme.test", Role::Member, field_sales)
        .await;
    let zone = expect_status(
        app.get(&seller, "/api/v1/me/time-zone").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        zone,
        json!({ "time_zone": null, "reading_time_zone": "Europe/Berlin" })
    );

    resolved_request(&app, &desk, &seller).await;
    let checks = expect_status(app.get(&seller, "/api/v1/checks").await, StatusCode::OK).await;
    let asked: jiff::Timestamp = checks["items"][0]["created_at"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .expect("the check's time");
    let shown = |zone: &str| {
        asked
            .to_zoned(jiff::tz::TimeZone::get(zone).expect("zone"))
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    let mut browser = Browser::default();
    browser.sign_in(&app, &seller.email).await;
    let inbox = browser.page(&app, "/inbox").await;
    assert!(inbox.contains(&shown("Europe/Berlin")), "{inbox}");
    assert!(!inbox.contains(" UTC"), "no time in UTC: {inbox}");

    // Their own choice wins, on every page; the API's own times stay RFC 3339.
    let chosen = expect_status(
        set_zone(&app, &seller, json!("America/New_York")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        chosen,
        json!({ "time_zone": "America/New_York", "reading_time_zone": "America/New_York" })
    );
    let inbox = browser.page(&app, "/inbox").await;
    assert!(inbox.contains(&shown("America/New_York")), "{inbox}");
    let again = expect_status(app.get(&seller, "/api/v1/checks").await, StatusCode::OK).await;
    assert_eq!(
        again["items"][0]["created_at"],
        checks["items"][0]["created_at"]
    );
    let me = expect_status(app.get(&seller, "/api/v1/me").await, StatusCode::OK).await;
    assert_eq!(me["time_zone"], "America/New_York");

    // A zone that does not exist is refused naming the field, and changes nothing.
    let wrong = set_zone(&app, &seller, json!("Mars/Olympus")).await;
    assert_eq!(
        problem_fields(&expect_status(wrong, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["time_zone"]
    );
    let zone = expect_status(
        app.get(&seller, "/api/v1/me/time-zone").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(zone["time_zone"], "America/New_York");
    // Blank goes back to the department's calendar.
    let back = expect_status(set_zone(&app, &seller, Value::Null).await, StatusCode::OK).await;
    assert_eq!(back["reading_time_zone"], "Europe/Berlin");
}

#[tokio::test]
async fn the_settings_page_sets_the_zone_and_forms_read_local_times_in_it() {
    let app = TestApp::spawn().await;
    // Agreed cells, for a pulse round to ask about.
    crate::pulses::board(&app).await;
    let mut browser = Browser::default();
    browser.sign_in(&app, &app.admin.email).await;
    let page = browser.page(&app, "/settings/time-zone").await;
    assert!(
        page.contains("Times are shown in <strong>UTC</strong>"),
        "{page}"
    );
    assert!(page.contains("<option value=\"Asia/Tokyo\""));
    let refused = browser
        .submit(
            &app,
            "/settings/time-zone",
            &[("time_zone", "Nowhere/Special")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = browser
        .submit(&app, "/settings/time-zone", &[("time_zone", "Asia/Tokyo")])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = browser.page(&app, "/settings/time-zone").await;
    assert!(page.contains("Times are shown in <strong>Asia/Tokyo</strong>"));

    // A pulse round closing at 18:00 Tokyo time closes at 09:00 UTC.
    let pulses = browser.page(&app, "/pulses").await;
    assert!(pulses.contains("Closes (Asia/Tokyo)"), "{pulses}");
    let created = browser
        .submit(
            &app,
            "/pulses",
            &[("name", "Tokyo pulse"), ("closes_at", "2099-03-02T18:00")],
        )
        .await;
    assert!(created.status().is_redirection(), "{}", created.status());
    let rounds = expect_status(app.get(&app.admin, "/api/v1/pulses").await, StatusCode::OK).await;
    assert_eq!(rounds["items"][0]["closes_at"], "2099-03-02T09:00:00Z");
}
