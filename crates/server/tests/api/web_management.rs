//! The management pages over real HTTP: leads drafting, changing, proposing,
//! accepting and reviewing agreements; services added and changed in the
//! browser; objectives, measures and department goals created by those the
//! API lets create them. Each form: success, an error at its field with the
//! values kept, and a role that must not see or use it.
//! (browser-tests/tests/management.test.js drives the same pages in Chromium.)

use crate::support::{TestApp, User, expect_status, id_of, version_of};
use crate::web::{Browser, location};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

/// Makes `lead` the lead of `department`.
async fn make_lead(app: &TestApp, department: &Value, lead: &User) {
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
struct Cell {
    marketing: Value,
    sales: Value,
    service: Value,
    marketing_lead: User,
    sales_lead: User,
    seller: User,
}

async fn cell(app: &TestApp) -> Cell {
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
fn id_in(location: &str) -> i64 {
    location
        .trim_start_matches('/')
        .split('/')
        .nth(1)
        .and_then(|id| id.split(['#', '?']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an id in {location}"))
}

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
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1{path}")).await,
        StatusCode::OK,
    )
    .await;
    let version = version_of(&stored).to_string();
    let service = id_of(&cell.service).to_string();

    // A bad number of days: the error at that row, every value kept, nothing stored.
    let refused = provider
        .submit(
            &app,
            &path,
            &[
                ("version", &version),
                ("service_ids", &service),
                ("obligation-0.description", "Feedback on every lead"),
                ("obligation-0.due_within_business_days", "5"),
                ("obligation-1.description", "Say why a lead was rejected"),
                ("obligation-1.due_within_business_days", "soon"),
                ("review_cadence", "monthly"),
                ("notes", "Kept <notes>"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"obligation-1-days-error\""), "{page}");
    assert!(page.contains("must be a whole number of business days"));
    assert!(page.contains("value=\"Say why a lead was rejected\""));
    assert!(page.contains("value=\"soon\""));
    assert!(page.contains("Kept &#60;notes&#62;"));
    assert!(page.contains("value=\"monthly\" selected"));
    assert!(page.contains(&format!("value=\"{service}\" checked")));
    let unchanged = expect_status(
        app.get(&app.admin, &format!("/api/v1{path}")).await,
        StatusCode::OK,
    )
    .await;
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
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = too_long.text().await.expect("body");
    assert!(page.contains("id=\"obligation-2-days-error\""), "{page}");
    assert!(page.contains("must be between 1 and 365"));

    let saved = provider
        .submit(
            &app,
            &path,
            &[
                ("version", &version),
                ("service_ids", &service),
                ("obligation-0.description", "Feedback on every lead"),
                ("obligation-0.due_within_business_days", "5"),
                ("review_cadence", "quarterly"),
                ("notes", "Agreed at the offsite"),
            ],
        )
        .await;
    assert_eq!(
        saved.status(),
        StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap()
    );
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1{path}")).await,
        StatusCode::OK,
    )
    .await;
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
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(
        again
            .text()
            .await
            .expect("body")
            .contains("not possible now")
    );

    let accepted = provider.submit(&app, &format!("{path}/accept"), &[]).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let page = provider.page(&app, &path).await;
    assert!(page.contains("id=\"agreement-status\">Agreed"), "{page}");
    assert!(page.contains("id=\"review-form\""));
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1{path}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["status"], "agreed");

    // A review in the future is refused at its field; today's is recorded.
    let future = provider
        .submit(
            &app,
            &format!("{path}/reviews"),
            &[("reviewed_on", "2999-01-01"), ("notes", "Looked fine")],
        )
        .await;
    assert_eq!(future.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = future.text().await.expect("body");
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
    let agreement = expect_status(
        app.post(
            &app.admin,
            "/api/v1/agreements",
            &json!({
                "provider_department_id": id_of(&cell.marketing),
                "consumer_department_id": id_of(&cell.sales),
                "notes": "Drafted by the admin"
            }),
        )
        .await,
        StatusCode::CREATED,
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
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1{path}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["current"]["notes"], "Drafted by the admin");
    assert_eq!(stored["status"], "draft");
    let all = expect_status(
        app.get(&app.admin, "/api/v1/agreements").await,
        StatusCode::OK,
    )
    .await;
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
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = blank.text().await.expect("body");
    assert!(page.contains("id=\"provider_department_id-error\""));
    assert!(page.contains(">Kept</textarea>"));
}

#[tokio::test]
async fn a_lead_adds_and_changes_a_service_in_the_browser() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut lead = Browser::default();
    let token = lead.sign_in(&app, &cell.marketing_lead.email).await;
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
            ("csrf_token", token.clone()),
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
    let refused = lead.post(&app, "/services/new", &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(
        page.contains("id=\"first_response_minutes-error\""),
        "{page}"
    );
    assert!(page.contains("value=\"two hours\""));
    assert!(page.contains("Budget &#38; audience &#60;named&#62;"));

    let pairs = fields("120", "Bad Key");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let refused = lead.post(&app, "/services/new", &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"field-2.key-error\""), "{page}");
    assert!(page.contains("value=\"Bad Key\""));
    assert!(page.contains("value=\"Email, Events\""));
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/services").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "nothing stored"
    );

    let pairs = fields("120", "channel");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let added = lead.post(&app, "/services/new", &form).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/services").await,
        StatusCode::OK,
    )
    .await;
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
    let changed = lead.post(&app, &edit, &form).await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1/services/{}", id_of(&service)))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["first_response_minutes"], 60);
    assert_eq!(stored["active"], true);
    // Sent again at the old version: refused as stale, nothing lost.
    let stale = lead.post(&app, &edit, &form).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(
        stale
            .text()
            .await
            .expect("body")
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
    let stored = expect_status(
        app.get(
            &app.admin,
            &format!("/api/v1/services/{}", id_of(&cell.service)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["name"], "Qualified leads");
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/services").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

/// The current quarter, which the objectives page opens on.
fn current_quarter() -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1)
}

#[tokio::test]
async fn an_executive_sets_an_objective_with_a_mutual_measure_and_a_lead_a_goal() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let chief = app.add_user("chief@acme.test", Role::Executive).await;
    let mut executive = Browser::default();
    executive.sign_in(&app, &chief.email).await;
    let quarter = current_quarter();
    let page = executive.page(&app, "/objectives").await;
    assert!(page.contains("id=\"objective-form\""));
    assert!(page.contains(&format!("name=\"period\" value=\"{quarter}\"")));

    let refused = executive
        .submit(
            &app,
            "/objectives",
            &[
                ("period", "next quarter"),
                ("title", "Grow repeat business"),
                ("category", "repeat_business"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"objective-period-error\""), "{page}");
    assert!(page.contains("value=\"next quarter\""));
    assert!(page.contains("value=\"Grow repeat business\""));
    assert!(page.contains("value=\"repeat_business\" selected"));

    let set = executive
        .submit(
            &app,
            "/objectives",
            &[
                ("period", &quarter),
                ("title", "Grow repeat business"),
                ("category", "repeat_business"),
                ("owner_person_id", &chief.id.0.to_string()),
            ],
        )
        .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    let objectives = expect_status(
        app.get(&app.admin, "/api/v1/objectives").await,
        StatusCode::OK,
    )
    .await;
    let objective = id_of(&objectives["items"][0]);
    assert!(location(&set).ends_with(&format!("#objective-{objective}")));

    // The measure form: a contributor without a department is refused at its row.
    let new_measure = format!("/objectives/{objective}/measures/new");
    let page = executive.page(&app, &new_measure).await;
    assert!(page.contains("id=\"measure-form\""));
    let marketing = id_of(&cell.marketing).to_string();
    let sales = id_of(&cell.sales).to_string();
    let path = format!("/objectives/{objective}/measures");
    let refused = executive
        .submit(
            &app,
            &path,
            &[
                ("name", "Repeat orders"),
                ("unit", "%"),
                ("direction", "increase"),
                ("baseline", "20"),
                ("target", "lots"),
                ("contributor-0.department_id", &marketing),
                ("contributor-0.statement", "Campaigns for past buyers"),
                ("contributor-1.statement", "Calls every buyer after 30 days"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"target-error\""), "{page}");
    assert!(page.contains("id=\"contributor-1.department_id-error\""));
    assert!(page.contains("value=\"Calls every buyer after 30 days\""));
    assert!(page.contains("value=\"lots\""));

    let added = executive
        .submit(
            &app,
            &path,
            &[
                ("name", "Repeat orders"),
                ("unit", "%"),
                ("direction", "increase"),
                ("baseline", "20"),
                ("target", "35"),
                ("contributor-0.department_id", &marketing),
                ("contributor-0.statement", "Campaigns for past buyers"),
                ("contributor-1.department_id", &sales),
                ("contributor-1.statement", "Calls every buyer after 30 days"),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let measures = expect_status(
        app.get(&app.admin, "/api/v1/measures").await,
        StatusCode::OK,
    )
    .await;
    let measure = &measures["items"][0];
    assert_eq!(measure["mutual"], true);
    assert_eq!(location(&added), format!("/measures/{}", id_of(measure)));
    let page = executive.page(&app, &location(&added)).await;
    assert!(page.contains("Calls every buyer after 30 days"));

    // A lead sets their department's goal serving the objective.
    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.sales_lead.email).await;
    let page = lead.page(&app, "/objectives").await;
    assert!(
        !page.contains("id=\"objective-form\""),
        "objectives are for executives"
    );
    assert!(!page.contains("/measures/new"));
    assert!(page.contains("id=\"goal-form\""));
    let refused = lead
        .submit(
            &app,
            "/goals",
            &[
                ("department_id", &sales),
                ("objective_id", &objective.to_string()),
                ("period", &quarter),
                ("title", ""),
                ("description", "Kept description"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"goal-title-error\""));
    assert!(page.contains(">Kept description</textarea>"));
    let set = lead
        .submit(
            &app,
            "/goals",
            &[
                ("department_id", &sales),
                ("objective_id", &objective.to_string()),
                ("period", &quarter),
                ("title", "Call every buyer"),
            ],
        )
        .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    let page = lead.page(&app, "/objectives").await;
    assert!(page.contains("Call every buyer"));
    assert!(page.contains("Grow repeat business ("));
}

#[tokio::test]
async fn members_and_leads_cannot_set_objectives_or_measures_nor_others_goals() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let objective = expect_status(
        app.post(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": current_quarter(), "title": "Grow", "category": "revenue" }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut member = Browser::default();
    let token = member.sign_in(&app, &cell.seller.email).await;
    let page = member.page(&app, "/objectives").await;
    assert!(!page.contains("id=\"objective-form\""));
    assert!(!page.contains("id=\"goal-form\""));
    assert!(!page.contains("/measures/new"));
    let new_measure = format!("/objectives/{}/measures/new", id_of(&objective));
    assert_eq!(
        member.get(&app, &new_measure).await.status(),
        StatusCode::FORBIDDEN
    );
    let objective_refused = member
        .submit(
            &app,
            "/objectives",
            &[
                ("period", &current_quarter()),
                ("title", "Member's objective"),
                ("category", "revenue"),
            ],
        )
        .await;
    assert_eq!(objective_refused.status(), StatusCode::FORBIDDEN);
    let measure_refused = member
        .post(
            &app,
            &format!("/objectives/{}/measures", id_of(&objective)),
            &[
                ("csrf_token", &token),
                ("name", "Sneaky"),
                ("direction", "increase"),
                ("baseline", "0"),
                ("target", "1"),
            ],
        )
        .await;
    assert_eq!(measure_refused.status(), StatusCode::FORBIDDEN);
    // A lead sets goals for their own department only.
    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.sales_lead.email).await;
    let goal_refused = lead
        .submit(
            &app,
            "/goals",
            &[
                ("department_id", &id_of(&cell.marketing).to_string()),
                ("period", &current_quarter()),
                ("title", "Marketing's goal set by Sales"),
            ],
        )
        .await;
    assert_eq!(goal_refused.status(), StatusCode::FORBIDDEN);
    let objectives = expect_status(
        app.get(&app.admin, "/api/v1/objectives").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(objectives["items"].as_array().map(Vec::len), Some(1));
    let measures = expect_status(
        app.get(&app.admin, "/api/v1/measures").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(measures["items"], json!([]));
    let goals = expect_status(app.get(&app.admin, "/api/v1/goals").await, StatusCode::OK).await;
    assert_eq!(goals["items"], json!([]));
}

/// A date `days` from today, as forms write it.
fn date_in(days: i64) -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .expect("a date")
        .to_string()
}

#[tokio::test]
async fn a_lead_schedules_and_records_a_session_and_its_actions_are_moved_along() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.sales_lead.email).await;
    assert!(
        lead.page(&app, "/sessions")
            .await
            .contains("href=\"/sessions/new\"")
    );
    let form = lead.page(&app, "/sessions/new").await;
    assert!(form.contains("id=\"session-form\""));

    let refused = lead
        .submit(
            &app,
            "/sessions/new",
            &[
                ("scheduled_at", "tomorrow"),
                ("agenda_size", "3"),
                ("notes", "Bring the <numbers>"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"scheduled_at-error\""), "{page}");
    assert!(page.contains("value=\"tomorrow\""));
    assert!(page.contains("Bring the &#60;numbers&#62;"));
    let too_big = lead
        .submit(
            &app,
            "/sessions/new",
            &[
                ("scheduled_at", &format!("{}T15:00", date_in(7))),
                ("agenda_size", "99"),
            ],
        )
        .await;
    assert_eq!(too_big.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_big
            .text()
            .await
            .expect("body")
            .contains("id=\"agenda_size-error\"")
    );

    let when = format!("{}T15:00", date_in(7));
    let scheduled = lead
        .submit(
            &app,
            "/sessions/new",
            &[
                ("scheduled_at", &when),
                (
                    "facilitator_person_id",
                    &cell.marketing_lead.id.0.to_string(),
                ),
                ("notes", "Bring the numbers"),
            ],
        )
        .await;
    assert_eq!(scheduled.status(), StatusCode::SEE_OTHER);
    let session_path = location(&scheduled);
    let session = id_in(&session_path);
    let page = lead.page(&app, &session_path).await;
    assert!(page.contains(&format!("href=\"/sessions/{session}/record\"")));
    assert!(page.contains(&format!("href=\"/actions/new?session_id={session}\"")));

    // Record the outcomes at the version read.
    let record = format!("/sessions/{session}/record");
    let page = lead.page(&app, &record).await;
    assert!(page.contains(&format!("value=\"{when}\"")));
    let recorded = lead
        .submit(
            &app,
            &record,
            &[
                ("version", "1"),
                ("scheduled_at", &when),
                (
                    "facilitator_person_id",
                    &cell.marketing_lead.id.0.to_string(),
                ),
                ("notes", "Bring the numbers"),
                ("outcomes", "Marketing shares its calendar"),
            ],
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    assert!(
        lead.page(&app, &session_path)
            .await
            .contains("Marketing shares its calendar")
    );

    // An action without an owner is refused at the field; then added.
    let new_action = format!("/actions/new?session_id={session}");
    assert!(
        lead.page(&app, &new_action)
            .await
            .contains(&format!("name=\"session_id\" value=\"{session}\""))
    );
    let due = date_in(14);
    let session_id = session.to_string();
    let refused = lead
        .submit(
            &app,
            "/actions/new",
            &[
                ("session_id", &session_id),
                ("title", "Share the campaign calendar"),
                ("due_on", &due),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"owner_person_id-error\""));
    assert!(page.contains("value=\"Share the campaign calendar\""));
    assert!(page.contains(&format!("value=\"{due}\"")));
    let seller = cell.seller.id.0.to_string();
    let added = lead
        .submit(
            &app,
            "/actions/new",
            &[
                ("session_id", &session_id),
                ("title", "Share the campaign calendar"),
                ("owner_person_id", &seller),
                ("due_on", &due),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&added), session_path);
    let actions = expect_status(app.get(&app.admin, "/api/v1/actions").await, StatusCode::OK).await;
    let action = &actions["items"][0];
    assert_eq!(action["session_id"], session);

    // Its owner, a member, moves it to done; a bad date is refused at its field.
    let mut owner = Browser::default();
    owner.sign_in(&app, &cell.seller.email).await;
    let action_path = format!("/actions/{}", id_of(action));
    assert!(
        owner
            .page(&app, &action_path)
            .await
            .contains("id=\"action-form\"")
    );
    let version = version_of(action).to_string();
    let bad = owner
        .submit(
            &app,
            &action_path,
            &[
                ("version", &version),
                ("title", "Share the campaign calendar"),
                ("owner_person_id", &seller),
                ("due_on", "someday"),
                ("status", "done"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad.text().await.expect("body");
    assert!(page.contains("id=\"due_on-error\""));
    assert!(page.contains("value=\"done\" selected"));
    let done = owner
        .submit(
            &app,
            &action_path,
            &[
                ("version", &version),
                ("title", "Share the campaign calendar"),
                ("owner_person_id", &seller),
                ("due_on", &due),
                ("status", "done"),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1{action_path}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["status"], "done");
    assert!(stored["done_on"].is_string());
}

#[tokio::test]
async fn members_cannot_schedule_sessions_add_actions_or_move_others_actions() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let action = expect_status(
        app.post(
            &app.admin,
            "/api/v1/actions",
            &json!({ "title": "Lead's action", "owner_person_id": cell.sales_lead.id.0, "due_on": date_in(3) }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
    assert!(
        !member
            .page(&app, "/sessions")
            .await
            .contains("href=\"/sessions/new\"")
    );
    assert!(
        !member
            .page(&app, "/actions")
            .await
            .contains("href=\"/actions/new\"")
    );
    assert_eq!(
        member.get(&app, "/sessions/new").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.get(&app, "/actions/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let scheduled = member
        .submit(
            &app,
            "/sessions/new",
            &[("scheduled_at", &format!("{}T15:00", date_in(7)))],
        )
        .await;
    assert_eq!(scheduled.status(), StatusCode::FORBIDDEN);
    let added = member
        .submit(
            &app,
            "/actions/new",
            &[
                ("title", "Member's action"),
                ("owner_person_id", &cell.seller.id.0.to_string()),
                ("due_on", &date_in(3)),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::FORBIDDEN);
    // Someone else's action: readable, without the form, and refused.
    let path = format!("/actions/{}", id_of(&action));
    let page = member.page(&app, &path).await;
    assert!(
        page.contains("Lead&#39;s action") || page.contains("Lead's action"),
        "{page}"
    );
    assert!(!page.contains("id=\"action-form\""));
    let moved = member
        .submit(
            &app,
            &path,
            &[
                ("version", &version_of(&action).to_string()),
                ("title", "Lead's action"),
                ("due_on", &date_in(3)),
                ("status", "dropped"),
            ],
        )
        .await;
    assert_eq!(moved.status(), StatusCode::FORBIDDEN);
    let sessions = expect_status(
        app.get(&app.admin, "/api/v1/sessions").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(sessions["items"], json!([]));
    let actions = expect_status(app.get(&app.admin, "/api/v1/actions").await, StatusCode::OK).await;
    assert_eq!(actions["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(actions["items"][0]["status"], "open");
}

#[tokio::test]
async fn an_executive_starts_a_review_and_records_its_decisions_and_a_lead_cannot() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let chief = app.add_user("chief@acme.test", Role::Executive).await;
    let mut executive = Browser::default();
    executive.sign_in(&app, &chief.email).await;
    assert!(
        executive
            .page(&app, "/reviews")
            .await
            .contains("href=\"/reviews/new\"")
    );
    let refused = executive
        .submit(
            &app,
            "/reviews/new",
            &[
                ("period", "last quarter"),
                ("decisions", "Fund the shared calendar"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"period-error\""));
    assert!(page.contains(">Fund the shared calendar</textarea>"));
    let started = executive
        .submit(&app, "/reviews/new", &[("period", &current_quarter())])
        .await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let review_path = location(&started);
    let review = id_in(&review_path);
    let page = executive.page(&app, &review_path).await;
    assert!(page.contains(&format!("href=\"/reviews/{review}/record\"")));
    let recorded = executive
        .submit(
            &app,
            &format!("/reviews/{review}/record"),
            &[
                ("version", "1"),
                ("held_on", &date_in(0)),
                (
                    "decisions",
                    "Fund the shared calendar\n\nReview lead feedback monthly\n",
                ),
            ],
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1/reviews/{review}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        stored["decisions"],
        json!(["Fund the shared calendar", "Review lead feedback monthly"])
    );

    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.sales_lead.email).await;
    let page = lead.page(&app, &review_path).await;
    assert!(!page.contains("/record\""));
    assert!(
        page.contains(&format!("href=\"/actions/new?review_id={review}\"")),
        "leads add actions"
    );
    assert!(
        !lead
            .page(&app, "/reviews")
            .await
            .contains("href=\"/reviews/new\"")
    );
    assert_eq!(
        lead.get(&app, "/reviews/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let refused = lead
        .submit(
            &app,
            &format!("/reviews/{review}/record"),
            &[("version", "2"), ("decisions", "Overruled by a lead")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let stored = expect_status(
        app.get(&app.admin, &format!("/api/v1/reviews/{review}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["decisions"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_person_switches_off_an_event_by_email_and_it_stays_off() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut member = Browser::default();
    let token = member.sign_in(&app, &cell.seller.email).await;
    assert!(
        member
            .page(&app, "/notifications")
            .await
            .contains("href=\"/notifications/preferences\"")
    );
    let page = member.page(&app, "/notifications/preferences").await;
    assert!(page.contains(
        "id=\"pref-kudos_received-email\" name=\"kudos_received.email\" value=\"on\" checked"
    ));
    let view = expect_status(
        app.get(&cell.seller, "/api/v1/notifications/preferences")
            .await,
        StatusCode::OK,
    )
    .await;
    // Every box ticked but kudos by email.
    let mut boxes: Vec<(String, String)> = vec![("csrf_token".to_owned(), token.clone())];
    for kind in view["kinds"].as_array().unwrap() {
        for channel in view["channels"].as_array().unwrap() {
            let name = format!("{}.{}", kind.as_str().unwrap(), channel.as_str().unwrap());
            if name != "kudos_received.email" {
                boxes.push((name, "on".to_owned()));
            }
        }
    }
    let form: Vec<(&str, &str)> = boxes
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let saved = member.post(&app, "/notifications/preferences", &form).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = member.page(&app, &location(&saved)).await;
    assert!(page.contains("Your preferences are saved"));
    assert!(
        page.contains(
            "id=\"pref-kudos_received-email\" name=\"kudos_received.email\" value=\"on\">"
        )
    );
    assert!(page.contains(
        "id=\"pref-kudos_received-in_app\" name=\"kudos_received.in_app\" value=\"on\" checked"
    ));
    let view = expect_status(
        app.get(&cell.seller, "/api/v1/notifications/preferences")
            .await,
        StatusCode::OK,
    )
    .await;
    let off: Vec<&Value> = view["choices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|choice| choice["enabled"] == false)
        .collect();
    assert_eq!(off.len(), 1);
    assert_eq!(off[0]["kind"], "kudos_received");
    assert_eq!(off[0]["channel"], "email");
    // Without its form token nothing changes.
    let forged = member
        .post(
            &app,
            "/notifications/preferences",
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_adds_switches_and_removes_a_webhook_and_a_lead_cannot() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut admin = Browser::default();
    let token = admin.sign_in(&app, "admin@acme.test").await;
    let page = admin.page(&app, "/admin/webhooks").await;
    assert!(page.contains("id=\"webhook-form\""));
    let refused = admin
        .submit(
            &app,
            "/admin/webhooks",
            &[
                ("url", "ftp://crm.example/hook"),
                ("kinds", "kudos_received"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"url-error\""), "{page}");
    assert!(page.contains("value=\"ftp://crm.example/hook\""));
    assert!(page.contains("value=\"kudos_received\" checked"));

    let added = admin
        .submit(
            &app,
            "/admin/webhooks",
            &[
                ("url", "https://crm.example/hook"),
                ("kinds", "kudos_received"),
                ("kinds", "deferred"),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let page = added.text().await.expect("body");
    assert!(page.contains("id=\"webhook-secret\""));
    let hooks = expect_status(
        app.get(&app.admin, "/api/v1/webhooks").await,
        StatusCode::OK,
    )
    .await;
    let hook = &hooks[0];
    assert_eq!(hook["kinds"], json!(["kudos_received", "deferred"]));
    assert!(hook["secret"].is_null(), "the secret is never listed again");
    let listed = admin.page(&app, "/admin/webhooks").await;
    assert!(!listed.contains("id=\"webhook-secret\""));
    assert!(listed.contains("https://crm.example/hook"));

    let switched = admin
        .post(
            &app,
            &format!("/admin/webhooks/{}/active", id_of(hook)),
            &[
                ("csrf_token", &token),
                ("version", &version_of(hook).to_string()),
                ("active", "false"),
            ],
        )
        .await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    let hooks = expect_status(
        app.get(&app.admin, "/api/v1/webhooks").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(hooks[0]["active"], false);
    assert!(
        admin
            .page(&app, &format!("/admin/webhooks/{}", id_of(hook)))
            .await
            .contains("Nothing has been sent yet")
    );

    // A lead sees no webhooks and cannot add or remove one.
    let mut lead = Browser::default();
    let lead_token = lead.sign_in(&app, &cell.sales_lead.email).await;
    assert!(!lead.page(&app, "/").await.contains("href=\"/admin/"));
    assert_eq!(
        lead.get(&app, "/admin/webhooks").await.status(),
        StatusCode::FORBIDDEN
    );
    let added = lead
        .submit(&app, "/admin/webhooks", &[("url", "https://evil.example/")])
        .await;
    assert_eq!(added.status(), StatusCode::FORBIDDEN);
    let removed = lead
        .post(
            &app,
            &format!("/admin/webhooks/{}/delete", id_of(hook)),
            &[("csrf_token", &lead_token)],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::FORBIDDEN);
    let hooks = expect_status(
        app.get(&app.admin, "/api/v1/webhooks").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(hooks.as_array().map(Vec::len), Some(1));

    let removed = admin
        .post(
            &app,
            &format!("/admin/webhooks/{}/delete", id_of(hook)),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let hooks = expect_status(
        app.get(&app.admin, "/api/v1/webhooks").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(hooks, json!([]));
}

#[tokio::test]
async fn an_administrator_names_a_departments_leads_and_a_lead_cannot() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut admin = Browser::default();
    admin.sign_in(&app, "admin@acme.test").await;
    let path = format!("/admin/departments/{}", id_of(&cell.sales));
    assert!(
        admin
            .page(&app, "/admin/departments")
            .await
            .contains(&format!("href=\"{path}\""))
    );
    let page = admin.page(&app, &path).await;
    let sales_lead = cell.sales_lead.id.0.to_string();
    assert!(page.contains(&format!(
        "id=\"lead-{sales_lead}\" name=\"lead_ids\" value=\"{sales_lead}\" checked"
    )));
    let current = expect_status(
        app.get(
            &app.admin,
            &format!("/api/v1/departments/{}", id_of(&cell.sales)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let version = version_of(&current).to_string();
    let seller = cell.seller.id.0.to_string();
    let refused = admin
        .submit(
            &app,
            &path,
            &[
                ("version", &version),
                ("name", "   "),
                ("slug", "sales"),
                ("lead_ids", &sales_lead),
                ("lead_ids", &seller),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"name-error\""), "{page}");
    assert!(page.contains(&format!("value=\"{seller}\" checked")));
    let saved = admin
        .submit(
            &app,
            &path,
            &[
                ("version", &version),
                ("name", "Sales"),
                ("slug", "sales"),
                ("customer_facing", "true"),
                ("lead_ids", &sales_lead),
                ("lead_ids", &seller),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let stored = expect_status(
        app.get(
            &app.admin,
            &format!("/api/v1/departments/{}", id_of(&cell.sales)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        stored["lead_ids"],
        json!([cell.sales_lead.id.0, cell.seller.id.0])
    );
    assert_eq!(stored["customer_facing"], true);

    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.marketing_lead.email).await;
    assert_eq!(lead.get(&app, &path).await.status(), StatusCode::FORBIDDEN);
    let refused = lead
        .submit(
            &app,
            &path,
            &[
                ("version", &version_of(&stored).to_string()),
                ("name", "Sales"),
                ("slug", "sales"),
                ("lead_ids", &cell.marketing_lead.id.0.to_string()),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_keeps_segments_settings_and_coupons_and_a_member_cannot() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut admin = Browser::default();
    let token = admin.sign_in(&app, "admin@acme.test").await;

    // Segments: the name is required, the criteria one a line.
    let refused = admin
        .submit(
            &app,
            "/admin/segments",
            &[
                ("name", ""),
                ("needs", "Fast restocking"),
                ("criteria", "Ten stores or more"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"name-error\""));
    assert!(page.contains(">Fast restocking</textarea>"));
    let added = admin
        .submit(
            &app,
            "/admin/segments",
            &[
                ("name", "Mid-market retailers"),
                ("needs", "Fast restocking"),
                ("criteria", "Ten stores or more\n\nA buyer named"),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let segments = expect_status(
        app.get(&app.admin, "/api/v1/segments").await,
        StatusCode::OK,
    )
    .await;
    let segment = &segments["items"][0];
    assert_eq!(
        segment["criteria"],
        json!(["Ten stores or more", "A buyer named"])
    );
    let changed = admin
        .post(
            &app,
            &format!("/admin/segments/{}", id_of(segment)),
            &[
                ("csrf_token", &token),
                ("version", &version_of(segment).to_string()),
                ("name", "Mid-market retail chains"),
                ("criteria", "Ten stores or more"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert!(
        admin
            .page(&app, "/admin/segments")
            .await
            .contains("Mid-market retail chains")
    );

    // Settings: the anonymity threshold never goes below 3.
    let organization = expect_status(
        app.get(&app.admin, "/api/v1/organization").await,
        StatusCode::OK,
    )
    .await;
    let version = version_of(&organization).to_string();
    let settings = |k: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("version", version.clone()),
            ("name", "Acme".to_owned()),
            ("at_risk_percent", "80".to_owned()),
            ("anonymity_threshold", k.to_owned()),
            ("check_fatigue_days", "7".to_owned()),
            ("thank_you_kind", "coupon".to_owned()),
            ("thank_you_points", "0".to_owned()),
        ]
    };
    let pairs = settings("2");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let refused = admin.post(&app, "/admin/organization", &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"anonymity_threshold-error\""), "{page}");
    assert!(page.contains("name=\"at_risk_percent\" value=\"80\""));
    let pairs = settings("6");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let saved = admin.post(&app, "/admin/organization", &form).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let organization = expect_status(
        app.get(&app.admin, "/api/v1/organization").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(organization["anonymity_threshold"], 6);
    assert_eq!(organization["thank_you_kind"], "coupon");

    // Coupons: one a line; an empty list is refused at the field.
    let empty = admin
        .submit(&app, "/admin/coupons", &[("codes", "  \n ")])
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty
            .text()
            .await
            .expect("body")
            .contains("id=\"codes-error\"")
    );
    let uploaded = admin
        .submit(
            &app,
            "/admin/coupons",
            &[("codes", "THANKS-1\nTHANKS-2\n\nTHANKS-3\n")],
        )
        .await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let page = admin.page(&app, &location(&uploaded)).await;
    assert!(page.contains("3 codes were added"));
    assert!(page.contains("3 coupon codes are left to give"));

    // A member reads their own thank-yous, and none of the administration.
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
    assert!(
        member
            .page(&app, "/checks")
            .await
            .contains("href=\"/thank-yous\"")
    );
    assert!(
        member
            .page(&app, "/thank-yous")
            .await
            .contains("Nothing yet")
    );
    for path in ["/admin/segments", "/admin/organization"] {
        assert_eq!(
            member.get(&app, path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let refused = member
        .submit(&app, "/admin/coupons", &[("codes", "MINE")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = member
        .submit(&app, "/admin/segments", &[("name", "Member's segment")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let segments = expect_status(
        app.get(&app.admin, "/api/v1/segments").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(segments["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_provider_reprioritises_and_splits_a_request_and_the_requester_changes_its_impact() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let request = expect_status(
        app.post(
            &cell.seller,
            "/api/v1/requests",
            &json!({ "service_id": id_of(&cell.service), "title": "Leads for the trade show" }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/requests/{}", id_of(&request));
    let api_path = format!("/api/v1{path}");

    // The requester changes the external impact, but sees no priority to change.
    let mut requester = Browser::default();
    requester.sign_in(&app, &cell.seller.email).await;
    let page = requester.page(&app, &path).await;
    assert!(page.contains("id=\"details-form\""));
    assert!(!page.contains("id=\"details-priority\""));
    assert!(
        !page.contains("id=\"split-form\""),
        "only the provider splits"
    );
    let changed = requester
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&request).to_string()),
                ("external_impact", "customer_waiting"),
                ("external_reference", "CASE-42"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let stored = expect_status(app.get(&app.admin, &api_path).await, StatusCode::OK).await;
    assert_eq!(stored["external_impact"], "customer_waiting");
    assert_eq!(stored["external_reference"], "CASE-42");
    let forbidden = requester
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&stored).to_string()),
                ("priority", "urgent"),
            ],
        )
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // The provider raises the priority, then splits off a sub-request.
    let mut provider = Browser::default();
    provider.sign_in(&app, &cell.marketing_lead.email).await;
    let page = provider.page(&app, &path).await;
    assert!(page.contains("id=\"details-priority\""));
    assert!(page.contains("value=\"CASE-42\""));
    let bad = provider
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&stored).to_string()),
                ("priority", "whenever"),
                ("external_impact", "customer_waiting"),
                ("external_reference", "CASE-42"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .expect("body")
            .contains("id=\"details-priority-error\"")
    );
    let raised = provider
        .submit(
            &app,
            &format!("{path}/details"),
            &[
                ("version", &version_of(&stored).to_string()),
                ("priority", "urgent"),
                ("external_impact", "customer_waiting"),
                ("external_reference", "CASE-42"),
            ],
        )
        .await;
    assert_eq!(raised.status(), StatusCode::SEE_OTHER);
    let stored = expect_status(app.get(&app.admin, &api_path).await, StatusCode::OK).await;
    assert_eq!(stored["priority"], "urgent");

    let refused = provider
        .submit(
            &app,
            &format!("{path}/sub-requests"),
            &[
                ("title", "Check the booth budget"),
                ("description", "Kept details"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"split-department-error\""), "{page}");
    assert!(page.contains("value=\"Check the booth budget\""));
    assert!(page.contains(">Kept details</textarea>"));
    let split = provider
        .submit(
            &app,
            &format!("{path}/sub-requests"),
            &[
                ("department_id", &id_of(&cell.sales).to_string()),
                ("title", "Check the booth budget"),
            ],
        )
        .await;
    assert_eq!(split.status(), StatusCode::SEE_OTHER);
    let listed = expect_status(
        app.get(
            &app.admin,
            &format!(
                "/api/v1/requests?provider_department_id={}",
                id_of(&cell.sales)
            ),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let sub = listed["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|item| item["title"] == "Check the booth budget")
        })
        .cloned()
        .expect("the sub-request");
    assert_eq!(sub["parent_request_id"], id_of(&request));
}

#[tokio::test]
async fn administrators_read_the_audit_log_and_executives_export_but_members_do_neither() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut admin = Browser::default();
    admin.sign_in(&app, "admin@acme.test").await;
    let page = admin.page(&app, "/admin/audit-log").await;
    assert!(page.contains("Audit log"));
    // Creating the departments and services of the cell was recorded.
    assert!(!page.contains("Nothing recorded yet"), "{page}");
    assert!(page.contains("<td data-label=\"Who\">"));
    let chief = app.add_user("chief@acme.test", Role::Executive).await;
    let mut executive = Browser::default();
    executive.sign_in(&app, &chief.email).await;
    let page = executive.page(&app, "/exports").await;
    assert!(page.contains("href=\"/api/v1/exports/requests?format=csv\""));
    let csv = executive
        .get(&app, "/api/v1/exports/departments?format=csv")
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.text().await.expect("body").contains("Marketing"));
    assert_eq!(
        executive.get(&app, "/admin/audit-log").await.status(),
        StatusCode::FORBIDDEN
    );
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
    assert!(!member.page(&app, "/").await.contains("href=\"/exports\""));
    assert_eq!(
        member.get(&app, "/exports").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.get(&app, "/admin/audit-log").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_member_asks_a_department_for_something_outside_its_catalogue() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
    let path = format!("/departments/{}/request", id_of(&cell.marketing));
    assert!(
        member
            .page(&app, "/services")
            .await
            .contains(&format!("href=\"{path}\""))
    );
    assert!(member.page(&app, &path).await.contains("id=\"adhoc-form\""));
    let refused = member
        .submit(
            &app,
            &path,
            &[
                ("title", ""),
                ("description", "A <one-off> flyer"),
                ("priority", "high"),
                ("external_impact", "customer_waiting"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains("id=\"title-error\""), "{page}");
    assert!(page.contains("A &#60;one-off&#62; flyer"));
    assert!(page.contains("value=\"high\" selected"));
    assert!(page.contains("value=\"customer_waiting\" checked"));
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/requests").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"], json!([]));
    let raised = member
        .submit(
            &app,
            &path,
            &[
                ("title", "A flyer for the fair"),
                ("priority", "high"),
                ("external_impact", "none"),
            ],
        )
        .await;
    assert_eq!(raised.status(), StatusCode::SEE_OTHER);
    let listed = expect_status(
        app.get(&app.admin, "/api/v1/requests").await,
        StatusCode::OK,
    )
    .await;
    let request = &listed["items"][0];
    assert_eq!(request["provider_department_id"], id_of(&cell.marketing));
    assert!(request["service_id"].is_null());
    assert_eq!(location(&raised), format!("/requests/{}", id_of(request)));
    // Without the form's token nothing is raised.
    let forged = member
        .post(
            &app,
            &path,
            &[("csrf_token", "forged"), ("title", "Forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
