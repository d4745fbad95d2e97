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
//! once, in a canonical order: an aggregate is shown only when it rests on at
//! least *k* people and it differs from every aggregate already shown by
//! either nobody or at least *k* people. Every view and export picks from that
//! one decision, so no filter or pair of views can subtract its way to fewer
//! than *k* people.

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
/// order that depends only on their text (a digest), never on who wrote them
/// or when, so the order gives nobody away and is the same on every view.
pub fn unattributed_order(comments: Vec<String>) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut keyed: Vec<([u8; 32], String)> = comments
        .into_iter()
        .map(|comment| comment.trim().to_owned())
        .filter(|comment| !comment.is_empty())
        .map(|comment| (Sha256::digest(comment.as_bytes()).into(), comment))
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

/// Decides which of a family of aggregates may be shown. Each group is the set
/// of answers an aggregate rests on, an answer being `(person, unit)` (the
/// unit tells one person's answers apart, such as the cell answered about).
/// Groups come in the canonical order of preference. An aggregate is shown
/// when its answers come from at least *k* people and, against every
/// aggregate shown before it, the answers on each side of the difference are
/// none or come from at least *k* people — counting people, not answers, so
/// one person's several answers cannot pass for a crowd. The answer is the
/// same on every call for the same family, so every view agrees.
///
/// Only aggregates that share an answer can be told apart by subtracting one
/// from the other: for two disjoint groups the differences are the groups
/// themselves, each already admitted. So each group is compared only with the
/// shown groups that share a unit with it (found through an index of units),
/// which keeps a round of hundreds of cells near-linear instead of comparing
/// every pair; the decisions are exactly those of comparing every pair.
pub fn disclose<P: Ord, U: Ord>(groups: &[BTreeSet<(P, U)>], threshold: Threshold) -> Vec<bool> {
    fn people<'a, P: Ord + 'a, U: 'a>(answers: impl Iterator<Item = &'a (P, U)>) -> usize {
        answers
            .map(|(person, _)| person)
            .collect::<BTreeSet<_>>()
            .len()
    }
    let safe_difference = |size: usize| size == 0 || threshold.admits(size);
    let mut shown: Vec<&BTreeSet<(P, U)>> = Vec::new();
    // For each unit, the shown groups (by index into `shown`) holding an answer on it.
    let mut shown_by_unit: BTreeMap<&U, Vec<usize>> = BTreeMap::new();
    let mut decisions = Vec::with_capacity(groups.len());
    for group in groups {
        let allowed = threshold.admits(people(group.iter())) && {
            let overlapping: BTreeSet<usize> = group
                .iter()
                .filter_map(|(_, unit)| shown_by_unit.get(unit))
                .flatten()
                .copied()
                .collect();
            overlapping.into_iter().all(|index| {
                let other = shown[index];
                safe_difference(people(group.difference(other)))
                    && safe_difference(people(other.difference(group)))
            })
        };
        if allowed {
            let index = shown.len();
            for (_, unit) in group {
                let holders = shown_by_unit.entry(unit).or_default();
                if holders.last() != Some(&index) {
                    holders.push(index);
                }
            }
            shown.push(group);
        }
        decisions.push(allowed);
    }
    decisions
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
        let first = unattributed_order(vec!["b".into(), " ".into(), "a".into(), "c".into()]);
        let second = unattributed_order(vec!["c".into(), "a".into(), "b".into()]);
        assert_eq!(first, second);
        assert_eq!(first.len(), 3);
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

        /// Comparing only overlapping groups decides exactly as comparing
        /// every pair of groups does.
        #[test]
        fn disclosure_through_the_unit_index_equals_comparing_every_pair(
            groups in prop::collection::vec(prop::collection::btree_set((0_u32..12, 0_u8..6), 0..16), 1..12),
            k in 3_i64..6,
        ) {
            let threshold = Threshold::new(k).unwrap_or_default();
            let people = |answers: Vec<&(u32, u8)>| answers.iter().map(|(person, _)| *person).collect::<BTreeSet<u32>>().len();
            let mut shown: Vec<&BTreeSet<(u32, u8)>> = Vec::new();
            let mut every_pair = Vec::new();
            for group in &groups {
                let safe = |size: usize| size == 0 || threshold.admits(size);
                let allowed = threshold.admits(people(group.iter().collect()))
                    && shown.iter().all(|other| safe(people(group.difference(other).collect())) && safe(people(other.difference(group).collect())));
                if allowed {
                    shown.push(group);
                }
                every_pair.push(allowed);
            }
            prop_assert_eq!(disclose(&groups, threshold), every_pair);
        }

        /// The weighted gap lies between the smallest and largest gap of any
        /// dimension, and each service gap is perception minus expectation.
        #[test]
        fn the_weighted_gap_is_bounded_by_the_dimension_gaps(
            answers in prop::collection::vec((prop::array::uniform5(1_i64..=7), prop::array::uniform5(1_i64..=7), 0_usize..5), 1..12)
        ) {
            let consumers: Vec<ConsumerAnswer> = answers.iter().map(|(expectation, perception, heavy)| {
                let mut importance = [10; 5];
                importance[*heavy] = 60;
                ConsumerAnswer { expectation: *expectation, perception: *perception, importance }
            }).collect();
            let scores = score_cell(&consumers, &[]).unwrap_or_else(|| panic!("scores expected"));
            let gaps: Vec<i64> = consumers.iter().flat_map(|answer| (0..5).map(move |index| answer.perception[index] - answer.expectation[index])).collect();
            let lowest = gaps.iter().copied().min().unwrap_or(0) as f64;
            let highest = gaps.iter().copied().max().unwrap_or(0) as f64;
            prop_assert!(scores.importance_weighted_gap >= lowest - 1e-9 && scores.importance_weighted_gap <= highest + 1e-9);
            for score in &scores.dimensions {
                prop_assert!(close(score.service_gap, score.perception_mean - score.expectation_mean));
            }
            prop_assert!((0.0..=100.0).contains(&scores.pulse_score));
        }
    }
}
