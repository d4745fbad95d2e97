//! The forms that run the round table and the alignment reviews: scheduling
//! a session and recording its notes and outcomes, starting a review and
//! recording its decisions, and adding actions (with an owner and a due date)
//! and moving them along. Each form has its own page, linked from the
//! session, review, topic and action lists for those allowed to use it,
//! and calls the use cases of `app::sessions`, `app::actions` and
//! `app::reviews`, as `/api/v1/sessions`, `/api/v1/actions` and
//! `/api/v1/reviews` do.

use super::directory::Directory;
use super::objectives::ActionRow;
use super::requests::reader_instant;
use super::{
    ActionError, FormData, Layout, PageId, SignedForm, Viewer, WebError, after_action, at_version,
    first_view, valid_at_version,
};
use crate::AppState;
use crate::api::sessions::{ActionView, SessionView};
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use roundtable_app::actions::{self, Assign, Progress};
use roundtable_app::reviews::{self, Minutes, Opening};
use roundtable_app::sessions::{self, Record, Schedule};
use roundtable_app::{AppError, Caller};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::PersonId;
use roundtable_store::auth::Actor;

/// The pages of the round table's and the reviews' forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/sessions/new",
            get(show_new_session).post(schedule_session),
        )
        .route(
            "/sessions/{id}/record",
            get(show_session_record).post(record_session),
        )
        .route("/reviews/new", get(show_new_review).post(start_review))
        .route(
            "/reviews/{id}/record",
            get(show_review_record).post(record_review),
        )
        .route("/actions/new", get(show_new_action).post(add_action))
        .route("/actions/{id}", get(show_action).post(change_action))
}

fn people(directory: &Directory) -> Vec<(i64, String)> {
    directory
        .people_by_name()
        .into_iter()
        .filter(|person| person.active)
        .map(|person| (person.id.0, person.name.clone()))
        .collect()
}

/// A `datetime-local` value as the API's instant, or the problem at `field`.
fn instant_field(form: &FormData, field: &str, errors: &mut ValidationErrors) -> String {
    match reader_instant(form.get(field)) {
        Some(instant) => instant,
        None => {
            errors.push(field, "enter a date and time");
            String::new()
        }
    }
}

/// The form's value for a `datetime-local` input from a stored instant.
fn local_value(text: &str) -> String {
    text.parse::<jiff::Timestamp>()
        .map(|at| {
            at.to_zoned(crate::web::format::reader_zone())
                .strftime("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

#[derive(Debug, Template)]
#[template(path = "session_form.html")]
pub struct SessionFormPage {
    layout: Layout,
    /// `None` when scheduling a new session.
    session_id: Option<i64>,
    people: Vec<(i64, String)>,
    form: FormData,
    failed: ActionError,
}

impl SessionFormPage {
    pub fn chosen(&self, id: &i64) -> bool {
        self.form.get("facilitator_person_id") == id.to_string()
    }
}

async fn session_form(
    state: &AppState,
    viewer: &Viewer,
    session_id: Option<i64>,
    form: FormData,
    failed: ActionError,
) -> Result<SessionFormPage, WebError> {
    policy::run_round_table(&viewer.actor)?;
    let directory = Directory::load(&state.scoped(&viewer.actor)).await?;
    let title = match session_id {
        Some(_) => "Record the session",
        None => "Schedule a round-table session",
    };
    Ok(SessionFormPage {
        layout: Layout::new(viewer, title, "round_table"),
        session_id,
        people: people(&directory),
        form,
        failed,
    })
}

/// `GET /sessions/new`: the form to schedule a session (leads, executives, administrators).
pub async fn show_new_session(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        session_form(&state, &viewer, None, form, failed).await
    })
    .await
}

/// `POST /sessions/new`: schedules a session; its agenda is drawn from the
/// top-voted open topics, and without a named facilitator the API picks the
/// lead who facilitated longest ago.
pub async fn schedule_session(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let mut errors = ValidationErrors::new();
    let scheduled_at = instant_field(&form, "scheduled_at", &mut errors);
    let agenda_size = match form.get("agenda_size").trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(size) => Some(size),
            Err(_) => {
                errors.push("agenda_size", "enter a whole number of topics");
                None
            }
        },
    };
    let outcome = if errors.is_empty() {
        sessions::schedule(
            &Caller::new(&state.store, &viewer.actor),
            Schedule {
                scheduled_at,
                facilitator_person_id: form.get("facilitator_person_id").trim().parse::<i64>().ok(),
                topic_ids: None,
                agenda_size,
                notes: form.get("notes").to_owned(),
            },
        )
        .await
        .map(|session| format!("/sessions/{}", session.id))
        .map_err(ApiError::from)
    } else {
        Err(ApiError::Validation(errors))
    };
    let location = outcome.as_deref().unwrap_or("/sessions").to_owned();
    after_action(
        outcome,
        "session",
        "the sessions",
        &location,
        async |failed| session_form(&state, &viewer, None, form, failed).await,
    )
    .await
}

