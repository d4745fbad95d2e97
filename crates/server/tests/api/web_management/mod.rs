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

use crate::support::{TestApp, User, id_of};
use roundtable_domain::people::Role;
use serde_json::{Value, json};

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
    let seller = app.add_member("seller@acme.test", id_of(&sales)).await;
    app.set_leads(id_of(&marketing), &[&marketing_lead]).await;
    app.set_leads(id_of(&sales), &[&sales_lead]).await;
    let service = app
        .create(
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
