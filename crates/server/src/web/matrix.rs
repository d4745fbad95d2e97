//! The Internal Customer Relationship Matrix as a heat map (provider rows ×
//! consumer columns), the page of one cell and a department's page with its
//! scorecard. The cells come from the same code as `GET /api/v1/matrix`; a
//! cell's health, trend and input quality from
//! `GET /api/v1/matrix/cells/{provider}/{consumer}`, its open frustrations
//! and its kudos from `app::topics::open_frustrations` and
//! `app::kudos::of_cell` (the feed's kudos the matrix counts), and the
//! scorecard from `GET /api/v1/departments/{id}/scorecard`, so every number
//! on these pages is the API's number.

use super::catalogue::ServiceCard;
use super::directory::Directory;
use super::health::{
    Bar, ComponentRow, InputQualityRow, ScoreView, TrendChart, component_row, input_quality_row,
    score_bars, score_sentence, score_view, trend_chart,
};
use super::kudos::{KudosEntry, kudos_entry};
use super::{Layout, Viewer, WebError};
use crate::AppState;
use crate::api::health::{CellDetail, Scorecard};
use crate::api::matrix::{MatrixCell, SharedMatrix, shared_matrix};
use crate::api::topics::TopicView;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use jiff::{SignedDuration, Timestamp};
use roundtable_app::{Caller, health, kudos, topics};
use roundtable_domain::ids::DepartmentId;
use std::collections::HashMap;

/// The window the matrix counts requests over, in days.
const WINDOW_DAYS: i64 = 90;

/// One cell of the heat map: state in words and colour, and its numbers.
#[derive(Debug, Clone)]
pub struct CellView {
    pub provider_id: i64,
    pub consumer_id: i64,
    pub own: bool,
    /// The agreement's state in words and its marker's tone.
    pub status: &'static str,
    pub tone: &'static str,
    /// The cell's colour: the step of the health scale (`heat-1` to
    /// `heat-5`) or `heat-none` for insufficient data.
    pub heat: String,
    /// The health in words (`healthy`, `watch`, `at risk`, `insufficient data`).
    pub band: String,
    pub provider: String,
    pub consumer: String,
    pub services: usize,
    pub requests: i64,
    pub review_overdue: bool,
    /// The cell's health score and its sample size, once the matrix has them.
    pub health: Option<(String, i64)>,
    /// Kudos from the provider's people to the consumer in the window.
    pub kudos: i64,
    /// The whole cell in one sentence, for screen readers and tooltips.
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct MatrixRow {
    pub provider_id: i64,
    pub provider: String,
    pub cells: Vec<CellView>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "matrix.html")]
pub struct MatrixPage {
    layout: Layout,
    consumers: Vec<(i64, String)>,
    rows: Vec<MatrixRow>,
    window_days: i64,
    agreed: usize,
    proposed: usize,
    drafts: usize,
    missing: usize,
    reviews_overdue: usize,
}

/// An agreement's state in words and the tone that colours it.
fn cell_state(cell: &MatrixCell) -> (&'static str, &'static str) {
    match &cell.agreement {
        Some(agreement) if agreement.agreed_version.is_some() => {
            if agreement.status == "agreed" {
                ("Agreed", "ok")
            } else {
                ("Agreed, change pending", "ok")
            }
        }
        Some(agreement) if agreement.status == "proposed" => ("Proposed", "warn"),
        Some(_) => ("Draft", "paused"),
        None if !cell.services.is_empty() => ("No agreement", "bad"),
        None => ("No services", "none"),
    }
}

/// The heat map's class for a score: its step on the sequential scale, or
/// apart for insufficient data (see `domain::health::heat_step`).
fn heat_class(score: Option<f64>) -> String {
    roundtable_domain::health::heat_step(score)
        .map_or_else(|| "heat-none".to_owned(), |step| format!("heat-{step}"))
}

