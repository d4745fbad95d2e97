//! What relationship health is computed from: per cell and per day, the
//! answered checks, the requests resolved (on time or not) and the first
//! responses (within target or not), read as grouped sums over the outcomes
//! fixed when clocks stop — never by replaying clocks — plus the pulse
//! results of closed rounds. `domain::health` turns them into scores.

use crate::health_rollup::{CellDayOutcomes, day_text};
use crate::pulses::{Cell, RoundResults};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use roundtable_domain::health::{
    DailyTallies, Health, PulseInput, Tally, health, weekly_points, window_start, window_total,
};
use roundtable_domain::ids::DepartmentId;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How the provider rated the input it got from the consumer: the reciprocal
/// side of the cell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InputQuality {
    pub complete: i64,
    pub partial: i64,
    pub poor: i64,
}

impl InputQuality {
    pub fn rated(&self) -> i64 {
        self.complete + self.partial + self.poor
    }

    /// complete 100, partial 50, poor 0; the mean, when anything was rated.
    pub fn score(&self) -> Option<f64> {
        let rated = self.rated();
        (rated > 0).then(|| (self.complete * 100 + self.partial * 50) as f64 / rated as f64)
    }
}

/// The pulse round a cell's pulse component came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseSource {
    pub round_id: i64,
    pub round_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CellHealth {
    pub health: Health,
    pub pulse_source: Option<PulseSource>,
    pub input_quality: InputQuality,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    pub window_days: i64,
    pub first_day: Date,
    pub last_day: Date,
    /// Every cell with any data; a cell missing here has insufficient data.
    pub cells: HashMap<Cell, CellHealth>,
}

impl HealthReport {
    /// A cell's health, "insufficient data" when nothing is known about it.
    pub fn cell(&self, cell: Cell) -> CellHealth {
        self.cells
            .get(&cell)
            .cloned()
            .unwrap_or_else(|| CellHealth {
                health: health(&DailyTallies::default(), None),
                pulse_source: None,
                input_quality: InputQuality::default(),
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendPoint {
    pub week_ending: Date,
    pub score: Option<f64>,
}

fn utc_day(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::UTC).date()
}

fn cell_of(row: &AnyRow) -> Result<Option<Cell>, StoreError> {
    let provider: i64 = row.try_get("provider_department_id")?;
    let consumer: Option<i64> = row.try_get("consumer_department_id")?;
    Ok(consumer.map(|consumer| (DepartmentId(provider), DepartmentId(consumer))))
}

fn day_of(row: &AnyRow) -> Result<Date, StoreError> {
    let text: String = row.try_get("day")?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("day {text:?}")))
}

fn tallies_of(outcomes: &CellDayOutcomes) -> DailyTallies {
    DailyTallies {
        satisfaction: Tally {
            points: outcomes.satisfaction_points,
            count: outcomes.satisfaction_count,
        },
        reliability: Tally::of_outcomes(outcomes.delivered_on_time, outcomes.delivered),
        responsiveness: Tally::of_outcomes(outcomes.responded_in_time, outcomes.response_judged),
    }
}

fn input_quality_of(outcomes: &CellDayOutcomes) -> InputQuality {
    InputQuality {
        complete: outcomes.input_complete,
        partial: outcomes.input_partial,
        poor: outcomes.input_poor,
    }
}

/// The latest closed round asking about `cell` by the end of `day`, as the
/// pulse component sees it.
fn pulse_for(
    rounds: &[Arc<RoundResults>],
    cell: Cell,
    day: Date,
) -> Option<(PulseInput, PulseSource)> {
    let end = day
        .tomorrow()
        .ok()?
        .to_zoned(TimeZone::UTC)
        .ok()?
        .timestamp();
    rounds
        .iter()
        .rev()
        .filter(|results| results.round.closing() <= end)
        .find_map(|results| {
            let result = results.cell(cell.0, cell.1)?;
            let input = PulseInput {
                score: result
                    .scores
                    .as_ref()
                    .map_or(0.0, |scores| scores.pulse_score),
                respondents: result.respondents.unwrap_or(0),
                disclosed: result.disclosed && result.scores.is_some(),
            };
            Some((
                input,
                PulseSource {
                    round_id: results.round.id,
                    round_name: results.round.name.clone(),
                },
            ))
        })
}

impl Scoped<'_> {
    /// Per cell and day, from `first` to `last` (UTC days, both included),
    /// read from the rollup.
    pub async fn cell_daily_tallies(
        &self,
        first: Date,
        last: Date,
    ) -> Result<HashMap<Cell, BTreeMap<Date, DailyTallies>>, StoreError> {
        self.daily_tallies_of(first, last, None).await
    }

