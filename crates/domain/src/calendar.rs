//! Business calendars: a time zone, weekly working intervals and holidays.
//!
//! Every service-level clock runs on the provider department's calendar, so a
//! calendar must be unambiguous before it is stored: a real IANA zone, intervals
//! that are well-formed, sorted and never overlap, and holidays without
//! duplicates. This module holds that definition and its validation; the
//! business-time arithmetic that reads it lives beside it.

use crate::ValidationErrors;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use std::fmt;

/// Minutes since local midnight, `0..=1440` (24:00 is the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinuteOfDay(u16);

impl MinuteOfDay {
    pub const END_OF_DAY: MinuteOfDay = MinuteOfDay(24 * 60);

    pub fn new(minutes: u16) -> Option<Self> {
        (minutes <= 24 * 60).then_some(Self(minutes))
    }

    /// Parses `HH:MM` on a 24-hour clock; `24:00` means the end of the day.
    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let wrong =
            || ValidationErrors::single("", "must be a time of day as HH:MM (00:00 to 24:00)");
        let (hours, minutes) = input.trim().split_once(':').ok_or_else(wrong)?;
        if hours.len() != 2 || minutes.len() != 2 {
            return Err(wrong());
        }
        let hours: u16 = hours.parse().map_err(|_| wrong())?;
        let minutes: u16 = minutes.parse().map_err(|_| wrong())?;
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(wrong());
        }
        Ok(Self(hours * 60 + minutes))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for MinuteOfDay {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One working interval of a day, `start < end`, in local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingInterval {
    pub start: MinuteOfDay,
    pub end: MinuteOfDay,
}

impl WorkingInterval {
    pub fn new(start: MinuteOfDay, end: MinuteOfDay) -> Result<Self, ValidationErrors> {
        if start >= end {
            return Err(ValidationErrors::single("end", "must be later than start"));
        }
        Ok(Self { start, end })
    }

    pub fn parse(start: &str, end: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let start = errors.check("start", MinuteOfDay::parse(start));
        let end = errors.check("end", MinuteOfDay::parse(end));
        match (start, end) {
            (Some(start), Some(end)) if errors.is_empty() => Self::new(start, end),
            _ => Err(errors),
        }
    }
}

/// Weekdays in calendar order, Monday first, with the names the API uses.
pub const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
    (Weekday::Sunday, "sunday"),
];

pub fn weekday_name(weekday: Weekday) -> &'static str {
    WEEKDAYS[usize::from(weekday.to_monday_zero_offset().unsigned_abs())].1
}

pub fn parse_weekday(name: &str) -> Option<Weekday> {
    let wanted = name.trim().to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .find(|(_, day_name)| *day_name == wanted)
        .map(|(day, _)| *day)
}

/// The working intervals of each weekday: sorted, never overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklySchedule {
    days: [Vec<WorkingInterval>; 7],
}

impl WeeklySchedule {
    /// Builds a schedule, rejecting overlapping intervals within a day.
    /// Intervals may be given in any order; adjacent ones (12:00–13:00,
    /// 13:00–14:00) are allowed and simply follow each other.
    pub fn new(
        days: impl IntoIterator<Item = (Weekday, Vec<WorkingInterval>)>,
    ) -> Result<Self, ValidationErrors> {
        let mut schedule = Self::default();
        let mut errors = ValidationErrors::new();
        for (weekday, mut intervals) in days {
            intervals.sort();
            for pair in intervals.windows(2) {
                if pair[1].start < pair[0].end {
                    errors.push(
                        weekday_name(weekday),
                        format!(
                            "intervals {}–{} and {}–{} overlap",
                            pair[0].start, pair[0].end, pair[1].start, pair[1].end
                        ),
                    );
                }
            }
            let slot =
                &mut schedule.days[usize::from(weekday.to_monday_zero_offset().unsigned_abs())];
            if !slot.is_empty() {
                errors.push(weekday_name(weekday), "is given more than once");
            }
            *slot = intervals;
        }
        errors.finish(|| schedule)
    }

