//! Administration of business calendars: the list, and a form to create or
//! change one (IANA time zone, weekly working intervals, holidays). The form
//! is written the way people say it ("09:00-12:30, 13:30-17:30" per weekday,
//! one holiday per line) and turned into the input of `app::calendars`, the
//! use cases the API calls too; they validate and store it, and their field
//! errors are shown next to the day or line they concern.

use super::{
    FieldErrors, FormData, Layout, Refusal, SignedForm, Viewer, WebError, record_id, render,
    see_other,
};
use crate::AppState;
use crate::api::calendars::{CalendarView, Holiday, Interval, Week, holiday_inputs};
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::calendars::{self, CalendarEdit, CalendarInput};
use roundtable_app::{AppError, Caller};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::CalendarId;

/// The weekdays as the form names its fields and labels them.
pub const DAYS: [(&str, &str); 7] = [
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
];

#[derive(Debug, Clone)]
pub struct CalendarRow {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub hours_per_week: String,
    pub working_days: String,
    pub holidays: usize,
}

#[derive(Debug, Template)]
#[template(path = "admin_calendars.html")]
pub struct CalendarsPage {
    layout: Layout,
    calendars: Vec<CalendarRow>,
    form: CalendarForm,
}

#[derive(Debug, Template)]
#[template(path = "admin_calendar.html")]
pub struct CalendarPage {
    layout: Layout,
    form: CalendarForm,
}

/// The calendar form: where it posts, its values and its errors.
#[derive(Debug, Clone)]
pub struct CalendarForm {
    pub action: String,
    pub heading: String,
    pub button: String,
    /// The version being changed (edits only).
    pub version: Option<i64>,
    pub values: FormData,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

impl CalendarForm {
    pub fn days(&self) -> Vec<(&'static str, &'static str, String)> {
        DAYS.iter()
            .map(|(field, label)| (*field, *label, self.values.get(field).to_owned()))
            .collect()
    }
}

fn hours(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (hours, 0) => format!("{hours} h"),
        (hours, rest) => format!("{hours} h {rest:02} min"),
    }
}

fn day_text(intervals: &[Interval]) -> String {
    intervals
        .iter()
        .map(|interval| format!("{}-{}", interval.start, interval.end))
        .collect::<Vec<_>>()
        .join(", ")
}

fn week_days(week: &Week) -> [&Vec<Interval>; 7] {
    [
        &week.monday,
        &week.tuesday,
        &week.wednesday,
        &week.thursday,
        &week.friday,
        &week.saturday,
        &week.sunday,
    ]
}

