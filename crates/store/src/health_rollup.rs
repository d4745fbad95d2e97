//! The health rollup: per organization, UTC day and cell, the sums that
//! relationship health is computed from (`cell_day_outcomes`).
//!
//! Why: reading health by grouping every check and request of a 90-day
//! window costs a scan of hundreds of thousands of rows per matrix once an
//! organization has years of history. Instead every write that fixes,
//! re-judges or withdraws an outcome applies the *difference* it makes to
//! the rollup, in its own transaction, so the rollup is never ahead of or
//! behind the rows it sums:
//!
//! - a request's contribution is a pure function of the request row (and of
//!   whether its first-response clock was recorded as breached), so a change
//!   applies `contribution(after) − contribution(before)`: a resolve adds, a
//!   reopen withdraws, a transfer moves the request's outcomes to its new
//!   cell, a re-judged clock swaps a miss for a hit;
//! - an answered check adds its score on the day it was answered;
//! - a breached first-response clock counts as a miss from the moment the
//!   escalation is recorded.
//!
//! [`Scoped::rebuild_health_rollup`] recomputes everything from the source
//! rows with the grouped queries the rollup replaced; the tests hold the
//! incremental rows to it.

use crate::{Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use roundtable_domain::checks::CheckAnswer;
use roundtable_domain::ids::{DepartmentId, OrganizationId};
use roundtable_domain::requests::InputQuality;
use sqlx::Row;
use std::collections::BTreeMap;
use std::ops::{AddAssign, SubAssign};

/// The sums of one cell on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CellDayOutcomes {
    /// Checks answered: points (met 100, partly 50, not met 0) and answers.
    pub satisfaction_points: i64,
    pub satisfaction_count: i64,
    /// Requests resolved that day: on time, and judged at all.
    pub delivered_on_time: i64,
    pub delivered: i64,
    /// Requests created that day whose first response was judged (given, or
    /// breached): within target, and judged at all.
    pub responded_in_time: i64,
    pub response_judged: i64,
    /// Input quality the provider rated on requests resolved that day.
    pub input_complete: i64,
    pub input_partial: i64,
    pub input_poor: i64,
}

impl CellDayOutcomes {
    pub(crate) const COLUMNS: [&'static str; 9] = [
        "satisfaction_points",
        "satisfaction_count",
        "delivered_on_time",
        "delivered",
        "responded_in_time",
        "response_judged",
        "input_complete",
        "input_partial",
        "input_poor",
    ];

    fn values(&self) -> [i64; 9] {
        [
            self.satisfaction_points,
            self.satisfaction_count,
            self.delivered_on_time,
            self.delivered,
            self.responded_in_time,
            self.response_judged,
            self.input_complete,
            self.input_partial,
            self.input_poor,
        ]
    }

    fn from_values(values: [i64; 9]) -> Self {
        let [
            satisfaction_points,
            satisfaction_count,
            delivered_on_time,
            delivered,
            responded_in_time,
            response_judged,
            input_complete,
            input_partial,
            input_poor,
        ] = values;
        Self {
            satisfaction_points,
            satisfaction_count,
            delivered_on_time,
            delivered,
            responded_in_time,
            response_judged,
            input_complete,
            input_partial,
            input_poor,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.values().iter().all(|value| *value == 0)
    }

    /// Reads the nine sums from a row that names them as the table does.
    pub(crate) fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, StoreError> {
        let mut values = [0; 9];
        for (value, column) in values.iter_mut().zip(Self::COLUMNS) {
            *value = row.try_get(column)?;
        }
        Ok(Self::from_values(values))
    }
}

impl AddAssign for CellDayOutcomes {
    fn add_assign(&mut self, other: Self) {
        let mut values = self.values();
        for (value, added) in values.iter_mut().zip(other.values()) {
            *value = value.saturating_add(added);
        }
        *self = Self::from_values(values);
    }
}

impl SubAssign for CellDayOutcomes {
    fn sub_assign(&mut self, other: Self) {
        let mut values = self.values();
        for (value, taken) in values.iter_mut().zip(other.values()) {
            *value = value.saturating_sub(taken);
        }
        *self = Self::from_values(values);
    }
}

/// Where a sum lands: provider, consumer, UTC day. Ordered, so concurrent
/// writers update rows in the same order and cannot deadlock each other.
pub type RollupKey = (DepartmentId, DepartmentId, Date);

/// Changes to apply to the rollup, summed per key.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RollupChanges(BTreeMap<RollupKey, CellDayOutcomes>);

pub(crate) fn utc_day(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::UTC).date()
}

