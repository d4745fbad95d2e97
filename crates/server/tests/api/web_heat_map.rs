//! The matrix page as a heat map of health: a cell's colour is the step of
//! its health score on the sequential scale, insufficient data is drawn
//! apart, and the agreement is a marker; each cell's accessible name is its
//! own text.

use crate::checks::{desk, resolved_request};
use crate::support::{TestApp, expect_status, id_of};
use crate::web::Browser;
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::json;

/// The class attribute of the cell linking to `href` on the matrix page.
fn cell_class(page: &str, href: &str) -> Option<String> {
    let link = page.find(&format!("href=\"{href}\""))?;
    let start = page[..link].rfind("<a class=\"")? + "<a class=\"".len();
    let end = start + page[start..].find('"')?;
    Some(page[start..end].to_owned())
}

#[tokio::test]
async fn a_cell_is_coloured_by_its_health_and_missing_data_is_drawn_apart() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let (marketing, sales) = (id_of(&desk.marketing), id_of(&desk.sales));
    let seller = app
        .add_member_of("seller@acme.test", Role::Member, sales)
        .await;
    for _ in 0..5 {
        resolved_request(&app, &desk, &seller).await;
    }
    let checks = expect_status(app.get(&seller, "/api/v1/checks").await, StatusCode::OK).await;
    for check in checks["items"].as_array().cloned().unwrap_or_default() {
        expect_status(
            app.post(
                &seller,
                &format!("/api/v1/checks/{}/answer", id_of(&check)),
                &json!({ "answer": "met", "rating": 4 }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    let cell = app.matrix_cell(marketing, sales).await;
    let score = cell["health"]["score"].as_f64();
    assert!(score.is_some(), "five answered checks give a score: {cell}");
    let step = roundtable_domain::health::heat_step(score).unwrap_or_default();

    let mut browser = Browser::default();
    browser.sign_in(&app, "admin@acme.test").await;
    let page = browser.page(&app, "/matrix").await;
    assert_eq!(
        cell_class(&page, &format!("/matrix/{marketing}/{sales}")).as_deref(),
        Some(format!("cell heat-{step}").as_str()),
        "{page}"
    );
    // The other way round nothing flows: insufficient data, not low health.
    assert_eq!(
        cell_class(&page, &format!("/matrix/{sales}/{marketing}")).as_deref(),
        Some("cell heat-none")
    );
    assert!(page.contains("Insufficient data"));
    // The agreement is a marker; the legend names every step.
    assert!(page.contains("cell-agreement tone-bad\">No agreement"));
    for range in ["0–19", "20–39", "40–59", "60–79", "80–100"] {
        assert!(page.contains(range), "legend {range}");
    }
    // A cell's name is its text: no aria-label that could differ from it.
    let cells: Vec<&str> = page
        .split("<a class=\"cell ")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .collect();
    assert_eq!(cells.len(), 2);
    assert!(
        cells.iter().all(|tag| !tag.contains("aria-label")),
        "{cells:?}"
    );
}
