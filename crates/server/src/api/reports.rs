//! `GET /api/v1/reports/external-impact`: the chain from an internal miss to
//! an external customer. Per provider department and per customer segment,
//! the requests that carried external impact, how many breached a clock or
//! were deferred, and the business time external customers waited on the
//! internal work.
//!
//! Who sees what: executives and administrators see the whole organization;
//! a lead sees the requests of the departments they lead (both tables are
//! then built from those requests alone); members are refused. Unlike the
//! matrix's health scores, which are aggregates of the whole organization,
//! this report counts individual misses per department, which is the
//! department's and leadership's business, like a department's queue.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::ApiQuery;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use roundtable_app::Caller;
use roundtable_app::reports::{self, ExternalImpact, WindowInput};
pub use roundtable_app::reports::{may_read_reports, reader_scope};
use roundtable_domain::external_impact::ImpactTally;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(external_impact))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// The first day (UTC) of the window, `YYYY-MM-DD`; default 89 days before `to`.
    pub from: Option<String>,
    /// The last day (UTC) of the window, included, `YYYY-MM-DD`; default today.
    pub to: Option<String>,
}

/// The figures of one group of requests with external impact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactFigures {
    /// Requests with external impact.
    pub requests: i64,
    pub customer_affected: i64,
    pub customer_waiting: i64,
    /// Of those, how many breached (or missed) their first-response or fulfilment clock.
    pub breached: i64,
    /// Of those, how many the provider deferred for another external customer.
    pub deferred: i64,
    /// Business minutes external customers waited on the internal work: the
    /// provider's fulfilment clock (its calendar, paused time excluded), summed.
    pub waited_business_minutes: i64,
    /// The median of the same, per request; absent when nothing was measured.
    pub median_waited_business_minutes: Option<i64>,
    /// Requests whose provider has no business calendar, so their waiting is not counted.
    pub unmeasured: i64,
}

impl From<&ImpactTally> for ImpactFigures {
    fn from(tally: &ImpactTally) -> Self {
        ImpactFigures {
            requests: tally.requests(),
            customer_affected: tally.customer_affected,
            customer_waiting: tally.customer_waiting,
            breached: tally.breached,
            deferred: tally.deferred,
            waited_business_minutes: tally.waited_minutes,
            median_waited_business_minutes: tally.median_waited_minutes(),
            unmeasured: tally.unmeasured,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentImpact {
    pub department_id: i64,
    pub department_name: String,
    pub figures: ImpactFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentImpact {
    /// Absent for the requests that named no segment.
    pub segment_id: Option<i64>,
    /// The segment's name, or "No segment".
    pub segment_name: String,
    pub figures: ImpactFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExternalImpactReport {
    /// The window's first day (UTC).
    pub from: String,
    /// The window's last day (UTC), included.
    pub to: String,
    /// `organization` (everything) or `departments_led` (a lead's own departments).
    pub scope: String,
    pub overall: ImpactFigures,
    /// Per provider department, in name order.
    pub by_department: Vec<DepartmentImpact>,
    /// Per customer segment, in name order, "No segment" last.
    pub by_segment: Vec<SegmentImpact>,
}

/// The window as days, every problem named by its parameter.
#[utoipa::path(
    get, path = "/reports/external-impact", tag = "reports", params(ImpactQuery),
    responses(
        (status = 200, body = ExternalImpactReport), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn external_impact(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<ImpactQuery>,
) -> Result<Json<ExternalImpactReport>, ApiError> {
    let report = reports::external_impact(
        &Caller::new(&state.store, &actor),
        WindowInput {
            from: query.from,
            to: query.to,
        },
    )
    .await?;
    Ok(Json(ExternalImpactReport::from(report)))
}

impl From<ExternalImpact> for ExternalImpactReport {
    fn from(report: ExternalImpact) -> Self {
        ExternalImpactReport {
            from: report.from.to_string(),
            to: report.to.to_string(),
            scope: if report.led_only {
                "departments_led"
            } else {
                "organization"
            }
            .to_owned(),
            overall: (&report.overall).into(),
            by_department: report
                .by_department
                .iter()
                .map(|row| DepartmentImpact {
                    department_id: row.key.0,
                    department_name: row.name.clone(),
                    figures: (&row.tally).into(),
                })
                .collect(),
            by_segment: report
                .by_segment
                .iter()
                .map(|row| SegmentImpact {
                    segment_id: row.key,
                    segment_name: row.name.clone(),
                    figures: (&row.tally).into(),
                })
                .collect(),
        }
    }
}
