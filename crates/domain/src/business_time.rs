//! Business-time arithmetic: how much working time lies between two instants,
//! and when a given amount of working time will have elapsed.
//!
//! The service-level clocks of internal requests run on the provider
//! department's business calendar, not on the wall clock: a request raised on
//! Friday evening has not used any of its "eight working hours" by Monday
//! morning. Those clocks decide when something is overdue and who is told, so
//! they have to agree with what a person on the provider's side would count,
//! and they have to agree with themselves: a due date computed with
//! [`add_business_time`] must be exactly the instant at which
//! [`business_time_between`] reaches the target, or an item could be reported
//! as both on time and late.
//!
//! Exactness across daylight-saving changes is the point of doing this with
//! instants rather than with wall-clock minutes. A night shift that spans the
//! autumn change really works one hour more, and a 24-hour help desk really
//! loses an hour in spring; counting local minutes would be wrong by that hour
//! twice a year, precisely when nobody is looking. So every local working
//! interval is turned into a pair of real instants in the calendar's time zone
//! and all counting happens on the instant line:
//!
//! * `24:00` is 00:00 of the next local date, so an interval ending at
//!   midnight touches one that starts at midnight the next day.
//! * A local time skipped by a change resolves forward to the first instant
//!   after the skip (the instant of the change itself). Every interval lying
//!   inside a skipped stretch therefore holds no time, and resolution never
//!   moves backwards, so intervals can never overlap once they are instants.
//! * A repeated (folded) local time resolves to its earlier occurrence, so a
//!   day running 00:00–24:00 holds 25 hours on the night the clocks go back.
//!
//! Everything here is pure: callers pass the instants in.

use crate::calendar::{CalendarDefinition, WorkingInterval};
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use std::iter::FusedIterator;

/// How many consecutive local dates without any working time a forward search
/// walks through before it gives up: twenty years, leap days included.
pub const SEARCH_HORIZON_DAYS: u32 = 20 * 365 + 5;

/// How far past its start a search for a due instant walks before it gives
/// up: a hundred years. A target is at most a year of business minutes, so
/// only a calendar with almost no working time comes near it; the bound keeps
/// one request's work (and the thread it runs on) bounded whatever the
/// calendar.
pub const WALK_LIMIT_YEARS: i16 = 100;

/// Why business time could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusinessTimeError {
    #[error("an amount of business time must not be negative (got {amount})")]
    NegativeAmount { amount: SignedDuration },
    #[error("the calendar has no working time in the {days} local dates from {from}")]
    NoWorkingTime { from: Date, days: u32 },
    #[error("the result lies outside the range of representable instants")]
    OutOfRange,
    #[error("the calendar does not hold that much working time within {years} years")]
    BeyondWalkLimit { years: i16 },
}

/// The business time elapsed from `from` to `to`: zero if `to <= from`,
/// otherwise the exact total length of working time inside `[from, to)`.
pub fn business_time_between(
    calendar: &CalendarDefinition,
    from: Timestamp,
    to: Timestamp,
) -> SignedDuration {
    working_intervals(calendar, from, to).fold(SignedDuration::ZERO, |total, (open, close)| {
        total.saturating_add(close.duration_since(open))
    })
}

/// [`business_time_between`] in whole minutes, rounded down.
pub fn business_minutes_between(
    calendar: &CalendarDefinition,
    from: Timestamp,
    to: Timestamp,
) -> i64 {
    business_time_between(calendar, from, to).as_secs() / 60
}

/// The earliest instant by which `amount` of business time has elapsed,
/// counting from `start` (or from the next opening if `start` is outside
/// working time). A zero amount returns `start` unchanged.
pub fn add_business_time(
    calendar: &CalendarDefinition,
    start: Timestamp,
    amount: SignedDuration,
) -> Result<Timestamp, BusinessTimeError> {
    if amount.is_negative() {
        return Err(BusinessTimeError::NegativeAmount { amount });
    }
    if amount.is_zero() {
        return Ok(start);
    }
    // Business time never runs faster than real time, so the due instant is at
    // least `start + amount`: if that is out of range, so is the answer.
    if start.checked_add(amount).is_err() {
        return Err(BusinessTimeError::OutOfRange);
    }
    let mut remaining = amount;
    let last_date = calendar
        .time_zone()
        .to_datetime(start)
        .date()
        .checked_add(jiff::Span::new().years(WALK_LIMIT_YEARS))
        .ok();
    let mut walk = DayWalk::around(
        calendar,
        start,
        last_date.unwrap_or(Date::MAX),
        Some(SEARCH_HORIZON_DAYS),
    );
    loop {
        let (open, close) = walk.next_interval().map_err(|end| match (end, last_date) {
            (WalkEnd::Exhausted, Some(_)) => BusinessTimeError::BeyondWalkLimit {
                years: WALK_LIMIT_YEARS,
            },
            (end, _) => BusinessTimeError::from(end),
        })?;
        if close <= start {
            continue;
        }
        let open = open.max(start);
        let available = close.duration_since(open);
        if remaining <= available {
            return open
                .checked_add(remaining)
                .map_err(|_| BusinessTimeError::OutOfRange);
        }
        remaining = remaining.saturating_sub(available);
    }
}

/// [`add_business_time`] for a whole number of minutes.
pub fn add_business_minutes(
    calendar: &CalendarDefinition,
    start: Timestamp,
    minutes: i64,
) -> Result<Timestamp, BusinessTimeError> {
    let amount = SignedDuration::try_from_mins(minutes);
    if minutes < 0 {
        return Err(BusinessTimeError::NegativeAmount {
            amount: amount.unwrap_or(SignedDuration::MIN),
        });
    }
    add_business_time(
        calendar,
        start,
        amount.ok_or(BusinessTimeError::OutOfRange)?,
    )
}

/// The earliest instant at or after `at` that lies in working time: `at`
/// itself during working time, otherwise the next opening.
pub fn next_business_instant(
    calendar: &CalendarDefinition,
    at: Timestamp,
) -> Result<Timestamp, BusinessTimeError> {
    let mut walk = DayWalk::around(calendar, at, Date::MAX, Some(SEARCH_HORIZON_DAYS));
    loop {
        let (open, close) = walk.next_interval()?;
        if close > at {
            return Ok(open.max(at));
        }
    }
}

/// Whether the instant `at` lies in working time (intervals are half-open, so
/// a closing instant itself is not working time).
pub fn is_business_time(calendar: &CalendarDefinition, at: Timestamp) -> bool {
    at.checked_add(SignedDuration::from_nanos(1))
        .is_ok_and(|after| working_intervals(calendar, at, after).next().is_some())
}

