//! The web application over real HTTP: signing in through the form, CSRF
//! tokens on every form, errors next to fields with values kept, and the
//! embedded assets. (The browser tests in `browser-tests/` drive the same
//! pages in Chromium.)

use crate::support::{PASSWORD, TestApp, User, expect_status, header_text, id_of};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// A browser's view: the cookies it holds (other page tests drive pages with it too).
#[derive(Debug, Default)]
pub(crate) struct Browser {
    cookies: Vec<(String, String)>,
    /// The session's CSRF token, once signed in.
    csrf: Option<String>,
}

impl Browser {
    pub fn keep_cookies(&mut self, response: &Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let Some((pair, _)) = header
                .to_str()
                .ok()
                .map(|text| text.split_once(';').unwrap_or((text, "")))
            else {
                continue;
            };
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(held, _)| held != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn get(&mut self, app: &TestApp, path: &str) -> Response {
        let response = app
            .client
            .get(app.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep_cookies(&response);
        response
    }

    pub(crate) async fn post(
        &mut self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> Response {
        let response = app
            .client
            .post(app.url(path))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.keep_cookies(&response);
        response
    }

    pub(crate) async fn page(&mut self, app: &TestApp, path: &str) -> String {
        let response = self.get(app, path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("body")
    }

    /// Signs in through the form and returns the session's CSRF token.
    pub(crate) async fn sign_in(&mut self, app: &TestApp, email: &str) -> String {
        let login = self.page(app, "/login").await;
        let token = hidden_token(&login);
        let response = self
            .send_sign_in(app, &token, email, PASSWORD, Some("/"))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let token = hidden_token(&self.page(app, "/").await);
        self.csrf = Some(token.clone());
        token
    }

    /// Sends the sign-in form with `token` as its CSRF token, and `next`
    /// where given.
    pub(crate) async fn send_sign_in(
        &mut self,
        app: &TestApp,
        token: &str,
        email: &str,
        password: &str,
        next: Option<&str>,
    ) -> Response {
        let mut form = vec![
            ("csrf_token", token),
            ("email", email),
            ("password", password),
        ];
        form.extend(next.map(|next| ("next", next)));
        self.post(app, "/login", &form).await
    }

    /// Sends a page's form as the signed-in person: with the session's CSRF
    /// token, as every form of the product carries it.
    pub(crate) async fn submit(
        &mut self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let token = match &self.csrf {
            Some(token) => token.clone(),
            None => {
                let token = hidden_token(&self.page(app, "/").await);
                self.csrf = Some(token.clone());
                token
            }
        };
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.post(app, path, &form).await
    }
}

/// The CSRF token in a page's first form.
pub(crate) fn hidden_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a csrf_token field") + marker.len();
    let end = html[start..].find('"').expect("end of the token") + start;
    html[start..end].to_owned()
}

/// A form's fields: those a form is sent with each time, then `more`.
pub(crate) fn form_with<'a>(
    fields: &[(&'a str, &'a str)],
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    [fields, more].concat()
}

/// Asserts a response's status and returns its body as text (a page, a file).
pub(crate) async fn text_with_status(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    response.text().await.expect("body")
}

pub(crate) fn location(response: &Response) -> String {
    header_text(response, LOCATION)
}

pub(crate) fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

/// marketer@acme.test, a member of `marketing`, and the page of a request
/// titled `title` that the member asked of Marketing.
async fn asked_of_marketing(app: &TestApp, marketing: &Value, title: &str) -> (User, String) {
    let marketer = app.add_member("marketer@acme.test", id_of(marketing)).await;
    let body = json!({ "provider_department_id": id_of(marketing), "title": title });
    let request = app.create(&app.member, "/api/v1/requests", &body).await;
    (marketer, format!("/requests/{}", id_of(&request)))
}

#[tokio::test]
async fn pages_send_anonymous_visitors_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    let home = browser.get(&app, "/").await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&home), "/login");
    let request = browser.get(&app, "/requests/7").await;
    assert_eq!(location(&request), "/login?next=%2Frequests%2F7");

    let login = browser.page(&app, "/login?next=%2Frequests%2F7").await;
    assert!(login.contains("name=\"next\" value=\"/requests/7\""));
    // Never onwards to another site.
    let elsewhere = browser.page(&app, "/login?next=%2F%2Fevil.example").await;
    assert!(elsewhere.contains("name=\"next\" value=\"/\""));
}