/// A stored calendar as the form's values.
fn values_of(calendar: &CalendarView) -> FormData {
    let mut fields = vec![
        ("name".to_owned(), calendar.name.clone()),
        ("time_zone".to_owned(), calendar.time_zone.clone()),
    ];
    for ((field, _), intervals) in DAYS.iter().zip(week_days(&calendar.working_hours)) {
        fields.push(((*field).to_owned(), day_text(intervals)));
    }
    fields.push((
        "holidays".to_owned(),
        calendar
            .holidays
            .iter()
            .map(|holiday| match &holiday.name {
                Some(name) => format!("{} {name}", holiday.date),
                None => holiday.date.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    ));
    FormData(fields)
}

/// What a new calendar's form starts with: a common office week.
fn new_calendar_values() -> FormData {
    let mut fields = vec![
        ("name".to_owned(), String::new()),
        ("time_zone".to_owned(), "Europe/Berlin".to_owned()),
    ];
    for (index, (field, _)) in DAYS.iter().enumerate() {
        let text = if index < 5 { "09:00-17:30" } else { "" };
        fields.push(((*field).to_owned(), text.to_owned()));
    }
    FormData(fields)
}

/// The form's week and holidays as the API's body, or the errors of lines
/// that are not written as intervals or dates at all. Also returns, for each
/// holiday, the line of the text box it came from.
struct ParsedForm {
    week: Week,
    holidays: Vec<Holiday>,
    holiday_lines: Vec<usize>,
}

fn parse_form(form: &FormData) -> Result<ParsedForm, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut days: Vec<Vec<Interval>> = Vec::new();
    for (field, _) in DAYS {
        let mut intervals = Vec::new();
        for piece in form
            .get(field)
            .split([',', ';'])
            .map(str::trim)
            .filter(|piece| !piece.is_empty())
        {
            match piece.split_once(['-', '–']) {
                Some((start, end)) => intervals.push(Interval {
                    start: start.trim().to_owned(),
                    end: end.trim().to_owned(),
                }),
                None => errors.push(
                    field,
                    format!("“{piece}” is not an interval: write each as HH:MM-HH:MM, separated by commas"),
                ),
            }
        }
        days.push(intervals);
    }
    let mut holidays = Vec::new();
    let mut holiday_lines = Vec::new();
    for (index, line) in form.get("holidays").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (date, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        holidays.push(Holiday {
            date: date.to_owned(),
            name: Some(name.trim().to_owned()).filter(|name| !name.is_empty()),
        });
        holiday_lines.push(index + 1);
    }
    let mut days = days.into_iter();
    let mut next = || days.next().unwrap_or_default();
    let week = Week {
        monday: next(),
        tuesday: next(),
        wednesday: next(),
        thursday: next(),
        friday: next(),
        saturday: next(),
        sunday: next(),
    };
    errors.finish(|| ParsedForm {
        week,
        holidays,
        holiday_lines,
    })
}

/// The API's field names (`working_hours.monday[1].end`, `holidays[2].date`)
/// as the fields of this form, with the interval or line named in words.
fn form_errors(errors: ValidationErrors, holiday_lines: &[usize]) -> FieldErrors {
    let mut shown: Vec<(String, String)> = Vec::new();
    for error in errors.0 {
        let (field, message) = if let Some(rest) = error.field.strip_prefix("working_hours.") {
            let day = rest.split(['[', '.']).next().unwrap_or(rest).to_owned();
            let which = rest
                .split_once('[')
                .and_then(|(_, index)| index.split_once(']'))
                .and_then(|(index, part)| {
                    index.parse::<usize>().ok().map(|index| {
                        format!(
                            "interval {}{}: ",
                            index + 1,
                            part.strip_prefix('.')
                                .map(|part| format!(" {part}"))
                                .unwrap_or_default()
                        )
                    })
                })
                .unwrap_or_default();
            (day, format!("{which}{}", error.message))
        } else if let Some(rest) = error.field.strip_prefix("holidays[") {
            let line = rest
                .split_once(']')
                .and_then(|(index, _)| index.parse::<usize>().ok())
                .and_then(|index| holiday_lines.get(index))
                .map(|line| format!("line {line}: "))
                .unwrap_or_default();
            ("holidays".to_owned(), format!("{line}{}", error.message))
        } else {
            (error.field, error.message)
        };
        if !shown.iter().any(|(held, _)| *held == field) {
            shown.push((field, message));
        }
    }
    FieldErrors(shown)
}

async fn all_calendars(state: &AppState, viewer: &Viewer) -> Result<Vec<CalendarView>, WebError> {
    let mut calendars: Vec<CalendarView> =
        calendars::all(&Caller::new(&state.store, &viewer.actor))
            .await?
            .into_iter()
            .map(CalendarView::from)
            .collect();
    calendars.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(calendars)
}

async fn calendars_page(
    state: &AppState,
    viewer: &Viewer,
    form: CalendarForm,
) -> Result<CalendarsPage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let calendars = all_calendars(state, viewer).await?;
    Ok(CalendarsPage {
        layout: Layout::new(viewer, "Calendars", "admin"),
        calendars: calendars
            .into_iter()
            .map(|calendar| CalendarRow {
                id: calendar.id,
                hours_per_week: hours(calendar.minutes_per_week),
                working_days: DAYS
                    .iter()
                    .zip(week_days(&calendar.working_hours))
                    .filter(|(_, intervals)| !intervals.is_empty())
                    .map(|((_, label), _)| &label[..3])
                    .collect::<Vec<_>>()
                    .join(", "),
                holidays: calendar.holidays.len(),
                name: calendar.name,
                time_zone: calendar.time_zone,
            })
            .collect(),
        form,
    })
}

fn new_form(values: FormData, errors: FieldErrors, message: Option<String>) -> CalendarForm {
    CalendarForm {
        action: "/admin/calendars".to_owned(),
        heading: "Add a calendar".to_owned(),
        button: "Add the calendar".to_owned(),
        version: None,
        values,
        errors,
        message,
    }
}

/// `GET /admin/calendars`.
pub async fn show_calendars(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let form = new_form(new_calendar_values(), FieldErrors::default(), None);
    let page = calendars_page(&state, &viewer, form).await?;
    Ok(render(StatusCode::OK, &page))
}

/// A failed save as the form shows it (see [`Refusal::of`]), the holiday
/// problems at their lines; the error page for anything else.
fn failure(
    error: ApiError,
    holiday_lines: &[usize],
) -> Result<(StatusCode, FieldErrors, String), WebError> {
    let lines_named = match error {
        ApiError::Validation(errors) => {
            let errors = form_errors(errors, holiday_lines);
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                "The calendar was not saved. Please correct the marked fields.".to_owned(),
            ));
        }
        other => other,
    };
    let refusal = Refusal::of(lines_named, "this calendar")?;
    Ok((refusal.status, refusal.errors, refusal.message))
}

/// Runs `save` with the calendar form parsed (a form that does not parse is
/// refused with its problems); with the outcome, the form's line of each
/// holiday, to show a holiday's problem at its line.
async fn save_parsed<T>(
    form: &FormData,
    save: impl AsyncFnOnce(ParsedForm) -> Result<T, AppError>,
) -> (Result<T, ApiError>, Vec<usize>) {
    match parse_form(form) {
        Ok(mut parsed) => {
            let lines = std::mem::take(&mut parsed.holiday_lines);
            (save(parsed).await.map_err(ApiError::from), lines)
        }
        Err(errors) => (Err(ApiError::Validation(errors)), Vec::new()),
    }
}

