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
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use roundtable_domain::ValidationErrors;
use roundtable_domain::external_impact::{ImpactTally, tally};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_store::auth::Actor;
use roundtable_store::departments::Department;
use roundtable_store::{PageRequest, Scoped};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(external_impact))
}

/// The default window: the last 90 days, today included.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;
/// The longest window a report covers.
pub const MAX_WINDOW_DAYS: i64 = 730;

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
pub fn window(query: &ImpactQuery, today: Date) -> Result<(Date, Date), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let day = |field: &str, text: &Option<String>, errors: &mut ValidationErrors| match text
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        None => Some(None),
        Some(text) => match text.parse::<Date>() {
            Ok(date) => Some(Some(date)),
            Err(_) => {
                errors.push(field, "must be a date, YYYY-MM-DD");
                None
            }
        },
    };
    let from = day("from", &query.from, &mut errors);
    let to = day("to", &query.to, &mut errors);
    let (Some(from), Some(to)) = (from, to) else {
        return Err(errors);
    };
    let to_given = to.is_some();
    let to = to.unwrap_or(today);
    let from = match from {
        Some(from) => from,
        None => to
            .checked_sub(jiff::Span::new().days(DEFAULT_WINDOW_DAYS - 1))
            .unwrap_or(to),
    };
    if from > to {
        if to_given {
            errors.push("to", "must be on or after from");
        } else {
            errors.push("from", "must not be after today (the window ends today)");
        }
        return Err(errors);
    }
    let days = i64::from(to.since(from).map(|span| span.get_days()).unwrap_or(0)) + 1;
    if days > MAX_WINDOW_DAYS {
        errors.push(
            "from",
            format!("the window may span at most {MAX_WINDOW_DAYS} days"),
        );
        return Err(errors);
    }
    Ok((from, to))
}

fn start_of(day: Date) -> Result<Timestamp, ApiError> {
    day.to_zoned(TimeZone::UTC)
        .map(|zoned| zoned.timestamp())
        .map_err(|_| ApiError::invalid("to", "is out of range"))
}

async fn all_departments(scoped: &Scoped<'_>) -> Result<Vec<Department>, ApiError> {
    let mut departments = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = scoped.list_departments(page).await?;
        departments.extend(listing.items);
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(departments),
        }
    }
}

/// Whether a role may open the report at all.
pub fn may_read_reports(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Executive | Role::Lead)
}

/// Who may read the report, and which providers' requests they see:
/// `None` for everything.
pub fn reader_scope(
    actor: &Actor,
    departments: &[Department],
) -> Result<Option<Vec<DepartmentId>>, ApiError> {
    if !may_read_reports(actor.role) {
        return Err(ApiError::forbidden(
            "The external-impact report is for department leads, executives and administrators.",
        ));
    }
    if matches!(actor.role, Role::Admin | Role::Executive) {
        return Ok(None);
    }
    Ok(Some(
        departments
            .iter()
            .filter(|department| department.lead_ids.contains(&actor.person_id))
            .map(|department| department.id)
            .collect(),
    ))
}

/// The external-impact report over a window of days (default the last 90).
/// Requests count when they were raised in the window; their clocks are read now.
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
    let scoped = state.scoped(&actor);
    let departments = all_departments(&scoped).await?;
    let providers = reader_scope(&actor, &departments)?;
    let now = Timestamp::now();
    let today = now.to_zoned(TimeZone::UTC).date();
    let (from, to) = window(&query, today)?;
    let end = to
        .tomorrow()
        .map_err(|_| ApiError::invalid("to", "is out of range"))?;
    let facts = scoped
        .external_impact_facts(start_of(from)?, start_of(end)?, providers.as_deref(), now)
        .await?;
    let report = tally(&facts);
    let segment_names = scoped.segment_names().await?;
    let department_names: HashMap<DepartmentId, String> = departments
        .into_iter()
        .map(|department| (department.id, department.name))
        .collect();
    let mut by_department: Vec<DepartmentImpact> = report
        .by_department
        .iter()
        .map(|(department, tally)| DepartmentImpact {
            department_id: department.0,
            department_name: department_names
                .get(department)
                .cloned()
                .unwrap_or_else(|| format!("Department {}", department.0)),
            figures: tally.into(),
        })
        .collect();
    by_department.sort_by(|a, b| a.department_name.cmp(&b.department_name));
    let mut by_segment: Vec<SegmentImpact> = report
        .by_segment
        .iter()
        .map(|(segment, tally)| SegmentImpact {
            segment_id: *segment,
            segment_name: match segment {
                Some(segment) => segment_names
                    .get(segment)
                    .cloned()
                    .unwrap_or_else(|| format!("Segment {segment}")),
                None => "No segment".to_owned(),
            },
            figures: tally.into(),
        })
        .collect();
    by_segment.sort_by(|a, b| {
        (a.segment_id.is_none(), &a.segment_name).cmp(&(b.segment_id.is_none(), &b.segment_name))
    });
    Ok(Json(ExternalImpactReport {
        from: from.to_string(),
        to: to.to_string(),
        scope: if providers.is_some() {
            "departments_led"
        } else {
            "organization"
        }
        .to_owned(),
        overall: (&report.overall).into(),
        by_department,
        by_segment,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: Option<&str>, to: Option<&str>) -> ImpactQuery {
        ImpactQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    fn fields(errors: ValidationErrors) -> Vec<String> {
        errors.0.into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn the_window_defaults_to_the_last_ninety_days() {
        let today = jiff::civil::date(2026, 11, 30);
        assert_eq!(
            window(&query(None, None), today).map_err(fields),
            Ok((jiff::civil::date(2026, 9, 2), today))
        );
        assert_eq!(
            window(&query(None, Some("2026-03-31")), today).map_err(fields),
            Ok((
                jiff::civil::date(2026, 1, 1),
                jiff::civil::date(2026, 3, 31)
            ))
        );
    }

    #[test]
    fn a_bad_window_names_its_field() {
        let today = jiff::civil::date(2026, 11, 30);
        let refused = |from: &str, to: &str| {
            window(&query(Some(from), Some(to)), today)
                .map_err(fields)
                .err()
        };
        assert_eq!(
            refused("soon", "later"),
            Some(vec!["from".to_owned(), "to".to_owned()])
        );
        assert_eq!(
            refused("2026-05-02", "2026-05-01"),
            Some(vec!["to".to_owned()])
        );
        assert_eq!(
            refused("2020-01-01", "2026-01-01"),
            Some(vec!["from".to_owned()])
        );
        assert_eq!(refused("2024-12-01", "2026-11-30"), None);
        assert_eq!(
            window(&query(Some("2027-01-01"), None), today)
                .map_err(fields)
                .err(),
            Some(vec!["from".to_owned()])
        );
    }
}