/// The working time inside `[from, to)` as instant intervals `(open, close)`:
/// clipped to the range, in order, each non-empty, and with intervals that
/// touch (a shift running past midnight, adjacent slots) merged into one.
pub fn working_intervals(
    calendar: &CalendarDefinition,
    from: Timestamp,
    to: Timestamp,
) -> WorkingIntervals<'_> {
    let local_to = calendar.time_zone().to_datetime(to).date();
    // Two spare dates cover a fold that crosses local midnight.
    let last_date = local_to
        .checked_add(jiff::Span::new().days(2))
        .unwrap_or(Date::MAX);
    WorkingIntervals {
        walk: DayWalk::around(calendar, from, last_date, None),
        from,
        to,
        pending: None,
        finished: to <= from,
    }
}

/// Iterator returned by [`working_intervals`].
#[derive(Debug, Clone)]
pub struct WorkingIntervals<'a> {
    walk: DayWalk<'a>,
    from: Timestamp,
    to: Timestamp,
    pending: Option<(Timestamp, Timestamp)>,
    finished: bool,
}

impl WorkingIntervals<'_> {
    /// The next calendar interval overlapping `[from, to)`, clipped to it.
    fn next_clipped(&mut self) -> Option<(Timestamp, Timestamp)> {
        loop {
            let (open, close) = self.walk.next_interval().ok()?;
            if close <= self.from {
                continue;
            }
            if open >= self.to {
                return None;
            }
            if close >= self.to {
                // Nothing later can overlap the range: stop walking dates.
                self.walk.done = true;
            }
            return Some((open.max(self.from), close.min(self.to)));
        }
    }
}

impl Iterator for WorkingIntervals<'_> {
    type Item = (Timestamp, Timestamp);

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        loop {
            let Some((open, close)) = self.next_clipped() else {
                self.finished = true;
                return self.pending.take();
            };
            match self.pending {
                Some((pending_open, pending_close)) if pending_close == open => {
                    self.pending = Some((pending_open, close));
                }
                Some(previous) => {
                    self.pending = Some((open, close));
                    return Some(previous);
                }
                None => self.pending = Some((open, close)),
            }
        }
    }
}

impl FusedIterator for WorkingIntervals<'_> {}

/// Why a [`DayWalk`] stopped yielding intervals.
enum WalkEnd {
    /// The last date (or jiff's last date) has been walked.
    Exhausted,
    /// Too many consecutive dates held no working time.
    Horizon { from: Date, days: u32 },
}

impl From<WalkEnd> for BusinessTimeError {
    fn from(end: WalkEnd) -> Self {
        match end {
            WalkEnd::Exhausted => BusinessTimeError::OutOfRange,
            WalkEnd::Horizon { from, days } => BusinessTimeError::NoWorkingTime { from, days },
        }
    }
}

/// Walks local dates forward and yields each working interval as instants.
///
/// Resolution is monotone in local time and the schedule's intervals are
/// sorted and disjoint, so the yielded intervals are in order and never
/// overlap; empty ones (inside a skipped stretch) are not yielded. Dates
/// without intervals cost a weekday lookup and a holiday search, nothing more.
#[derive(Debug, Clone)]
struct DayWalk<'a> {
    calendar: &'a CalendarDefinition,
    date: Date,
    day: &'a [WorkingInterval],
    index: usize,
    last_date: Date,
    horizon: Option<u32>,
    day_had_time: bool,
    idle_since: Date,
    idle_days: u32,
    done: bool,
}

impl<'a> DayWalk<'a> {
    /// Starts one local date before the instant's own local date, so that no
    /// interval containing the instant can be missed.
    fn around(
        calendar: &'a CalendarDefinition,
        instant: Timestamp,
        last_date: Date,
        horizon: Option<u32>,
    ) -> Self {
        let local = calendar.time_zone().to_datetime(instant).date();
        let date = local.yesterday().unwrap_or(local);
        Self {
            calendar,
            date,
            day: intervals_on(calendar, date),
            index: 0,
            last_date,
            horizon,
            day_had_time: false,
            idle_since: date,
            idle_days: 0,
            done: false,
        }
    }

    fn next_interval(&mut self) -> Result<(Timestamp, Timestamp), WalkEnd> {
        loop {
            if self.done {
                return Err(WalkEnd::Exhausted);
            }
            if let Some(interval) = self.day.get(self.index) {
                self.index += 1;
                let zone = self.calendar.time_zone();
                let open = local_instant(zone, self.date, interval.start.minutes());
                let close = local_instant(zone, self.date, interval.end.minutes());
                if open < close {
                    self.day_had_time = true;
                    return Ok((open, close));
                }
                continue;
            }
            self.advance()?;
        }
    }

    fn advance(&mut self) -> Result<(), WalkEnd> {
        if self.day_had_time {
            self.idle_days = 0;
        } else {
            if self.idle_days == 0 {
                self.idle_since = self.date;
            }
            self.idle_days = self.idle_days.saturating_add(1);
            if self
                .horizon
                .is_some_and(|horizon| self.idle_days >= horizon)
            {
                self.done = true;
                return Err(WalkEnd::Horizon {
                    from: self.idle_since,
                    days: self.idle_days,
                });
            }
        }
        let next = if self.date < self.last_date {
            self.date.tomorrow().ok()
        } else {
            None
        };
        let Some(next) = next else {
            self.done = true;
            return Err(WalkEnd::Exhausted);
        };
        self.date = next;
        self.day = intervals_on(self.calendar, next);
        self.index = 0;
        self.day_had_time = false;
        Ok(())
    }
}

/// The working intervals of a local date: none on a holiday.
fn intervals_on(calendar: &CalendarDefinition, date: Date) -> &[WorkingInterval] {
    let intervals = calendar.schedule().intervals(date.weekday());
    if intervals.is_empty() || calendar.is_holiday(date) {
        &[]
    } else {
        intervals
    }
}

/// The instant of `minute` (0..=1440) on the local `date`; 1440 is 00:00 of the
/// next date.
fn local_instant(zone: &TimeZone, date: Date, minute: u16) -> Timestamp {
    let datetime = if minute >= 24 * 60 {
        match date.tomorrow() {
            Ok(next) => next.at(0, 0, 0, 0),
            Err(_) => return Timestamp::MAX,
        }
    } else {
        // Both parts are in range (< 24 and < 60), so the casts are lossless.
        date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
    };
    resolve(zone, datetime)
}