    /// [`Self::cell_daily_tallies`], for one cell only when `only` is given.
    async fn daily_tallies_of(
        &self,
        first: Date,
        last: Date,
        only: Option<Cell>,
    ) -> Result<HashMap<Cell, BTreeMap<Date, DailyTallies>>, StoreError> {
        let filter = if only.is_some() {
            " AND provider_department_id = $4 AND consumer_department_id = $5"
        } else {
            ""
        };
        let sql = format!(
            "SELECT day, provider_department_id, consumer_department_id, {} FROM cell_day_outcomes \
             WHERE organization_id = $1 AND day >= $2 AND day <= $3{filter}",
            CellDayOutcomes::COLUMNS.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(self.organization.0)
            .bind(day_text(first))
            .bind(day_text(last));
        if let Some((provider, consumer)) = only {
            query = query.bind(provider.0).bind(consumer.0);
        }
        let rows = query.fetch_all(self.store.reader()).await?;
        let mut cells: HashMap<Cell, BTreeMap<Date, DailyTallies>> = HashMap::new();
        for row in &rows {
            let Some(cell) = cell_of(row)? else { continue };
            cells
                .entry(cell)
                .or_default()
                .insert(day_of(row)?, tallies_of(&CellDayOutcomes::from_row(row)?));
        }
        Ok(cells)
    }

    /// Per cell, the rollup summed over `first` to `last` (both included):
    /// the window's tallies and input quality, in one grouped read.
    /// The rollup's sums per cell from `first` to `last`. The matrix, the
    /// scorecards and the reviews all ask for the same window, and only a
    /// committed write can change it, so the sums are kept per data
    /// generation (see `caches`): readers share one grouped read between writes.
    async fn window_sums(
        &self,
        first: Date,
        last: Date,
    ) -> Result<Arc<HashMap<Cell, CellDayOutcomes>>, StoreError> {
        let caches = self.store.caches();
        let generation = caches.data.current();
        let key = (self.organization.0, first, last);
        if let Some(sums) = caches.window_sums.get(&key, generation) {
            return Ok(sums);
        }
        let sums = Arc::new(self.read_window_sums(first, last).await?);
        caches
            .window_sums
            .insert(key, Arc::clone(&sums), generation);
        Ok(sums)
    }

    async fn read_window_sums(
        &self,
        first: Date,
        last: Date,
    ) -> Result<HashMap<Cell, CellDayOutcomes>, StoreError> {
        let sums = CellDayOutcomes::COLUMNS
            .iter()
            .map(|column| format!("CAST(SUM({column}) AS BIGINT) AS {column}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT provider_department_id, consumer_department_id, {sums} FROM \
                cell_day_outcomes WHERE organization_id = $1 AND day >= $2 AND day <= $3 \
                GROUP BY provider_department_id, consumer_department_id"
        ))
        .bind(self.organization.0)
        .bind(day_text(first))
        .bind(day_text(last))
        .fetch_all(self.store.reader())
        .await?;
        let mut cells = HashMap::with_capacity(rows.len());
        for row in &rows {
            let Some(cell) = cell_of(row)? else { continue };
            let outcomes = CellDayOutcomes::from_row(row)?;
            if !outcomes.is_zero() {
                cells.insert(cell, outcomes);
            }
        }
        Ok(cells)
    }

    /// Input quality the providers rated on requests resolved from `first` to `last`.
    pub async fn input_quality(
        &self,
        first: Date,
        last: Date,
    ) -> Result<HashMap<Cell, InputQuality>, StoreError> {
        Ok(self
            .window_sums(first, last)
            .await?
            .iter()
            .map(|(cell, outcomes)| (*cell, input_quality_of(outcomes)))
            .filter(|(_, quality)| quality.rated() > 0)
            .collect())
    }

    /// Health of every cell over the `window_days` days ending on the day of `at`.
    pub async fn relationship_health(
        &self,
        window_days: i64,
        at: Timestamp,
    ) -> Result<HealthReport, StoreError> {
        let last_day = utc_day(at);
        let first_day = window_start(last_day, window_days);
        let sums = self.window_sums(first_day, last_day).await?;
        let rounds = self.closed_pulse_results(at).await?;
        let mut cells: Vec<Cell> = sums.keys().copied().collect();
        for results in &rounds {
            cells.extend(results.round.cells.iter().copied());
        }
        cells.sort();
        cells.dedup();
        let report = cells
            .into_iter()
            .map(|cell| {
                let outcomes = sums.get(&cell).copied().unwrap_or_default();
                let pulse = pulse_for(&rounds, cell, last_day);
                let cell_health = CellHealth {
                    health: health(
                        &tallies_of(&outcomes),
                        pulse.as_ref().map(|(input, _)| *input),
                    ),
                    pulse_source: pulse.map(|(_, source)| source),
                    input_quality: input_quality_of(&outcomes),
                };
                (cell, cell_health)
            })
            .collect();
        Ok(HealthReport {
            window_days,
            first_day,
            last_day,
            cells: report,
        })
    }

    /// Weekly health of the given cells: at the end of each of the last
    /// `weeks` weeks, health over the `window_days` days up to it.
    pub async fn health_trend(
        &self,
        cells: &[Cell],
        window_days: i64,
        weeks: usize,
        at: Timestamp,
    ) -> Result<HashMap<Cell, Vec<TrendPoint>>, StoreError> {
        let points = weekly_points(utc_day(at), weeks);
        let (Some(first_point), Some(last_point)) =
            (points.first().copied(), points.last().copied())
        else {
            return Ok(HashMap::new());
        };
        let first_day = window_start(first_point, window_days);
        let only = match cells {
            [cell] => Some(*cell),
            _ => None,
        };
        let tallies = self.daily_tallies_of(first_day, last_point, only).await?;
        let rounds = self.closed_pulse_results(at).await?;
        Ok(cells
            .iter()
            .map(|cell| {
                let days = tallies.get(cell).cloned().unwrap_or_default();
                let series = points
                    .iter()
                    .map(|point| {
                        let total = window_total(&days, window_start(*point, window_days), *point);
                        let pulse = pulse_for(&rounds, *cell, *point).map(|(input, _)| input);
                        TrendPoint {
                            week_ending: *point,
                            score: health(&total, pulse).score,
                        }
                    })
                    .collect();
                (*cell, series)
            })
            .collect())
    }
}
