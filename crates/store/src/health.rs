//! What relationship health is computed from: per cell and per day, the
//! answered checks, the requests resolved (on time or not) and the first
//! responses (within target or not), read as grouped sums over the outcomes
//! fixed when clocks stop — never by replaying clocks — plus the pulse
//! results of closed rounds. `domain::health` turns them into scores.

use crate::pulses::{Cell, RoundResults};
use crate::time::to_db;
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use roundtable_domain::checks::CheckAnswer;
use roundtable_domain::health::{
    DailyTallies, Health, PulseInput, Tally, health, weekly_points, window_start, window_total,
};
use roundtable_domain::ids::DepartmentId;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};

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

fn start_of(day: Date) -> String {
    day.to_zoned(TimeZone::UTC)
        .map(|zoned| to_db(zoned.timestamp()))
        .unwrap_or_default()
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

/// The latest closed round asking about `cell` by the end of `day`, as the
/// pulse component sees it.
fn pulse_for(rounds: &[RoundResults], cell: Cell, day: Date) -> Option<(PulseInput, PulseSource)> {
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
    /// Per cell and day, from `first` to `last` (UTC days, both included).
    pub async fn cell_daily_tallies(
        &self,
        first: Date,
        last: Date,
    ) -> Result<HashMap<Cell, BTreeMap<Date, DailyTallies>>, StoreError> {
        let from = start_of(first);
        let to = start_of(last.tomorrow().unwrap_or(last));
        let mut cells: HashMap<Cell, BTreeMap<Date, DailyTallies>> = HashMap::new();
        let checks = sqlx::query(
            "SELECT provider_department_id, consumer_department_id, SUBSTR(answered_at, 1, 10) AS day, answer, COUNT(*) AS answers \
             FROM checks WHERE organization_id = $1 AND answered_at >= $2 AND answered_at < $3 GROUP BY 1, 2, 3, 4",
        )
        .bind(self.organization.0)
        .bind(from.clone())
        .bind(to.clone())
        .fetch_all(self.store.reader())
        .await?;
        for row in &checks {
            let Some(cell) = cell_of(row)? else { continue };
            let answer: String = row.try_get("answer")?;
            let count: i64 = row.try_get("answers")?;
            let score = CheckAnswer::parse(&answer).map_or(0, CheckAnswer::score);
            let tallies = cells
                .entry(cell)
                .or_default()
                .entry(day_of(row)?)
                .or_default();
            tallies.satisfaction += Tally {
                points: score * count,
                count,
            };
        }
        let resolved = sqlx::query(
            "SELECT provider_department_id, consumer_department_id, SUBSTR(resolved_at, 1, 10) AS day, \
             CAST(SUM(delivered_on_time) AS BIGINT) AS on_time, COUNT(*) AS resolved FROM requests \
             WHERE organization_id = $1 AND resolved_at >= $2 AND resolved_at < $3 AND delivered_on_time IS NOT NULL GROUP BY 1, 2, 3",
        )
        .bind(self.organization.0)
        .bind(from.clone())
        .bind(to.clone())
        .fetch_all(self.store.reader())
        .await?;
        for row in &resolved {
            let Some(cell) = cell_of(row)? else { continue };
            let tallies = cells
                .entry(cell)
                .or_default()
                .entry(day_of(row)?)
                .or_default();
            tallies.reliability +=
                Tally::of_outcomes(row.try_get("on_time")?, row.try_get("resolved")?);
        }
        // A first-response clock that breached without a response counts as a
        // miss from the moment the clock worker recorded the breach.
        let responded = sqlx::query(
            "SELECT r.provider_department_id, r.consumer_department_id, SUBSTR(r.created_at, 1, 10) AS day, \
             CAST(SUM(CASE WHEN r.first_response_met = 1 THEN 1 ELSE 0 END) AS BIGINT) AS met, COUNT(*) AS judged FROM requests r \
             WHERE r.organization_id = $1 AND r.created_at >= $2 AND r.created_at < $3 AND (r.first_response_met IS NOT NULL OR EXISTS \
             (SELECT 1 FROM request_escalations e WHERE e.organization_id = r.organization_id AND e.request_id = r.id \
             AND e.clock = 'first_response' AND e.level = 'breached')) GROUP BY 1, 2, 3",
        )
        .bind(self.organization.0)
        .bind(from)
        .bind(to)
        .fetch_all(self.store.reader())
        .await?;
        for row in &responded {
            let Some(cell) = cell_of(row)? else { continue };
            let tallies = cells
                .entry(cell)
                .or_default()
                .entry(day_of(row)?)
                .or_default();
            tallies.responsiveness +=
                Tally::of_outcomes(row.try_get("met")?, row.try_get("judged")?);
        }
        Ok(cells)
    }

    /// Input quality the providers rated on requests resolved from `first` to `last`.
    pub async fn input_quality(
        &self,
        first: Date,
        last: Date,
    ) -> Result<HashMap<Cell, InputQuality>, StoreError> {
        let rows = sqlx::query(
            "SELECT provider_department_id, consumer_department_id, input_quality, COUNT(*) AS rated FROM requests \
             WHERE organization_id = $1 AND resolved_at >= $2 AND resolved_at < $3 AND input_quality IS NOT NULL GROUP BY 1, 2, 3",
        )
        .bind(self.organization.0)
        .bind(start_of(first))
        .bind(start_of(last.tomorrow().unwrap_or(last)))
        .fetch_all(self.store.reader())
        .await?;
        let mut cells: HashMap<Cell, InputQuality> = HashMap::new();
        for row in &rows {
            let Some(cell) = cell_of(row)? else { continue };
            let quality: String = row.try_get("input_quality")?;
            let rated: i64 = row.try_get("rated")?;
            let entry = cells.entry(cell).or_default();
            match quality.as_str() {
                "complete" => entry.complete += rated,
                "partial" => entry.partial += rated,
                _ => entry.poor += rated,
            }
        }
        Ok(cells)
    }

    /// Health of every cell over the `window_days` days ending on the day of `at`.
    pub async fn relationship_health(
        &self,
        window_days: i64,
        at: Timestamp,
    ) -> Result<HealthReport, StoreError> {
        let last_day = utc_day(at);
        let first_day = window_start(last_day, window_days);
        let tallies = self.cell_daily_tallies(first_day, last_day).await?;
        let quality = self.input_quality(first_day, last_day).await?;
        let rounds = self.closed_pulse_results(at).await?;
        let mut cells: Vec<Cell> = tallies.keys().chain(quality.keys()).copied().collect();
        for results in &rounds {
            cells.extend(results.round.cells.iter().copied());
        }
        cells.sort();
        cells.dedup();
        let report = cells
            .into_iter()
            .map(|cell| {
                let days = tallies.get(&cell).cloned().unwrap_or_default();
                let pulse = pulse_for(&rounds, cell, last_day);
                let cell_health = CellHealth {
                    health: health(
                        &window_total(&days, first_day, last_day),
                        pulse.as_ref().map(|(input, _)| *input),
                    ),
                    pulse_source: pulse.map(|(_, source)| source),
                    input_quality: quality.get(&cell).copied().unwrap_or_default(),
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
        let tallies = self.cell_daily_tallies(first_day, last_point).await?;
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
