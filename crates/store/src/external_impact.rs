//! The external-impact report as stored: the requests of one organization
//! that carried external impact, created in a window, each read through the
//! same clocks the request page shows (its provider's calendar, paused time
//! excluded) and turned into the facts `domain::external_impact` tallies.
//! The window is bounded, and so is the number of requests read: a window
//! holding more than [`MAX_IMPACT_REQUESTS`] is refused with the field to
//! narrow, never read half.

use crate::requests::{COLUMNS, FROM, attach_periods, from_row};
use crate::time::to_db;
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::clocks::ClockState;
use roundtable_domain::external_impact::ImpactFact;
use roundtable_domain::ids::DepartmentId;
use sqlx::Row;
use std::collections::HashMap;

/// The most requests with external impact one report reads.
pub const MAX_IMPACT_REQUESTS: usize = 20_000;

/// Whether a clock went past its target (still running or stopped late).
fn past_target(state: ClockState) -> bool {
    matches!(state, ClockState::Breached | ClockState::Missed)
}

impl Scoped<'_> {
    /// The requests with external impact created in `[from, to)`, read at
    /// `now`; only those held by `providers` when given.
    pub async fn external_impact_facts(
        &self,
        from: Timestamp,
        to: Timestamp,
        providers: Option<&[DepartmentId]>,
        now: Timestamp,
    ) -> Result<Vec<ImpactFact>, StoreError> {
        if providers.is_some_and(<[DepartmentId]>::is_empty) {
            return Ok(Vec::new());
        }
        let provider_filter = match providers {
            Some(providers) => format!(
                " AND r.provider_department_id IN ({})",
                crate::objectives::placeholders(4, providers.len())
            ),
            None => String::new(),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND \
                r.external_impact <> 'none' AND r.created_at >= $2 AND r.created_at < \
                $3{provider_filter} ORDER BY r.id LIMIT {}",
            MAX_IMPACT_REQUESTS + 1
        );
        let mut query = sqlx::query(&sql)
            .bind(self.organization.0)
            .bind(to_db(from))
            .bind(to_db(to));
        for provider in providers.unwrap_or_default() {
            query = query.bind(provider.0);
        }
        let rows = query.fetch_all(self.store.reader()).await?;
        if rows.len() > MAX_IMPACT_REQUESTS {
            return Err(StoreError::invalid(
                "from",
                format!(
                    "the window holds more than {MAX_IMPACT_REQUESTS} requests with \
                        external impact; choose a shorter one"
                ),
            ));
        }
        let mut requests = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut requests).await?;
        let context = self.clock_context().await?;
        requests
            .iter()
            .map(|request| {
                let impact = request.external_impact;
                let clocks = request.clocks(&context, now);
                Ok(ImpactFact {
                    provider: request.provider_department_id,
                    segment: request.segment_id,
                    impact,
                    breached: clocks.is_some_and(|(response, fulfilment)| {
                        past_target(response.state) || past_target(fulfilment.state)
                    }),
                    deferred: request.deferred_until.is_some(),
                    waited_minutes: clocks
                        .map(|(_, fulfilment)| fulfilment.elapsed.as_secs().div_euclid(60)),
                })
            })
            .collect()
    }

    /// The names of the organization's customer segments, by id.
    pub async fn segment_names(&self) -> Result<HashMap<i64, String>, StoreError> {
        let rows = sqlx::query("SELECT id, name FROM segments WHERE organization_id = $1")
            .bind(self.organization.0)
            .fetch_all(self.store.reader())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
            .collect()
    }
}
