//! Relationship pulses: rounds over agreed cells, answers with the mirror,
//! results only after closing, and nothing under the anonymity threshold
//! through any endpoint, filter or export.

use crate::support::{TestApp, User, expect_status, id_of, problem_fields, version_of};
use reqwest::{Method, StatusCode};
use roundtable_domain::people::Role;
use serde_json::{Value, json};

/// Marketing (led by `app.lead`) serves Sales and Finance, both agreed.
pub(crate) struct Board {
    pub(crate) marketing: i64,
    pub(crate) sales: i64,
    pub(crate) finance: i64,
}

async fn agreed_cell(
    app: &TestApp,
    provider: i64,
    consumer: i64,
    consumer_lead: &User,
    service: i64,
) {
    let agreement = app.create(&app.admin, "/api/v1/agreements", &json!({ "provider_department_id": provider, "consumer_department_id": consumer, "service_ids": [service] }))
    .await;
    let id = id_of(&agreement);
    for (user, step) in [
        (&app.lead, "propose"),
        (&app.lead, "accept"),
        (consumer_lead, "accept"),
    ] {
        let response = app
            .request(
                Method::POST,
                Some(user),
                &format!("/api/v1/agreements/{id}/{step}"),
            )
            .send()
            .await
            .unwrap();
        expect_status(response, StatusCode::OK).await;
    }
}

pub(crate) async fn board(app: &TestApp) -> Board {
    let sales_lead = app.add_user("sales.lead@acme.test", Role::Lead).await;
    let finance_lead = app.add_user("finance.lead@acme.test", Role::Lead).await;
    let department = |body: Value| async move {
        id_of(&app.create(&app.admin, "/api/v1/departments", &body).await)
    };
    let marketing = department(json!({ "name": "Marketing", "lead_ids": [app.lead.id.0] })).await;
    let sales = department(json!({ "name": "Sales", "lead_ids": [sales_lead.id.0] })).await;
    let finance = department(json!({ "name": "Finance", "lead_ids": [finance_lead.id.0] })).await;
    let service = id_of(
        &app.create(&app.admin, "/api/v1/services", &json!({
                "provider_department_id": marketing, "consumer_department_ids": [sales, finance], "name": "Campaign data",
                "first_response_minutes": 240, "fulfilment_minutes": 2400
            }))
        .await,
    );
    agreed_cell(app, marketing, sales, &sales_lead, service).await;
    agreed_cell(app, marketing, finance, &finance_lead, service).await;
    Board {
        marketing,
        sales,
        finance,
    }
}

/// Closes a round by hand, as the administrator.
pub(crate) async fn close_round(app: &TestApp, id: i64) -> Value {
    let response = app
        .request(
            Method::POST,
            Some(&app.admin),
            &format!("/api/v1/pulses/{id}/close"),
        )
        .send()
        .await
        .unwrap();
    expect_status(response, StatusCode::OK).await
}

pub(crate) fn ratings(values: [i64; 5]) -> Value {
    json!({ "reliability": values[0], "responsiveness": values[1], "assurance": values[2], "empathy": values[3], "tangibles": values[4] })
}

pub(crate) async fn people_of(
    app: &TestApp,
    prefix: &str,
    count: usize,
    department: i64,
) -> Vec<User> {
    let mut people = Vec::new();
    for index in 0..count {
        people.push(
            app.add_member_of(
                &format!("{prefix}{index}@acme.test"),
                Role::Member,
                department,
            )
            .await,
        );
    }
    people
}

/// One row of the pulse export (aggregates per round, scope and dimension),
/// read from either format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PulseExportRow {
    pub(crate) round_id: i64,
    pub(crate) scope: String,
    pub(crate) provider_department_id: Option<i64>,
    pub(crate) consumer_department_id: Option<i64>,
    pub(crate) respondents: Option<i64>,
    pub(crate) dimension: String,
    pub(crate) perception_mean: f64,
    pub(crate) expectation_mean: f64,
    pub(crate) service_gap: f64,
    pub(crate) importance_mean: f64,
    pub(crate) self_rating_mean: Option<f64>,
    pub(crate) mirror_gap: Option<f64>,
    pub(crate) importance_weighted_gap: f64,
}

/// One row of the health export: the pulse component of a cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HealthPulse {
    pub(crate) provider_department_id: i64,
    pub(crate) consumer_department_id: i64,
    pub(crate) pulse: Option<f64>,
    pub(crate) pulse_sample: Option<i64>,
}

