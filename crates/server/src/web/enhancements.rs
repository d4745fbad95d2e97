//! Enhancements in the browser: mutual improvements proposed by two or more
//! departments for an objective and put to an executive. The list, the
//! proposal form and every step are the use cases of `app::enhancements`,
//! the same the API calls, so only an executive can sponsor or decline, only
//! the proposing departments' leads confirm, start and deliver, a decline
//! needs its reason and a step the workflow refuses is refused with its words.

use super::ActionError;
use super::directory::Directory;
use super::objectives::all_objectives;
use super::{FormData, Layout, SignedForm, Viewer, WebError, at_version, first_view, see_other};
use crate::AppState;
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use roundtable_app::Caller;
use roundtable_app::enhancements::{self, Proposal, Step};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_domain::round_table::EnhancementStatus;

/// The enhancement pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/enhancements", get(show_enhancements).post(propose))
        .route("/enhancements/{id}", get(show_enhancement))
        .route("/enhancements/{id}/sponsor", post(sponsor))
        .route("/enhancements/{id}/confirm", post(confirm))
        .route("/enhancements/{id}/status", post(advance))
        // Notifications written before 2026-12 linked here.
        .route("/round-table/enhancements/{id}", get(show_enhancement))
        .route("/round-table/topics/{id}", get(old_topic_link))
        .route("/round-table/actions/{id}", get(old_action_link))
}

/// A redirect to the page of record `id`, for addresses that name it elsewhere.
fn to_page_of(id: &str, page: impl Fn(i64) -> String) -> Result<Response, WebError> {
    Ok(see_other(&page(enhancement_id(id)?)))
}

/// `GET /enhancements/{id}`: the enhancement in the list, where its steps are.
async fn show_enhancement(Path(id): Path<String>) -> Result<Response, WebError> {
    to_page_of(&id, |id| format!("/enhancements#enhancement-{id}"))
}

async fn old_topic_link(Path(id): Path<String>) -> Result<Response, WebError> {
    to_page_of(&id, |id| format!("/topics/{id}"))
}

async fn old_action_link(Path(id): Path<String>) -> Result<Response, WebError> {
    to_page_of(&id, |id| format!("/actions/{id}"))
}

fn status_words(status: EnhancementStatus) -> (&'static str, &'static str) {
    match status {
        EnhancementStatus::Proposed => ("Proposed", "warn"),
        EnhancementStatus::Sponsored => ("Sponsored", "done"),
        EnhancementStatus::InProgress => ("In progress", "done"),
        EnhancementStatus::Delivered => ("Delivered", "ok"),
        EnhancementStatus::Declined => ("Declined", "paused"),
    }
}

#[derive(Debug, Clone)]
pub struct StepButton {
    pub to: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone)]
pub struct EnhancementRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub objective: String,
    pub departments: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub sponsor: Option<String>,
    pub decline_reason: Option<String>,
    pub proposed_by: String,
    /// The proposing departments that have not confirmed yet, by name.
    pub awaiting: String,
    pub version: i64,
    /// A lead of a proposing department that has not confirmed yet.
    pub can_confirm: bool,
    /// Only an executive sponsors, and only a proposed enhancement that
    /// every proposing department confirmed.
    pub can_sponsor: bool,
    /// Declining is shown to executives, to whom enhancements are put.
    pub can_decline: bool,
    pub steps: Vec<StepButton>,
}

#[derive(Debug, Template)]
#[template(path = "enhancements.html")]
pub struct EnhancementsPage {
    layout: Layout,
    rows: Vec<EnhancementRow>,
    can_propose: bool,
    objectives: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    form: FormData,
    /// `propose` for the proposal form, `enhancement-{id}` for one enhancement's forms.
    failed: ActionError,
    failed_id: i64,
}

