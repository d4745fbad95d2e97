//! Relationship pulses in the browser: the rounds, the answer form of a cell
//! (the consumer rates its provider, the provider rates itself: the
//! mirror), and the results of a closed round with the mirror-gap chart.
//!
//! Answers go through `app::pulses::respond` and results come only from
//! `app::pulses::results` (the use cases the API calls), which reads
//! `Scoped::pulse_results`: anonymity is decided there, once. A withheld aggregate arrives without numbers, and the
//! page says "not enough responses" and nothing else about it.

use super::directory::Directory;
use super::format::instant;
use super::requests::utc_instant;
use super::{
    FieldErrors, FormData, Layout, Refusal, SignedForm, Viewer, WebError, render, see_other,
    sees_everything,
};
use crate::AppState;
use crate::api::pulses::{
    CellResultView, DepartmentResultView, DimensionRatings, DimensionScoresView, ResultsQuery,
    ScoresView, results_view,
};
use crate::extract::{PageQuery, encode_cursor};
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use roundtable_app::Caller;
use roundtable_app::pulses::{self, Answer, NewRound};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::pulses::Dimension;
use roundtable_store::pulses::{PulseInvitation, PulseRound, RoundStatus};

/// A dimension's name as a heading.
fn dimension_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Reliability => "Reliability",
        Dimension::Responsiveness => "Responsiveness",
        Dimension::Assurance => "Assurance",
        Dimension::Empathy => "Empathy",
        Dimension::Tangibles => "Tangibles",
    }
}

fn round_status(status: RoundStatus) -> (&'static str, &'static str) {
    match status {
        RoundStatus::Scheduled => ("Scheduled", "paused"),
        RoundStatus::Open => ("Open for answers", "ok"),
        RoundStatus::Closed => ("Closed: results available", "done"),
    }
}

/// A mean on the 1–7 scale, as "4.2".
fn mean(value: f64) -> String {
    format!("{value:.1}")
}

/// A gap, signed, with a true minus sign: "+0.4", "−3.0".
fn gap(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded < 0.0 {
        format!("−{:.1}", -rounded)
    } else {
        format!("+{rounded:.1}")
    }
}

fn by_dimension(scores: &DimensionScoresView, dimension: Dimension) -> f64 {
    match dimension {
        Dimension::Reliability => scores.reliability,
        Dimension::Responsiveness => scores.responsiveness,
        Dimension::Assurance => scores.assurance,
        Dimension::Empathy => scores.empathy,
        Dimension::Tangibles => scores.tangibles,
    }
}

/// A round as a line of the list.
#[derive(Debug, Clone)]
pub struct RoundRow {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub opens: String,
    pub closes: String,
    pub cells: usize,
    /// For an open round: how many cells the viewer is asked about, and has answered.
    pub asked: usize,
    pub answered: usize,
    pub open: bool,
}

impl RoundRow {
    fn new(round: &PulseRound, invitations: &[PulseInvitation], now: Timestamp) -> Self {
        let status = round.status(now);
        let (label, tone) = round_status(status);
        RoundRow {
            id: round.id,
            name: round.name.clone(),
            status: label,
            tone,
            opens: instant(&round.opens_at.to_string()),
            closes: instant(&round.closing().to_string()),
            cells: round.cells.len(),
            asked: invitations.len(),
            answered: invitations
                .iter()
                .filter(|invitation| invitation.answered)
                .count(),
            open: status == RoundStatus::Open,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "pulses.html")]
pub struct PulsesPage {
    layout: Layout,
    rounds: Vec<RoundRow>,
    next: Option<String>,
    /// Administrators and executives open and close rounds.
    runs_rounds: bool,
    form: FormData,
    errors: FieldErrors,
}

#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

async fn pulses_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: Option<String>,
    form: FormData,
    errors: FieldErrors,
) -> Result<PulsesPage, WebError> {
    let wanted = PageQuery {
        limit: Some(50),
        cursor,
    }
    .to_page()
    .map_err(|_| WebError::NotFound)?;
    let page = pulses::list(&Caller::new(&state.store, &viewer.actor), wanted).await?;
    let scoped = state.scoped(&viewer.actor);
    let now = Timestamp::now();
    let mut rounds = Vec::new();
    for round in &page.items {
        let invitations = if round.status(now) == RoundStatus::Open {
            scoped
                .pulse_invitations(round, viewer.actor.person_id)
                .await?
        } else {
            Vec::new()
        };
        rounds.push(RoundRow::new(round, &invitations, now));
    }
    Ok(PulsesPage {
        layout: Layout::new(viewer, "Relationship pulses", "pulses"),
        rounds,
        next: page.next_after.map(encode_cursor).map(|cursor| {
            format!(
                "/pulses?cursor={}",
                form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
            )
        }),
        runs_rounds: sees_everything(&viewer.actor),
        form,
        errors,
    })
}

