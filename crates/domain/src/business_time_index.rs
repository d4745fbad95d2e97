//! A prefix-sum index of business time, so that reading a clock costs the
//! same whatever the age of the request.
//!
//! A provider's queue reads the fulfilment clock of every open request, and
//! each reading measures the business time of holding periods that can start
//! years ago and end now. [`business_time_between`] walks local dates one by
//! one (a time-zone conversion per working interval), so a queue of a few
//! hundred old requests walks hundreds of thousands of dates per page.
//!
//! A [`BusinessTimeIndex`] owns a calendar, a covered range of instants
//! (whole 24-hour spans from a UTC midnight) and the calendar's working
//! intervals in that range, found by one forward walk when it is built,
//! each with the business time elapsed before it. The business time up to
//! an instant inside the range is then a binary search: the intervals that
//! ended before it, plus the part of the one it falls in. A reading costs
//! two such searches and no time-zone arithmetic, whatever its length.
//!
//! # Why it is exact
//!
//! Business time is additive: `B(a, c) = B(a, b) + B(b, c)` for any
//! `a <= b <= c`, because it is the measure of one set of instants (the
//! working time) and durations are whole nanoseconds, summed without
//! rounding. So `B(from, to) = (B(origin, to) − B(origin, from))`, and the
//! parts of `[from, to)` outside the covered range are measured by the plain
//! walk and added on. The intervals are those of the same
//! [`working_intervals`] that the plain walk sums, already resolved to
//! instants, so daylight-saving changes, folds and gaps need no special
//! case. The index therefore returns exactly what [`business_time_between`]
//! returns, for every input;
//! the tests check this against arbitrary calendars (DST zones, holidays,
//! night shifts) and instants before, inside, across and after the range.

use crate::business_time::{
    BusinessTimeError, SEARCH_HORIZON_DAYS, add_business_time, business_time_between,
    working_intervals,
};
use crate::calendar::CalendarDefinition;
use crate::clocks::CalendarLookup;
use crate::ids::DepartmentId;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

/// The distance between two checkpoints: 24 real hours.
pub const CHECKPOINT_SPACING: SignedDuration = SignedDuration::from_secs(SECONDS_PER_CHECKPOINT);

const SECONDS_PER_CHECKPOINT: i64 = 24 * 60 * 60;

/// The most checkpoint spacings an index covers (twenty years): a wider
/// requested range keeps its most recent part, since clock readings end at
/// "now", and anything earlier is measured by the plain walk.
pub const MAX_INDEXED_DAYS: u32 = SEARCH_HORIZON_DAYS;

/// A calendar together with its working intervals over a covered range of
/// checkpoints every 24 real hours, and the business time elapsed before each.
///
/// [`BusinessTimeIndex::business_time_between`] equals
/// [`business_time_between`] on the same calendar exactly, for all instants;
/// inside the covered range it costs two binary searches and no time-zone
/// arithmetic at all.
#[derive(Clone)]
pub struct BusinessTimeIndex {
    calendar: CalendarDefinition,
    /// The first checkpoint.
    origin: Timestamp,
    /// The last checkpoint: `origin + days × 24 h`.
    end: Timestamp,
    days: usize,
    /// The calendar's working intervals in `[origin, end)`, in order and
    /// disjoint, as the walk finds them.
    intervals: Vec<(Timestamp, Timestamp)>,
    /// `elapsed_before[i]` is the business time of `intervals[..i]`.
    elapsed_before: Vec<SignedDuration>,
}

