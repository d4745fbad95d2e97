//! Corporate objectives and their measures (key results): periods, progress
//! and status.
//!
//! Progress is arithmetic on four numbers and a calendar, so it lives here,
//! pure and property-tested: the store keeps values, the API shows them, and
//! both ask this module what they mean. Departments are rewarded for working
//! together: a measure with two or more contributing departments is *mutual*,
//! and reaching its target credits all of them at once.

use crate::ValidationErrors;
use jiff::civil::Date;
use std::fmt;

fn invalid(message: impl Into<String>) -> ValidationErrors {
    ValidationErrors::single("", message)
}

/// A planning period: a year (`2027`), a half (`2027-H1`), a quarter
/// (`2027-Q1`) or a month (`2027-03`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    start: Date,
    end: Date,
    kind: PeriodKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum PeriodKind {
    Year,
    Half(i8),
    Quarter(i8),
    Month(i8),
}

impl Period {
    const HELP: &'static str = "must be a period such as 2027, 2027-H1, 2027-Q1 or 2027-03";

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let text = input.trim().to_ascii_uppercase();
        let (year_text, part) = match text.split_once('-') {
            Some((year, part)) => (year, Some(part)),
            None => (text.as_str(), None),
        };
        let year: i16 = match year_text.parse() {
            Ok(year) if year_text.len() == 4 && (2000..=2999).contains(&year) => year,
            _ => return Err(invalid(Self::HELP)),
        };
        let (kind, first_month, months) = match part {
            None => (PeriodKind::Year, 1, 12),
            Some(part) => {
                let number = |digits: &str| digits.parse::<i8>().ok();
                if let Some(half) = part.strip_prefix('H').and_then(number) {
                    if !(1..=2).contains(&half) || part.len() != 2 {
                        return Err(invalid(Self::HELP));
                    }
                    (PeriodKind::Half(half), (half - 1) * 6 + 1, 6)
                } else if let Some(quarter) = part.strip_prefix('Q').and_then(number) {
                    if !(1..=4).contains(&quarter) || part.len() != 2 {
                        return Err(invalid(Self::HELP));
                    }
                    (PeriodKind::Quarter(quarter), (quarter - 1) * 3 + 1, 3)
                } else {
                    match number(part) {
                        Some(month) if part.len() == 2 && (1..=12).contains(&month) => {
                            (PeriodKind::Month(month), month, 1)
                        }
                        _ => return Err(invalid(Self::HELP)),
                    }
                }
            }
        };
        let start = Date::new(year, first_month, 1).map_err(|_| invalid(Self::HELP))?;
        let next = start
            .checked_add(jiff::Span::new().months(months))
            .map_err(|_| invalid(Self::HELP))?;
        let end = next.yesterday().map_err(|_| invalid(Self::HELP))?;
        Ok(Period { start, end, kind })
    }

    /// The first day of the period.
    pub fn start(&self) -> Date {
        self.start
    }

    /// The last day of the period (inclusive).
    pub fn end(&self) -> Date {
        self.end
    }

    pub fn contains(&self, day: Date) -> bool {
        self.start <= day && day <= self.end
    }

    /// The share of the period that has passed on `today`: 0 on its first day
    /// (and before), 1 on its last day (and after).
    pub fn elapsed_share(&self, today: Date) -> f64 {
        if today <= self.start {
            return 0.0;
        }
        if today >= self.end {
            return 1.0;
        }
        let length = days_between(self.start, self.end);
        let passed = days_between(self.start, today);
        if length <= 0 {
            1.0
        } else {
            (passed as f64 / length as f64).clamp(0.0, 1.0)
        }
    }
}

fn days_between(from: Date, to: Date) -> i64 {
    from.until((jiff::Unit::Day, to))
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(0)
}

impl fmt::Display for Period {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let year = self.start.year();
        match self.kind {
            PeriodKind::Year => write!(formatter, "{year}"),
            PeriodKind::Half(half) => write!(formatter, "{year}-H{half}"),
            PeriodKind::Quarter(quarter) => write!(formatter, "{year}-Q{quarter}"),
            PeriodKind::Month(month) => write!(formatter, "{year}-{month:02}"),
        }
    }
}

