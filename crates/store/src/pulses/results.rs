//! A closed round's results: every aggregate decided at once under the
//! threshold, kept once the round's answers are final.

use super::{PulseRound, RoundStatus, cell_from_row, decode};
use crate::time::to_db;
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::pulses::Cell;
use roundtable_domain::pulses::{
    CellRespondents, CellScores, ConsumerAnswer, SelfRating, Threshold, decide_round, score_cell,
    unattributed_order,
};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

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
            let cell = cell_from_row(&row)?;
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
            let cell = cell_from_row(&row)?;
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
