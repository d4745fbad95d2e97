//! Clock escalations recorded by the worker's sweep.

use super::records::Request;
use super::rows::{COLUMNS, FROM};
use super::rows::{attach_periods, fetch, from_row};
use super::telling::{Telling, tell};
use super::timeline::{NewEvent, record_event};
use crate::health_rollup::RollupChanges;
use crate::time::to_db;
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::clocks::{ClockKind, EscalationLevel};
use roundtable_domain::ids::PersonId;
use roundtable_domain::notices::RequestNotice;
use sqlx::Row;
use std::collections::HashSet;

/// One escalation the worker found due: `notify` is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub request: i64,
    pub clock: ClockKind,
    pub level: EscalationLevel,
    pub notify: Option<PersonId>,
}

const INSERT_ESCALATION: &str = "INSERT INTO request_escalations \
    (organization_id, request_id, clock, level, notify_person_id, escalated_at) \
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

impl Scoped<'_> {
    /// Up to `limit` open requests of the organization with ids above
    /// `after`, in id order, leaving out those the sweep has nothing more to
    /// escalate for: their fulfilment breach is recorded, and their first
    /// response came or its breach is recorded too. The clock worker's sweep
    /// reads them a page at a time, so its memory does not grow with the
    /// backlog, and its work follows the clocks still running rather than
    /// every request left open for months.
    pub async fn unsettled_requests_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Request>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id > $2 AND \
                r.status NOT IN ('resolved', 'closed', 'cancelled') AND NOT (EXISTS (SELECT \
                1 FROM request_escalations e WHERE e.request_id = r.id AND e.clock = \
                'fulfilment' AND e.level = 'breached') AND (r.first_response_at IS NOT NULL \
                OR EXISTS (SELECT 1 FROM request_escalations e WHERE e.request_id = r.id AND \
                e.clock = 'first_response' AND e.level = 'breached'))) ORDER BY r.id LIMIT $3"
        ))
        .bind(self.organization.0)
        .bind(after)
        .bind(limit)
        .fetch_all(self.store.reader())
        .await?;
        let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut items).await?;
        Ok(items)
    }

    /// The escalations already recorded for requests with ids in
    /// `[first, last]` (a page of the sweep), so the sweep writes only what
    /// is new: a write that changes nothing still costs a commit.
    pub async fn recorded_escalations_between(
        &self,
        first: i64,
        last: i64,
    ) -> Result<HashSet<(i64, ClockKind, EscalationLevel)>, StoreError> {
        let rows = sqlx::query(
            "SELECT request_id, clock, level FROM request_escalations \
             WHERE organization_id = $1 AND request_id >= $2 AND request_id <= $3",
        )
        .bind(self.organization.0)
        .bind(first)
        .bind(last)
        .fetch_all(self.store.reader())
        .await?;
        let mut recorded = HashSet::with_capacity(rows.len());
        for row in rows {
            let clock = match row.try_get::<String, _>("clock")?.as_str() {
                "first_response" => ClockKind::FirstResponse,
                "fulfilment" => ClockKind::Fulfilment,
                _ => continue,
            };
            let level = match row.try_get::<String, _>("level")?.as_str() {
                "at_risk" => EscalationLevel::AtRisk,
                "breached" => EscalationLevel::Breached,
                _ => continue,
            };
            recorded.insert((row.try_get::<i64, _>("request_id")?, clock, level));
        }
        Ok(recorded)
    }

    /// Records each escalation unless it was recorded before, all in one
    /// transaction (a sweep after an outage can find thousands); returns how
    /// many this call recorded. Each insert goes with its timeline event, and
    /// the primary key lets exactly one of any racing workers win.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn escalate(
        &self,
        escalations: Vec<Escalation>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let organization = self.organization;
        self.store
            .background_write(move |transaction| {
                Box::pin(async move {
                    let stamp = to_db(at);
                    let mut recorded = 0;
                    let mut rollup = RollupChanges::default();
                    for Escalation {
                        request,
                        clock,
                        level,
                        notify,
                    } in escalations
                    {
                        let inserted = sqlx::query(INSERT_ESCALATION)
                            .bind(organization.0)
                            .bind(request)
                            .bind(clock.as_str())
                            .bind(level.as_str())
                            .bind(notify.map(|person| person.0))
                            .bind(stamp.clone())
                            .execute(&mut **transaction)
                            .await?
                            .rows_affected();
                        if inserted == 0 {
                            continue;
                        }
                        recorded += 1;
                        let after = serde_json::json!({
                            "clock": clock.as_str(),
                            "level": level.as_str(),
                            "notify_person_id": notify.map(|person| person.0),
                        });
                        record_event(
                            transaction,
                            organization,
                            NewEvent::new(request, None, "escalated", &stamp)
                                .changing(serde_json::json!({}), after),
                        )
                        .await?;
                        let breaches_first_response =
                            (clock, level) == (ClockKind::FirstResponse, EscalationLevel::Breached);
                        if !breaches_first_response && notify.is_none() {
                            continue;
                        }
                        let current = fetch(transaction, organization, request).await?;
                        // From now on the first response counts as a miss in
                        // health, unless it was already judged.
                        if breaches_first_response && current.first_response_met.is_none() {
                            rollup
                                .replace_request(&current.outcomes(false), &current.outcomes(true));
                        }
                        if let Some(person) = notify {
                            let notice = RequestNotice::Escalated { clock, level };
                            let telling = Telling {
                                recipients: &[person],
                                actor: None,
                                notice,
                            };
                            tell(transaction, organization, &current, telling, &stamp).await?;
                        }
                    }
                    crate::health_rollup::apply(transaction, organization, &rollup).await?;
                    Ok(recorded)
                })
            })
            .await
    }
}