/// What a corporate objective is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Revenue,
    RepeatBusiness,
    Referrals,
    Reputation,
    Other,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Revenue,
        Category::RepeatBusiness,
        Category::Referrals,
        Category::Reputation,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Revenue => "revenue",
            Category::RepeatBusiness => "repeat_business",
            Category::Referrals => "referrals",
            Category::Reputation => "reputation",
            Category::Other => "other",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let wanted = input.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == wanted)
            .ok_or_else(|| {
                invalid("must be one of revenue, repeat_business, referrals, reputation, other")
            })
    }
}

/// Which way a measure should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Increase,
    Decrease,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Increase => "increase",
            Direction::Decrease => "decrease",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        match input.trim().to_ascii_lowercase().as_str() {
            "increase" => Ok(Direction::Increase),
            "decrease" => Ok(Direction::Decrease),
            _ => Err(invalid("must be increase or decrease")),
        }
    }
}

/// The numbers of a measure, checked together: the target lies in the
/// measure's direction from the baseline (so it can never equal it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    direction: Direction,
    baseline: f64,
    target: f64,
}

impl Scale {
    /// Errors name the field at fault: `baseline`, `target` (equal to the
    /// baseline, or on the wrong side of it for the direction).
    pub fn new(direction: Direction, baseline: f64, target: f64) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !baseline.is_finite() {
            errors.push("baseline", "must be a finite number");
        }
        if !target.is_finite() {
            errors.push("target", "must be a finite number");
        }
        if errors.is_empty() {
            if target == baseline {
                errors.push(
                    "target",
                    "must differ from the baseline: progress is measured between the two",
                );
            } else if direction == Direction::Increase && target < baseline {
                errors.push(
                    "target",
                    "must be above the baseline for a measure that should increase",
                );
            } else if direction == Direction::Decrease && target > baseline {
                errors.push(
                    "target",
                    "must be below the baseline for a measure that should decrease",
                );
            }
        }
        errors.finish(|| Scale {
            direction,
            baseline,
            target,
        })
    }

    pub fn direction(&self) -> Direction {
        self.direction
    }

    pub fn baseline(&self) -> f64 {
        self.baseline
    }

    pub fn target(&self) -> f64 {
        self.target
    }

    /// (current − baseline) / (target − baseline), clamped to 0–1. The sign of
    /// the denominator makes it work for decreasing measures too.
    pub fn progress(&self, current: f64) -> f64 {
        let span = self.target - self.baseline;
        if !current.is_finite() || span == 0.0 {
            return 0.0;
        }
        ((current - self.baseline) / span).clamp(0.0, 1.0)
    }

    /// Whether `current` has reached (or passed) the target.
    pub fn reached(&self, current: f64) -> bool {
        match self.direction {
            Direction::Increase => current >= self.target,
            Direction::Decrease => current <= self.target,
        }
    }
}

/// How progress compares with the time that has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    OnTrack,
    AtRisk,
    OffTrack,
}

impl Status {
    /// At most this many percentage points behind the elapsed share is on track.
    pub const ON_TRACK_POINTS: f64 = 10.0;
    /// At most this many points behind is at risk; more is off track.
    pub const AT_RISK_POINTS: f64 = 25.0;

    pub fn as_str(self) -> &'static str {
        match self {
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::OffTrack => "off_track",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        [Status::OnTrack, Status::AtRisk, Status::OffTrack]
            .into_iter()
            .find(|status| status.as_str() == input.trim())
    }
}

/// How many percentage points `progress` trails the `elapsed` share (negative
/// when ahead).
pub fn points_behind(progress: f64, elapsed: f64) -> f64 {
    (elapsed - progress) * 100.0
}

/// `on_track` when no more than 10 points behind the elapsed share of the
/// period, `at_risk` up to 25 behind, `off_track` beyond.
pub fn status(progress: f64, elapsed: f64) -> Status {
    // Rounded to a millionth of a point, so 0.3 − 0.2 counts as 10 points.
    let behind = (points_behind(progress, elapsed) * 1e6).round() / 1e6;
    if behind <= Status::ON_TRACK_POINTS {
        Status::OnTrack
    } else if behind <= Status::AT_RISK_POINTS {
        Status::AtRisk
    } else {
        Status::OffTrack
    }
}

