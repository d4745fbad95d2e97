//! The alignment pages over real HTTP: objectives and a check-in that moves
//! a measure's progress bar, the round table's mirror rule at its field, one
//! vote per person, sponsoring only by executives, and the review agenda,
//! sessions and overdue actions. (browser-tests/tests/alignment.test.js
//! drives the same pages in Chromium.)

use crate::support::{TestApp, id_of, version_of};
use crate::web::{Browser, form_with, hidden_token, location, text_with_status};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

/// The current quarter, which the objectives page opens on.
fn current_quarter() -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1)
}

/// The `value` of the progress bar of a measure on a page.
fn progress_of(html: &str, measure: &str) -> Option<i64> {
    let label = format!("aria-label=\"Progress of {measure}\"");
    let end = html.find(&label)?;
    let start = html[..end].rfind("<progress")?;
    let tag = &html[start..end];
    let value = tag.split("value=\"").nth(1)?;
    value.split('"').next()?.parse().ok()
}

#[tokio::test]
async fn a_frustration_needs_its_mirror_at_the_field_and_keeps_the_values() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    let sales = app.department("Sales").await;
    let seller = app.add_member("seller@acme.test", id_of(&sales)).await;
    let mut browser = Browser::default();
    browser.sign_in(&app, &seller.email).await;
    let page = browser.page(&app, "/round-table").await;
    assert!(page.contains("You speak for <strong>Sales</strong>"));
    assert!(page.contains("href=\"/round-table\" aria-current=\"page\""));

    let marketing_id = id_of(&marketing).to_string();
    let about_budgets = [
        ("kind", "frustration"),
        ("about_department_id", marketing_id.as_str()),
        ("title", "Leads arrive without a budget"),
    ];
    let without_mirror = browser
        .submit(
            &app,
            "/round-table",
            &form_with(
                &about_budgets,
                &[
                    ("body", "Half of the <leads> have no budget"),
                    ("mirror", "   "),
                ],
            ),
        )
        .await;
    let page = text_with_status(without_mirror, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"mirror-error\""), "error at the mirror");
    assert!(page.contains("aria-describedby=\"topic-mirror-hint mirror-error\""));
    assert!(page.contains("value=\"Leads arrive without a budget\""));
    assert!(page.contains("Half of the &#60;leads&#62; have no budget"));
    assert!(page.contains(&format!("value=\"{marketing_id}\" selected")));
    assert!(page.contains("value=\"frustration\" selected"));
    let listed = app.read(&app.admin, "/api/v1/topics").await;
    assert_eq!(listed["items"], json!([]), "nothing was stored");

    let posted = browser
        .submit(
            &app,
            "/round-table",
            &form_with(
                &about_budgets,
                &[
                    ("body", "Half of the leads have no budget"),
                    ("mirror", "We could say which budget band we need"),
                    ("anonymous", "true"),
                ],
            ),
        )
        .await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let next = location(&posted);
    assert!(next.starts_with("/round-table?posted="), "{next}");
    let page = browser.page(&app, &next).await;
    assert!(page.contains("Your topic was posted"));
    assert!(page.contains("Leads arrive without a budget"));
    assert!(page.contains("We could say which budget band we need"));
    assert!(page.contains("Sales → Marketing"));

    let stored = app.read(&app.admin, "/api/v1/topics").await;
    let topic = &stored["items"][0];
    assert_eq!(topic["kind"], "frustration");
    assert_eq!(topic["anonymous"], true);
    assert_eq!(topic["author_person_id"], Value::Null);
    let page = browser
        .page(&app, &format!("/topics/{}", id_of(topic)))
        .await;
    assert!(page.contains("anonymous (no author is stored)"));

    // The filters narrow the list.
    let suggestions = browser.page(&app, "/round-table?kind=suggestion").await;
    assert!(!suggestions.contains("Leads arrive without a budget"));
    let frustrations = browser
        .page(&app, "/round-table?kind=frustration&status=open")
        .await;
    assert!(frustrations.contains("Leads arrive without a budget"));
}

