//! `/reports/external-impact`: the external-impact report in a browser. The
//! figures come from `app::reports::external_impact`, the use case the API
//! calls too, so the page shows exactly what the API answers to the same
//! person (a lead their own departments' rows); a bad window comes back as
//! field errors, shown next to the date it names with the dates kept.

use super::format::business_duration;
use super::{FieldErrors, Layout, Viewer, WebError, render};
use crate::AppState;
use crate::api::reports::{ExternalImpactReport, ImpactFigures};
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::reports::{self, WindowInput};
use serde::Deserialize;

/// A row of either table, in words and numbers.
#[derive(Debug, Clone)]
pub struct ImpactRow {
    pub name: String,
    /// The department's page, for department rows.
    pub link: Option<String>,
    pub requests: i64,
    pub customer_waiting: i64,
    pub customer_affected: i64,
    pub breached: i64,
    pub deferred: i64,
    pub waited: String,
    pub median: String,
    pub unmeasured: i64,
    /// The bar of business time waited in the chart, in SVG units, and its row's offset.
    pub bar: i64,
    pub y: i64,
}

#[derive(Debug, Template)]
#[template(path = "external_impact.html")]
pub struct ExternalImpactPage {
    layout: Layout,
    from: String,
    to: String,
    errors: FieldErrors,
    /// Whether the figures cover only the departments the viewer leads.
    led_only: bool,
    overall: Option<ImpactRow>,
    by_department: Vec<ImpactRow>,
    by_segment: Vec<ImpactRow>,
    chart_height: i64,
}

#[derive(Debug, Default, Deserialize)]
pub struct WindowForm {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The longest bar of the chart, in SVG units.
const BAR_WIDTH: i64 = 220;

fn row(name: String, link: Option<String>, figures: &ImpactFigures) -> ImpactRow {
    ImpactRow {
        name,
        link,
        requests: figures.requests,
        customer_waiting: figures.customer_waiting,
        customer_affected: figures.customer_affected,
        breached: figures.breached,
        deferred: figures.deferred,
        waited: business_duration(figures.waited_business_minutes),
        median: figures
            .median_waited_business_minutes
            .map(business_duration)
            .unwrap_or_else(|| "not measured".to_owned()),
        unmeasured: figures.unmeasured,
        bar: 0,
        y: 0,
    }
}

/// Sizes the chart's bars (business time waited per department) to the longest.
fn with_bars(rows: &mut [ImpactRow], report: &ExternalImpactReport) {
    let longest = report
        .by_department
        .iter()
        .map(|department| department.figures.waited_business_minutes)
        .max()
        .unwrap_or(0)
        .max(1);
    for ((row, department), index) in rows.iter_mut().zip(&report.by_department).zip(0i64..) {
        row.bar = (department.figures.waited_business_minutes * BAR_WIDTH / longest).max(2);
        row.y = index * 28;
    }
}

/// `GET /reports/external-impact?from=…&to=…`.
pub async fn show_external_impact(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<WindowForm>,
) -> Result<Response, WebError> {
    let outcome = reports::external_impact(
        &Caller::new(&state.store, &viewer.actor),
        WindowInput {
            from: form.from.clone(),
            to: form.to.clone(),
        },
    )
    .await
    .map(ExternalImpactReport::from)
    .map_err(ApiError::from);
    let layout = Layout::new(&viewer, "External impact", "impact");
    let page = match outcome {
        Ok(report) => {
            let mut by_department: Vec<ImpactRow> = report
                .by_department
                .iter()
                .map(|department| {
                    row(
                        department.department_name.clone(),
                        Some(format!("/departments/{}", department.department_id)),
                        &department.figures,
                    )
                })
                .collect();
            with_bars(&mut by_department, &report);
            ExternalImpactPage {
                layout,
                from: report.from.clone(),
                to: report.to.clone(),
                errors: FieldErrors::default(),
                led_only: report.scope == "departments_led",
                overall: Some(row("All".to_owned(), None, &report.overall)),
                chart_height: (by_department.len() as i64 * 28).max(28),
                by_department,
                by_segment: report
                    .by_segment
                    .iter()
                    .map(|segment| row(segment.segment_name.clone(), None, &segment.figures))
                    .collect(),
            }
        }
        Err(ApiError::Validation(errors)) => {
            let page = ExternalImpactPage {
                layout,
                from: form.from.unwrap_or_default(),
                to: form.to.unwrap_or_default(),
                errors: errors.into(),
                led_only: false,
                overall: None,
                by_department: Vec::new(),
                by_segment: Vec::new(),
                chart_height: 28,
            };
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
        Err(other) => return Err(other.into()),
    };
    Ok(render(StatusCode::OK, &page))
}
