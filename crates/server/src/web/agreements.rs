//! Agreements in the browser: the cells of the matrix drafted, changed,
//! proposed, accepted by both departments' leads, and reviewed. Every form
//! calls the use cases of `app::agreements`, as `/api/v1/agreements` does,
//! so who may draft or accept, the versioning of agreed agreements and the
//! validation of the reciprocal obligations live in one place; the pages
//! only show the forms the use cases would accept from the viewer.

use super::directory::Directory;
use super::format::instant;
use super::{
    ActionError, FieldErrors, FormData, Layout, PageId, SignedForm, Viewer, WebError, after_action,
    errors_at_rows, first_view,
};
use crate::AppState;
use crate::api::agreements::{self as api, AgreementView, ObligationBody};
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use roundtable_app::agreements::{self, Draft, Edit, ObligationInput, ReviewInput};
use roundtable_app::{AppError, Caller};
use roundtable_domain::ValidationErrors;
use roundtable_domain::people::Role;
use roundtable_store::auth::Actor;
use roundtable_store::every_page;
use roundtable_store::services::ServiceFilter;

/// The pages of agreements.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agreements", get(show_agreements).post(draft_agreement))
        .route(
            "/agreements/{id}",
            get(show_agreement).post(change_agreement),
        )
        .route("/agreements/{id}/propose", post(propose))
        .route("/agreements/{id}/accept", post(accept))
        .route("/agreements/{id}/reviews", post(record_review))
}

/// Blank obligation rows offered below the written ones (no script adds rows).
const SPARE_OBLIGATION_ROWS: usize = 2;

/// An agreement status in words, and the tone that colours it.
pub(crate) fn agreement_status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "draft" => ("Draft", "paused"),
        "proposed" => ("Proposed, waiting for acceptance", "warn"),
        "agreed" => ("Agreed", "ok"),
        "superseded" => ("Superseded", "none"),
        _ => ("Unknown", "none"),
    }
}

fn cadence_words(cadence: &str) -> &'static str {
    match cadence {
        "monthly" => "Monthly",
        "quarterly" => "Quarterly",
        "half_yearly" => "Every six months",
        "yearly" => "Yearly",
        _ => "Unknown",
    }
}

/// The review cadences, as the select offers them.
pub const CADENCES: [(&str, &str); 4] = [
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("half_yearly", "Every six months"),
    ("yearly", "Yearly"),
];

/// An agreement as the list shows it.
#[derive(Debug, Clone)]
pub struct AgreementRow {
    pub id: i64,
    pub provider: String,
    pub consumer: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub version: i64,
    pub in_force: String,
    pub review: String,
    pub review_overdue: bool,
}

impl AgreementRow {
    fn new(agreement: &AgreementView, directory: &Directory) -> Self {
        let (status, tone) = agreement_status_words(&agreement.status);
        AgreementRow {
            id: agreement.id,
            provider: directory.department_name(agreement.provider_department_id),
            consumer: directory.department_name(agreement.consumer_department_id),
            status,
            tone,
            version: agreement.current_version,
            in_force: agreement
                .agreed_version
                .map(|version| format!("version {version}"))
                .unwrap_or_else(|| "none yet".to_owned()),
            review: agreement
                .next_review_on
                .clone()
                .map(|next| format!("next by {next}"))
                .unwrap_or_else(|| "after it is agreed".to_owned()),
            review_overdue: agreement.review_overdue,
        }
    }
}

async fn all_agreements(state: &AppState, actor: &Actor) -> Result<Vec<AgreementView>, WebError> {
    let today = roundtable_app::input::today();
    Ok(agreements::all(&Caller::new(&state.store, actor))
        .await?
        .into_iter()
        .map(|agreement| api::view(agreement, today))
        .collect())
}

/// May the actor draft agreements at all: administrators, and leads of some department.
fn drafts_agreements(actor: &Actor, directory: &Directory) -> bool {
    actor.role == Role::Admin
        || directory
            .departments
            .iter()
            .any(|department| policy::leads(actor, department))
}

#[derive(Debug, Template)]
#[template(path = "agreements.html")]
pub struct AgreementsPage {
    layout: Layout,
    rows: Vec<AgreementRow>,
    can_draft: bool,
    departments: Vec<(i64, String)>,
    form: FormData,
    failed: ActionError,
}

