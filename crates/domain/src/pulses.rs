//! Relationship pulses: the SERVQUAL-style survey of a matrix cell, its
//! arithmetic, and the anonymity rule that decides which aggregates may be
//! shown at all.
//!
//! Consumer-side respondents give expectation and perception (1–7) on five
//! dimensions and split 100 importance points across them; provider-side
//! respondents rate their own perception (the mirror). The arithmetic is kept
//! here, apart from storage, so it can be checked against tables worked out by
//! hand.
//!
//! Anonymity is decided over the whole family of aggregates a round offers,
//! once ([`decide_round`]): an aggregate is shown only when it rests on at
//! least *k* people and, with it shown, no sum or difference of any number of
//! shown aggregates isolates fewer than *k* people (primary and complementary
//! suppression, judged on the atoms of the shown family; see [`disclose`]).
//! Every view and export picks from that one decision, so no filter, count or
//! combination of views can subtract its way to fewer than *k* people.

use crate::ids::{DepartmentId, PersonId};
use crate::validation::ValidationErrors;
use std::collections::{BTreeMap, BTreeSet};

/// The default anonymity threshold, and the lowest an organization may set.
pub const DEFAULT_THRESHOLD: i64 = 5;
pub const MINIMUM_THRESHOLD: i64 = 3;

/// The five dimensions every pulse asks about, in this order everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Reliability,
    Responsiveness,
    Assurance,
    Empathy,
    Tangibles,
}

pub const DIMENSION_COUNT: usize = 5;

impl Dimension {
    pub const ALL: [Dimension; DIMENSION_COUNT] = [
        Dimension::Reliability,
        Dimension::Responsiveness,
        Dimension::Assurance,
        Dimension::Empathy,
        Dimension::Tangibles,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Reliability => "reliability",
            Dimension::Responsiveness => "responsiveness",
            Dimension::Assurance => "assurance",
            Dimension::Empathy => "empathy",
            Dimension::Tangibles => "tangibles",
        }
    }

    /// What the dimension asks, for forms and explanations.
    pub fn question(self) -> &'static str {
        match self {
            Dimension::Reliability => "Delivers what was promised, dependably and accurately",
            Dimension::Responsiveness => "Willing to help and quick to respond",
            Dimension::Assurance => "Competent, and inspires trust and confidence",
            Dimension::Empathy => "Understands our needs and gives us individual attention",
            Dimension::Tangibles => "Tools, information and accessibility",
        }
    }
}

/// One rating per dimension, in [`Dimension::ALL`] order.
pub type Ratings = [i64; DIMENSION_COUNT];

/// A consumer-side answer about one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConsumerAnswer {
    pub expectation: Ratings,
    pub perception: Ratings,
    /// Importance points per dimension, summing to 100.
    pub importance: Ratings,
}

/// A provider-side answer about itself: the mirror.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelfRating {
    pub perception: Ratings,
}

/// Checks ratings are on the 1–7 scale; errors name `field.dimension`.
pub fn validate_scale(field: &str, ratings: &Ratings) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (dimension, value) in Dimension::ALL.iter().zip(ratings) {
        if !(1..=7).contains(value) {
            errors.push(
                format!("{field}.{}", dimension.as_str()),
                "must be a whole number from 1 to 7",
            );
        }
    }
    errors.finish(|| ())
}

/// Checks importance points are 0–100 each and sum to exactly 100.
pub fn validate_importance(field: &str, points: &Ratings) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (dimension, value) in Dimension::ALL.iter().zip(points) {
        if !(0..=100).contains(value) {
            errors.push(
                format!("{field}.{}", dimension.as_str()),
                "must be a whole number from 0 to 100",
            );
        }
    }
    if errors.is_empty() {
        let total: i64 = points.iter().sum();
        if total != 100 {
            errors.push(
                field,
                format!("the points must add up to 100 (they add up to {total})"),
            );
        }
    }
    errors.finish(|| ())
}

/// Scores of one dimension in one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DimensionScore {
    pub dimension: Dimension,
    pub perception_mean: f64,
    pub expectation_mean: f64,
    /// Perception mean − expectation mean: negative when the provider falls short.
    pub service_gap: f64,
    /// The mean importance points consumers gave this dimension.
    pub importance_mean: f64,
    /// The provider's own perception mean, when its self-ratings may be shown.
    pub self_rating_mean: Option<f64>,
    /// Self-rating mean − consumer perception mean: positive when the provider
    /// sees itself better than its customers do.
    pub mirror_gap: Option<f64>,
}

