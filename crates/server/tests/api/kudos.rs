//! Kudos: thanks with field-named validation, a newest-first feed with
//! cursors, counts per matrix cell, and shared recognitions in the feed.

use crate::support::{TestApp, expect_status, id_of, problem_fields};
use reqwest::StatusCode;
use roundtable_domain::ids::DepartmentId;
use serde_json::{Value, json};

#[tokio::test]
async fn kudos_are_validated_naming_the_field() {
    let app = TestApp::spawn().await;
    let nobody = app
        .post(
            &app.member,
            "/api/v1/kudos",
            &json!({ "message": "Thanks!" }),
        )
        .await;
    let problem = expect_status(nobody, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["receiver_person_id"]);
    let myself = app
        .post(
            &app.member,
            "/api/v1/kudos",
            &json!({ "receiver_person_id": app.member.id.0, "message": "" , "link": { "kind": "pizza", "id": 1 } }),
        )
        .await;
    let problem = expect_status(myself, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        problem_fields(&problem),
        ["receiver_person_id", "message", "link.kind"]
    );
    let missing_link = app
        .post(
            &app.member,
            "/api/v1/kudos",
            &json!({ "receiver_person_id": app.lead.id.0, "message": "Thanks", "link": { "kind": "request", "id": 424242 } }),
        )
        .await;
    let problem = expect_status(missing_link, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["link.id"]);
}

#[tokio::test]
async fn the_feed_is_newest_first_and_cells_count_kudos() {
    let app = TestApp::spawn().await;
    let sales = id_of(&app.department("Sales").await);
    let marketing = id_of(&app.department("Marketing").await);
    let seller = app.add_member("seller@acme.test", sales).await;
    let marketer = app.add_member("marketer@acme.test", marketing).await;
    let mut given = Vec::new();
    for (index, body) in [
        json!({ "receiver_department_id": marketing, "message": "Great leads this week", "value_tag": "teamwork" }),
        json!({ "receiver_person_id": marketer.id.0, "message": "Thanks for the quick brief" }),
        json!({ "receiver_person_id": marketer.id.0, "receiver_department_id": marketing, "message": "Both of you, thanks" }),
    ]
    .into_iter()
    .enumerate()
    {
        let response = app.post(&seller, "/api/v1/kudos", &body).await;
        let kudos = expect_status(response, StatusCode::CREATED).await;
        assert_eq!(kudos["giver_department_id"], sales, "kudos {index}");
        assert_eq!(kudos["giver_name"], "member of test", "kudos {index}");
        given.push(id_of(&kudos));
    }
    let back = app
        .post(
            &marketer,
            "/api/v1/kudos",
            &json!({ "receiver_department_id": sales, "message": "Thanks for the feedback" }),
        )
        .await;
    given.push(id_of(&expect_status(back, StatusCode::CREATED).await));

    let first = app.read(&app.member, "/api/v1/kudos?limit=3").await;
    let ids: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, [given[3], given[2], given[1]]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more follow")
        .to_owned();
    let second = app
        .read(
            &app.member,
            &format!("/api/v1/kudos?limit=3&cursor={cursor}"),
        )
        .await;
    let ids: Vec<i64> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, [given[0]]);
    assert_eq!(second["next_cursor"], Value::Null);

    let matrix = app.read(&app.member, "/api/v1/matrix").await;
    let cell = |provider: i64, consumer: i64| {
        matrix["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|cell| {
                cell["provider_department_id"] == provider
                    && cell["consumer_department_id"] == consumer
            })
            .map(|cell| cell["kudos"].clone())
    };
    assert_eq!(cell(sales, marketing), Some(json!(3)));
    assert_eq!(cell(marketing, sales), Some(json!(1)));

    // What the sales department's scorecard shows of recognition.
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    let scorecard = app
        .store
        .scoped(app.admin.organization)
        .department_kudos(DepartmentId(sales), since)
        .await
        .unwrap();
    assert_eq!(
        (scorecard.received, scorecard.given, scorecard.recognitions),
        (1, 3, 0)
    );

    expect_status(
        app.get(&app.outsider, &format!("/api/v1/kudos/{}", given[0]))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let theirs = app.read(&app.outsider, "/api/v1/kudos").await;
    assert_eq!(theirs["items"], json!([]));
}

#[tokio::test]
async fn a_reached_mutual_measure_appears_in_the_feed_once_per_department() {
    let app = TestApp::spawn().await;
    let sales = id_of(&app.department("Sales").await);
    let marketing = id_of(&app.department("Marketing").await);
    let objective = app
        .post(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": "2027", "title": "Reputation", "category": "reputation" }),
        )
        .await;
    let objective = expect_status(objective, StatusCode::CREATED).await;
    let measure = app
        .post(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "Review score", "direction": "increase",
                     "baseline": 3.5, "target": 4.5,
                     "contributors": [{ "department_id": sales, "statement": "Call back every unhappy customer" },
                                      { "department_id": marketing, "statement": "Promise only what we ship" }] }),
        )
        .await;
    let measure = expect_status(measure, StatusCode::CREATED).await;
    let path = format!("/api/v1/measures/{}/checkins", id_of(&measure));
    app.create(&app.admin, &path, &json!({ "value": 4.6 }))
        .await;
    app.create(&app.admin, &path, &json!({ "value": 4.7 }))
        .await;
    let feed = app.read(&app.member, "/api/v1/kudos").await;
    let recognitions: Vec<&Value> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|kudos| kudos["recognition"] == true)
        .collect();
    let mut departments: Vec<i64> = recognitions
        .iter()
        .filter_map(|kudos| kudos["receiver_department_id"].as_i64())
        .collect();
    departments.sort_unstable();
    let mut expected = vec![sales, marketing];
    expected.sort_unstable();
    assert_eq!(departments, expected);
    for recognition in recognitions {
        assert_eq!(recognition["giver_person_id"], Value::Null);
        assert_eq!(recognition["recognized_measure_id"], id_of(&measure));
        assert_eq!(recognition["link"]["kind"], "measure");
        assert_eq!(recognition["giver_name"], Value::Null);
        assert!(recognition["receiver_department_name"].is_string());
    }
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    let scorecard = app
        .store
        .scoped(app.admin.organization)
        .department_kudos(DepartmentId(marketing), since)
        .await
        .unwrap();
    assert_eq!(scorecard.recognitions, 1);
}
