//! The feedback pages over real HTTP: answering a satisfaction check through
//! its form (errors at the fields, values kept, `not_met` reopening), the
//! notifications on the home page, answering a pulse through its form, and
//! results that say "not enough responses" and nothing else below the
//! anonymity threshold.

use crate::checks::{desk, resolved_request};
use crate::pulses::{board, people_of, ratings};
use crate::support::{TestApp, id_of};
use crate::web::{Browser, is_html, location, text_with_status};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The part of a page from `start` up to the end of its enclosing section.
fn section_from<'a>(page: &'a str, start: &str) -> &'a str {
    let from = page.find(start).expect("the section's marker");
    let rest = &page[from..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn a_check_is_answered_on_its_page_and_not_met_reopens_the_request() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = desk.seller(&app).await;
    let request = resolved_request(&app, &desk, &seller).await;
    let checks = app.read(&seller, "/api/v1/checks").await;
    let check = id_of(&checks["items"][0]);
    let check_path = format!("/checks/{check}");
    let answer_path = format!("{check_path}/answer");

    let mut browser = Browser::default();
    browser.sign_in(&app, &seller.email).await;
    let home = browser.page(&app, "/").await;
    assert!(
        home.contains("Checks waiting for your answer (1)"),
        "{home}"
    );
    assert!(home.contains(&format!("href=\"{check_path}\"")));
    let list = browser.page(&app, "/checks").await;
    assert!(list.contains("Waiting for your answer (1)") && list.contains("Leads for the fair"));
    let page = browser.page(&app, &check_path).await;
    assert!(page.contains("Did this meet your expectation?"));
    assert!(page.contains(&format!("href=\"/requests/{}\"", id_of(&request))));
    assert!(page.contains("Marketing") && page.contains("Qualified leads"));

    // Only its respondent sees it.
    let mut provider = Browser::default();
    provider.sign_in(&app, &desk.marketer.email).await;
    let foreign = provider.get(&app, &check_path).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert!(is_html(&foreign));

    // Without the form token nothing happens.
    let forged = browser.post(&app, &answer_path, &[("answer", "met")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // No answer and a rating off the scale: both named at their fields, the comment kept.
    let rejected = browser
        .submit(
            &app,
            &answer_path,
            &[("rating", "9"), ("comment", "Half had <no> budget")],
        )
        .await;
    let page = text_with_status(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"answer-error\""), "{page}");
    assert!(page.contains("id=\"rating-error\""));
    assert!(
        page.contains("Half had &#60;no&#62; budget"),
        "comment kept"
    );
    let not_a_number = browser
        .submit(
            &app,
            &answer_path,
            &[("answer", "partly"), ("rating", "three")],
        )
        .await;
    let page = text_with_status(not_a_number, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"rating-error\""));
    assert!(page.contains("value=\"partly\" checked"), "the answer kept");
    let still = app.read(&seller, &format!("/api/v1/checks/{check}")).await;
    assert_eq!(still["status"], "pending", "nothing was recorded");

    let answered = browser
        .submit(
            &app,
            &answer_path,
            &[
                ("answer", "not_met"),
                ("rating", "2"),
                ("comment", "Half the leads had no budget"),
            ],
        )
        .await;
    let page = text_with_status(answered, StatusCode::OK).await;
    assert!(
        page.contains("your answer \"Not met\" was recorded"),
        "{page}"
    );
    assert!(page.contains("the request was reopened"));
    assert!(page.contains(&format!("Follow the reopened request #{}", id_of(&request))));
    let reopened = app
        .read(&seller, &format!("/api/v1/requests/{}", id_of(&request)))
        .await;
    assert_eq!(reopened["status"], "in_progress");
    let stored = app.read(&seller, &format!("/api/v1/checks/{check}")).await;
    assert_eq!(stored["answer"], "not_met");
    assert_eq!(stored["rating"], 2);

    // Answered: the page says so and offers no form; a second answer is refused on the page.
    let page = browser.page(&app, &check_path).await;
    assert!(page.contains("You answered this check") && page.contains("Not met"));
    assert!(!page.contains(&format!("action=\"{answer_path}\"")));
    let again = browser
        .submit(&app, &answer_path, &[("answer", "met")])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("already been answered")
    );
    let home = browser.page(&app, "/").await;
    assert!(!home.contains("Checks waiting for your answer"));
}

