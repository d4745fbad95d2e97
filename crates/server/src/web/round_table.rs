//! The round table in the browser: topics (frustrations with their mirror,
//! assumptions with their answer, suggestions), votes, comments, sessions
//! and actions. Every read and change calls the use cases of `app::topics`,
//! `app::sessions` and `app::actions`, as `/api/v1/topics`,
//! `/api/v1/sessions` and `/api/v1/actions` do, so the mirror rule, one
//! vote per person and who may answer or move a topic are decided in one place.

use super::ActionError;
use super::directory::Directory;
use super::format::instant;
use super::objectives::{ActionRow, topic_kind_words};
use super::session::safe_next;
use super::{
    FieldErrors, FormData, Layout, PageId, SignedForm, Viewer, WebError, at_version, first_view,
    render, see_other,
};
use crate::AppState;
use crate::api::sessions::{ActionView, SessionView};
use crate::api::topics::TopicView;
use crate::extract::PageQuery;
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use roundtable_app::actions;
use roundtable_app::topics::{self, Answer, Edit, Raise};
use roundtable_app::{AppError, Caller, sessions};
use roundtable_domain::people::Role;
use roundtable_domain::round_table::{TopicKind, TopicStatus, check_answerable};
use roundtable_store::round_table::ActionFilter;

/// The pages of the round table: topics, sessions and actions.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/round-table", get(show_round_table).post(post_topic))
        .route("/topics/{id}", get(show_topic))
        .route("/topics/{id}/vote", post(vote))
        .route("/topics/{id}/comments", post(comment))
        .route("/topics/{id}/answer", post(answer))
        .route("/topics/{id}/status", post(move_topic))
        .route("/sessions", get(show_sessions))
        .route("/sessions/{id}", get(show_session))
        .route("/actions", get(show_actions))
}

/// A topic status in words, and the tone that colours it.
fn topic_status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "open" => ("Open", "warn"),
        "discussed" => ("Discussed", "done"),
        "action_planned" => ("Action planned", "done"),
        "resolved" => ("Resolved", "ok"),
        "parked" => ("Parked", "paused"),
        _ => ("Unknown", "none"),
    }
}

