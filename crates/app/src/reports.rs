//! The external-impact report: the chain from an internal miss to an
//! external customer, per provider department and per customer segment.
//!
//! Who sees what: executives and administrators see the whole organization;
//! a lead sees the requests of the departments they lead (both tables are
//! then built from those requests alone); members are refused. Unlike the
//! matrix's health scores, which are aggregates of the whole organization,
//! this report counts individual misses per department, which is the
//! department's and leadership's business, like a department's queue.

use crate::{AppError, Caller};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use roundtable_domain::ValidationErrors;
use roundtable_domain::external_impact::{ImpactTally, tally};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_store::auth::Actor;
use roundtable_store::departments::Department;
use roundtable_store::every_page;
use std::collections::HashMap;

/// The default window: the last 90 days, today included.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;
/// The longest window a report covers.
pub const MAX_WINDOW_DAYS: i64 = 730;

/// The window asked for: `from` and `to` as `YYYY-MM-DD`, either or both missing.
#[derive(Debug, Clone, Default)]
pub struct WindowInput {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The days of the report, both included: by default the last 90 days
/// ending `today`; at most 730 days; each problem named at its field.
pub fn window(input: &WindowInput, today: Date) -> Result<(Date, Date), ValidationErrors> {
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
    let from = day("from", &input.from, &mut errors);
    let to = day("to", &input.to, &mut errors);
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

/// Leads, executives and administrators read reports; members do not.
pub fn may_read_reports(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Executive | Role::Lead)
}

/// The provider departments whose requests the actor may count: `None` for
/// the whole organization, otherwise the departments they lead among
/// `departments`.
pub fn reader_scope(
    actor: &Actor,
    departments: &[Department],
) -> Result<Option<Vec<DepartmentId>>, AppError> {
    if !may_read_reports(actor.role) {
        return Err(AppError::forbidden(
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

/// One row of a table: what it counts, named, and its figures.
#[derive(Debug, Clone)]
pub struct ImpactRow<Key> {
    pub key: Key,
    pub name: String,
    pub tally: ImpactTally,
}

/// The report, with its rows sorted by name (the no-segment row last).
#[derive(Debug, Clone)]
pub struct ExternalImpact {
    pub from: Date,
    pub to: Date,
    /// Counted over the departments the reader leads, not the organization.
    pub led_only: bool,
    pub overall: ImpactTally,
    pub by_department: Vec<ImpactRow<DepartmentId>>,
    pub by_segment: Vec<ImpactRow<Option<i64>>>,
}

fn start_of(day: Date) -> Result<Timestamp, AppError> {
    day.to_zoned(TimeZone::UTC)
        .map(|zoned| zoned.timestamp())
        .map_err(|_| AppError::invalid("to", "is out of range"))
}

async fn all_departments(caller: &Caller<'_>) -> Result<Vec<Department>, AppError> {
    Ok(every_page(|page| caller.scoped.list_departments(page)).await?)
}

/// The external-impact report over a window of days.
#[tracing::instrument(skip(caller))]
pub async fn external_impact(
    caller: &Caller<'_>,
    input: WindowInput,
) -> Result<ExternalImpact, AppError> {
    let departments = all_departments(caller).await?;
    let providers = reader_scope(caller.actor, &departments)?;
    let now = Timestamp::now();
    let today = now.to_zoned(TimeZone::UTC).date();
    let (from, to) = window(&input, today)?;
    let end = to
        .tomorrow()
        .map_err(|_| AppError::invalid("to", "is out of range"))?;
    let facts = caller
        .scoped
        .external_impact_facts(start_of(from)?, start_of(end)?, providers.as_deref(), now)
        .await?;
    let report = tally(&facts);
    let segment_names = caller.scoped.segment_names().await?;
    let department_names: HashMap<DepartmentId, String> = departments
        .into_iter()
        .map(|department| (department.id, department.name))
        .collect();
    let mut by_department: Vec<ImpactRow<DepartmentId>> = report
        .by_department
        .into_iter()
        .map(|(department, tally)| ImpactRow {
            key: department,
            name: department_names
                .get(&department)
                .cloned()
                .unwrap_or_else(|| format!("Department {}", department.0)),
            tally,
        })
        .collect();
    by_department.sort_by(|a, b| a.name.cmp(&b.name));
    let mut by_segment: Vec<ImpactRow<Option<i64>>> = report
        .by_segment
        .into_iter()
        .map(|(segment, tally)| ImpactRow {
            key: segment,
            name: match segment {
                Some(segment) => segment_names
                    .get(&segment)
                    .cloned()
                    .unwrap_or_else(|| format!("Segment {segment}")),
                None => "No segment".to_owned(),
            },
            tally,
        })
        .collect();
    by_segment.sort_by(|a, b| (a.key.is_none(), &a.name).cmp(&(b.key.is_none(), &b.name)));
    Ok(ExternalImpact {
        from,
        to,
        led_only: providers.is_some(),
        overall: report.overall,
        by_department,
        by_segment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(from: Option<&str>, to: Option<&str>) -> WindowInput {
        WindowInput {
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
            window(&input(None, None), today).map_err(fields),
            Ok((jiff::civil::date(2026, 9, 2), today))
        );
        assert_eq!(
            window(&input(None, Some("2026-03-31")), today).map_err(fields),
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
            window(&input(Some(from), Some(to)), today)
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
            window(&input(Some("2027-01-01"), None), today)
                .map_err(fields)
                .err(),
            Some(vec!["from".to_owned()])
        );
    }
}