impl EnhancementsPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        if self.failed.action == "propose" {
            self.failed.errors.get(field)
        } else {
            None
        }
    }

    /// The first problem with the proposing departments, whichever one it names.
    pub fn departments_error(&self) -> Option<&str> {
        if self.failed.action != "propose" {
            return None;
        }
        self.failed
            .errors
            .0
            .iter()
            .find(|(field, _)| field.starts_with("department_ids"))
            .map(|(_, message)| message.as_str())
    }

    pub fn kept(&self, field: &str) -> &str {
        if self.failed.action == "propose" {
            self.form.get(field)
        } else {
            ""
        }
    }

    pub fn chosen(&self, field: &str, value: &i64) -> bool {
        let value = value.to_string();
        self.failed.action == "propose"
            && self
                .form
                .0
                .iter()
                .any(|(name, given)| name == field && *given == value)
    }

    /// The problem with one enhancement's step, shown next to it.
    pub fn message_for(&self, id: &i64) -> Option<&str> {
        if self.failed.action == "step" && self.failed_id == *id {
            self.failed.message.as_deref()
        } else {
            None
        }
    }

    pub fn reason_error(&self, id: &i64) -> Option<&str> {
        if self.failed.action == "step" && self.failed_id == *id {
            self.failed.errors.get("reason")
        } else {
            None
        }
    }

    pub fn kept_reason(&self, id: &i64) -> &str {
        if self.failed.action == "step" && self.failed_id == *id {
            self.form.get("reason")
        } else {
            ""
        }
    }
}

async fn enhancements_page(
    state: &AppState,
    viewer: &Viewer,
    form: FormData,
    failed: ActionError,
    failed_id: i64,
) -> Result<EnhancementsPage, WebError> {
    let actor = &viewer.actor;
    let directory = Directory::load(&state.scoped(actor)).await?;
    let mut objectives = all_objectives(state, actor, None).await?;
    objectives.sort_by(|a, b| {
        b.period_start
            .cmp(&a.period_start)
            .then(a.title.cmp(&b.title))
    });
    let executive = actor.role == Role::Executive;
    let runs_round_table = policy::run_round_table(actor).is_ok();
    let caller = Caller::new(&state.store, actor);
    let mut rows = Vec::new();
    for enhancement in enhancements::all(&caller).await?.into_iter().rev() {
        let led: Vec<DepartmentId> = directory
            .departments
            .iter()
            .filter(|department| {
                enhancement.department_ids.contains(&department.id)
                    && policy::leads(actor, department)
            })
            .map(|department| department.id)
            .collect();
        let status = enhancement.status;
        let (status_text, tone) = status_words(status);
        let awaiting = enhancement.awaiting_confirmation();
        let awaiting_confirmation = status == EnhancementStatus::Proposed && !awaiting.is_empty();
        let names = |ids: &[DepartmentId]| {
            ids.iter()
                .map(|id| directory.department_name(id.0))
                .collect::<Vec<_>>()
                .join(", ")
        };
        rows.push(EnhancementRow {
            id: enhancement.id,
            objective: objectives
                .iter()
                .find(|objective| objective.id == enhancement.objective_id)
                .map(|objective| format!("{} ({})", objective.title, objective.period))
                .unwrap_or_else(|| format!("Objective {}", enhancement.objective_id)),
            departments: names(&enhancement.department_ids),
            status: status_text,
            tone,
            sponsor: enhancement
                .sponsor_person_id
                .map(|person| directory.person_name(Some(person.0))),
            proposed_by: match enhancement.proposed_by {
                Some(person) => directory.person_name(Some(person.0)),
                None => "unknown".to_owned(),
            },
            awaiting: if awaiting_confirmation {
                names(&awaiting)
            } else {
                String::new()
            },
            can_confirm: awaiting_confirmation
                && led.iter().any(|department| awaiting.contains(department)),
            can_sponsor: executive
                && !awaiting_confirmation
                && status.can_move_to(EnhancementStatus::Sponsored),
            can_decline: executive && status.can_move_to(EnhancementStatus::Declined),
            steps: if led.is_empty() {
                Vec::new()
            } else {
                [
                    (EnhancementStatus::InProgress, "Start the work"),
                    (EnhancementStatus::Delivered, "Mark as delivered"),
                ]
                .into_iter()
                .filter(|(next, _)| status.can_move_to(*next))
                .map(|(next, label)| StepButton {
                    to: next.as_str(),
                    label,
                })
                .collect()
            },
            version: enhancement.version,
            title: enhancement.title,
            description: enhancement.description,
            decline_reason: enhancement.decline_reason,
        });
    }
    Ok(EnhancementsPage {
        layout: Layout::new(viewer, "Enhancements", "round_table"),
        rows,
        can_propose: runs_round_table,
        objectives: objectives
            .iter()
            .map(|objective| {
                (
                    objective.id,
                    format!("{} ({})", objective.title, objective.period),
                )
            })
            .collect(),
        departments: directory.department_choices(),
        form,
        failed,
        failed_id,
    })
}

