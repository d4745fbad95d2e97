//! The round table: topics with mirrors, anonymity, votes and answers;
//! sessions and overdue actions; enhancements that every proposing
//! department confirms, only executives sponsor or decline and only the
//! proposing departments' leads move on.

use crate::support::{TestApp, User, expect_status, id_of, problem_fields, version_of};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

struct Departments {
    sales: i64,
    marketing: i64,
    seller: User,
    marketer: User,
}

async fn departments(app: &TestApp) -> Departments {
    let sales = id_of(&app.department("Sales").await);
    let marketing = id_of(&app.department("Marketing").await);
    Departments {
        sales,
        marketing,
        seller: app.add_member("seller@acme.test", sales).await,
        marketer: app.add_member("marketer@acme.test", marketing).await,
    }
}

async fn topic(app: &TestApp, user: &User, body: Value) -> Value {
    app.create(user, "/api/v1/topics", &body).await
}

#[tokio::test]
async fn a_frustration_without_its_mirror_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let departments = departments(&app).await;
    let missing = app
        .post(
            &departments.seller,
            "/api/v1/topics",
            &json!({ "kind": "frustration", "title": "Leads arrive without a budget", "about_department_id": departments.marketing }),
        )
        .await;
    let problem = expect_status(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["mirror"]);
    let blank = app
        .post(
            &departments.seller,
            "/api/v1/topics",
            &json!({ "kind": "frustration", "title": "Leads arrive without a budget", "mirror": "  " }),
        )
        .await;
    let problem = expect_status(blank, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["mirror"]);

    let with_mirror = topic(
        &app,
        &departments.seller,
        json!({ "kind": "frustration", "title": "Leads arrive without a budget",
                "mirror": "We never told marketing which budget band we can sell to",
                "about_department_id": departments.marketing }),
    )
    .await;
    assert_eq!(with_mirror["from_department_id"], departments.sales);
    assert_eq!(with_mirror["from_department_name"], "Sales");
    assert_eq!(with_mirror["about_department_name"], "Marketing");
    assert_eq!(with_mirror["status"], "open");
    assert_eq!(with_mirror["anonymous"], false);
    assert_eq!(with_mirror["author_person_id"], departments.seller.id.0);

    // Speaking for another department is refused; so are unknown kinds.
    let other = app
        .post(
            &departments.seller,
            "/api/v1/topics",
            &json!({ "kind": "rant", "title": "x", "from_department_id": departments.marketing }),
        )
        .await;
    let problem = expect_status(other, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["kind", "from_department_id"]);
}

#[tokio::test]
async fn an_anonymous_topic_stores_no_author_at_all() {
    let app = TestApp::spawn().await;
    let departments = departments(&app).await;
    let created = topic(
        &app,
        &departments.seller,
        json!({ "kind": "suggestion", "title": "Shared lead review on Mondays", "anonymous": true }),
    )
    .await;
    assert_eq!(created["anonymous"], true);
    assert_eq!(created["author_person_id"], Value::Null);

    let scoped = app.store.scoped(app.admin.organization);
    let row = scoped.topic(id_of(&created)).await.unwrap();
    assert_eq!(row.author_person_id, None, "the stored row names no author");
    let audit = scoped
        .audit_log(roundtable_store::PageRequest::first(50))
        .await
        .unwrap();
    let entry = audit
        .items
        .iter()
        .find(|entry| entry.subject_kind == "topic")
        .expect("the creation is audited");
    assert_eq!(entry.actor_person_id, None, "nor does the audit log");
}

