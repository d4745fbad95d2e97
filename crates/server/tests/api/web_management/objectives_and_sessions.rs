//! Objectives with mutual measures and goals, round-table sessions and their
//! actions, and alignment reviews in the browser, with who may and may not.

use super::{cell, id_in};
use crate::support::{TestApp, id_of, version_of};
use crate::web::{Browser, form_with, location, text_with_status};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::json;

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
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    let objectives = app.read(&app.admin, "/api/v1/objectives").await;
    let objective = id_of(&objectives["items"][0]);
    assert!(location(&set).ends_with(&format!("#objective-{objective}")));

    // The measure form: a contributor without a department is refused at its row.
    let new_measure = format!("/objectives/{objective}/measures/new");
    let page = executive.page(&app, &new_measure).await;
    assert!(page.contains("id=\"measure-form\""));
    let marketing = id_of(&cell.marketing).to_string();
    let sales = id_of(&cell.sales).to_string();
    let path = format!("/objectives/{objective}/measures");
    let repeat_orders = [
        ("name", "Repeat orders"),
        ("unit", "%"),
        ("direction", "increase"),
        ("baseline", "20"),
    ];
    let refused = executive
        .submit(
            &app,
            &path,
            &form_with(
                &repeat_orders,
                &[
                    ("target", "lots"),
                    ("contributor-0.department_id", &marketing),
                    ("contributor-0.statement", "Campaigns for past buyers"),
                    ("contributor-1.statement", "Calls every buyer after 30 days"),
                ],
            ),
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"target-error\""), "{page}");
    assert!(page.contains("id=\"contributor-1.department_id-error\""));
    assert!(page.contains("value=\"Calls every buyer after 30 days\""));
    assert!(page.contains("value=\"lots\""));

    let added = executive
        .submit(
            &app,
            &path,
            &form_with(
                &repeat_orders,
                &[
                    ("target", "35"),
                    ("contributor-0.department_id", &marketing),
                    ("contributor-0.statement", "Campaigns for past buyers"),
                    ("contributor-1.department_id", &sales),
                    ("contributor-1.statement", "Calls every buyer after 30 days"),
                ],
            ),
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let measures = app.read(&app.admin, "/api/v1/measures").await;
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
    let objective = objective.to_string();
    let goal_of_sales = [
        ("department_id", sales.as_str()),
        ("objective_id", objective.as_str()),
        ("period", quarter.as_str()),
    ];
    let refused = lead
        .submit(
            &app,
            "/goals",
            &form_with(
                &goal_of_sales,
                &[("title", ""), ("description", "Kept description")],
            ),
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"goal-title-error\""));
    assert!(page.contains(">Kept description</textarea>"));
    let set = lead
        .submit(
            &app,
            "/goals",
            &form_with(&goal_of_sales, &[("title", "Call every buyer")]),
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
    let objective = app
        .create(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": current_quarter(), "title": "Grow", "category": "revenue" }),
        )
        .await;
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
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
        .submit(
            &app,
            &format!("/objectives/{}/measures", id_of(&objective)),
            &[
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
    let objectives = app.read(&app.admin, "/api/v1/objectives").await;
    assert_eq!(objectives["items"].as_array().map(Vec::len), Some(1));
    let measures = app.read(&app.admin, "/api/v1/measures").await;
    assert_eq!(measures["items"], json!([]));
    let goals = app.read(&app.admin, "/api/v1/goals").await;
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
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    assert!(
        text_with_status(too_big, StatusCode::UNPROCESSABLE_ENTITY)
            .await
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
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    let actions = app.read(&app.admin, "/api/v1/actions").await;
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
    let calendar_shared = [
        ("version", version.as_str()),
        ("title", "Share the campaign calendar"),
        ("owner_person_id", seller.as_str()),
    ];
    let bad = owner
        .submit(
            &app,
            &action_path,
            &form_with(
                &calendar_shared,
                &[("due_on", "someday"), ("status", "done")],
            ),
        )
        .await;
    let page = text_with_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"due_on-error\""));
    assert!(page.contains("value=\"done\" selected"));
    let done = owner
        .submit(
            &app,
            &action_path,
            &form_with(&calendar_shared, &[("due_on", &due), ("status", "done")]),
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let stored = app.read(&app.admin, &format!("/api/v1{action_path}")).await;
    assert_eq!(stored["status"], "done");
    assert!(stored["done_on"].is_string());
}

#[tokio::test]
async fn members_cannot_schedule_sessions_add_actions_or_move_others_actions() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let action = app
        .create(
            &app.admin,
            "/api/v1/actions",
            &json!({ "title": "Lead's action", "owner_person_id": cell.sales_lead.id.0, "due_on": date_in(3) }),
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
    let sessions = app.read(&app.admin, "/api/v1/sessions").await;
    assert_eq!(sessions["items"], json!([]));
    let actions = app.read(&app.admin, "/api/v1/actions").await;
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
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    let stored = app
        .read(&app.admin, &format!("/api/v1/reviews/{review}"))
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
    let stored = app
        .read(&app.admin, &format!("/api/v1/reviews/{review}"))
        .await;
    assert_eq!(stored["decisions"].as_array().map(Vec::len), Some(2));
}

/// The current quarter, which the objectives page opens on.
fn current_quarter() -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1)
}