#[tokio::test]
async fn notifications_show_on_the_home_page_and_are_marked_read_there() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 1.0).await;
    let seller = desk.seller(&app).await;
    resolved_request(&app, &desk, &seller).await;
    let inbox = app.read(&seller, "/api/v1/notifications").await;
    let unread = inbox["unread"].as_i64().unwrap();
    assert!(unread >= 1, "{inbox}");
    let first = id_of(&inbox["items"][0]);
    let title = inbox["items"][0]["title"].as_str().unwrap().to_owned();

    let mut browser = Browser::default();
    browser.sign_in(&app, &seller.email).await;
    let home = browser.page(&app, "/").await;
    assert!(
        home.contains(&format!("Notifications ({unread} unread)")),
        "{home}"
    );
    assert!(home.contains("Unread") && home.contains(&title));
    assert!(home.contains(&format!("action=\"/notifications/{first}/read\"")));

    let marked = browser
        .submit(
            &app,
            &format!("/notifications/{first}/read"),
            &[("next", "/")],
        )
        .await;
    assert_eq!(marked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&marked), "/");
    let inbox = app.read(&seller, "/api/v1/notifications").await;
    assert!(inbox["items"][0]["read_at"].is_string());
    assert_eq!(inbox["unread"].as_i64().unwrap(), unread - 1);

    // Someone else's notification cannot be touched; nor does `next` lead off the site.
    let mut lead = Browser::default();
    lead.sign_in(&app, "lead@acme.test").await;
    let foreign = lead
        .submit(
            &app,
            &format!("/notifications/{first}/read"),
            &[("next", "/")],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let all = browser
        .submit(
            &app,
            "/notifications/read-all",
            &[("next", "//evil.example")],
        )
        .await;
    assert_eq!(all.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&all), "/");
    let page = browser.page(&app, "/notifications").await;
    assert!(page.contains("You have 0 unread") && page.contains("Read"));
    assert!(!page.contains("action=\"/notifications/read-all\""));
}

