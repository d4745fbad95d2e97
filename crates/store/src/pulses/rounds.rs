//! Pulse rounds: opened over agreed cells, closed, and their participants
//! thanked once.

use super::{
    COLUMNS, NewPulseRound, PulseRound, RoundStatus, attach_cells, cell_from_row, fetch_round,
    round_from_row,
};
use crate::rows::BindCommon;
use crate::time::{now, to_db};
use crate::{Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::pulses::Cell;
use std::collections::BTreeSet;

/// Issues the organization's thank-you to everyone who took part in a
/// closed round, once per person and round and exactly once across
/// instances (the round's `thank_yous_issued` flag is claimed in the same
/// transaction). An entry names the round only and is dated at its close;
/// people are thanked in a random order, so neither the ledger's order nor
/// the coupons drawn follow the order in which people answered.
pub(super) async fn thank_participants(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    round: &PulseRound,
) -> Result<u64, StoreError> {
    use rand::seq::SliceRandom;
    let claimed = sqlx::query(
        "UPDATE pulse_rounds SET thank_yous_issued = 1 WHERE organization_id = $1 AND id \
            = $2 AND thank_yous_issued = 0",
    )
    .bind(organization.0)
    .bind(round.id)
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(0);
    }
    let mut people: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT person_id FROM pulse_participants WHERE organization_id = $1 AND \
            round_id = $2",
    )
    .bind(organization.0)
    .bind(round.id)
    .fetch_all(&mut **transaction)
    .await?;
    people.shuffle(&mut rand::rng());
    let earned_for = format!("pulse:{}", round.id);
    let stamp = to_db(round.closing());
    for person in &people {
        crate::thank_you::issue(
            transaction,
            organization,
            PersonId(*person),
            &earned_for,
            &stamp,
        )
        .await?;
    }
    Ok(people.len() as u64)
}

impl Scoped<'_> {
    /// Opens (or schedules) a round over the given cells, or over every agreed cell.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_pulse_round(&self, new: NewPulseRound) -> Result<PulseRound, StoreError> {
        let organization = self.organization;
        let creator = self.actor;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let agreed: BTreeSet<Cell> = sqlx::query(
                    "SELECT provider_department_id, consumer_department_id FROM agreements \
                         WHERE organization_id = $1 AND agreed_version IS NOT NULL",
                )
                .bind(organization.0)
                .fetch_all(&mut **transaction)
                .await?
                .iter()
                .map(cell_from_row)
                .collect::<Result<_, StoreError>>()?;
                let cells: BTreeSet<Cell> = match new.cells {
                    Some(cells) => {
                        if let Some((provider, consumer)) =
                            cells.iter().find(|cell| !agreed.contains(cell))
                        {
                            return Err(StoreError::invalid(
                                "cells",
                                format!(
                                    "{} → {} has no agreement in force; a pulse asks \
                                        about agreed cells",
                                    provider.0, consumer.0
                                ),
                            ));
                        }
                        cells.into_iter().collect()
                    }
                    None => agreed,
                };
                if cells.is_empty() {
                    return Err(StoreError::invalid(
                        "cells",
                        "there is no agreed cell to ask about",
                    ));
                }
                let stamp = to_db(now());
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO pulse_rounds (organization_id, name, opens_at, \
                            closes_at, created_by, created_at, updated_at) VALUES ($1, $2, \
                            $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(organization.0)
                .bind(new.name.clone())
                .bind(to_db(new.opens_at))
                .bind(to_db(new.closes_at))
                .bind(creator.map(|person| person.0))
                .bind(stamp)
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| match StoreError::from(error) {
                    StoreError::Conflict { .. } => StoreError::Conflict {
                        field: Some("name".to_owned()),
                        message: format!("a pulse round named {:?} already exists", new.name),
                    },
                    other => other,
                })?;
                for (provider, consumer) in &cells {
                    sqlx::query(
                        "INSERT INTO pulse_round_cells (organization_id, round_id, \
                                provider_department_id, consumer_department_id) VALUES ($1, \
                                $2, $3, $4)",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .bind(provider.0)
                    .bind(consumer.0)
                    .execute(&mut **transaction)
                    .await?;
                }
                let detail = serde_json::json!({ "name": new.name, "cells": cells.len() });
                audit
                    .record(transaction, "pulse_round.created", id, detail.to_string())
                    .await?;
                fetch_round(transaction, organization, id).await
            })
        })
        .await
    }

    pub async fn pulse_round(&self, id: i64) -> Result<PulseRound, StoreError> {
        let mut rounds =
            [
                crate::rows::get::<PulseRound, _>(self.store.reader(), self.organization, id)
                    .await?,
            ];
        let mut connection = self.store.reader().acquire().await?;
        attach_cells(&mut connection, self.organization, &mut rounds).await?;
        let [round] = rounds;
        Ok(round)
    }

    /// Rounds, newest first.
    pub async fn pulse_rounds(&self, page: PageRequest) -> Result<Listing<PulseRound>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM pulse_rounds WHERE organization_id = $1 AND id < $2 \
                ORDER BY id DESC LIMIT $3"
        ))
        .bind(self.organization.0)
        .bind_newest_first(page)
        .fetch_all(self.store.reader())
        .await?;
        let mut items = rows
            .iter()
            .map(round_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut connection = self.store.reader().acquire().await?;
        attach_cells(&mut connection, self.organization, &mut items).await?;
        Ok(page.into_listing(items, |round| round.id))
    }

    /// Closes an open round now; from then on its results can be read.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn close_pulse_round(
        &self,
        id: i64,
        expected_version: Option<i64>,
        at: Timestamp,
    ) -> Result<PulseRound, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "pulse_rounds", organization, id).await?;
                let round = fetch_round(transaction, organization, id).await?;
                crate::check_version(round.version, expected_version)?;
                if round.status(at) == RoundStatus::Closed {
                    return Err(StoreError::Conflict {
                        field: None,
                        message: "the round is already closed".to_owned(),
                    });
                }
                let stamp = to_db(at);
                sqlx::query(
                    "UPDATE pulse_rounds SET closed_at = $1, version = version + 1, \
                        updated_at = $1 WHERE organization_id = $2 AND id = $3",
                )
                .bind(stamp)
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "pulse_round.closed", id, String::new())
                    .await?;
                let closed = fetch_round(transaction, organization, id).await?;
                thank_participants(transaction, organization, &closed).await?;
                Ok(closed)
            })
        })
        .await
    }

    /// Thanks the participants of every round that has closed by `now` and
    /// whose participants were not thanked yet (the rounds that closed by
    /// the clock; a round closed by hand thanks them as it closes). Returns
    /// how many people were thanked.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn thank_closed_pulse_rounds(&self, now: Timestamp) -> Result<u64, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM pulse_rounds WHERE organization_id = $1 AND thank_yous_issued = 0 \
             AND (closes_at <= $2 OR closed_at <= $2) ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(to_db(now))
        .fetch_all(self.store.reader())
        .await?;
        let organization = self.organization;
        let mut thanked = 0;
        for id in ids {
            thanked += self
                .store
                .write(move |transaction| {
                    Box::pin(async move {
                        let round = fetch_round(transaction, organization, id).await?;
                        thank_participants(transaction, organization, &round).await
                    })
                })
                .await?;
        }
        Ok(thanked)
    }
}
