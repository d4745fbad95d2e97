//! Business calendars as stored: the week and the holidays are JSON text,
//! because they are always read and written whole, and re-validated through
//! the domain on every read so stored data can never bypass the rules.

use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Funnel, Listing, PageRequest, Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::calendar::{
    CalendarDefinition, HolidayInput, WEEKDAYS, WeeklySchedule, WorkingInterval, parse_weekday,
};
use roundtable_domain::ids::CalendarId;
use roundtable_domain::text::Label;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub id: CalendarId,
    pub name: String,
    pub definition: CalendarDefinition,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewCalendar {
    pub name: Label,
    pub definition: CalendarDefinition,
}

/// A change to a calendar; the result is validated whole again.
#[derive(Debug, Clone, Default)]
pub struct CalendarChanges {
    pub name: Change<Label>,
    pub time_zone: Change<String>,
    pub working_hours: Change<WeeklySchedule>,
    pub holidays: Change<Vec<HolidayInput>>,
}

#[derive(Serialize, Deserialize)]
struct StoredHoliday {
    date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

fn encode_week(schedule: &WeeklySchedule) -> String {
    let week: BTreeMap<&str, Vec<[String; 2]>> = WEEKDAYS
        .iter()
        .map(|(weekday, name)| {
            let intervals = schedule
                .intervals(*weekday)
                .iter()
                .map(|interval| [interval.start.to_string(), interval.end.to_string()])
                .collect();
            (*name, intervals)
        })
        .collect();
    serde_json::to_string(&week).unwrap_or_else(|_| "{}".to_owned())
}

fn decode_week(text: &str) -> Result<WeeklySchedule, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt(format!("working hours: {message}"));
    let week: BTreeMap<String, Vec<[String; 2]>> =
        serde_json::from_str(text).map_err(|error| corrupt(error.to_string()))?;
    let mut days = Vec::with_capacity(week.len());
    for (name, intervals) in week {
        let weekday = parse_weekday(&name).ok_or_else(|| corrupt(format!("unknown day {name}")))?;
        let intervals = intervals
            .iter()
            .map(|[start, end]| WorkingInterval::parse(start, end))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| corrupt(error.to_string()))?;
        days.push((weekday, intervals));
    }
    WeeklySchedule::new(days).map_err(|error| corrupt(error.to_string()))
}

fn encode_holidays(definition: &CalendarDefinition) -> String {
    let holidays: Vec<StoredHoliday> = definition
        .holidays()
        .iter()
        .map(|holiday| StoredHoliday {
            date: holiday.date.to_string(),
            name: holiday.name.clone(),
        })
        .collect();
    serde_json::to_string(&holidays).unwrap_or_else(|_| "[]".to_owned())
}

fn decode_holidays(text: &str) -> Result<Vec<HolidayInput>, StoreError> {
    let holidays: Vec<StoredHoliday> = serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("holidays: {error}")))?;
    Ok(holidays
        .into_iter()
        .map(|holiday| HolidayInput {
            date: holiday.date,
            name: holiday.name,
        })
        .collect())
}

fn holiday_inputs(definition: &CalendarDefinition) -> Vec<HolidayInput> {
    definition
        .holidays()
        .iter()
        .map(|holiday| HolidayInput {
            date: holiday.date.to_string(),
            name: holiday.name.clone(),
        })
        .collect()
}