/// `GET /sessions/{id}/record`: the session's notes, outcomes, time and facilitator, to change.
pub async fn show_session_record(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    policy::run_round_table(&viewer.actor)?;
    let session =
        SessionView::from(sessions::get(&Caller::new(&state.store, &viewer.actor), id).await?);
    let form = FormData(vec![
        (
            "scheduled_at".to_owned(),
            local_value(&session.scheduled_at),
        ),
        (
            "facilitator_person_id".to_owned(),
            session.facilitator_person_id.to_string(),
        ),
        ("notes".to_owned(), session.notes.clone()),
        ("outcomes".to_owned(), session.outcomes.clone()),
        ("version".to_owned(), session.version.to_string()),
    ]);
    first_view(form, async |form, failed| {
        session_form(&state, &viewer, Some(id), form, failed).await
    })
    .await
}

/// `POST /sessions/{id}/record`: saves notes and outcomes at the version read.
pub async fn record_session(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let mut errors = ValidationErrors::new();
    let scheduled_at = instant_field(&form, "scheduled_at", &mut errors);
    let outcome = valid_at_version(&form, errors, async |version| {
        sessions::record(
            &Caller::new(&state.store, &viewer.actor),
            id,
            Record {
                scheduled_at: Some(scheduled_at),
                facilitator_person_id: form.get("facilitator_person_id").trim().parse::<i64>().ok(),
                notes: Some(form.get("notes").to_owned()),
                outcomes: Some(form.get("outcomes").to_owned()),
                expected_version: version,
            },
        )
        .await
    })
    .await;
    after_action(
        outcome,
        "session",
        "this session",
        &format!("/sessions/{id}"),
        async |failed| session_form(&state, &viewer, Some(id), form, failed).await,
    )
    .await
}

#[derive(Debug, Template)]
#[template(path = "review_form.html")]
pub struct ReviewFormPage {
    layout: Layout,
    /// `None` when starting a new review; else the review and its period.
    review: Option<(i64, String)>,
    form: FormData,
    failed: ActionError,
}

async fn review_form(
    viewer: &Viewer,
    review: Option<(i64, String)>,
    form: FormData,
    failed: ActionError,
) -> Result<ReviewFormPage, WebError> {
    policy::steer_objectives(&viewer.actor)?;
    let title = match &review {
        Some((_, period)) => format!("Record the alignment review {period}"),
        None => "Start an alignment review".to_owned(),
    };
    Ok(ReviewFormPage {
        layout: Layout::new(viewer, title, "objectives"),
        review,
        form,
        failed,
    })
}

/// `GET /reviews/new`: the form to start a review (executives, administrators).
pub async fn show_new_review(viewer: Viewer) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        review_form(&viewer, None, form, failed).await
    })
    .await
}

/// `POST /reviews/new`: starts the review of a period; its agenda is generated from the data.
pub async fn start_review(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = reviews::open(
        &Caller::new(&state.store, &viewer.actor),
        Opening {
            period: form.get("period").trim().to_owned(),
            held_on: form.optional("held_on"),
            decisions: form.lines("decisions"),
        },
    )
    .await
    .map(|review| format!("/reviews/{}", review.id))
    .map_err(ApiError::from);
    let location = outcome.as_deref().unwrap_or("/reviews").to_owned();
    after_action(
        outcome,
        "review",
        "the reviews",
        &location,
        async |failed| review_form(&viewer, None, form, failed).await,
    )
    .await
}