impl AgreementsPage {
    pub fn chosen(&self, field: &str, id: &i64) -> bool {
        self.form.get(field) == id.to_string()
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct DraftQuery {
    provider: Option<i64>,
    consumer: Option<i64>,
}

async fn agreements_page(
    state: &AppState,
    viewer: &Viewer,
    form: FormData,
    failed: ActionError,
) -> Result<AgreementsPage, WebError> {
    let actor = &viewer.actor;
    let directory = Directory::load(&state.scoped(actor)).await?;
    let mut rows: Vec<AgreementRow> = all_agreements(state, actor)
        .await?
        .iter()
        .map(|agreement| AgreementRow::new(agreement, &directory))
        .collect();
    rows.sort_by(|a, b| {
        a.provider
            .cmp(&b.provider)
            .then(a.consumer.cmp(&b.consumer))
    });
    Ok(AgreementsPage {
        layout: Layout::new(viewer, "Agreements", "matrix"),
        rows,
        can_draft: drafts_agreements(actor, &directory),
        departments: directory.department_choices(),
        form,
        failed,
    })
}

/// `GET /agreements?provider=…&consumer=…`: every agreement, and the form to
/// draft one (for leads and administrators), prefilled from a matrix cell.
pub async fn show_agreements(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DraftQuery>,
) -> Result<Response, WebError> {
    let mut form = FormData::default();
    if let Some(provider) = query.provider {
        form.0
            .push(("provider_department_id".to_owned(), provider.to_string()));
    }
    if let Some(consumer) = query.consumer {
        form.0
            .push(("consumer_department_id".to_owned(), consumer.to_string()));
    }
    first_view(form, async |form, failed| {
        agreements_page(&state, &viewer, form, failed).await
    })
    .await
}

fn chosen_department(form: &FormData, field: &str, errors: &mut ValidationErrors) -> i64 {
    match form.get(field).trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => {
            errors.push(field, "choose a department");
            0
        }
    }
}

/// `POST /agreements`: drafts the agreement of a provider → consumer cell.
pub async fn draft_agreement(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let mut errors = ValidationErrors::new();
    let provider = chosen_department(&form, "provider_department_id", &mut errors);
    let consumer = chosen_department(&form, "consumer_department_id", &mut errors);
    let created = if errors.is_empty() {
        agreements::draft(
            &Caller::new(&state.store, &viewer.actor),
            Draft {
                provider_department_id: provider,
                consumer_department_id: consumer,
                notes: form.get("notes").to_owned(),
                ..Draft::default()
            },
        )
        .await
        .map(|agreement| agreement.id)
        .map_err(ApiError::from)
    } else {
        Err(ApiError::Validation(errors))
    };
    let success = match &created {
        Ok(id) => format!("/agreements/{id}"),
        Err(_) => "/agreements".to_owned(),
    };
    after_action(
        created,
        "draft",
        "the agreements",
        &success,
        async |failed| agreements_page(&state, &viewer, form, failed).await,
    )
    .await
}

/// One row of the obligations fieldset.
#[derive(Debug, Clone)]
pub struct ObligationRow {
    pub index: usize,
    pub description: String,
    pub days: String,
    pub description_error: Option<String>,
    pub days_error: Option<String>,
}

/// A service the agreement may name.
#[derive(Debug, Clone)]
pub struct ServiceChoice {
    pub id: i64,
    pub name: String,
    pub chosen: bool,
}

#[derive(Debug, Clone)]
pub struct VersionRow {
    pub number: i64,
    pub status: &'static str,
    pub services: String,
    pub obligations: Vec<String>,
    pub proposed: String,
    pub provider_accepted: String,
    pub consumer_accepted: String,
}

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub reviewed_on: String,
    pub version: i64,
    pub reviewer: String,
    pub notes: String,
}