    pub fn intervals(&self, weekday: Weekday) -> &[WorkingInterval] {
        &self.days[usize::from(weekday.to_monday_zero_offset().unsigned_abs())]
    }

    /// Working minutes in a normal (no clock change) week.
    pub fn minutes_per_week(&self) -> u32 {
        self.days
            .iter()
            .flatten()
            .map(|interval| u32::from(interval.end.minutes() - interval.start.minutes()))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

/// A date on which no business time passes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Holiday {
    pub date: Date,
    pub name: Option<String>,
}

/// A complete, valid calendar definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarDefinition {
    time_zone_name: String,
    time_zone: TimeZone,
    schedule: WeeklySchedule,
    holidays: Vec<Holiday>,
}

/// A holiday as entered: an ISO date and an optional name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayInput {
    pub date: String,
    pub name: Option<String>,
}

impl CalendarDefinition {
    pub const MAX_HOLIDAYS: usize = 2_000;

    /// Validates a calendar as entered: the zone must be a known IANA name, the
    /// week must hold some working time, holidays must be real dates given once.
    pub fn new(
        time_zone: &str,
        schedule: WeeklySchedule,
        holidays: Vec<HolidayInput>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let zone_name = time_zone.trim();
        let zone = match TimeZone::get(zone_name) {
            Ok(zone) if !zone_name.is_empty() => Some(zone),
            _ => {
                errors.push(
                    "time_zone",
                    "must be an IANA time zone name such as Europe/Berlin or America/New_York",
                );
                None
            }
        };
        if schedule.is_empty() {
            errors.push(
                "working_hours",
                "must contain at least one working interval",
            );
        }
        if holidays.len() > Self::MAX_HOLIDAYS {
            errors.push(
                "holidays",
                format!("must list at most {} dates", Self::MAX_HOLIDAYS),
            );
        }
        let mut parsed_holidays: Vec<Holiday> = Vec::with_capacity(holidays.len());
        for (index, holiday) in holidays.into_iter().enumerate() {
            let field = format!("holidays[{index}].date");
            match holiday.date.trim().parse::<Date>() {
                Ok(date) => {
                    let name = holiday
                        .name
                        .map(|name| name.trim().to_owned())
                        .filter(|name| !name.is_empty());
                    parsed_holidays.push(Holiday { date, name });
                }
                Err(_) => errors.push(field, "must be a date as YYYY-MM-DD"),
            }
        }
        parsed_holidays.sort();
        for pair in parsed_holidays.windows(2) {
            if pair[0].date == pair[1].date {
                errors.push(
                    "holidays",
                    format!("{} is listed more than once", pair[0].date),
                );
            }
        }
        match zone {
            Some(zone) if errors.is_empty() => Ok(Self {
                time_zone_name: zone_name.to_owned(),
                time_zone: zone,
                schedule,
                holidays: parsed_holidays,
            }),
            _ => Err(errors),
        }
    }

    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    pub fn schedule(&self) -> &WeeklySchedule {
        &self.schedule
    }

    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    pub fn is_holiday(&self, date: Date) -> bool {
        self.holidays
            .binary_search_by(|holiday| holiday.date.cmp(&date))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn interval(start: &str, end: &str) -> WorkingInterval {
        match WorkingInterval::parse(start, end) {
            Ok(interval) => interval,
            Err(error) => panic!("{start}-{end}: {error}"),
        }
    }

    #[test]
    fn times_of_day_parse_strictly() {
        assert_eq!(
            MinuteOfDay::parse("09:30").map(MinuteOfDay::minutes),
            Ok(570)
        );
        assert_eq!(MinuteOfDay::parse("24:00"), Ok(MinuteOfDay::END_OF_DAY));
        for bad in ["9:30", "24:01", "12:60", "noon", "", "12-30"] {
            assert!(MinuteOfDay::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn interval_must_end_after_it_starts() {
        let errors = WorkingInterval::parse("17:00", "09:00")
            .err()
            .unwrap_or_default();
        assert_eq!(errors.0[0].field, "end");
        assert!(WorkingInterval::parse("09:00", "09:00").is_err());
    }

    #[test]
    fn overlapping_intervals_are_rejected_and_adjacent_ones_accepted() {
        let overlapping = WeeklySchedule::new([(
            Weekday::Monday,
            vec![interval("09:00", "12:30"), interval("12:00", "17:00")],
        )]);
        assert_eq!(
            overlapping.err().map(|errors| errors.0[0].field.clone()),
            Some("monday".to_owned())
        );
        let adjacent = WeeklySchedule::new([(
            Weekday::Monday,
            vec![interval("13:00", "17:00"), interval("09:00", "13:00")],
        )]);
        let schedule = adjacent.unwrap_or_default();
        assert_eq!(
            schedule.intervals(Weekday::Monday)[0].start.to_string(),
            "09:00"
        );
        assert_eq!(schedule.minutes_per_week(), 8 * 60);
    }

    #[test]
    fn calendar_validation_names_every_bad_field() {
        let errors = CalendarDefinition::new(
            "Mars/Olympus_Mons",
            WeeklySchedule::default(),
            vec![
                HolidayInput {
                    date: "2026-02-30".into(),
                    name: None,
                },
                HolidayInput {
                    date: "2026-12-25".into(),
                    name: None,
                },
                HolidayInput {
                    date: "2026-12-25".into(),
                    name: Some("again".into()),
                },
            ],
        )
        .err()
        .unwrap_or_default();
        let fields: Vec<_> = errors.0.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(
            fields,
            ["time_zone", "working_hours", "holidays[0].date", "holidays"]
        );
    }

    #[test]
    fn valid_calendar_knows_its_holidays() {
        let schedule = WeeklySchedule::new([(Weekday::Friday, vec![interval("09:00", "17:00")])])
            .unwrap_or_default();
        let calendar = CalendarDefinition::new(
            "Europe/Berlin",
            schedule,
            vec![HolidayInput {
                date: "2026-12-25".into(),
                name: Some(" Christmas ".into()),
            }],
        );
        let calendar = match calendar {
            Ok(calendar) => calendar,
            Err(error) => panic!("{error}"),
        };
        assert!(calendar.is_holiday(jiff::civil::date(2026, 12, 25)));
        assert!(!calendar.is_holiday(jiff::civil::date(2026, 12, 24)));
        assert_eq!(calendar.holidays()[0].name.as_deref(), Some("Christmas"));
    }

    proptest! {
        #[test]
        fn every_minute_of_the_day_round_trips(minutes in 0u16..=1440) {
            let minute = MinuteOfDay::new(minutes).ok_or_else(|| TestCaseError::fail("in range"))?;
            prop_assert_eq!(MinuteOfDay::parse(&minute.to_string()), Ok(minute));
        }

        #[test]
        fn accepted_schedules_never_overlap(raw in proptest::collection::vec((0u16..1440, 1u16..600), 0..6)) {
            let intervals: Vec<WorkingInterval> = raw
                .into_iter()
                .filter_map(|(start, length)| {
                    let start = MinuteOfDay::new(start)?;
                    let end = MinuteOfDay::new((start.minutes() + length).min(1440))?;
                    WorkingInterval::new(start, end).ok()
                })
                .collect();
            if let Ok(schedule) = WeeklySchedule::new([(Weekday::Tuesday, intervals.clone())]) {
                let day = schedule.intervals(Weekday::Tuesday);
                prop_assert_eq!(day.len(), intervals.len());
                for pair in day.windows(2) {
                    prop_assert!(pair[0].end <= pair[1].start);
                }
            }
        }
    }
}