/// `GET /enhancements`: every enhancement with the steps the viewer may take,
/// and the proposal form for those who may propose.
pub async fn show_enhancements(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        enhancements_page(&state, &viewer, form, failed, 0).await
    })
    .await
}

/// The page again after a refused form, with the problem where it belongs.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    action: &'static str,
    id: i64,
    form: FormData,
    error: ApiError,
) -> Result<Response, WebError> {
    super::after_action(
        Err::<(), _>(error),
        action,
        "this enhancement",
        "/enhancements",
        async |failed| enhancements_page(state, viewer, form, failed, id).await,
    )
    .await
}

/// `POST /enhancements`: proposes an enhancement from two or more departments.
pub async fn propose(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let objective = form.get("objective_id").trim().parse::<i64>().ok();
    let department_ids = form
        .0
        .iter()
        .filter(|(name, _)| name == "department_ids")
        .filter_map(|(_, value)| value.trim().parse::<i64>().ok())
        .collect();
    let outcome = enhancements::propose(
        &Caller::new(&state.store, &viewer.actor),
        Proposal {
            objective_id: objective.unwrap_or(0),
            title: form.get("title").to_owned(),
            description: form.get("description").to_owned(),
            department_ids,
        },
    )
    .await
    .map_err(ApiError::from);
    match outcome {
        Ok(_) => Ok(see_other("/enhancements")),
        Err(ApiError::Validation(mut errors)) => {
            if objective.is_none() {
                for error in errors.0.iter_mut() {
                    if error.field == "objective_id" {
                        error.message = "choose the objective it serves".to_owned();
                    }
                }
            }
            refused(
                &state,
                &viewer,
                "propose",
                0,
                form,
                ApiError::Validation(errors),
            )
            .await
        }
        Err(error) => refused(&state, &viewer, "propose", 0, form, error).await,
    }
}

fn enhancement_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)
}

/// `POST /enhancements/{id}/sponsor`: an executive sponsors it; anyone else is refused.
pub async fn sponsor(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = enhancement_id(&id)?;
    match enhancements::sponsor(&Caller::new(&state.store, &viewer.actor), id)
        .await
        .map_err(ApiError::from)
    {
        Ok(_) => Ok(see_other(&format!("/enhancements#enhancement-{id}"))),
        Err(ApiError::NotFound) => Err(WebError::NotFound),
        Err(error) => refused(&state, &viewer, "step", id, form, error).await,
    }
}

/// `POST /enhancements/{id}/confirm`: a lead confirms for the proposing
/// departments they lead.
pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = enhancement_id(&id)?;
    match enhancements::confirm(&Caller::new(&state.store, &viewer.actor), id)
        .await
        .map_err(ApiError::from)
    {
        Ok(_) => Ok(see_other(&format!("/enhancements#enhancement-{id}"))),
        Err(ApiError::NotFound) => Err(WebError::NotFound),
        Err(error) => refused(&state, &viewer, "step", id, form, error).await,
    }
}

/// `POST /enhancements/{id}/status`: starts, delivers or declines (with a
/// reason) an enhancement, at the version the page was read at.
pub async fn advance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = enhancement_id(&id)?;
    let declining = form.get("to") == EnhancementStatus::Declined.as_str();
    let outcome = at_version(&form, async |version| {
        enhancements::advance(
            &Caller::new(&state.store, &viewer.actor),
            id,
            Step {
                status: form.get("to").to_owned(),
                reason: if declining {
                    Some(form.get("reason").to_owned())
                } else {
                    None
                },
                expected_version: Some(version),
            },
        )
        .await
    })
    .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/enhancements#enhancement-{id}"))),
        Err(ApiError::NotFound) => Err(WebError::NotFound),
        Err(error) => refused(&state, &viewer, "step", id, form, error).await,
    }
}