async fn volumes(state: &AppState, viewer: &Viewer) -> Result<HashMap<(i64, i64), i64>, WebError> {
    let since = Timestamp::now()
        .checked_sub(SignedDuration::from_hours(24 * WINDOW_DAYS))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    Ok(state
        .scoped(&viewer.actor)
        .request_volume_since(since)
        .await?
        .into_iter()
        .map(|volume| ((volume.provider.0, volume.consumer.0), volume.requests))
        .collect())
}

fn cell_view(cell: &MatrixCell, names: &HashMap<i64, String>, requests: i64) -> CellView {
    let (status, tone) = cell_state(cell);
    let review_overdue = cell
        .agreement
        .as_ref()
        .is_some_and(|agreement| agreement.review_overdue);
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    CellView {
        provider_id: cell.provider_department_id,
        consumer_id: cell.consumer_department_id,
        own: false,
        status,
        tone,
        heat: heat_class(cell.health.score),
        band: cell.health.band.replace('_', " "),
        provider: name(cell.provider_department_id),
        consumer: name(cell.consumer_department_id),
        services: cell.services.len(),
        requests,
        review_overdue,
        kudos: cell.kudos,
        health: cell.health.score.map(|score| {
            // The data points behind the counted components.
            let sample = cell
                .health
                .components
                .iter()
                .filter(|component| component.sufficient)
                .filter_map(|component| component.sample_size)
                .sum();
            (format!("{score:.0}"), sample)
        }),
        summary: format!(
            "{} serving {}: {status}, health {}, {} services, {requests} requests in {WINDOW_DAYS} days{}",
            name(cell.provider_department_id),
            name(cell.consumer_department_id),
            cell.health.score.map_or_else(
                || "insufficient data".to_owned(),
                |score| format!("{score:.0} ({})", cell.health.band.replace('_', " "))
            ),
            cell.services.len(),
            if review_overdue {
                ", review overdue"
            } else {
                ""
            }
        ),
    }
}

async fn matrix_cells(
    state: &AppState,
    viewer: &Viewer,
) -> Result<std::sync::Arc<SharedMatrix>, WebError> {
    Ok(shared_matrix(state, viewer.actor.organization_id, Some(WINDOW_DAYS)).await?)
}

/// `GET /matrix`: the heat map.
pub async fn show_matrix(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<MatrixPage, WebError> {
    let matrix = matrix_cells(&state, &viewer).await?;
    let volumes = volumes(&state, &viewer).await?;
    let names: HashMap<i64, String> = matrix
        .departments
        .iter()
        .map(|department| (department.id, department.name.clone()))
        .collect();
    let cells: HashMap<(i64, i64), &MatrixCell> = matrix
        .cells
        .iter()
        .map(|cell| {
            (
                (cell.provider_department_id, cell.consumer_department_id),
                cell,
            )
        })
        .collect();
    let rows = matrix
        .departments
        .iter()
        .map(|provider| MatrixRow {
            provider_id: provider.id,
            provider: provider.name.clone(),
            cells: matrix
                .departments
                .iter()
                .map(|consumer| match cells.get(&(provider.id, consumer.id)) {
                    Some(cell) => cell_view(
                        cell,
                        &names,
                        volumes
                            .get(&(provider.id, consumer.id))
                            .copied()
                            .unwrap_or(0),
                    ),
                    None => CellView {
                        provider_id: provider.id,
                        consumer_id: consumer.id,
                        own: true,
                        status: "Same department",
                        tone: "none",
                        heat: "heat-none".to_owned(),
                        band: String::new(),
                        provider: provider.name.clone(),
                        consumer: consumer.name.clone(),
                        services: 0,
                        requests: 0,
                        review_overdue: false,
                        health: None,
                        kudos: 0,
                        summary: format!("{}: its own department", provider.name),
                    },
                })
                .collect(),
        })
        .collect();
    let summary = &matrix.summary;
    Ok(MatrixPage {
        layout: Layout::new(&viewer, "The matrix", "matrix"),
        consumers: matrix
            .departments
            .iter()
            .map(|department| (department.id, department.name.clone()))
            .collect(),
        rows,
        window_days: WINDOW_DAYS,
        agreed: summary.agreed,
        proposed: summary.proposed,
        drafts: summary.drafts,
        missing: matrix
            .cells
            .iter()
            .filter(|cell| cell.agreement.is_none() && !cell.services.is_empty())
            .count(),
        reviews_overdue: summary.reviews_overdue,
    })
}

#[derive(Debug, Clone)]
pub struct ObligationView {
    pub description: String,
    pub due: Option<String>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "cell.html")]