#[derive(Debug, Template)]
#[template(path = "agreement.html")]
pub struct AgreementPage {
    layout: Layout,
    agreement: AgreementView,
    provider_id: i64,
    consumer_id: i64,
    provider: String,
    consumer: String,
    status: &'static str,
    tone: &'static str,
    cadence: &'static str,
    services: Vec<ServiceChoice>,
    obligations: Vec<ObligationRow>,
    cadences: [(&'static str, &'static str); 4],
    versions: Vec<VersionRow>,
    reviews: Vec<ReviewRow>,
    provider_accepted: Option<String>,
    consumer_accepted: Option<String>,
    /// The viewer may change, propose and review it (leads of either side, administrators).
    can_manage: bool,
    can_propose: bool,
    /// The sides the viewer may still accept for, in words ("Marketing").
    accepts_for: Vec<String>,
    can_review: bool,
    form: FormData,
    failed: ActionError,
}

impl AgreementPage {
    /// The value of a field: as sent when the change form was refused, else as stored.
    pub fn value(&self, field: &str) -> String {
        if self.failed.action == "change" {
            return self.form.get(field).to_owned();
        }
        match field {
            "notes" => self.agreement.current.notes.clone(),
            "review_cadence" => self.agreement.review_cadence.clone(),
            _ => String::new(),
        }
    }

    pub fn kept(&self, action: &str, field: &str) -> &str {
        self.failed.kept(action, &self.form, field)
    }
}

/// The obligation rows of the change form, with their errors (the API names
/// them `obligations[i].…` by the position among the rows sent).
fn obligation_rows(
    form_rows: &[(usize, String, String)],
    errors: &FieldErrors,
) -> Vec<ObligationRow> {
    let mut rows: Vec<ObligationRow> = form_rows
        .iter()
        .map(|(index, description, days)| ObligationRow {
            index: *index,
            description: description.clone(),
            days: days.clone(),
            description_error: errors
                .get(&format!("obligation-{index}.description"))
                .map(str::to_owned),
            days_error: errors
                .get(&format!("obligation-{index}.due_within_business_days"))
                .map(str::to_owned),
        })
        .collect();
    let next = rows.iter().map(|row| row.index + 1).max().unwrap_or(0);
    for index in next..next + SPARE_OBLIGATION_ROWS {
        rows.push(ObligationRow {
            index,
            description: String::new(),
            days: String::new(),
            description_error: None,
            days_error: None,
        });
    }
    rows
}

/// The obligation rows a change form sent: `(row, description, days)`,
/// leaving out rows left entirely blank.
fn sent_obligations(form: &FormData) -> Vec<(usize, String, String)> {
    (0..50)
        .filter_map(|index| {
            let description = form.get(&format!("obligation-{index}.description"));
            let days = form.get(&format!("obligation-{index}.due_within_business_days"));
            (!description.trim().is_empty() || !days.trim().is_empty())
                .then(|| (index, description.to_owned(), days.trim().to_owned()))
        })
        .collect()
}

/// Where every action on an agreement ends: back at the agreement (at
/// `anchor`), or its page again with the refusal at the form named `action`.
async fn after_agreement_action<T>(
    outcome: Result<T, ApiError>,
    action: &'static str,
    anchor: &str,
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: FormData,
) -> Result<Response, WebError> {
    after_action(
        outcome,
        action,
        "this agreement",
        &format!("/agreements/{id}{anchor}"),
        async |failed| agreement_page(state, viewer, id, form, failed).await,
    )
    .await
}