/// Values of `next` as they appear in the address, each of which a browser
/// would follow to another host if it were used as given.
const HOSTILE_NEXT: &[&str] = &[
    "%2F%2Fevil.example",
    "//evil.example",
    "%2F%5Cevil.example",
    "/%5C/evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0D%0A/evil.example",
    "https%3A%2F%2Fevil.example",
    "https://evil.example",
    "/%2F/evil.example",
    "/%252F/evil.example",
    "/%255C%255Cevil.example",
    "%09//evil.example",
    "evil.example",
];

#[tokio::test]
async fn sign_in_never_sends_anyone_to_another_site() {
    let app = TestApp::spawn().await;
    let mut anonymous = Browser::default();
    for next in HOSTILE_NEXT {
        let login = anonymous.page(&app, &format!("/login?next={next}")).await;
        assert!(
            login.contains("name=\"next\" value=\"/\""),
            "{next} was kept in the form"
        );
    }
    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;
    for next in HOSTILE_NEXT {
        let onwards = browser.get(&app, &format!("/login?next={next}")).await;
        assert_eq!(onwards.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&onwards), "/", "{next}");
    }
    // A path on this site is followed, encoded characters and all.
    let onwards = browser
        .get(
            &app,
            "/login?next=%2Frequests%3Fstatus%3Dopen%26q%3D50%2525",
        )
        .await;
    assert_eq!(location(&onwards), "/requests?status=open&q=50%25");

    // The same rule after the form's sign-in.
    let mut signing_in = Browser::default();
    let token = hidden_token(&signing_in.page(&app, "/login").await);
    let signed_in = signing_in
        .send_sign_in(
            &app,
            &token,
            "member@acme.test",
            PASSWORD,
            Some("/\t/evil.example"),
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), "/");
}

