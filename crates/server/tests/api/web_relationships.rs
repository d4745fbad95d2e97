//! The relationship pages over real HTTP: a matrix cell with its health
//! explained, trend, frustrations, kudos and input quality; the department
//! scorecard; the kudos feed and form; and the administrators' calendar and
//! people-import pages, with errors at their fields and nothing half-applied.

use crate::checks::{desk, resolved_request};
use crate::support::{TestApp, id_of};
use crate::web::{Browser, form_with, location, text_with_status};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::json;

/// The text of a page's table with this id (from `<table id=…>` to `</table>`).
fn table<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("a table #{id}"));
    let end = html[start..].find("</table>").expect("end of the table") + start;
    &html[start..end]
}

/// Sends the calendar form: "Head office" in `time_zone`, open on Mondays
/// 09:00-12:30 and 13:30-17:30, with the `more` fields.
async fn send_calendar(
    browser: &mut Browser,
    app: &TestApp,
    time_zone: &str,
    more: &[(&str, &str)],
) -> Response {
    let head_office = [
        ("name", "Head office"),
        ("time_zone", time_zone),
        ("monday", "09:00-12:30, 13:30-17:30"),
    ];
    browser
        .submit(app, "/admin/calendars", &form_with(&head_office, more))
        .await
}

#[tokio::test]
async fn a_cell_page_explains_its_health_and_shows_trend_frustrations_kudos_and_input_quality() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 0.0).await;
    let (marketing, sales) = (id_of(&desk.marketing), id_of(&desk.sales));
    let seller = desk.seller(&app).await;
    for _ in 0..5 {
        resolved_request(&app, &desk, &seller).await;
    }
    app.create(&seller, "/api/v1/topics", &json!({
            "kind": "frustration", "title": "Leads arrive without a budget",
            "mirror": "We could say which accounts matter this quarter", "about_department_id": marketing
        }))
    .await;
    // About another department: not this cell's.
    app.create(&seller, "/api/v1/topics", &json!({
            "kind": "frustration", "title": "The canteen closes early", "mirror": "We could eat earlier"
        }))
    .await;
    app.create(&desk.marketer, "/api/v1/kudos", &json!({
            "receiver_department_id": sales, "message": "Thanks for the fast feedback on the fair leads"
        }))
    .await;
    let api = app.matrix_cell(marketing, sales).await;
    assert_eq!(api["kudos"], 1);

    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;
    let page = browser
        .page(&app, &format!("/matrix/{marketing}/{sales}"))
        .await;
    // Reliability and responsiveness from 5 requests each, no checks, no pulse.
    let components = table(&page, "health-components");
    assert!(components.contains("Reliability"), "{components}");
    assert!(
        components.contains("from 5 resolved requests"),
        "{components}"
    );
    assert!(
        components.contains("from 5 judged first responses"),
        "{components}"
    );
    assert!(
        components.contains("No answered checks in the window yet"),
        "{components}"
    );
    // Weights: nominal 30 % and 20 %, renormalised over the two counted ones to 60 % and 40 %.
    assert!(
        components.contains("60 %") && components.contains("40 %"),
        "{components}"
    );
    assert!(components.contains("not counted"), "{components}");
    assert!(page.contains("Health 100: Healthy"), "the score in words");
    // The trend: a chart and its 12 weeks as a table, the last one the current score.
    assert!(page.contains("<svg class=\"chart\" role=\"img\" aria-labelledby=\"trend-title\""));
    let trend = table(&page, "trend-table");
    assert_eq!(trend.matches("<tr><td>").count(), 12, "{trend}");
    let latest = trend.rsplit("<tr>").next().unwrap();
    assert!(latest.contains("<td>100</td><td>Healthy</td>"), "{trend}");
    // Frustrations of Sales about Marketing only, with the mirror.
    assert!(page.contains("Leads arrive without a budget"));
    assert!(page.contains("We could say which accounts matter this quarter"));
    assert!(!page.contains("The canteen closes early"));
    // Kudos of the cell, and the reciprocal side.
    assert!(page.contains("Thanks for the fast feedback on the fair leads"));
    assert!(page.contains("1 kudos in 90 days"));
    assert!(
        page.contains("50 out of 100 over 5 rated requests"),
        "input quality"
    );

    // The reverse cell has none of it.
    let reverse = browser
        .page(&app, &format!("/matrix/{sales}/{marketing}"))
        .await;
    assert!(reverse.contains("Insufficient data"));
    assert!(!reverse.contains("Leads arrive without a budget"));
    assert!(!reverse.contains("Thanks for the fast feedback"));

    // The department page carries the scorecard, linking back to the cell.
    let department = browser
        .page(&app, &format!("/departments/{marketing}"))
        .await;
    let as_provider = table(&department, "provider-health-table");
    assert!(as_provider.contains(&format!("href=\"/matrix/{marketing}/{sales}\"")));
    assert!(as_provider.contains("100 Healthy"), "{as_provider}");
    assert!(
        department.contains("100 (healthy)"),
        "the number written at the bar"
    );
    assert!(department.contains("Kudos given: 1"));
    let sales_page = browser.page(&app, &format!("/departments/{sales}")).await;
    assert!(sales_page.contains("Kudos received: 1"));
    assert!(table(&sales_page, "consumer-health-table").contains("100 Healthy"));
}