/// `GET /reviews/{id}/record`: the review's date and decisions, to record.
pub async fn show_review_record(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    policy::steer_objectives(&viewer.actor)?;
    let review = reviews::get(&Caller::new(&state.store, &viewer.actor), id).await?;
    let form = FormData(vec![
        (
            "held_on".to_owned(),
            review
                .held_on
                .map(|day| day.to_string())
                .unwrap_or_default(),
        ),
        ("decisions".to_owned(), review.decisions.join("\n")),
        ("version".to_owned(), review.version.to_string()),
    ]);
    first_view(form, async |form, failed| {
        review_form(&viewer, Some((id, review.period.to_string())), form, failed).await
    })
    .await
}

/// `POST /reviews/{id}/record`: saves the date held and the decisions (one a line).
pub async fn record_review(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let review = reviews::get(&caller, id).await?;
    let period = review.period.to_string();
    let outcome = at_version(&form, async |version| {
        reviews::record(
            &caller,
            id,
            Minutes {
                held_on: Some(form.optional("held_on")),
                decisions: Some(form.lines("decisions")),
                expected_version: version,
            },
        )
        .await
    })
    .await;
    after_action(
        outcome,
        "review",
        "this review",
        &format!("/reviews/{id}"),
        async |failed| review_form(&viewer, Some((id, period)), form, failed).await,
    )
    .await
}

/// Where an action comes from: a topic, a session or a review.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ActionOrigin {
    topic_id: Option<i64>,
    session_id: Option<i64>,
    review_id: Option<i64>,
}

impl ActionOrigin {
    fn from_form(form: &FormData) -> Self {
        let id = |field: &str| form.get(field).trim().parse::<i64>().ok();
        ActionOrigin {
            topic_id: id("topic_id"),
            session_id: id("session_id"),
            review_id: id("review_id"),
        }
    }

    /// The page the action belongs to.
    fn page(&self) -> String {
        match (self.topic_id, self.session_id, self.review_id) {
            (Some(topic), _, _) => format!("/topics/{topic}"),
            (_, Some(session), _) => format!("/sessions/{session}"),
            (_, _, Some(review)) => format!("/reviews/{review}"),
            _ => "/actions".to_owned(),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "action_form.html")]
pub struct ActionFormPage {
    layout: Layout,
    /// The action being changed, or `None` for a new one.
    action: Option<ActionRow>,
    origin: ActionOrigin,
    back: String,
    people: Vec<(i64, String)>,
    /// The viewer may change the action (its owner, leads, executives, administrators).
    can_change: bool,
    statuses: [(&'static str, &'static str); 4],
    form: FormData,
    failed: ActionError,
}

impl ActionFormPage {
    pub fn chosen(&self, id: &i64) -> bool {
        self.form.get("owner_person_id") == id.to_string()
    }
}

const STATUSES: [(&str, &str); 4] = [
    ("open", "Open"),
    ("in_progress", "In progress"),
    ("done", "Done"),
    ("dropped", "Dropped"),
];

async fn action_form(
    state: &AppState,
    viewer: &Viewer,
    action: Option<&ActionView>,
    origin: ActionOrigin,
    form: FormData,
    failed: ActionError,
) -> Result<ActionFormPage, WebError> {
    let actor = &viewer.actor;
    let can_change = match action {
        Some(action) => may_change(actor, action),
        None => {
            policy::run_round_table(actor)?;
            true
        }
    };
    let directory = Directory::load(&state.scoped(actor)).await?;
    let title = match action {
        Some(action) => format!("Action: {}", action.title),
        None => "Add an action".to_owned(),
    };
    Ok(ActionFormPage {
        layout: Layout::new(viewer, title, "round_table"),
        action: action.map(|action| ActionRow::new(action, &directory)),
        back: origin.page(),
        origin,
        people: people(&directory),
        can_change,
        statuses: STATUSES,
        form,
        failed,
    })
}

/// An action's owner moves it along; so do leads, executives and administrators.
fn may_change(actor: &Actor, action: &ActionView) -> bool {
    actions::may_change(actor, PersonId(action.owner_person_id)).is_ok()
}

/// `GET /actions/new?session_id=…` (or `topic_id`, `review_id`): the form to add an action.
pub async fn show_new_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(origin): Query<ActionOrigin>,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        action_form(&state, &viewer, None, origin, form, failed).await
    })
    .await
}

