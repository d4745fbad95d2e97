//! Relationship health: one number per matrix cell that people can trust
//! because every part of it is shown with its value and its sample size.
//!
//! Health is the weighted mean of four components — satisfaction 0.3, pulse
//! 0.2, reliability 0.3, responsiveness 0.2 — over the components that rest on
//! enough data (5 data points; the pulse: the anonymity threshold, because a
//! pulse aggregate below it may not be shown at all). The weights of the
//! components that qualify are renormalised to sum to one; with none, the cell
//! has "insufficient data" rather than a misleading number.
//!
//! Storage hands over tallies per day; windows and weekly trends are sums
//! over those days, so the same arithmetic serves a 90-day matrix and a
//! two-year trend.

use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::ops::AddAssign;

/// The fewest data points a component needs to count (the pulse needs the
/// anonymity threshold instead).
pub const MINIMUM_DATA_POINTS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    Satisfaction,
    Pulse,
    Reliability,
    Responsiveness,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 4] = [
        ComponentKind::Satisfaction,
        ComponentKind::Pulse,
        ComponentKind::Reliability,
        ComponentKind::Responsiveness,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Satisfaction => "satisfaction",
            ComponentKind::Pulse => "pulse",
            ComponentKind::Reliability => "reliability",
            ComponentKind::Responsiveness => "responsiveness",
        }
    }

    /// The component's nominal weight in health.
    pub fn weight(self) -> f64 {
        match self {
            ComponentKind::Satisfaction => 0.3,
            ComponentKind::Pulse => 0.2,
            ComponentKind::Reliability => 0.3,
            ComponentKind::Responsiveness => 0.2,
        }
    }

    /// How the component is computed, in words, for the page that explains it.
    pub fn explanation(self) -> &'static str {
        match self {
            ComponentKind::Satisfaction => {
                "Satisfaction checks answered in the window: met counts 100, partly 50, not met 0; the mean."
            }
            ComponentKind::Pulse => {
                "The latest closed pulse round: the mean of the five dimensions' consumer perception means, mapped from 1–7 to 0–100. Shown only when at least the anonymity threshold of people answered."
            }
            ComponentKind::Reliability => {
                "Requests resolved in the window: the share delivered within the fulfilment target or by an accepted committed date."
            }
            ComponentKind::Responsiveness => {
                "Requests created in the window whose first-response clock stopped or breached: the share that stopped within target."
            }
        }
    }
}

/// A running sum of 0–100 points over a number of data points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub points: i64,
    pub count: i64,
}

impl Tally {
    /// A tally of yes/no outcomes: each yes is worth 100.
    pub fn of_outcomes(yes: i64, count: i64) -> Self {
        Self {
            points: yes.saturating_mul(100),
            count,
        }
    }

    pub fn mean(self) -> Option<f64> {
        (self.count > 0).then(|| self.points as f64 / self.count as f64)
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Self) {
        self.points = self.points.saturating_add(other.points);
        self.count = self.count.saturating_add(other.count);
    }
}

/// What one cell did on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DailyTallies {
    /// Checks answered that day.
    pub satisfaction: Tally,
    /// Requests resolved that day, on time or not.
    pub reliability: Tally,
    /// Requests created that day whose first-response clock stopped or breached.
    pub responsiveness: Tally,
}

impl AddAssign for DailyTallies {
    fn add_assign(&mut self, other: Self) {
        self.satisfaction += other.satisfaction;
        self.reliability += other.reliability;
        self.responsiveness += other.responsiveness;
    }
}

/// The pulse result health may use: the cell's score in the latest closed
/// round and whether that aggregate may be shown (it rests on at least the
/// anonymity threshold of people).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PulseInput {
    pub score: f64,
    pub respondents: i64,
    pub disclosed: bool,
}