async fn agreement_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: FormData,
    failed: ActionError,
) -> Result<AgreementPage, WebError> {
    let actor = &viewer.actor;
    let scoped = state.scoped(actor);
    let caller = Caller::new(&state.store, actor);
    let agreement = api::view(
        agreements::get(&caller, id).await?,
        roundtable_app::input::today(),
    );
    let directory = Directory::load(&scoped).await?;
    let provider_department = scoped
        .department(roundtable_domain::ids::DepartmentId(
            agreement.provider_department_id,
        ))
        .await?;
    let consumer_department = scoped
        .department(roundtable_domain::ids::DepartmentId(
            agreement.consumer_department_id,
        ))
        .await?;
    let can_manage =
        policy::manage_agreement(actor, &provider_department, &consumer_department).is_ok();
    let mut services = every_page(|page| {
        scoped.list_services(
            ServiceFilter {
                provider_department_id: Some(provider_department.id),
                ..ServiceFilter::default()
            },
            page,
        )
    })
    .await?;
    services.sort_by(|a, b| a.name.cmp(&b.name));
    let refused_change = failed.action == "change";
    let chosen_services: Vec<i64> = if refused_change {
        form.0
            .iter()
            .filter(|(name, _)| name == "service_ids")
            .filter_map(|(_, value)| value.parse::<i64>().ok())
            .collect()
    } else {
        agreement.current.service_ids.clone()
    };
    let obligations = if refused_change {
        obligation_rows(&sent_obligations(&form), &failed.errors)
    } else {
        let stored: Vec<(usize, String, String)> = agreement
            .current
            .obligations
            .iter()
            .enumerate()
            .map(|(index, obligation)| {
                (
                    index,
                    obligation.description.clone(),
                    obligation
                        .due_within_business_days
                        .map(|days| days.to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        obligation_rows(&stored, &FieldErrors::default())
    };
    let service_name = |id: &i64| {
        services
            .iter()
            .find(|service| service.id == *id)
            .map(|service| service.name.clone())
            .unwrap_or_else(|| format!("Service {id}"))
    };
    let accepted = |who: Option<i64>, when: &Option<String>| {
        who.map(|who| {
            format!(
                "{}, {}",
                directory.person_name(Some(who)),
                when.as_deref().map(instant).unwrap_or_default()
            )
        })
    };
    let versions = agreements::versions(&caller, id).await?;
    let versions: Vec<VersionRow> = versions
        .into_iter()
        .rev()
        .map(api::AgreementVersionView::from)
        .map(|version| VersionRow {
            number: version.number,
            status: agreement_status_words(&version.status).0,
            services: if version.service_ids.is_empty() {
                "none".to_owned()
            } else {
                version
                    .service_ids
                    .iter()
                    .map(service_name)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            obligations: version.obligations.iter().map(obligation_words).collect(),
            proposed: accepted(version.proposed_by, &version.proposed_at)
                .unwrap_or_else(|| "not yet".to_owned()),
            provider_accepted: accepted(
                version.provider_accepted_by,
                &version.provider_accepted_at,
            )
            .unwrap_or_else(|| "not yet".to_owned()),
            consumer_accepted: accepted(
                version.consumer_accepted_by,
                &version.consumer_accepted_at,
            )
            .unwrap_or_else(|| "not yet".to_owned()),
        })
        .collect();
    let reviews = agreements::reviews(&caller, id)
        .await?
        .into_iter()
        .map(|review| ReviewRow {
            reviewed_on: review.reviewed_on.to_string(),
            version: review.version_number,
            reviewer: directory.person_name(review.reviewer_person_id.map(|person| person.0)),
            notes: review.notes,
        })
        .collect();
    let proposed = agreement.status == "proposed";
    let mut accepts_for = Vec::new();
    if proposed {
        if policy::leads(actor, &provider_department)
            && agreement.current.provider_accepted_by.is_none()
        {
            accepts_for.push(provider_department.name.clone());
        }
        if policy::leads(actor, &consumer_department)
            && agreement.current.consumer_accepted_by.is_none()
        {
            accepts_for.push(consumer_department.name.clone());
        }
    }
    let (status, tone) = agreement_status_words(&agreement.status);
    Ok(AgreementPage {
        layout: Layout::new(
            viewer,
            format!(
                "Agreement {} → {}",
                provider_department.name, consumer_department.name
            ),
            "matrix",
        ),
        provider_id: agreement.provider_department_id,
        consumer_id: agreement.consumer_department_id,
        provider: provider_department.name.clone(),
        consumer: consumer_department.name.clone(),
        status,
        tone,
        cadence: cadence_words(&agreement.review_cadence),
        services: services
            .iter()
            .filter(|service| service.active || chosen_services.contains(&service.id))
            .map(|service| ServiceChoice {
                id: service.id,
                name: service.name.clone(),
                chosen: chosen_services.contains(&service.id),
            })
            .collect(),
        obligations,
        cadences: CADENCES,
        versions,
        reviews,
        provider_accepted: accepted(
            agreement.current.provider_accepted_by,
            &agreement.current.provider_accepted_at,
        ),
        consumer_accepted: accepted(
            agreement.current.consumer_accepted_by,
            &agreement.current.consumer_accepted_at,
        ),
        can_propose: can_manage && agreement.status == "draft",
        can_review: can_manage && agreement.agreed_version.is_some(),
        can_manage,
        accepts_for,
        agreement,
        form,
        failed,
    })
}

fn obligation_words(obligation: &ObligationBody) -> String {
    match obligation.due_within_business_days {
        Some(days) => format!(
            "{} (within {days} business day{})",
            obligation.description,
            if days == 1 { "" } else { "s" }
        ),
        None => obligation.description.clone(),
    }
}

/// `GET /agreements/{id}`: an agreement with its services, obligations,
/// acceptances, versions and reviews, and the forms the viewer may use.
pub async fn show_agreement(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        agreement_page(&state, &viewer, id, form, failed).await
    })
    .await
}

fn form_version(form: &FormData) -> Option<i64> {
    form.get("version").parse::<i64>().ok()
}

/// `POST /agreements/{id}`: changes the services, obligations, cadence and
/// notes at the version the page was read at (an agreed agreement gets a new
/// version to be accepted again).
pub async fn change_agreement(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let rows = sent_obligations(&form);
    let mut errors = ValidationErrors::new();
    let obligations: Vec<ObligationInput> = rows
        .iter()
        .map(|(index, description, days)| ObligationInput {
            description: description.clone(),
            due_within_business_days: if days.is_empty() {
                None
            } else {
                match days.parse::<i64>() {
                    Ok(days) => Some(days),
                    Err(_) => {
                        errors.push(
                            format!("obligation-{index}.due_within_business_days"),
                            "must be a whole number of business days",
                        );
                        None
                    }
                }
            },
        })
        .collect();
    let outcome = match (errors.is_empty(), form_version(&form)) {
        (false, _) => Err(ApiError::Validation(errors)),
        (true, None) => Err(ApiError::PreconditionFailed { current_version: 0 }),
        (true, Some(version)) => agreements::change(
            &Caller::new(&state.store, &viewer.actor),
            id,
            Edit {
                review_cadence: Some(form.get("review_cadence").to_owned()),
                service_ids: Some(
                    form.0
                        .iter()
                        .filter(|(name, _)| name == "service_ids")
                        .filter_map(|(_, value)| value.parse::<i64>().ok())
                        .collect(),
                ),
                obligations: Some(obligations),
                notes: Some(form.get("notes").to_owned()),
                expected_version: version,
            },
        )
        .await
        .map(|_| ())
        // The use case names obligations by their position among those
        // sent; the form names them by their row.
        .map_err(|error| match error {
            AppError::Invalid(errors) => ApiError::Validation(errors_at_rows(
                errors,
                "obligations",
                "obligation",
                &rows.iter().map(|(row, _, _)| *row).collect::<Vec<_>>(),
            )),
            other => other.into(),
        }),
    };
    after_agreement_action(outcome, "change", "", &state, &viewer, id, form).await
}

/// `POST /agreements/{id}/propose`: puts the draft to both sides' leads.
pub async fn propose(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = agreements::propose(
        &Caller::new(&state.store, &viewer.actor),
        id,
        form_version(&form),
    )
    .await
    .map_err(ApiError::from);
    after_agreement_action(outcome, "propose", "", &state, &viewer, id, form).await
}

/// `POST /agreements/{id}/accept`: accepts the proposed version for the
/// side(s) the viewer leads.
pub async fn accept(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = agreements::accept(
        &Caller::new(&state.store, &viewer.actor),
        id,
        form_version(&form),
        roundtable_app::input::today(),
    )
    .await
    .map_err(ApiError::from);
    after_agreement_action(outcome, "accept", "", &state, &viewer, id, form).await
}

/// `POST /agreements/{id}/reviews`: records a review of the agreement in force.
pub async fn record_review(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = agreements::review(
        &Caller::new(&state.store, &viewer.actor),
        id,
        ReviewInput {
            reviewed_on: form.optional("reviewed_on"),
            notes: form.get("notes").to_owned(),
        },
        roundtable_app::input::today(),
    )
    .await
    .map_err(ApiError::from);
    after_agreement_action(
        outcome,
        "review",
        "#reviews-heading",
        &state,
        &viewer,
        id,
        form,
    )
    .await
}
