//! The management pages over real HTTP: leads drafting, changing, proposing,
//! accepting and reviewing agreements; services added and changed in the
//! browser; objectives, measures and department goals created by those the
//! API lets create them. Each form: success, an error at its field with the
//! values kept, and a role that must not see or use it.
//! (browser-tests/tests/management.test.js drives the same pages in Chromium.)
//! The shared fixtures are here; the tests, by area, in the files beside.

mod administration;
mod agreements_and_services;
mod objectives_and_sessions;
mod requests;

use crate::support::{TestApp, User, expect_status, id_of, version_of};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

/// Makes `lead` the lead of `department`.
pub(super) async fn make_lead(app: &TestApp, department: &Value, lead: &User) {
    let path = format!("/api/v1/departments/{}", id_of(department));
    let current = expect_status(app.get(&app.admin, &path).await, StatusCode::OK).await;
    expect_status(
        app.patch(
            &app.admin,
            &path,
            version_of(&current),
            &json!({ "lead_ids": [lead.id.0] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

/// Marketing serves Sales with "Qualified leads"; each has a lead and Sales a member.
pub(super) struct Cell {
    pub marketing: Value,
    pub sales: Value,
    pub service: Value,
    pub marketing_lead: User,
    pub sales_lead: User,
    pub seller: User,
}

pub(super) async fn cell(app: &TestApp) -> Cell {
    let marketing = app.department("Marketing").await;
    let sales = app.department("Sales").await;
    let marketing_lead = app
        .add_member_of("marketing.lead@acme.test", Role::Lead, id_of(&marketing))
        .await;
    let sales_lead = app
        .add_member_of("sales.lead@acme.test", Role::Lead, id_of(&sales))
        .await;
    let seller = app
        .add_member_of("seller@acme.test", Role::Member, id_of(&sales))
        .await;
    make_lead(app, &marketing, &marketing_lead).await;
    make_lead(app, &sales, &sales_lead).await;
    let service = expect_status(
        app.post(
            &app.admin,
            "/api/v1/services",
            &json!({
                "provider_department_id": id_of(&marketing),
                "consumer_department_ids": [id_of(&sales)],
                "name": "Qualified leads",
                "first_response_minutes": 120,
                "fulfilment_minutes": 960
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    Cell {
        marketing,
        sales,
        service,
        marketing_lead,
        sales_lead,
        seller,
    }
}

/// The id at the end of a redirect such as `/agreements/7`.
pub(super) fn id_in(location: &str) -> i64 {
    location
        .trim_start_matches('/')
        .split('/')
        .nth(1)
        .and_then(|id| id.split(['#', '?']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an id in {location}"))
}