pub struct CellPage {
    layout: Layout,
    provider_id: i64,
    consumer_id: i64,
    /// Whether the viewer may open the provider's queue.
    sees_queue: bool,
    provider: String,
    consumer: String,
    cell: CellView,
    services: Vec<ServiceCard>,
    agreement_version: Option<i64>,
    /// The cell's agreement, where it is drafted, accepted and reviewed.
    agreement_id: Option<i64>,
    agreed_version: Option<i64>,
    review: Option<String>,
    obligations: Vec<ObligationView>,
    notes: String,
    provider_accepted: Option<String>,
    consumer_accepted: Option<String>,
    window_days: i64,
    score: ScoreView,
    score_sentence: String,
    components: Vec<ComponentRow>,
    trend: TrendChart,
    input_quality: InputQualityRow,
    /// The latest closed pulse round's word on this cell, when there is one.
    pulse_note: Option<String>,
    frustrations: Vec<FrustrationView>,
    kudos: Vec<KudosEntry>,
}

/// An open frustration of the consumer about the provider, with its mirror.
#[derive(Debug, Clone)]
pub struct FrustrationView {
    pub title: String,
    pub body: String,
    pub mirror: String,
    pub status: String,
    pub votes: i64,
    pub raised: String,
}

/// The round table's frustrations from `consumer` about `provider` that are
/// still being worked (not resolved or parked), most voted first.
async fn open_frustrations(
    state: &AppState,
    viewer: &Viewer,
    provider: i64,
    consumer: i64,
) -> Result<Vec<FrustrationView>, WebError> {
    let frustrations = topics::open_frustrations(
        &Caller::new(&state.store, &viewer.actor),
        DepartmentId(provider),
        DepartmentId(consumer),
    )
    .await?;
    Ok(frustrations
        .into_iter()
        .map(|seen| TopicView::new(seen.topic, seen.voted))
        .map(|topic| FrustrationView {
            title: topic.title,
            body: topic.body,
            mirror: topic.mirror.unwrap_or_default(),
            status: topic.status.replace('_', " "),
            votes: topic.votes,
            raised: super::format::instant(&topic.created_at),
        })
        .collect())
}

/// The kudos of one cell over the window: given by people of `provider` to
/// `consumer` or its people (the cell's count in the matrix), newest first.
async fn cell_kudos(
    state: &AppState,
    viewer: &Viewer,
    (provider, consumer): (i64, i64),
) -> Result<Vec<KudosEntry>, WebError> {
    let since = Timestamp::now()
        .checked_sub(SignedDuration::from_hours(24 * WINDOW_DAYS))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let found = kudos::of_cell(
        &Caller::new(&state.store, &viewer.actor),
        DepartmentId(provider),
        DepartmentId(consumer),
        since,
    )
    .await?;
    Ok(found.into_iter().map(kudos_entry).collect())
}