/// One component as shown: its value and sample size, whether it counted,
/// and the weight it got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    pub kind: ComponentKind,
    /// 0–100; `None` when there is no data or it may not be shown.
    pub value: Option<f64>,
    /// Data points; `None` for a pulse aggregate that may not be shown (its
    /// size would itself say something about fewer than *k* people).
    pub sample_size: Option<i64>,
    /// Whether the component had enough data to count.
    pub sufficient: bool,
    /// The weight it carried in this health score, after renormalising (0 if it did not count).
    pub applied_weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// 0–100; `None` means "insufficient data".
    pub score: Option<f64>,
    pub components: Vec<Component>,
}

/// Health of a cell from its window's tallies and its pulse result.
pub fn health(tallies: &DailyTallies, pulse: Option<PulseInput>) -> Health {
    let mut components: Vec<Component> = ComponentKind::ALL
        .into_iter()
        .map(|kind| {
            let (value, sample_size, sufficient) = match kind {
                ComponentKind::Pulse => match pulse {
                    Some(pulse) if pulse.disclosed => {
                        (Some(pulse.score), Some(pulse.respondents), true)
                    }
                    _ => (None, None, false),
                },
                ComponentKind::Satisfaction => tally_component(tallies.satisfaction),
                ComponentKind::Reliability => tally_component(tallies.reliability),
                ComponentKind::Responsiveness => tally_component(tallies.responsiveness),
            };
            Component {
                kind,
                value,
                sample_size,
                sufficient,
                applied_weight: 0.0,
            }
        })
        .collect();
    let total_weight: f64 = components
        .iter()
        .filter(|component| component.sufficient)
        .map(|component| component.kind.weight())
        .sum();
    if total_weight <= 0.0 {
        return Health {
            score: None,
            components,
        };
    }
    let mut score = 0.0;
    for component in &mut components {
        if let (true, Some(value)) = (component.sufficient, component.value) {
            component.applied_weight = component.kind.weight() / total_weight;
            score += component.applied_weight * value;
        }
    }
    Health {
        score: Some(score),
        components,
    }
}

fn tally_component(tally: Tally) -> (Option<f64>, Option<i64>, bool) {
    (
        tally.mean(),
        Some(tally.count),
        tally.count >= MINIMUM_DATA_POINTS,
    )
}

/// The sum of the days from `first` to `last`, both included.
pub fn window_total(days: &BTreeMap<Date, DailyTallies>, first: Date, last: Date) -> DailyTallies {
    let mut total = DailyTallies::default();
    if first <= last {
        for tallies in days.range(first..=last).map(|(_, tallies)| tallies) {
            total += *tallies;
        }
    }
    total
}

/// The first day of a window of `window_days` ending on `last`.
pub fn window_start(last: Date, window_days: i64) -> Date {
    last.checked_sub((window_days.max(1) - 1).days())
        .unwrap_or(Date::MIN)
}

/// The ends of the last `weeks` weeks, oldest first, the newest being `last`.
pub fn weekly_points(last: Date, weeks: usize) -> Vec<Date> {
    let mut points: Vec<Date> = (0..weeks as i64)
        .filter_map(|back| last.checked_sub((back * 7).days()).ok())
        .collect();
    points.reverse();
    points
}

/// The words for a score, so colour is never the only signal:
/// `healthy` (≥ 75), `watch` (50–75), `at_risk` (< 50) or `insufficient_data`.
pub fn band(score: Option<f64>) -> &'static str {
    match score {
        None => "insufficient_data",
        Some(score) if score >= 75.0 => "healthy",
        Some(score) if score >= 50.0 => "watch",
        Some(_) => "at_risk",
    }
}

/// How many steps the heat map's sequential scale has.
pub const HEAT_STEPS: u8 = 5;