/// Scores of one cell in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct CellScores {
    pub dimensions: Vec<DimensionScore>,
    /// Per respondent Σ (points / 100) × (perception − expectation), then the mean.
    pub importance_weighted_gap: f64,
    /// The mean of the dimensions' perception means, on 1–7.
    pub perception_mean: f64,
    /// [`CellScores::perception_mean`] mapped to 0–100: the pulse component of health.
    pub pulse_score: f64,
    /// The mean mirror gap over dimensions, when self-ratings may be shown.
    pub mirror_gap: Option<f64>,
}

/// Maps a 1–7 rating to 0–100.
pub fn to_percent(rating: f64) -> f64 {
    (rating - 1.0) / 6.0 * 100.0
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0_u32), |(sum, count), value| (sum + value, count + 1));
    (count > 0).then(|| sum / f64::from(count))
}

/// Scores a cell from its consumer answers and (when they may be shown) its
/// self-ratings; `None` when there is no consumer answer at all.
pub fn score_cell(consumers: &[ConsumerAnswer], self_ratings: &[SelfRating]) -> Option<CellScores> {
    let mut dimensions = Vec::with_capacity(DIMENSION_COUNT);
    for (index, dimension) in Dimension::ALL.into_iter().enumerate() {
        let perception_mean = mean(
            consumers
                .iter()
                .map(|answer| answer.perception[index] as f64),
        )?;
        let expectation_mean = mean(
            consumers
                .iter()
                .map(|answer| answer.expectation[index] as f64),
        )?;
        let importance_mean = mean(
            consumers
                .iter()
                .map(|answer| answer.importance[index] as f64),
        )?;
        let self_rating_mean = mean(
            self_ratings
                .iter()
                .map(|answer| answer.perception[index] as f64),
        );
        dimensions.push(DimensionScore {
            dimension,
            perception_mean,
            expectation_mean,
            service_gap: perception_mean - expectation_mean,
            importance_mean,
            self_rating_mean,
            mirror_gap: self_rating_mean.map(|own| own - perception_mean),
        });
    }
    let importance_weighted_gap = mean(consumers.iter().map(|answer| {
        (0..DIMENSION_COUNT)
            .map(|index| {
                answer.importance[index] as f64 / 100.0
                    * (answer.perception[index] - answer.expectation[index]) as f64
            })
            .sum::<f64>()
    }))?;
    let perception_mean = mean(dimensions.iter().map(|score| score.perception_mean))?;
    let mirror_gap = mean(dimensions.iter().filter_map(|score| score.mirror_gap));
    Some(CellScores {
        dimensions,
        importance_weighted_gap,
        perception_mean,
        pulse_score: to_percent(perception_mean),
        mirror_gap,
    })
}

/// Comments as shown beside an aggregate: blank ones dropped, and put in an
/// order that depends only on their text and the round (a digest of the
/// round's salt and the text), never on who wrote them or when. The order is
/// a permutation fixed per round: the same on every view of the round, and
/// unrelated to the order the comments were written in or to their order in
/// another round.
pub fn unattributed_order(round_salt: &[u8], comments: Vec<String>) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut keyed: Vec<([u8; 32], String)> = comments
        .into_iter()
        .map(|comment| comment.trim().to_owned())
        .filter(|comment| !comment.is_empty())
        .map(|comment| {
            let mut digest = Sha256::new();
            digest.update((round_salt.len() as u64).to_be_bytes());
            digest.update(round_salt);
            digest.update(comment.as_bytes());
            (digest.finalize().into(), comment)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, comment)| comment).collect()
}

/// A validated anonymity threshold *k*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold(i64);

