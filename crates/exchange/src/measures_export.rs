//! Exports of what Roundtable measures: requests with their clocks, answered
//! checks, pulse aggregates and health per cell. Pulse rows come only from
//! `Scoped::pulse_results`, so an export can never hold an aggregate under
//! the anonymity threshold, nor any individual answer or comment.

use crate::export::{ExportError, ExportKind, RowWriter};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::health::ComponentKind;
use roundtable_domain::pulses::{CellScores, Dimension};
use roundtable_store::requests::RequestFilter;
use roundtable_store::{PageRequest, Scoped};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Serialize)]
struct RequestRow {
    id: i64,
    title: String,
    service_id: Option<i64>,
    provider_department_id: i64,
    consumer_department_id: Option<i64>,
    requester_person_id: i64,
    priority: String,
    status: String,
    external_impact: String,
    created_at: String,
    first_response_at: Option<String>,
    resolved_at: Option<String>,
    first_response_state: Option<String>,
    first_response_elapsed_minutes: Option<i64>,
    first_response_target_minutes: i64,
    fulfilment_state: Option<String>,
    fulfilment_elapsed_minutes: Option<i64>,
    fulfilment_target_minutes: i64,
    delivered_on_time: Option<bool>,
}

#[derive(Debug, Serialize)]
struct CheckRow {
    id: i64,
    request_id: i64,
    provider_department_id: i64,
    consumer_department_id: Option<i64>,
    service_id: Option<i64>,
    created_at: String,
    answered_at: Option<String>,
    answer: Option<String>,
    rating: Option<i64>,
}

#[derive(Debug, Serialize)]
struct PulseRow {
    round_id: i64,
    round_name: String,
    /// `cell`, `provider` (a provider across its consumers) or `consumer`.
    scope: &'static str,
    provider_department_id: Option<i64>,
    consumer_department_id: Option<i64>,
    respondents: Option<i64>,
    dimension: &'static str,
    perception_mean: f64,
    expectation_mean: f64,
    service_gap: f64,
    importance_mean: f64,
    self_rating_mean: Option<f64>,
    mirror_gap: Option<f64>,
    importance_weighted_gap: f64,
}