/// `GET /pulses`: every round, newest first, with what the viewer is asked.
pub async fn list_pulses(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let page = pulses_page(
        &state,
        &viewer,
        query.cursor,
        FormData::default(),
        FieldErrors::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /pulses`: opens a round over every agreed cell now, through
/// `POST /api/v1/pulses` (administrators and executives).
pub async fn open_round(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let closes_at = match utc_instant(form.get("closes_at")) {
        Some(closes_at) => closes_at,
        None => {
            let errors = FieldErrors::single("closes_at", "enter the closing date and time (UTC)");
            let page = pulses_page(&state, &viewer, None, form, errors).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let created = pulses::open(
        &Caller::new(&state.store, &viewer.actor),
        NewRound {
            name: form.get("name").to_owned(),
            opens_at: None,
            closes_at,
            cells: None,
        },
    )
    .await
    .map_err(ApiError::from);
    match created {
        Ok(_) => {
            let listing = state
                .scoped(&viewer.actor)
                .pulse_rounds(roundtable_store::PageRequest::first(1))
                .await?;
            let newest = listing.items.first().map_or(0, |round| round.id);
            Ok(see_other(&format!("/pulses/{newest}")))
        }
        Err(error) => {
            // The form has no place for a message of its own: a refusal
            // that names no field shows at the round's name.
            let refusal = Refusal::of(error, "the pulse rounds")?;
            let errors = if refusal.errors.is_empty() {
                FieldErrors::single("name", refusal.message)
            } else {
                refusal.errors
            };
            let page = pulses_page(&state, &viewer, None, form, errors).await?;
            Ok(render(refusal.status, &page))
        }
    }
}

/// A cell the viewer is asked about, as a line of the round page.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub provider_id: i64,
    pub consumer_id: i64,
    pub provider: String,
    pub consumer: String,
    /// The viewer rates the provider (consumer side) or themselves (the mirror).
    pub rates_self: bool,
    pub answered: bool,
}

/// One dimension of a disclosed cell: the table's row and the chart's bars.
#[derive(Debug, Clone)]
pub struct DimensionRow {
    pub name: &'static str,
    pub question: &'static str,
    pub perception: String,
    pub expectation: String,
    pub service_gap: String,
    pub importance: String,
    /// `None` when the provider's self-ratings are withheld (or absent).
    pub self_rating: Option<String>,
    pub mirror_gap: Option<String>,
}

/// One bar of the chart, in SVG units.
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    /// Where the bar's words start, just past its end.
    pub label_x: i64,
    /// `expected`, `seen` or `self`: the style of the bar.
    pub kind: &'static str,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct BarGroup {
    pub name: &'static str,
    pub y: i64,
    pub bars: Vec<Bar>,
}

/// Where the bars start, and how long a 7 is, in SVG units.
const BAR_START: i64 = 130;
const BAR_SCALE: f64 = 300.0 / 7.0;
const BAR_HEIGHT: i64 = 14;

fn bar(y: i64, value: f64, kind: &'static str, words: &str) -> Bar {
    let width = (value.clamp(0.0, 7.0) * BAR_SCALE).round() as i64;
    Bar {
        x: BAR_START,
        y,
        width,
        label_x: BAR_START + width + 6,
        kind,
        label: format!("{words} {}", mean(value)),
    }
}

#[derive(Debug, Clone)]
pub struct Disclosed {
    pub respondents: i64,
    pub self_respondents: Option<i64>,
    pub rows: Vec<DimensionRow>,
    pub perception_mean: String,
    pub weighted_gap: String,
    pub mirror_gap_mean: Option<String>,
    pub chart: Vec<BarGroup>,
    pub chart_height: i64,
    pub comments: Vec<String>,
    pub self_comments: Vec<String>,
}

fn disclosed(scores: &ScoresView, cell: &CellResultView) -> Disclosed {
    let mut chart = Vec::new();
    let mut y = 0;
    let rows = Dimension::ALL
        .iter()
        .map(|dimension| {
            let dimension = *dimension;
            let perception = by_dimension(&scores.perception, dimension);
            let expectation = by_dimension(&scores.expectation, dimension);
            let self_rating = scores
                .self_rating
                .as_ref()
                .map(|ratings| by_dimension(ratings, dimension));
            let mut bars = vec![
                bar(y + 22, expectation, "expected", "expected"),
                bar(
                    y + 22 + BAR_HEIGHT + 4,
                    perception,
                    "seen",
                    "seen by consumers",
                ),
            ];
            if let Some(self_rating) = self_rating {
                bars.push(bar(
                    y + 22 + 2 * (BAR_HEIGHT + 4),
                    self_rating,
                    "self",
                    "self-rating",
                ));
            }
            let height = 22 + bars.len() as i64 * (BAR_HEIGHT + 4) + 10;
            chart.push(BarGroup {
                name: dimension_name(dimension),
                y,
                bars,
            });
            y += height;
            DimensionRow {
                name: dimension_name(dimension),
                question: dimension.question(),
                perception: mean(perception),
                expectation: mean(expectation),
                service_gap: gap(by_dimension(&scores.service_gap, dimension)),
                importance: format!("{:.0}", by_dimension(&scores.importance, dimension)),
                self_rating: self_rating.map(mean),
                mirror_gap: scores
                    .mirror_gap
                    .as_ref()
                    .map(|gaps| gap(by_dimension(gaps, dimension))),
            }
        })
        .collect();
    Disclosed {
        respondents: cell.respondents.unwrap_or(0),
        self_respondents: cell.self_respondents,
        rows,
        perception_mean: mean(scores.perception_mean),
        weighted_gap: format!("{:+.2}", scores.importance_weighted_gap).replace('-', "−"),
        mirror_gap_mean: scores.mirror_gap_mean.map(gap),
        chart,
        chart_height: y.max(20),
        comments: cell.comments.clone(),
        self_comments: cell.self_comments.clone(),
    }
}

/// One cell of a closed round, as the API gave it.
#[derive(Debug, Clone)]
pub struct CellPanel {
    pub provider: String,
    pub consumer: String,
    pub provider_id: i64,
    pub consumer_id: i64,
    /// `None`: the aggregate is withheld ("not enough responses").
    pub shown: Option<Disclosed>,
}

/// A department across its cells, as the API gave it.
#[derive(Debug, Clone)]
pub struct DepartmentRow {
    pub name: String,
    /// (respondents, perception mean, weighted gap, mirror gap) when disclosed.
    pub shown: Option<(i64, String, String, Option<String>)>,
}

fn department_row(result: &DepartmentResultView, directory: &Directory) -> DepartmentRow {
    DepartmentRow {
        name: directory.department_name(result.department_id),
        shown: result
            .scores
            .as_ref()
            .filter(|_| result.disclosed)
            .map(|scores| {
                (
                    result.respondents.unwrap_or(0),
                    mean(scores.perception_mean),
                    format!("{:+.2}", scores.importance_weighted_gap).replace('-', "−"),
                    scores.mirror_gap_mean.map(gap),
                )
            }),
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Template)]
#[template(path = "pulse.html")]
pub struct RoundPage {
    layout: Layout,
    round: RoundRow,
    version: i64,
    invitations: Vec<InvitationRow>,
    /// Set after an answer was recorded: which cell.
    recorded: Option<String>,
    runs_rounds: bool,
    closed: bool,
    threshold: i64,
    cells: Vec<CellPanel>,
    as_provider: Vec<DepartmentRow>,
    as_consumer: Vec<DepartmentRow>,
    providers: Vec<Choice>,
    consumers: Vec<Choice>,
    provider_filter: Option<i64>,
    consumer_filter: Option<i64>,
    dimensions: Vec<(&'static str, &'static str)>,
}

impl RoundPage {
    pub fn provider_is(&self, id: &i64) -> bool {
        self.provider_filter == Some(*id)
    }

    pub fn consumer_is(&self, id: &i64) -> bool {
        self.consumer_filter == Some(*id)
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct RoundQuery {
    provider: Option<String>,
    consumer: Option<String>,
    recorded: Option<String>,
}

fn round_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)
}

fn department_choices(ids: impl Iterator<Item = i64>, directory: &Directory) -> Vec<Choice> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let mut choices: Vec<Choice> = ids
        .into_iter()
        .map(|id| Choice {
            id,
            name: directory.department_name(id),
        })
        .collect();
    choices.sort_by(|a, b| a.name.cmp(&b.name));
    choices
}

/// `GET /pulses/{id}`: an open round's cells for the viewer to answer, or a
/// closed round's results.
pub async fn show_round(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<RoundQuery>,
) -> Result<Response, WebError> {
    let id = round_id(&id)?;
    let scoped = state.scoped(&viewer.actor);
    let round = scoped.pulse_round(id).await?;
    let directory = Directory::load(&scoped).await?;
    let now = Timestamp::now();
    let status = round.status(now);
    let invitations = scoped
        .pulse_invitations(&round, viewer.actor.person_id)
        .await?;
    let recorded = query.recorded.as_deref().and_then(|cell| {
        let (provider, consumer) = cell.split_once('-')?;
        let (provider, consumer) = (provider.parse().ok()?, consumer.parse().ok()?);
        invitations
            .iter()
            .find(|invitation| {
                invitation.answered
                    && invitation.provider == DepartmentId(provider)
                    && invitation.consumer == DepartmentId(consumer)
            })
            .map(|_| {
                format!(
                    "{} serving {}",
                    directory.department_name(provider),
                    directory.department_name(consumer)
                )
            })
    });
    let filter = |text: &Option<String>| text.as_deref().and_then(|id| id.parse::<i64>().ok());
    let (provider_filter, consumer_filter) = (filter(&query.provider), filter(&query.consumer));
    let mut page = RoundPage {
        layout: Layout::new(&viewer, round.name.clone(), "pulses"),
        round: RoundRow::new(&round, &invitations, now),
        version: round.version,
        invitations: invitations
            .iter()
            .map(|invitation| InvitationRow {
                provider_id: invitation.provider.0,
                consumer_id: invitation.consumer.0,
                provider: directory.department_name(invitation.provider.0),
                consumer: directory.department_name(invitation.consumer.0),
                rates_self: invitation.side == "provider",
                answered: invitation.answered,
            })
            .collect(),
        recorded,
        runs_rounds: sees_everything(&viewer.actor),
        closed: status == RoundStatus::Closed,
        threshold: 0,
        cells: Vec::new(),
        as_provider: Vec::new(),
        as_consumer: Vec::new(),
        providers: department_choices(round.cells.iter().map(|cell| cell.0.0), &directory),
        consumers: department_choices(round.cells.iter().map(|cell| cell.1.0), &directory),
        provider_filter,
        consumer_filter,
        dimensions: Dimension::ALL
            .iter()
            .map(|dimension| (dimension_name(*dimension), dimension.question()))
            .collect(),
    };
    if page.closed {
        let view = results_view(
            &pulses::results(&Caller::new(&state.store, &viewer.actor), id).await?,
            &ResultsQuery {
                provider_department_id: provider_filter,
                consumer_department_id: consumer_filter,
            },
            Timestamp::now(),
        );
        page.threshold = view.anonymity_threshold;
        page.cells = view
            .cells
            .iter()
            .map(|cell| CellPanel {
                provider: directory.department_name(cell.provider_department_id),
                consumer: directory.department_name(cell.consumer_department_id),
                provider_id: cell.provider_department_id,
                consumer_id: cell.consumer_department_id,
                shown: cell
                    .scores
                    .as_ref()
                    .filter(|_| cell.disclosed)
                    .map(|scores| disclosed(scores, cell)),
            })
            .collect();
        page.as_provider = view
            .as_provider
            .iter()
            .map(|result| department_row(result, &directory))
            .collect();
        page.as_consumer = view
            .as_consumer
            .iter()
            .map(|result| department_row(result, &directory))
            .collect();
    }
    Ok(render(StatusCode::OK, &page))
}

/// `POST /pulses/{id}/close`: closes an open round now (administrators and executives).
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = round_id(&id)?;
    pulses::close(
        &Caller::new(&state.store, &viewer.actor),
        id,
        form.get("version").parse::<i64>().ok(),
    )
    .await?;
    Ok(see_other(&format!("/pulses/{id}")))
}

/// One dimension of the answer form, with what was entered and its problems.
#[derive(Debug, Clone)]
pub struct DimensionInput {
    pub key: &'static str,
    pub name: &'static str,
    pub question: &'static str,
    pub expectation: String,
    pub perception: String,
    pub importance: String,
    pub expectation_error: Option<String>,
    pub perception_error: Option<String>,
    pub importance_error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "pulse_form.html")]
pub struct ResponseFormPage {
    layout: Layout,
    round_id: i64,
    round_name: String,
    closes: String,
    provider_id: i64,
    consumer_id: i64,
    provider: String,
    consumer: String,
    rates_self: bool,
    /// The form can be sent: the round is open and the viewer has not answered.
    answerable: bool,
    problem: Option<String>,
    dimensions: Vec<DimensionInput>,
    scale: Vec<(i64, &'static str)>,
    comment: String,
    errors: FieldErrors,
}

/// The scale's points, with the ends in words.
fn scale() -> Vec<(i64, &'static str)> {
    vec![
        (1, "1: strongly disagree"),
        (2, "2"),
        (3, "3"),
        (4, "4: neither"),
        (5, "5"),
        (6, "6"),
        (7, "7: strongly agree"),
    ]
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    cell: (i64, i64),
    form: &FormData,
    errors: FieldErrors,
    problem: Option<String>,
) -> Result<(ResponseFormPage, PulseInvitation), WebError> {
    let scoped = state.scoped(&viewer.actor);
    let round = scoped.pulse_round(id).await?;
    let invitation = scoped
        .pulse_invitations(&round, viewer.actor.person_id)
        .await?
        .into_iter()
        .find(|invitation| invitation.provider.0 == cell.0 && invitation.consumer.0 == cell.1)
        .ok_or(WebError::NotFound)?;
    let directory = Directory::load(&scoped).await?;
    let status = round.status(Timestamp::now());
    let problem = problem.or_else(|| match status {
        RoundStatus::Scheduled => Some(format!(
            "This round opens on {}; come back then.",
            instant(&round.opens_at.to_string())
        )),
        RoundStatus::Closed => {
            Some("This round is closed; answers are no longer taken.".to_owned())
        }
        RoundStatus::Open if invitation.answered => {
            Some("You have already answered about this cell in this round. Thank you.".to_owned())
        }
        RoundStatus::Open => None,
    });
    let error_of = |field: String| errors.get(&field).map(str::to_owned);
    let dimensions = Dimension::ALL
        .iter()
        .map(|dimension| {
            let key = dimension.as_str();
            DimensionInput {
                key,
                name: dimension_name(*dimension),
                question: dimension.question(),
                expectation: form.get(&format!("expectation.{key}")).to_owned(),
                perception: form.get(&format!("perception.{key}")).to_owned(),
                importance: form.get(&format!("importance.{key}")).to_owned(),
                expectation_error: error_of(format!("expectation.{key}")),
                perception_error: error_of(format!("perception.{key}")),
                importance_error: error_of(format!("importance.{key}")),
            }
        })
        .collect();
    let page = ResponseFormPage {
        layout: Layout::new(viewer, format!("Answer: {}", round.name), "pulses"),
        round_id: round.id,
        round_name: round.name.clone(),
        closes: instant(&round.closing().to_string()),
        provider_id: cell.0,
        consumer_id: cell.1,
        provider: directory.department_name(cell.0),
        consumer: directory.department_name(cell.1),
        rates_self: invitation.side == "provider",
        answerable: problem.is_none(),
        problem,
        dimensions,
        scale: scale(),
        comment: form.get("comment").to_owned(),
        errors,
    };
    Ok((page, invitation))
}

fn cell_of(provider: &str, consumer: &str) -> Result<(i64, i64), WebError> {
    Ok((round_id(provider)?, round_id(consumer)?))
}

/// `GET /pulses/{id}/cells/{provider}/{consumer}`: the answer form of one cell.
pub async fn show_response_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, provider, consumer)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let (page, _) = form_page(
        &state,
        &viewer,
        round_id(&id)?,
        cell_of(&provider, &consumer)?,
        &FormData::default(),
        FieldErrors::default(),
        None,
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// A rating as typed: blank or not a number becomes a value outside every
/// scale, so the API's own check names the field.
fn rating(form: &FormData, field: &str, blank: i64) -> i64 {
    let text = form.get(field).trim();
    if text.is_empty() {
        blank
    } else {
        text.parse::<i64>().unwrap_or(-1)
    }
}

fn ratings(form: &FormData, prefix: &str, blank: i64) -> DimensionRatings {
    let value =
        |dimension: Dimension| rating(form, &format!("{prefix}.{}", dimension.as_str()), blank);
    DimensionRatings {
        reliability: value(Dimension::Reliability),
        responsiveness: value(Dimension::Responsiveness),
        assurance: value(Dimension::Assurance),
        empathy: value(Dimension::Empathy),
        tangibles: value(Dimension::Tangibles),
    }
}

/// `POST /pulses/{id}/cells/{provider}/{consumer}`: records the answer through
/// `POST /api/v1/pulses/{id}/responses`, or shows the form again with each
/// problem at its field and the answers kept.
pub async fn answer_cell(
    State(state): State<AppState>,
    Path((id, provider, consumer)): Path<(String, String, String)>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = round_id(&id)?;
    let cell = cell_of(&provider, &consumer)?;
    let (_, invitation) = form_page(
        &state,
        &viewer,
        id,
        cell,
        &form,
        FieldErrors::default(),
        None,
    )
    .await?;
    let consumer_side = invitation.side == "consumer";
    // A blank scale rating is 0 (outside 1–7); blank importance points are 0 points.
    let answer = Answer {
        provider_department_id: cell.0,
        consumer_department_id: cell.1,
        expectation: consumer_side.then(|| ratings(&form, "expectation", 0).ratings()),
        perception: ratings(&form, "perception", 0).ratings(),
        importance: consumer_side.then(|| ratings(&form, "importance", 0).ratings()),
        comment: form.get("comment").to_owned(),
    };
    let outcome = pulses::respond(&Caller::new(&state.store, &viewer.actor), id, answer)
        .await
        .map_err(ApiError::from);
    let (status, errors, problem) = match outcome {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/pulses/{id}?recorded={}-{}",
                cell.0, cell.1
            )));
        }
        Err(error) => {
            let refusal = Refusal::of(error, "this round")?;
            let problem =
                (refusal.status != StatusCode::UNPROCESSABLE_ENTITY).then_some(refusal.message);
            (refusal.status, refusal.errors, problem)
        }
    };
    let (page, _) = form_page(&state, &viewer, id, cell, &form, errors, problem).await?;
    Ok(render(status, &page))
}