#[tokio::test]
async fn votes_are_one_per_person_and_can_be_withdrawn() {
    let app = TestApp::spawn().await;
    let departments = departments(&app).await;
    let created = topic(
        &app,
        &departments.seller,
        json!({ "kind": "suggestion", "title": "Quarterly joint planning" }),
    )
    .await;
    let path = format!("/api/v1/topics/{}/votes", id_of(&created));
    let first = expect_status(
        app.post(&app.member, &path, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["votes"], 1);
    let again = expect_status(
        app.post(&app.member, &path, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        again["votes"], 1,
        "a second vote by the same person changes nothing"
    );
    assert_eq!(again["voted"], true);
    let other = expect_status(app.post(&app.lead, &path, &json!({})).await, StatusCode::OK).await;
    assert_eq!(other["votes"], 2);
    let withdrawn = expect_status(app.delete(&app.member, &path).await, StatusCode::OK).await;
    assert_eq!(withdrawn["votes"], 1);
    assert_eq!(withdrawn["voted"], false);
    expect_status(
        app.post(&app.member, "/api/v1/topics/999999/votes", &json!({}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn an_assumption_is_answered_once_by_the_department_it_is_about() {
    let app = TestApp::spawn().await;
    let departments = departments(&app).await;
    let assumption = topic(
        &app,
        &departments.seller,
        json!({ "kind": "assumption", "title": "Marketing scores leads by company size only",
                "about_department_id": departments.marketing }),
    )
    .await;
    let path = format!("/api/v1/topics/{}/answer", id_of(&assumption));
    let by_author = app
        .post(
            &departments.seller,
            &path,
            &json!({ "answer": "confirmed" }),
        )
        .await;
    expect_status(by_author, StatusCode::FORBIDDEN).await;
    let without_note = app
        .post(
            &departments.marketer,
            &path,
            &json!({ "answer": "corrected" }),
        )
        .await;
    let problem = expect_status(without_note, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["note"]);
    let answered = app
        .post(
            &departments.marketer,
            &path,
            &json!({ "answer": "corrected", "note": "We also score engagement and budget band" }),
        )
        .await;
    let answered = expect_status(answered, StatusCode::OK).await;
    assert_eq!(answered["answer"]["answer"], "corrected");
    assert_eq!(answered["answer"]["answered_by"], departments.marketer.id.0);
    let twice = app
        .post(
            &departments.marketer,
            &path,
            &json!({ "answer": "confirmed" }),
        )
        .await;
    expect_status(twice, StatusCode::CONFLICT).await;

    let suggestion = topic(
        &app,
        &departments.seller,
        json!({ "kind": "suggestion", "title": "x", "about_department_id": departments.marketing }),
    )
    .await;
    let not_an_assumption = app
        .post(
            &departments.marketer,
            &format!("/api/v1/topics/{}/answer", id_of(&suggestion)),
            &json!({ "answer": "confirmed" }),
        )
        .await;
    expect_status(not_an_assumption, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn topics_move_along_their_workflow_and_refuse_jumps() {
    let app = TestApp::spawn().await;
    let departments = departments(&app).await;
    let created = topic(
        &app,
        &departments.seller,
        json!({ "kind": "suggestion", "title": "Joint demo day" }),
    )
    .await;
    let path = format!("/api/v1/topics/{}", id_of(&created));
    let jump = app
        .patch(
            &app.lead,
            &path,
            version_of(&created),
            &json!({ "status": "resolved" }),
        )
        .await;
    let problem = expect_status(jump, StatusCode::CONFLICT).await;
    assert_eq!(problem_fields(&problem), ["status"]);
    let by_member = app
        .patch(
            &app.member,
            &path,
            version_of(&created),
            &json!({ "status": "discussed" }),
        )
        .await;
    expect_status(by_member, StatusCode::FORBIDDEN).await;
    let discussed = app
        .patch(
            &app.lead,
            &path,
            version_of(&created),
            &json!({ "status": "discussed" }),
        )
        .await;
    let discussed = expect_status(discussed, StatusCode::OK).await;
    assert_eq!(discussed["status"], "discussed");
    let comment = app
        .post(
            &app.member,
            &format!("{path}/comments"),
            &json!({ "body": "Count me in" }),
        )
        .await;
    expect_status(comment, StatusCode::CREATED).await;
    let comments = app.read(&app.member, &format!("{path}/comments")).await;
    assert_eq!(comments["items"][0]["body"], "Count me in");
}

#[tokio::test]
async fn a_session_takes_the_top_voted_open_topics_and_actions_show_overdue() {
    let app = TestApp::spawn().await;
    let departments = departments(&app).await;
    let mut ids = Vec::new();
    for (title, votes) in [
        ("Few votes", 1),
        ("Most votes", 3),
        ("No votes", 0),
        ("Some votes", 2),
    ] {
        let created = topic(
            &app,
            &departments.seller,
            json!({ "kind": "suggestion", "title": title }),
        )
        .await;
        let voters = [&app.admin, &app.lead, &app.member];
        for voter in voters.iter().take(votes) {
            app.post(
                voter,
                &format!("/api/v1/topics/{}/votes", id_of(&created)),
                &json!({}),
            )
            .await;
        }
        ids.push(id_of(&created));
    }
    let session = app
        .post(
            &app.lead,
            "/api/v1/sessions",
            &json!({ "scheduled_at": "2027-02-10T14:00:00Z", "agenda_size": 3 }),
        )
        .await;
    let session = expect_status(session, StatusCode::CREATED).await;
    assert_eq!(session["topic_ids"], json!([ids[1], ids[3], ids[0]]));
    assert_eq!(
        session["facilitator_person_id"], app.lead.id.0,
        "the only lead facilitates"
    );

    let overdue = app
        .post(
            &app.lead,
            "/api/v1/actions",
            &json!({ "title": "Draft the lead brief", "owner_person_id": app.member.id.0, "due_on": "2020-01-31",
                     "topic_id": ids[1], "session_id": id_of(&session) }),
        )
        .await;
    let overdue = expect_status(overdue, StatusCode::CREATED).await;
    assert_eq!(overdue["overdue"], true);
    let later = app
        .post(
            &app.lead,
            "/api/v1/actions",
            &json!({ "title": "Review the brief", "owner_person_id": app.member.id.0, "due_on": "2999-01-31" }),
        )
        .await;
    let later = expect_status(later, StatusCode::CREATED).await;
    assert_eq!(later["overdue"], false);
    let listed = app.read(&app.member, "/api/v1/actions?overdue=true").await;
    let listed_ids: Vec<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(listed_ids, [id_of(&overdue)]);
    let on_time = app.read(&app.member, "/api/v1/actions?overdue=false").await;
    let on_time_ids: Vec<i64> = on_time["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(on_time_ids, [id_of(&later)]);

    // The owner finishes it: done today, no longer overdue.
    let done = app
        .patch(
            &app.member,
            &format!("/api/v1/actions/{}", id_of(&overdue)),
            version_of(&overdue),
            &json!({ "status": "done" }),
        )
        .await;
    let done = expect_status(done, StatusCode::OK).await;
    assert_eq!(done["overdue"], false);
    assert!(done["done_on"].is_string());

    let bad = app
        .post(
            &app.lead,
            "/api/v1/actions",
            &json!({ "title": "x", "owner_person_id": 999999, "due_on": "2027-13-01" }),
        )
        .await;
    let problem = expect_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["due_on"]);
    let unknown_owner = app
        .post(
            &app.lead,
            "/api/v1/actions",
            &json!({ "title": "x", "owner_person_id": 999999, "due_on": "2027-12-01" }),
        )
        .await;
    let problem = expect_status(unknown_owner, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["owner_person_id"]);
}

/// The titles of the notifications in a person's inbox.
async fn inbox_titles(app: &TestApp, user: &User) -> Vec<String> {
    let inbox = app.read(user, "/api/v1/notifications").await;
    inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["title"].as_str().map(str::to_owned))
        .collect()
}

async fn objective(app: &TestApp) -> i64 {
    let objective = app
        .post(
            &app.admin,
            "/api/v1/objectives",
            &json!({ "period": "2027-Q1", "title": "More referrals", "category": "referrals" }),
        )
        .await;
    id_of(&expect_status(objective, StatusCode::CREATED).await)
}

/// Sales and marketing with a lead each, an executive and an objective.
struct EnhancementCast {
    departments: Departments,
    sales_lead: User,
    marketing_lead: User,
    executive: User,
    objective: i64,
}

async fn enhancement_cast(app: &TestApp) -> EnhancementCast {
    let departments = departments(app).await;
    EnhancementCast {
        sales_lead: app.lead_of("sales.lead@acme.test", departments.sales).await,
        marketing_lead: app
            .lead_of("marketing.lead@acme.test", departments.marketing)
            .await,
        executive: app.add_user("chief@acme.test", Role::Executive).await,
        objective: objective(app).await,
        departments,
    }
}

#[tokio::test]
async fn an_enhancement_goes_to_executives_once_every_proposing_department_confirmed() {
    let app = TestApp::spawn().await;
    let cast = enhancement_cast(&app).await;
    let alone = app
        .post(
            &cast.sales_lead,
            "/api/v1/enhancements",
            &json!({ "objective_id": cast.objective, "title": "Solo", "department_ids": [cast.departments.sales, cast.departments.sales] }),
        )
        .await;
    let problem = expect_status(alone, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["department_ids"]);

    let proposed = app
        .post(
            &cast.sales_lead,
            "/api/v1/enhancements",
            &json!({ "objective_id": cast.objective, "title": "One shared lead form",
                     "department_ids": [cast.departments.sales, cast.departments.marketing] }),
        )
        .await;
    let proposed = expect_status(proposed, StatusCode::CREATED).await;
    assert_eq!(proposed["status"], "proposed");
    // The proposer speaks for the department they lead; marketing has to say so itself.
    assert_eq!(
        proposed["awaiting_confirmation"],
        json!([cast.departments.marketing])
    );
    let sales_confirmation = proposed["confirmations"]
        .as_array()
        .expect("confirmations")
        .iter()
        .find(|confirmation| confirmation["department_id"] == cast.departments.sales)
        .expect("sales is named");
    assert_eq!(sales_confirmation["confirmed_by"], cast.sales_lead.id.0);
    assert!(
        inbox_titles(&app, &cast.marketing_lead)
            .await
            .iter()
            .any(|title| title.contains("One shared lead form")),
        "the co-proposing lead is asked to confirm"
    );
    assert!(
        inbox_titles(&app, &cast.executive).await.is_empty(),
        "executives hear of it only once it is mutual"
    );
    let path = format!("/api/v1/enhancements/{}", id_of(&proposed));

    // Not before marketing confirms, and not by anyone but marketing's lead.
    let early = app
        .post(&cast.executive, &format!("{path}/sponsor"), &json!({}))
        .await;
    let problem = expect_status(early, StatusCode::CONFLICT).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Marketing")
    );
    for outsider in [
        &app.lead,
        &app.admin,
        &cast.executive,
        &cast.departments.marketer,
    ] {
        let refused = app
            .post(outsider, &format!("{path}/confirm"), &json!({}))
            .await;
        expect_status(refused, StatusCode::FORBIDDEN).await;
    }
    let again = app
        .post(&cast.sales_lead, &format!("{path}/confirm"), &json!({}))
        .await;
    expect_status(again, StatusCode::CONFLICT).await;
    let confirmed = app
        .post(&cast.marketing_lead, &format!("{path}/confirm"), &json!({}))
        .await;
    let confirmed = expect_status(confirmed, StatusCode::OK).await;
    assert_eq!(confirmed["awaiting_confirmation"], json!([]));
    assert_eq!(confirmed["status"], "proposed");
    assert!(
        inbox_titles(&app, &cast.executive)
            .await
            .iter()
            .any(|title| title.contains("One shared lead form")),
        "the executives are told it waits for a sponsor"
    );
}

#[tokio::test]
async fn each_step_of_an_enhancement_belongs_to_executives_or_the_proposing_leads() {
    let app = TestApp::spawn().await;
    let EnhancementCast {
        departments,
        sales_lead,
        marketing_lead,
        executive,
        objective,
    } = enhancement_cast(&app).await;
    let create = |title: &'static str| {
        let app = &app;
        let sales_lead = &sales_lead;
        let marketing_lead = &marketing_lead;
        let departments = &departments;
        async move {
            let proposed = app
                .post(
                    sales_lead,
                    "/api/v1/enhancements",
                    &json!({ "objective_id": objective, "title": title,
                             "department_ids": [departments.sales, departments.marketing] }),
                )
                .await;
            let path = format!(
                "/api/v1/enhancements/{}",
                id_of(&expect_status(proposed, StatusCode::CREATED).await)
            );
            let confirmed = app
                .post(marketing_lead, &format!("{path}/confirm"), &json!({}))
                .await;
            (path, expect_status(confirmed, StatusCode::OK).await)
        }
    };
    let (path, proposed) = create("One shared lead form").await;

    for not_executive in [&app.lead, &app.admin, &app.member, &sales_lead] {
        let refused = app
            .post(not_executive, &format!("{path}/sponsor"), &json!({}))
            .await;
        expect_status(refused, StatusCode::FORBIDDEN).await;
    }
    let jump = app
        .patch(
            &sales_lead,
            &path,
            version_of(&proposed),
            &json!({ "status": "delivered" }),
        )
        .await;
    expect_status(jump, StatusCode::CONFLICT).await;
    let sponsored = app
        .post(&executive, &format!("{path}/sponsor"), &json!({}))
        .await;
    let sponsored = expect_status(sponsored, StatusCode::OK).await;
    assert_eq!(sponsored["status"], "sponsored");
    assert_eq!(sponsored["sponsor_person_id"], executive.id.0);
    let twice = app
        .post(&executive, &format!("{path}/sponsor"), &json!({}))
        .await;
    expect_status(twice, StatusCode::CONFLICT).await;

    // The work is the proposing departments': not another lead's, an
    // administrator's or the executive's.
    for outsider in [&app.lead, &app.admin, &executive] {
        let refused = app
            .patch(
                outsider,
                &path,
                version_of(&sponsored),
                &json!({ "status": "in_progress" }),
            )
            .await;
        expect_status(refused, StatusCode::FORBIDDEN).await;
    }
    // Declining is the executive's, even for the proposers.
    let refused = app
        .patch(
            &sales_lead,
            &path,
            version_of(&sponsored),
            &json!({ "status": "declined", "reason": "We changed our minds" }),
        )
        .await;
    expect_status(refused, StatusCode::FORBIDDEN).await;
    let started = app
        .patch(
            &marketing_lead,
            &path,
            version_of(&sponsored),
            &json!({ "status": "in_progress" }),
        )
        .await;
    let started = expect_status(started, StatusCode::OK).await;
    let delivered = app
        .patch(
            &sales_lead,
            &path,
            version_of(&started),
            &json!({ "status": "delivered" }),
        )
        .await;
    assert_eq!(
        expect_status(delivered, StatusCode::OK).await["status"],
        "delivered"
    );

    let (path, proposed) = create("A second lead form").await;
    let no_reason = app
        .patch(
            &executive,
            &path,
            version_of(&proposed),
            &json!({ "status": "declined" }),
        )
        .await;
    let problem = expect_status(no_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["reason"]);
    let declined = app
        .patch(
            &executive,
            &path,
            version_of(&proposed),
            &json!({ "status": "declined", "reason": "The CRM replacement covers it" }),
        )
        .await;
    let declined = expect_status(declined, StatusCode::OK).await;
    assert_eq!(declined["decline_reason"], "The CRM replacement covers it");
    let revived = app
        .patch(
            &sales_lead,
            &path,
            version_of(&declined),
            &json!({ "status": "in_progress" }),
        )
        .await;
    expect_status(revived, StatusCode::CONFLICT).await;
    let late = app
        .post(&marketing_lead, &format!("{path}/confirm"), &json!({}))
        .await;
    expect_status(late, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn another_organization_cannot_read_our_round_table() {
    let app = TestApp::spawn().await;
    let departments = departments(&app).await;
    let created = topic(
        &app,
        &departments.seller,
        json!({ "kind": "suggestion", "title": "Ours" }),
    )
    .await;
    let path = format!("/api/v1/topics/{}", id_of(&created));
    expect_status(app.get(&app.outsider, &path).await, StatusCode::NOT_FOUND).await;
    expect_status(
        app.get(&app.outsider, &format!("{path}/comments")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_status(
        app.post(&app.outsider, &format!("{path}/votes"), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed = app.read(&app.outsider, "/api/v1/topics").await;
    assert_eq!(listed["items"], json!([]));
    let foreign_department = app
        .post(
            &app.outsider,
            "/api/v1/topics",
            &json!({ "kind": "suggestion", "title": "Theirs", "from_department_id": departments.sales }),
        )
        .await;
    let problem = expect_status(foreign_department, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["from_department_id"]);
}