impl BusinessTimeIndex {
    /// Builds the index of `calendar` covering at least
    /// `[covering_from, covering_to]`: the origin is `covering_from` rounded
    /// down to a whole UTC day, and the last checkpoint lies at or after
    /// `covering_to` (at most [`MAX_INDEXED_DAYS`] days are indexed; see
    /// there). An empty or reversed range indexes nothing, and every question
    /// is then answered by the plain walk.
    pub fn new(
        calendar: CalendarDefinition,
        covering_from: Timestamp,
        covering_to: Timestamp,
    ) -> Self {
        let (origin, days, end) = checkpoint_range(covering_from, covering_to);
        // The one forward pass: the walk's intervals (clipped to the range)
        // and their running total.
        let intervals: Vec<(Timestamp, Timestamp)> = working_intervals(&calendar, origin, end)
            .filter(|(open, close)| open < close)
            .collect();
        let mut elapsed_before = Vec::with_capacity(intervals.len() + 1);
        let mut total = SignedDuration::ZERO;
        elapsed_before.push(total);
        for (open, close) in &intervals {
            total = total.saturating_add(close.duration_since(*open));
            elapsed_before.push(total);
        }
        Self {
            calendar,
            origin,
            end,
            days,
            intervals,
            elapsed_before,
        }
    }

    /// The calendar the index measures.
    pub fn calendar(&self) -> &CalendarDefinition {
        &self.calendar
    }

    /// The covered range `(first checkpoint, last checkpoint)`: instants in it
    /// are answered from the index, the rest by the plain walk.
    pub fn covered(&self) -> (Timestamp, Timestamp) {
        (self.origin, self.end)
    }

    /// How many checkpoints (24 real hours apart) bound the covered range.
    pub fn checkpoints(&self) -> usize {
        self.days + 1
    }

    /// The business time elapsed from `from` to `to`: exactly
    /// [`business_time_between`] on the index's calendar (zero if
    /// `to <= from`).
    pub fn business_time_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        if to <= self.origin || from >= self.end {
            return business_time_between(&self.calendar, from, to);
        }
        let inner_from = from.max(self.origin);
        let inner_to = to.min(self.end);
        let before = if from < inner_from {
            business_time_between(&self.calendar, from, inner_from)
        } else {
            SignedDuration::ZERO
        };
        let after = if inner_to < to {
            business_time_between(&self.calendar, inner_to, to)
        } else {
            SignedDuration::ZERO
        };
        let inside = self
            .cumulative_at(inner_to)
            .saturating_sub(self.cumulative_at(inner_from));
        before.saturating_add(inside).saturating_add(after)
    }

    /// The earliest instant by which `amount` of business time has elapsed
    /// from `start`: exactly [`add_business_time`] on the index's calendar.
    /// From inside the covered range it is one binary search (the first
    /// working interval whose close reaches the total), and the plain walk
    /// only for what lies beyond the range. A clock's due instant is found
    /// this way on every reading of a running clock.
    pub fn add_business_time(
        &self,
        start: Timestamp,
        amount: SignedDuration,
    ) -> Result<Timestamp, BusinessTimeError> {
        if amount.is_negative() || amount.is_zero() || start < self.origin || start >= self.end {
            return add_business_time(&self.calendar, start, amount);
        }
        // Business time never runs faster than real time: the same range
        // check as the walk's, so both refuse the same inputs.
        if start.checked_add(amount).is_err() {
            return Err(BusinessTimeError::OutOfRange);
        }
        let reached = self.cumulative_at(start).saturating_add(amount);
        // The first interval at whose close the total reaches `reached`.
        let index = self
            .elapsed_before
            .get(1..)
            .map_or(0, |closes| closes.partition_point(|total| *total < reached));
        match self.intervals.get(index) {
            Some((open, _)) => {
                let before = self
                    .elapsed_before
                    .get(index)
                    .copied()
                    .unwrap_or(SignedDuration::ZERO);
                open.checked_add(reached.saturating_sub(before))
                    .map_err(|_| BusinessTimeError::OutOfRange)
            }
            // Not reached inside the range: count the rest on from its end.
            None => {
                let inside = self
                    .elapsed_before
                    .last()
                    .copied()
                    .unwrap_or(SignedDuration::ZERO)
                    .saturating_sub(self.cumulative_at(start));
                add_business_time(&self.calendar, self.end, amount.saturating_sub(inside))
            }
        }
    }

    /// The business time in `[origin, at)`, for `at` in the covered range:
    /// the intervals ended by `at`, and the part of the one it falls in.
    fn cumulative_at(&self, at: Timestamp) -> SignedDuration {
        let ended = self.intervals.partition_point(|(_, close)| *close <= at);
        let base = self
            .elapsed_before
            .get(ended)
            .copied()
            .unwrap_or(SignedDuration::ZERO);
        match self.intervals.get(ended) {
            Some((open, _)) if *open < at => base.saturating_add(at.duration_since(*open)),
            _ => base,
        }
    }
}