/// Resolves a local datetime to an instant: unambiguous times as they are,
/// folded times to their earlier occurrence, skipped times forward to the
/// instant of the change that skipped them. Times beyond jiff's range clamp
/// to its ends, which keeps resolution monotone.
fn resolve(zone: &TimeZone, datetime: DateTime) -> Timestamp {
    let clamp = |result: Result<Timestamp, jiff::Error>| {
        result.unwrap_or(if datetime.year() < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
    };
    match zone.to_ambiguous_timestamp(datetime).offset() {
        AmbiguousOffset::Unambiguous { offset } => clamp(offset.to_timestamp(datetime)),
        AmbiguousOffset::Fold { before, .. } => clamp(before.to_timestamp(datetime)),
        AmbiguousOffset::Gap { before, after } => {
            // jiff's "compatible" choice (the offset before the gap) moves a
            // skipped time forward by the gap's length, which is not monotone:
            // 02:30 would land after 03:00. The change itself lies between the
            // two readings of the time; find it and use it.
            let late = clamp(before.to_timestamp(datetime));
            let early = clamp(after.to_timestamp(datetime));
            zone.following(early)
                .next()
                .map(|transition| transition.timestamp())
                .filter(|&change| early < change && change <= late)
                .unwrap_or(late)
        }
    }
}

/// The length of an average working day of the calendar: its working time
/// per week over the number of weekdays that have any. "3 business days"
/// on a calendar of 8-hour weekdays is 24 hours of business time; on a
/// round-the-clock calendar, 72 hours. `None` for a calendar with no
/// working time at all.
pub fn business_day_length(calendar: &CalendarDefinition) -> Option<SignedDuration> {
    let schedule = calendar.schedule();
    let working_days = [
        jiff::civil::Weekday::Monday,
        jiff::civil::Weekday::Tuesday,
        jiff::civil::Weekday::Wednesday,
        jiff::civil::Weekday::Thursday,
        jiff::civil::Weekday::Friday,
        jiff::civil::Weekday::Saturday,
        jiff::civil::Weekday::Sunday,
    ]
    .into_iter()
    .filter(|weekday| !schedule.intervals(*weekday).is_empty())
    .count();
    let per_week = i64::from(schedule.minutes_per_week());
    let working_days = i64::try_from(working_days).ok().filter(|days| *days > 0)?;
    Some(SignedDuration::from_secs(per_week * 60 / working_days)).filter(|length| !length.is_zero())
}

/// The instant `days` average working days of business time after `start`
/// (see [`business_day_length`]): when a hand-over left waiting that long
/// is worth a reminder.
pub fn add_business_days(
    calendar: &CalendarDefinition,
    start: Timestamp,
    days: u32,
) -> Result<Timestamp, BusinessTimeError> {
    let day = business_day_length(calendar).ok_or(BusinessTimeError::OutOfRange)?;
    add_business_time(
        calendar,
        start,
        day.saturating_mul(i32::try_from(days).unwrap_or(i32::MAX)),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::calendar::{HolidayInput, MinuteOfDay, WeeklySchedule};
    use jiff::civil::{Weekday, date};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    pub(crate) const MONDAY_TO_FRIDAY: [Weekday; 5] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];

    pub(crate) const EVERY_DAY: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    pub(crate) fn interval(start: &str, end: &str) -> WorkingInterval {
        WorkingInterval::parse(start, end).unwrap_or_else(|error| panic!("{start}-{end}: {error}"))
    }

    pub(crate) fn calendar_from(
        zone: &str,
        days: Vec<(Weekday, Vec<WorkingInterval>)>,
        holidays: &[String],
    ) -> CalendarDefinition {
        let schedule =
            WeeklySchedule::new(days).unwrap_or_else(|error| panic!("schedule: {error}"));
        let holidays = holidays
            .iter()
            .map(|day| HolidayInput {
                date: day.clone(),
                name: None,
            })
            .collect();
        CalendarDefinition::new(zone, schedule, holidays)
            .unwrap_or_else(|error| panic!("calendar: {error}"))
    }

    /// A calendar working the same intervals on each of `weekdays`.
    pub(crate) fn calendar(
        zone: &str,
        weekdays: &[Weekday],
        intervals: &[(&str, &str)],
        holidays: &[&str],
    ) -> CalendarDefinition {
        let day: Vec<WorkingInterval> = intervals
            .iter()
            .map(|(start, end)| interval(start, end))
            .collect();
        let holidays: Vec<String> = holidays.iter().map(|day| (*day).to_owned()).collect();
        calendar_from(
            zone,
            weekdays
                .iter()
                .map(|weekday| (*weekday, day.clone()))
                .collect(),
            &holidays,
        )
    }

    pub(crate) fn office(zone: &str) -> CalendarDefinition {
        calendar(zone, &MONDAY_TO_FRIDAY, &[("09:00", "17:00")], &[])
    }

    /// An instant given as an RFC 3339 timestamp with an explicit offset.
    pub(crate) fn at(text: &str) -> Timestamp {
        text.parse()
            .unwrap_or_else(|error| panic!("timestamp {text}: {error}"))
    }

    /// An unambiguous local time in `zone`.
    pub(crate) fn local(zone: &str, day: Date, hour: i8, minute: i8) -> Timestamp {
        day.at(hour, minute, 0, 0)
            .in_tz(zone)
            .unwrap_or_else(|error| panic!("{day} {hour}:{minute} in {zone}: {error}"))
            .timestamp()
    }

    #[test]
    fn three_business_days_of_an_office_are_three_working_days_later() {
        let office = office("Europe/Berlin");
        assert_eq!(business_day_length(&office), Some(hours(8)));
        // Thursday 10:00 + 3 business days of 8 hours: Tuesday 10:00.
        let thursday = local("Europe/Berlin", date(2026, 3, 5), 10, 0);
        assert_eq!(
            add_business_days(&office, thursday, 3),
            Ok(local("Europe/Berlin", date(2026, 3, 10), 10, 0))
        );
        let always = calendar("UTC", &EVERY_DAY, &[("00:00", "24:00")], &[]);
        assert_eq!(business_day_length(&always), Some(hours(24)));
        // A calendar must have working time, so a day always has a length.
    }

    pub(crate) fn hours(hours: i64) -> SignedDuration {
        SignedDuration::from_hours(hours)
    }

    fn mins(minutes: i64) -> SignedDuration {
        SignedDuration::from_mins(minutes)
    }

    fn add(calendar: &CalendarDefinition, start: Timestamp, amount: SignedDuration) -> Timestamp {
        add_business_time(calendar, start, amount)
            .unwrap_or_else(|error| panic!("adding {amount} to {start}: {error}"))
    }

    #[test]
    fn test_dates_fall_on_the_expected_weekdays() {
        assert_eq!(date(2026, 3, 2).weekday(), Weekday::Monday);
        assert_eq!(date(2026, 3, 6).weekday(), Weekday::Friday);
        assert_eq!(date(2026, 3, 7).weekday(), Weekday::Saturday);
        for sunday in [
            date(2026, 3, 29),
            date(2026, 10, 25),
            date(2026, 3, 8),
            date(2026, 11, 1),
            date(2026, 4, 5),
            date(2026, 10, 4),
        ] {
            assert_eq!(sunday.weekday(), Weekday::Sunday, "{sunday}");
        }
    }

    #[test]
    fn a_full_day_from_opening_ends_at_closing_not_the_next_morning() {
        let berlin = office("Europe/Berlin");
        let monday = date(2026, 3, 2);
        let due = add(&berlin, local("Europe/Berlin", monday, 9, 0), hours(8));
        assert_eq!(due, local("Europe/Berlin", monday, 17, 0));
        assert_eq!(
            add_business_minutes(&berlin, local("Europe/Berlin", monday, 9, 0), 480),
            Ok(local("Europe/Berlin", monday, 17, 0))
        );
    }

    #[test]
    fn a_request_opened_at_three_in_the_morning_starts_at_the_opening() {
        let new_york = office("America/New_York");
        let monday = date(2026, 3, 2);
        let opened = local("America/New_York", monday, 3, 0);
        assert_eq!(
            add(&new_york, opened, hours(1)),
            local("America/New_York", monday, 10, 0)
        );
        assert_eq!(
            business_time_between(&new_york, opened, local("America/New_York", monday, 9, 0)),
            SignedDuration::ZERO
        );
    }

    #[test]
    fn a_target_of_a_working_week_spans_the_week_and_not_a_minute_more() {
        let berlin = office("Europe/Berlin");
        let monday = local("Europe/Berlin", date(2026, 3, 2), 9, 0);
        assert_eq!(
            add_business_minutes(&berlin, monday, 5 * 480),
            Ok(local("Europe/Berlin", date(2026, 3, 6), 17, 0))
        );
        assert_eq!(
            add_business_minutes(&berlin, monday, 5 * 480 + 1),
            Ok(local("Europe/Berlin", date(2026, 3, 9), 9, 1))
        );
    }

    #[test]
    fn friday_afternoon_carries_over_the_weekend() {
        let berlin = office("Europe/Berlin");
        let friday = local("Europe/Berlin", date(2026, 3, 6), 16, 0);
        let monday = local("Europe/Berlin", date(2026, 3, 9), 10, 0);
        assert_eq!(add(&berlin, friday, hours(2)), monday);
        assert_eq!(business_time_between(&berlin, friday, monday), hours(2));
    }

    #[test]
    fn a_start_outside_working_time_counts_from_the_next_opening() {
        let berlin = office("Europe/Berlin");
        let saturday = local("Europe/Berlin", date(2026, 3, 7), 11, 0);
        let monday = date(2026, 3, 9);
        assert_eq!(
            add(&berlin, saturday, mins(1)),
            local("Europe/Berlin", monday, 9, 1)
        );
        assert_eq!(
            add(&berlin, saturday, hours(3)),
            local("Europe/Berlin", monday, 12, 0)
        );
        assert_eq!(
            next_business_instant(&berlin, saturday),
            Ok(local("Europe/Berlin", monday, 9, 0))
        );
        assert_eq!(
            business_minutes_between(&berlin, saturday, local("Europe/Berlin", monday, 9, 30)),
            30
        );
        // Before opening on a working day, too.
        assert_eq!(
            add(&berlin, local("Europe/Berlin", monday, 6, 0), hours(1)),
            local("Europe/Berlin", monday, 10, 0)
        );
    }

    #[test]
    fn the_lunch_break_is_skipped() {
        let berlin = calendar(
            "Europe/Berlin",
            &MONDAY_TO_FRIDAY,
            &[("09:00", "12:30"), ("13:30", "17:30")],
            &[],
        );
        let tuesday = date(2026, 3, 3);
        let eleven_thirty = local("Europe/Berlin", tuesday, 11, 30);
        assert_eq!(
            add(&berlin, eleven_thirty, hours(2)),
            local("Europe/Berlin", tuesday, 14, 30)
        );
        // Exactly the morning's remainder ends at the break, not after it.
        assert_eq!(
            add(&berlin, eleven_thirty, hours(1)),
            local("Europe/Berlin", tuesday, 12, 30)
        );
        assert_eq!(
            business_time_between(
                &berlin,
                local("Europe/Berlin", tuesday, 0, 0),
                local("Europe/Berlin", date(2026, 3, 4), 0, 0)
            ),
            mins(7 * 60 + 30)
        );
        // Seven and a half hours from the opening fill the day exactly.
        assert_eq!(
            add(&berlin, local("Europe/Berlin", tuesday, 9, 0), mins(450)),
            local("Europe/Berlin", tuesday, 17, 30)
        );
    }

    #[test]
    fn holidays_hold_no_working_time() {
        let berlin = calendar(
            "Europe/Berlin",
            &MONDAY_TO_FRIDAY,
            &[("09:00", "17:00")],
            &["2026-03-09"],
        );
        let friday = local("Europe/Berlin", date(2026, 3, 6), 16, 0);
        let tuesday = local("Europe/Berlin", date(2026, 3, 10), 10, 0);
        assert_eq!(add(&berlin, friday, hours(2)), tuesday);
        assert_eq!(business_time_between(&berlin, friday, tuesday), hours(2));
        let holiday_noon = local("Europe/Berlin", date(2026, 3, 9), 12, 0);
        assert!(!is_business_time(&berlin, holiday_noon));
    }

    #[test]
    fn berlin_spring_forward_day_holds_23_hours() {
        let sundays = calendar(
            "Europe/Berlin",
            &[Weekday::Sunday],
            &[("00:00", "24:00")],
            &[],
        );
        let saturday = local("Europe/Berlin", date(2026, 3, 28), 12, 0);
        let monday = local("Europe/Berlin", date(2026, 3, 30), 12, 0);
        assert_eq!(business_time_between(&sundays, saturday, monday), hours(23));
        // Counted from Sunday's start, 23 hours end at Monday's local midnight.
        assert_eq!(
            add(&sundays, saturday, hours(23)),
            local("Europe/Berlin", date(2026, 3, 30), 0, 0)
        );
        // The hour is lost at 02:00: two hours from midnight reach 03:00.
        assert_eq!(
            add(&sundays, saturday, hours(2)),
            at("2026-03-29T03:00:00+02:00")
        );
        let ordinary = business_time_between(
            &sundays,
            local("Europe/Berlin", date(2026, 3, 21), 12, 0),
            local("Europe/Berlin", date(2026, 3, 23), 12, 0),
        );
        assert_eq!(ordinary, hours(24));
    }

    #[test]
    fn intervals_inside_the_skipped_hour_hold_nothing() {
        let saturday = local("Europe/Berlin", date(2026, 3, 28), 12, 0);
        let monday = local("Europe/Berlin", date(2026, 3, 30), 12, 0);
        for (start, end) in [("02:00", "03:00"), ("02:15", "02:45"), ("02:59", "03:00")] {
            let sundays = calendar("Europe/Berlin", &[Weekday::Sunday], &[(start, end)], &[]);
            assert_eq!(
                business_time_between(&sundays, saturday, monday),
                SignedDuration::ZERO,
                "{start}-{end}"
            );
        }
        // The same interval on an ordinary Sunday holds its full hour.
        let sundays = calendar(
            "Europe/Berlin",
            &[Weekday::Sunday],
            &[("02:00", "03:00")],
            &[],
        );
        assert_eq!(
            business_time_between(
                &sundays,
                local("Europe/Berlin", date(2026, 3, 21), 12, 0),
                local("Europe/Berlin", date(2026, 3, 23), 12, 0)
            ),
            hours(1)
        );
        // Adding across that Sunday simply finds the following one.
        assert_eq!(
            add(&sundays, saturday, mins(30)),
            at("2026-04-05T02:30:00+02:00")
        );
    }

    #[test]
    fn intervals_straddling_the_skipped_hour_neither_overlap_nor_invert() {
        let saturday = local("Europe/Berlin", date(2026, 3, 28), 12, 0);
        let monday = local("Europe/Berlin", date(2026, 3, 30), 12, 0);
        // 01:00 CET to 04:00 CEST is two real hours, however the day is cut.
        let sundays = calendar(
            "Europe/Berlin",
            &[Weekday::Sunday],
            &[("01:00", "02:30"), ("03:00", "04:00")],
            &[],
        );
        assert_eq!(business_time_between(&sundays, saturday, monday), hours(2));
        let merged: Vec<_> = working_intervals(&sundays, saturday, monday).collect();
        assert_eq!(
            merged,
            [(at("2026-03-29T00:00:00Z"), at("2026-03-29T02:00:00Z"))]
        );
        // An interval starting inside the gap starts at the change (03:00).
        let sundays = calendar(
            "Europe/Berlin",
            &[Weekday::Sunday],
            &[("02:30", "03:30")],
            &[],
        );
        assert_eq!(business_time_between(&sundays, saturday, monday), mins(30));
        assert_eq!(
            next_business_instant(&sundays, saturday),
            Ok(at("2026-03-29T03:00:00+02:00"))
        );
    }

    #[test]
    fn berlin_fall_back_day_holds_25_hours() {
        let sundays = calendar(
            "Europe/Berlin",
            &[Weekday::Sunday],
            &[("00:00", "24:00")],
            &[],
        );
        let saturday = local("Europe/Berlin", date(2026, 10, 24), 12, 0);
        let monday = local("Europe/Berlin", date(2026, 10, 26), 12, 0);
        assert_eq!(business_time_between(&sundays, saturday, monday), hours(25));
        // Both passes through 02:00–03:00 count, in real order.
        assert_eq!(
            add(&sundays, saturday, mins(150)),
            at("2026-10-25T02:30:00+02:00")
        );
        assert_eq!(
            add(&sundays, saturday, mins(210)),
            at("2026-10-25T02:30:00+01:00")
        );
        assert_eq!(
            add(&sundays, saturday, hours(25)),
            local("Europe/Berlin", date(2026, 10, 26), 0, 0)
        );
        // An interval starting in the repeated hour starts at its first pass.
        let sundays = calendar(
            "Europe/Berlin",
            &[Weekday::Sunday],
            &[("02:00", "03:00")],
            &[],
        );
        assert_eq!(business_time_between(&sundays, saturday, monday), hours(2));
    }

    #[test]
    fn new_york_changes_in_both_directions() {
        let sundays = calendar(
            "America/New_York",
            &[Weekday::Sunday],
            &[("01:00", "04:00")],
            &[],
        );
        let sunday_total = |day: Date| {
            let saturday = day.yesterday().unwrap_or(day);
            business_time_between(
                &sundays,
                local("America/New_York", saturday, 12, 0),
                local("America/New_York", saturday, 12, 0) + hours(48),
            )
        };
        assert_eq!(sunday_total(date(2026, 3, 1)), hours(3));
        assert_eq!(sunday_total(date(2026, 3, 8)), hours(2));
        assert_eq!(sunday_total(date(2026, 11, 1)), hours(4));
        // In spring 01:00 EST plus one hour is 03:00 EDT.
        let spring = local("America/New_York", date(2026, 3, 8), 1, 0);
        assert_eq!(
            add(&sundays, spring, hours(1)),
            at("2026-03-08T03:00:00-04:00")
        );
        // In autumn, 01:00 resolves to EDT; one hour later it is 01:00 EST.
        let autumn_start = at("2026-11-01T01:00:00-04:00");
        let saturday = local("America/New_York", date(2026, 10, 31), 12, 0);
        assert_eq!(
            add(&sundays, saturday, hours(1)),
            at("2026-11-01T01:00:00-05:00")
        );
        assert_eq!(
            add(&sundays, saturday, hours(4)),
            at("2026-11-01T04:00:00-05:00")
        );
        assert_eq!(
            next_business_instant(
                &sundays,
                local("America/New_York", date(2026, 10, 31), 12, 0)
            ),
            Ok(autumn_start)
        );
        // A Monday-to-Friday office is untouched by weekend changes.
        let office = office("America/New_York");
        let friday = local("America/New_York", date(2026, 3, 6), 16, 0);
        assert_eq!(
            add(&office, friday, hours(2)),
            local("America/New_York", date(2026, 3, 9), 10, 0)
        );
    }

    #[test]
    fn lord_howe_changes_by_half_an_hour() {
        let sundays = calendar(
            "Australia/Lord_Howe",
            &[Weekday::Sunday],
            &[("00:00", "24:00")],
            &[],
        );
        let total = |sunday: Date| {
            business_time_between(
                &sundays,
                local("Australia/Lord_Howe", sunday, 0, 0) - hours(1),
                local("Australia/Lord_Howe", sunday, 0, 0) + hours(30),
            )
        };
        assert_eq!(total(date(2026, 4, 5)), mins(24 * 60 + 30));
        assert_eq!(total(date(2026, 10, 4)), mins(23 * 60 + 30));
        assert_eq!(total(date(2026, 10, 11)), hours(24));
    }

    #[test]
    fn an_overnight_shift_runs_through_midnight() {
        let nights = calendar(
            "Europe/Berlin",
            &EVERY_DAY,
            &[("00:00", "06:00"), ("22:00", "24:00")],
            &[],
        );
        let monday = date(2026, 3, 2);
        let tuesday = date(2026, 3, 3);
        assert_eq!(
            add(&nights, local("Europe/Berlin", monday, 23, 0), hours(3)),
            local("Europe/Berlin", tuesday, 2, 0)
        );
        // Exactly up to midnight ends at midnight.
        assert_eq!(
            add(&nights, local("Europe/Berlin", monday, 22, 0), hours(2)),
            local("Europe/Berlin", tuesday, 0, 0)
        );
        assert_eq!(
            business_time_between(
                &nights,
                local("Europe/Berlin", monday, 12, 0),
                local("Europe/Berlin", tuesday, 12, 0)
            ),
            hours(8)
        );
        let shifts: Vec<_> = working_intervals(
            &nights,
            local("Europe/Berlin", monday, 12, 0),
            local("Europe/Berlin", tuesday, 12, 0),
        )
        .collect();
        assert_eq!(
            shifts,
            [(
                local("Europe/Berlin", monday, 22, 0),
                local("Europe/Berlin", tuesday, 6, 0)
            )]
        );
        assert!(is_business_time(
            &nights,
            local("Europe/Berlin", tuesday, 0, 0)
        ));
        assert!(!is_business_time(
            &nights,
            local("Europe/Berlin", tuesday, 6, 0)
        ));
    }

    #[test]
    fn a_holiday_after_a_shift_ending_at_midnight_keeps_the_shift() {
        let nights = calendar(
            "Europe/Berlin",
            &EVERY_DAY,
            &[("22:00", "24:00")],
            &["2026-03-03"],
        );
        let monday = date(2026, 3, 2);
        assert_eq!(
            business_time_between(
                &nights,
                local("Europe/Berlin", monday, 0, 0),
                local("Europe/Berlin", date(2026, 3, 4), 0, 0)
            ),
            hours(2)
        );
    }

    #[test]
    fn zero_returns_the_start_unchanged() {
        let berlin = office("Europe/Berlin");
        for start in [
            local("Europe/Berlin", date(2026, 3, 7), 11, 0),
            local("Europe/Berlin", date(2026, 3, 2), 10, 0),
            at("2026-03-02T10:00:00.123456789Z"),
        ] {
            assert_eq!(
                add_business_time(&berlin, start, SignedDuration::ZERO),
                Ok(start)
            );
            assert_eq!(add_business_minutes(&berlin, start, 0), Ok(start));
        }
    }

    #[test]
    fn negative_amounts_are_rejected() {
        let berlin = office("Europe/Berlin");
        let start = local("Europe/Berlin", date(2026, 3, 2), 10, 0);
        assert_eq!(
            add_business_time(&berlin, start, SignedDuration::from_nanos(-1)),
            Err(BusinessTimeError::NegativeAmount {
                amount: SignedDuration::from_nanos(-1)
            })
        );
        assert_eq!(
            add_business_minutes(&berlin, start, -5),
            Err(BusinessTimeError::NegativeAmount { amount: mins(-5) })
        );
        assert!(matches!(
            add_business_minutes(&berlin, start, i64::MIN),
            Err(BusinessTimeError::NegativeAmount { .. })
        ));
    }

    #[test]
    fn a_calendar_of_nothing_but_holidays_gives_up() {
        // Every Monday for 21 years is a holiday, and Monday is the only
        // working day: the search must stop at its horizon, not hang.
        let mut mondays = Vec::new();
        let mut monday = date(2026, 1, 5);
        while monday.year() < 2047 {
            mondays.push(monday.to_string());
            monday = monday
                .checked_add(jiff::Span::new().weeks(1))
                .unwrap_or_else(|error| panic!("{error}"));
        }
        let calendar = calendar_from(
            "Europe/Berlin",
            vec![(Weekday::Monday, vec![interval("09:00", "17:00")])],
            &mondays,
        );
        let start = local("Europe/Berlin", date(2026, 1, 1), 12, 0);
        let result = add_business_time(&calendar, start, mins(1));
        assert!(
            matches!(
                result,
                Err(BusinessTimeError::NoWorkingTime { days, .. }) if days == SEARCH_HORIZON_DAYS
            ),
            "{result:?}"
        );
        assert!(next_business_instant(&calendar, start).is_err());
        // Counting over that stretch is simply zero.
        assert_eq!(
            business_time_between(&calendar, start, start + hours(24 * 365)),
            SignedDuration::ZERO
        );
    }

    #[test]
    fn a_search_through_a_sparse_calendar_stops_after_a_hundred_years() {
        // One working minute a week: a year of business minutes would take
        // ten thousand years to walk.
        let sparse = calendar_from(
            "Europe/Berlin",
            vec![(Weekday::Monday, vec![interval("09:00", "09:01")])],
            &[],
        );
        let start = local("Europe/Berlin", date(2026, 1, 1), 12, 0);
        assert_eq!(
            add_business_minutes(&sparse, start, 366 * 24 * 60),
            Err(BusinessTimeError::BeyondWalkLimit {
                years: WALK_LIMIT_YEARS
            })
        );
        // Just inside the limit still answers: 99 years of Mondays.
        let inside = add_business_minutes(&sparse, start, 99 * 52);
        assert!(inside.is_ok(), "{inside:?}");
    }

    #[test]
    fn results_beyond_jiffs_range_are_errors() {
        let berlin = office("Europe/Berlin");
        let start = local("Europe/Berlin", date(2026, 3, 2), 10, 0);
        assert_eq!(
            add_business_minutes(&berlin, start, i64::MAX),
            Err(BusinessTimeError::OutOfRange)
        );
        assert_eq!(
            add_business_time(&berlin, Timestamp::MAX - hours(1), hours(2)),
            Err(BusinessTimeError::OutOfRange)
        );
        assert_eq!(
            add_business_time(&berlin, Timestamp::MAX - hours(24 * 30), hours(24 * 20)),
            Err(BusinessTimeError::OutOfRange)
        );
        // Counting near the ends of the range still works.
        let always = calendar("UTC", &EVERY_DAY, &[("00:00", "24:00")], &[]);
        assert_eq!(
            business_time_between(&always, Timestamp::MAX - hours(5), Timestamp::MAX),
            hours(5)
        );
        assert_eq!(
            business_time_between(&always, Timestamp::MIN, Timestamp::MIN + hours(5)),
            hours(5)
        );
        assert_eq!(
            add_business_time(&always, Timestamp::MAX - hours(5), hours(5)),
            Ok(Timestamp::MAX)
        );
    }

    #[test]
    fn between_is_zero_when_the_range_is_empty_or_reversed() {
        let berlin = office("Europe/Berlin");
        let a = local("Europe/Berlin", date(2026, 3, 2), 10, 0);
        let b = local("Europe/Berlin", date(2026, 3, 2), 11, 0);
        assert_eq!(business_time_between(&berlin, a, a), SignedDuration::ZERO);
        assert_eq!(business_time_between(&berlin, b, a), SignedDuration::ZERO);
        assert_eq!(working_intervals(&berlin, b, a).count(), 0);
        assert_eq!(business_time_between(&berlin, a, b), hours(1));
    }

    #[test]
    fn between_is_exact_and_minutes_round_down() {
        let berlin = office("Europe/Berlin");
        let a = at("2026-03-02T09:00:00.5+01:00");
        let b = at("2026-03-02T09:01:00.25+01:00");
        assert_eq!(
            business_time_between(&berlin, a, b),
            SignedDuration::from_millis(59_750)
        );
        assert_eq!(business_minutes_between(&berlin, a, b), 0);
        assert_eq!(add(&berlin, a, SignedDuration::from_millis(59_750)), b);
        assert_eq!(
            business_minutes_between(&berlin, a, at("2026-03-03T09:01:00.25+01:00")),
            8 * 60
        );
    }

    #[test]
    fn working_intervals_are_clipped_and_ordered() {
        let berlin = calendar(
            "Europe/Berlin",
            &MONDAY_TO_FRIDAY,
            &[("09:00", "12:30"), ("13:30", "17:30")],
            &[],
        );
        let monday = date(2026, 3, 2);
        let tuesday = date(2026, 3, 3);
        let intervals: Vec<_> = working_intervals(
            &berlin,
            local("Europe/Berlin", monday, 10, 0),
            local("Europe/Berlin", tuesday, 10, 0),
        )
        .collect();
        assert_eq!(
            intervals,
            [
                (
                    local("Europe/Berlin", monday, 10, 0),
                    local("Europe/Berlin", monday, 12, 30)
                ),
                (
                    local("Europe/Berlin", monday, 13, 30),
                    local("Europe/Berlin", monday, 17, 30)
                ),
                (
                    local("Europe/Berlin", tuesday, 9, 0),
                    local("Europe/Berlin", tuesday, 10, 0)
                ),
            ]
        );
    }

    #[test]
    fn a_hundred_thousand_minutes_round_trip() {
        let berlin = calendar(
            "Europe/Berlin",
            &MONDAY_TO_FRIDAY,
            &[("09:00", "12:30"), ("13:30", "17:30")],
            &["2026-12-25", "2027-01-01"],
        );
        let start = local("Europe/Berlin", date(2026, 3, 2), 10, 0);
        let due =
            add_business_minutes(&berlin, start, 100_000).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(business_minutes_between(&berlin, start, due), 100_000);
        assert_eq!(business_time_between(&berlin, start, due), mins(100_000));
    }

    // ----- property tests -------------------------------------------------

    const ZONES: [&str; 5] = [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
    ];

    /// 2025-01-01T00:00:00Z and 2029-01-01T00:00:00Z.
    const RANGE_START: i64 = 1_735_689_600;
    const RANGE_END: i64 = 1_861_920_000;

    /// Interval boundaries biased towards the hours that clocks skip or repeat.
    fn arb_minute() -> impl Strategy<Value = u16> {
        prop_oneof![
            2 => 0u16..=1440,
            1 => prop::sample::select(vec![0u16, 60, 90, 120, 150, 180, 240, 1380, 1440]),
        ]
    }

    pub(crate) fn arb_calendar() -> impl Strategy<Value = CalendarDefinition> {
        (
            prop::sample::select(ZONES.to_vec()),
            prop::collection::vec(prop::collection::vec((arb_minute(), arb_minute()), 0..4), 7),
            prop::collection::vec(0i64..(4 * 366), 0..40),
        )
            .prop_map(|(zone, raw_days, holiday_offsets)| {
                let mut days = Vec::new();
                for (weekday, raw) in EVERY_DAY.iter().zip(raw_days) {
                    let mut pairs: Vec<(u16, u16)> = raw
                        .into_iter()
                        .map(|(a, b)| (a.min(b), a.max(b)))
                        .filter(|(a, b)| a < b)
                        .collect();
                    pairs.sort_unstable();
                    let mut kept: Vec<WorkingInterval> = Vec::new();
                    for (start, end) in pairs {
                        if kept.last().is_some_and(|last| last.end.minutes() > start) {
                            continue;
                        }
                        let (Some(start), Some(end)) =
                            (MinuteOfDay::new(start), MinuteOfDay::new(end))
                        else {
                            continue;
                        };
                        if let Ok(interval) = WorkingInterval::new(start, end) {
                            kept.push(interval);
                        }
                    }
                    days.push((*weekday, kept));
                }
                if days.iter().all(|(_, intervals)| intervals.is_empty()) {
                    days[2].1.push(interval("09:00", "17:00"));
                }
                let base = date(2025, 1, 1);
                let holidays: BTreeSet<String> = holiday_offsets
                    .into_iter()
                    .filter_map(|offset| base.checked_add(jiff::Span::new().days(offset)).ok())
                    .map(|day| day.to_string())
                    .collect();
                let holidays: Vec<String> = holidays.into_iter().collect();
                calendar_from(zone, days, &holidays)
            })
    }

    pub(crate) fn arb_instant() -> impl Strategy<Value = Timestamp> {
        prop_oneof![
            // Whole minutes, where boundaries are hit exactly ...
            3 => (RANGE_START / 60..RANGE_END / 60).prop_map(|minute| minute * 60),
            // ... and arbitrary nanoseconds.
            1 => RANGE_START..RANGE_END,
        ]
        .prop_flat_map(|second| {
            (
                Just(second),
                prop_oneof![3 => Just(0i32), 1 => 0i32..1_000_000_000],
            )
        })
        .prop_map(|(second, nanos)| {
            Timestamp::new(second, nanos).unwrap_or_else(|error| panic!("{error}"))
        })
    }

    fn arb_amount() -> impl Strategy<Value = SignedDuration> {
        prop_oneof![
            3 => (1i64..=50_000).prop_map(SignedDuration::from_mins),
            1 => (0i64..=3_000_000, 0i32..1_000_000_000)
                .prop_map(|(secs, nanos)| SignedDuration::new(secs, nanos)),
        ]
    }

    fn try_add(
        calendar: &CalendarDefinition,
        start: Timestamp,
        amount: SignedDuration,
    ) -> Result<Timestamp, TestCaseError> {
        add_business_time(calendar, start, amount)
            .map_err(|error| TestCaseError::fail(format!("adding {amount} to {start}: {error}")))
    }

    /// Minute-by-minute reference count: a minute is working time when its
    /// local date is not a holiday and its local minute of the day lies in
    /// one of that weekday's intervals. Not valid across a fold, where one
    /// local time names two minutes.
    fn reference_minutes(calendar: &CalendarDefinition, from: Timestamp, to: Timestamp) -> i64 {
        let zone = calendar.time_zone();
        let mut count = 0;
        let mut minute = from;
        while minute < to {
            let local = zone.to_datetime(minute);
            let of_day = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute()))
                .unwrap_or(0);
            let working = !calendar.is_holiday(local.date())
                && calendar
                    .schedule()
                    .intervals(local.weekday())
                    .iter()
                    .any(|interval| {
                        interval.start.minutes() <= of_day && of_day < interval.end.minutes()
                    });
            if working {
                count += 1;
            }
            minute += mins(1);
        }
        count
    }

    /// Whether local time runs backwards anywhere in `[from, to]`.
    fn crosses_a_fold(zone: &TimeZone, from: Timestamp, to: Timestamp) -> bool {
        let second = SignedDuration::from_secs(1);
        zone.following(from - second)
            .take_while(|transition| transition.timestamp() <= to)
            .any(|transition| transition.offset() < zone.to_offset(transition.timestamp() - second))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn adding_then_measuring_gives_the_amount_back(
            calendar in arb_calendar(),
            start in arb_instant(),
            amount in arb_amount(),
        ) {
            prop_assume!(!amount.is_zero());
            let due = try_add(&calendar, start, amount)?;
            prop_assert!(due >= start + amount);
            prop_assert_eq!(business_time_between(&calendar, start, due), amount);
        }

        #[test]
        fn adding_in_two_steps_is_adding_the_sum(
            calendar in arb_calendar(),
            start in arb_instant(),
            first in arb_amount(),
            second in arb_amount(),
        ) {
            prop_assume!(!first.is_zero() && !second.is_zero());
            let stepwise = try_add(&calendar, try_add(&calendar, start, first)?, second)?;
            prop_assert_eq!(stepwise, try_add(&calendar, start, first + second)?);
        }

        #[test]
        fn a_due_instant_closes_working_time(
            calendar in arb_calendar(),
            start in arb_instant(),
            amount in arb_amount(),
        ) {
            prop_assume!(!amount.is_zero());
            let due = try_add(&calendar, start, amount)?;
            // The earliest instant with the amount elapsed ends a stretch of working time.
            prop_assert!(is_business_time(&calendar, due - SignedDuration::from_nanos(1)));
        }

        #[test]
        fn more_time_is_never_due_earlier(
            calendar in arb_calendar(),
            start in arb_instant(),
            first in arb_amount(),
            second in arb_amount(),
        ) {
            let (small, large) = if first <= second { (first, second) } else { (second, first) };
            prop_assert!(try_add(&calendar, start, small)? <= try_add(&calendar, start, large)?);
        }

        #[test]
        fn business_time_is_additive(
            calendar in arb_calendar(),
            mut instants in prop::collection::vec(arb_instant(), 3),
        ) {
            instants.sort();
            let (a, b, c) = (instants[0], instants[1], instants[2]);
            prop_assert_eq!(
                business_time_between(&calendar, a, b) + business_time_between(&calendar, b, c),
                business_time_between(&calendar, a, c)
            );
        }

        #[test]
        fn the_due_instant_is_the_earliest_possible(
            calendar in arb_calendar(),
            start in arb_instant(),
            amount in arb_amount(),
        ) {
            prop_assume!(!amount.is_zero());
            let due = try_add(&calendar, start, amount)?;
            let just_before = due - SignedDuration::from_secs(1);
            if just_before >= start {
                prop_assert!(business_time_between(&calendar, start, just_before) < amount);
            }
            let a_hair_before = due - SignedDuration::from_nanos(1);
            if a_hair_before >= start {
                prop_assert!(business_time_between(&calendar, start, a_hair_before) < amount);
            }
        }

        #[test]
        fn business_time_never_exceeds_real_time(
            calendar in arb_calendar(),
            a in arb_instant(),
            b in arb_instant(),
        ) {
            let elapsed = business_time_between(&calendar, a, b);
            prop_assert!(elapsed >= SignedDuration::ZERO);
            prop_assert!(elapsed <= b.duration_since(a).max(SignedDuration::ZERO));
        }

        #[test]
        fn working_intervals_are_ordered_disjoint_and_clipped(
            calendar in arb_calendar(),
            a in arb_instant(),
            span_hours in 0i64..(24 * 40),
        ) {
            let b = a + hours(span_hours);
            let intervals: Vec<_> = working_intervals(&calendar, a, b).collect();
            for (open, close) in &intervals {
                prop_assert!(a <= *open && open < close && *close <= b);
                prop_assert!(is_business_time(&calendar, *open));
            }
            for pair in intervals.windows(2) {
                // Strictly apart: touching intervals are merged.
                prop_assert!(pair[0].1 < pair[1].0);
                prop_assert!(!is_business_time(&calendar, pair[0].1));
            }
        }

        #[test]
        fn matches_a_minute_by_minute_count_away_from_folds(
            calendar in arb_calendar(),
            anchor in prop_oneof![
                arb_instant(),
                // Spring-forward nights in the zones under test.
                prop::sample::select(vec![
                    "2026-03-29T00:00:00Z",
                    "2026-03-08T06:00:00Z",
                    "2026-10-03T15:00:00Z",
                    "2027-03-28T00:00:00Z",
                ])
                .prop_map(at),
            ],
            lead_minutes in 0i64..(36 * 60),
            span_minutes in 0i64..(3 * 24 * 60),
        ) {
            let start_second = (anchor.as_second() / 60 - lead_minutes) * 60;
            let from = Timestamp::from_second(start_second)
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            let to = from + mins(span_minutes);
            prop_assume!(!crosses_a_fold(calendar.time_zone(), from, to));
            let expected = reference_minutes(&calendar, from, to);
            prop_assert_eq!(business_time_between(&calendar, from, to), mins(expected));
        }
    }
}
