//! Alignment reviews: the list, and one review with its generated agenda of
//! matrix cells, topics and actions.

use super::*;

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: i64,
    pub period: String,
    pub held_on: String,
    pub decisions: usize,
    pub actions: usize,
    pub overdue: usize,
}

#[derive(Debug, Template)]
#[template(path = "reviews.html")]
pub struct ReviewsPage {
    pub(super) layout: Layout,
    /// Executives and administrators start reviews.
    pub(super) can_steer: bool,
    pub(super) reviews: Vec<ReviewRow>,
}

/// `GET /reviews`: the alignment reviews, newest period first.
pub async fn show_reviews(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let mut reviews: Vec<ReviewView> = Vec::new();
    for review in app_reviews::all(&Caller::new(&state.store, &viewer.actor)).await? {
        reviews.push(review_view(&state, &viewer.actor, review).await?);
    }
    reviews.sort_by(|a, b| {
        b.period_start
            .cmp(&a.period_start)
            .then(a.period_end.cmp(&b.period_end))
            .then(b.id.cmp(&a.id))
    });
    let page = ReviewsPage {
        layout: Layout::new(&viewer, "Alignment reviews", "objectives"),
        can_steer: policy::steer_objectives(&viewer.actor).is_ok(),
        reviews: reviews
            .iter()
            .map(|review| ReviewRow {
                id: review.id,
                period: review.period.clone(),
                held_on: review
                    .held_on
                    .clone()
                    .unwrap_or_else(|| "not held yet".to_owned()),
                decisions: review.decisions.len(),
                actions: review.actions.len(),
                overdue: review
                    .actions
                    .iter()
                    .filter(|action| action.overdue)
                    .count(),
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// A matrix cell the agenda points at, with names.
#[derive(Debug, Clone)]
pub struct AgendaCellRow {
    pub provider_id: i64,
    pub consumer_id: i64,
    pub provider: String,
    pub consumer: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct AgendaTopicRow {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub from: String,
    pub about: String,
    pub votes: i64,
}

/// An action as lists show it: owner, due date and state in words.
#[derive(Debug, Clone)]
pub struct ActionRow {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due_on: String,
    pub status: &'static str,
    pub overdue: bool,
    pub done_on: Option<String>,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
}

pub(crate) fn action_status_words(status: &str) -> &'static str {
    match status {
        "open" => "Open",
        "in_progress" => "In progress",
        "done" => "Done",
        "dropped" => "Dropped",
        _ => "Unknown",
    }
}

impl ActionRow {
    pub fn new(action: &ActionView, directory: &Directory) -> Self {
        ActionRow {
            id: action.id,
            title: action.title.clone(),
            owner: directory.person_name(Some(action.owner_person_id)),
            due_on: action.due_on.clone(),
            status: action_status_words(&action.status),
            overdue: action.overdue,
            done_on: action.done_on.clone(),
            topic_id: action.topic_id,
            session_id: action.session_id,
            review_id: action.review_id,
        }
    }
}

pub(crate) fn topic_kind_words(kind: &str) -> &'static str {
    match kind {
        "frustration" => "Frustration",
        "assumption" => "Assumption",
        "suggestion" => "Suggestion",
        _ => "Topic",
    }
}

impl AgendaTopicRow {
    pub fn new(topic: &TopicView) -> Self {
        AgendaTopicRow {
            id: topic.id,
            title: topic.title.clone(),
            kind: topic_kind_words(&topic.kind),
            from: topic.from_department_name.clone(),
            about: topic
                .about_department_name
                .clone()
                .unwrap_or_else(|| "the whole organization".to_owned()),
            votes: topic.votes,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub(super) layout: Layout,
    /// Executives and administrators record decisions.
    pub(super) can_steer: bool,
    /// Leads, executives and administrators add actions.
    pub(super) can_run: bool,
    pub(super) review: ReviewView,
    pub(super) as_of: String,
    pub(super) off_track: Vec<ObjectiveCard>,
    pub(super) lowest_health: Vec<AgendaCellRow>,
    pub(super) perception_gaps: Vec<AgendaCellRow>,
    pub(super) topics: Vec<AgendaTopicRow>,
    pub(super) overdue_actions: Vec<ActionRow>,
    pub(super) actions: Vec<ActionRow>,
    pub(super) updated: String,
}

pub(super) fn agenda_cells(cells: &[AgendaCell], directory: &Directory) -> Vec<AgendaCellRow> {
    cells
        .iter()
        .map(|cell| AgendaCellRow {
            provider_id: cell.provider_department_id,
            consumer_id: cell.consumer_department_id,
            provider: directory.department_name(cell.provider_department_id),
            consumer: directory.department_name(cell.consumer_department_id),
            detail: cell.detail.clone(),
        })
        .collect()
}

/// `GET /reviews/{id}`: a review's generated agenda (every section, empty
/// ones saying so), its decisions and its actions.
pub async fn show_review(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    let actor = &viewer.actor;
    let scoped = state.scoped(actor);
    let review = review_view(&state, actor, scoped.review(id).await?).await?;
    let agenda = reviews_api::agenda_view(
        app_reviews::agenda(
            &Caller::new(&state.store, actor),
            id,
            today(),
            jiff::Timestamp::now(),
        )
        .await?,
    );
    let directory = Directory::load(&scoped).await?;
    let page = ReviewPage {
        layout: Layout::new(
            &viewer,
            format!("Alignment review {}", review.period),
            "objectives",
        ),
        can_steer: policy::steer_objectives(actor).is_ok(),
        can_run: policy::run_round_table(actor).is_ok(),
        as_of: agenda.as_of.clone(),
        off_track: agenda
            .off_track_objectives
            .iter()
            .map(|objective| ObjectiveCard::new(objective, &directory))
            .collect(),
        lowest_health: agenda_cells(&agenda.lowest_health_cells, &directory),
        perception_gaps: agenda_cells(&agenda.largest_perception_gaps, &directory),
        topics: agenda
            .top_voted_open_topics
            .iter()
            .map(AgendaTopicRow::new)
            .collect(),
        overdue_actions: agenda
            .overdue_actions
            .iter()
            .map(|action| ActionRow::new(action, &directory))
            .collect(),
        actions: review
            .actions
            .iter()
            .map(|action| ActionRow::new(action, &directory))
            .collect(),
        updated: instant(&review.updated_at),
        review,
    };
    Ok(render(StatusCode::OK, &page))
}