#[derive(Debug, Serialize)]
struct HealthRow {
    provider_department_id: i64,
    consumer_department_id: i64,
    window_days: i64,
    health: Option<f64>,
    satisfaction: Option<f64>,
    satisfaction_sample: Option<i64>,
    pulse: Option<f64>,
    pulse_sample: Option<i64>,
    reliability: Option<f64>,
    reliability_sample: Option<i64>,
    responsiveness: Option<f64>,
    responsiveness_sample: Option<i64>,
    input_quality: Option<f64>,
    input_quality_sample: i64,
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn minutes(duration: SignedDuration) -> i64 {
    duration.as_secs() / 60
}

fn pulse_rows(
    round_id: i64,
    round_name: &str,
    scope: &'static str,
    cell: (Option<i64>, Option<i64>),
    respondents: Option<i64>,
    scores: &CellScores,
) -> Vec<PulseRow> {
    scores
        .dimensions
        .iter()
        .zip(Dimension::ALL)
        .map(|(score, dimension)| PulseRow {
            round_id,
            round_name: round_name.to_owned(),
            scope,
            provider_department_id: cell.0,
            consumer_department_id: cell.1,
            respondents,
            dimension: dimension.as_str(),
            perception_mean: round(score.perception_mean),
            expectation_mean: round(score.expectation_mean),
            service_gap: round(score.service_gap),
            importance_mean: round(score.importance_mean),
            self_rating_mean: score.self_rating_mean.map(round),
            mirror_gap: score.mirror_gap.map(round),
            importance_weighted_gap: round(scores.importance_weighted_gap),
        })
        .collect()
}

pub(crate) async fn export_measures<W: Write>(
    scoped: &Scoped<'_>,
    kind: ExportKind,
    writer: &mut RowWriter<W>,
) -> Result<u64, ExportError> {
    let now = Timestamp::now();
    let mut rows = 0;
    match kind {
        ExportKind::Requests => {
            let context = scoped.clock_context().await?;
            let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
            loop {
                let listing = scoped.list_requests(RequestFilter::default(), page).await?;
                for request in &listing.items {
                    let clocks = request.clocks(&context, now);
                    writer.write(&RequestRow {
                        id: request.id,
                        title: request.title.clone(),
                        service_id: request.service_id,
                        provider_department_id: request.provider_department_id.0,
                        consumer_department_id: request
                            .consumer_department_id
                            .map(|department| department.0),
                        requester_person_id: request.requester_person_id.0,
                        priority: request.priority.as_str().to_owned(),
                        status: request.status.as_str().to_owned(),
                        external_impact: request.external_impact.as_str().to_owned(),
                        created_at: request.created_at.to_string(),
                        first_response_at: request.first_response_at.map(|at| at.to_string()),
                        resolved_at: request.resolved_at.map(|at| at.to_string()),
                        first_response_state: clocks
                            .map(|(response, _)| response.state.as_str().to_owned()),
                        first_response_elapsed_minutes: clocks
                            .map(|(response, _)| minutes(response.elapsed)),
                        first_response_target_minutes: request.targets.first_response_minutes,
                        fulfilment_state: clocks
                            .map(|(_, fulfilment)| fulfilment.state.as_str().to_owned()),
                        fulfilment_elapsed_minutes: clocks
                            .map(|(_, fulfilment)| minutes(fulfilment.elapsed)),
                        fulfilment_target_minutes: request.targets.fulfilment_minutes,
                        delivered_on_time: request.delivered_on_time,
                    })?;
                    rows += 1;
                }
                match listing.next_after {
                    Some(after) => page.after = Some(after),
                    None => break,
                }
            }
        }
        ExportKind::Checks => {
            for check in scoped.answered_checks(Timestamp::UNIX_EPOCH, now).await? {
                writer.write(&CheckRow {
                    id: check.id,
                    request_id: check.request_id,
                    provider_department_id: check.provider_department_id.0,
                    consumer_department_id: check
                        .consumer_department_id
                        .map(|department| department.0),
                    service_id: check.service_id,
                    created_at: check.created_at.to_string(),
                    answered_at: check.answered_at.map(|at| at.to_string()),
                    answer: check.answer.map(|answer| answer.as_str().to_owned()),
                    rating: check.rating,
                })?;
                rows += 1;
            }
        }
        ExportKind::Pulses => {
            for results in scoped.closed_pulse_results(now).await? {
                let round = &results.round;
                let mut lines = Vec::new();
                for cell in &results.cells {
                    if let Some(scores) = cell.scores.as_ref().filter(|_| cell.disclosed) {
                        lines.extend(pulse_rows(
                            round.id,
                            &round.name,
                            "cell",
                            (Some(cell.provider.0), Some(cell.consumer.0)),
                            cell.respondents,
                            scores,
                        ));
                    }
                }
                for result in &results.as_provider {
                    if let Some(scores) = result.scores.as_ref().filter(|_| result.disclosed) {
                        lines.extend(pulse_rows(
                            round.id,
                            &round.name,
                            "provider",
                            (Some(result.department.0), None),
                            result.respondents,
                            scores,
                        ));
                    }
                }
                for result in &results.as_consumer {
                    if let Some(scores) = result.scores.as_ref().filter(|_| result.disclosed) {
                        lines.extend(pulse_rows(
                            round.id,
                            &round.name,
                            "consumer",
                            (None, Some(result.department.0)),
                            result.respondents,
                            scores,
                        ));
                    }
                }
                for line in &lines {
                    writer.write(line)?;
                    rows += 1;
                }
            }
        }
        ExportKind::Health => {
            let report = scoped.relationship_health(90, now).await?;
            let mut cells: Vec<_> = report.cells.iter().collect();
            cells.sort_by_key(|(cell, _)| **cell);
            for ((provider, consumer), cell) in cells {
                let component = |kind: ComponentKind| {
                    cell.health
                        .components
                        .iter()
                        .find(|component| component.kind == kind)
                };
                let value = |kind: ComponentKind| {
                    component(kind)
                        .and_then(|component| component.value)
                        .map(round)
                };
                let sample = |kind: ComponentKind| {
                    component(kind).and_then(|component| component.sample_size)
                };
                writer.write(&HealthRow {
                    provider_department_id: provider.0,
                    consumer_department_id: consumer.0,
                    window_days: report.window_days,
                    health: cell.health.score.map(round),
                    satisfaction: value(ComponentKind::Satisfaction),
                    satisfaction_sample: sample(ComponentKind::Satisfaction),
                    pulse: value(ComponentKind::Pulse),
                    pulse_sample: sample(ComponentKind::Pulse),
                    reliability: value(ComponentKind::Reliability),
                    reliability_sample: sample(ComponentKind::Reliability),
                    responsiveness: value(ComponentKind::Responsiveness),
                    responsiveness_sample: sample(ComponentKind::Responsiveness),
                    input_quality: cell.input_quality.score().map(round),
                    input_quality_sample: cell.input_quality.rated(),
                })?;
                rows += 1;
            }
        }
        ExportKind::People
        | ExportKind::Departments
        | ExportKind::AuditLog
        | ExportKind::ExternalImpact => {}
    }
    Ok(rows)
}