const COLUMNS: &str =
    "id, name, time_zone, working_hours, holidays, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Calendar, StoreError> {
    let time_zone: String = row.try_get("time_zone")?;
    let week = decode_week(&row.try_get::<String, _>("working_hours")?)?;
    let holidays = decode_holidays(&row.try_get::<String, _>("holidays")?)?;
    let definition = CalendarDefinition::new(&time_zone, week, holidays)
        .map_err(|error| StoreError::Corrupt(format!("calendar: {error}")))?;
    Ok(Calendar {
        id: CalendarId(row.try_get("id")?),
        name: row.try_get("name")?,
        definition,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Calendar, "calendars", COLUMNS, from_row);

fn name_conflict(error: sqlx::Error, name: &str) -> StoreError {
    match StoreError::from(error) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: Some("name".to_owned()),
            message: format!("a calendar named {name:?} already exists"),
        },
        other => other,
    }
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_calendar(&self, new: NewCalendar) -> Result<Calendar, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                let stamp = to_db(now());
                let row = sqlx::query(&format!(
                    "INSERT INTO calendars (organization_id, name, time_zone, \
                            working_hours, holidays, created_at, updated_at) VALUES ($1, $2, \
                            $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
                ))
                .bind(organization.0)
                .bind(new.name.as_str().to_owned())
                .bind(new.definition.time_zone_name().to_owned())
                .bind(encode_week(new.definition.schedule()))
                .bind(encode_holidays(&new.definition))
                .bind(stamp)
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| name_conflict(error, new.name.as_str()))?;
                let calendar = from_row(&row)?;
                let detail = format!(
                    "created {} ({})",
                    calendar.name,
                    calendar.definition.time_zone_name()
                );
                audit
                    .record(transaction, "calendar.created", calendar.id.0, detail)
                    .await?;
                Ok(calendar)
            })
        })
        .await
    }

    pub async fn calendar(&self, id: CalendarId) -> Result<Calendar, StoreError> {
        crate::rows::get::<Calendar, _>(self.store.reader(), self.organization, id.0).await
    }

    pub async fn list_calendars(&self, page: PageRequest) -> Result<Listing<Calendar>, StoreError> {
        let items =
            crate::rows::list::<Calendar, _>(self.store.reader(), self.organization, page).await?;
        Ok(page.into_listing(items, |calendar| calendar.id.0))
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn update_calendar(
        &self,
        id: CalendarId,
        changes: CalendarChanges,
        expected_version: i64,
    ) -> Result<Calendar, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("name", changes.name.is_set()),
            ("time_zone", changes.time_zone.is_set()),
            ("working_hours", changes.working_hours.is_set()),
            ("holidays", changes.holidays.is_set()),
        ]);
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                let current: Calendar =
                    crate::locked(transaction, organization, id.0, Some(expected_version)).await?;
                let time_zone = changes
                    .time_zone
                    .or(current.definition.time_zone_name().to_owned());
                let week = changes
                    .working_hours
                    .or(current.definition.schedule().clone());
                let holidays = changes.holidays.or(holiday_inputs(&current.definition));
                let definition = CalendarDefinition::new(&time_zone, week, holidays)
                    .map_err(StoreError::Invalid)?;
                let name = match changes.name {
                    Change::Set(name) => name.into_string(),
                    Change::Keep => current.name,
                };
                let row = sqlx::query(&format!(
                    "UPDATE calendars SET name = $1, time_zone = $2, working_hours = \
                            $3, holidays = $4, version = version + 1, updated_at = $5 WHERE \
                            organization_id = $6 AND id = $7 RETURNING {COLUMNS}"
                ))
                .bind(name.clone())
                .bind(definition.time_zone_name().to_owned())
                .bind(encode_week(definition.schedule()))
                .bind(encode_holidays(&definition))
                .bind_now_and_row(organization, id.0)
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| name_conflict(error, &name))?;
                audit
                    .record(transaction, "calendar.updated", id.0, detail)
                    .await?;
                from_row(&row)
            })
        })
        .await
    }

    /// Deletes a calendar no department or organization default uses.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn delete_calendar(
        &self,
        id: CalendarId,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        self.delete_audited::<Calendar>(
            Funnel::Configuration,
            id.0,
            expected_version,
            "departments or the organization still use this calendar",
            "calendar.deleted",
            |calendar| format!("deleted {}", calendar.name),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Weekday;

    #[test]
    fn week_survives_encoding() {
        let schedule = WeeklySchedule::new([
            (
                Weekday::Monday,
                vec![
                    WorkingInterval::parse("09:00", "12:30").unwrap_or_else(|e| panic!("{e}")),
                    WorkingInterval::parse("13:30", "24:00").unwrap_or_else(|e| panic!("{e}")),
                ],
            ),
            (
                Weekday::Saturday,
                vec![WorkingInterval::parse("10:00", "14:00").unwrap_or_else(|e| panic!("{e}"))],
            ),
        ])
        .unwrap_or_default();
        let decoded = decode_week(&encode_week(&schedule)).ok();
        assert_eq!(decoded, Some(schedule));
    }
}
