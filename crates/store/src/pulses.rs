//! Relationship pulses as stored, and the one place their results are made.
//!
//! Who answered (participation) and what was answered (responses) live in
//! separate tables with nothing to join them by: a response has no author, no
//! time and a random key. Individual answers never leave this module: the only
//! way out is [`Scoped::pulse_results`], which applies the anonymity rule of
//! `domain::pulses::decide_round` to the whole family of a round's aggregates at
//! once, so the API, scorecards, health and exports all show the same
//! disclosed subset and nothing under the threshold.

use crate::time::{from_db, now, to_db};
use crate::{Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use rand::RngCore;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::pulses::{
    CellRespondents, CellScores, ConsumerAnswer, DIMENSION_COUNT, Ratings, SelfRating, Threshold,
    decide_round, score_cell, unattributed_order,
};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

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

/// An answer about one cell, already checked against the scales; which side
/// it is on follows from the respondent's department.
#[derive(Debug, Clone)]
pub struct PulseAnswer {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub expectation: Option<Ratings>,
    pub perception: Ratings,
    pub importance: Option<Ratings>,
    pub comment: String,
}

/// A cell one person may answer about in a round.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseInvitation {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    /// `consumer` (rate the provider) or `provider` (rate yourselves: the mirror).
    pub side: &'static str,
    pub answered: bool,
}

/// The results of one cell, with everything under the threshold withheld.
#[derive(Debug, Clone, PartialEq)]
pub struct CellResult {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    /// Whether the consumer-side aggregate may be shown.
    pub disclosed: bool,
    /// Consumer respondents, only when disclosed.
    pub respondents: Option<i64>,
    /// Scores, only when disclosed; the mirror inside only when the
    /// self-ratings are disclosed too.
    pub scores: Option<CellScores>,
    pub mirror_disclosed: bool,
    /// Provider-side respondents, only when their aggregate is disclosed.
    pub self_respondents: Option<i64>,
    /// Consumer comments, unattributed and in text-digest order, only when disclosed.
    pub comments: Vec<String>,
    /// Provider-side comments, likewise, only when the mirror is disclosed.
    pub self_comments: Vec<String>,
}

/// A department's aggregate over all its cells of a round: how it is seen as a
/// provider, or how it rates its providers as a consumer.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentResult {
    pub department: DepartmentId,
    pub disclosed: bool,
    pub respondents: Option<i64>,
    pub scores: Option<CellScores>,
}