/// An export in both formats, as the administrator: each must answer 200,
/// and the CSV's records, read by their header names (an empty field is
/// "none"), must be exactly the JSON's rows.
async fn export_rows<T: PartialEq + std::fmt::Debug>(
    app: &TestApp,
    kind: &str,
    from_json: impl Fn(&Value) -> T,
    from_csv: impl Fn(&dyn Fn(&str) -> Option<String>) -> T,
) -> Vec<T> {
    let json = app
        .read(&app.admin, &format!("/api/v1/exports/{kind}?format=json"))
        .await;
    let rows: Vec<T> = json
        .as_array()
        .unwrap_or_else(|| panic!("the {kind} export is a JSON array: {json}"))
        .iter()
        .map(&from_json)
        .collect();
    let response = app
        .get(&app.admin, &format!("/api/v1/exports/{kind}?format=csv"))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "the {kind} CSV export");
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let mut csv_rows = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        let field = |name: &str| -> Option<String> {
            let index = headers
                .iter()
                .position(|header| header == name)
                .unwrap_or_else(|| panic!("the {kind} CSV has no column {name}: {headers:?}"));
            Some(record[index].to_owned()).filter(|value| !value.is_empty())
        };
        csv_rows.push(from_csv(&field));
    }
    assert_eq!(csv_rows, rows, "the {kind} export's CSV and JSON disagree");
    rows
}

pub(crate) async fn pulse_export(app: &TestApp) -> Vec<PulseExportRow> {
    let number = |text: Option<String>| text.map(|text| text.parse::<f64>().unwrap());
    let whole = |text: Option<String>| text.map(|text| text.parse::<i64>().unwrap());
    export_rows(
        app,
        "pulses",
        |row| PulseExportRow {
            round_id: row["round_id"].as_i64().unwrap(),
            scope: row["scope"].as_str().unwrap().to_owned(),
            provider_department_id: row["provider_department_id"].as_i64(),
            consumer_department_id: row["consumer_department_id"].as_i64(),
            respondents: row["respondents"].as_i64(),
            dimension: row["dimension"].as_str().unwrap().to_owned(),
            perception_mean: row["perception_mean"].as_f64().unwrap(),
            expectation_mean: row["expectation_mean"].as_f64().unwrap(),
            service_gap: row["service_gap"].as_f64().unwrap(),
            importance_mean: row["importance_mean"].as_f64().unwrap(),
            self_rating_mean: row["self_rating_mean"].as_f64(),
            mirror_gap: row["mirror_gap"].as_f64(),
            importance_weighted_gap: row["importance_weighted_gap"].as_f64().unwrap(),
        },
        |field| PulseExportRow {
            round_id: whole(field("round_id")).unwrap(),
            scope: field("scope").unwrap(),
            provider_department_id: whole(field("provider_department_id")),
            consumer_department_id: whole(field("consumer_department_id")),
            respondents: whole(field("respondents")),
            dimension: field("dimension").unwrap(),
            perception_mean: number(field("perception_mean")).unwrap(),
            expectation_mean: number(field("expectation_mean")).unwrap(),
            service_gap: number(field("service_gap")).unwrap(),
            importance_mean: number(field("importance_mean")).unwrap(),
            self_rating_mean: number(field("self_rating_mean")),
            mirror_gap: number(field("mirror_gap")),
            importance_weighted_gap: number(field("importance_weighted_gap")).unwrap(),
        },
    )
    .await
}

pub(crate) async fn health_export(app: &TestApp) -> Vec<HealthPulse> {
    export_rows(
        app,
        "health",
        |row| HealthPulse {
            provider_department_id: row["provider_department_id"].as_i64().unwrap(),
            consumer_department_id: row["consumer_department_id"].as_i64().unwrap(),
            pulse: row["pulse"].as_f64(),
            pulse_sample: row["pulse_sample"].as_i64(),
        },
        |field| HealthPulse {
            provider_department_id: field("provider_department_id").unwrap().parse().unwrap(),
            consumer_department_id: field("consumer_department_id").unwrap().parse().unwrap(),
            pulse: field("pulse").map(|text| text.parse().unwrap()),
            pulse_sample: field("pulse_sample").map(|text| text.parse().unwrap()),
        },
    )
    .await
}