/// A topic as the list and its page show it.
#[derive(Debug, Clone)]
pub struct TopicRow {
    pub id: i64,
    pub kind: &'static str,
    pub is_frustration: bool,
    pub is_assumption: bool,
    pub title: String,
    pub body: String,
    pub mirror: Option<String>,
    pub from: String,
    pub about: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub votes: i64,
    pub voted: bool,
    pub comments: i64,
    pub author: String,
    /// The answer in words ("Confirmed", "Corrected") and its note.
    pub answer: Option<(&'static str, String)>,
    pub posted: String,
}

impl TopicRow {
    pub fn new(topic: &TopicView, directory: &Directory) -> Self {
        let (status, tone) = topic_status_words(&topic.status);
        TopicRow {
            id: topic.id,
            kind: topic_kind_words(&topic.kind),
            is_frustration: topic.kind == TopicKind::Frustration.as_str(),
            is_assumption: topic.kind == TopicKind::Assumption.as_str(),
            title: topic.title.clone(),
            body: topic.body.clone(),
            mirror: topic.mirror.clone(),
            from: topic.from_department_name.clone(),
            about: topic
                .about_department_name
                .clone()
                .unwrap_or_else(|| "the whole organization".to_owned()),
            status,
            tone,
            votes: topic.votes,
            voted: topic.voted,
            comments: topic.comments,
            author: match topic.author_person_id {
                Some(author) => directory.person_name(Some(author)),
                None => "anonymous (no author is stored)".to_owned(),
            },
            answer: topic.answer.as_ref().map(|answer| {
                (
                    if answer.answer == "confirmed" {
                        "Confirmed"
                    } else {
                        "Corrected"
                    },
                    answer.note.clone(),
                )
            }),
            posted: instant(&topic.created_at),
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TopicFilterQuery {
    kind: Option<String>,
    status: Option<String>,
    posted: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "round_table.html")]
pub struct RoundTablePage {
    layout: Layout,
    topics: Vec<TopicRow>,
    kind: String,
    status: String,
    /// The address of the next page of topics, if there is one.
    more: Option<String>,
    /// The topic just posted.
    posted: Option<i64>,
    /// This page's address, where votes return to.
    here: String,
    departments: Vec<(i64, String)>,
    /// Executives and administrators may speak for any department; people
    /// without a department must name one.
    chooses_department: bool,
    own_department: Option<(i64, String)>,
    form: FormData,
    errors: FieldErrors,
}

impl RoundTablePage {
    pub fn selected(&self, field: &str, value: &str) -> bool {
        self.form.get(field) == value
    }

    pub fn is_posted(&self, id: &i64) -> bool {
        self.posted == Some(*id)
    }

    /// The department the form speaks for: the one chosen, else the viewer's own.
    pub fn speaks_for(&self, id: &i64) -> bool {
        match self.form.get("from_department_id").parse::<i64>() {
            Ok(chosen) => chosen == *id,
            Err(_) => self.own_department.as_ref().map(|(own, _)| own) == Some(id),
        }
    }
}

fn filter_value(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

async fn round_table_page(
    state: &AppState,
    viewer: &Viewer,
    query: TopicFilterQuery,
    form: FormData,
    errors: FieldErrors,
) -> Result<RoundTablePage, WebError> {
    let actor = &viewer.actor;
    let scoped = state.scoped(actor);
    let directory = Directory::load(&scoped).await?;
    let kind = filter_value(query.kind);
    let status = filter_value(query.status);
    let filter = topics::filter(status.as_deref(), kind.as_deref(), None, None)
        .map_err(ApiError::Validation)?;
    let page = PageQuery {
        limit: Some(100),
        cursor: filter_value(query.cursor),
    }
    .to_page()?;
    let page = crate::extract::Page::from_listing(
        topics::list(&Caller::new(&state.store, actor), filter, page).await?,
        TopicView::from,
    );
    let kind = kind.unwrap_or_default();
    let status = status.unwrap_or_default();
    let filters = |cursor: Option<&str>| {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        if !kind.is_empty() {
            pairs.append_pair("kind", &kind);
        }
        if !status.is_empty() {
            pairs.append_pair("status", &status);
        }
        if let Some(cursor) = cursor {
            pairs.append_pair("cursor", cursor);
        }
        let text = pairs.finish();
        if text.is_empty() {
            "/round-table".to_owned()
        } else {
            format!("/round-table?{text}")
        }
    };
    let own_department = actor.department_id.map(|department| {
        (
            department.0,
            directory.department_name(department.0).to_owned(),
        )
    });
    Ok(RoundTablePage {
        layout: Layout::new(viewer, "Round table", "round_table"),
        topics: page
            .items
            .iter()
            .map(|topic| TopicRow::new(topic, &directory))
            .collect(),
        more: page
            .next_cursor
            .as_deref()
            .map(|cursor| filters(Some(cursor))),
        here: filters(None),
        posted: query
            .posted
            .and_then(|posted| posted.parse::<i64>().ok())
            .filter(|posted| *posted > 0),
        departments: directory.department_choices(),
        chooses_department: matches!(actor.role, Role::Admin | Role::Executive)
            || own_department.is_none(),
        own_department,
        kind,
        status,
        form,
        errors,
    })
}

/// `GET /round-table?kind=…&status=…`: the topics, filtered, and the form to raise one.
pub async fn show_round_table(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<TopicFilterQuery>,
) -> Result<Response, WebError> {
    let page = round_table_page(
        &state,
        &viewer,
        query,
        FormData::default(),
        FieldErrors::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /round-table`: raises a topic, checked as the API checks it (a
/// frustration without its mirror is refused at the mirror field); on a
/// problem the form comes back with every value kept.
pub async fn post_topic(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let input = Raise {
        kind: form.get("kind").to_owned(),
        title: form.get("title").to_owned(),
        body: form.get("body").to_owned(),
        mirror: form.optional("mirror"),
        from_department_id: form.get("from_department_id").trim().parse::<i64>().ok(),
        about_department_id: form.get("about_department_id").trim().parse::<i64>().ok(),
        anonymous: form.has("anonymous"),
        service_id: None,
        request_ids: Vec::new(),
    };
    let errors = match topics::raise(&Caller::new(&state.store, &viewer.actor), input).await {
        Ok(topic) => {
            return Ok(see_other(&format!(
                "/round-table?posted={0}#topic-{0}",
                topic.id
            )));
        }
        Err(AppError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let page = round_table_page(
        &state,
        &viewer,
        TopicFilterQuery::default(),
        form,
        errors.into(),
    )
    .await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(Debug, Template)]
#[template(path = "vote_fragment.html")]
pub struct VoteFragment {
    topic: TopicRow,
    csrf: String,
    next: String,
}

/// `POST /topics/{id}/vote`: votes (`vote=add`) or withdraws the vote
/// (`vote=withdraw`); one vote per person, so voting twice counts once.
/// htmx gets the refreshed vote form back; a plain form goes back to `next`.
pub async fn vote(
    State(state): State<AppState>,
    PageId(id): PageId,
    headers: HeaderMap,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let topic = TopicView::from(if form.get("vote") == "withdraw" {
        topics::withdraw_vote(&caller, id).await?
    } else {
        topics::vote(&caller, id).await?
    });
    let next = safe_next(form.get("next"));
    if headers.contains_key("hx-request") {
        let directory = Directory::load(&state.scoped(&viewer.actor)).await?;
        let fragment = VoteFragment {
            topic: TopicRow::new(&topic, &directory),
            csrf: viewer.csrf.clone(),
            next,
        };
        return Ok(render(StatusCode::OK, &fragment));
    }
    Ok(see_other(&format!("{next}#topic-{id}")))
}

#[derive(Debug, Clone)]
pub struct CommentRow {
    pub who: String,
    pub body: String,
    pub when: String,
}

#[derive(Debug, Clone)]
pub struct StatusButton {
    pub to: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Template)]
#[template(path = "topic.html")]
pub struct TopicPage {
    layout: Layout,
    /// Leads, executives and administrators add actions.
    can_run: bool,
    topic: TopicRow,
    version: i64,
    comments: Vec<CommentRow>,
    can_answer: bool,
    transitions: Vec<StatusButton>,
    actions: Vec<ActionRow>,
    here: String,
    form: FormData,
    failed: ActionError,
}

impl TopicPage {
    pub fn kept(&self, action: &str, field: &str) -> &str {
        self.failed.kept(action, &self.form, field)
    }
}

fn status_label(status: TopicStatus) -> &'static str {
    match status {
        TopicStatus::Open => "Reopen",
        TopicStatus::Discussed => "Mark as discussed",
        TopicStatus::ActionPlanned => "Mark as action planned",
        TopicStatus::Resolved => "Mark as resolved",
        TopicStatus::Parked => "Park it",
    }
}

/// Every action matching a filter, as the action rows show them.
async fn all_actions(
    state: &AppState,
    actor: &roundtable_store::auth::Actor,
    filter: ActionFilter,
) -> Result<Vec<ActionView>, AppError> {
    let today = actions::today();
    Ok(
        actions::all(&Caller::new(&state.store, actor), filter, today)
            .await?
            .into_iter()
            .map(|action| ActionView::new(action, today))
            .collect(),
    )
}

async fn topic_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: FormData,
    failed: ActionError,
) -> Result<TopicPage, WebError> {
    let actor = &viewer.actor;
    let caller = Caller::new(&state.store, actor);
    let seen = topics::get(&caller, id).await?;
    let stored = &seen.topic;
    let kind = stored.kind;
    let status = stored.status;
    let about = stored.about_department_id;
    let answered = stored.answer.is_some();
    let may_answer = topics::may_answer(actor, stored);
    let topic = TopicView::from(seen);
    let directory = Directory::load(&state.scoped(actor)).await?;
    let comments = topics::comments(&caller, id).await?;
    let actions = all_actions(
        state,
        actor,
        ActionFilter {
            topic_id: Some(id),
            ..ActionFilter::default()
        },
    )
    .await?;
    Ok(TopicPage {
        layout: Layout::new(viewer, topic.title.clone(), "round_table"),
        can_run: policy::run_round_table(actor).is_ok(),
        version: topic.version,
        topic: TopicRow::new(&topic, &directory),
        comments: comments
            .iter()
            .map(|comment| CommentRow {
                who: directory.person_name(Some(comment.author_person_id.0)),
                body: comment.body.clone(),
                when: instant(&comment.created_at.to_string()),
            })
            .collect(),
        can_answer: check_answerable(kind, about.is_some(), answered).is_ok() && may_answer,
        transitions: if policy::run_round_table(actor).is_ok() {
            TopicStatus::ALL
                .iter()
                .copied()
                .filter(|next| status.can_move_to(*next))
                .map(|next| StatusButton {
                    to: next.as_str(),
                    label: status_label(next),
                })
                .collect()
        } else {
            Vec::new()
        },
        actions: actions
            .iter()
            .map(|action| ActionRow::new(action, &directory))
            .collect(),
        here: format!("/topics/{id}"),
        form,
        failed,
    })
}

/// `GET /topics/{id}`: a topic with its mirror or answer, votes, comments and actions.
pub async fn show_topic(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        topic_page(&state, &viewer, id, form, failed).await
    })
    .await
}

/// After a topic's form: back to its page, or the page again with the
/// problem shown at that form.
async fn after_topic_action<T>(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    action: &'static str,
    form: FormData,
    outcome: Result<T, ApiError>,
) -> Result<Response, WebError> {
    super::after_action(
        outcome,
        action,
        "this topic",
        &format!("/topics/{id}"),
        async |failed| topic_page(state, viewer, id, form, failed).await,
    )
    .await
}

/// `POST /topics/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = topics::comment(
        &Caller::new(&state.store, &viewer.actor),
        id,
        form.get("body"),
    )
    .await
    .map_err(ApiError::from);
    after_topic_action(&state, &viewer, id, "comment", form, outcome).await
}

/// `POST /topics/{id}/answer`: the department an assumption is about
/// confirms it or corrects it with a note.
pub async fn answer(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = topics::answer(
        &Caller::new(&state.store, &viewer.actor),
        id,
        Answer {
            answer: form.get("answer").to_owned(),
            note: form.get("note").to_owned(),
        },
    )
    .await
    .map_err(ApiError::from);
    after_topic_action(&state, &viewer, id, "answer", form, outcome).await
}

/// `POST /topics/{id}/status`: moves a topic along its workflow (leads,
/// executives, administrators), at the version the page was read at.
pub async fn move_topic(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = at_version(&form, async |version| {
        topics::update(
            &Caller::new(&state.store, &viewer.actor),
            id,
            Edit {
                title: None,
                body: None,
                mirror: None,
                status: Some(form.get("to").to_owned()),
                expected_version: version,
            },
        )
        .await
    })
    .await;
    after_topic_action(&state, &viewer, id, "status", form, outcome).await
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub when: String,
    pub facilitator: String,
    pub topics: usize,
    pub has_outcomes: bool,
}

#[derive(Debug, Template)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    layout: Layout,
    /// Leads, executives and administrators schedule sessions.
    can_run: bool,
    upcoming: Vec<SessionRow>,
    past: Vec<SessionRow>,
}

/// `GET /sessions`: the round-table sessions, upcoming and held.
pub async fn show_sessions(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let actor = &viewer.actor;
    let mut sessions: Vec<SessionView> = sessions::all(&Caller::new(&state.store, actor))
        .await?
        .into_iter()
        .map(SessionView::from)
        .collect();
    sessions
        .sort_by_key(|session| std::cmp::Reverse(session.scheduled_at.parse::<Timestamp>().ok()));
    let directory = Directory::load(&state.scoped(actor)).await?;
    let now = Timestamp::now();
    let row = |session: &SessionView| SessionRow {
        id: session.id,
        when: instant(&session.scheduled_at),
        facilitator: directory.person_name(Some(session.facilitator_person_id)),
        topics: session.topic_ids.len(),
        has_outcomes: !session.outcomes.is_empty(),
    };
    let (mut upcoming, past): (Vec<&SessionView>, Vec<&SessionView>) =
        sessions.iter().partition(|session| {
            session
                .scheduled_at
                .parse::<Timestamp>()
                .is_ok_and(|at| at >= now)
        });
    upcoming.reverse();
    let page = SessionsPage {
        layout: Layout::new(&viewer, "Round-table sessions", "round_table"),
        can_run: policy::run_round_table(actor).is_ok(),
        upcoming: upcoming.into_iter().map(row).collect(),
        past: past.into_iter().map(row).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Template)]
#[template(path = "session.html")]
pub struct SessionPage {
    layout: Layout,
    /// Leads, executives and administrators record sessions and add actions.
    can_run: bool,
    session: SessionView,
    when: String,
    facilitator: String,
    agenda: Vec<TopicRow>,
    actions: Vec<ActionRow>,
}

/// `GET /sessions/{id}`: a session's agenda, facilitator, notes, outcomes and actions.
pub async fn show_session(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    let actor = &viewer.actor;
    let caller = Caller::new(&state.store, actor);
    let session = SessionView::from(sessions::get(&caller, id).await?);
    let directory = Directory::load(&state.scoped(actor)).await?;
    let mut agenda = Vec::new();
    for topic_id in &session.topic_ids {
        match topics::get(&caller, *topic_id).await {
            Ok(seen) => agenda.push(TopicRow::new(&TopicView::from(seen), &directory)),
            Err(AppError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let actions = all_actions(
        &state,
        actor,
        ActionFilter {
            session_id: Some(id),
            ..ActionFilter::default()
        },
    )
    .await?;
    let when = instant(&session.scheduled_at);
    let page = SessionPage {
        layout: Layout::new(&viewer, format!("Round table of {when}"), "round_table"),
        can_run: policy::run_round_table(actor).is_ok(),
        facilitator: directory.person_name(Some(session.facilitator_person_id)),
        agenda,
        actions: actions
            .iter()
            .map(|action| ActionRow::new(action, &directory))
            .collect(),
        when,
        session,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, serde::Deserialize)]
pub struct ActionsQuery {
    overdue: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "actions.html")]
pub struct ActionsPage {
    layout: Layout,
    /// Leads, executives and administrators add actions.
    can_run: bool,
    rows: Vec<ActionRow>,
    overdue_only: bool,
    overdue: usize,
}

/// `GET /actions?overdue=true`: every action (or only the overdue ones),
/// overdue ones marked in words.
pub async fn show_actions(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ActionsQuery>,
) -> Result<Response, WebError> {
    let overdue_only = matches!(query.overdue.as_deref(), Some("true" | "on" | "1"));
    let actor = &viewer.actor;
    let actions = all_actions(
        &state,
        actor,
        ActionFilter {
            overdue: overdue_only.then_some(true),
            ..ActionFilter::default()
        },
    )
    .await?;
    let directory = Directory::load(&state.scoped(actor)).await?;
    let mut rows: Vec<ActionRow> = actions
        .iter()
        .map(|action| ActionRow::new(action, &directory))
        .collect();
    rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due_on.cmp(&b.due_on)));
    let page = ActionsPage {
        layout: Layout::new(&viewer, "Actions", "round_table"),
        can_run: policy::run_round_table(actor).is_ok(),
        overdue: rows.iter().filter(|row| row.overdue).count(),
        rows,
        overdue_only,
    };
    Ok(render(StatusCode::OK, &page))
}
