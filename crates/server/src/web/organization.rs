//! Administration of the organization in the browser: a department's name,
//! parent, calendar and leads; the customer segments at the centre; the
//! organization's settings (default calendar, at-risk share, anonymity
//! threshold, check fatigue, thank-yous); the coupon list and the thank-you
//! ledger. Departments, segments, the settings and the audit log are the
//! use cases of `app::departments`, `app::segments` and `app::organization`,
//! the same the API calls; the coupons and the thank-you ledger still go
//! through the handlers of `/api/v1/thank-yous`. Only administrators change
//! them, by the same rules.

use super::directory::Directory;
use super::format::instant;
use super::{
    ActionError, FormData, Layout, PageId, SignedForm, Viewer, WebError, after_action, at_version,
    first_view, render, valid_at_version,
};
use crate::AppState;
use crate::api::audit_log::AuditEntryView;
use crate::api::checks::ThankYouView;
use crate::api::organization::OrganizationView;
use crate::api::segments::SegmentView;
use crate::extract::{Page, PageQuery};
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use roundtable_app::departments::DepartmentEdit;
use roundtable_app::organization::SettingsEdit;
use roundtable_app::segments::{SegmentEdit, SegmentInput};
use roundtable_app::{Caller, checks, departments, organization, segments};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::DepartmentId;
use roundtable_store::PageRequest;

/// The administration pages of departments, segments, settings and thank-yous.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/departments/{id}",
            get(show_department).post(change_department),
        )
        .route("/admin/segments", get(show_segments).post(add_segment))
        .route(
            "/admin/segments/{id}",
            get(show_segment).post(change_segment),
        )
        .route(
            "/admin/organization",
            get(show_settings).post(change_settings),
        )
        .route("/admin/coupons", post(upload_coupons))
        .route("/thank-yous", get(show_my_thank_yous))
        .route("/admin/audit-log", get(show_audit_log))
        .route("/exports", get(show_exports))
}

fn optional_id(form: &FormData, field: &str) -> Option<i64> {
    form.get(field).trim().parse::<i64>().ok()
}

async fn calendars(state: &AppState, viewer: &Viewer) -> Result<Vec<(i64, String)>, WebError> {
    let mut calendars: Vec<(i64, String)> =
        roundtable_app::calendars::all(&Caller::new(&state.store, &viewer.actor))
            .await?
            .into_iter()
            .map(|calendar| (calendar.id.0, calendar.name))
            .collect();
    calendars.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(calendars)
}

#[derive(Debug, Template)]
#[template(path = "admin_department.html")]
pub struct DepartmentPage {
    layout: Layout,
    id: i64,
    name: String,
    parents: Vec<(i64, String)>,
    calendars: Vec<(i64, String)>,
    people: Vec<(i64, String)>,
    form: FormData,
    failed: ActionError,
}

impl DepartmentPage {
    pub fn chosen(&self, field: &str, id: &i64) -> bool {
        let id = id.to_string();
        self.form
            .0
            .iter()
            .any(|(name, value)| name == field && *value == id)
    }
}

async fn department_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: Option<FormData>,
    failed: ActionError,
) -> Result<DepartmentPage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let scoped = state.scoped(&viewer.actor);
    let department = scoped
        .department(roundtable_domain::ids::DepartmentId(id))
        .await?;
    let directory = Directory::load(&scoped).await?;
    let form = form.unwrap_or_else(|| {
        let mut pairs = vec![
            ("name".to_owned(), department.name.clone()),
            ("slug".to_owned(), department.slug.clone()),
            ("version".to_owned(), department.version.to_string()),
        ];
        if let Some(parent) = department.parent_id {
            pairs.push(("parent_id".to_owned(), parent.0.to_string()));
        }
        if let Some(calendar) = department.calendar_id {
            pairs.push(("calendar_id".to_owned(), calendar.0.to_string()));
        }
        if department.customer_facing {
            pairs.push(("customer_facing".to_owned(), "true".to_owned()));
        }
        for lead in &department.lead_ids {
            pairs.push(("lead_ids".to_owned(), lead.0.to_string()));
        }
        FormData(pairs)
    });
    Ok(DepartmentPage {
        layout: Layout::new(viewer, "Departments", "admin"),
        id,
        name: department.name.clone(),
        parents: directory
            .departments
            .iter()
            .filter(|other| other.id != department.id)
            .map(|other| (other.id.0, other.name.clone()))
            .collect(),
        calendars: calendars(state, viewer).await?,
        people: directory
            .people_by_name()
            .into_iter()
            .filter(|person| person.active)
            .map(|person| (person.id.0, person.name.clone()))
            .collect(),
        form,
        failed,
    })
}