/// After the calendar form (a new calendar, or one changed): back to the
/// calendars, or the form again, built by `page` with the problems at their
/// fields and a message (see [`failure`]).
async fn after_calendar_form<T, P: Template>(
    (outcome, lines): (Result<T, ApiError>, Vec<usize>),
    page: impl AsyncFnOnce(FieldErrors, String) -> Result<P, WebError>,
) -> Result<Response, WebError> {
    match outcome {
        Ok(_) => Ok(see_other("/admin/calendars")),
        Err(error) => {
            let (status, errors, message) = failure(error, &lines)?;
            let page = page(errors, message).await?;
            Ok(render(status, &page))
        }
    }
}

/// `POST /admin/calendars`: creates a calendar.
pub async fn add_calendar(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let outcome = save_parsed(&form, async |parsed| {
        calendars::create(
            &Caller::new(&state.store, &viewer.actor),
            CalendarInput {
                name: form.get("name").to_owned(),
                time_zone: form.get("time_zone").to_owned(),
                working_hours: parsed.week.into_input(),
                holidays: holiday_inputs(parsed.holidays),
            },
        )
        .await
    })
    .await;
    after_calendar_form(outcome, async |errors, message| {
        calendars_page(&state, &viewer, new_form(form, errors, Some(message))).await
    })
    .await
}

/// One calendar as the API shows it (the same view `GET /api/v1/calendars/{id}` answers).
async fn read_calendar(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<CalendarView, WebError> {
    let calendar =
        calendars::get(&Caller::new(&state.store, &viewer.actor), CalendarId(id)).await?;
    Ok(CalendarView::from(calendar))
}

fn edit_form(
    calendar: &CalendarView,
    values: FormData,
    errors: FieldErrors,
    message: Option<String>,
) -> CalendarForm {
    CalendarForm {
        action: format!("/admin/calendars/{}", calendar.id),
        heading: format!("Change {}", calendar.name),
        button: "Save the calendar".to_owned(),
        version: Some(calendar.version),
        values,
        errors,
        message,
    }
}

/// `GET /admin/calendars/{id}`: the form to change a calendar.
pub async fn show_calendar(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let calendar = read_calendar(&state, &viewer, record_id(&id)?).await?;
    let page = CalendarPage {
        layout: Layout::new(&viewer, calendar.name.clone(), "admin"),
        form: edit_form(
            &calendar,
            values_of(&calendar),
            FieldErrors::default(),
            None,
        ),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /admin/calendars/{id}`: changes a calendar (needs the version it was read at).
pub async fn change_calendar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let id = record_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let outcome = save_parsed(&form, async |parsed| {
        calendars::update(
            &Caller::new(&state.store, &viewer.actor),
            CalendarId(id),
            CalendarEdit {
                name: Some(form.get("name").to_owned()),
                time_zone: Some(form.get("time_zone").to_owned()),
                working_hours: Some(parsed.week.into_input()),
                holidays: Some(holiday_inputs(parsed.holidays)),
            },
            version,
        )
        .await
    })
    .await;
    after_calendar_form(outcome, async |errors, message| {
        let calendar = read_calendar(&state, &viewer, id).await?;
        Ok(CalendarPage {
            layout: Layout::new(&viewer, calendar.name.clone(), "admin"),
            form: edit_form(&calendar, form, errors, Some(message)),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> FormData {
        FormData(
            fields
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn days_and_holidays_are_read_as_people_write_them() {
        let parsed = parse_form(&form(&[
            ("monday", "09:00-12:30, 13:30 – 17:30"),
            ("holidays", "\n2026-12-25 Christmas Day\n2026-12-26\n"),
        ]))
        .map_err(|errors| errors.to_string());
        let parsed = parsed.unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(parsed.week.monday.len(), 2);
        assert_eq!(parsed.week.monday[1].end, "17:30");
        assert!(parsed.week.tuesday.is_empty());
        assert_eq!(parsed.holidays[0].name.as_deref(), Some("Christmas Day"));
        assert_eq!(parsed.holiday_lines, [2, 3]);
    }

    #[test]
    fn an_interval_without_a_dash_is_an_error_at_its_day() {
        let errors = parse_form(&form(&[("friday", "9 to 5")])).err();
        assert_eq!(
            errors.map(|errors| errors.0[0].field.clone()).as_deref(),
            Some("friday")
        );
    }

    #[test]
    fn api_errors_land_on_the_day_or_line_they_concern() {
        let mut errors = ValidationErrors::new();
        errors.push("working_hours.tuesday[1].end", "must be later than start");
        errors.push("holidays[1].date", "must be a date as YYYY-MM-DD");
        errors.push("time_zone", "must be an IANA time zone name");
        let shown = form_errors(errors, &[2, 5]);
        assert_eq!(
            shown.get("tuesday"),
            Some("interval 2 end: must be later than start")
        );
        assert_eq!(
            shown.get("holidays"),
            Some("line 5: must be a date as YYYY-MM-DD")
        );
        assert!(shown.get("time_zone").is_some());
    }
}