/// What the rollup needs to know of a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestOutcomes {
    pub provider: DepartmentId,
    pub consumer: Option<DepartmentId>,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub first_response_met: Option<bool>,
    pub delivered_on_time: Option<bool>,
    pub input_quality: Option<InputQuality>,
    /// The worker recorded the first-response clock as breached.
    pub first_response_breached: bool,
}

impl RollupChanges {
    pub fn add(&mut self, key: RollupKey, outcomes: CellDayOutcomes) {
        *self.0.entry(key).or_default() += outcomes;
    }

    fn subtract(&mut self, key: RollupKey, outcomes: CellDayOutcomes) {
        *self.0.entry(key).or_default() -= outcomes;
    }

    /// Adds what a request contributes to health.
    pub fn add_request(&mut self, request: &RequestOutcomes) {
        for (key, outcomes) in contribution(request) {
            self.add(key, outcomes);
        }
    }

    /// Applies the difference a change to a request makes.
    pub fn replace_request(&mut self, before: &RequestOutcomes, after: &RequestOutcomes) {
        for (key, outcomes) in contribution(before) {
            self.subtract(key, outcomes);
        }
        for (key, outcomes) in contribution(after) {
            self.add(key, outcomes);
        }
    }

    /// Adds an answered check.
    pub fn add_check(
        &mut self,
        provider: DepartmentId,
        consumer: Option<DepartmentId>,
        answered_at: Timestamp,
        answer: CheckAnswer,
    ) {
        if let Some(consumer) = consumer {
            self.add(
                (provider, consumer, utc_day(answered_at)),
                CellDayOutcomes {
                    satisfaction_points: answer.score(),
                    satisfaction_count: 1,
                    ..CellDayOutcomes::default()
                },
            );
        }
    }

    /// The keys whose sums change, with their change.
    pub fn changes(&self) -> impl Iterator<Item = (&RollupKey, &CellDayOutcomes)> {
        self.0.iter().filter(|(_, outcomes)| !outcomes.is_zero())
    }
}

/// A request's contribution: its delivery and input quality on the day it
/// was resolved, its first response on the day it was raised; nothing for a
/// request outside any cell (no consumer department).
fn contribution(request: &RequestOutcomes) -> Vec<(RollupKey, CellDayOutcomes)> {
    let Some(consumer) = request.consumer else {
        return Vec::new();
    };
    let mut contributions = Vec::with_capacity(2);
    if let Some(resolved_at) = request.resolved_at {
        let mut outcomes = CellDayOutcomes::default();
        if let Some(on_time) = request.delivered_on_time {
            outcomes.delivered = 1;
            outcomes.delivered_on_time = i64::from(on_time);
        }
        match request.input_quality {
            Some(InputQuality::Complete) => outcomes.input_complete = 1,
            Some(InputQuality::Partial) => outcomes.input_partial = 1,
            Some(InputQuality::Poor) => outcomes.input_poor = 1,
            None => {}
        }
        if !outcomes.is_zero() {
            contributions.push(((request.provider, consumer, utc_day(resolved_at)), outcomes));
        }
    }
    if request.first_response_met.is_some() || request.first_response_breached {
        contributions.push((
            (request.provider, consumer, utc_day(request.created_at)),
            CellDayOutcomes {
                responded_in_time: i64::from(request.first_response_met == Some(true)),
                response_judged: 1,
                ..CellDayOutcomes::default()
            },
        ));
    }
    contributions
}

/// Values a row of the multi-row upsert binds: 9 sums and 4 key columns.
const VALUES_PER_ROW: usize = 13;