/// The step of the heat map's sequential scale a score falls on: 1 for
/// 0–19 up to 5 for 80–100; `None` for insufficient data, which the map
/// draws apart from low health rather than as the lowest step.
pub fn heat_step(score: Option<f64>) -> Option<u8> {
    let score = score?.clamp(0.0, 100.0);
    // 100 falls on the top step with 80–99.
    let step = (score / 20.0).floor().min(f64::from(HEAT_STEPS - 1));
    Some(step as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tallies(
        satisfaction: (i64, i64),
        reliability: (i64, i64),
        responsiveness: (i64, i64),
    ) -> DailyTallies {
        DailyTallies {
            satisfaction: Tally {
                points: satisfaction.0,
                count: satisfaction.1,
            },
            reliability: Tally::of_outcomes(reliability.0, reliability.1),
            responsiveness: Tally::of_outcomes(responsiveness.0, responsiveness.1),
        }
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-9
    }

    #[test]
    fn all_four_components_use_the_nominal_weights() {
        // Satisfaction 80 (8 checks), pulse 50, reliability 90 % (10), responsiveness 60 % (5).
        let health = health(
            &tallies((640, 8), (9, 10), (3, 5)),
            Some(PulseInput {
                score: 50.0,
                respondents: 6,
                disclosed: true,
            }),
        );
        let expected = 0.3 * 80.0 + 0.2 * 50.0 + 0.3 * 90.0 + 0.2 * 60.0;
        assert!(close(health.score.unwrap_or(f64::NAN), expected));
        let weights: Vec<f64> = health
            .components
            .iter()
            .map(|component| component.applied_weight)
            .collect();
        assert_eq!(weights, vec![0.3, 0.2, 0.3, 0.2]);
    }

    #[test]
    fn weights_are_renormalised_when_a_component_lacks_data() {
        // Satisfaction has 4 checks (not enough); the pulse is undisclosed.
        let health = health(
            &tallies((400, 4), (5, 10), (6, 6)),
            Some(PulseInput {
                score: 90.0,
                respondents: 3,
                disclosed: false,
            }),
        );
        // Reliability 50 and responsiveness 100 with weights 0.3 and 0.2 → 0.6 and 0.4.
        assert!(close(
            health.score.unwrap_or(f64::NAN),
            0.6 * 50.0 + 0.4 * 100.0
        ));
        let satisfaction = health.components[0];
        assert_eq!(
            (
                satisfaction.value,
                satisfaction.sample_size,
                satisfaction.sufficient
            ),
            (Some(100.0), Some(4), false)
        );
        let pulse = health.components[1];
        assert_eq!(
            (pulse.value, pulse.sample_size, pulse.sufficient),
            (None, None, false)
        );
    }

    #[test]
    fn no_sufficient_component_means_insufficient_data() {
        let health = health(&tallies((100, 1), (4, 4), (0, 0)), None);
        assert_eq!(health.score, None);
        assert!(
            health
                .components
                .iter()
                .all(|component| component.applied_weight == 0.0)
        );
    }

    #[test]
    fn windows_and_weeks_are_counted_in_whole_days() {
        let day = |text: &str| -> Date { text.parse().unwrap_or(Date::MIN) };
        let mut days = BTreeMap::new();
        days.insert(day("2026-11-01"), tallies((100, 1), (0, 0), (0, 0)));
        days.insert(day("2026-11-10"), tallies((50, 1), (0, 0), (0, 0)));
        days.insert(day("2026-11-11"), tallies((0, 1), (0, 0), (0, 0)));
        let total = window_total(
            &days,
            window_start(day("2026-11-10"), 10),
            day("2026-11-10"),
        );
        assert_eq!(
            total.satisfaction,
            Tally {
                points: 150,
                count: 2
            }
        );
        let total = window_total(&days, window_start(day("2026-11-10"), 9), day("2026-11-10"));
        assert_eq!(
            total.satisfaction,
            Tally {
                points: 50,
                count: 1
            }
        );
        assert_eq!(
            weekly_points(day("2026-11-22"), 3),
            vec![day("2026-11-08"), day("2026-11-15"), day("2026-11-22")]
        );
    }

    proptest! {
        /// Health is a weighted mean: it lies between the smallest and largest
        /// counted component, and the applied weights sum to one.
        #[test]
        fn health_lies_between_its_components(
            satisfaction in (0_i64..40).prop_flat_map(|count| (0..=count, Just(count))),
            reliability in (0_i64..40).prop_flat_map(|count| (0..=count, Just(count))),
            responsiveness in (0_i64..40).prop_flat_map(|count| (0..=count, Just(count))),
            pulse in proptest::option::of((0.0_f64..=100.0, 0_i64..20, any::<bool>())),
        ) {
            let input = DailyTallies {
                satisfaction: Tally { points: satisfaction.0 * 100, count: satisfaction.1 },
                reliability: Tally::of_outcomes(reliability.0, reliability.1),
                responsiveness: Tally::of_outcomes(responsiveness.0, responsiveness.1),
            };
            let pulse = pulse.map(|(score, respondents, disclosed)| PulseInput { score, respondents, disclosed });
            let result = health(&input, pulse);
            let counted: Vec<f64> = result.components.iter().filter(|component| component.sufficient).filter_map(|component| component.value).collect();
            match result.score {
                None => prop_assert!(counted.is_empty()),
                Some(score) => {
                    let lowest = counted.iter().copied().fold(f64::INFINITY, f64::min);
                    let highest = counted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    prop_assert!(score >= lowest - 1e-9 && score <= highest + 1e-9);
                    let weights: f64 = result.components.iter().map(|component| component.applied_weight).sum();
                    prop_assert!((weights - 1.0).abs() < 1e-9);
                }
            }
        }

        /// A window's total equals the sum of two windows that split it.
        #[test]
        fn windows_add_up(counts in prop::collection::vec(0_i64..5, 1..60), split in 0_usize..60) {
            let first_day: Date = "2026-01-01".parse().unwrap_or(Date::MIN);
            let days: BTreeMap<Date, DailyTallies> = counts.iter().enumerate().filter_map(|(offset, count)| {
                let date = first_day.checked_add((offset as i64).days()).ok()?;
                Some((date, DailyTallies { satisfaction: Tally { points: count * 50, count: *count }, ..DailyTallies::default() }))
            }).collect();
            let last_day = first_day.checked_add((counts.len() as i64 - 1).days()).unwrap_or(first_day);
            let split_day = first_day.checked_add((split.min(counts.len()) as i64).days()).unwrap_or(first_day);
            let whole = window_total(&days, first_day, last_day);
            let mut parts = window_total(&days, first_day, split_day.checked_sub(1.day()).unwrap_or(Date::MIN));
            parts += window_total(&days, split_day, last_day);
            prop_assert_eq!(whole, parts);
        }
    }

    #[test]
    fn the_heat_scale_has_five_steps_and_keeps_missing_data_apart() {
        assert_eq!(heat_step(None), None);
        assert_eq!(heat_step(Some(0.0)), Some(1));
        assert_eq!(heat_step(Some(19.9)), Some(1));
        assert_eq!(heat_step(Some(20.0)), Some(2));
        assert_eq!(heat_step(Some(42.0)), Some(3));
        assert_eq!(heat_step(Some(79.99)), Some(4));
        assert_eq!(heat_step(Some(80.0)), Some(5));
        assert_eq!(heat_step(Some(100.0)), Some(5));
        assert_eq!(band(Some(42.0)), "at_risk");
        assert_eq!(band(Some(98.0)), "healthy");
    }

    proptest::proptest! {
        #[test]
        fn a_higher_score_is_never_on_a_lower_step(low in 0.0f64..100.0, high in 0.0f64..100.0) {
            let (low, high) = if low <= high { (low, high) } else { (high, low) };
            proptest::prop_assert!(heat_step(Some(low)) <= heat_step(Some(high)));
        }
    }
}