#[tokio::test]
async fn signing_in_needs_the_form_token_and_the_right_password() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    let forged = browser
        .post(
            &app,
            "/login",
            &[("email", "member@acme.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&forged));
    assert!(
        forged
            .text()
            .await
            .expect("body")
            .contains("This form has expired")
    );

    let token = hidden_token(&browser.page(&app, "/login").await);
    let wrong_token = browser
        .send_sign_in(&app, "forged", "member@acme.test", PASSWORD, None)
        .await;
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);

    let wrong = browser
        .send_sign_in(&app, &token, "member@acme.test", "nope", None)
        .await;
    let page = text_with_status(wrong, StatusCode::UNAUTHORIZED).await;
    assert!(page.contains("The email or password is wrong."));
    assert!(
        page.contains("value=\"member@acme.test\""),
        "the email is kept"
    );

    let right = browser
        .send_sign_in(
            &app,
            &token,
            "member@acme.test",
            PASSWORD,
            Some("/services"),
        )
        .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/services");
    let home = browser.page(&app, "/").await;
    assert!(home.contains("My requests"));
    assert!(
        home.to_lowercase().contains("member of test"),
        "the viewer's name is shown"
    );
}

#[tokio::test]
async fn every_form_of_a_session_needs_its_token() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    let token = browser.sign_in(&app, "member@acme.test").await;

    let missing = browser.post(&app, "/logout", &[]).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&missing));
    let wrong = browser
        .post(&app, "/logout", &[("csrf_token", "0".repeat(64).as_str())])
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let comment = browser
        .post(&app, "/requests/1/comments", &[("body", "forged")])
        .await;
    assert_eq!(comment.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get(&app, "/").await.status(),
        StatusCode::OK,
        "still signed in"
    );

    let signed_out = browser.submit(&app, "/logout", &[]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_out), "/login");
    assert_eq!(browser.get(&app, "/").await.status(), StatusCode::SEE_OTHER);

    // Another session's token does not fit this one.
    let mut other = Browser::default();
    other.sign_in(&app, "lead@acme.test").await;
    let foreign = other.post(&app, "/logout", &[("csrf_token", &token)]).await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_request_form_shows_errors_at_their_fields_and_keeps_the_answers() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    let sales = app.department("Sales").await;
    let intake = json!({
        "intake_fields": [
            { "key": "region", "label": "Region", "kind": "choice", "required": true, "choices": ["EMEA", "Americas"] },
            { "key": "count", "label": "How many", "kind": "number" },
            { "key": "event_day", "label": "Event day", "kind": "date" },
            { "key": "urgent_follow_up", "label": "Follow up at once", "kind": "boolean" }
        ]
    });
    let service = app.qualified_leads(&marketing, &sales, intake).await;
    let form_path = format!("/services/{}/request", id_of(&service));
    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;

    let catalogue = browser.page(&app, "/services").await;
    assert!(catalogue.contains("Qualified leads") && catalogue.contains("Marketing"));
    let found = browser.page(&app, "/services?q=LEADS+marketing").await;
    assert!(found.contains("Qualified leads"));
    let none = browser.page(&app, "/services?q=payroll").await;
    assert!(!none.contains("Qualified leads") && none.contains("No service matches"));
    let form = browser.page(&app, &form_path).await;
    assert!(form.contains("name=\"intake.region\"") && form.contains("type=\"date\""));

    let rejected = browser
        .submit(
            &app,
            &form_path,
            &[
                ("title", ""),
                ("description", "For the <spring> fair"),
                ("intake.count", "lots"),
                ("priority", "high"),
                ("external_impact", "customer_waiting"),
            ],
        )
        .await;
    let page = text_with_status(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("id=\"title-error\""),
        "title error shown: {page}"
    );
    assert!(
        page.contains("id=\"intake-region-error\""),
        "required choice named"
    );
    assert!(
        page.contains("id=\"intake-count-error\""),
        "a number that is not one"
    );
    assert!(
        page.contains("For the &#60;spring&#62; fair"),
        "description kept, escaped"
    );
    assert!(page.contains("value=\"lots\""), "the bad answer kept");
    assert!(page.contains("value=\"high\" selected"), "priority kept");
    assert!(
        page.contains("value=\"customer_waiting\" checked"),
        "impact kept"
    );

    let raised = browser
        .submit(
            &app,
            &form_path,
            &[
                ("title", "Leads for the spring fair"),
                ("intake.region", "EMEA"),
                ("intake.count", "40"),
                ("intake.event_day", "2026-03-14"),
                ("intake.urgent_follow_up", "true"),
                ("priority", "high"),
                ("external_impact", "customer_affected"),
            ],
        )
        .await;
    assert_eq!(raised.status(), StatusCode::SEE_OTHER);
    let request_path = location(&raised);
    assert!(request_path.starts_with("/requests/"));
    let page = browser.page(&app, &request_path).await;
    assert!(page.contains("Leads for the spring fair"));
    assert!(page.contains("Customer affected") && page.contains("2026-03-14"));

    // The API sees the same request, with typed answers.
    let id = request_path.trim_start_matches("/requests/");
    let stored = app
        .read(&app.admin, &format!("/api/v1/requests/{id}"))
        .await;
    assert_eq!(stored["intake_values"]["count"], json!(40.0));
    assert_eq!(stored["intake_values"]["urgent_follow_up"], json!(true));
    assert_eq!(stored["priority"], json!("high"));
}