/// The cell's pulse in the health export (which has a row per cell).
fn health_of(rows: &[HealthPulse], provider: i64, consumer: i64) -> &HealthPulse {
    rows.iter()
        .find(|row| {
            row.provider_department_id == provider && row.consumer_department_id == consumer
        })
        .unwrap_or_else(|| panic!("no health row for {provider} → {consumer}: {rows:?}"))
}

/// The matrix cell from Marketing to Sales, as the admin reads it in detail.
async fn sales_cell_detail(app: &TestApp, board: &Board) -> Value {
    let path = format!("/api/v1/matrix/cells/{}/{}", board.marketing, board.sales);
    app.read(&app.admin, &path).await
}

/// The pulse's part of a cell's health.
fn pulse_component(detail: &Value) -> Value {
    detail["health"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|component| component["name"] == "pulse")
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn a_closed_round_shows_gaps_and_the_mirror_and_withholds_small_groups_everywhere() {
    let app = TestApp::spawn().await;
    let board = board(&app).await;
    let sellers = people_of(&app, "seller", 5, board.sales).await;
    // k − 1 = 4 people: one short of the threshold.
    let accountants = people_of(&app, "accountant", 4, board.finance).await;
    let marketers = people_of(&app, "marketer", 5, board.marketing).await;

    let closes = "2099-01-01T00:00:00Z";
    expect_status(
        app.post(
            &app.lead,
            "/api/v1/pulses",
            &json!({ "name": "2027-Q1 pulse", "closes_at": closes }),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let bad = app
        .post(
            &app.admin,
            "/api/v1/pulses",
            &json!({ "name": "", "closes_at": "soon" }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["name", "closes_at"]
    );
    let round = app
        .create(
            &app.admin,
            "/api/v1/pulses",
            &json!({ "name": "2027-Q1 pulse", "closes_at": closes }),
        )
        .await;
    let id = id_of(&round);
    assert_eq!(round["status"], "open");
    assert_eq!(round["cells"].as_array().map(Vec::len), Some(2));
    let mine = app.read(&sellers[0], &format!("/api/v1/pulses/{id}")).await;
    assert_eq!(
        mine["my_cells"],
        json!([{ "provider_department_id": board.marketing, "consumer_department_id": board.sales, "side": "consumer", "answered": false }])
    );

    let respond = |user: &User, consumer: i64, body: Value| {
        let mut body = body;
        body["provider_department_id"] = json!(board.marketing);
        body["consumer_department_id"] = json!(consumer);
        let path = format!("/api/v1/pulses/{id}/responses");
        let user = user.clone();
        let app = &app;
        async move { app.post(&user, &path, &body).await }
    };
    // Five sellers: expectation 6 everywhere; perception 4, 5, 5, 3, 4 plus
    // their index on reliability; importance 40/20/20/10/10.
    for (index, seller) in sellers.iter().enumerate() {
        let body = json!({
            "expectation": ratings([6, 6, 6, 6, 6]),
            "perception": ratings([1 + index as i64, 5, 5, 3, 4]),
            "importance": ratings([40, 20, 20, 10, 10]),
            "comment": format!("comment {index}"),
        });
        expect_status(
            respond(seller, board.sales, body).await,
            StatusCode::CREATED,
        )
        .await;
    }
    let twice = respond(&sellers[0], board.sales, json!({ "expectation": ratings([6; 5]), "perception": ratings([6; 5]), "importance": ratings([20; 5]) })).await;
    expect_status(twice, StatusCode::CONFLICT).await;
    let short = respond(&accountants[0], board.finance, json!({ "expectation": ratings([6; 5]), "perception": ratings([8, 5, 5, 5, 5]), "importance": ratings([20, 20, 20, 20, 10]) })).await;
    assert_eq!(
        problem_fields(&expect_status(short, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["perception.reliability", "importance"]
    );
    let no_expectation = respond(
        &accountants[0],
        board.finance,
        json!({ "perception": ratings([5; 5]), "importance": ratings([20; 5]) }),
    )
    .await;
    assert_eq!(
        problem_fields(&expect_status(no_expectation, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["expectation"]
    );
    let stranger = respond(&app.member, board.finance, json!({ "expectation": ratings([6; 5]), "perception": ratings([5; 5]), "importance": ratings([20; 5]) })).await;
    expect_status(stranger, StatusCode::FORBIDDEN).await;
    for accountant in &accountants {
        let body = json!({ "expectation": ratings([7; 5]), "perception": ratings([2; 5]), "importance": ratings([20; 5]), "comment": "secret" });
        expect_status(
            respond(accountant, board.finance, body).await,
            StatusCode::CREATED,
        )
        .await;
    }
    // The mirror: five marketers rate themselves 6 on every dimension, for both cells.
    for marketer in &marketers {
        for consumer in [board.sales, board.finance] {
            expect_status(
                respond(marketer, consumer, json!({ "perception": ratings([6; 5]) })).await,
                StatusCode::CREATED,
            )
            .await;
        }
    }

    // Blind until the round closes.
    expect_status(
        app.get(&app.admin, &format!("/api/v1/pulses/{id}/results"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_status(
        app.request(
            Method::POST,
            Some(&app.member),
            &format!("/api/v1/pulses/{id}/close"),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let closed = close_round(&app, id).await;
    assert_eq!(closed["status"], "closed");
    let late = respond(
        &accountants[0],
        board.finance,
        json!({ "perception": ratings([5; 5]) }),
    )
    .await;
    expect_status(late, StatusCode::CONFLICT).await;

    let results = app
        .read(&app.member, &format!("/api/v1/pulses/{id}/results"))
        .await;
    assert_eq!(results["anonymity_threshold"], 5);
    let cells = results["cells"].as_array().unwrap();
    let sales_cell = cells
        .iter()
        .find(|cell| cell["consumer_department_id"] == board.sales)
        .unwrap();
    assert_eq!(sales_cell["disclosed"], true);
    assert_eq!(sales_cell["respondents"], 5);
    assert_eq!(sales_cell["self_respondents"], 5);
    let scores = &sales_cell["scores"];
    // Reliability perception (1+2+3+4+5)/5 = 3; gap 3 − 6 = −3; mirror 6 − 3 = 3.
    assert_eq!(scores["perception"]["reliability"], 3.0);
    assert_eq!(scores["service_gap"]["reliability"], -3.0);
    assert_eq!(scores["mirror_gap"]["reliability"], 3.0);
    assert_eq!(scores["mirror_gap"]["empathy"], 3.0);
    // Weighted gap per respondent: .4(p−6) + .2(−1) + .2(−1) + .1(−3) + .1(−2); mean p = 3 → −1.2 − 0.9 = −2.1.
    let weighted = scores["importance_weighted_gap"].as_f64().unwrap();
    assert!((weighted + 2.1).abs() < 1e-9, "{weighted}");
    let comments: Vec<&str> = sales_cell["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(comments.len(), 5);

    // Finance: four people, one short of k. Nothing about them comes out, anywhere.
    let finance_cell = cells
        .iter()
        .find(|cell| cell["consumer_department_id"] == board.finance)
        .unwrap();
    assert_eq!(finance_cell["disclosed"], false);
    assert_eq!(finance_cell["note"], "not enough responses");
    assert_eq!(finance_cell["respondents"], Value::Null);
    assert_eq!(finance_cell["scores"], Value::Null);
    assert_eq!(finance_cell["comments"], json!([]));
    // Marketing as a provider overall would be Sales + Finance: shown beside
    // the Sales cell it would expose Finance's four answers, so it is withheld.
    let provider_wide = &results["as_provider"][0];
    assert_eq!(provider_wide["department_id"], board.marketing);
    assert_eq!(provider_wide["disclosed"], false);
    assert_eq!(provider_wide["scores"], Value::Null);
    let filtered = app
        .read(
            &app.admin,
            &format!(
                "/api/v1/pulses/{id}/results?consumer_department_id={}",
                board.finance
            ),
        )
        .await;
    assert!(!filtered.to_string().contains("secret"));
    assert_eq!(filtered["cells"][0]["scores"], Value::Null);
    assert_eq!(filtered["as_consumer"][0]["disclosed"], false);
    for path in [
        format!("/api/v1/matrix/cells/{}/{}", board.marketing, board.finance),
        format!("/api/v1/departments/{}/scorecard", board.marketing),
        format!("/api/v1/departments/{}/scorecard", board.finance),
        "/api/v1/matrix".to_owned(),
    ] {
        let response = app.get(&app.admin, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("secret"), "{path} leaks a comment");
        // Finance's perception (2 on every dimension) maps to 16.67 on 0–100:
        // it must not appear as a pulse value.
        assert!(
            !body.contains("16.67"),
            "{path} leaks the small group's score"
        );
    }
    // The exports, parsed (both formats): the pulse export has rows for the
    // Sales cell and for Sales as a consumer (the same five people), five
    // dimensions each, and nothing else: no Finance row, no Marketing
    // provider-wide row (Sales + Finance, which minus Sales is Finance), and
    // every figure is the Sales group's own, so no row mixes Finance in.
    let exported = pulse_export(&app).await;
    let mut groups: Vec<(String, Option<i64>, Option<i64>)> = exported
        .iter()
        .map(|row| {
            (
                row.scope.clone(),
                row.provider_department_id,
                row.consumer_department_id,
            )
        })
        .collect();
    groups.dedup();
    assert_eq!(
        groups,
        [
            ("cell".to_owned(), Some(board.marketing), Some(board.sales)),
            ("consumer".to_owned(), None, Some(board.sales)),
        ],
        "{exported:#?}"
    );
    let dimensions = [
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
        "tangibles",
    ];
    let sales_perception = [3.0, 5.0, 5.0, 3.0, 4.0];
    let sales_importance = [40.0, 20.0, 20.0, 10.0, 10.0];
    for row in &exported {
        let index = dimensions
            .iter()
            .position(|dimension| *dimension == row.dimension)
            .unwrap_or_else(|| panic!("{row:?}"));
        assert_eq!(row.round_id, id, "{row:?}");
        assert_eq!(row.respondents, Some(5), "{row:?}");
        assert_eq!(row.perception_mean, sales_perception[index], "{row:?}");
        assert_eq!(row.expectation_mean, 6.0, "{row:?}");
        assert_eq!(row.service_gap, sales_perception[index] - 6.0, "{row:?}");
        assert_eq!(row.importance_mean, sales_importance[index], "{row:?}");
        assert_eq!(row.importance_weighted_gap, -2.1, "{row:?}");
        if row.scope == "cell" {
            assert_eq!(row.self_rating_mean, Some(6.0), "{row:?}");
            assert_eq!(
                row.mirror_gap,
                Some(6.0 - sales_perception[index]),
                "{row:?}"
            );
        }
    }
    assert_eq!(exported.len(), 10, "five dimensions of each of two groups");
    // Health: the Sales cell's pulse is (4 − 1) / 6 × 100 = 50 on five
    // people; Finance's is withheld (no value, no count), not 16.67 on four.
    let health = health_export(&app).await;
    assert_eq!(
        health_of(&health, board.marketing, board.sales),
        &HealthPulse {
            provider_department_id: board.marketing,
            consumer_department_id: board.sales,
            pulse: Some(50.0),
            pulse_sample: Some(5),
        }
    );
    let finance_health = health_of(&health, board.marketing, board.finance);
    assert_eq!(
        (finance_health.pulse, finance_health.pulse_sample),
        (None, None),
        "{finance_health:?}"
    );
    let detail = sales_cell_detail(&app, &board).await;
    assert_eq!(detail["pulse"]["disclosed"], true);
    let pulse = pulse_component(&detail);
    assert_eq!(pulse["sample_size"], 5);
    assert_eq!(pulse["sufficient"], true);
}

#[tokio::test]
async fn the_threshold_is_never_below_three_and_lowering_it_discloses_small_groups() {
    let app = TestApp::spawn().await;
    let board = board(&app).await;
    let organization = app.read(&app.admin, "/api/v1/organization").await;
    let too_low = app
        .patch(
            &app.admin,
            "/api/v1/organization",
            version_of(&organization),
            &json!({ "anonymity_threshold": 2 }),
        )
        .await;
    assert_eq!(
        problem_fields(&expect_status(too_low, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["anonymity_threshold"]
    );
    expect_status(
        app.patch(
            &app.admin,
            "/api/v1/organization",
            version_of(&organization),
            &json!({ "anonymity_threshold": 3 }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let round = app.create(&app.admin, "/api/v1/pulses", &json!({
            "name": "Small", "closes_at": "2099-01-01T00:00:00Z",
            "cells": [{ "provider_department_id": board.marketing, "consumer_department_id": board.sales }]
        }))
    .await;
    let id = id_of(&round);
    let not_agreed = app
        .post(&app.admin, "/api/v1/pulses", &json!({
            "name": "Wrong way", "closes_at": "2099-01-01T00:00:00Z",
            "cells": [{ "provider_department_id": board.sales, "consumer_department_id": board.marketing }]
        }))
        .await;
    assert_eq!(
        problem_fields(&expect_status(not_agreed, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["cells"]
    );
    for seller in people_of(&app, "seller", 3, board.sales).await {
        let body = json!({
            "provider_department_id": board.marketing, "consumer_department_id": board.sales,
            "expectation": ratings([5; 5]), "perception": ratings([4; 5]), "importance": ratings([20; 5])
        });
        app.create(&seller, &format!("/api/v1/pulses/{id}/responses"), &body)
            .await;
    }
    close_round(&app, id).await;
    let results = app
        .read(&app.member, &format!("/api/v1/pulses/{id}/results"))
        .await;
    assert_eq!(results["cells"][0]["disclosed"], true);
    assert_eq!(results["cells"][0]["respondents"], 3);
    assert_eq!(
        results["cells"][0]["scores"]["service_gap"]["tangibles"],
        -1.0
    );
    // No provider-side answers: no mirror.
    assert_eq!(results["cells"][0]["scores"]["mirror_gap"], Value::Null);
    let _ = board.finance;
    expect_status(
        app.get(&app.outsider, &format!("/api/v1/pulses/{id}/results"))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// Timing of rounds: a later round on the same cell answered by fewer than k
/// people must not come out through the earlier, disclosed round: no view
/// combines the two (where the difference would give the small group away),
/// and the small round's own score and comments appear nowhere.
#[tokio::test]
async fn a_small_later_round_leaks_nothing_through_the_earlier_one() {
    let app = TestApp::spawn().await;
    let board = board(&app).await;
    let sellers = people_of(&app, "seller", 5, board.sales).await;
    let mut rounds = Vec::new();
    // Round one: five sellers rate 4 everywhere (pulse 50). Round two: four
    // of them rate 7 everywhere (pulse 100); both together would be 72.22.
    for (name, answering, rating, comment) in [
        ("First pulse", 5, 4, "round one remark"),
        ("Second pulse", 4, 7, "round two secret"),
    ] {
        let round = app
            .create(
                &app.admin,
                "/api/v1/pulses",
                &json!({ "name": name, "closes_at": "2099-01-01T00:00:00Z" }),
            )
            .await;
        let id = id_of(&round);
        for seller in sellers.iter().take(answering) {
            let body = json!({
                "provider_department_id": board.marketing, "consumer_department_id": board.sales,
                "expectation": ratings([5; 5]), "perception": ratings([rating; 5]),
                "importance": ratings([20; 5]), "comment": comment,
            });
            app.create(seller, &format!("/api/v1/pulses/{id}/responses"), &body)
                .await;
        }
        close_round(&app, id).await;
        rounds.push(id);
    }
    let first = app
        .read(&app.admin, &format!("/api/v1/pulses/{}/results", rounds[0]))
        .await;
    let disclosed = first["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cell| cell["consumer_department_id"] == board.sales)
        .unwrap();
    assert_eq!(disclosed["disclosed"], true, "{first}");
    assert_eq!(disclosed["scores"]["pulse_score"], 50.0, "{first}");

    // Every view, as every reader: each answers as it should (no view is
    // skipped because it refused someone), and none that answers shows the
    // small round's comment or the two rounds combined.
    let everyone = [StatusCode::OK; 3];
    let administrators_only = [StatusCode::OK, StatusCode::FORBIDDEN, StatusCode::FORBIDDEN];
    for (path, expected) in [
        (format!("/api/v1/pulses/{}/results", rounds[1]), everyone),
        (
            format!(
                "/api/v1/pulses/{}/results?consumer_department_id={}",
                rounds[1], board.sales
            ),
            everyone,
        ),
        (
            format!(
                "/api/v1/pulses/{}/results?provider_department_id={}",
                rounds[1], board.marketing
            ),
            everyone,
        ),
        (
            format!("/api/v1/matrix/cells/{}/{}", board.marketing, board.sales),
            everyone,
        ),
        (
            format!("/api/v1/departments/{}/scorecard", board.marketing),
            everyone,
        ),
        (
            format!("/api/v1/departments/{}/scorecard", board.sales),
            everyone,
        ),
        ("/api/v1/matrix".to_owned(), everyone),
        (
            "/api/v1/exports/pulses?format=json".to_owned(),
            administrators_only,
        ),
        (
            "/api/v1/exports/pulses?format=csv".to_owned(),
            administrators_only,
        ),
        (
            "/api/v1/exports/health?format=json".to_owned(),
            administrators_only,
        ),
        (
            "/api/v1/exports/health?format=csv".to_owned(),
            administrators_only,
        ),
    ] {
        for (user, status) in [&app.admin, &app.lead, &sellers[0]]
            .into_iter()
            .zip(expected)
        {
            let response = app.get(user, &path).await;
            assert_eq!(response.status(), status, "{path} as {}", user.email);
            if status != StatusCode::OK {
                continue;
            }
            let body = response.text().await.unwrap();
            assert!(!body.contains("round two secret"), "{path} leaks a comment");
            assert!(!body.contains("72.2"), "{path} combines the rounds: {body}");
            if path.contains(&format!("/pulses/{}/results", rounds[1])) {
                let results: Value = serde_json::from_str(&body).unwrap();
                for cell in results["cells"].as_array().unwrap() {
                    assert_eq!(cell["disclosed"], false, "{path}: {cell}");
                    assert_eq!(cell["scores"], Value::Null, "{path}: {cell}");
                    assert_eq!(cell["respondents"], Value::Null, "{path}: {cell}");
                }
            }
        }
    }
    // The exports, parsed: rows of the first round only, each the five
    // sellers' 4 against 5, never the second round's four 7s nor both
    // rounds together.
    let exported = pulse_export(&app).await;
    assert!(!exported.is_empty());
    for row in &exported {
        assert_eq!(row.round_id, rounds[0], "a row of the small round: {row:?}");
        assert_eq!(row.respondents, Some(5), "{row:?}");
        assert_eq!(
            (row.perception_mean, row.expectation_mean, row.service_gap),
            (4.0, 5.0, -1.0),
            "{row:?}"
        );
    }
    let health = health_export(&app).await;
    let cell = health_of(&health, board.marketing, board.sales);
    assert_eq!((cell.pulse, cell.pulse_sample), (None, None), "{cell:?}");
    // The cell's health takes its pulse from the latest round, withheld, and
    // so shows no pulse value or count rather than the small round's 100 and 4.
    let pulse = pulse_component(&sales_cell_detail(&app, &board).await);
    assert_eq!(pulse["sufficient"], false, "{pulse}");
    assert_eq!(pulse["value"], Value::Null, "{pulse}");
    assert_eq!(pulse["sample_size"], Value::Null, "{pulse}");
}

/// The review's attack through the API: Marketing serves Sales (5 answer),
/// Finance (5 answer) and Support (1 answers). Marketing's provider-wide
/// figure rests on 11 people and differs from each shown cell by 6, yet
/// minus both shown cells it is the one Support answer. It must be withheld
/// in the results and in every export, while both 5-person cells stay shown.
#[tokio::test]
async fn no_combination_of_published_pulse_figures_gives_away_a_small_group() {
    let app = TestApp::spawn().await;
    let board = board(&app).await;
    let support_lead = app.add_user("support.lead@acme.test", Role::Lead).await;
    let support = id_of(
        &app.create(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": "Support", "lead_ids": [support_lead.id.0] }),
        )
        .await,
    );
    let service = id_of(
        &app.create(&app.admin, "/api/v1/services", &json!({
                "provider_department_id": board.marketing, "consumer_department_ids": [support], "name": "Product news",
                "first_response_minutes": 240, "fulfilment_minutes": 2400
            }))
        .await,
    );
    agreed_cell(&app, board.marketing, support, &support_lead, service).await;
    let round = app
        .create(
            &app.admin,
            "/api/v1/pulses",
            &json!({ "name": "Three cells", "closes_at": "2099-01-01T00:00:00Z" }),
        )
        .await;
    let id = id_of(&round);
    assert_eq!(round["cells"].as_array().map(Vec::len), Some(3));
    let sellers = people_of(&app, "seller", 5, board.sales).await;
    let accountants = people_of(&app, "accountant", 5, board.finance).await;
    let agent = app.add_member("agent@acme.test", support).await;
    let mut answers: Vec<(&User, i64, i64)> = Vec::new();
    answers.extend(sellers.iter().map(|person| (person, board.sales, 5)));
    answers.extend(accountants.iter().map(|person| (person, board.finance, 5)));
    // The lone answer: perception 1 everywhere, a value no shown group has.
    answers.push((&agent, support, 1));
    for (person, consumer, perception) in answers {
        let body = json!({
            "provider_department_id": board.marketing, "consumer_department_id": consumer,
            "expectation": ratings([6; 5]), "perception": ratings([perception; 5]),
            "importance": ratings([20; 5]), "comment": "",
        });
        app.create(person, &format!("/api/v1/pulses/{id}/responses"), &body)
            .await;
    }
    close_round(&app, id).await;

    let results = app
        .read(&app.admin, &format!("/api/v1/pulses/{id}/results"))
        .await;
    let shown_cells: Vec<i64> = results["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|cell| cell["disclosed"] == true)
        .map(|cell| cell["consumer_department_id"].as_i64().unwrap())
        .collect();
    assert_eq!(shown_cells.len(), 2, "both 5-person cells stay shown");
    assert!(!shown_cells.contains(&support));
    let provider_wide = results["as_provider"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["department_id"] == board.marketing)
        .unwrap();
    assert_eq!(provider_wide["disclosed"], false);
    assert_eq!(provider_wide["respondents"], Value::Null);
    assert_eq!(provider_wide["scores"], Value::Null);

    // The export, parsed: rows for the two shown cells (and the two consumer
    // departments, which are those same groups) and nothing else.
    let exported = app
        .read(&app.admin, "/api/v1/exports/pulses?format=json")
        .await;
    let rows = exported.as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_ne!(row["scope"], "provider", "a provider-wide row: {row}");
        assert_ne!(
            row["consumer_department_id"], support,
            "a row of the lone answer: {row}"
        );
        assert_eq!(row["respondents"], 5, "{row}");
        assert_eq!(row["perception_mean"], 5.0, "{row}");
    }
    let csv = app
        .get(&app.admin, "/api/v1/exports/pulses?format=csv")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let scope = headers.iter().position(|name| name == "scope").unwrap();
    let consumer = headers
        .iter()
        .position(|name| name == "consumer_department_id")
        .unwrap();
    let mut csv_rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        csv_rows += 1;
        assert_ne!(&record[scope], "provider");
        assert_ne!(&record[consumer], support.to_string().as_str());
    }
    assert_eq!(csv_rows, rows.len());
}

/// Taking part in a round earns one thank-you, issued when the round closes,
/// naming the round only (never the cells answered about) and dated at the
/// round's close, not at the moment of an answer.
#[tokio::test]
async fn a_pulse_thank_you_names_the_round_only_and_comes_at_its_close() {
    let app = TestApp::spawn().await;
    let board = board(&app).await;
    app.set_organization(&json!({ "thank_you_kind": "points", "thank_you_points": 10 }))
        .await;
    let round = app
        .create(
            &app.admin,
            "/api/v1/pulses",
            &json!({ "name": "Thanks", "closes_at": "2099-01-01T00:00:00Z" }),
        )
        .await;
    let id = id_of(&round);
    // A marketer rates Marketing for both cells: two answers, one person.
    let marketer = app.add_member("marketer@acme.test", board.marketing).await;
    for consumer in [board.sales, board.finance] {
        let body = json!({ "provider_department_id": board.marketing, "consumer_department_id": consumer, "perception": ratings([6; 5]) });
        app.create(&marketer, &format!("/api/v1/pulses/{id}/responses"), &body)
            .await;
    }
    let ledger = |user: &User| {
        let app = &app;
        let user = user.clone();
        async move {
            app.read(&user, "/api/v1/thank-yous").await["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        }
    };
    assert!(
        ledger(&marketer).await.is_empty(),
        "nothing is issued at the moment of an answer"
    );
    let closed = close_round(&app, id).await;
    let entries = ledger(&marketer).await;
    assert_eq!(
        entries.len(),
        1,
        "one thank-you per round, however many cells: {entries:?}"
    );
    assert_eq!(entries[0]["earned_for"], format!("pulse:{id}"));
    assert_eq!(entries[0]["points"], 10);
    let issued: jiff::Timestamp = entries[0]["issued_at"].as_str().unwrap().parse().unwrap();
    let closing: jiff::Timestamp = closed["closed_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(issued, closing);
    let everyone = app
        .read(&app.admin, "/api/v1/thank-yous?everyone=true")
        .await;
    for entry in everyone["items"].as_array().unwrap() {
        let earned_for = entry["earned_for"].as_str().unwrap();
        assert!(
            !earned_for.starts_with("pulse:") || earned_for == format!("pulse:{id}"),
            "{earned_for}"
        );
    }
    // The worker's sweep finds nothing more to thank for this round.
    let store = app.another_instance_store().await;
    assert_eq!(
        store
            .scoped(app.admin.organization)
            .thank_closed_pulse_rounds(jiff::Timestamp::now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(ledger(&marketer).await.len(), 1);
}
