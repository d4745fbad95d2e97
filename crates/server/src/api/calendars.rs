//! `/api/v1/calendars`: business calendars (time zone, weekly working
//! intervals, holidays) that service-level clocks run on.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{
    ApiJson, ApiQuery, IfMatch, OptionalIfMatch, Page, PageQuery, RecordId, with_etag,
};
use crate::problem::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::calendars::{
    self as app, CalendarEdit, CalendarInput, IntervalInput, WeekInput,
};
use roundtable_domain::calendar::{HolidayInput, WEEKDAYS, WeeklySchedule};
use roundtable_domain::ids::CalendarId;
use roundtable_store::calendars::Calendar;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, update_calendar, delete_calendar))
        .routes(routes!(calendar_due))
        .routes(routes!(calendar_business_minutes))
}

/// A working interval in local wall-clock time; `end` may be `24:00`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    #[schema(example = "09:00")]
    pub start: String,
    #[schema(example = "17:30")]
    pub end: String,
}

/// Working intervals per weekday; a missing day has none.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Week {
    #[serde(default)]
    pub monday: Vec<Interval>,
    #[serde(default)]
    pub tuesday: Vec<Interval>,
    #[serde(default)]
    pub wednesday: Vec<Interval>,
    #[serde(default)]
    pub thursday: Vec<Interval>,
    #[serde(default)]
    pub friday: Vec<Interval>,
    #[serde(default)]
    pub saturday: Vec<Interval>,
    #[serde(default)]
    pub sunday: Vec<Interval>,
}

impl Week {
    fn from_schedule(schedule: &WeeklySchedule) -> Self {
        let day = |index: usize| {
            schedule
                .intervals(WEEKDAYS[index].0)
                .iter()
                .map(|interval| Interval {
                    start: interval.start.to_string(),
                    end: interval.end.to_string(),
                })
                .collect()
        };
        Week {
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
        }
    }