/// `POST /actions/new`: adds an action with an owner and a due date.
pub async fn add_action(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let origin = ActionOrigin::from_form(&form);
    let mut errors = ValidationErrors::new();
    let owner = match form.get("owner_person_id").trim().parse::<i64>() {
        Ok(owner) => owner,
        Err(_) => {
            errors.push("owner_person_id", "choose who owns it");
            0
        }
    };
    let outcome = if errors.is_empty() {
        actions::assign(
            &Caller::new(&state.store, &viewer.actor),
            Assign {
                title: form.get("title").to_owned(),
                owner_person_id: owner,
                due_on: form.get("due_on").trim().to_owned(),
                topic_id: origin.topic_id,
                session_id: origin.session_id,
                review_id: origin.review_id,
            },
        )
        .await
        .map(|_| ())
        .map_err(ApiError::from)
    } else {
        Err(ApiError::Validation(errors))
    };
    let back = origin.page();
    after_action(outcome, "action", "the actions", &back, async |failed| {
        action_form(&state, &viewer, None, origin, form, failed).await
    })
    .await
}

fn form_of(action: &ActionView) -> FormData {
    FormData(vec![
        ("title".to_owned(), action.title.clone()),
        (
            "owner_person_id".to_owned(),
            action.owner_person_id.to_string(),
        ),
        ("due_on".to_owned(), action.due_on.clone()),
        ("status".to_owned(), action.status.clone()),
        ("version".to_owned(), action.version.to_string()),
    ])
}

fn origin_of(action: &ActionView) -> ActionOrigin {
    ActionOrigin {
        topic_id: action.topic_id,
        session_id: action.session_id,
        review_id: action.review_id,
    }
}

async fn read_action(state: &AppState, actor: &Actor, id: i64) -> Result<ActionView, AppError> {
    let action = actions::get(&Caller::new(&state.store, actor), id).await?;
    Ok(ActionView::new(action, actions::today()))
}

/// The form of an existing action, back to where it came from.
async fn existing_action_form(
    state: &AppState,
    viewer: &Viewer,
    action: &ActionView,
    form: FormData,
    failed: ActionError,
) -> Result<ActionFormPage, WebError> {
    action_form(state, viewer, Some(action), origin_of(action), form, failed).await
}

/// `GET /actions/{id}`: an action, and for its owner (and leads, executives,
/// administrators) the form to move it along.
pub async fn show_action(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    let action = read_action(&state, &viewer.actor, id).await?;
    first_view(form_of(&action), async |form, failed| {
        existing_action_form(&state, &viewer, &action, form, failed).await
    })
    .await
}

/// `POST /actions/{id}`: changes its status (done records the date), owner,
/// due date or title at the version read.
pub async fn change_action(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let action = read_action(&state, &viewer.actor, id).await?;
    let outcome = at_version(&form, async |version| {
        actions::update(
            &Caller::new(&state.store, &viewer.actor),
            id,
            Progress {
                title: Some(form.get("title").to_owned()),
                owner_person_id: form.get("owner_person_id").trim().parse::<i64>().ok(),
                due_on: Some(form.get("due_on").trim().to_owned()),
                status: Some(form.get("status").to_owned()),
                expected_version: version,
            },
            actions::today(),
        )
        .await
    })
    .await;
    let back = origin_of(&action).page();
    after_action(outcome, "action", "this action", &back, async |failed| {
        existing_action_form(&state, &viewer, &action, form, failed).await
    })
    .await
}