#[tokio::test]
async fn kudos_are_given_through_the_form_with_errors_at_the_fields_and_counted_in_the_cell() {
    let app = TestApp::spawn().await;
    let desk = desk(&app, 0.0).await;
    let (marketing, sales) = (id_of(&desk.marketing), id_of(&desk.sales));
    let seller = desk.seller(&app).await;
    let mut browser = Browser::default();
    browser.sign_in(&app, "marketer@acme.test").await;
    let form = browser.page(&app, "/kudos").await;
    assert!(form.contains("name=\"receiver_person_id\""));
    assert!(form.contains("No kudos yet"));

    // No message, and a link number that is not a number: both named at once, values kept.
    let sales_id = sales.to_string();
    let seller_id = seller.id.0.to_string();
    let refused = browser
        .submit(
            &app,
            "/kudos",
            &[
                ("receiver_person_id", &seller_id),
                ("receiver_department_id", &sales_id),
                ("message", "  "),
                ("value_tag", "customer_first"),
                ("link_kind", "request"),
                ("link_id", "twelve"),
            ],
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"link_id-error\""), "link number error");
    assert!(page.contains("id=\"message-error\""), "message error");
    assert!(page.contains("value=\"customer_first\""), "value tag kept");
    assert!(page.contains("value=\"twelve\""), "link number kept");
    assert!(page.contains(&format!("<option value=\"{sales_id}\" selected>")));
    assert!(page.contains(&format!("<option value=\"{seller_id}\" selected>")));
    // Nobody to thank: the person field says so.
    let refused = browser
        .submit(
            &app,
            "/kudos",
            &[
                ("receiver_person_id", ""),
                ("receiver_department_id", ""),
                ("message", "Thanks"),
            ],
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"receiver_person_id-error\""));
    assert!(page.contains(">Thanks</textarea>"), "message kept");
    assert_eq!(app.matrix_cell(marketing, sales).await["kudos"], 0);

    // A forged form changes nothing.
    let forged = browser
        .post(
            &app,
            "/kudos",
            &[("receiver_department_id", &sales_id), ("message", "Forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let given = browser
        .submit(
            &app,
            "/kudos",
            &[
                ("receiver_person_id", &seller_id),
                ("receiver_department_id", ""),
                ("message", "You turned the fair feedback round in a day"),
                ("value_tag", "customer_first"),
                ("link_kind", ""),
                ("link_id", ""),
            ],
        )
        .await;
    assert_eq!(given.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&given), "/kudos?given=1");
    let feed = browser.page(&app, "/kudos?given=1").await;
    let entry = &feed[feed.find("class=\"kudos-entry").unwrap()..];
    let entry = &entry[..entry.find("</article>").unwrap()];
    assert!(
        entry.contains("You turned the fair feedback round in a day"),
        "{entry}"
    );
    assert!(entry.contains("Value: customer_first"), "{entry}");
    assert!(feed.contains("Your kudos were given"));

    // Thanks to a Sales person from a marketer count in the cell Marketing → Sales.
    assert_eq!(app.matrix_cell(marketing, sales).await["kudos"], 1);
    let cell = browser
        .page(&app, &format!("/matrix/{marketing}/{sales}"))
        .await;
    assert!(cell.contains("1 kudos in 90 days"));
    assert!(cell.contains("You turned the fair feedback round in a day"));
}

#[tokio::test]
async fn administrators_create_and_change_calendars_with_errors_at_the_field() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    browser.sign_in(&app, "admin@acme.test").await;
    let list = browser.page(&app, "/admin/calendars").await;
    assert!(list.contains("0 calendars"));

    let refused = send_calendar(
        &mut browser,
        &app,
        "Mars/Olympus_Mons",
        &[
            ("tuesday", "9 to 5"),
            ("friday", "09:00-08:00"),
            (
                "holidays",
                "2026-12-25 Christmas Day\n\n2026-13-40 Nonsense",
            ),
        ],
    )
    .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("id=\"tuesday-error\""),
        "the day not written as intervals"
    );
    assert!(
        page.contains("value=\"Mars/Olympus_Mons\""),
        "the zone kept"
    );
    assert!(page.contains("value=\"9 to 5\""));
    assert!(page.contains("2026-13-40 Nonsense"), "the holidays kept");
    // Once every day reads as intervals, the API's rules speak: an interval
    // ending before it starts, at its day…
    let refused = send_calendar(
        &mut browser,
        &app,
        "Europe/Berlin",
        &[("friday", "09:00-08:00")],
    )
    .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("id=\"friday-error\""),
        "interval error at its day"
    );
    assert!(
        page.contains("interval 1: must be later than start")
            || page.contains("interval 1 end: must be later than start"),
        "{page}"
    );
    // …then an unknown zone and a holiday that is no date, naming its line.
    let refused = send_calendar(
        &mut browser,
        &app,
        "Mars/Olympus_Mons",
        &[(
            "holidays",
            "2026-12-25 Christmas Day\n\n2026-13-40 Nonsense",
        )],
    )
    .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("id=\"time_zone-error\""),
        "zone error at the field"
    );
    assert!(page.contains("IANA time zone"));
    assert!(
        page.contains("value=\"Mars/Olympus_Mons\""),
        "the zone kept"
    );
    assert!(
        page.contains("line 3: must be a date"),
        "holiday error names its line"
    );
    let calendars = app.read(&app.admin, "/api/v1/calendars").await;
    assert_eq!(calendars["items"].as_array().map(Vec::len), Some(0));

    let created = send_calendar(
        &mut browser,
        &app,
        "Europe/Berlin",
        &[
            ("friday", "09:00-15:00"),
            ("holidays", "2026-12-25 Christmas Day"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let calendars = app.read(&app.admin, "/api/v1/calendars").await;
    let calendar = &calendars["items"][0];
    assert_eq!(calendar["time_zone"], "Europe/Berlin");
    assert_eq!(calendar["working_hours"]["monday"][1]["start"], "13:30");
    assert_eq!(calendar["holidays"][0]["name"], "Christmas Day");
    assert_eq!(calendar["minutes_per_week"], 210 + 240 + 360);

    // Changing it: the form shows the stored values and saves at its version.
    let id = id_of(calendar);
    let edit = browser.page(&app, &format!("/admin/calendars/{id}")).await;
    assert!(edit.contains("value=\"09:00-12:30, 13:30-17:30\""));
    assert!(edit.contains("2026-12-25 Christmas Day"));
    let changed = browser
        .submit(
            &app,
            &format!("/admin/calendars/{id}"),
            &[
                ("version", &calendar["version"].to_string()),
                ("name", "Head office"),
                ("time_zone", "America/New_York"),
                ("monday", "08:00-16:00"),
                ("holidays", ""),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let stored = app
        .read(&app.admin, &format!("/api/v1/calendars/{id}"))
        .await;
    assert_eq!(stored["time_zone"], "America/New_York");
    assert_eq!(stored["holidays"].as_array().map(Vec::len), Some(0));
    // A stale version is a conflict shown on the page, the values kept.
    let stale = browser
        .submit(
            &app,
            &format!("/admin/calendars/{id}"),
            &[
                ("version", &calendar["version"].to_string()),
                ("name", "Head office"),
                ("time_zone", "Asia/Tokyo"),
                ("monday", "08:00-16:00"),
            ],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(stale.text().await.unwrap().contains("value=\"Asia/Tokyo\""));

    // Members may not.
    let mut member = Browser::default();
    member.sign_in(&app, "member@acme.test").await;
    assert_eq!(
        member.get(&app, "/admin/calendars").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn person_exists(app: &TestApp, email: &str) -> bool {
    let people = app.read(&app.admin, "/api/v1/people?limit=200").await;
    people["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|person| person["email"] == email)
}

#[tokio::test]
async fn an_import_with_a_bad_row_applies_nothing_unless_partial() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    let token = browser.sign_in(&app, "admin@acme.test").await;
    assert!(
        browser
            .page(&app, "/admin/import")
            .await
            .contains("enctype=\"multipart/form-data\"")
    );
    let csv = "email,name,department,role\nada@acme.test,Ada Lovelace,Finance,lead\nnot-an-email,Bad Row,Finance,member\nmember@acme.test,Member Renamed,,\n";

    // Pasted into a text box, as a browser sends it: CRLF line endings.
    let pasted = csv.replace('\n', "\r\n");
    let refused = browser
        .submit(&app, "/admin/import", &[("csv", &pasted)])
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("Nothing was imported: 1 of 3 rows are bad"),
        "{page}"
    );
    let errors = table(&page, "import-errors");
    assert!(
        errors.contains("line 3") && errors.contains("email"),
        "{errors}"
    );
    assert!(
        page.contains("not-an-email,Bad Row"),
        "the rows kept to fix"
    );
    assert!(
        !person_exists(&app, "ada@acme.test").await,
        "nothing applied"
    );

    // Partial, as a file upload: the good rows, totals, the bad line still listed.
    let boundary = "roundtableTestBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\n\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"partial\"\r\n\r\ntrue\r\n--{boundary}--\r\n"
    );
    let applied = app
        .client
        .post(app.url("/admin/import"))
        .header(COOKIE, browser.cookie_header())
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let page = text_with_status(applied, StatusCode::OK).await;
    let totals = &page[page.find("id=\"import-totals\"").unwrap()..];
    assert!(
        totals.contains("<dt>People created</dt><dd>1</dd>"),
        "{totals}"
    );
    assert!(totals.contains("<dt>People updated</dt><dd>1</dd>"));
    assert!(totals.contains("<dt>Departments created</dt><dd>1</dd>"));
    assert!(totals.contains("<dt>Rows rejected</dt><dd>1</dd>"));
    assert!(table(&page, "import-errors").contains("line 3"));
    assert!(person_exists(&app, "ada@acme.test").await);
    assert!(!person_exists(&app, "not-an-email").await);

    // A file without the required columns is an error at the file field.
    let refused = browser
        .submit(&app, "/admin/import", &[("csv", "name\nNobody\n")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("id=\"csv-error\""));
    // Members may not import.
    let mut member = Browser::default();
    member.sign_in(&app, "member@acme.test").await;
    let forbidden = member.submit(&app, "/admin/import", &[("csv", csv)]).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
}
