//! Agreements and services in the browser: leads draft, change, propose,
//! accept and review a cell's agreement, and add and change their services;
//! members and the other side's lead can do neither.

use super::{cell, id_in};
use crate::support::{TestApp, id_of, version_of};
use crate::web::{Browser, form_with, location, text_with_status};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn leads_draft_propose_and_accept_an_agreement_in_the_browser() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut provider = Browser::default();
    provider.sign_in(&app, &cell.marketing_lead.email).await;

    // The cell without an agreement offers to draft one, prefilled.
    let cell_page = provider
        .page(
            &app,
            &format!("/matrix/{}/{}", id_of(&cell.marketing), id_of(&cell.sales)),
        )
        .await;
    assert!(cell_page.contains("draft one"), "{cell_page}");
    let form = provider
        .page(
            &app,
            &format!(
                "/agreements?provider={}&consumer={}",
                id_of(&cell.marketing),
                id_of(&cell.sales)
            ),
        )
        .await;
    assert!(form.contains("id=\"draft-form\""));
    assert!(form.contains(&format!(
        "<option value=\"{}\" selected>Marketing</option>",
        id_of(&cell.marketing)
    )));

    let marketing = id_of(&cell.marketing).to_string();
    let sales = id_of(&cell.sales).to_string();
    let drafted = provider
        .submit(
            &app,
            "/agreements",
            &[
                ("provider_department_id", &marketing),
                ("consumer_department_id", &sales),
                ("notes", "First draft"),
            ],
        )
        .await;
    assert_eq!(drafted.status(), StatusCode::SEE_OTHER);
    let id = id_in(&location(&drafted));
    let path = format!("/agreements/{id}");
    let page = provider.page(&app, &path).await;
    assert!(page.contains("Draft"));
    assert!(page.contains("id=\"change-form\""));
    assert!(
        !page.contains("id=\"accept-form\""),
        "nothing to accept yet"
    );
    let stored = app.read(&app.admin, &format!("/api/v1{path}")).await;
    let version = version_of(&stored).to_string();
    let service = id_of(&cell.service).to_string();

    // The service and its one obligation, as each try below but the second sends them.
    let feedback_on_leads = [
        ("version", version.as_str()),
        ("service_ids", service.as_str()),
        ("obligation-0.description", "Feedback on every lead"),
        ("obligation-0.due_within_business_days", "5"),
    ];

    // A bad number of days: the error at that row, every value kept, nothing stored.
    let refused = provider
        .submit(
            &app,
            &path,
            &form_with(
                &feedback_on_leads,
                &[
                    ("obligation-1.description", "Say why a lead was rejected"),
                    ("obligation-1.due_within_business_days", "soon"),
                    ("review_cadence", "monthly"),
                    ("notes", "Kept <notes>"),
                ],
            ),
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"obligation-1-days-error\""), "{page}");
    assert!(page.contains("must be a whole number of business days"));
    assert!(page.contains("value=\"Say why a lead was rejected\""));
    assert!(page.contains("value=\"soon\""));
    assert!(page.contains("Kept &#60;notes&#62;"));
    assert!(page.contains("value=\"monthly\" selected"));
    assert!(page.contains(&format!("value=\"{service}\" checked")));
    let unchanged = app.read(&app.admin, &format!("/api/v1{path}")).await;
    assert_eq!(unchanged["current"]["obligations"], json!([]));

    // A rule of the domain (1 to 365 days) is reported at the row too.
    let too_long = provider
        .submit(
            &app,
            &path,
            &[
                ("version", &version),
                ("obligation-0.description", ""),
                ("obligation-0.due_within_business_days", ""),
                ("obligation-2.description", "Feedback on every lead"),
                ("obligation-2.due_within_business_days", "400"),
                ("review_cadence", "quarterly"),
            ],
        )
        .await;
    let page = text_with_status(too_long, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"obligation-2-days-error\""), "{page}");
    assert!(page.contains("must be between 1 and 365"));

    let saved = provider
        .submit(
            &app,
            &path,
            &form_with(
                &feedback_on_leads,
                &[
                    ("review_cadence", "quarterly"),
                    ("notes", "Agreed at the offsite"),
                ],
            ),
        )
        .await;
    assert_eq!(
        saved.status(),
        StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap()
    );
    let stored = app.read(&app.admin, &format!("/api/v1{path}")).await;
    assert_eq!(
        stored["current"]["service_ids"],
        json!([id_of(&cell.service)])
    );
    assert_eq!(
        stored["current"]["obligations"],
        json!([{ "description": "Feedback on every lead", "due_within_business_days": 5 }])
    );

    // Propose, then each side's lead accepts for their own department.
    let page = provider.page(&app, &path).await;
    assert!(page.contains("id=\"propose-form\""));
    let proposed = provider
        .submit(
            &app,
            &format!("{path}/propose"),
            &[("version", &version_of(&stored).to_string())],
        )
        .await;
    assert_eq!(proposed.status(), StatusCode::SEE_OTHER);
    let page = provider.page(&app, &path).await;
    assert!(page.contains("Proposed, waiting for acceptance"));
    assert!(page.contains("Accept for Marketing"));

    let mut consumer = Browser::default();
    consumer.sign_in(&app, &cell.sales_lead.email).await;
    let page = consumer.page(&app, &path).await;
    assert!(page.contains("Accept for Sales"), "{page}");
    assert!(page.contains("Feedback on every lead (within 5 business days)"));
    let accepted = consumer.submit(&app, &format!("{path}/accept"), &[]).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    // Accepting twice for the same side is refused on the page, in words.
    let again = consumer.submit(&app, &format!("{path}/accept"), &[]).await;
    assert!(
        text_with_status(again, StatusCode::CONFLICT)
            .await
            .contains("not possible now")
    );

    let accepted = provider.submit(&app, &format!("{path}/accept"), &[]).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let page = provider.page(&app, &path).await;
    assert!(page.contains("id=\"agreement-status\">Agreed"), "{page}");
    assert!(page.contains("id=\"review-form\""));
    let stored = app.read(&app.admin, &format!("/api/v1{path}")).await;
    assert_eq!(stored["status"], "agreed");

    // A review in the future is refused at its field; today's is recorded.
    let future = provider
        .submit(
            &app,
            &format!("{path}/reviews"),
            &[("reviewed_on", "2999-01-01"), ("notes", "Looked fine")],
        )
        .await;
    let page = text_with_status(future, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"reviewed_on-error\""));
    assert!(page.contains("value=\"2999-01-01\""));
    assert!(page.contains(">Looked fine</textarea>"));
    let reviewed = provider
        .submit(
            &app,
            &format!("{path}/reviews"),
            &[("notes", "Looked fine")],
        )
        .await;
    assert_eq!(reviewed.status(), StatusCode::SEE_OTHER);
    assert!(provider.page(&app, &path).await.contains("Looked fine"));
}

