//! Relationship health read closely: one matrix cell in detail (health
//! explained, input quality, the weekly trend and its latest pulse) and a
//! department's scorecard (its cells as provider and as consumer, its pulse
//! aggregates, thanks and credits). Everyone signed in reads them: they are
//! aggregates of the organization, and pulse figures arrive already under
//! the anonymity decision of `Scoped::pulse_results`.

use crate::{AppError, Caller};
use jiff::Timestamp;
use roundtable_domain::ids::DepartmentId;
use roundtable_store::departments::Department;
use roundtable_store::health::{CellHealth, TrendPoint};
use roundtable_store::kudos::DepartmentKudos;
use roundtable_store::pulses::{CellResult, DepartmentResult};

/// The days health looks back over: 1 to 730, default 90.
pub fn window_days(requested: Option<i64>) -> Result<i64, AppError> {
    let days = requested.unwrap_or(90);
    if (1..=730).contains(&days) {
        Ok(days)
    } else {
        Err(AppError::invalid(
            "window_days",
            "must be between 1 and 730",
        ))
    }
}

/// The weeks of a trend: 1 to 104, default 12.
pub fn weeks(requested: Option<usize>) -> Result<usize, AppError> {
    let weeks = requested.unwrap_or(12);
    if (1..=104).contains(&weeks) {
        Ok(weeks)
    } else {
        Err(AppError::invalid("weeks", "must be between 1 and 104"))
    }
}

/// One cell in detail.
#[derive(Debug, Clone)]
pub struct CellDetail {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub window_days: i64,
    pub health: CellHealth,
    pub trend: Vec<TrendPoint>,
    /// The cell in the latest closed round that asked about it.
    pub pulse: Option<CellResult>,
}

/// A cell of the matrix in detail. A department with itself, or an unknown
/// department, is not found.
#[tracing::instrument(skip(caller))]
pub async fn cell_detail(
    caller: &Caller<'_>,
    provider: i64,
    consumer: i64,
    window_days: Option<i64>,
    weeks: Option<usize>,
) -> Result<CellDetail, AppError> {
    let window_days = self::window_days(window_days)?;
    let weeks = self::weeks(weeks)?;
    let scoped = &caller.scoped;
    if provider == consumer {
        return Err(AppError::NotFound);
    }
    scoped.department(DepartmentId(provider)).await?;
    scoped.department(DepartmentId(consumer)).await?;
    let now = Timestamp::now();
    let cell = (DepartmentId(provider), DepartmentId(consumer));
    let report = scoped.relationship_health(window_days, now).await?;
    let mut trend = scoped
        .health_trend(&[cell], window_days, weeks, now)
        .await?;
    let rounds = scoped.closed_pulse_results(now).await?;
    let pulse = rounds
        .iter()
        .rev()
        .find_map(|results| results.cell(cell.0, cell.1))
        .cloned();
    Ok(CellDetail {
        provider: cell.0,
        consumer: cell.1,
        window_days,
        health: report.cell(cell),
        trend: trend.remove(&cell).unwrap_or_default(),
        pulse,
    })
}

/// One cell of a scorecard: the other department and the cell's health.
#[derive(Debug, Clone)]
pub struct ScorecardCell {
    pub other: DepartmentId,
    pub other_name: String,
    pub health: CellHealth,
}

/// A department seen as provider and as consumer.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub department: Department,
    pub window_days: i64,
    pub as_provider: Vec<ScorecardCell>,
    pub as_consumer: Vec<ScorecardCell>,
    /// Its aggregates in the latest closed round, when that round has one.
    pub provider_pulse: Option<DepartmentResult>,
    pub consumer_pulse: Option<DepartmentResult>,
    pub kudos: DepartmentKudos,
    /// Times its people were credited on resolved requests.
    pub credits: i64,
}

/// A department's scorecard over the window.
#[tracing::instrument(skip(caller))]
pub async fn scorecard(
    caller: &Caller<'_>,
    id: i64,
    window_days: Option<i64>,
) -> Result<Scorecard, AppError> {
    let window_days = self::window_days(window_days)?;
    let scoped = &caller.scoped;
    let department = scoped.department(DepartmentId(id)).await?;
    let now = Timestamp::now();
    let report = scoped.relationship_health(window_days, now).await?;
    let facts = scoped.matrix_facts().await?;
    let this = department.id;
    let others: Vec<(DepartmentId, String)> = facts
        .departments
        .into_iter()
        .filter(|(other, _, _)| *other != this)
        .map(|(other, _, name)| (other, name))
        .collect();
    let rounds = scoped.closed_pulse_results(now).await?;
    let latest = rounds.last();
    let provider_pulse = latest.and_then(|results| {
        results
            .as_provider
            .iter()
            .find(|result| result.department == this)
            .cloned()
    });
    let consumer_pulse = latest.and_then(|results| {
        results
            .as_consumer
            .iter()
            .find(|result| result.department == this)
            .cloned()
    });
    let side = |cell: &dyn Fn(DepartmentId) -> (DepartmentId, DepartmentId)| -> Vec<ScorecardCell> {
        others
            .iter()
            .map(|(other, name)| ScorecardCell {
                other: *other,
                other_name: name.clone(),
                health: report.cell(cell(*other)),
            })
            .collect()
    };
    let as_provider = side(&|other| (this, other));
    let as_consumer = side(&|other| (other, this));
    let since = now
        .checked_sub(jiff::SignedDuration::from_hours(
            window_days.saturating_mul(24),
        ))
        .unwrap_or(Timestamp::MIN);
    let kudos = scoped.department_kudos(this, since).await?;
    let credits = scoped.department_credits(this, since).await?;
    Ok(Scorecard {
        department,
        window_days,
        as_provider,
        as_consumer,
        provider_pulse,
        consumer_pulse,
        kudos,
        credits,
    })
}