#[tokio::test]
async fn request_actions_follow_the_workflow_and_report_problems_on_the_page() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    let (marketer, path) = asked_of_marketing(&app, &marketing, "A brochure").await;

    let mut requester = Browser::default();
    requester.sign_in(&app, "member@acme.test").await;
    let page = requester.page(&app, &path).await;
    assert!(
        !page.contains("value=\"acknowledged\""),
        "only the provider acknowledges"
    );

    let mut provider = Browser::default();
    provider.sign_in(&app, &marketer.email).await;
    let page = provider.page(&app, &path).await;
    assert!(page.contains("value=\"acknowledged\""));
    let stale = provider
        .submit(&app, &format!("{path}/assignment"), &[("version", "7")])
        .await;
    assert_eq!(
        stale.status(),
        StatusCode::CONFLICT,
        "a stale version is refused"
    );
    let taken = provider
        .submit(&app, &format!("{path}/assignment"), &[("version", "1")])
        .await;
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    let page = requester.page(&app, &path).await;
    assert!(
        page.contains("<dt>Assignee</dt>") && !page.contains("<dt>Assignee</dt><dd>nobody</dd>")
    );
    let acknowledged = provider
        .submit(
            &app,
            &format!("{path}/transition"),
            &[("to", "acknowledged"), ("version", "2")],
        )
        .await;
    assert_eq!(acknowledged.status(), StatusCode::SEE_OTHER);

    // A deferral without a reason or date is shown at its fields, values kept.
    let deferred = provider
        .submit(
            &app,
            &format!("{path}/deferral"),
            &[("reason", ""), ("new_eta", "soon")],
        )
        .await;
    let page = text_with_status(deferred, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"defer-reason-error\"") && page.contains("id=\"defer-eta-error\""));
    assert!(page.contains("value=\"soon\""));

    let deferred = provider
        .submit(
            &app,
            &format!("{path}/deferral"),
            &[
                ("reason", "A key account launch"),
                ("new_eta", "2030-01-15T12:00"),
            ],
        )
        .await;
    assert_eq!(deferred.status(), StatusCode::SEE_OTHER);
    let page = requester.page(&app, &path).await;
    assert!(
        page.contains("Deferred for an external customer") && page.contains("A key account launch")
    );

    // The requester cannot resolve: the workflow refuses, on the page.
    let refused = requester
        .submit(&app, &format!("{path}/transition"), &[("to", "resolved")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&refused));

    let resolved = provider
        .submit(
            &app,
            &format!("{path}/transition"),
            &[
                ("to", "resolved"),
                ("input_quality", "partial"),
                ("note", "Done"),
            ],
        )
        .await;
    assert_eq!(resolved.status(), StatusCode::SEE_OTHER);
    let page = requester.page(&app, &path).await;
    assert!(page.contains("Status: Resolved"));
    assert!(
        page.contains("value=\"closed\""),
        "the requester may now confirm"
    );
}

#[tokio::test]
async fn the_matrix_and_queue_pages_render_for_the_signed_in() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    let sales = app.department("Sales").await;
    app.qualified_leads(&marketing, &sales, json!({})).await;
    let mut browser = Browser::default();
    browser.sign_in(&app, "admin@acme.test").await;
    let matrix = browser.page(&app, "/matrix").await;
    let cell = format!("/matrix/{}/{}", id_of(&marketing), id_of(&sales));
    assert!(matrix.contains(&cell));
    assert!(
        matrix.contains("No agreement"),
        "services without an agreement are named"
    );
    let detail = browser.page(&app, &cell).await;
    assert!(detail.contains("Qualified leads") && detail.contains("no agreement for this cell"));
    let department = browser
        .page(&app, &format!("/departments/{}", id_of(&marketing)))
        .await;
    assert!(department.contains("As provider: whom Marketing serves"));
    assert!(department.contains(&cell) && department.contains("role=\"img\""));
    let queue = browser
        .page(&app, &format!("/departments/{}/queue", id_of(&marketing)))
        .await;
    assert!(queue.contains("Queue of Marketing"));
    let framed = browser.get(&app, "/matrix").await;
    let policy = framed
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'self'"));
    let nowhere = browser.get(&app, "/no-such-page").await;
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
    assert!(is_html(&nowhere));
    let missing = browser.get(&app, "/requests/999999").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(is_html(&missing));
}