    /// The week as the use cases take it, Monday first.
    pub fn into_input(self) -> WeekInput {
        let day = |intervals: Vec<Interval>| {
            intervals
                .into_iter()
                .map(|interval| IntervalInput {
                    start: interval.start,
                    end: interval.end,
                })
                .collect::<Vec<_>>()
        };
        [
            day(self.monday),
            day(self.tuesday),
            day(self.wednesday),
            day(self.thursday),
            day(self.friday),
            day(self.saturday),
            day(self.sunday),
        ]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    #[schema(example = "2026-12-25")]
    pub date: String,
    #[schema(example = "Christmas Day")]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    pub id: i64,
    pub name: String,
    /// IANA time zone name.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    pub working_hours: Week,
    pub holidays: Vec<Holiday>,
    /// Working minutes in a week without clock changes or holidays.
    pub minutes_per_week: u32,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Calendar> for CalendarView {
    fn from(calendar: Calendar) -> Self {
        let definition = &calendar.definition;
        CalendarView {
            id: calendar.id.0,
            name: calendar.name,
            time_zone: definition.time_zone_name().to_owned(),
            working_hours: Week::from_schedule(definition.schedule()),
            holidays: definition
                .holidays()
                .iter()
                .map(|holiday| Holiday {
                    date: holiday.date.to_string(),
                    name: holiday.name.clone(),
                })
                .collect(),
            minutes_per_week: definition.schedule().minutes_per_week(),
            version: calendar.version,
            created_at: calendar.created_at.to_string(),
            updated_at: calendar.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCalendar {
    #[schema(example = "Head office")]
    pub name: String,
    pub time_zone: String,
    pub working_hours: Week,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// Only the fields present change; the result must still be a valid calendar.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCalendar {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub working_hours: Option<Week>,
    pub holidays: Option<Vec<Holiday>>,
}

pub type CalendarPage = Page<CalendarView>;

pub(crate) fn holiday_inputs(holidays: Vec<Holiday>) -> Vec<HolidayInput> {
    holidays
        .into_iter()
        .map(|holiday| HolidayInput {
            date: holiday.date,
            name: holiday.name,
        })
        .collect()
}

/// Lists the calendars.
#[utoipa::path(
    get, path = "/calendars", tag = "calendars", params(PageQuery),
    responses((status = 200, body = CalendarPage), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_calendars(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<axum::Json<CalendarPage>, ApiError> {
    let listing = app::list(&Caller::new(&state.store, &actor), query.to_page()?).await?;
    Ok(axum::Json(Page::from_listing(listing, CalendarView::from)))
}

/// Creates a calendar (administrators).
#[utoipa::path(
    post, path = "/calendars", tag = "calendars", request_body = CreateCalendar,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(
        (status = 201, body = CalendarView, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_calendar(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<CreateCalendar>,
) -> Result<Response, ApiError> {
    let calendar = app::create(
        &Caller::new(&state.store, &actor),
        CalendarInput {
            name: input.name,
            time_zone: input.time_zone,
            working_hours: input.working_hours.into_input(),
            holidays: holiday_inputs(input.holidays),
        },
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        calendar.version,
        CalendarView::from(calendar),
    ))
}

/// Reads one calendar.
#[utoipa::path(
    get, path = "/calendars/{id}", tag = "calendars", params(("id" = i64, Path)),
    responses((status = 200, body = CalendarView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_calendar(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let calendar = app::get(&Caller::new(&state.store, &actor), CalendarId(id)).await?;
    Ok(with_etag(
        StatusCode::OK,
        calendar.version,
        CalendarView::from(calendar),
    ))
}

/// Changes a calendar (administrators); needs `If-Match`.
#[utoipa::path(
    patch, path = "/calendars/{id}", tag = "calendars", request_body = UpdateCalendar,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = CalendarView, headers(("ETag" = String))),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_calendar(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<UpdateCalendar>,
) -> Result<Response, ApiError> {
    let calendar = app::update(
        &Caller::new(&state.store, &actor),
        CalendarId(id),
        CalendarEdit {
            name: input.name,
            time_zone: input.time_zone,
            working_hours: input.working_hours.map(Week::into_input),
            holidays: input.holidays.map(holiday_inputs),
        },
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        calendar.version,
        CalendarView::from(calendar),
    ))
}

/// Deletes a calendar that no department uses (administrators).
#[utoipa::path(
    delete, path = "/calendars/{id}", tag = "calendars",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_calendar(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    app::delete(&Caller::new(&state.store, &actor), CalendarId(id), version).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// The instant the clock starts (RFC 3339, e.g. `2026-11-20T16:00:00Z`).
    pub start: String,
    /// Business minutes to add, 0 to 527040.
    pub minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueView {
    pub start: String,
    pub minutes: i64,
    /// The earliest instant by which `minutes` business minutes have elapsed (UTC).
    pub due: String,
    /// The same instant in the calendar's time zone.
    pub due_local: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BetweenQuery {
    /// RFC 3339 instant.
    pub from: String,
    /// RFC 3339 instant, at most 100 years after `from`; before `from` counts as zero.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessMinutesView {
    pub from: String,
    pub to: String,
    /// Whole business minutes elapsed between the two instants.
    pub business_minutes: i64,
    /// The exact business time in seconds (with fractions).
    pub business_seconds: f64,
}

fn instant(field: &str, text: &str) -> Result<jiff::Timestamp, ApiError> {
    text.trim().parse::<jiff::Timestamp>().map_err(|_| {
        ApiError::invalid(
            field,
            "must be an RFC 3339 instant with an offset, e.g. 2026-11-20T16:00:00Z",
        )
    })
}

/// The instant N business minutes after `start` on this calendar: the arithmetic every service-level clock uses.
#[utoipa::path(
    get, path = "/calendars/{id}/due", tag = "calendars", params(("id" = i64, Path), DueQuery),
    responses((status = 200, body = DueView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn calendar_due(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiQuery(query): ApiQuery<DueQuery>,
) -> Result<axum::Json<DueView>, ApiError> {
    let start = instant("start", &query.start)?;
    let (due, calendar) = app::due(
        &Caller::new(&state.store, &actor),
        CalendarId(id),
        start,
        query.minutes,
    )
    .await?;
    Ok(axum::Json(DueView {
        start: start.to_string(),
        minutes: query.minutes,
        due: due.to_string(),
        due_local: due
            .to_zoned(calendar.definition.time_zone().clone())
            .to_string(),
    }))
}

/// Business minutes elapsed between two instants on this calendar.
#[utoipa::path(
    get, path = "/calendars/{id}/business-minutes", tag = "calendars", params(("id" = i64, Path), BetweenQuery),
    responses((status = 200, body = BusinessMinutesView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn calendar_business_minutes(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiQuery(query): ApiQuery<BetweenQuery>,
) -> Result<axum::Json<BusinessMinutesView>, ApiError> {
    let from = instant("from", &query.from)?;
    let to = instant("to", &query.to)?;
    let elapsed =
        app::business_time(&Caller::new(&state.store, &actor), CalendarId(id), from, to).await?;
    Ok(axum::Json(BusinessMinutesView {
        from: from.to_string(),
        to: to.to_string(),
        business_minutes: elapsed.as_secs() / 60,
        business_seconds: elapsed.as_secs_f64(),
    }))
}