/// Closes a round through the page, as the administrator.
async fn close_on_page(app: &TestApp, round: i64) {
    let mut admin = Browser::default();
    admin.sign_in(app, "admin@acme.test").await;
    let page = admin.page(app, &format!("/pulses/{round}")).await;
    assert!(page.contains("Close the round now"));
    let closed = admin
        .submit(app, &format!("/pulses/{round}/close"), &[])
        .await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_pulse_is_answered_on_its_page_and_the_points_must_add_up_to_100() {
    let app = TestApp::spawn().await;
    let board = board(&app).await;
    let sellers = people_of(&app, "seller", 1, board.sales).await;
    let marketers = people_of(&app, "marketer", 1, board.marketing).await;
    let (seller, marketer) = (&sellers[0], &marketers[0]);

    // An administrator opens the round on the pulses page.
    let mut admin = Browser::default();
    admin.sign_in(&app, "admin@acme.test").await;
    let nameless = admin
        .submit(
            &app,
            "/pulses",
            &[("name", ""), ("closes_at", "2099-01-01T12:00")],
        )
        .await;
    let page = text_with_status(nameless, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"name-error\"") && page.contains("value=\"2099-01-01T12:00\""));
    let opened = admin
        .submit(
            &app,
            "/pulses",
            &[("name", "2027 Q1 pulse"), ("closes_at", "2099-01-01T12:00")],
        )
        .await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let round_path = location(&opened);
    let round: i64 = round_path.trim_start_matches("/pulses/").parse().unwrap();
    let form_path = format!("/pulses/{round}/cells/{}/{}", board.marketing, board.sales);

    let mut browser = Browser::default();
    browser.sign_in(&app, &seller.email).await;
    let list = browser.page(&app, "/pulses").await;
    assert!(list.contains("2027 Q1 pulse") && list.contains("You have 1 of 1 to answer"));
    let page = browser.page(&app, &round_path).await;
    assert!(page.contains(&format!("href=\"{form_path}\"")), "{page}");
    assert!(
        !page.contains("id=\"results-heading\""),
        "nothing before the round closes"
    );
    let form = browser.page(&app, &form_path).await;
    for dimension in [
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
        "tangibles",
    ] {
        assert!(form.contains(&format!("name=\"expectation.{dimension}\"")));
        assert!(form.contains(&format!("name=\"perception.{dimension}\"")));
        assert!(form.contains(&format!("name=\"importance.{dimension}\"")));
    }
    assert!(
        form.contains("Delivers what was promised"),
        "dimensions explained"
    );

    let mut answer = vec![("comment", "Leads lack context")];
    let keys = [
        ("expectation.reliability", "6"),
        ("expectation.responsiveness", "6"),
        ("expectation.assurance", "5"),
        ("expectation.empathy", "6"),
        ("expectation.tangibles", "5"),
        ("perception.reliability", "3"),
        ("perception.responsiveness", "4"),
        ("perception.assurance", "5"),
        ("perception.empathy", "3"),
        ("perception.tangibles", "4"),
        ("importance.reliability", "30"),
        ("importance.responsiveness", "20"),
        ("importance.assurance", "20"),
        ("importance.empathy", "10"),
    ];
    answer.extend(keys);
    // Tangibles left at 0: the points add up to 80.
    let short = browser.submit(&app, &form_path, &answer).await;
    let page = text_with_status(short, StatusCode::UNPROCESSABLE_ENTITY).await;
    let error = section_from(&page, "id=\"importance-error\"");
    assert!(
        error.contains("add up to 100 (they add up to 80)"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"3\" selected>"),
        "ratings kept"
    );
    assert!(page.contains("value=\"30\""), "points kept");
    assert!(page.contains("Leads lack context"), "comment kept");
    let blank = browser
        .submit(
            &app,
            &form_path,
            &answer
                .iter()
                .filter(|(name, _)| *name != "perception.empathy")
                .copied()
                .chain([("importance.tangibles", "20")])
                .collect::<Vec<_>>(),
        )
        .await;
    let page = text_with_status(blank, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"perception-empathy-error\""), "{page}");
    assert!(!page.contains("id=\"importance-error\""));

    answer.push(("importance.tangibles", "20"));
    let recorded = browser.submit(&app, &form_path, &answer).await;
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    let confirmation = browser.page(&app, &location(&recorded)).await;
    assert!(confirmation.contains("your answer about Marketing serving Sales was recorded"));
    assert!(confirmation.contains("Answered"));
    let twice = browser.submit(&app, &form_path, &answer).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert!(twice.text().await.unwrap().contains("already answered"));

    // The provider side rates itself: perception only.
    let mut mirror = Browser::default();
    mirror.sign_in(&app, &marketer.email).await;
    let mirror_form = mirror.page(&app, &form_path).await;
    assert!(mirror_form.contains("name=\"perception.reliability\""));
    assert!(!mirror_form.contains("name=\"expectation.reliability\""));
    assert!(!mirror_form.contains("name=\"importance.reliability\""));
    let self_rating = [
        ("perception.reliability", "6"),
        ("perception.responsiveness", "6"),
        ("perception.assurance", "7"),
        ("perception.empathy", "6"),
        ("perception.tangibles", "6"),
    ];
    let rated = mirror.submit(&app, &form_path, &self_rating).await;
    assert_eq!(rated.status(), StatusCode::SEE_OTHER);

    // Someone outside the cell has no form.
    let mut stranger = Browser::default();
    stranger.sign_in(&app, "member@acme.test").await;
    assert_eq!(
        stranger.get(&app, &form_path).await.status(),
        StatusCode::NOT_FOUND
    );

    close_on_page(&app, round).await;
    let page = browser.page(&app, &round_path).await;
    assert!(page.contains("Closed: results available") && page.contains("Results"));
    let sales = section_from(
        &page,
        &format!("id=\"cell-{}-{}\"", board.marketing, board.sales),
    );
    assert!(
        sales.contains("not enough responses"),
        "one answer is below k"
    );
    assert!(!sales.contains("Leads lack context"));
}