#[tokio::test]
async fn a_member_sees_no_agreement_form_and_cannot_use_one() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let agreement = app
        .create(
            &app.admin,
            "/api/v1/agreements",
            &json!({
                "provider_department_id": id_of(&cell.marketing),
                "consumer_department_id": id_of(&cell.sales),
                "notes": "Drafted by the admin"
            }),
        )
        .await;
    let path = format!("/agreements/{}", id_of(&agreement));
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
    let list = member.page(&app, "/agreements").await;
    assert!(list.contains("Marketing → Sales"));
    assert!(!list.contains("id=\"draft-form\""));
    let page = member.page(&app, &path).await;
    assert!(!page.contains("id=\"change-form\""));
    assert!(!page.contains("id=\"propose-form\""));
    assert!(!page.contains("id=\"accept-form\""));

    let refused = member
        .submit(
            &app,
            &path,
            &[
                ("version", &version_of(&agreement).to_string()),
                ("notes", "Changed by a member"),
                ("review_cadence", "monthly"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let proposed = member.submit(&app, &format!("{path}/propose"), &[]).await;
    assert_eq!(proposed.status(), StatusCode::FORBIDDEN);
    let drafted = member
        .submit(
            &app,
            "/agreements",
            &[
                ("provider_department_id", &id_of(&cell.sales).to_string()),
                (
                    "consumer_department_id",
                    &id_of(&cell.marketing).to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(drafted.status(), StatusCode::FORBIDDEN);
    let stored = app.read(&app.admin, &format!("/api/v1{path}")).await;
    assert_eq!(stored["current"]["notes"], "Drafted by the admin");
    assert_eq!(stored["status"], "draft");
    let all = app.read(&app.admin, "/api/v1/agreements").await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));

    // Without a department chosen, the draft form says so at the field.
    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.sales_lead.email).await;
    let blank = lead
        .submit(
            &app,
            "/agreements",
            &[
                ("consumer_department_id", &id_of(&cell.sales).to_string()),
                ("notes", "Kept"),
            ],
        )
        .await;
    let page = text_with_status(blank, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"provider_department_id-error\""));
    assert!(page.contains(">Kept</textarea>"));
}

#[tokio::test]
async fn a_lead_adds_and_changes_a_service_in_the_browser() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.marketing_lead.email).await;
    let catalogue = lead.page(&app, "/services").await;
    assert!(catalogue.contains("href=\"/services/new\""));
    assert!(catalogue.contains(&format!("href=\"/services/{}/edit\"", id_of(&cell.service))));
    let form = lead.page(&app, "/services/new").await;
    assert!(form.contains("id=\"service-form\""));
    // A lead offers only their own department as the provider.
    assert!(form.contains(&format!(
        "<option value=\"{}\" selected>Marketing</option>",
        id_of(&cell.marketing)
    )));
    assert!(!form.contains(&format!(
        "<option value=\"{}\">Sales</option>\n    </select>",
        id_of(&cell.sales)
    )));

    let marketing = id_of(&cell.marketing).to_string();
    let sales = id_of(&cell.sales).to_string();
    let fields = |first_response: &'static str, key: &'static str| {
        vec![
            ("provider_department_id", marketing.clone()),
            ("consumer_department_ids", sales.clone()),
            ("name", "Campaign briefs".to_owned()),
            ("definition_of_good", "Budget & audience <named>".to_owned()),
            ("first_response_minutes", first_response.to_owned()),
            ("fulfilment_minutes", "960".to_owned()),
            ("field-0.key", "budget".to_owned()),
            ("field-0.label", "Budget".to_owned()),
            ("field-0.kind", "number".to_owned()),
            ("field-0.required", "true".to_owned()),
            ("field-2.key", key.to_owned()),
            ("field-2.label", "Channel".to_owned()),
            ("field-2.kind", "choice".to_owned()),
            ("field-2.choices", "Email, Events".to_owned()),
            ("volume_quantity", "20".to_owned()),
            ("volume_unit", "briefs".to_owned()),
            ("volume_period", "month".to_owned()),
            ("reopen_on_not_met", "true".to_owned()),
        ]
    };
    // A target that is not a number and a bad intake key: both at their fields, values kept.
    let pairs = fields("two hours", "Bad Key");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let refused = lead.submit(&app, "/services/new", &form).await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("id=\"first_response_minutes-error\""),
        "{page}"
    );
    assert!(page.contains("value=\"two hours\""));
    assert!(page.contains("Budget &#38; audience &#60;named&#62;"));

    let pairs = fields("120", "Bad Key");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let refused = lead.submit(&app, "/services/new", &form).await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"field-2.key-error\""), "{page}");
    assert!(page.contains("value=\"Bad Key\""));
    assert!(page.contains("value=\"Email, Events\""));
    let listed = app.read(&app.admin, "/api/v1/services").await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "nothing stored"
    );

    let pairs = fields("120", "channel");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let added = lead.submit(&app, "/services/new", &form).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let listed = app.read(&app.admin, "/api/v1/services").await;
    let service = listed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|item| item["name"] == "Campaign briefs"))
        .cloned()
        .expect("the new service");
    assert_eq!(service["first_response_minutes"], 120);
    assert_eq!(
        service["consumer_department_ids"],
        json!([id_of(&cell.sales)])
    );
    assert_eq!(
        service["intake_fields"][1]["choices"],
        json!(["Email", "Events"])
    );
    assert_eq!(service["volume"]["quantity"], 20);

    // The editor opens filled in; a change is saved at the version read.
    let edit = format!("/services/{}/edit", id_of(&service));
    let page = lead.page(&app, &edit).await;
    assert!(page.contains("value=\"Campaign briefs\""));
    assert!(page.contains("value=\"channel\""));
    let mut pairs = fields("60", "channel");
    pairs.push(("version", version_of(&service).to_string()));
    pairs.push(("active", "true".to_owned()));
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let changed = lead.submit(&app, &edit, &form).await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let stored = app
        .read(&app.admin, &format!("/api/v1/services/{}", id_of(&service)))
        .await;
    assert_eq!(stored["first_response_minutes"], 60);
    assert_eq!(stored["active"], true);
    // Sent again at the old version: refused as stale, nothing lost.
    let stale = lead.submit(&app, &edit, &form).await;
    assert!(
        text_with_status(stale, StatusCode::CONFLICT)
            .await
            .contains("Someone changed this service")
    );
}