impl fmt::Debug for BusinessTimeIndex {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The intervals are thousands of instants: show their count.
        formatter
            .debug_struct("BusinessTimeIndex")
            .field("calendar", &self.calendar)
            .field("origin", &self.origin)
            .field("end", &self.end)
            .field("checkpoints", &self.checkpoints())
            .field("intervals", &self.intervals.len())
            .finish()
    }
}

/// The origin, number of days and last checkpoint of an index asked to cover
/// `[covering_from, covering_to]`, bounded by [`MAX_INDEXED_DAYS`] (keeping
/// the later end) and by the range of instants.
fn checkpoint_range(
    covering_from: Timestamp,
    covering_to: Timestamp,
) -> (Timestamp, usize, Timestamp) {
    // One day less than the maximum, so rounding the origin down stays in it.
    let longest = SignedDuration::from_secs(
        i64::from(MAX_INDEXED_DAYS.saturating_sub(1)) * SECONDS_PER_CHECKPOINT,
    );
    let start = covering_to
        .checked_sub(longest)
        .map_or(covering_from, |earliest| covering_from.max(earliest));
    let origin = whole_utc_day_at_or_before(start);
    if covering_to <= origin {
        return (origin, 0, origin);
    }
    let wanted = covering_to.duration_since(origin).as_nanos();
    let spacing = CHECKPOINT_SPACING.as_nanos();
    // Rounded up, so that the last checkpoint is at or after `covering_to`.
    let wanted_days = (wanted + spacing - 1) / spacing;
    let room_days = Timestamp::MAX.duration_since(origin).as_nanos() / spacing;
    let days = wanted_days
        .min(room_days)
        .min(i128::from(MAX_INDEXED_DAYS))
        .max(0);
    let days = usize::try_from(days).unwrap_or(0);
    match checkpoint_at(origin, days) {
        Some(end) => (origin, days, end),
        None => (origin, 0, origin),
    }
}

/// Midnight UTC at or before `at` (or `at` itself at the very start of time).
fn whole_utc_day_at_or_before(at: Timestamp) -> Timestamp {
    let day = at.as_second().div_euclid(SECONDS_PER_CHECKPOINT);
    let midnight = Timestamp::from_second(day * SECONDS_PER_CHECKPOINT).unwrap_or(at);
    if midnight <= at {
        midnight
    } else {
        // A negative instant with a fraction of a second just after midnight.
        midnight
            .checked_sub(CHECKPOINT_SPACING)
            .unwrap_or(Timestamp::MIN)
    }
}

/// Checkpoint `day`: `origin + day × 24 h`, if representable.
fn checkpoint_at(origin: Timestamp, day: usize) -> Option<Timestamp> {
    let seconds = i64::try_from(day)
        .ok()?
        .checked_mul(SECONDS_PER_CHECKPOINT)?;
    origin.checked_add(SignedDuration::from_secs(seconds)).ok()
}

/// Department calendars answered from indexes: a [`CalendarLookup`] whose
/// [`CalendarLookup::business_time_between`] costs two binary searches inside
/// the indexes' covered range. Departments sharing a calendar share its index.
pub type IndexedCalendars = HashMap<DepartmentId, Arc<BusinessTimeIndex>>;