#[tokio::test]
async fn results_show_gaps_and_the_mirror_and_say_not_enough_responses_below_the_threshold() {
    let app = TestApp::spawn().await;
    let board = board(&app).await;
    let sellers = people_of(&app, "seller", 5, board.sales).await;
    let accountants = people_of(&app, "accountant", 4, board.finance).await;
    let marketers = people_of(&app, "marketer", 5, board.marketing).await;
    let round = app
        .create(
            &app.admin,
            "/api/v1/pulses",
            &json!({ "name": "2027-Q1 pulse", "closes_at": "2099-01-01T00:00:00Z" }),
        )
        .await;
    let id = id_of(&round);
    let path = format!("/api/v1/pulses/{id}/responses");
    let answer = |consumer: i64, body: Value| {
        let mut body = body;
        body["provider_department_id"] = json!(board.marketing);
        body["consumer_department_id"] = json!(consumer);
        body
    };
    for (index, seller) in sellers.iter().enumerate() {
        let body = answer(
            board.sales,
            json!({
                "expectation": ratings([6; 5]),
                "perception": ratings([1 + index as i64, 5, 5, 3, 4]),
                "importance": ratings([40, 20, 20, 10, 10]),
                "comment": format!("sales comment {index}"),
            }),
        );
        app.create(seller, &path, &body).await;
    }
    for accountant in &accountants {
        let body = answer(
            board.finance,
            json!({ "expectation": ratings([7; 5]), "perception": ratings([2; 5]), "importance": ratings([20; 5]), "comment": "secret" }),
        );
        app.create(accountant, &path, &body).await;
    }
    for marketer in &marketers {
        for consumer in [board.sales, board.finance] {
            let body = answer(consumer, json!({ "perception": ratings([6; 5]) }));
            app.create(marketer, &path, &body).await;
        }
    }
    crate::pulses::close_round(&app, id).await;

    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;
    let list = browser.page(&app, "/pulses").await;
    assert!(list.contains("2027-Q1 pulse") && list.contains("Closed: results available"));
    let page = browser.page(&app, &format!("/pulses/{id}")).await;
    assert!(page.contains("fewer than 5 people is never shown"));

    let sales = section_from(
        &page,
        &format!("id=\"cell-{}-{}\"", board.marketing, board.sales),
    );
    assert!(
        sales.contains("From 5 consumer responses and 5 self-ratings"),
        "{sales}"
    );
    assert!(
        sales.contains("role=\"img\"") && sales.contains("<title"),
        "a chart with a text alternative"
    );
    // Reliability: perception (1+…+5)/5 = 3, expectation 6, gap −3, mirror 6 − 3 = +3.
    assert!(
        sales.contains("<th scope=\"row\">Reliability</th>\n        <td>3.0</td><td>6.0</td><td>−3.0</td><td>40</td>"),
        "{sales}"
    );
    assert!(
        sales.contains("<td>6.0</td>\n        <td>+3.0</td>"),
        "the mirror gap"
    );
    assert!(sales.contains("importance-weighted gap −2.10"));
    assert!(sales.contains("sales comment 0") && sales.contains("sales comment 4"));

    // Finance: four people, one short of k. The cell says so and shows nothing else.
    let finance = section_from(
        &page,
        &format!("id=\"cell-{}-{}\"", board.marketing, board.finance),
    );
    assert!(finance.contains("not enough responses"), "{finance}");
    for leaked in ["secret", "<table", "<svg", "2.0", "7.0", "responses and"] {
        assert!(
            !finance.contains(leaked),
            "{leaked} shown for a withheld cell"
        );
    }
    assert!(!page.contains("secret"));
    let filtered = browser
        .page(&app, &format!("/pulses/{id}?consumer={}", board.finance))
        .await;
    let only_finance = section_from(
        &filtered,
        &format!("id=\"cell-{}-{}\"", board.marketing, board.finance),
    );
    assert!(only_finance.contains("not enough responses") && !filtered.contains("secret"));
    assert!(!filtered.contains(&format!("id=\"cell-{}-{}\"", board.marketing, board.sales)));
}