#[tokio::test]
async fn assets_are_embedded_and_cached_for_a_year() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    let login = browser.page(&app, "/login").await;
    for (marker, content_type) in [
        ("href=\"/assets/app.", "text/css"),
        ("src=\"/assets/htmx.", "text/javascript"),
    ] {
        let start = login.find(marker).expect("asset link") + marker.find("/assets").expect("path");
        let end = login[start..].find('"').expect("end") + start;
        let path = &login[start..end];
        let response = browser.get(&app, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| header_text(&response, name);
        assert!(header("content-type").starts_with(content_type));
        assert!(header("cache-control").contains("max-age=31536000"));
        assert!(header("cache-control").contains("immutable"));
    }
    let stale = browser.get(&app, "/assets/app.000000000000.css").await;
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn administrators_add_people_and_departments_through_forms() {
    let app = TestApp::spawn().await;
    let mut member = Browser::default();
    member.sign_in(&app, "member@acme.test").await;
    let refused = member.get(&app, "/admin/people").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&refused));
    let refused = member
        .submit(&app, "/admin/departments", &[("name", "Shadow IT")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let mut admin = Browser::default();
    admin.sign_in(&app, "admin@acme.test").await;
    let added = admin
        .submit(
            &app,
            "/admin/departments",
            &[("name", "Logistics"), ("customer_facing", "true")],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let page = admin.page(&app, "/admin/departments").await;
    assert!(page.contains("Logistics"));

    let rejected = admin
        .submit(
            &app,
            "/admin/people",
            &[
                ("name", "Ada Lovelace"),
                ("email", "not an email"),
                ("role", "lead"),
            ],
        )
        .await;
    let page = text_with_status(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"email-error\""));
    assert!(page.contains("value=\"Ada Lovelace\"") && page.contains("value=\"lead\" selected"));
    let added = admin
        .submit(
            &app,
            "/admin/people",
            &[
                ("name", "Ada Lovelace"),
                ("email", "ada@acme.test"),
                ("role", "lead"),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let people = admin.page(&app, "/admin/people").await;
    assert!(people.contains("ada@acme.test"));

    // Change her role and deactivate her; a stale version is refused, values kept.
    let marker = "<a href=\"/admin/people/";
    let ada = people.find("Ada Lovelace").expect("Ada listed");
    let start = people[..ada].rfind(marker).expect("her link") + marker.len();
    let id = &people[start..start + people[start..].find('"').expect("id end")];
    let edit = admin.page(&app, &format!("/admin/people/{id}")).await;
    assert!(
        edit.contains("value=\"lead\" selected")
            && edit.contains("name=\"active\" value=\"true\" checked")
    );
    let stale = admin
        .submit(
            &app,
            &format!("/admin/people/{id}"),
            &[
                ("version", "9"),
                ("name", "Ada King"),
                ("role", "executive"),
            ],
        )
        .await;
    assert!(
        text_with_status(stale, StatusCode::CONFLICT)
            .await
            .contains("value=\"Ada King\"")
    );
    let changed = admin
        .submit(
            &app,
            &format!("/admin/people/{id}"),
            &[
                ("version", "1"),
                ("name", "Ada King"),
                ("role", "executive"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let people = admin.page(&app, "/admin/people").await;
    assert!(people.contains("Ada King") && people.contains("no (deactivated)"));
}

#[tokio::test]
async fn people_create_and_revoke_their_own_api_tokens() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;
    let created = browser
        .submit(
            &app,
            "/tokens",
            &[("name", "reporting script"), ("expires_in_days", "30")],
        )
        .await;
    let page = text_with_status(created, StatusCode::CREATED).await;
    let marker = "<code id=\"new-token\">";
    let start = page.find(marker).expect("the new token is shown") + marker.len();
    let secret = &page[start..start + page[start..].find('<').expect("end")];
    let me = app.me_with_token(secret).await;
    assert_eq!(me.status(), StatusCode::OK, "the shown token works");

    let listed = browser.page(&app, "/tokens").await;
    assert!(listed.contains("reporting script"));
    assert!(!listed.contains(secret), "the secret is shown only once");
    let revoke_marker = "action=\"/tokens/";
    let start = listed.find(revoke_marker).expect("a revoke form") + revoke_marker.len();
    let id = &listed[start..start + listed[start..].find('/').expect("id end")];
    let revoked = browser
        .submit(&app, &format!("/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let me = app.me_with_token(secret).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);

    let bad = browser
        .submit(
            &app,
            "/tokens",
            &[("name", ""), ("expires_in_days", "forever")],
        )
        .await;
    assert!(
        text_with_status(bad, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains("value=\"forever\"")
    );
}

#[tokio::test]
async fn commitments_and_hand_offs_work_from_the_request_page() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    let operations = app.department("Operations").await;
    let (marketer, path) = asked_of_marketing(&app, &marketing, "Stand graphics").await;
    let mut provider = Browser::default();
    provider.sign_in(&app, &marketer.email).await;
    let bad_date = provider
        .submit(
            &app,
            &format!("{path}/commitments"),
            &[("due_at", "Thursday")],
        )
        .await;
    let page = text_with_status(bad_date, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"commit-due-error\"") && page.contains("value=\"Thursday\""));
    let proposed = provider
        .submit(
            &app,
            &format!("{path}/commitments"),
            &[
                ("due_at", "2030-02-07T16:00"),
                ("note", "After the print run"),
            ],
        )
        .await;
    assert_eq!(proposed.status(), StatusCode::SEE_OTHER);

    let mut requester = Browser::default();
    requester.sign_in(&app, "member@acme.test").await;
    let page = requester.page(&app, &path).await;
    let marker = "/commitments/";
    let start = page.find(marker).expect("an accept form") + marker.len();
    let commitment = &page[start..start + page[start..].find('/').expect("id end")];
    let accepted = requester
        .submit(
            &app,
            &format!("{path}/commitments/{commitment}/accept"),
            &[],
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let page = requester.page(&app, &path).await;
    assert!(page.contains("2030-02-07 16:00 UTC (accepted by both sides)"));

    let unnamed = provider
        .submit(&app, &format!("{path}/transfer"), &[("department_id", "")])
        .await;
    assert!(
        text_with_status(unnamed, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains("id=\"transfer-department-error\"")
    );
    let operations_id = id_of(&operations).to_string();
    let handed = provider
        .submit(
            &app,
            &format!("{path}/transfer"),
            &[
                ("department_id", &operations_id),
                ("note", "Print is theirs"),
            ],
        )
        .await;
    assert_eq!(handed.status(), StatusCode::SEE_OTHER);
    let page = requester.page(&app, &path).await;
    assert!(page.contains("handed the request over"));
    assert!(page.contains("<dt>Provider</dt><dd>Operations</dd>"));
}

#[tokio::test]
async fn a_request_can_name_the_customer_segment_its_service_serves() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    let sales = app.department("Sales").await;
    let segment = app
        .create(
            &app.admin,
            "/api/v1/segments",
            &json!({ "name": "Mid-market retailers" }),
        )
        .await;
    let service = app
        .qualified_leads(
            &marketing,
            &sales,
            json!({ "segment_ids": [id_of(&segment)] }),
        )
        .await;
    let form_path = format!("/services/{}/request", id_of(&service));
    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;
    let form = browser.page(&app, &form_path).await;
    assert!(form.contains("Mid-market retailers"));
    let segment_id = id_of(&segment).to_string();
    let raised = browser
        .submit(
            &app,
            &form_path,
            &[
                ("title", "Leads for retailers"),
                ("segment_id", &segment_id),
            ],
        )
        .await;
    assert_eq!(raised.status(), StatusCode::SEE_OTHER);
    let page = browser.page(&app, &location(&raised)).await;
    assert!(page.contains("<dt>Customer segment</dt><dd>Mid-market retailers</dd>"));
}

/// One rule on both adapters (`app::services::request_segment`): a request
/// for a service names only a segment that service serves. The API refuses
/// another at `segment_id`, on create and on change, and so does the
/// request form (which once dropped it in silence); a request without a
/// service may name any segment.
#[tokio::test]
async fn a_request_for_a_service_names_only_a_segment_it_serves_on_api_and_form() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    let sales = app.department("Sales").await;
    let segment = |name: &'static str| {
        let app = &app;
        async move {
            app.create(&app.admin, "/api/v1/segments", &json!({ "name": name }))
                .await
        }
    };
    let served = segment("Mid-market retailers").await;
    let other = segment("Public sector").await;
    let service = app
        .qualified_leads(
            &marketing,
            &sales,
            json!({ "segment_ids": [id_of(&served)] }),
        )
        .await;

    // The API: refused at the field on create.
    let refused = expect_status(
        app.post(
            &app.member,
            "/api/v1/requests",
            &json!({ "service_id": id_of(&service), "title": "Leads for the council",
                     "segment_id": id_of(&other) }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(crate::support::problem_fields(&refused), ["segment_id"]);
    // … and on change; the served segment and none are fine.
    let request = app
        .create(
            &app.member,
            "/api/v1/requests",
            &json!({ "service_id": id_of(&service), "title": "Leads for retailers",
                     "segment_id": id_of(&served) }),
        )
        .await;
    let path = format!("/api/v1/requests/{}", id_of(&request));
    let changed = expect_status(
        app.patch(
            &app.member,
            &path,
            crate::support::version_of(&request),
            &json!({ "segment_id": id_of(&other) }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(crate::support::problem_fields(&changed), ["segment_id"]);
    expect_status(
        app.patch(
            &app.member,
            &path,
            crate::support::version_of(&request),
            &json!({ "segment_id": null }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // A request without a service may name any segment.
    app.create(
        &app.member,
        "/api/v1/requests",
        &json!({ "provider_department_id": id_of(&marketing), "title": "Council brochure",
                     "segment_id": id_of(&other) }),
    )
    .await;

    // The form: the same refusal, next to the segment field, nothing raised.
    let form_path = format!("/services/{}/request", id_of(&service));
    let mut browser = Browser::default();
    browser.sign_in(&app, "member@acme.test").await;
    let other_id = id_of(&other).to_string();
    let page = browser
        .submit(
            &app,
            &form_path,
            &[
                ("title", "Leads for the council"),
                ("segment_id", &other_id),
            ],
        )
        .await;
    let html = text_with_status(page, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(html.contains("must be one of the customer segments this service serves"));
    assert!(html.contains("Leads for the council"), "the title is kept");
}

#[tokio::test]
async fn the_requests_page_lists_what_the_viewer_may_see_with_filters() {
    let app = TestApp::spawn().await;
    let marketing = app.department("Marketing").await;
    for (title, impact) in [
        ("Banner artwork", "none"),
        ("Launch deck", "customer_waiting"),
    ] {
        app.create(
            &app.member,
            "/api/v1/requests",
            &json!({ "provider_department_id": id_of(&marketing), "title": title, "external_impact": impact }),
        )
        .await;
    }
    let mut member = Browser::default();
    member.sign_in(&app, "member@acme.test").await;
    let all = member.page(&app, "/requests").await;
    assert!(all.contains("Banner artwork") && all.contains("Launch deck"));
    let waiting = member
        .page(&app, "/requests?status=&impact=customer_waiting")
        .await;
    assert!(waiting.contains("Launch deck") && !waiting.contains("Banner artwork"));
    let resolved = member.page(&app, "/requests?status=resolved").await;
    assert!(resolved.contains("No request matches"));
    let nonsense = member.page(&app, "/requests?status=sideways").await;
    assert!(nonsense.contains("status: must be one of"));

    let mut lead = Browser::default();
    lead.sign_in(&app, "lead@acme.test").await;
    let unseen = lead.page(&app, "/requests").await;
    assert!(
        !unseen.contains("Banner artwork"),
        "another department's requests stay hidden"
    );
}
