//! Business calendars: a time zone, weekly working intervals and holidays,
//! which service-level clocks run on. Everyone reads them and asks them
//! when something is due; administrators change them.

use crate::input::parse_change;
use crate::{AppError, Caller, policy};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::ValidationErrors;
use roundtable_domain::business_time::{
    WALK_LIMIT_YEARS, add_business_minutes, business_time_between,
};
use roundtable_domain::calendar::{
    CalendarDefinition, HolidayInput, WEEKDAYS, WeeklySchedule, WorkingInterval,
};
use roundtable_domain::ids::CalendarId;
use roundtable_domain::services::MAX_TARGET_MINUTES;
use roundtable_domain::text::Label;
use roundtable_store::calendars::{Calendar, CalendarChanges, NewCalendar};
use roundtable_store::{Change, Listing, PageRequest, every_page};

/// A working interval as it arrives: `09:00` to `17:30`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntervalInput {
    pub start: String,
    pub end: String,
}

/// A week's working intervals as they arrive, Monday first (the order of
/// `calendar::WEEKDAYS`).
pub type WeekInput = [Vec<IntervalInput>; 7];

/// The week checked: each interval (named `working_hours.monday[0]`), then
/// the week as a whole.
pub fn parse_week(week: &WeekInput) -> Result<WeeklySchedule, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut days = Vec::new();
    for ((weekday, name), intervals) in WEEKDAYS.iter().zip(week) {
        let parsed: Vec<WorkingInterval> = intervals
            .iter()
            .enumerate()
            .filter_map(|(index, interval)| {
                errors.check(
                    &format!("working_hours.{name}[{index}]"),
                    WorkingInterval::parse(&interval.start, &interval.end),
                )
            })
            .collect();
        days.push((*weekday, parsed));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut errors = ValidationErrors::new();
    let schedule = errors.check("working_hours", WeeklySchedule::new(days));
    match schedule {
        Some(schedule) => Ok(schedule),
        None => Err(errors),
    }
}

/// A calendar as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct CalendarInput {
    pub name: String,
    pub time_zone: String,
    pub working_hours: WeekInput,
    pub holidays: Vec<HolidayInput>,
}

/// Changes to a calendar; absent parts stay. The calendar that results is
/// checked whole again.
#[derive(Debug, Clone, Default)]
pub struct CalendarEdit {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub working_hours: Option<WeekInput>,
    pub holidays: Option<Vec<HolidayInput>>,
}

/// One page of calendars.
#[tracing::instrument(skip(caller))]
pub async fn list(caller: &Caller<'_>, page: PageRequest) -> Result<Listing<Calendar>, AppError> {
    Ok(caller.scoped.list_calendars(page).await?)
}

/// Every calendar, oldest first.
pub async fn all(caller: &Caller<'_>) -> Result<Vec<Calendar>, AppError> {
    every_page(|page| list(caller, page)).await
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: CalendarId) -> Result<Calendar, AppError> {
    Ok(caller.scoped.calendar(id).await?)
}

/// Adds a calendar (administrators).
#[tracing::instrument(skip(caller, input))]
pub async fn create(caller: &Caller<'_>, input: CalendarInput) -> Result<Calendar, AppError> {
    policy::manage_organization(caller.actor)?;
    let mut errors = ValidationErrors::new();
    let name = errors.check("name", Label::parse(&input.name));
    let definition = match parse_week(&input.working_hours) {
        Ok(schedule) => errors.check(
            "",
            CalendarDefinition::new(&input.time_zone, schedule, input.holidays),
        ),
        Err(schedule_errors) => {
            errors.0.extend(schedule_errors.0);
            None
        }
    };
    let (Some(name), Some(definition)) = (name, definition) else {
        return Err(errors.into());
    };
    Ok(caller
        .scoped
        .create_calendar(NewCalendar { name, definition })
        .await?)
}

/// Changes a calendar (administrators) at the version read.
#[tracing::instrument(skip(caller, edit))]
pub async fn update(
    caller: &Caller<'_>,
    id: CalendarId,
    edit: CalendarEdit,
    expected_version: i64,
) -> Result<Calendar, AppError> {
    policy::manage_organization(caller.actor)?;
    let mut errors = ValidationErrors::new();
    let working_hours = match &edit.working_hours {
        Some(week) => match parse_week(week) {
            Ok(schedule) => Change::Set(schedule),
            Err(week_errors) => {
                errors.0.extend(week_errors.0);
                Change::Keep
            }
        },
        None => Change::Keep,
    };
    let changes = CalendarChanges {
        name: parse_change(&mut errors, "name", edit.name.as_deref(), Label::parse),
        time_zone: edit.time_zone.into(),
        working_hours,
        holidays: edit.holidays.into(),
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(caller
        .scoped
        .update_calendar(id, changes, expected_version)
        .await?)
}

/// Deletes a calendar nothing runs on (administrators).
#[tracing::instrument(skip(caller))]
pub async fn delete(
    caller: &Caller<'_>,
    id: CalendarId,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    policy::manage_organization(caller.actor)?;
    Ok(caller.scoped.delete_calendar(id, expected_version).await?)
}

/// When `minutes` business minutes from `start` fall due on the calendar,
/// with the calendar it was judged on.
#[tracing::instrument(skip(caller))]
pub async fn due(
    caller: &Caller<'_>,
    id: CalendarId,
    start: Timestamp,
    minutes: i64,
) -> Result<(Timestamp, Calendar), AppError> {
    if !(0..=MAX_TARGET_MINUTES).contains(&minutes) {
        return Err(AppError::invalid(
            "minutes",
            format!("must be between 0 and {MAX_TARGET_MINUTES}"),
        ));
    }
    let calendar = caller.scoped.calendar(id).await?;
    let due = add_business_minutes(&calendar.definition, start, minutes)
        .map_err(|error| AppError::invalid("minutes", error.to_string()))?;
    Ok((due, calendar))
}

/// The business time between two instants on the calendar. Counting walks
/// every day in between, so the span is bounded: one request cannot hold a
/// thread for seconds.
#[tracing::instrument(skip(caller))]
pub async fn business_time(
    caller: &Caller<'_>,
    id: CalendarId,
    from: Timestamp,
    to: Timestamp,
) -> Result<SignedDuration, AppError> {
    let years = WALK_LIMIT_YEARS;
    if to.duration_since(from) > SignedDuration::from_hours(i64::from(years) * 8766) {
        return Err(AppError::invalid(
            "to",
            format!("must be at most {years} years after from"),
        ));
    }
    let calendar = caller.scoped.calendar(id).await?;
    Ok(business_time_between(&calendar.definition, from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(start: &str, end: &str) -> IntervalInput {
        IntervalInput {
            start: start.to_owned(),
            end: end.to_owned(),
        }
    }

    #[test]
    fn a_bad_interval_is_named_by_its_day_and_position() {
        let mut week: WeekInput = Default::default();
        week[0] = vec![interval("09:00", "12:00"), interval("13:00", "25:00")];
        let Err(errors) = parse_week(&week) else {
            panic!("an hour 25 is refused");
        };
        assert!(
            errors
                .0
                .iter()
                .all(|error| error.field.starts_with("working_hours.monday[1]"))
        );
        week[0].pop();
        let Ok(schedule) = parse_week(&week) else {
            panic!("a morning is a week");
        };
        assert_eq!(schedule.minutes_per_week(), 180);
    }
}