/// A measure with two or more contributing departments is mutual.
pub fn is_mutual(contributors: usize) -> bool {
    contributors >= 2
}

/// An objective's progress: the mean of its measures' progress; `None`
/// without measures.
pub fn objective_progress(measure_progress: &[f64]) -> Option<f64> {
    if measure_progress.is_empty() {
        None
    } else {
        Some(measure_progress.iter().sum::<f64>() / measure_progress.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    fn day(text: &str) -> Date {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    fn scale(direction: Direction, baseline: f64, target: f64) -> Scale {
        Scale::new(direction, baseline, target).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn periods_have_their_calendar_bounds() {
        let quarter = period("2027-Q1");
        assert_eq!(
            (quarter.start(), quarter.end()),
            (day("2027-01-01"), day("2027-03-31"))
        );
        let half = period("2027-h2");
        assert_eq!(
            (half.start(), half.end()),
            (day("2027-07-01"), day("2027-12-31"))
        );
        let year = period("2028");
        assert_eq!(
            (year.start(), year.end()),
            (day("2028-01-01"), day("2028-12-31"))
        );
        let february = period("2028-02");
        assert_eq!(february.end(), day("2028-02-29"));
        assert_eq!(period(" 2027-q4 ").to_string(), "2027-Q4");
        assert_eq!(period("2027-03").to_string(), "2027-03");
        for bad in [
            "", "27-Q1", "2027-Q5", "2027-Q0", "2027-H3", "2027-13", "2027-3", "Q1-2027",
            "2027-Q1x",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn elapsed_share_runs_from_zero_at_the_start_to_one_at_the_end() {
        let quarter = period("2027-Q1");
        assert_eq!(quarter.elapsed_share(day("2026-12-15")), 0.0);
        assert_eq!(quarter.elapsed_share(day("2027-01-01")), 0.0);
        let middle = quarter.elapsed_share(day("2027-02-15"));
        assert!((0.49..=0.51).contains(&middle), "{middle}");
        assert_eq!(quarter.elapsed_share(day("2027-03-31")), 1.0);
        assert_eq!(quarter.elapsed_share(day("2027-06-01")), 1.0);
    }

    #[test]
    fn target_equal_to_baseline_is_refused_naming_the_target() {
        let error = Scale::new(Direction::Increase, 40.0, 40.0).err();
        let fields: Vec<String> = error
            .map(|errors| errors.0.into_iter().map(|error| error.field).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["target"]);
        assert!(Scale::new(Direction::Increase, 40.0, 30.0).is_err());
        assert!(Scale::new(Direction::Decrease, 40.0, 50.0).is_err());
        assert!(Scale::new(Direction::Increase, f64::NAN, 50.0).is_err());
    }

    #[test]
    fn progress_for_increasing_and_decreasing_measures() {
        let conversion = scale(Direction::Increase, 20.0, 30.0);
        assert_eq!(conversion.progress(20.0), 0.0);
        assert_eq!(conversion.progress(25.0), 0.5);
        assert_eq!(conversion.progress(30.0), 1.0);
        assert_eq!(conversion.progress(35.0), 1.0);
        assert_eq!(conversion.progress(10.0), 0.0);
        assert!(conversion.reached(30.0) && !conversion.reached(29.9));

        let returns = scale(Direction::Decrease, 8.0, 4.0);
        assert_eq!(returns.progress(8.0), 0.0);
        assert_eq!(returns.progress(6.0), 0.5);
        assert_eq!(returns.progress(4.0), 1.0);
        assert_eq!(returns.progress(2.0), 1.0);
        assert_eq!(returns.progress(9.0), 0.0);
        assert!(returns.reached(4.0) && !returns.reached(4.1));
    }

    #[test]
    fn status_at_the_start_middle_and_end_of_a_period() {
        let quarter = period("2027-Q1");
        let conversion = scale(Direction::Increase, 20.0, 30.0);
        let returns = scale(Direction::Decrease, 8.0, 4.0);
        // At the start nothing is expected yet.
        let start = quarter.elapsed_share(day("2027-01-01"));
        assert_eq!(status(conversion.progress(20.0), start), Status::OnTrack);
        assert_eq!(status(returns.progress(8.0), start), Status::OnTrack);
        // In the middle (about half elapsed): 45 % is on track, 30 % at risk, 20 % off track.
        let middle = quarter.elapsed_share(day("2027-02-15"));
        assert_eq!(status(conversion.progress(24.5), middle), Status::OnTrack);
        assert_eq!(status(conversion.progress(23.0), middle), Status::AtRisk);
        assert_eq!(status(returns.progress(7.2), middle), Status::OffTrack);
        assert_eq!(status(returns.progress(6.2), middle), Status::OnTrack);
        // At the end everything must be done.
        let end = quarter.elapsed_share(day("2027-03-31"));
        assert_eq!(status(conversion.progress(30.0), end), Status::OnTrack);
        assert_eq!(status(conversion.progress(29.0), end), Status::OnTrack);
        assert_eq!(status(conversion.progress(28.0), end), Status::AtRisk);
        assert_eq!(status(returns.progress(5.0), end), Status::AtRisk);
        assert_eq!(status(returns.progress(6.0), end), Status::OffTrack);
    }

    #[test]
    fn thresholds_are_inclusive() {
        assert_eq!(status(0.4, 0.5), Status::OnTrack);
        assert_eq!(status(0.25, 0.5), Status::AtRisk);
        assert_eq!(status(0.2499, 0.5), Status::OffTrack);
    }

    #[test]
    fn mutual_means_two_or_more_and_objectives_average() {
        assert!(!is_mutual(1));
        assert!(is_mutual(2));
        assert_eq!(objective_progress(&[]), None);
        assert_eq!(objective_progress(&[0.5, 1.0]), Some(0.75));
    }

    proptest! {
        #[test]
        fn progress_stays_between_zero_and_one_and_moves_the_right_way(
            baseline in -1e6f64..1e6, distance in 0.001f64..1e6, first in -2e6f64..2e6, second in -2e6f64..2e6,
            increase in any::<bool>(),
        ) {
            let (direction, target) = if increase {
                (Direction::Increase, baseline + distance)
            } else {
                (Direction::Decrease, baseline - distance)
            };
            let scale = Scale::new(direction, baseline, target).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (low, high) = if first <= second { (first, second) } else { (second, first) };
            let (worse, better) = if increase { (low, high) } else { (high, low) };
            prop_assert!((0.0..=1.0).contains(&scale.progress(worse)));
            prop_assert!((0.0..=1.0).contains(&scale.progress(better)));
            prop_assert!(scale.progress(worse) <= scale.progress(better));
            prop_assert_eq!(scale.progress(baseline), 0.0);
            prop_assert_eq!(scale.progress(target), 1.0);
            prop_assert!(!scale.reached(better) || scale.progress(better) == 1.0);
            prop_assert!(scale.reached(target));
        }

        #[test]
        fn more_progress_never_worsens_status(progress in 0.0f64..1.0, extra in 0.0f64..1.0, elapsed in 0.0f64..1.0) {
            let better = (progress + extra).min(1.0);
            prop_assert!(status(better, elapsed) <= status(progress, elapsed));
            // Being ahead of time is always on track.
            prop_assert_eq!(status(elapsed, elapsed), Status::OnTrack);
        }

        #[test]
        fn elapsed_share_grows_through_a_period(offset in 0i64..400, step in 0i64..100) {
            let quarter = period("2027-Q2");
            let first = quarter.start().checked_add(jiff::Span::new().days(offset - 20)).unwrap_or(quarter.start());
            let later = first.checked_add(jiff::Span::new().days(step)).unwrap_or(first);
            let (a, b) = (quarter.elapsed_share(first), quarter.elapsed_share(later));
            prop_assert!((0.0..=1.0).contains(&a));
            prop_assert!(a <= b);
        }
    }
}
