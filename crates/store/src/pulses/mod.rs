//! Relationship pulses as stored, and the one place their results are made.
//!
//! Who answered (participation) and what was answered (responses) live in
//! separate tables with nothing to join them by: a response has no author, no
//! time and a random key. Individual answers never leave this module: the only
//! way out is [`Scoped::pulse_results`], which applies the anonymity rule of
//! `domain::pulses::decide_round` to the whole family of a round's aggregates at
//! once, so the API, scorecards, health and exports all show the same
//! disclosed subset and nothing under the threshold.
//!
//! The round's row and status are here; `rounds` (open, close, thank),
//! `answers` (invitations, one answer per person and cell) and `results`
//! (decided once, kept once final) apart.

use crate::time::{instant, optional_instant};
use crate::{StoreError, WriteTransaction};
use jiff::Timestamp;
use rand::RngCore;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::pulses::{DIMENSION_COUNT, Ratings};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The cell (provider, consumer) in a row's `provider_department_id` and
/// `consumer_department_id`.
pub(crate) fn cell_from_row(row: &AnyRow) -> Result<(DepartmentId, DepartmentId), StoreError> {
    Ok((
        DepartmentId(row.try_get("provider_department_id")?),
        DepartmentId(row.try_get("consumer_department_id")?),
    ))
}

mod answers;
mod results;
mod rounds;

pub use answers::{PulseAnswer, PulseInvitation};
pub(crate) use results::SettledRounds;
pub use results::{CellResult, DepartmentResult, RoundResults};

pub use roundtable_domain::pulses::Cell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundStatus {
    Scheduled,
    Open,
    Closed,
}

impl RoundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Scheduled => "scheduled",
            RoundStatus::Open => "open",
            RoundStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PulseRound {
    pub id: i64,
    pub name: String,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub created_by: Option<PersonId>,
    /// The cells asked about, provider-major.
    pub cells: Vec<Cell>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl PulseRound {
    /// When the round closed (early, by hand) or closes by itself.
    pub fn closing(&self) -> Timestamp {
        self.closed_at
            .map_or(self.closes_at, |closed| closed.min(self.closes_at))
    }

    pub fn status(&self, now: Timestamp) -> RoundStatus {
        if now >= self.closing() {
            RoundStatus::Closed
        } else if now < self.opens_at {
            RoundStatus::Scheduled
        } else {
            RoundStatus::Open
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewPulseRound {
    pub name: String,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
    /// The cells to ask about; `None` means every agreed cell.
    pub cells: Option<Vec<Cell>>,
}

pub(super) const COLUMNS: &str =
    "id, name, opens_at, closes_at, closed_at, created_by, version, created_at, updated_at";

pub(super) fn round_from_row(row: &AnyRow) -> Result<PulseRound, StoreError> {
    Ok(PulseRound {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        opens_at: instant(row, "opens_at")?,
        closes_at: instant(row, "closes_at")?,
        closed_at: optional_instant(row, "closed_at")?,
        created_by: row.try_get::<Option<i64>, _>("created_by")?.map(PersonId),
        cells: Vec::new(),
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(PulseRound, "pulse_rounds", COLUMNS, round_from_row);

pub(super) async fn attach_cells(
    connection: &mut sqlx::AnyConnection,
    organization: OrganizationId,
    rounds: &mut [PulseRound],
) -> Result<(), StoreError> {
    for round in rounds {
        let rows = sqlx::query(
            "SELECT provider_department_id, consumer_department_id FROM pulse_round_cells \
                WHERE organization_id = $1 AND round_id = $2 ORDER BY \
                provider_department_id, consumer_department_id",
        )
        .bind(organization.0)
        .bind(round.id)
        .fetch_all(&mut *connection)
        .await?;
        round.cells = rows
            .iter()
            .map(cell_from_row)
            .collect::<Result<_, StoreError>>()?;
    }
    Ok(())
}

pub(super) async fn fetch_round(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<PulseRound, StoreError> {
    let mut rounds =
        [crate::rows::get::<PulseRound, _>(&mut **transaction, organization, id).await?];
    attach_cells(transaction, organization, &mut rounds).await?;
    let [round] = rounds;
    Ok(round)
}

pub(super) fn encode(ratings: &Ratings) -> String {
    serde_json::Value::from(ratings.to_vec()).to_string()
}

pub(super) fn decode(text: &str) -> Result<Ratings, StoreError> {
    let values: Vec<i64> = serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("pulse ratings {text:?}: {error}")))?;
    <[i64; DIMENSION_COUNT]>::try_from(values)
        .map_err(|_| StoreError::Corrupt(format!("pulse ratings {text:?}: not five values")))
}

pub(super) fn random_key() -> String {
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