/// Applies `changes` to the rollup inside `transaction`.
pub(crate) async fn apply(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    changes: &RollupChanges,
) -> Result<(), StoreError> {
    let rows: Vec<(&RollupKey, &CellDayOutcomes)> = changes.changes().collect();
    let assignments = CellDayOutcomes::COLUMNS
        .iter()
        .map(|column| format!("{column} = cell_day_outcomes.{column} + excluded.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    for batch in rows.chunks(crate::rows_per_statement(transaction, VALUES_PER_ROW)) {
        let values = (0..batch.len())
            .map(|row| {
                let first = row * VALUES_PER_ROW;
                let placeholders = (1..=VALUES_PER_ROW)
                    .map(|column| format!("${}", first + column))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("({placeholders})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO cell_day_outcomes (organization_id, day, provider_department_id, \
                consumer_department_id, {}) VALUES {values} ON CONFLICT (organization_id, \
                day, provider_department_id, consumer_department_id) DO UPDATE SET \
                {assignments}",
            CellDayOutcomes::COLUMNS.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for ((provider, consumer, day), outcomes) in batch {
            query = query
                .bind(organization.0)
                .bind(day.to_string())
                .bind(provider.0)
                .bind(consumer.0);
            for value in outcomes.values() {
                query = query.bind(value);
            }
        }
        query.execute(&mut **transaction).await?;
    }
    Ok(())
}

/// Whether the worker recorded `request`'s first-response clock as breached.
pub(crate) async fn first_response_breached(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    request: i64,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM request_escalations WHERE organization_id = $1 AND request_id = $2 \
         AND clock = 'first_response' AND level = 'breached'",
    )
    .bind(organization.0)
    .bind(request)
    .fetch_optional(&mut **transaction)
    .await?;
    Ok(found.is_some())
}

/// The grouped queries the rollup replaced, run over all of an
/// organization's rows: the reference the incremental rows must equal.
const REBUILD: [&str; 3] = [
    "INSERT INTO cell_day_outcomes (organization_id, day, provider_department_id, \
        consumer_department_id, satisfaction_points, satisfaction_count) SELECT \
        organization_id, SUBSTR(answered_at, 1, 10), provider_department_id, \
        consumer_department_id, SUM(CASE answer WHEN 'met' THEN 100 WHEN 'partly' THEN 50 \
        ELSE 0 END), COUNT(*) FROM checks WHERE organization_id = $1 AND answered_at IS NOT \
        NULL AND consumer_department_id IS NOT NULL GROUP BY 1, 2, 3, 4 ON CONFLICT \
        (organization_id, day, provider_department_id, consumer_department_id) DO UPDATE SET \
        satisfaction_points = cell_day_outcomes.satisfaction_points + \
        excluded.satisfaction_points, satisfaction_count = \
        cell_day_outcomes.satisfaction_count + excluded.satisfaction_count",
    "INSERT INTO cell_day_outcomes (organization_id, day, provider_department_id, \
        consumer_department_id, delivered_on_time, delivered, input_complete, input_partial, \
        input_poor) SELECT organization_id, SUBSTR(resolved_at, 1, 10), \
        provider_department_id, consumer_department_id, SUM(CASE WHEN delivered_on_time = 1 \
        THEN 1 ELSE 0 END), SUM(CASE WHEN delivered_on_time IS NOT NULL THEN 1 ELSE 0 END), \
        SUM(CASE WHEN input_quality = 'complete' THEN 1 ELSE 0 END), SUM(CASE WHEN \
        input_quality = 'partial' THEN 1 ELSE 0 END), SUM(CASE WHEN input_quality = 'poor' \
        THEN 1 ELSE 0 END) FROM requests WHERE organization_id = $1 AND resolved_at IS NOT \
        NULL AND consumer_department_id IS NOT NULL AND (delivered_on_time IS NOT NULL OR \
        input_quality IS NOT NULL) GROUP BY 1, 2, 3, 4 ON CONFLICT (organization_id, day, \
        provider_department_id, consumer_department_id) DO UPDATE SET delivered_on_time = \
        cell_day_outcomes.delivered_on_time + excluded.delivered_on_time, delivered = \
        cell_day_outcomes.delivered + excluded.delivered, input_complete = \
        cell_day_outcomes.input_complete + excluded.input_complete, input_partial = \
        cell_day_outcomes.input_partial + excluded.input_partial, input_poor = \
        cell_day_outcomes.input_poor + excluded.input_poor",
    "INSERT INTO cell_day_outcomes (organization_id, day, provider_department_id, \
        consumer_department_id, responded_in_time, response_judged) SELECT \
        r.organization_id, SUBSTR(r.created_at, 1, 10), r.provider_department_id, \
        r.consumer_department_id, SUM(CASE WHEN r.first_response_met = 1 THEN 1 ELSE 0 END), \
        COUNT(*) FROM requests r WHERE r.organization_id = $1 AND r.consumer_department_id \
        IS NOT NULL AND (r.first_response_met IS NOT NULL OR EXISTS (SELECT 1 FROM \
        request_escalations e WHERE e.organization_id = r.organization_id AND e.request_id = \
        r.id AND e.clock = 'first_response' AND e.level = 'breached')) GROUP BY 1, 2, 3, 4 \
        ON CONFLICT (organization_id, day, provider_department_id, consumer_department_id) \
        DO UPDATE SET responded_in_time = cell_day_outcomes.responded_in_time + \
        excluded.responded_in_time, response_judged = cell_day_outcomes.response_judged + \
        excluded.response_judged",
];

impl Scoped<'_> {
    /// Every row of the organization's rollup, with a non-zero sum.
    pub async fn health_rollup(&self) -> Result<BTreeMap<RollupKey, CellDayOutcomes>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, provider_department_id, consumer_department_id, \
                satisfaction_points, satisfaction_count, delivered_on_time, delivered, \
                responded_in_time, response_judged, input_complete, input_partial, \
                input_poor FROM cell_day_outcomes WHERE organization_id = $1",
        )
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        let mut rollup = BTreeMap::new();
        for row in &rows {
            let outcomes = CellDayOutcomes::from_row(row)?;
            if outcomes.is_zero() {
                continue;
            }
            let day: String = row.try_get("day")?;
            let day: Date = day
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("rollup day {day:?}")))?;
            rollup.insert(
                (
                    DepartmentId(row.try_get("provider_department_id")?),
                    DepartmentId(row.try_get("consumer_department_id")?),
                    day,
                ),
                outcomes,
            );
        }
        Ok(rollup)
    }

    /// Recomputes the organization's rollup from its checks and requests,
    /// in one transaction.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn rebuild_health_rollup(&self) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM cell_day_outcomes WHERE organization_id = $1")
                        .bind(organization.0)
                        .execute(&mut **transaction)
                        .await?;
                    for statement in REBUILD {
                        sqlx::query(statement)
                            .bind(organization.0)
                            .execute(&mut **transaction)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
    }
}