/// How long after a round closes an answer written just before the close may
/// still be committing; after that the round's answers are final.
const SETTLING: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Assembled results of settled rounds, per (organization, round, anonymity
/// threshold). A closed round takes no answers, so its results change only
/// with the threshold, which is part of the key; any instance assembling
/// them gets the same answer, so instances need not agree on the cache.
#[derive(Debug, Clone, Default)]
pub(crate) struct SettledRounds(Arc<std::sync::Mutex<HashMap<SettledRound, Arc<RoundResults>>>>);

/// (organization, round, anonymity threshold).
type SettledRound = (i64, i64, i64);

impl SettledRounds {
    fn get(&self, key: SettledRound) -> Option<Arc<RoundResults>> {
        self.0.lock().ok()?.get(&key).cloned()
    }

    fn insert(&self, key: SettledRound, results: Arc<RoundResults>) {
        if let Ok(mut rounds) = self.0.lock() {
            rounds.insert(key, results);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoundResults {
    pub round: PulseRound,
    pub threshold: i64,
    pub cells: Vec<CellResult>,
    pub as_provider: Vec<DepartmentResult>,
    pub as_consumer: Vec<DepartmentResult>,
}

impl RoundResults {
    /// One cell's result; `cells` are in (provider, consumer) order, as
    /// `assemble_results` builds them from an ordered map.
    pub fn cell(&self, provider: DepartmentId, consumer: DepartmentId) -> Option<&CellResult> {
        self.cells
            .binary_search_by_key(&(provider, consumer), |cell| (cell.provider, cell.consumer))
            .ok()
            .and_then(|index| self.cells.get(index))
    }
}

const COLUMNS: &str =
    "id, name, opens_at, closes_at, closed_at, created_by, version, created_at, updated_at";

fn round_from_row(row: &AnyRow) -> Result<PulseRound, StoreError> {
    Ok(PulseRound {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        opens_at: from_db(&row.try_get::<String, _>("opens_at")?)?,
        closes_at: from_db(&row.try_get::<String, _>("closes_at")?)?,
        closed_at: row
            .try_get::<Option<String>, _>("closed_at")?
            .map(|text| from_db(&text))
            .transpose()?,
        created_by: row.try_get::<Option<i64>, _>("created_by")?.map(PersonId),
        cells: Vec::new(),
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

async fn attach_cells(
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
            .map(|row| {
                Ok((
                    DepartmentId(row.try_get("provider_department_id")?),
                    DepartmentId(row.try_get("consumer_department_id")?),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
    }
    Ok(())
}

async fn fetch_round(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<PulseRound, StoreError> {
    let row = crate::rows::one(
        &mut **transaction,
        "pulse_rounds",
        COLUMNS,
        organization,
        id,
    )
    .await?;
    let mut rounds = [round_from_row(&row)?];
    attach_cells(transaction, organization, &mut rounds).await?;
    let [round] = rounds;
    Ok(round)
}

fn encode(ratings: &Ratings) -> String {
    serde_json::Value::from(ratings.to_vec()).to_string()
}

fn decode(text: &str) -> Result<Ratings, StoreError> {
    let values: Vec<i64> = serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("pulse ratings {text:?}: {error}")))?;
    <[i64; DIMENSION_COUNT]>::try_from(values)
        .map_err(|_| StoreError::Corrupt(format!("pulse ratings {text:?}: not five values")))
}

fn random_key() -> String {
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Issues the organization's thank-you to everyone who took part in a
/// closed round, once per person and round and exactly once across
/// instances (the round's `thank_yous_issued` flag is claimed in the same
/// transaction). An entry names the round only and is dated at its close;
/// people are thanked in a random order, so neither the ledger's order nor
/// the coupons drawn follow the order in which people answered.
async fn thank_participants(
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

/// Everything answered about one cell; private to this module.
#[derive(Default)]
struct CellAnswers {
    consumer_people: BTreeSet<i64>,
    provider_people: BTreeSet<i64>,
    consumers: Vec<ConsumerAnswer>,
    self_ratings: Vec<SelfRating>,
    consumer_comments: Vec<String>,
    provider_comments: Vec<String>,
}

impl Scoped<'_> {
    /// Opens (or schedules) a round over the given cells, or over every agreed cell.
    pub async fn create_pulse_round(&self, new: NewPulseRound) -> Result<PulseRound, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let creator = self.actor;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let agreed: BTreeSet<Cell> = sqlx::query(
                        "SELECT provider_department_id, consumer_department_id FROM agreements \
                         WHERE organization_id = $1 AND agreed_version IS NOT NULL",
                    )
                    .bind(organization.0)
                    .fetch_all(&mut **transaction)
                    .await?
                    .iter()
                    .map(|row| {
                        Ok((
                            DepartmentId(row.try_get("provider_department_id")?),
                            DepartmentId(row.try_get("consumer_department_id")?),
                        ))
                    })
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "pulse_round.created",
                        "pulse_round",
                        id,
                        detail.to_string(),
                    )
                    .await?;
                    fetch_round(transaction, organization, id).await
                })
            })
            .await
    }

    pub async fn pulse_round(&self, id: i64) -> Result<PulseRound, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "pulse_rounds",
            COLUMNS,
            self.organization,
            id,
        )
        .await?;
        let mut rounds = [round_from_row(&row)?];
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
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.fetch_limit())
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
    pub async fn close_pulse_round(
        &self,
        id: i64,
        expected_version: Option<i64>,
        at: Timestamp,
    ) -> Result<PulseRound, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
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
                    crate::audit::record(
                        transaction,
                        audit,
                        "pulse_round.closed",
                        "pulse_round",
                        id,
                        String::new(),
                    )
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

    /// The cells of a round `person` may answer about, and which they have.
    pub async fn pulse_invitations(
        &self,
        round: &PulseRound,
        person: PersonId,
    ) -> Result<Vec<PulseInvitation>, StoreError> {
        let department: Option<i64> = sqlx::query_scalar(
            "SELECT department_id FROM people WHERE organization_id = $1 AND id = $2",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_optional(self.store.reader())
        .await?
        .flatten();
        let Some(department) = department.map(DepartmentId) else {
            return Ok(Vec::new());
        };
        let answered: BTreeSet<Cell> = sqlx::query(
            "SELECT provider_department_id, consumer_department_id FROM pulse_participants \
             WHERE organization_id = $1 AND round_id = $2 AND person_id = $3",
        )
        .bind(self.organization.0)
        .bind(round.id)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?
        .iter()
        .map(|row| {
            Ok((
                DepartmentId(row.try_get("provider_department_id")?),
                DepartmentId(row.try_get("consumer_department_id")?),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
        Ok(round
            .cells
            .iter()
            .filter_map(|(provider, consumer)| {
                let side = if *consumer == department {
                    "consumer"
                } else if *provider == department {
                    "provider"
                } else {
                    return None;
                };
                Some(PulseInvitation {
                    provider: *provider,
                    consumer: *consumer,
                    side,
                    answered: answered.contains(&(*provider, *consumer)),
                })
            })
            .collect())
    }

    /// Records one person's answer about one cell of an open round, once.
    /// Participation and answer are written apart, with nothing linking them.
    pub async fn respond_to_pulse(
        &self,
        round: i64,
        person: PersonId,
        answer: PulseAnswer,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let current = fetch_round(transaction, organization, round).await?;
                    match current.status(at) {
                        RoundStatus::Open => {}
                        RoundStatus::Scheduled => {
                            return Err(StoreError::Conflict {
                                field: None,
                                message: "the round has not opened yet".to_owned(),
                            });
                        }
                        RoundStatus::Closed => {
                            return Err(StoreError::Conflict {
                                field: None,
                                message: "the round is closed".to_owned(),
                            });
                        }
                    }
                    let cell = (answer.provider, answer.consumer);
                    if !current.cells.contains(&cell) {
                        return Err(StoreError::invalid(
                            "provider_department_id",
                            "this round does not ask about that cell",
                        ));
                    }
                    let department: Option<i64> = sqlx::query_scalar(
                        "SELECT department_id FROM people WHERE organization_id = $1 AND id = \
                        $2",
                    )
                    .bind(organization.0)
                    .bind(person.0)
                    .fetch_optional(&mut **transaction)
                    .await?
                    .flatten();
                    let side = match department.map(DepartmentId) {
                        Some(department) if department == answer.consumer => "consumer",
                        Some(department) if department == answer.provider => "provider",
                        _ => {
                            return Err(StoreError::Forbidden(
                                "only members of the cell's two departments answer about it"
                                    .to_owned(),
                            ));
                        }
                    };
                    let (expectation, importance) = if side == "consumer" {
                        let mut errors = roundtable_domain::ValidationErrors::new();
                        if answer.expectation.is_none() {
                            errors.push(
                                "expectation",
                                "the consumer side gives its expectation on every dimension",
                            );
                        }
                        if answer.importance.is_none() {
                            errors.push(
                                "importance",
                                "the consumer side splits 100 importance points across the \
                                dimensions",
                            );
                        }
                        if !errors.is_empty() {
                            return Err(StoreError::Invalid(errors));
                        }
                        (
                            answer.expectation.as_ref().map(encode),
                            answer.importance.as_ref().map(encode),
                        )
                    } else {
                        // The mirror rates perception only.
                        (None, None)
                    };
                    let joined = sqlx::query(
                        "INSERT INTO pulse_participants (organization_id, round_id, \
                            provider_department_id, consumer_department_id, person_id, side) \
                            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    )
                    .bind(organization.0)
                    .bind(round)
                    .bind(answer.provider.0)
                    .bind(answer.consumer.0)
                    .bind(person.0)
                    .bind(side)
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                    if joined == 0 {
                        return Err(StoreError::Conflict {
                            field: None,
                            message: "you have already answered about this cell in this round"
                                .to_owned(),
                        });
                    }
                    sqlx::query(
                        "INSERT INTO pulse_responses (key, organization_id, round_id, \
                            provider_department_id, consumer_department_id, side, \
                            expectation, perception, importance, comment) VALUES ($1, $2, \
                            $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(random_key())
                    .bind(organization.0)
                    .bind(round)
                    .bind(answer.provider.0)
                    .bind(answer.consumer.0)
                    .bind(side)
                    .bind(expectation)
                    .bind(encode(&answer.perception))
                    .bind(importance)
                    .bind(answer.comment.clone())
                    .execute(&mut **transaction)
                    .await?;
                    // The thank-you comes when the round closes (thank_participants),
                    // never at the moment of an answer.
                    Ok(())
                })
            })
            .await
    }

    /// The results of a closed round: every aggregate decided at once under
    /// the organization's threshold. An open round has no results yet.
    pub async fn pulse_results(&self, id: i64, at: Timestamp) -> Result<RoundResults, StoreError> {
        Ok(Arc::unwrap_or_clone(
            self.shared_pulse_results(id, at).await?,
        ))
    }

    /// [`Scoped::pulse_results`], shared with the settled-round cache instead
    /// of copied out of it (a round's results hold every disclosed comment).
    async fn shared_pulse_results(
        &self,
        id: i64,
        at: Timestamp,
    ) -> Result<Arc<RoundResults>, StoreError> {
        let round = self.pulse_round(id).await?;
        if round.status(at) != RoundStatus::Closed {
            return Err(StoreError::Conflict {
                field: None,
                message: "results are shown once the round closes, so that self-ratings stay blind"
                    .to_owned(),
            });
        }
        let threshold =
            Threshold::new(self.organization().await?.anonymity_threshold).unwrap_or_default();
        let key = (self.organization.0, round.id, threshold.get());
        let settled = round
            .closing()
            .saturating_add(SETTLING)
            .is_ok_and(|settled| settled <= at);
        if settled && let Some(results) = self.store.settled_rounds().get(key) {
            return Ok(results);
        }
        let answers = self.round_answers(&round).await?;
        let results = Arc::new(assemble_results(round, threshold, answers));
        if settled {
            self.store
                .settled_rounds()
                .insert(key, Arc::clone(&results));
        }
        Ok(results)
    }

    /// Results of every round closed by `at`, oldest first (for health and trends).
    pub async fn closed_pulse_results(
        &self,
        at: Timestamp,
    ) -> Result<Vec<Arc<RoundResults>>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM pulse_rounds WHERE organization_id = $1 AND (closes_at <= $2 \
                OR closed_at <= $2) ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(to_db(at))
        .fetch_all(self.store.reader())
        .await?;
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            results.push(self.shared_pulse_results(id, at).await?);
        }
        results.sort_by_key(|result| result.round.closing());
        Ok(results)
    }

    async fn round_answers(
        &self,
        round: &PulseRound,
    ) -> Result<BTreeMap<Cell, CellAnswers>, StoreError> {
        let mut cells: BTreeMap<Cell, CellAnswers> = round
            .cells
            .iter()
            .map(|cell| (*cell, CellAnswers::default()))
            .collect();
        let participants = sqlx::query(
            "SELECT provider_department_id, consumer_department_id, person_id, side FROM \
                pulse_participants WHERE organization_id = $1 AND round_id = $2",
        )
        .bind(self.organization.0)
        .bind(round.id)
        .fetch_all(self.store.reader())
        .await?;
        for row in participants {
            let cell = (
                DepartmentId(row.try_get("provider_department_id")?),
                DepartmentId(row.try_get("consumer_department_id")?),
            );
            let person: i64 = row.try_get("person_id")?;
            let side: String = row.try_get("side")?;
            if let Some(answers) = cells.get_mut(&cell) {
                if side == "consumer" {
                    answers.consumer_people.insert(person);
                } else {
                    answers.provider_people.insert(person);
                }
            }
        }
        let responses = sqlx::query(
            "SELECT provider_department_id, consumer_department_id, side, expectation, \
                perception, importance, comment FROM pulse_responses WHERE organization_id = \
                $1 AND round_id = $2",
        )
        .bind(self.organization.0)
        .bind(round.id)
        .fetch_all(self.store.reader())
        .await?;
        for row in responses {
            let cell = (
                DepartmentId(row.try_get("provider_department_id")?),
                DepartmentId(row.try_get("consumer_department_id")?),
            );
            let side: String = row.try_get("side")?;
            let perception = decode(&row.try_get::<String, _>("perception")?)?;
            let comment: String = row.try_get("comment")?;
            let Some(answers) = cells.get_mut(&cell) else {
                continue;
            };
            if side == "consumer" {
                let expectation = decode(
                    &row.try_get::<Option<String>, _>("expectation")?
                        .unwrap_or_default(),
                )?;
                let importance = decode(
                    &row.try_get::<Option<String>, _>("importance")?
                        .unwrap_or_default(),
                )?;
                answers.consumers.push(ConsumerAnswer {
                    expectation,
                    perception,
                    importance,
                });
                answers.consumer_comments.push(comment);
            } else {
                answers.self_ratings.push(SelfRating { perception });
                answers.provider_comments.push(comment);
            }
        }
        Ok(cells)
    }
}

/// Decides the whole family of a round's aggregates at once with
/// `domain::pulses::decide_round` and scores only what may be shown.
fn assemble_results(
    round: PulseRound,
    threshold: Threshold,
    cells: BTreeMap<Cell, CellAnswers>,
) -> RoundResults {
    let respondents: BTreeMap<Cell, CellRespondents> = cells
        .iter()
        .map(|(cell, answers)| {
            let people = |ids: &BTreeSet<i64>| ids.iter().copied().map(PersonId).collect();
            (
                *cell,
                CellRespondents {
                    consumers: people(&answers.consumer_people),
                    providers: people(&answers.provider_people),
                },
            )
        })
        .collect();
    let decision = decide_round(&respondents, threshold);
    // The comments' order is a permutation fixed per round.
    let salt = format!("{}:{}", round.id, to_db(round.created_at));
    let mut results = Vec::with_capacity(cells.len());
    for (cell, answers) in &cells {
        let disclosed = decision.cells.get(cell).copied().unwrap_or(false);
        let mirror_disclosed = disclosed && decision.mirrors.get(cell).copied().unwrap_or(false);
        let self_ratings: &[SelfRating] = if mirror_disclosed {
            &answers.self_ratings
        } else {
            &[]
        };
        results.push(CellResult {
            provider: cell.0,
            consumer: cell.1,
            disclosed,
            respondents: disclosed.then_some(answers.consumer_people.len() as i64),
            scores: disclosed
                .then(|| score_cell(&answers.consumers, self_ratings))
                .flatten(),
            mirror_disclosed,
            self_respondents: mirror_disclosed.then_some(answers.provider_people.len() as i64),
            comments: if disclosed {
                unattributed_order(salt.as_bytes(), answers.consumer_comments.clone())
            } else {
                Vec::new()
            },
            self_comments: if mirror_disclosed {
                unattributed_order(salt.as_bytes(), answers.provider_comments.clone())
            } else {
                Vec::new()
            },
        });
    }
    let department_result =
        |department: DepartmentId, decided: bool, matches: &dyn Fn(&Cell) -> bool| {
            let answers: Vec<ConsumerAnswer> = cells
                .iter()
                .filter(|(cell, _)| matches(cell))
                .flat_map(|(_, answers)| answers.consumers.iter().copied())
                .collect();
            let people: BTreeSet<i64> = cells
                .iter()
                .filter(|(cell, _)| matches(cell))
                .flat_map(|(_, answers)| answers.consumer_people.iter().copied())
                .collect();
            DepartmentResult {
                department,
                disclosed: decided,
                respondents: decided.then_some(people.len() as i64),
                scores: decided.then(|| score_cell(&answers, &[])).flatten(),
            }
        };
    let as_provider = decision
        .as_provider
        .iter()
        .map(|(provider, decided)| {
            department_result(*provider, *decided, &|(p, _): &Cell| p == provider)
        })
        .collect();
    let as_consumer = decision
        .as_consumer
        .iter()
        .map(|(consumer, decided)| {
            department_result(*consumer, *decided, &|(_, c): &Cell| c == consumer)
        })
        .collect();
    RoundResults {
        round,
        threshold: threshold.get(),
        cells: results,
        as_provider,
        as_consumer,
    }
}