/// `GET /admin/departments/{id}`: a department's name, parent, calendar and leads.
pub async fn show_department(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    let page = department_page(&state, &viewer, id, None, ActionError::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /admin/departments/{id}`: changes it at the version read.
pub async fn change_department(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = at_version(&form, async |version| {
        departments::update(
            &Caller::new(&state.store, &viewer.actor),
            DepartmentId(id),
            DepartmentEdit {
                name: Some(form.get("name").to_owned()),
                slug: Some(form.get("slug").trim().to_owned()),
                parent_id: Some(optional_id(&form, "parent_id")),
                calendar_id: Some(optional_id(&form, "calendar_id")),
                customer_facing: Some(form.has("customer_facing")),
                lead_ids: Some(
                    form.0
                        .iter()
                        .filter(|(name, _)| name == "lead_ids")
                        .filter_map(|(_, value)| value.parse::<i64>().ok())
                        .collect(),
                ),
            },
            version,
        )
        .await
    })
    .await;
    after_action(
        outcome,
        "department",
        "this department",
        "/admin/departments",
        async |failed| department_page(&state, &viewer, id, Some(form), failed).await,
    )
    .await
}

#[derive(Debug, Template)]
#[template(path = "admin_segments.html")]
pub struct SegmentsPage {
    layout: Layout,
    segments: Vec<SegmentView>,
    /// The segment being changed, or `None` on the list with the form to add one.
    editing: Option<i64>,
    form: FormData,
    failed: ActionError,
}

async fn segments_page(
    state: &AppState,
    viewer: &Viewer,
    editing: Option<i64>,
    form: FormData,
    failed: ActionError,
) -> Result<SegmentsPage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let mut segments: Vec<SegmentView> = segments::all(&Caller::new(&state.store, &viewer.actor))
        .await?
        .into_iter()
        .map(SegmentView::from)
        .collect();
    segments.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SegmentsPage {
        layout: Layout::new(viewer, "Customer segments", "admin"),
        segments,
        editing,
        form,
        failed,
    })
}

/// `GET /admin/segments`: the external customers at the centre, and the form to add one.
pub async fn show_segments(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        segments_page(&state, &viewer, None, form, failed).await
    })
    .await
}

/// `POST /admin/segments`: adds a segment.
pub async fn add_segment(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = segments::create(
        &Caller::new(&state.store, &viewer.actor),
        SegmentInput {
            name: form.get("name").to_owned(),
            needs: form.get("needs").to_owned(),
            criteria: form.lines("criteria"),
        },
    )
    .await
    .map_err(ApiError::from);
    after_action(
        outcome,
        "segment",
        "the segments",
        "/admin/segments",
        async |failed| segments_page(&state, &viewer, None, form, failed).await,
    )
    .await
}

/// `GET /admin/segments/{id}`: a segment's form, filled in.
pub async fn show_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let segment = segments::get(&Caller::new(&state.store, &viewer.actor), id).await?;
    let form = FormData(vec![
        ("name".to_owned(), segment.name.clone()),
        ("needs".to_owned(), segment.needs.clone()),
        ("criteria".to_owned(), segment.criteria.join("\n")),
        ("version".to_owned(), segment.version.to_string()),
    ]);
    first_view(form, async |form, failed| {
        segments_page(&state, &viewer, Some(id), form, failed).await
    })
    .await
}

/// `POST /admin/segments/{id}`: changes a segment at the version read.
pub async fn change_segment(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = at_version(&form, async |version| {
        segments::update(
            &Caller::new(&state.store, &viewer.actor),
            id,
            SegmentEdit {
                name: Some(form.get("name").to_owned()),
                needs: Some(form.get("needs").to_owned()),
                criteria: Some(form.lines("criteria")),
            },
            version,
        )
        .await
    })
    .await;
    after_action(
        outcome,
        "segment",
        "this segment",
        "/admin/segments",
        async |failed| segments_page(&state, &viewer, Some(id), form, failed).await,
    )
    .await
}

/// A thank-you as the ledger shows it.
#[derive(Debug, Clone)]
pub struct ThankYouRow {
    pub person: String,
    pub earned_for: String,
    pub reward: String,
    pub issued: String,
}

fn thank_you_row(entry: &ThankYouView, directory: &Directory) -> ThankYouRow {
    ThankYouRow {
        person: directory.person_name(Some(entry.person_id)),
        earned_for: if entry.earned_for.starts_with("check:") {
            "a satisfaction check".to_owned()
        } else if entry.earned_for.starts_with("pulse:") {
            // Which round or cell is not shown: a pulse answer is never linked to its author.
            "a pulse response".to_owned()
        } else {
            "a response".to_owned()
        },
        reward: match (entry.reward.as_str(), &entry.coupon_code) {
            ("coupon", Some(code)) => format!("coupon {code}"),
            ("points", _) => format!("{} points", entry.points),
            ("none_left", _) => "nothing: the coupon list had run out".to_owned(),
            (other, _) => other.to_owned(),
        },
        issued: instant(&entry.issued_at),
    }
}

async fn ledger(
    state: &AppState,
    viewer: &Viewer,
    everyone: bool,
) -> Result<Vec<ThankYouRow>, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let entries: Vec<ThankYouView> = checks::thank_yous(&caller, everyone, PageRequest::first(100))
        .await?
        .items
        .into_iter()
        .map(ThankYouView::from)
        .collect();
    let directory = Directory::load(&state.scoped(&viewer.actor)).await?;
    Ok(entries
        .iter()
        .map(|entry| thank_you_row(entry, &directory))
        .collect())
}

pub const THANK_YOU_KINDS: [(&str, &str); 3] = [
    ("none", "Nothing"),
    ("points", "Recognition points"),
    ("coupon", "A coupon from the uploaded list"),
];

#[derive(Debug, Template)]
#[template(path = "admin_organization.html")]
pub struct SettingsPage {
    layout: Layout,
    organization: OrganizationView,
    calendars: Vec<(i64, String)>,
    kinds: [(&'static str, &'static str); 3],
    coupons_left: i64,
    /// How many coupon codes were just added.
    added: Option<u64>,
    ledger: Vec<ThankYouRow>,
    form: FormData,
    failed: ActionError,
}

impl SettingsPage {
    /// A settings field: as sent when the settings form was refused, else as stored.
    pub fn value(&self, field: &str) -> String {
        if self.failed.action == "settings" {
            return self.form.get(field).to_owned();
        }
        let organization = &self.organization;
        match field {
            "name" => organization.name.clone(),
            "default_calendar_id" => organization
                .default_calendar_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            "at_risk_percent" => organization.at_risk_percent.to_string(),
            "anonymity_threshold" => organization.anonymity_threshold.to_string(),
            "check_fatigue_days" => organization.check_fatigue_days.to_string(),
            "thank_you_kind" => organization.thank_you_kind.clone(),
            "thank_you_points" => organization.thank_you_points.to_string(),
            _ => String::new(),
        }
    }
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    added: Option<u64>,
    form: FormData,
    failed: ActionError,
) -> Result<SettingsPage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let scoped = state.scoped(&viewer.actor);
    let organization =
        OrganizationView::from(organization::get(&Caller::new(&state.store, &viewer.actor)).await?);
    Ok(SettingsPage {
        layout: Layout::new(viewer, "Organization", "admin"),
        organization,
        calendars: calendars(state, viewer).await?,
        kinds: THANK_YOU_KINDS,
        coupons_left: scoped.thank_you_coupons_left().await?,
        added,
        ledger: ledger(state, viewer, true).await?,
        form,
        failed,
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct AddedQuery {
    added: Option<u64>,
}

/// `GET /admin/organization`: the settings, the coupon list and the thank-you ledger.
pub async fn show_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<AddedQuery>,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        settings_page(&state, &viewer, query.added, form, failed).await
    })
    .await
}

fn whole_number(form: &FormData, field: &str, errors: &mut ValidationErrors) -> Option<i64> {
    match form.get(field).trim().parse::<i64>() {
        Ok(number) => Some(number),
        Err(_) => {
            errors.push(field, "enter a whole number");
            None
        }
    }
}

/// `POST /admin/organization`: changes the settings at the version read.
pub async fn change_settings(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let mut errors = ValidationErrors::new();
    let at_risk_percent = whole_number(&form, "at_risk_percent", &mut errors);
    let anonymity_threshold = whole_number(&form, "anonymity_threshold", &mut errors);
    let check_fatigue_days = whole_number(&form, "check_fatigue_days", &mut errors);
    let thank_you_points = whole_number(&form, "thank_you_points", &mut errors);
    let outcome = valid_at_version(&form, errors, async |version| {
        organization::update(
            &Caller::new(&state.store, &viewer.actor),
            SettingsEdit {
                name: Some(form.get("name").to_owned()),
                default_calendar_id: Some(optional_id(&form, "default_calendar_id")),
                at_risk_percent,
                anonymity_threshold,
                check_fatigue_days,
                thank_you_kind: Some(form.get("thank_you_kind").to_owned()),
                thank_you_points,
            },
            version,
        )
        .await
    })
    .await;
    after_action(
        outcome,
        "settings",
        "the settings",
        "/admin/organization",
        async |failed| settings_page(&state, &viewer, None, form, failed).await,
    )
    .await
}

/// `POST /admin/coupons`: adds coupon codes (one a line) to the thank-you list.
pub async fn upload_coupons(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let codes = form.lines("codes");
    let outcome = checks::add_coupons(&Caller::new(&state.store, &viewer.actor), codes)
        .await
        .map(|added| added.added)
        .map_err(ApiError::from);
    let location = match &outcome {
        Ok(added) => format!("/admin/organization?added={added}#coupons-heading"),
        Err(_) => "/admin/organization".to_owned(),
    };
    after_action(
        outcome,
        "coupons",
        "the coupons",
        &location,
        async |failed| settings_page(&state, &viewer, None, form, failed).await,
    )
    .await
}

#[derive(Debug, Template)]
#[template(path = "thank_yous.html")]
pub struct ThankYousPage {
    layout: Layout,
    ledger: Vec<ThankYouRow>,
}

/// `GET /thank-yous`: the viewer's own thank-yous for checks and pulse answers.
pub async fn show_my_thank_yous(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let page = ThankYousPage {
        layout: Layout::new(&viewer, "My thank-yous", "checks"),
        ledger: ledger(&state, &viewer, false).await?,
    };
    Ok(render(StatusCode::OK, &page))
}

/// An audit entry in words.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Debug, Template)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    /// The address of the next, older page.
    older: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub struct CursorQuery {
    cursor: Option<String>,
}

/// `GET /admin/audit-log`: who changed what, newest first (administrators).
pub async fn show_audit_log(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CursorQuery>,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    // Who may read it is judged before the cursor, as the API does.
    policy::read_audit_log(&viewer.actor)?;
    let request = PageQuery {
        limit: Some(100),
        cursor: query.cursor.filter(|cursor| !cursor.is_empty()),
    }
    .to_page()?;
    let page = Page::from_listing(
        organization::audit_log(&caller, request).await?,
        AuditEntryView::from,
    );
    let directory = Directory::load(&state.scoped(&viewer.actor)).await?;
    let page = AuditPage {
        layout: Layout::new(&viewer, "Audit log", "admin"),
        rows: page
            .items
            .iter()
            .map(|entry| AuditRow {
                when: instant(&entry.created_at),
                who: match entry.actor_person_id {
                    Some(person) => directory.person_name(Some(person)),
                    None => "Roundtable".to_owned(),
                },
                action: entry.action.clone(),
                subject: match entry.subject_id {
                    Some(id) => format!("{} {id}", entry.subject_kind),
                    None => entry.subject_kind.clone(),
                },
                detail: entry.detail.clone(),
            })
            .collect(),
        older: page.next_cursor.map(|cursor| {
            format!(
                "/admin/audit-log?cursor={}",
                form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
            )
        }),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Template)]
#[template(path = "exports.html")]
pub struct ExportsPage {
    layout: Layout,
    /// `(kind, what it holds)`.
    kinds: Vec<(&'static str, &'static str)>,
}

/// `GET /exports`: download links for the organization's data as CSV or
/// JSON (administrators and executives, as the export API allows); pulse
/// exports honour the anonymity threshold.
pub async fn show_exports(viewer: Viewer) -> Result<Response, WebError> {
    if !matches!(
        viewer.actor.role,
        roundtable_domain::people::Role::Admin | roundtable_domain::people::Role::Executive
    ) {
        return Err(WebError::Forbidden(
            "Only administrators and executives export organization data.".to_owned(),
        ));
    }
    let page = ExportsPage {
        layout: Layout::new(&viewer, "Exports", "admin"),
        kinds: roundtable_exchange::export::ExportKind::ALL
            .iter()
            .map(|kind| {
                let name = kind.name();
                let what = match name {
                    "people" => "Everyone, with department and role",
                    "departments" => "Departments, their parents and leads",
                    "requests" => "Every request with its clocks as they read now",
                    "checks" => "Answered satisfaction checks",
                    "pulses" => "Pulse results of closed rounds that may be shown; never an answer",
                    "health" => "Health per matrix cell over the last 90 days, with each component",
                    "external-impact" => "Requests with external impact over the last 90 days, per provider department and per customer segment",
                    _ => "Data",
                };
                (name, what)
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}