/// The day boundary as stored, for range queries on `day`.
pub(crate) fn day_text(day: Date) -> String {
    day.to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::time::to_db;

    fn request() -> RequestOutcomes {
        RequestOutcomes {
            provider: DepartmentId(1),
            consumer: Some(DepartmentId(2)),
            created_at: "2026-11-02T09:00:00Z".parse().unwrap(),
            resolved_at: None,
            first_response_met: None,
            delivered_on_time: None,
            input_quality: None,
            first_response_breached: false,
        }
    }

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn a_stored_instant_begins_with_its_utc_day() {
        let at: Timestamp = "2026-11-02T23:59:59.999Z".parse().unwrap();
        assert!(to_db(at).starts_with(&day_text(utc_day(at))));
        assert_eq!(day_text(utc_day(at)), "2026-11-02");
    }

    #[test]
    fn resolving_adds_delivery_on_the_day_of_resolution_and_reopening_takes_it_back() {
        let open = RequestOutcomes {
            first_response_met: Some(true),
            ..request()
        };
        let resolved = RequestOutcomes {
            resolved_at: Some("2026-11-05T10:00:00Z".parse().unwrap()),
            delivered_on_time: Some(false),
            input_quality: Some(InputQuality::Partial),
            ..open
        };
        let mut changes = RollupChanges::default();
        changes.replace_request(&open, &resolved);
        let applied: Vec<_> = changes.changes().collect();
        assert_eq!(applied.len(), 1);
        assert_eq!(
            applied[0].0,
            &(DepartmentId(1), DepartmentId(2), day("2026-11-05"))
        );
        assert_eq!(
            applied[0].1,
            &CellDayOutcomes {
                delivered: 1,
                input_partial: 1,
                ..CellDayOutcomes::default()
            }
        );
        changes.replace_request(&resolved, &open);
        assert_eq!(
            changes.changes().count(),
            0,
            "a reopen withdraws exactly what the resolve added"
        );
    }

    #[test]
    fn a_transfer_moves_the_first_response_to_the_new_cell() {
        let before = RequestOutcomes {
            first_response_met: Some(true),
            ..request()
        };
        let after = RequestOutcomes {
            provider: DepartmentId(7),
            ..before
        };
        let mut changes = RollupChanges::default();
        changes.replace_request(&before, &after);
        let applied: BTreeMap<_, _> = changes
            .changes()
            .map(|(key, value)| (*key, *value))
            .collect();
        assert_eq!(
            applied[&(DepartmentId(1), DepartmentId(2), day("2026-11-02"))].response_judged,
            -1
        );
        assert_eq!(
            applied[&(DepartmentId(7), DepartmentId(2), day("2026-11-02"))].responded_in_time,
            1
        );
    }

    #[test]
    fn a_breach_is_judged_once_whether_or_not_a_late_response_follows() {
        let breached = RequestOutcomes {
            first_response_breached: true,
            ..request()
        };
        let answered_late = RequestOutcomes {
            first_response_met: Some(false),
            ..breached
        };
        let mut changes = RollupChanges::default();
        changes.add_request(&breached);
        changes.replace_request(&breached, &answered_late);
        let applied: Vec<_> = changes.changes().collect();
        assert_eq!(
            applied[0].1,
            &CellDayOutcomes {
                response_judged: 1,
                ..CellDayOutcomes::default()
            }
        );
    }

    #[test]
    fn a_request_outside_any_cell_contributes_nothing() {
        let mut changes = RollupChanges::default();
        changes.add_request(&RequestOutcomes {
            consumer: None,
            first_response_met: Some(true),
            ..request()
        });
        changes.add_check(
            DepartmentId(1),
            None,
            "2026-11-02T09:00:00Z".parse().unwrap(),
            CheckAnswer::Met,
        );
        assert_eq!(changes.changes().count(), 0);
    }
}