/// `GET /matrix/{provider}/{consumer}`: one cell with its services and agreement.
pub async fn show_cell(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((provider, consumer)): Path<(String, String)>,
) -> Result<CellPage, WebError> {
    let parse = |text: &str| {
        text.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or(WebError::NotFound)
    };
    let (provider, consumer) = (parse(&provider)?, parse(&consumer)?);
    let matrix = matrix_cells(&state, &viewer).await?;
    let cell = matrix
        .cells
        .iter()
        .find(|cell| {
            cell.provider_department_id == provider && cell.consumer_department_id == consumer
        })
        .ok_or(WebError::NotFound)?;
    let names: HashMap<i64, String> = matrix
        .departments
        .iter()
        .map(|department| (department.id, department.name.clone()))
        .collect();
    let volumes = volumes(&state, &viewer).await?;
    let view = cell_view(
        cell,
        &names,
        volumes.get(&(provider, consumer)).copied().unwrap_or(0),
    );
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let mut services = Vec::new();
    for service in &cell.services {
        let service = scoped.service(service.id).await?;
        services.push(ServiceCard::new(&service, &directory));
    }
    let agreement = match &cell.agreement {
        Some(agreement) => Some(scoped.agreement(agreement.id).await?),
        None => None,
    };
    let detail = CellDetail::from(
        health::cell_detail(
            &Caller::new(&state.store, &viewer.actor),
            provider,
            consumer,
            Some(WINDOW_DAYS),
            Some(12),
        )
        .await?,
    );
    let frustrations = open_frustrations(&state, &viewer, provider, consumer).await?;
    let kudos = cell_kudos(&state, &viewer, (provider, consumer)).await?;
    let accepted = |by: Option<roundtable_domain::ids::PersonId>, at: Option<Timestamp>| {
        by.map(|person| {
            format!(
                "{}{}",
                directory.person_name(Some(person.0)),
                at.map(|at| format!(" on {}", super::format::instant(&at.to_string())))
                    .unwrap_or_default()
            )
        })
    };
    let name = |id: i64| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| directory.department_name(DepartmentId(id).0))
    };
    Ok(CellPage {
        layout: Layout::new(
            &viewer,
            format!("{} → {}", name(provider), name(consumer)),
            "matrix",
        ),
        provider_id: provider,
        consumer_id: consumer,
        sees_queue: super::sees_everything(&viewer.actor)
            || viewer.actor.department_id == Some(DepartmentId(provider)),
        provider: name(provider),
        consumer: name(consumer),
        cell: view,
        services,
        agreement_id: agreement.as_ref().map(|agreement| agreement.id),
        agreement_version: agreement
            .as_ref()
            .map(|agreement| agreement.current_version),
        agreed_version: agreement
            .as_ref()
            .and_then(|agreement| agreement.agreed_version),
        review: cell.agreement.as_ref().and_then(|agreement| {
            agreement.next_review_on.as_ref().map(|next| {
                format!(
                    "{} review, next on {next}{}",
                    agreement.review_cadence,
                    if agreement.review_overdue {
                        " (overdue)"
                    } else {
                        ""
                    }
                )
            })
        }),
        obligations: agreement
            .as_ref()
            .map(|agreement| {
                agreement
                    .current
                    .obligations
                    .iter()
                    .map(|obligation| ObligationView {
                        description: obligation.description.clone(),
                        due: obligation
                            .due_within_business_days
                            .map(|days| format!("within {days} business days")),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        notes: agreement
            .as_ref()
            .map(|agreement| agreement.current.notes.clone())
            .unwrap_or_default(),
        provider_accepted: agreement.as_ref().and_then(|agreement| {
            accepted(
                agreement.current.provider_accepted_by,
                agreement.current.provider_accepted_at,
            )
        }),
        consumer_accepted: agreement.as_ref().and_then(|agreement| {
            accepted(
                agreement.current.consumer_accepted_by,
                agreement.current.consumer_accepted_at,
            )
        }),
        window_days: detail.window_days,
        score: score_view(detail.health.score),
        score_sentence: score_sentence(&detail.health, detail.window_days),
        components: detail.health.components.iter().map(component_row).collect(),
        trend: trend_chart(&detail.trend),
        input_quality: input_quality_row(&detail.input_quality),
        pulse_note: detail
            .pulse
            .map(|pulse| match (pulse.note, pulse.respondents) {
                (Some(note), _) => format!("Latest closed pulse round: {note}."),
                (None, Some(respondents)) => format!(
                    "Latest closed pulse round: {respondents} people of {} answered.",
                    name(consumer)
                ),
                (None, None) => "Latest closed pulse round: answered.".to_owned(),
            }),
        frustrations,
        kudos,
    })
}

/// One relationship of a department, seen from its side.
#[derive(Debug, Clone)]
pub struct Relationship {
    pub other_id: i64,
    pub other: String,
    pub cell: CellView,
    /// The bar's length in the volume chart, in SVG units.
    pub bar: i64,
    pub y: i64,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "department.html")]
pub struct DepartmentPage {
    layout: Layout,
    id: i64,
    name: String,
    sees_queue: bool,
    /// The viewer may read the external-impact report of this department.
    sees_impact: bool,
    window_days: i64,
    as_provider: Vec<Relationship>,
    as_consumer: Vec<Relationship>,
    provider_chart_height: i64,
    consumer_chart_height: i64,
    scorecard: ScorecardView,
}

/// A department's scorecard as the page shows it: each side's health per
/// relationship as bars (numbers written) and rows, and its kudos.
#[derive(Debug, Clone)]
pub struct ScorecardView {
    pub as_provider: ScorecardSideView,
    pub as_consumer: ScorecardSideView,
    pub kudos_received: i64,
    pub kudos_given: i64,
    pub recognitions: i64,
    /// Its people credited on resolved requests.
    pub credits: i64,
}

#[derive(Debug, Clone)]
pub struct ScorecardSideView {
    pub average: ScoreView,
    pub bars: Vec<Bar>,
    pub chart_height: i64,
    pub rows: Vec<ScorecardRow>,
    /// The department's aggregate in the latest closed pulse round, in words.
    pub pulse: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ScorecardRow {
    pub other_id: i64,
    pub other: String,
    pub score: ScoreView,
    /// Data points behind the counted components.
    pub sample: i64,
    pub input_quality: InputQualityRow,
}

fn scorecard_side(side: crate::api::health::ScorecardSide) -> ScorecardSideView {
    let entries: Vec<(String, Option<f64>)> = side
        .cells
        .iter()
        .map(|cell| (cell.department_name.clone(), cell.health.score))
        .collect();
    let (bars, chart_height) = score_bars(&entries);
    ScorecardSideView {
        average: score_view(side.average_health),
        bars,
        chart_height,
        pulse: side.pulse.map(|pulse| match (pulse.note, pulse.scores) {
            (Some(note), _) => format!("Latest closed pulse round: {note}."),
            (None, Some(scores)) => format!(
                "Latest closed pulse round: perception {:.1} of 7 ({:.0} of 100) from {} people.",
                scores.perception_mean,
                scores.pulse_score,
                pulse.respondents.unwrap_or(0)
            ),
            (None, None) => "Latest closed pulse round: no scores.".to_owned(),
        }),
        rows: side
            .cells
            .into_iter()
            .map(|cell| ScorecardRow {
                other_id: cell.department_id,
                other: cell.department_name,
                score: score_view(cell.health.score),
                sample: cell
                    .health
                    .components
                    .iter()
                    .filter(|component| component.sufficient)
                    .filter_map(|component| component.sample_size)
                    .sum(),
                input_quality: input_quality_row(&cell.input_quality),
            })
            .collect(),
    }
}

/// The cells of a department in which something flows (services, an
/// agreement or requests), with bars scaled to the busiest.
fn relationships(cells: Vec<(i64, String, CellView)>) -> Vec<Relationship> {
    let mut cells: Vec<_> = cells
        .into_iter()
        .filter(|(_, _, cell)| cell.services > 0 || cell.requests > 0 || cell.tone != "none")
        .collect();
    cells.sort_by(|a, b| b.2.requests.cmp(&a.2.requests).then(a.1.cmp(&b.1)));
    let busiest = cells
        .iter()
        .map(|(_, _, cell)| cell.requests)
        .max()
        .unwrap_or(0)
        .max(1);
    cells
        .into_iter()
        .zip(0i64..)
        .map(|((other_id, other, cell), index)| Relationship {
            other_id,
            other,
            bar: cell.requests * 220 / busiest,
            y: index * 28,
            cell,
        })
        .collect()
}

/// Does the external-impact report show the viewer department `id`'s rows?
/// The report's own rule (`api::reports::reader_scope`), asked of this one department.
async fn reads_impact_of(state: &AppState, viewer: &Viewer, id: i64) -> Result<bool, WebError> {
    if !crate::api::reports::may_read_reports(viewer.actor.role) {
        return Ok(false);
    }
    let department = state
        .scoped(&viewer.actor)
        .department(DepartmentId(id))
        .await?;
    Ok(
        match crate::api::reports::reader_scope(&viewer.actor, std::slice::from_ref(&department)) {
            Ok(None) => true,
            Ok(Some(led)) => led.contains(&department.id),
            Err(_) => false,
        },
    )
}

/// `GET /departments/{id}`: a department's relationships as provider and as
/// consumer, from the matrix, with the volume of requests in each.
pub async fn show_department(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<DepartmentPage, WebError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)?;
    let matrix = matrix_cells(&state, &viewer).await?;
    let names: HashMap<i64, String> = matrix
        .departments
        .iter()
        .map(|department| (department.id, department.name.clone()))
        .collect();
    let name = names.get(&id).cloned().ok_or(WebError::NotFound)?;
    let card = Scorecard::from(
        health::scorecard(
            &Caller::new(&state.store, &viewer.actor),
            id,
            Some(WINDOW_DAYS),
        )
        .await?,
    );
    let volumes = volumes(&state, &viewer).await?;
    let view = |cell: &MatrixCell| {
        cell_view(
            cell,
            &names,
            volumes
                .get(&(cell.provider_department_id, cell.consumer_department_id))
                .copied()
                .unwrap_or(0),
        )
    };
    let other_name = |other: i64| names.get(&other).cloned().unwrap_or_default();
    let as_provider = relationships(
        matrix
            .cells
            .iter()
            .filter(|cell| cell.provider_department_id == id)
            .map(|cell| {
                (
                    cell.consumer_department_id,
                    other_name(cell.consumer_department_id),
                    view(cell),
                )
            })
            .collect(),
    );
    let as_consumer = relationships(
        matrix
            .cells
            .iter()
            .filter(|cell| cell.consumer_department_id == id)
            .map(|cell| {
                (
                    cell.provider_department_id,
                    other_name(cell.provider_department_id),
                    view(cell),
                )
            })
            .collect(),
    );
    Ok(DepartmentPage {
        layout: Layout::new(&viewer, name.clone(), "matrix"),
        sees_queue: super::sees_everything(&viewer.actor)
            || viewer.actor.department_id == Some(DepartmentId(id)),
        sees_impact: reads_impact_of(&state, &viewer, id).await?,
        id,
        name,
        window_days: WINDOW_DAYS,
        provider_chart_height: (as_provider.len() as i64 * 28).max(28),
        consumer_chart_height: (as_consumer.len() as i64 * 28).max(28),
        as_provider,
        as_consumer,
        scorecard: ScorecardView {
            kudos_received: card.kudos.received,
            kudos_given: card.kudos.given,
            recognitions: card.kudos.recognitions,
            credits: card.kudos.credits,
            as_provider: scorecard_side(card.as_provider),
            as_consumer: scorecard_side(card.as_consumer),
        },
    })
}
