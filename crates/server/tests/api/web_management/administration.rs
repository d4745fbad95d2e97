//! Administration pages: notification preferences, webhooks, department
//! leads, segments, settings, coupons, the audit log and exports, with who
//! may and may not.

use super::cell;
use crate::support::{TestApp, id_of, version_of};
use crate::web::{Browser, location, text_with_status};
use reqwest::StatusCode;
use roundtable_domain::people::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn a_person_switches_off_an_event_by_email_and_it_stays_off() {
    let app = TestApp::spawn().await;
    let cell = cell(&app).await;
    let mut member = Browser::default();
    member.sign_in(&app, &cell.seller.email).await;
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
    let view = app
        .read(&cell.seller, "/api/v1/notifications/preferences")
        .await;
    // Every box ticked but kudos by email.
    let mut boxes: Vec<(String, String)> = Vec::new();
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
    let saved = member
        .submit(&app, "/notifications/preferences", &form)
        .await;
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
    let view = app
        .read(&cell.seller, "/api/v1/notifications/preferences")
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
    admin.sign_in(&app, "admin@acme.test").await;
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
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    let page = text_with_status(added, StatusCode::CREATED).await;
    assert!(page.contains("id=\"webhook-secret\""));
    let hooks = app.read(&app.admin, "/api/v1/webhooks").await;
    let hook = &hooks[0];
    assert_eq!(hook["kinds"], json!(["kudos_received", "deferred"]));
    assert!(hook["secret"].is_null(), "the secret is never listed again");
    let listed = admin.page(&app, "/admin/webhooks").await;
    assert!(!listed.contains("id=\"webhook-secret\""));
    assert!(listed.contains("https://crm.example/hook"));

    let switched = admin
        .submit(
            &app,
            &format!("/admin/webhooks/{}/active", id_of(hook)),
            &[
                ("version", &version_of(hook).to_string()),
                ("active", "false"),
            ],
        )
        .await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    let hooks = app.read(&app.admin, "/api/v1/webhooks").await;
    assert_eq!(hooks[0]["active"], false);
    assert!(
        admin
            .page(&app, &format!("/admin/webhooks/{}", id_of(hook)))
            .await
            .contains("Nothing has been sent yet")
    );

    // A lead sees no webhooks and cannot add or remove one.
    let mut lead = Browser::default();
    lead.sign_in(&app, &cell.sales_lead.email).await;
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
        .submit(
            &app,
            &format!("/admin/webhooks/{}/delete", id_of(hook)),
            &[],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::FORBIDDEN);
    let hooks = app.read(&app.admin, "/api/v1/webhooks").await;
    assert_eq!(hooks.as_array().map(Vec::len), Some(1));

    let removed = admin
        .submit(
            &app,
            &format!("/admin/webhooks/{}/delete", id_of(hook)),
            &[],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let hooks = app.read(&app.admin, "/api/v1/webhooks").await;
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
    let current = app
        .read(
            &app.admin,
            &format!("/api/v1/departments/{}", id_of(&cell.sales)),
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
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    let stored = app
        .read(
            &app.admin,
            &format!("/api/v1/departments/{}", id_of(&cell.sales)),
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
    admin.sign_in(&app, "admin@acme.test").await;

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
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    let segments = app.read(&app.admin, "/api/v1/segments").await;
    let segment = &segments["items"][0];
    assert_eq!(
        segment["criteria"],
        json!(["Ten stores or more", "A buyer named"])
    );
    let changed = admin
        .submit(
            &app,
            &format!("/admin/segments/{}", id_of(segment)),
            &[
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
    let organization = app.read(&app.admin, "/api/v1/organization").await;
    let version = version_of(&organization).to_string();
    let settings = |k: &'static str| {
        vec![
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
    let refused = admin.submit(&app, "/admin/organization", &form).await;
    let page = text_with_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"anonymity_threshold-error\""), "{page}");
    assert!(page.contains("name=\"at_risk_percent\" value=\"80\""));
    let pairs = settings("6");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let saved = admin.submit(&app, "/admin/organization", &form).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let organization = app.read(&app.admin, "/api/v1/organization").await;
    assert_eq!(organization["anonymity_threshold"], 6);
    assert_eq!(organization["thank_you_kind"], "coupon");

    // Coupons: one a line; an empty list is refused at the field.
    let empty = admin
        .submit(&app, "/admin/coupons", &[("codes", "  \n ")])
        .await;
    assert!(
        text_with_status(empty, StatusCode::UNPROCESSABLE_ENTITY)
            .await
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
    let segments = app.read(&app.admin, "/api/v1/segments").await;
    assert_eq!(segments["items"].as_array().map(Vec::len), Some(1));
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