#[tokio::test]
async fn a_member_and_the_other_lead_cannot_manage_a_providers_services() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let edit = format!("/services/{}/edit", id_of(&cell.service));
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
    let catalogue = member.page(&app, "/services").await;
    assert!(!catalogue.contains("href=\"/services/new\""));
    assert!(!catalogue.contains("/edit\""));
    assert_eq!(
        member.get(&app, "/services/new").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.get(&app, &edit).await.status(),
        StatusCode::FORBIDDEN
    );
    let marketing = id_of(&cell.marketing).to_string();
    let refused = member
        .submit(
            &app,
            "/services/new",
            &[
                ("provider_department_id", &marketing),
                ("name", "Sneaky"),
                ("first_response_minutes", "60"),
                ("fulfilment_minutes", "120"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The consumer's lead may not change the provider's service either.
    let mut other = Browser::default();
    other.sign_in(&app, &cell.sales_lead.email).await;
    assert_eq!(other.get(&app, &edit).await.status(), StatusCode::FORBIDDEN);
    let refused = other
        .submit(
            &app,
            &edit,
            &[
                ("version", &version_of(&cell.service).to_string()),
                ("provider_department_id", &marketing),
                ("name", "Renamed by Sales"),
                ("first_response_minutes", "60"),
                ("fulfilment_minutes", "120"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let stored = app
        .read(
            &app.admin,
            &format!("/api/v1/services/{}", id_of(&cell.service)),
        )
        .await;
    assert_eq!(stored["name"], "Qualified leads");
    let listed = app.read(&app.admin, "/api/v1/services").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}