impl Threshold {
    pub fn new(k: i64) -> Result<Self, String> {
        if k < MINIMUM_THRESHOLD {
            Err(format!("must be at least {MINIMUM_THRESHOLD}"))
        } else if k > 1000 {
            Err("must be at most 1000".to_owned())
        } else {
            Ok(Self(k))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// Whether a group of this many people is large enough on its own.
    pub fn admits(self, people: usize) -> bool {
        people as i64 >= self.0
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Self(DEFAULT_THRESHOLD)
    }
}

/// Decides which of a family of aggregates may be shown, judging the family
/// as a whole: no sum or difference of any number of shown aggregates may
/// rest on fewer than *k* people.
///
/// Each group is the set of answers an aggregate rests on, an answer being
/// `(person, unit)` (the unit tells one person's several answers apart, such
/// as the cell answered about). Groups come in the canonical order of
/// preference and are decided greedily in that order.
///
/// The method is primary suppression (a group of fewer than *k* people is
/// never shown) followed by complementary suppression judged on the *atoms*
/// of the shown family: the answers grouped by which shown aggregates
/// contain them. Every figure an attacker can compute from shown aggregates
/// — any linear combination of them, whatever their number — is constant on
/// each atom, so whatever it isolates is a union of whole atoms. A group is
/// therefore shown only if, with it, every atom still rests on at least *k*
/// people (counting people, not answers, so one person's several answers
/// cannot pass for a crowd). This is sound for any number of aggregates, not
/// just pairs; it may withhold a little more than the least possible (an
/// atom can be small without any combination isolating it), which errs on
/// the side of the people who answered. The answer is the same on every call
/// for the same family, so every view agrees.
pub fn disclose<P: Ord, U: Ord>(groups: &[BTreeSet<(P, U)>], threshold: Threshold) -> Vec<bool> {
    fn people<'a, P: Ord + 'a, U: 'a>(answers: impl Iterator<Item = &'a (P, U)>) -> usize {
        answers
            .map(|(person, _)| person)
            .collect::<BTreeSet<_>>()
            .len()
    }
    let safe = |size: usize| size == 0 || threshold.admits(size);
    // The atoms of the shown family, and for each answer the atom it is in.
    let mut atoms: Vec<Vec<&(P, U)>> = Vec::new();
    let mut atom_of: BTreeMap<&(P, U), usize> = BTreeMap::new();
    let mut decisions = Vec::with_capacity(groups.len());
    for group in groups {
        let mut allowed = threshold.admits(people(group.iter()));
        // The group's answers by the atom they are in now (`None`: in no
        // shown group yet, so together they would form a new atom).
        let mut parts: BTreeMap<Option<usize>, Vec<&(P, U)>> = BTreeMap::new();
        if allowed {
            for answer in group {
                parts
                    .entry(atom_of.get(answer).copied())
                    .or_default()
                    .push(answer);
            }
            // Showing the group splits each atom it touches into the part
            // inside the group and the part outside it.
            allowed = parts.iter().all(|(atom, inside)| {
                let outside = atom.and_then(|atom| atoms.get(atom)).map_or(0, |atom| {
                    people(
                        atom.iter()
                            .copied()
                            .filter(|answer| !group.contains(*answer)),
                    )
                });
                safe(people(inside.iter().copied())) && safe(outside)
            });
        }
        if allowed {
            for (atom, inside) in parts {
                if let Some(atom) = atom.and_then(|atom| atoms.get_mut(atom)) {
                    if atom.len() == inside.len() {
                        continue; // wholly inside: the atom is unchanged
                    }
                    atom.retain(|answer| !group.contains(*answer));
                }
                let index = atoms.len();
                for answer in &inside {
                    atom_of.insert(answer, index);
                }
                atoms.push(inside);
            }
        }
        decisions.push(allowed);
    }
    decisions
}

/// Who answered about one cell of a round: consumer-side people rating the
/// provider, and provider-side people rating themselves (the mirror).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellRespondents {
    pub consumers: BTreeSet<PersonId>,
    pub providers: BTreeSet<PersonId>,
}

/// A cell of the matrix: (provider, consumer).
pub type Cell = (DepartmentId, DepartmentId);

/// What may be published about one round. Every view, export and count of a
/// round's results picks from this one decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundDisclosure {
    /// The consumer-side aggregate of each cell.
    pub cells: BTreeMap<Cell, bool>,
    /// The self-ratings of each cell (only where the cell itself is shown).
    pub mirrors: BTreeMap<Cell, bool>,
    /// A department's aggregate as provider: every consumer answer about it.
    pub as_provider: BTreeMap<DepartmentId, bool>,
    /// A department's aggregate as consumer: every answer its people gave.
    pub as_consumer: BTreeMap<DepartmentId, bool>,
}

