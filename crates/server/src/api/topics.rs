//! `/api/v1/topics`: what departments raise at the round table. A frustration
//! carries its mirror, an assumption is answered by the department it is
//! about, votes are one per person, and an anonymous topic stores no author.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, IfMatch, Page, PageQuery, RecordId, with_etag};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::topics::{self, Answer, Edit, Raise, SeenTopic};
use roundtable_store::round_table::{Comment, Topic};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_topics, create_topic))
        .routes(routes!(get_topic, update_topic))
        .routes(routes!(vote_for_topic, withdraw_vote))
        .routes(routes!(answer_topic))
        .routes(routes!(list_topic_comments, add_topic_comment))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TopicAnswerView)]
pub struct AnswerView {
    /// `confirmed` or `corrected`.
    pub answer: String,
    pub note: String,
    pub answered_by: Option<i64>,
    pub answered_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicView {
    pub id: i64,
    /// `frustration`, `assumption` or `suggestion`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// What the author's own department could do differently (always present on a frustration).
    pub mirror: Option<String>,
    pub from_department_id: i64,
    /// Absent when the topic is about the whole organization.
    pub about_department_id: Option<i64>,
    pub from_department_name: String,
    /// Absent when the topic is about the whole organization.
    pub about_department_name: Option<String>,
    /// True when posted anonymously: then no author is stored at all.
    pub anonymous: bool,
    pub author_person_id: Option<i64>,
    pub service_id: Option<i64>,
    pub request_ids: Vec<i64>,
    /// `open`, `discussed`, `action_planned`, `resolved` or `parked`.
    pub status: String,
    /// The answer of the department an assumption is about.
    pub answer: Option<AnswerView>,
    pub votes: i64,
    /// Whether the caller has voted for it.
    pub voted: bool,
    pub comments: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl TopicView {
    pub fn new(topic: Topic, voted: bool) -> Self {
        TopicView {
            id: topic.id,
            kind: topic.kind.as_str().to_owned(),
            title: topic.title,
            body: topic.body,
            mirror: topic.mirror,
            from_department_id: topic.from_department_id.0,
            about_department_id: topic.about_department_id.map(|department| department.0),
            from_department_name: topic.from_department_name,
            about_department_name: topic.about_department_name,
            anonymous: topic.author_person_id.is_none(),
            author_person_id: topic.author_person_id.map(|person| person.0),
            service_id: topic.service_id,
            request_ids: topic.request_ids,
            status: topic.status.as_str().to_owned(),
            answer: topic.answer.map(|answer| AnswerView {
                answer: answer.answer.as_str().to_owned(),
                note: answer.note,
                answered_by: answer.answered_by.map(|person| person.0),
                answered_at: answer.answered_at.to_string(),
            }),
            votes: topic.votes,
            voted,
            comments: topic.comments,
            version: topic.version,
            created_at: topic.created_at.to_string(),
            updated_at: topic.updated_at.to_string(),
        }
    }
}

impl From<SeenTopic> for TopicView {
    fn from(seen: SeenTopic) -> Self {
        TopicView::new(seen.topic, seen.voted)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTopic {
    /// `frustration`, `assumption` or `suggestion`.
    pub kind: String,
    #[schema(example = "Leads arrive without a budget")]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// Required for a frustration: what your own department could do differently.
    pub mirror: Option<String>,
    /// The department speaking; defaults to the caller's own.
    pub from_department_id: Option<i64>,
    /// The department the topic is about; absent for the whole organization.
    pub about_department_id: Option<i64>,
    /// Post without an author: none is stored at all.
    #[serde(default)]
    pub anonymous: bool,
    pub service_id: Option<i64>,
    #[serde(default)]
    pub request_ids: Vec<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTopic {
    pub title: Option<String>,
    pub body: Option<String>,
    pub mirror: Option<String>,
    /// `open` → `discussed` → `action_planned` → `resolved`, or `parked`; other steps answer 409.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopicQuery {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub about_department_id: Option<i64>,
    pub from_department_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub type TopicPage = Page<TopicView>;

impl From<CreateTopic> for Raise {
    fn from(input: CreateTopic) -> Raise {
        Raise {
            kind: input.kind,
            title: input.title,
            body: input.body,
            mirror: input.mirror,
            from_department_id: input.from_department_id,
            about_department_id: input.about_department_id,
            anonymous: input.anonymous,
            service_id: input.service_id,
            request_ids: input.request_ids,
        }
    }
}

/// Lists topics.
#[utoipa::path(
    get, path = "/topics", tag = "round table", params(TopicQuery),
    responses((status = 200, body = TopicPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_topics(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<TopicQuery>,
) -> Result<axum::Json<TopicPage>, ApiError> {
    let filter = topics::filter(
        query.status.as_deref(),
        query.kind.as_deref(),
        query.about_department_id,
        query.from_department_id,
    )?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let listing = topics::list(&Caller::new(&state.store, &actor), filter, page).await?;
    Ok(axum::Json(Page::from_listing(listing, TopicView::from)))
}

/// Raises a topic for the round table from the caller's department. A
/// frustration must carry the mirror; `anonymous` stores no author at all.
#[utoipa::path(
    post, path = "/topics", tag = "round table", request_body = CreateTopic,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = TopicView, headers(("ETag" = String))), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_topic(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateTopic>,
) -> Result<Response, ApiError> {
    let topic = topics::raise(&Caller::new(&state.store, &actor), input.into()).await?;
    Ok(with_etag(
        StatusCode::CREATED,
        topic.version,
        TopicView::new(topic, false),
    ))
}

/// Reads one topic.
#[utoipa::path(
    get, path = "/topics/{id}", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = TopicView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_topic(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let seen = topics::get(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        seen.topic.version,
        TopicView::from(seen),
    ))
}

/// Edits a topic or moves its status (leads, executives, administrators; the
/// author may edit the texts); needs `If-Match`. Steps the workflow does not
/// allow answer 409.
#[utoipa::path(
    patch, path = "/topics/{id}", tag = "round table", request_body = UpdateTopic,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = TopicView, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_topic(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateTopic>,
) -> Result<Response, ApiError> {
    let seen = topics::update(
        &Caller::new(&state.store, &actor),
        id,
        Edit {
            title: input.title,
            body: input.body,
            mirror: input.mirror,
            status: input.status,
            expected_version: version,
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        seen.topic.version,
        TopicView::from(seen),
    ))
}

/// Votes for a topic: one vote per person, so voting again changes nothing.
#[utoipa::path(
    post, path = "/topics/{id}/votes", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = TopicView), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn vote_for_topic(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<axum::Json<TopicView>, ApiError> {
    let seen = topics::vote(&Caller::new(&state.store, &actor), id).await?;
    Ok(axum::Json(TopicView::from(seen)))
}

/// Withdraws the caller's vote.
#[utoipa::path(
    delete, path = "/topics/{id}/votes", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = TopicView), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn withdraw_vote(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<axum::Json<TopicView>, ApiError> {
    let seen = topics::withdraw_vote(&Caller::new(&state.store, &actor), id).await?;
    Ok(axum::Json(TopicView::from(seen)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TopicAnswerBody)]
pub struct AnswerBody {
    /// `confirmed` or `corrected`.
    pub answer: String,
    /// Required when correcting: what is actually the case.
    #[serde(default)]
    pub note: String,
}

/// Answers an assumption (people of the department it is about, or
/// administrators): `confirmed` or `corrected` with a note. Only assumptions
/// about a department, and only once (409 otherwise).
#[utoipa::path(
    post, path = "/topics/{id}/answer", tag = "round table", request_body = AnswerBody, params(("id" = i64, Path)),
    responses((status = 200, body = TopicView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn answer_topic(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<AnswerBody>,
) -> Result<axum::Json<TopicView>, ApiError> {
    let seen = topics::answer(
        &Caller::new(&state.store, &actor),
        id,
        Answer {
            answer: input.answer,
            note: input.note,
        },
    )
    .await?;
    Ok(axum::Json(TopicView::from(seen)))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TopicCommentView)]
pub struct CommentView {
    pub id: i64,
    pub topic_id: i64,
    pub author_person_id: i64,
    pub body: String,
    pub created_at: String,
}

impl From<Comment> for CommentView {
    fn from(comment: Comment) -> Self {
        CommentView {
            id: comment.id,
            topic_id: comment.topic_id,
            author_person_id: comment.author_person_id.0,
            body: comment.body,
            created_at: comment.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    /// Oldest first.
    pub items: Vec<CommentView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComment {
    pub body: String,
}

/// A topic's comments, oldest first.
#[utoipa::path(
    get, path = "/topics/{id}/comments", tag = "round table", params(("id" = i64, Path)),
    responses((status = 200, body = CommentList), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_topic_comments(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<axum::Json<CommentList>, ApiError> {
    let items = topics::comments(&Caller::new(&state.store, &actor), id)
        .await?
        .into_iter()
        .map(CommentView::from)
        .collect();
    Ok(axum::Json(CommentList { items }))
}

/// Comments on a topic.
#[utoipa::path(
    post, path = "/topics/{id}/comments", tag = "round table", request_body = CreateComment, params(("id" = i64, Path)),
    responses((status = 201, body = CommentView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn add_topic_comment(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(input): ApiJson<CreateComment>,
) -> Result<(StatusCode, axum::Json<CommentView>), ApiError> {
    let comment = topics::comment(&Caller::new(&state.store, &actor), id, &input.body).await?;
    Ok((StatusCode::CREATED, axum::Json(CommentView::from(comment))))
}

/// Topics as they stand, for other modules (the agenda).
pub(crate) fn views(topics: Vec<Topic>) -> Vec<TopicView> {
    topics
        .into_iter()
        .map(|topic| TopicView::new(topic, false))
        .collect()
}