impl<S> CalendarLookup for HashMap<DepartmentId, Arc<BusinessTimeIndex>, S>
where
    S: BuildHasher,
{
    fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition> {
        self.get(&department).map(|index| index.calendar())
    }

    fn business_time_between(
        &self,
        department: DepartmentId,
        from: Timestamp,
        to: Timestamp,
    ) -> Option<SignedDuration> {
        self.get(&department)
            .map(|index| index.business_time_between(from, to))
    }

    fn add_business_time(
        &self,
        department: DepartmentId,
        start: Timestamp,
        amount: SignedDuration,
    ) -> Option<Result<Timestamp, BusinessTimeError>> {
        self.get(&department)
            .map(|index| index.add_business_time(start, amount))
    }
}

/// Indexes each department's calendar over `[covering_from, covering_to]`,
/// building one index per distinct calendar definition: departments with
/// identical calendars share it.
pub fn index_calendars<S>(
    calendars: &HashMap<DepartmentId, CalendarDefinition, S>,
    covering_from: Timestamp,
    covering_to: Timestamp,
) -> IndexedCalendars
where
    S: BuildHasher,
{
    // Few distinct calendars exist, so a linear search for a twin is enough.
    let mut built: Vec<Arc<BusinessTimeIndex>> = Vec::new();
    let mut indexed = IndexedCalendars::with_capacity(calendars.len());
    for (department, calendar) in calendars {
        let index = match built.iter().find(|index| index.calendar() == calendar) {
            Some(twin) => Arc::clone(twin),
            None => {
                let index = Arc::new(BusinessTimeIndex::new(
                    calendar.clone(),
                    covering_from,
                    covering_to,
                ));
                built.push(Arc::clone(&index));
                index
            }
        };
        indexed.insert(*department, index);
    }
    indexed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_time::tests::{
        EVERY_DAY, MONDAY_TO_FRIDAY, arb_calendar, arb_instant, at, calendar, hours, local, office,
    };
    use jiff::civil::date;
    use proptest::prelude::*;

    const BERLIN: &str = "Europe/Berlin";

    fn days(count: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * count)
    }

    /// Checks the index against the walk and returns the index's answer.
    fn measured(index: &BusinessTimeIndex, from: Timestamp, to: Timestamp) -> SignedDuration {
        let indexed = index.business_time_between(from, to);
        let walked = business_time_between(index.calendar(), from, to);
        assert_eq!(indexed, walked, "from {from} to {to}");
        indexed
    }

    #[test]
    fn an_empty_or_reversed_range_holds_no_business_time() {
        let index = BusinessTimeIndex::new(
            office(BERLIN),
            at("2026-01-01T00:00:00Z"),
            at("2026-12-31T00:00:00Z"),
        );
        let monday_ten = local(BERLIN, date(2026, 3, 2), 10, 0);
        let a_week_later = monday_ten + days(7);
        assert_eq!(
            measured(&index, monday_ten, monday_ten),
            SignedDuration::ZERO
        );
        assert_eq!(
            measured(&index, a_week_later, monday_ten),
            SignedDuration::ZERO
        );
        assert_eq!(measured(&index, monday_ten, a_week_later), hours(40));
    }

    #[test]
    fn checkpoints_lie_every_24_hours_from_a_utc_midnight_covering_the_range() {
        let from = at("2026-03-02T10:30:00.25Z");
        let to = at("2026-03-09T01:00:00Z");
        let index = BusinessTimeIndex::new(office(BERLIN), from, to);
        assert_eq!(
            index.covered(),
            (at("2026-03-02T00:00:00Z"), at("2026-03-10T00:00:00Z"))
        );
        assert_eq!(index.calendar(), &office(BERLIN));

        // Before the epoch, with a fraction of a second past midnight.
        let early = BusinessTimeIndex::new(
            office(BERLIN),
            at("1969-12-30T00:00:00.5Z"),
            at("1970-01-02T00:00:00Z"),
        );
        assert_eq!(
            early.covered(),
            (at("1969-12-30T00:00:00Z"), at("1970-01-02T00:00:00Z"))
        );
    }

    #[test]
    fn a_range_on_checkpoints_reads_the_cumulative_values() {
        // Checkpoints at 00:00 UTC, 01:00 in Berlin: Monday 2 March onwards.
        let origin = at("2026-03-02T00:00:00Z");
        let index = BusinessTimeIndex::new(office(BERLIN), origin, origin + days(14));
        assert_eq!(measured(&index, origin, origin + days(7)), hours(40));
        // Tuesday and Wednesday.
        assert_eq!(
            measured(&index, origin + days(1), origin + days(3)),
            hours(16)
        );
        // The whole covered range, and a nanosecond either side of it.
        let nanosecond = SignedDuration::from_nanos(1);
        assert_eq!(measured(&index, origin, origin + days(14)), hours(80));
        assert_eq!(
            measured(&index, origin - nanosecond, origin + days(14) + nanosecond),
            hours(80)
        );
    }

    #[test]
    fn parts_outside_the_covered_range_are_walked_and_added() {
        let index = BusinessTimeIndex::new(
            office(BERLIN),
            at("2026-03-09T00:00:00Z"),
            at("2026-03-16T00:00:00Z"),
        );
        let first_monday = local(BERLIN, date(2026, 3, 2), 9, 0);
        // Before, across and after the covered week: three weeks of work.
        assert_eq!(
            measured(&index, first_monday, first_monday + days(21)),
            hours(120)
        );
        // Entirely before and entirely after it.
        assert_eq!(
            measured(&index, first_monday, first_monday + days(5)),
            hours(40)
        );
        assert_eq!(
            measured(&index, first_monday + days(14), first_monday + days(19)),
            hours(40)
        );
    }

    #[test]
    fn daylight_saving_changes_need_no_special_case() {
        let always = calendar(BERLIN, &EVERY_DAY, &[("00:00", "24:00")], &[]);
        let nights = calendar(
            BERLIN,
            &EVERY_DAY,
            &[("00:00", "06:00"), ("22:00", "24:00")],
            &[],
        );
        let year_from = at("2026-01-01T00:00:00Z");
        let year_to = at("2027-01-01T00:00:00Z");
        let always = BusinessTimeIndex::new(always, year_from, year_to);
        let nights = BusinessTimeIndex::new(nights, year_from, year_to);
        let local_midnight = |day| local(BERLIN, day, 0, 0);

        // Spring: the weekend of 28–29 March is an hour short.
        let (saturday, monday) = (date(2026, 3, 28), date(2026, 3, 30));
        assert_eq!(
            measured(&always, local_midnight(saturday), local_midnight(monday)),
            hours(47)
        );
        assert_eq!(
            measured(&nights, local_midnight(saturday), local_midnight(monday)),
            hours(15)
        );
        // Autumn: the weekend of 24–25 October is an hour long.
        let (saturday, monday) = (date(2026, 10, 24), date(2026, 10, 26));
        assert_eq!(
            measured(&always, local_midnight(saturday), local_midnight(monday)),
            hours(49)
        );
        assert_eq!(
            measured(&nights, local_midnight(saturday), local_midnight(monday)),
            hours(17)
        );
        // The whole year, from the index alone: 365 × 24 hours.
        assert_eq!(measured(&always, year_from, year_to), days(365));
    }

    #[test]
    fn the_size_is_bounded_and_the_later_end_is_kept() {
        let from = at("2000-01-01T00:00:00Z");
        let to = at("2060-01-01T12:00:00Z");
        let index = BusinessTimeIndex::new(office(BERLIN), from, to);
        let (origin, end) = index.covered();
        assert!(end >= to, "{end}");
        assert!(origin > from, "{origin}");
        assert_eq!(
            end.duration_since(origin),
            days(i64::from(MAX_INDEXED_DAYS))
        );
        // Still exact across the whole requested range.
        let monday = local(BERLIN, date(2026, 3, 2), 9, 0);
        measured(&index, from, to);
        measured(&index, from, monday);
        measured(&index, monday, to);
    }

    #[test]
    fn an_empty_covering_range_indexes_nothing_and_still_answers() {
        let from = at("2026-03-09T00:00:00Z");
        let index = BusinessTimeIndex::new(office(BERLIN), from, from - days(3));
        assert_eq!(index.covered(), (from, from));
        let monday = local(BERLIN, date(2026, 3, 2), 9, 0);
        assert_eq!(measured(&index, monday, monday + days(14)), hours(80));

        // So does one at the very end of time.
        let last = BusinessTimeIndex::new(office(BERLIN), Timestamp::MAX, Timestamp::MAX);
        let (origin, end) = last.covered();
        assert!(origin <= end);
        measured(&last, Timestamp::MAX - days(30), Timestamp::MAX);
    }

    #[test]
    fn departments_with_identical_calendars_share_one_index() {
        let (a, b, c) = (DepartmentId(1), DepartmentId(2), DepartmentId(3));
        let berlin_office = calendar(BERLIN, &MONDAY_TO_FRIDAY, &[("09:00", "17:00")], &[]);
        let calendars = HashMap::from([
            (a, berlin_office.clone()),
            (b, berlin_office),
            (c, office("America/New_York")),
        ]);
        let from = at("2026-01-01T00:00:00Z");
        let to = at("2027-01-01T00:00:00Z");
        let indexed = index_calendars(&calendars, from, to);

        assert_eq!(indexed.len(), 3);
        let index_of = |department| {
            indexed
                .get(&department)
                .unwrap_or_else(|| panic!("no index for {department}"))
        };
        assert!(Arc::ptr_eq(index_of(a), index_of(b)));
        assert!(!Arc::ptr_eq(index_of(a), index_of(c)));
        for department in [a, b, c] {
            assert_eq!(
                indexed.calendar_of(department),
                calendars.calendar_of(department)
            );
            let monday = local(BERLIN, date(2026, 3, 2), 9, 0);
            assert_eq!(
                CalendarLookup::business_time_between(
                    &indexed,
                    department,
                    monday,
                    monday + days(30)
                ),
                CalendarLookup::business_time_between(
                    &calendars,
                    department,
                    monday,
                    monday + days(30)
                ),
            );
        }
        let unknown = DepartmentId(4);
        assert_eq!(indexed.calendar_of(unknown), None);
        assert_eq!(
            CalendarLookup::business_time_between(&indexed, unknown, from, to),
            None
        );
    }

    #[test]
    fn debug_output_names_the_range_not_every_checkpoint() {
        let index = BusinessTimeIndex::new(
            office(BERLIN),
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        let debug = format!("{index:?}");
        assert!(debug.contains("checkpoints: 366"), "{debug}");
        assert!(debug.len() < 2_000, "{}", debug.len());
    }

    /// Building three years of checkpoints for a Berlin office with holidays.
    /// A figure to read, not a test: `cargo test -p roundtable-domain
    /// building_three_years -- --ignored --nocapture` (add `--release` for
    /// the figure production sees).
    #[test]
    #[ignore = "prints a timing; asserts nothing about speed"]
    fn building_three_years_of_checkpoints_takes() {
        let holidays = [
            "2026-01-01",
            "2026-04-03",
            "2026-04-06",
            "2026-05-01",
            "2026-05-14",
            "2026-05-25",
            "2026-10-03",
            "2026-12-25",
            "2026-12-26",
            "2027-01-01",
            "2027-03-26",
            "2027-03-29",
            "2027-05-01",
            "2027-05-06",
            "2027-05-17",
            "2027-10-03",
            "2027-12-25",
            "2027-12-26",
            "2028-01-01",
            "2028-04-14",
            "2028-04-17",
            "2028-05-01",
            "2028-05-25",
            "2028-06-05",
            "2028-10-03",
            "2028-12-25",
            "2028-12-26",
        ];
        let berlin = calendar(BERLIN, &MONDAY_TO_FRIDAY, &[("09:00", "17:00")], &holidays);
        let from = at("2026-01-01T00:00:00Z");
        let to = at("2029-01-01T00:00:00Z");
        let rounds = 20u32;
        let started = std::time::Instant::now();
        let mut total = SignedDuration::ZERO;
        for _ in 0..rounds {
            let index = BusinessTimeIndex::new(berlin.clone(), from, to);
            total = total.saturating_add(index.business_time_between(from, to));
        }
        let each = started.elapsed() / rounds;
        let walk_started = std::time::Instant::now();
        let walked = business_time_between(&berlin, from, to);
        let walk = walk_started.elapsed();
        assert_eq!(total, walked * i32::try_from(rounds).unwrap_or(1));
        // A queue page: 300 readings of requests opened about three years ago.
        let index = BusinessTimeIndex::new(berlin.clone(), from, to);
        let now = at("2028-12-30T15:00:00Z");
        let opened = |entry: i64| from + SignedDuration::from_secs(entry * 7_919) + days(3);
        let read_started = std::time::Instant::now();
        let indexed: SignedDuration = (0..300)
            .map(|entry| index.business_time_between(opened(entry), now))
            .sum();
        let indexed_page = read_started.elapsed();
        let walk_started = std::time::Instant::now();
        let walked: SignedDuration = (0..300)
            .map(|entry| business_time_between(&berlin, opened(entry), now))
            .sum();
        let walked_page = walk_started.elapsed();
        assert_eq!(indexed, walked);
        println!(
            "building 3 years of checkpoints: {each:?} per index; one plain 3-year walk: {walk:?}; \
             300 three-year readings: {indexed_page:?} indexed, {walked_page:?} walked"
        );
    }

    /// An instant anywhere, or one near a checkpoint of the index (its
    /// origin, its last checkpoint, or any checkpoint): exactly on it, just
    /// beside it, or anywhere within a few days of it.
    #[derive(Debug, Clone)]
    enum Pick {
        Anywhere(Timestamp),
        Near {
            landmark: u8,
            checkpoint: prop::sample::Index,
            offset: SignedDuration,
        },
    }

    fn arb_offset() -> impl Strategy<Value = SignedDuration> {
        prop_oneof![
            1 => Just(SignedDuration::ZERO),
            1 => (-2i64..=2, -120i64..=120)
                .prop_map(|(whole_days, seconds)| days(whole_days) + SignedDuration::from_secs(seconds)),
            1 => (-2i64..=2, 0i32..1_000_000_000)
                .prop_map(|(seconds, nanos)| SignedDuration::new(seconds, nanos)),
            2 => (-3 * 86_400i64..3 * 86_400).prop_map(SignedDuration::from_secs),
        ]
    }

    fn arb_pick() -> impl Strategy<Value = Pick> {
        prop_oneof![
            1 => arb_instant().prop_map(Pick::Anywhere),
            2 => (0u8..4, any::<prop::sample::Index>(), arb_offset())
                .prop_map(|(landmark, checkpoint, offset)| Pick::Near { landmark, checkpoint, offset }),
        ]
    }

    fn resolve(pick: &Pick, index: &BusinessTimeIndex) -> Timestamp {
        match pick {
            Pick::Anywhere(instant) => *instant,
            Pick::Near {
                landmark,
                checkpoint,
                offset,
            } => {
                let (origin, end) = index.covered();
                let landmark = match landmark {
                    0 => origin,
                    1 => end,
                    _ => {
                        let day = checkpoint.index(index.checkpoints());
                        origin + days(i64::try_from(day).unwrap_or(0))
                    }
                };
                landmark + *offset
            }
        }
    }

    /// A covering range: months to years, or a few days to weeks.
    fn arb_covering() -> impl Strategy<Value = (Timestamp, Timestamp)> {
        prop_oneof![
            (arb_instant(), arb_instant()),
            (arb_instant(), 0i64..(60 * 86_400))
                .prop_map(|(from, seconds)| (from, from + SignedDuration::from_secs(seconds))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn the_index_equals_the_walk_everywhere(
            calendar in arb_calendar(),
            (covering_from, covering_to) in arb_covering(),
            from in arb_pick(),
            to in arb_pick(),
        ) {
            let index = BusinessTimeIndex::new(calendar, covering_from, covering_to);
            let (origin, end) = index.covered();
            if covering_from <= covering_to {
                prop_assert!(origin <= covering_from && covering_to <= end);
            }
            let (from, to) = (resolve(&from, &index), resolve(&to, &index));
            prop_assert_eq!(
                index.business_time_between(from, to),
                business_time_between(index.calendar(), from, to)
            );
            prop_assert_eq!(
                index.business_time_between(to, from),
                business_time_between(index.calendar(), to, from)
            );
        }

        #[test]
        fn the_index_adds_business_time_like_the_walk(
            calendar in arb_calendar(),
            (covering_from, covering_to) in arb_covering(),
            start in arb_pick(),
            amount in prop_oneof![
                1 => Just(SignedDuration::ZERO),
                3 => (1i64..(8 * 60)).prop_map(SignedDuration::from_mins),
                3 => (1i64..(400 * 24 * 60)).prop_map(SignedDuration::from_mins),
                1 => (1i64..(3 * 86_400), 0i32..1_000_000_000).prop_map(|(seconds, nanos)| SignedDuration::new(seconds, nanos)),
            ],
        ) {
            let index = BusinessTimeIndex::new(calendar, covering_from, covering_to);
            let start = resolve(&start, &index);
            let indexed = index.add_business_time(start, amount);
            prop_assert_eq!(&indexed, &add_business_time(index.calendar(), start, amount));
            // What was added is measured back exactly.
            if let Ok(due) = indexed {
                prop_assert_eq!(index.business_time_between(start, due), amount);
            }
        }

        #[test]
        fn adding_whole_working_intervals_ends_at_a_close(
            calendar in arb_calendar(),
            covering_from in arb_instant(),
            length_days in 1i64..60,
            first in any::<prop::sample::Index>(),
            count in 1usize..12,
            into_the_first in 0u32..100,
        ) {
            let index = BusinessTimeIndex::new(calendar, covering_from, covering_from + days(length_days));
            prop_assume!(!index.intervals.is_empty());
            let first = first.index(index.intervals.len());
            let last = (first + count - 1).min(index.intervals.len() - 1);
            let (open, close) = index.intervals[first];
            // From the open or part-way into the first interval, exactly to
            // the close of a later one: the answer is that close, never the
            // next opening.
            let start = open + SignedDuration::from_nanos(
                i64::try_from(close.duration_since(open).as_nanos() * i128::from(into_the_first) / 100).unwrap_or(0),
            );
            let amount = index.elapsed_before[last + 1].saturating_sub(index.cumulative_at(start));
            prop_assume!(amount.is_positive());
            let due = index.add_business_time(start, amount);
            prop_assert_eq!(&due, &Ok(index.intervals[last].1));
            prop_assert_eq!(&due, &add_business_time(index.calendar(), start, amount));
        }

        #[test]
        fn every_day_of_the_index_measures_like_the_walk(
            calendar in arb_calendar(),
            covering_from in arb_instant(),
            length_days in 0i64..40,
            into_the_day in 0i64..86_400,
        ) {
            let index = BusinessTimeIndex::new(calendar, covering_from, covering_from + days(length_days));
            let (origin, _) = index.covered();
            // From before the range, so the inside is always read from the index.
            let before = origin - days(2);
            for day in 0..index.checkpoints() {
                let checkpoint = origin + days(i64::try_from(day).unwrap_or(i64::MAX));
                prop_assert_eq!(index.cumulative_at(checkpoint), business_time_between(index.calendar(), origin, checkpoint));
                for at in [checkpoint, checkpoint + SignedDuration::from_secs(into_the_day)] {
                    prop_assert_eq!(
                        index.business_time_between(before, at),
                        business_time_between(index.calendar(), before, at),
                        "day {} at {}", day, at
                    );
                }
            }
        }
    }
}
