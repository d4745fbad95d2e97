use crate::support::{TestApp, expect_status, id_of, problem_fields, version_of, weekday_calendar};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_calendar_keeps_its_zone_intervals_and_holidays() {
    let app = TestApp::spawn().await;
    let created = app.calendar("Berlin office").await;
    assert_eq!(created["time_zone"], "Europe/Berlin");
    assert_eq!(
        created["working_hours"]["monday"],
        json!([{ "start": "09:00", "end": "12:30" }, { "start": "13:30", "end": "17:30" }])
    );
    assert_eq!(created["working_hours"]["sunday"], json!([]));
    assert_eq!(created["minutes_per_week"], 5 * 7 * 60 + 5 * 30);
    assert_eq!(
        created["holidays"],
        json!([{ "date": "2026-12-25", "name": "Christmas Day" }])
    );

    let path = format!("/api/v1/calendars/{}", id_of(&created));
    let changed = app
        .patch(
            &app.admin,
            &path,
            version_of(&created),
            &json!({ "time_zone": "America/New_York", "working_hours": { "saturday": [{ "start": "00:00", "end": "24:00" }] } }),
        )
        .await;
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(changed["time_zone"], "America/New_York");
    assert_eq!(changed["working_hours"]["monday"], json!([]));
    assert_eq!(changed["minutes_per_week"], 24 * 60);
    assert_eq!(
        changed["holidays"], created["holidays"],
        "holidays were not part of the change"
    );
    assert_eq!(app.read(&app.member, &path).await, changed);
}

#[tokio::test]
async fn invalid_calendars_name_each_bad_field() {
    let app = TestApp::spawn().await;
    let mut bad_zone = weekday_calendar("A");
    bad_zone["time_zone"] = json!("Mars/Olympus");
    let mut overlapping = weekday_calendar("B");
    overlapping["working_hours"]["tuesday"] =
        json!([{ "start": "09:00", "end": "13:00" }, { "start": "12:00", "end": "17:00" }]);
    let mut backwards = weekday_calendar("C");
    backwards["working_hours"]["friday"] =
        json!([{ "start": "17:00", "end": "09:00" }, { "start": "25:00", "end": "26:00" }]);
    let mut bad_holidays = weekday_calendar("D");
    bad_holidays["holidays"] =
        json!([{ "date": "2026-02-30" }, { "date": "2026-05-01" }, { "date": "2026-05-01" }]);
    let mut empty_week = weekday_calendar("E");
    empty_week["working_hours"] = json!({});
    let mut unknown_day = weekday_calendar("F");
    unknown_day["working_hours"]["funday"] = json!([]);
    let cases = [
        (bad_zone, vec!["time_zone"]),
        (overlapping, vec!["working_hours.tuesday"]),
        (
            backwards,
            vec![
                "working_hours.friday[0].end",
                "working_hours.friday[1].start",
                "working_hours.friday[1].end",
            ],
        ),
        (bad_holidays, vec!["holidays[0].date", "holidays"]),
        (empty_week, vec!["working_hours"]),
        (unknown_day, vec!["working_hours.funday"]),
    ];
    for (body, fields) in cases {
        let problem = expect_status(
            app.post(&app.admin, "/api/v1/calendars", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), fields, "for {body}");
    }
    let calendar = app.calendar("Valid").await;
    let path = format!("/api/v1/calendars/{}", id_of(&calendar));
    let response = app
        .patch(
            &app.admin,
            &path,
            1,
            &json!({ "time_zone": "Nowhere/Land" }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["time_zone"]
    );
    assert_eq!(app.read(&app.admin, &path).await["version"], 1);
}

#[tokio::test]
async fn a_calendar_in_use_cannot_be_deleted_and_can_be_the_default() {
    let app = TestApp::spawn().await;
    let calendar = app.calendar("Head office").await;
    let department = app
        .post(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Finance", "calendar_id": id_of(&calendar) }),
        )
        .await;
    expect_status(department, StatusCode::CREATED).await;
    let path = format!("/api/v1/calendars/{}", id_of(&calendar));
    expect_status(app.delete(&app.admin, &path).await, StatusCode::CONFLICT).await;

    let organization = app.read(&app.admin, "/api/v1/organization").await;
    let changed = app
        .patch(
            &app.admin,
            "/api/v1/organization",
            version_of(&organization),
            &json!({ "default_calendar_id": id_of(&calendar) }),
        )
        .await;
    assert_eq!(
        expect_status(changed, StatusCode::OK).await["default_calendar_id"],
        id_of(&calendar)
    );
    let unknown = app
        .patch(
            &app.admin,
            "/api/v1/organization",
            2,
            &json!({ "default_calendar_id": 987_654 }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(unknown, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["default_calendar_id"]
    );

    let spare = app.calendar("Spare").await;
    expect_status(
        app.delete(&app.admin, &format!("/api/v1/calendars/{}", id_of(&spare)))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

#[tokio::test]
async fn the_calendar_arithmetic_is_open_to_clients() {
    let app = TestApp::spawn().await;
    let calendar = app.calendar("Berlin office").await;
    let base = format!("/api/v1/calendars/{}", id_of(&calendar));
    // Friday 2026-11-20 16:00 Berlin (15:00Z) + 120 business minutes: 90 on Friday
    // (to 17:30), then 30 from Monday 09:00.
    let due = app
        .get(
            &app.member,
            &format!("{base}/due?start=2026-11-20T15:00:00Z&minutes=120"),
        )
        .await;
    let due = expect_status(due, StatusCode::OK).await;
    assert_eq!(due["due"], "2026-11-23T08:30:00Z");
    assert!(
        due["due_local"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-23T09:30:00+01:00")
    );
    // A whole working day (7.5 hours around the lunch hour) from Monday 09:00 ends
    // at 17:30 that day, not at the next opening.
    let day = app
        .get(
            &app.member,
            &format!("{base}/due?start=2026-11-23T08:00:00Z&minutes=450"),
        )
        .await;
    assert_eq!(
        expect_status(day, StatusCode::OK).await["due"],
        "2026-11-23T16:30:00Z"
    );

    let between = app
        .get(
            &app.member,
            &format!("{base}/business-minutes?from=2026-11-20T15:00:00Z&to=2026-11-23T08:30:00Z"),
        )
        .await;
    assert_eq!(
        expect_status(between, StatusCode::OK).await["business_minutes"],
        120
    );
    let christmas = app
        .get(
            &app.member,
            &format!("{base}/business-minutes?from=2026-12-25T00:00:00Z&to=2026-12-26T00:00:00Z"),
        )
        .await;
    assert_eq!(
        expect_status(christmas, StatusCode::OK).await["business_minutes"],
        0,
        "a holiday holds no business time"
    );

    for (query, field) in [
        ("due?start=yesterday&minutes=5", "start"),
        ("due?start=2026-11-20T15:00:00Z&minutes=-5", "minutes"),
        ("due?start=2026-11-20T15:00:00Z", "minutes"),
        (
            "business-minutes?from=2026-11-20T15:00:00&to=2026-11-21T15:00:00Z",
            "from",
        ),
    ] {
        let response = app.get(&app.member, &format!("{base}/{query}")).await;
        assert_eq!(
            problem_fields(&expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await),
            [field],
            "{query}"
        );
    }
    let intruder = app
        .get(
            &app.outsider,
            &format!("{base}/due?start=2026-11-20T15:00:00Z&minutes=5"),
        )
        .await;
    expect_status(intruder, StatusCode::NOT_FOUND).await;
}