/// Decides, once per round, which of its aggregates may be published: every
/// cell, every cell's mirror, every department as provider and as consumer,
/// judged together by [`disclose`] in that order of preference (cells first,
/// since they are what a relationship is about).
pub fn decide_round(
    cells: &BTreeMap<Cell, CellRespondents>,
    threshold: Threshold,
) -> RoundDisclosure {
    /// An answer: (person, (provider, consumer, side)); side 0 consumer, 1 mirror.
    type Answer = (PersonId, (DepartmentId, DepartmentId, u8));
    fn consumer_answers(
        cell: &Cell,
        respondents: &CellRespondents,
    ) -> impl Iterator<Item = Answer> {
        let (provider, consumer) = *cell;
        respondents
            .consumers
            .iter()
            .map(move |person| (*person, (provider, consumer, 0)))
    }
    let providers: BTreeSet<DepartmentId> = cells.keys().map(|(provider, _)| *provider).collect();
    let consumers: BTreeSet<DepartmentId> = cells.keys().map(|(_, consumer)| *consumer).collect();
    let mut groups: Vec<BTreeSet<Answer>> = Vec::new();
    for (cell, respondents) in cells {
        groups.push(consumer_answers(cell, respondents).collect());
    }
    for (cell, respondents) in cells {
        groups.push(
            respondents
                .providers
                .iter()
                .map(|person| (*person, (cell.0, cell.1, 1)))
                .collect(),
        );
    }
    for provider in &providers {
        groups.push(
            cells
                .iter()
                .filter(|((p, _), _)| p == provider)
                .flat_map(|(cell, respondents)| consumer_answers(cell, respondents))
                .collect(),
        );
    }
    for consumer in &consumers {
        groups.push(
            cells
                .iter()
                .filter(|((_, c), _)| c == consumer)
                .flat_map(|(cell, respondents)| consumer_answers(cell, respondents))
                .collect(),
        );
    }
    let mut decisions = disclose(&groups, threshold).into_iter();
    let mut next = || decisions.next().unwrap_or(false);
    let cell_decisions: BTreeMap<Cell, bool> = cells.keys().map(|cell| (*cell, next())).collect();
    let mirrors = cells
        .keys()
        .map(|cell| {
            let shown = next() && cell_decisions.get(cell).copied().unwrap_or(false);
            (*cell, shown)
        })
        .collect();
    let as_provider = providers
        .iter()
        .map(|provider| (*provider, next()))
        .collect();
    let as_consumer = consumers
        .iter()
        .map(|consumer| (*consumer, next()))
        .collect();
    RoundDisclosure {
        cells: cell_decisions,
        mirrors,
        as_provider,
        as_consumer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-9
    }

    /// Worked by hand: two consumers, one self-rating.
    ///
    /// | dimension      | E1 P1 I1 | E2 P2 I2 | self |
    /// |----------------|----------|----------|------|
    /// | reliability    | 7  5  40 | 6  4  30 | 6    |
    /// | responsiveness | 6  6  20 | 5  5  30 | 7    |
    /// | assurance      | 5  6  20 | 5  6  20 | 6    |
    /// | empathy        | 6  3  10 | 6  5  10 | 5    |
    /// | tangibles      | 4  4  10 | 4  3  10 | 4    |
    ///
    /// Perception means 4.5, 5.5, 6, 4, 3.5; expectation means 6.5, 5.5, 5, 6,
    /// 4; gaps −2, 0, 1, −2, −0.5; mirror gaps 1.5, 1.5, 0, 1, 0.5.
    /// Respondent 1 weighted gap: .4×−2 + .2×0 + .2×1 + .1×−3 + .1×0 = −0.9;
    /// respondent 2: .3×−2 + .3×0 + .2×1 + .1×−1 + .1×−1 = −0.6; mean −0.75.
    /// Perception mean (4.5+5.5+6+4+3.5)/5 = 4.7 → (4.7−1)/6×100 = 61.666…
    #[test]
    fn a_cell_scores_as_worked_by_hand() {
        let consumers = [
            ConsumerAnswer {
                expectation: [7, 6, 5, 6, 4],
                perception: [5, 6, 6, 3, 4],
                importance: [40, 20, 20, 10, 10],
            },
            ConsumerAnswer {
                expectation: [6, 5, 5, 6, 4],
                perception: [4, 5, 6, 5, 3],
                importance: [30, 30, 20, 10, 10],
            },
        ];
        let mirror = [SelfRating {
            perception: [6, 7, 6, 5, 4],
        }];
        let scores = score_cell(&consumers, &mirror).unwrap_or_else(|| panic!("scores expected"));
        let perception: Vec<f64> = scores
            .dimensions
            .iter()
            .map(|score| score.perception_mean)
            .collect();
        let expectation: Vec<f64> = scores
            .dimensions
            .iter()
            .map(|score| score.expectation_mean)
            .collect();
        let gaps: Vec<f64> = scores
            .dimensions
            .iter()
            .map(|score| score.service_gap)
            .collect();
        let mirror_gaps: Vec<f64> = scores
            .dimensions
            .iter()
            .filter_map(|score| score.mirror_gap)
            .collect();
        assert_eq!(perception, vec![4.5, 5.5, 6.0, 4.0, 3.5]);
        assert_eq!(expectation, vec![6.5, 5.5, 5.0, 6.0, 4.0]);
        assert_eq!(gaps, vec![-2.0, 0.0, 1.0, -2.0, -0.5]);
        assert_eq!(mirror_gaps, vec![1.5, 1.5, 0.0, 1.0, 0.5]);
        assert!(
            close(scores.importance_weighted_gap, -0.75),
            "{}",
            scores.importance_weighted_gap
        );
        assert!(close(scores.perception_mean, 4.7));
        assert!(close(scores.pulse_score, 3.7 / 6.0 * 100.0));
        assert!(close(scores.mirror_gap.unwrap_or(f64::NAN), 0.9));
        assert_eq!(scores.dimensions[0].importance_mean, 35.0);
    }

    /// Where the formula's readings part: each respondent weighs their own
    /// gaps by their own points. Respondent 1 puts 60 points on reliability
    /// and sees it 6 short: .6 × −6 = −3.6. Respondent 2 puts 60 points on
    /// responsiveness and sees it 2 short: .6 × −2 = −1.2. Mean −2.4.
    /// Weighing the mean gaps (−3, −1, 0, 0, 0) by the mean points (35, 35,
    /// 10, 10, 10) instead gives −1.4; the plain mean of the dimension gaps
    /// −0.8; the sum over respondents −4.8; points not divided by 100 −240.
    #[test]
    fn the_weighted_gap_weighs_each_respondents_gaps_by_their_own_points() {
        let consumers = [
            ConsumerAnswer {
                expectation: [7, 5, 5, 5, 5],
                perception: [1, 5, 5, 5, 5],
                importance: [60, 10, 10, 10, 10],
            },
            ConsumerAnswer {
                expectation: [5, 7, 5, 5, 5],
                perception: [5, 5, 5, 5, 5],
                importance: [10, 60, 10, 10, 10],
            },
        ];
        let scores = score_cell(&consumers, &[]).unwrap_or_else(|| panic!("scores expected"));
        assert!(
            close(scores.importance_weighted_gap, -2.4),
            "{}",
            scores.importance_weighted_gap
        );
        let gaps: Vec<f64> = scores
            .dimensions
            .iter()
            .map(|score| score.service_gap)
            .collect();
        assert_eq!(gaps, vec![-3.0, -1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn without_self_ratings_there_is_no_mirror_and_without_answers_no_scores() {
        let consumers = [ConsumerAnswer {
            expectation: [4; 5],
            perception: [4; 5],
            importance: [20; 5],
        }];
        let scores = score_cell(&consumers, &[]).unwrap_or_else(|| panic!("scores expected"));
        assert!(
            scores
                .dimensions
                .iter()
                .all(|score| score.mirror_gap.is_none())
        );
        assert_eq!(scores.mirror_gap, None);
        assert_eq!(score_cell(&[], &[SelfRating { perception: [7; 5] }]), None);
    }

    #[test]
    fn importance_must_add_up_to_one_hundred_and_ratings_stay_on_the_scale() {
        assert!(validate_importance("importance", &[20, 20, 20, 20, 20]).is_ok());
        let short = validate_importance("importance", &[20, 20, 20, 20, 10])
            .err()
            .unwrap_or_default();
        assert_eq!(short.0[0].field, "importance");
        assert!(short.0[0].message.contains("90"));
        let negative = validate_importance("importance", &[-10, 50, 20, 20, 20])
            .err()
            .unwrap_or_default();
        assert_eq!(negative.0[0].field, "importance.reliability");
        let off_scale = validate_scale("perception", &[0, 7, 8, 1, 4])
            .err()
            .unwrap_or_default();
        let fields: Vec<&str> = off_scale
            .0
            .iter()
            .map(|error| error.field.as_str())
            .collect();
        assert_eq!(
            fields,
            vec!["perception.reliability", "perception.assurance"]
        );
    }

    #[test]
    fn comments_lose_their_order_and_blanks() {
        let salt = b"round 7";
        let first = unattributed_order(salt, vec!["b".into(), " ".into(), "a".into(), "c".into()]);
        let second = unattributed_order(salt, vec!["c".into(), "a".into(), "b".into()]);
        assert_eq!(first, second);
        assert_eq!(first.len(), 3);
    }

    /// Comments written in order ("comment 1" first, "comment 2" next, …) do
    /// not come back in that order, and another round orders the same texts
    /// differently, so the order says nothing about when each was written.
    #[test]
    fn ordered_comments_do_not_keep_their_submission_order() {
        let written: Vec<String> = (1..=8).map(|index| format!("comment {index}")).collect();
        let shown = unattributed_order(b"round 1", written.clone());
        assert_eq!(shown.len(), written.len());
        assert_ne!(shown, written);
        let mut reversed = written.clone();
        reversed.reverse();
        assert_ne!(shown, reversed);
        assert_ne!(shown, unattributed_order(b"round 2", written));
    }

    #[test]
    fn the_threshold_is_never_below_three() {
        assert!(Threshold::new(2).is_err());
        assert_eq!(Threshold::new(3).map(Threshold::get), Ok(3));
        assert_eq!(Threshold::default().get(), 5);
    }

    fn people(ids: &[u32]) -> BTreeSet<(u32, u8)> {
        ids.iter().map(|id| (*id, 0)).collect()
    }

    #[test]
    fn an_aggregate_that_would_expose_a_small_difference_is_withheld() {
        let k = Threshold::default();
        // A cell of six, a cell of two, and the provider-wide group of eight:
        // showing the eight beside the six would expose the two.
        let cell_a = people(&[1, 2, 3, 4, 5, 6]);
        let cell_b = people(&[7, 8]);
        let provider_wide = people(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            disclose(&[cell_a.clone(), cell_b, provider_wide], k),
            vec![true, false, false]
        );
        // With a third cell of five the provider-wide group differs by seven: shown.
        let cell_c = people(&[7, 8, 9, 10, 11]);
        let provider_wide = people(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        assert_eq!(
            disclose(&[cell_a, cell_c, provider_wide], k),
            vec![true, true, true]
        );
    }

    fn department(id: i64) -> DepartmentId {
        DepartmentId(id)
    }

    fn respondents(consumers: std::ops::Range<i64>) -> CellRespondents {
        CellRespondents {
            consumers: consumers.map(PersonId).collect(),
            providers: BTreeSet::new(),
        }
    }

    /// The review's attack: a provider-wide mean over 11 people beside two
    /// shown 5-person cells gives away the eleventh person's answers. The
    /// provider-wide figure must be withheld, though every pair of figures
    /// differs by at least k people.
    #[test]
    fn a_total_that_would_expose_a_hidden_cell_together_with_other_cells_is_withheld() {
        let provider = department(1);
        let cells: BTreeMap<Cell, CellRespondents> = [
            ((provider, department(2)), respondents(1..6)),
            ((provider, department(3)), respondents(6..11)),
            ((provider, department(4)), respondents(11..12)),
        ]
        .into_iter()
        .collect();
        let decision = decide_round(&cells, Threshold::default());
        assert_eq!(
            decision.cells.values().copied().collect::<Vec<_>>(),
            vec![true, true, false]
        );
        assert_eq!(decision.as_provider.get(&provider), Some(&false));
        // With the third cell at five people the total hides nobody: shown.
        let mut larger = cells;
        larger.insert((provider, department(4)), respondents(11..16));
        let decision = decide_round(&larger, Threshold::default());
        assert_eq!(decision.as_provider.get(&provider), Some(&true));
    }

    /// One consumer department of five answered about three providers, one of
    /// them by a single person: its department-wide figure rests on 11 answers
    /// of 5 people, and with the two shown cells it would give away the
    /// single answer. Withheld, because people are counted, not answers.
    #[test]
    fn a_consumer_total_over_repeated_respondents_is_judged_by_its_people() {
        let consumer = department(9);
        let cells: BTreeMap<Cell, CellRespondents> = [
            ((department(1), consumer), respondents(1..6)),
            ((department(2), consumer), respondents(1..6)),
            ((department(3), consumer), respondents(1..2)),
        ]
        .into_iter()
        .collect();
        let decision = decide_round(&cells, Threshold::default());
        assert_eq!(decision.as_consumer.get(&consumer), Some(&false));
        assert_eq!(decision.cells.values().filter(|shown| **shown).count(), 2);
    }

    /// The rank of the rows (bitmasks over `width` units) restricted to the
    /// columns in `columns`, over the rationals: computed modulo a prime far
    /// larger than any minor of a 0/1 matrix this small, so it is exact.
    fn rank(rows: &[u32], columns: u32, width: usize) -> usize {
        const PRIME: i64 = 1_000_000_007;
        fn inverse(value: i64) -> i64 {
            let (mut result, mut base, mut exponent) = (1_i64, value % PRIME, PRIME - 2);
            while exponent > 0 {
                if exponent & 1 == 1 {
                    result = result * base % PRIME;
                }
                base = base * base % PRIME;
                exponent >>= 1;
            }
            result
        }
        let mut matrix: Vec<Vec<i64>> = rows
            .iter()
            .map(|row| {
                (0..width)
                    .filter(|column| columns >> column & 1 == 1)
                    .map(|column| i64::from(row >> column & 1))
                    .collect()
            })
            .collect();
        let mut rank = 0;
        let width = matrix.first().map_or(0, Vec::len);
        for column in 0..width {
            let Some(pivot) = (rank..matrix.len()).find(|row| matrix[*row][column] != 0) else {
                continue;
            };
            matrix.swap(rank, pivot);
            let pivot_row = matrix[rank].clone();
            let scale = inverse(pivot_row[column]);
            for (index, row) in matrix.iter_mut().enumerate() {
                if index != rank && row[column] != 0 {
                    let factor = row[column] * scale % PRIME;
                    for (entry, pivot_value) in row.iter_mut().zip(&pivot_row) {
                        *entry = (*entry - pivot_value * factor % PRIME).rem_euclid(PRIME);
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    /// A random round: up to four departments of up to nine people, up to
    /// six cells, consumers answering about several providers (so one person
    /// stands behind several answers), some self-ratings, and k from 3 to 10.
    fn random_round() -> impl Strategy<Value = (BTreeMap<Cell, CellRespondents>, i64)> {
        (
            2_i64..=4,
            prop::collection::vec(1_i64..=9, 4),
            prop::collection::vec(any::<bool>(), 12),
            prop::collection::vec(0_u8..=3, 12 * 9 * 2),
            3_i64..=10,
        )
            .prop_map(|(departments, sizes, present, answered, k)| {
                let pairs = (0..departments)
                    .flat_map(|provider| (0..departments).map(move |consumer| (provider, consumer)))
                    .filter(|(provider, consumer)| provider != consumer);
                let mut cells = BTreeMap::new();
                for (index, (provider, consumer)) in pairs.enumerate() {
                    if !present[index] || cells.len() == 6 {
                        continue;
                    }
                    let mut cell = CellRespondents::default();
                    for person in 0..sizes[consumer as usize] {
                        if answered[(index * 9 + person as usize) * 2] != 0 {
                            cell.consumers.insert(PersonId(consumer * 100 + person));
                        }
                    }
                    for person in 0..sizes[provider as usize] {
                        if answered[(index * 9 + person as usize) * 2 + 1] == 0 {
                            cell.providers.insert(PersonId(provider * 100 + person));
                        }
                    }
                    cells.insert((department(provider), department(consumer)), cell);
                }
                (cells, k)
            })
    }

    proptest! {
        /// An attacker who knows exactly which answers every published figure
        /// rests on and solves the linear system of everything published (any
        /// sum or difference of any number of figures) never isolates the
        /// answers of fewer than k people. Each cell's consumer answers and
        /// its self-ratings are units; every published figure sums whole
        /// units. For every set S of units resting on fewer than k people, no
        /// nonzero combination of published figures is supported inside S:
        /// removing S's columns must not lower the rank. Only maximal such
        /// sets need checking, since a smaller set's combinations are also
        /// inside every larger one.
        #[test]
        fn no_combination_of_published_figures_isolates_fewer_than_k_people(
            (cells, k) in random_round(),
        ) {
            let threshold = Threshold::new(k).unwrap_or_default();
            let decision = decide_round(&cells, threshold);
            let keys: Vec<Cell> = cells.keys().copied().collect();
            let width = keys.len() * 2;
            let mut people_of_unit: Vec<BTreeSet<PersonId>> = Vec::new();
            for respondents in cells.values() {
                people_of_unit.push(respondents.consumers.clone());
                people_of_unit.push(respondents.providers.clone());
            }
            // The published figures, as the units they sum.
            let mut published: Vec<u32> = Vec::new();
            for (index, cell) in keys.iter().enumerate() {
                if decision.cells.get(cell) == Some(&true) {
                    published.push(1 << (2 * index));
                }
                if decision.mirrors.get(cell) == Some(&true) {
                    prop_assert_eq!(decision.cells.get(cell), Some(&true));
                    published.push(1 << (2 * index + 1));
                }
            }
            let consumer_units = |matches: &dyn Fn(&Cell) -> bool| {
                keys.iter().enumerate().filter(|(_, cell)| matches(cell)).fold(0_u32, |mask, (index, _)| mask | 1 << (2 * index))
            };
            for (provider, shown) in &decision.as_provider {
                if *shown {
                    published.push(consumer_units(&|cell: &Cell| cell.0 == *provider));
                }
            }
            for (consumer, shown) in &decision.as_consumer {
                if *shown {
                    published.push(consumer_units(&|cell: &Cell| cell.1 == *consumer));
                }
            }
            let people = |units: u32| -> usize {
                (0..width).filter(|unit| units >> unit & 1 == 1).flat_map(|unit| people_of_unit[unit].iter()).collect::<BTreeSet<_>>().len()
            };
            for figure in &published {
                prop_assert!(people(*figure) as i64 >= k, "a published figure rests on fewer than k people");
            }
            // Units nobody answered in hold nothing to isolate: leave them out.
            let everything = (0..width).filter(|unit| !people_of_unit[*unit].is_empty()).fold(0_u32, |mask, unit| mask | 1 << unit);
            let full_rank = rank(&published, everything, width);
            for small in 1..=everything {
                if small & !everything != 0 {
                    continue;
                }
                let hidden = people(small);
                if hidden == 0 || hidden as i64 >= k {
                    continue;
                }
                let maximal = (0..width).all(|unit| everything >> unit & 1 == 0 || small >> unit & 1 == 1 || people(small | 1 << unit) as i64 >= k);
                if !maximal {
                    continue;
                }
                prop_assert_eq!(
                    rank(&published, everything & !small, width),
                    full_rank,
                    "units {:b} of {} people can be isolated from {:?}",
                    small, hidden, published
                );
            }
        }

        /// Suppression is not wholesale: a cell that rests on k people on its
        /// own is always shown.
        #[test]
        fn every_cell_of_at_least_k_people_is_shown((cells, k) in random_round()) {
            let threshold = Threshold::new(k).unwrap_or_default();
            let decision = decide_round(&cells, threshold);
            for (cell, respondents) in &cells {
                prop_assert_eq!(
                    decision.cells.get(cell).copied(),
                    Some(respondents.consumers.len() as i64 >= k)
                );
            }
        }
    }

    proptest! {
        /// Whatever the family, every shown aggregate rests on at least k people
        /// and no two shown aggregates differ by the answers of between 1 and
        /// k − 1 people.
        #[test]
        fn shown_aggregates_never_differ_by_fewer_than_k(
            groups in prop::collection::vec(prop::collection::btree_set((0_u32..20, 0_u8..3), 0..20), 1..8),
            k in 3_i64..7,
        ) {
            let threshold = Threshold::new(k).unwrap_or_default();
            let decisions = disclose(&groups, threshold);
            let shown: Vec<&BTreeSet<(u32, u8)>> = groups.iter().zip(&decisions).filter(|(_, shown)| **shown).map(|(group, _)| group).collect();
            let people = |answers: Vec<&(u32, u8)>| answers.iter().map(|(person, _)| *person).collect::<BTreeSet<u32>>().len() as i64;
            for group in &shown {
                prop_assert!(people(group.iter().collect()) >= k);
                for other in &shown {
                    let difference = people(group.difference(other).collect());
                    prop_assert!(difference == 0 || difference >= k);
                }
            }
            prop_assert_eq!(decisions, disclose(&groups, threshold));
        }

        /// The weighted gap is SERVQUAL's, computed here apart in whole
        /// numbers: Σ over respondents of Σ over dimensions of points ×
        /// (perception − expectation), over 100 × respondents. Any importance
        /// split (not only one heavy dimension), and each service gap is
        /// perception minus expectation.
        #[test]
        fn the_weighted_gap_is_servquals_per_respondent_formula(
            answers in prop::collection::vec((prop::array::uniform5(1_i64..=7), prop::array::uniform5(1_i64..=7), prop::array::uniform5(0_i64..=100)), 1..12)
        ) {
            let consumers: Vec<ConsumerAnswer> = answers.iter().map(|(expectation, perception, weights)| {
                // Any split of the 100 points: proportional to the drawn
                // weights, the rounding remainder on the first dimension.
                let total: i64 = weights.iter().sum::<i64>().max(1);
                let mut importance = weights.map(|weight| weight * 100 / total);
                if weights.iter().all(|weight| *weight == 0) {
                    importance = [20; 5];
                }
                importance[0] += 100 - importance.iter().sum::<i64>();
                ConsumerAnswer { expectation: *expectation, perception: *perception, importance }
            }).collect();
            let scores = score_cell(&consumers, &[]).unwrap_or_else(|| panic!("scores expected"));
            let numerator: i64 = consumers.iter().map(|answer| {
                (0..5).map(|index| answer.importance[index] * (answer.perception[index] - answer.expectation[index])).sum::<i64>()
            }).sum();
            let expected = numerator as f64 / (100 * consumers.len()) as f64;
            prop_assert!(close(scores.importance_weighted_gap, expected), "{} ≠ {}", scores.importance_weighted_gap, expected);
            for score in &scores.dimensions {
                prop_assert!(close(score.service_gap, score.perception_mean - score.expectation_mean));
            }
            prop_assert!((0.0..=100.0).contains(&scores.pulse_score));
        }
    }
}