#[tokio::test]
async fn voting_twice_through_the_page_counts_one_vote() {
    let app = TestApp::spawn().await;
    let sales = app.department("Sales").await;
    let topic = app
        .create(
            &app.admin,
            "/api/v1/topics",
            &json!({ "kind": "suggestion", "title": "A shared lead form", "from_department_id": id_of(&sales) }),
        )
        .await;
    let id = id_of(&topic);
    let vote_path = format!("/topics/{id}/vote");
    let mut browser = Browser::default();
    let token = browser.sign_in(&app, "member@acme.test").await;
    for _ in 0..2 {
        let voted = browser
            .submit(
                &app,
                &vote_path,
                &[("vote", "add"), ("next", "/round-table")],
            )
            .await;
        assert_eq!(voted.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&voted), format!("/round-table#topic-{id}"));
    }
    let stored = app.read(&app.admin, &format!("/api/v1/topics/{id}")).await;
    assert_eq!(stored["votes"], 1, "one vote per person");
    let page = browser.page(&app, "/round-table").await;
    assert!(page.contains("1 vote, including yours"));
    assert!(page.contains("Withdraw my vote"));

    // htmx gets the vote form back, refreshed in place.
    let fragment = app
        .client
        .post(app.url(&vote_path))
        .header(COOKIE, browser.cookie_header())
        .header("HX-Request", "true")
        .form(&[
            ("csrf_token", token.as_str()),
            ("vote", "withdraw"),
            ("next", "/round-table"),
        ])
        .send()
        .await
        .expect("POST");
    let html = text_with_status(fragment, StatusCode::OK).await;
    assert!(html.trim_start().starts_with("<form"), "{html}");
    assert!(html.contains("0 votes") && html.contains(">Vote<"));
    assert!(!html.contains("<html"), "only the fragment");

    // A forged vote changes nothing.
    let forged = browser.post(&app, &vote_path, &[("vote", "add")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let stored = app.read(&app.admin, &format!("/api/v1/topics/{id}")).await;
    assert_eq!(stored["votes"], 0);
    let missing = browser
        .submit(&app, "/topics/999999/vote", &[("vote", "add")])
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_check_in_through_the_page_moves_the_measures_progress() {
    let app = TestApp::spawn().await;
    let sales = app.department("Sales").await;
    let marketing = app.department("Marketing").await;
    let seller = app.add_member("seller@acme.test", id_of(&sales)).await;
    let objective = app
        .create(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": current_quarter(), "title": "Grow repeat business", "category": "repeat_business",
                     "owner_person_id": app.admin.id.0 }),
        )
        .await;
    let measure = app
        .create(
            &app.admin,
            "/api/v1/measures",
            &json!({ "objective_id": id_of(&objective), "name": "Repeat orders", "unit": "orders",
                     "direction": "increase", "baseline": 0, "target": 80,
                     "contributors": [
                         { "department_id": id_of(&sales), "statement": "Call every lapsed customer" },
                         { "department_id": id_of(&marketing), "statement": "Send the win-back campaign" }
                     ] }),
        )
        .await;
    let path = format!("/measures/{}", id_of(&measure));
    let mut browser = Browser::default();
    browser.sign_in(&app, &seller.email).await;

    let objectives = browser.page(&app, "/objectives").await;
    assert!(objectives.contains("Grow repeat business"));
    assert!(objectives.contains("Repeat business"), "category in words");
    assert!(objectives.contains("Mutual measure: 2 departments"));
    assert!(objectives.contains("Send the win-back campaign"));
    assert_eq!(progress_of(&objectives, "Repeat orders"), Some(0));
    let picked = browser
        .page(&app, &format!("/objectives?period={}", current_quarter()))
        .await;
    assert!(picked.contains("Grow repeat business"));
    let elsewhere = browser.page(&app, "/objectives?period=2001-Q1").await;
    assert!(!elsewhere.contains("Grow repeat business"));
    let bad = browser.get(&app, "/objectives?period=2027-Q9").await;
    assert!(
        text_with_status(bad, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains("id=\"period-error\"")
    );

    let page = browser.page(&app, &path).await;
    assert!(page.contains("Record the check-in"));
    assert_eq!(progress_of(&page, "Repeat orders"), Some(0));

    let rejected = browser
        .submit(
            &app,
            &format!("{path}/checkins"),
            &[("value", "lots"), ("note", "Good week")],
        )
        .await;
    let page = text_with_status(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"checkin-value-error\""));
    assert!(page.contains("value=\"lots\"") && page.contains("Good week"));

    let recorded = browser
        .submit(
            &app,
            &format!("{path}/checkins"),
            &[("value", "30"), ("note", "Good week")],
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&recorded), path);
    let page = browser.page(&app, &path).await;
    assert_eq!(
        progress_of(&page, "Repeat orders"),
        Some(38),
        "30 of 80 from 0"
    );
    assert!(page.contains("38 %"));
    assert!(
        page.contains("<polyline") || page.contains("<circle"),
        "the chart"
    );
    assert!(page.contains("Good week"), "the history table");
    let objectives = browser.page(&app, "/objectives").await;
    assert_eq!(progress_of(&objectives, "Repeat orders"), Some(38));

    // Someone of no contributing department gets no form and is refused.
    let mut outsider = Browser::default();
    outsider.sign_in(&app, "member@acme.test").await;
    let page = outsider.page(&app, &path).await;
    assert!(!page.contains("Record the check-in"));
    let refused = outsider
        .submit(&app, &format!("{path}/checkins"), &[("value", "80")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let stored = app
        .read(&app.admin, &format!("/api/v1/measures/{}", id_of(&measure)))
        .await;
    assert_eq!(stored["current"], json!(30.0));
}

#[tokio::test]
async fn each_enhancement_step_has_its_button_for_whoever_takes_it() {
    let app = TestApp::spawn().await;
    let sales = app.department("Sales").await;
    let marketing = app.department("Marketing").await;
    let sales_lead = app.lead_of("sales.lead@acme.test", id_of(&sales)).await;
    let marketing_lead = app
        .lead_of("marketing.lead@acme.test", id_of(&marketing))
        .await;
    let executive = app.add_user("chief@acme.test", Role::Executive).await;
    let objective = app
        .create(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": current_quarter(), "title": "More referrals", "category": "referrals" }),
        )
        .await;
    let proposed = app
        .create(
            &sales_lead,
            "/api/v1/enhancements",
            &json!({ "objective_id": id_of(&objective), "title": "One shared lead form",
                     "department_ids": [id_of(&sales), id_of(&marketing)] }),
        )
        .await;
    let id = id_of(&proposed);
    let sponsor_action = format!("action=\"/enhancements/{id}/sponsor\"");

    let mut member = Browser::default();
    member.sign_in(&app, "member@acme.test").await;
    let page = member.page(&app, "/enhancements").await;
    assert!(page.contains("One shared lead form") && page.contains("More referrals"));
    assert!(page.contains("Sales, Marketing") || page.contains("Marketing, Sales"));
    assert!(
        !page.contains(&sponsor_action),
        "no sponsor button for a member"
    );
    assert!(!page.contains("Reason for declining"));
    let refused = member
        .submit(&app, &format!("/enhancements/{id}/sponsor"), &[])
        .await;
    assert!(
        text_with_status(refused, StatusCode::FORBIDDEN)
            .await
            .contains("Only an executive can sponsor")
    );

    // A lead proposes through the form: two departments are needed.
    let mut lead = Browser::default();
    lead.sign_in(&app, "lead@acme.test").await;
    let page = lead.page(&app, "/enhancements").await;
    assert!(
        !page.contains(&sponsor_action),
        "no sponsor button for a lead"
    );
    let alone = lead
        .submit(
            &app,
            "/enhancements",
            &[
                ("title", "Joint trade-show stand"),
                ("objective_id", &id_of(&objective).to_string()),
                ("department_ids", &id_of(&sales).to_string()),
            ],
        )
        .await;
    let page = text_with_status(alone, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"enhancement-departments-error\""));
    assert!(page.contains("value=\"Joint trade-show stand\""));
    assert!(page.contains(&format!("value=\"{}\" checked", id_of(&sales))));

    // Marketing has not confirmed: the executive has nothing to sponsor yet,
    // and marketing's lead is asked.
    let confirm_action = format!("action=\"/enhancements/{id}/confirm\"");
    let mut chief = Browser::default();
    chief.sign_in(&app, &executive.email).await;
    let page = chief.page(&app, "/enhancements").await;
    assert!(
        !page.contains(&sponsor_action),
        "nothing to sponsor before marketing confirms"
    );
    assert!(page.contains("Waiting for"), "{page}");
    let page = lead.page(&app, "/enhancements").await;
    assert!(
        !page.contains(&confirm_action),
        "only marketing's lead confirms"
    );
    let mut marketer = Browser::default();
    marketer.sign_in(&app, &marketing_lead.email).await;
    // The notice that asks marketing's lead leads to the enhancement.
    let inbox = app.read(&marketing_lead, "/api/v1/notifications").await;
    let link = inbox["items"][0]["link"]
        .as_str()
        .expect("a notice with a link")
        .to_owned();
    let followed = marketer.get(&app, &link).await;
    assert_eq!(followed.status(), StatusCode::SEE_OTHER, "{link}");
    assert_eq!(
        followed.headers()["location"],
        format!("/enhancements#enhancement-{id}").as_str()
    );
    let page = marketer.page(&app, "/enhancements").await;
    assert!(page.contains(&confirm_action));
    let confirmed = marketer
        .submit(&app, &format!("/enhancements/{id}/confirm"), &[])
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let page = chief.page(&app, "/enhancements").await;
    assert!(page.contains(&sponsor_action));
    let sponsored = chief
        .submit(&app, &format!("/enhancements/{id}/sponsor"), &[])
        .await;
    assert_eq!(sponsored.status(), StatusCode::SEE_OTHER);
    let stored = app
        .read(&app.admin, &format!("/api/v1/enhancements/{id}"))
        .await;
    assert_eq!(stored["status"], "sponsored");
    let version = version_of(&stored).to_string();

    // A step the workflow refuses says so; a decline needs its reason.
    let skipped = marketer
        .submit(
            &app,
            &format!("/enhancements/{id}/status"),
            &[("version", &version), ("to", "delivered")],
        )
        .await;
    let page = text_with_status(skipped, StatusCode::CONFLICT).await;
    assert!(page.contains("That step is not possible"), "{page}");
    assert!(page.contains("sponsored to delivered"));
    let no_reason = chief
        .submit(
            &app,
            &format!("/enhancements/{id}/status"),
            &[("version", &version), ("to", "declined"), ("reason", "")],
        )
        .await;
    assert!(
        text_with_status(no_reason, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains(&format!("id=\"decline-reason-{id}-error\""))
    );
    // Starting the work is the proposing departments', not the executive's.
    let page = chief.page(&app, "/enhancements").await;
    assert!(!page.contains("Start the work"));
    let refused = chief
        .submit(
            &app,
            &format!("/enhancements/{id}/status"),
            &[("version", &version), ("to", "in_progress")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let started = marketer
        .submit(
            &app,
            &format!("/enhancements/{id}/status"),
            &[("version", &version), ("to", "in_progress")],
        )
        .await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let page = chief.page(&app, "/enhancements").await;
    assert!(page.contains("Status: In progress"));
}

#[tokio::test]
async fn reviews_sessions_and_actions_have_their_pages() {
    let app = TestApp::spawn().await;
    let sales = app.department("Sales").await;
    let marketing = app.department("Marketing").await;
    let review = app
        .create(
            &app.admin,
            "/api/v1/reviews",
            &json!({ "period": current_quarter(), "decisions": ["Fund the lead form"] }),
        )
        .await;
    let topic = app
        .create(
            &app.admin,
            "/api/v1/topics",
            &json!({ "kind": "assumption", "title": "Sales calls only big leads",
                     "from_department_id": id_of(&marketing), "about_department_id": id_of(&sales) }),
        )
        .await;
    let session = app
        .create(
            &app.lead,
            "/api/v1/sessions",
            &json!({ "scheduled_at": "2027-02-10T14:00:00Z", "facilitator_person_id": app.lead.id.0 }),
        )
        .await;
    app.create(
        &app.lead,
        "/api/v1/actions",
        &json!({ "title": "Draft the lead brief", "owner_person_id": app.member.id.0, "due_on": "2020-01-31",
                 "topic_id": id_of(&topic), "session_id": id_of(&session), "review_id": id_of(&review) }),
    )
    .await;
    app.create(
        &app.lead,
        "/api/v1/actions",
        &json!({ "title": "Review the brief", "owner_person_id": app.member.id.0, "due_on": "2999-01-31" }),
    )
    .await;

    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;
    let reviews = browser.page(&app, "/reviews").await;
    assert!(reviews.contains(&format!("Review of {}", current_quarter())));
    let page = browser
        .page(&app, &format!("/reviews/{}", id_of(&review)))
        .await;
    for section in [
        "Off-track objectives",
        "Lowest-health cells",
        "Largest perception gaps",
        "Top-voted open topics",
        "Overdue actions",
        "Decisions",
    ] {
        assert!(page.contains(section), "{section}");
    }
    assert!(
        page.contains("None: no objective of"),
        "an empty section says so"
    );
    assert!(page.contains("Sales calls only big leads"));
    assert!(page.contains("Fund the lead form"));
    assert!(page.contains("Draft the lead brief") && page.contains("Overdue"));

    let sessions = browser.page(&app, "/sessions").await;
    assert!(sessions.contains(&format!("/sessions/{}", id_of(&session))));
    let page = browser
        .page(&app, &format!("/sessions/{}", id_of(&session)))
        .await;
    assert!(page.contains("Sales calls only big leads"), "the agenda");
    assert!(
        page.to_lowercase().contains("lead of test"),
        "the facilitator"
    );
    assert!(page.contains("Draft the lead brief"));

    let overdue = browser.page(&app, "/actions?overdue=true").await;
    assert!(overdue.contains("Draft the lead brief") && overdue.contains("Overdue"));
    assert!(!overdue.contains("Review the brief"));
    let all = browser.page(&app, "/actions").await;
    assert!(all.contains("Review the brief") && all.contains("1 action is overdue"));

    // The assumption is answered by the department it is about.
    let topic_path = format!("/topics/{}", id_of(&topic));
    let page = browser.page(&app, &topic_path).await;
    assert!(
        !page.contains("Send the answer"),
        "not the member's department"
    );
    let seller = app.add_member("seller@acme.test", id_of(&sales)).await;
    let mut sales_browser = Browser::default();
    let token = sales_browser.sign_in(&app, &seller.email).await;
    assert!(
        sales_browser
            .page(&app, &topic_path)
            .await
            .contains("Send the answer")
    );
    let no_note = sales_browser
        .submit(
            &app,
            &format!("{topic_path}/answer"),
            &[("answer", "corrected")],
        )
        .await;
    let page = text_with_status(no_note, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"answer-note-error\""));
    assert!(page.contains("value=\"corrected\" checked"));
    let answered = sales_browser
        .submit(
            &app,
            &format!("{topic_path}/answer"),
            &[
                ("answer", "corrected"),
                ("note", "We call every qualified lead"),
            ],
        )
        .await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let commented = sales_browser
        .submit(
            &app,
            &format!("{topic_path}/comments"),
            &[("body", "Happy to show the report")],
        )
        .await;
    assert_eq!(commented.status(), StatusCode::SEE_OTHER);
    let page = sales_browser.page(&app, &topic_path).await;
    assert!(page.contains("Corrected") && page.contains("We call every qualified lead"));
    assert!(page.contains("Happy to show the report"));
    let empty = sales_browser
        .submit(&app, &format!("{topic_path}/comments"), &[("body", " ")])
        .await;
    assert!(
        text_with_status(empty, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains("id=\"comment-body-error\"")
    );
    assert_eq!(hidden_token(&page), token);
    assert!(
        !page.contains("Mark as discussed"),
        "members do not move topics"
    );

    // A lead moves the topic along; a step the workflow refuses says so.
    let mut lead = Browser::default();
    lead.sign_in(&app, "lead@acme.test").await;
    assert!(
        lead.page(&app, &topic_path)
            .await
            .contains("Mark as discussed")
    );
    let stored = app
        .read(&app.admin, &format!("/api/v1/topics/{}", id_of(&topic)))
        .await;
    let version = version_of(&stored).to_string();
    let discussed = lead
        .submit(
            &app,
            &format!("{topic_path}/status"),
            &[("version", &version), ("to", "discussed")],
        )
        .await;
    assert_eq!(discussed.status(), StatusCode::SEE_OTHER);
    let page = lead.page(&app, &topic_path).await;
    assert!(page.contains("Status: Discussed"));
    let stored = app
        .read(&app.admin, &format!("/api/v1/topics/{}", id_of(&topic)))
        .await;
    let skipped = lead
        .submit(
            &app,
            &format!("{topic_path}/status"),
            &[
                ("version", &version_of(&stored).to_string()),
                ("to", "open"),
            ],
        )
        .await;
    assert!(
        text_with_status(skipped, StatusCode::CONFLICT)
            .await
            .contains("not possible now")
    );
}
