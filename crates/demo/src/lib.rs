//! The demo organization: Harbor & Pine Outfitters, an outdoor-gear retailer
//! whose departments serve each other every day.
//!
//! Everything is generated deterministically from a seed, so two demos made
//! with the same seed are identical (tests and screenshots can rely on it).
//! Later capabilities add their part of the story here: services, agreements,
//! requests with history, checks, pulses, objectives, kudos.

mod alignment;
mod feedback;
mod history;
mod matrix;
mod roster;
mod stories;

use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use roundtable_domain::ValidationErrors;
use roundtable_domain::calendar::{
    CalendarDefinition, HolidayInput, WeeklySchedule, WorkingInterval,
};
use roundtable_domain::credentials::Password;
use roundtable_domain::ids::{CalendarId, DepartmentId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_store::calendars::NewCalendar;
use roundtable_store::departments::{DepartmentChanges, NewDepartment};
use roundtable_store::organizations::{Organization, OrganizationChanges};
use roundtable_store::people::NewPerson;
use roundtable_store::{Change, PageRequest, Scoped, Store, StoreError};
use std::collections::HashSet;

pub use roster::{DEPARTMENTS, DepartmentPlan};

/// The demo organization's slug.
pub const ORGANIZATION_SLUG: &str = "demo";
/// The demo administrator's email.
pub const ADMIN_EMAIL: &str = "admin@demo.example";
/// Every demo person's password.
pub const PASSWORD: &str = "roundtable-demo";
/// The seed `roundtable demo` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 2026;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo organization already exists")]
    AlreadyExists,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("demo data is invalid (a bug in the generator): {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("could not hash the demo password: {0}")]
    Password(String),
}

/// What the generator made.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub organization: Organization,
    pub calendars: usize,
    pub departments: usize,
    pub people: usize,
    pub services: usize,
    /// Cells with an agreement in force.
    pub agreed_cells: usize,
    /// Internal requests of the last ninety days.
    pub requests: usize,
    /// Of those, still open now.
    pub open_requests: usize,
    /// Satisfaction checks the requesters answered.
    pub checks_answered: usize,
    /// Closed relationship pulse rounds.
    pub pulse_rounds: usize,
}

fn interval(start: &str, end: &str) -> Result<WorkingInterval, ValidationErrors> {
    WorkingInterval::parse(start, end)
}

fn holidays(dates: &[(&str, &str)]) -> Vec<HolidayInput> {
    dates
        .iter()
        .map(|(date, name)| HolidayInput {
            date: (*date).to_owned(),
            name: Some((*name).to_owned()),
        })
        .collect()
}

fn calendars() -> Result<Vec<(&'static str, CalendarDefinition)>, ValidationErrors> {
    use jiff::civil::Weekday::*;
    let weekdays = [Monday, Tuesday, Wednesday, Thursday, Friday];
    let london_day = vec![interval("09:00", "12:30")?, interval("13:30", "17:30")?];
    let london = CalendarDefinition::new(
        "Europe/London",
        WeeklySchedule::new(weekdays.map(|day| (day, london_day.clone())))?,
        holidays(&[
            ("2026-01-01", "New Year's Day"),
            ("2026-04-03", "Good Friday"),
            ("2026-04-06", "Easter Monday"),
            ("2026-05-04", "Early May bank holiday"),
            ("2026-05-25", "Spring bank holiday"),
            ("2026-08-31", "Summer bank holiday"),
            ("2026-12-25", "Christmas Day"),
            ("2026-12-28", "Boxing Day (substitute day)"),
            ("2027-01-01", "New Year's Day"),
            ("2027-03-26", "Good Friday"),
            ("2027-03-29", "Easter Monday"),
            ("2027-05-03", "Early May bank holiday"),
            ("2027-05-31", "Spring bank holiday"),
            ("2027-08-30", "Summer bank holiday"),
            ("2027-12-27", "Christmas Day (substitute day)"),
            ("2027-12-28", "Boxing Day (substitute day)"),
        ]),
    )?;
    let new_york_day = vec![interval("08:30", "12:00")?, interval("12:45", "17:00")?];
    let us_holidays = holidays(&[
        ("2026-01-01", "New Year's Day"),
        ("2026-01-19", "Martin Luther King Jr. Day"),
        ("2026-02-16", "Presidents' Day"),
        ("2026-05-25", "Memorial Day"),
        ("2026-06-19", "Juneteenth"),
        ("2026-07-03", "Independence Day (observed)"),
        ("2026-09-07", "Labor Day"),
        ("2026-11-26", "Thanksgiving Day"),
        ("2026-12-25", "Christmas Day"),
        ("2027-01-01", "New Year's Day"),
        ("2027-01-18", "Martin Luther King Jr. Day"),
        ("2027-02-15", "Presidents' Day"),
        ("2027-05-31", "Memorial Day"),
        ("2027-06-18", "Juneteenth (observed)"),
        ("2027-07-05", "Independence Day (observed)"),
        ("2027-09-06", "Labor Day"),
        ("2027-11-25", "Thanksgiving Day"),
        ("2027-12-24", "Christmas Day (observed)"),
    ]);
    let new_york = CalendarDefinition::new(
        "America/New_York",
        WeeklySchedule::new(weekdays.map(|day| (day, new_york_day.clone())))?,
        us_holidays.clone(),
    )?;
    let mut support_days: Vec<_> = weekdays
        .map(|day| (day, vec![interval("07:00", "20:00")]))
        .into_iter()
        .collect();
    support_days.push((Saturday, vec![interval("09:00", "13:00")]));
    let support_days = support_days
        .into_iter()
        .map(|(day, intervals)| Ok((day, intervals.into_iter().collect::<Result<Vec<_>, _>>()?)))
        .collect::<Result<Vec<_>, ValidationErrors>>()?;
    let support = CalendarDefinition::new(
        "America/New_York",
        WeeklySchedule::new(support_days)?,
        us_holidays,
    )?;
    Ok(vec![
        ("London office", london),
        ("New York office", new_york),
        ("Customer support hours", support),
    ])
}

/// Creates the demo organization. Refuses if it exists already.
pub async fn generate(store: &Store, seed: u64) -> Result<DemoSummary, DemoError> {
    if store
        .find_organization_by_slug(ORGANIZATION_SLUG)
        .await?
        .is_some()
    {
        return Err(DemoError::AlreadyExists);
    }
    let mut random = ChaCha8Rng::seed_from_u64(seed);
    let password_hash = hash_demo_password(PASSWORD)?;

    let organization = store
        .create_organization(
            Slug::parse(ORGANIZATION_SLUG)?,
            Label::parse("Harbor & Pine Outfitters")?,
        )
        .await?;
    let scoped = store.scoped(organization.id);

    let mut calendar_ids: Vec<CalendarId> = Vec::new();
    for (name, definition) in calendars()? {
        let calendar = scoped
            .create_calendar(NewCalendar {
                name: Label::parse(name)?,
                definition,
            })
            .await?;
        calendar_ids.push(calendar.id);
    }
    let organization = scoped
        .update_organization(
            OrganizationChanges {
                name: Change::Keep,
                default_calendar_id: Change::Set(calendar_ids.first().copied()),
                ..OrganizationChanges::default()
            },
            organization.version,
        )
        .await?;

    let mut used_emails: HashSet<String> = HashSet::new();
    used_emails.insert(ADMIN_EMAIL.to_owned());
    let mut department_ids: Vec<DepartmentId> = Vec::new();
    let mut led: std::collections::HashMap<&'static str, (DepartmentId, PersonId)> =
        std::collections::HashMap::new();
    let mut people = 0;
    for plan in DEPARTMENTS {
        let parent_id = plan
            .parent
            .and_then(|parent| {
                DEPARTMENTS
                    .iter()
                    .position(|candidate| candidate.slug == parent)
            })
            .and_then(|index| department_ids.get(index).copied());
        let department = scoped
            .create_department(NewDepartment {
                slug: Slug::parse(plan.slug)?,
                name: Label::parse(plan.name)?,
                parent_id,
                calendar_id: calendar_ids.get(plan.calendar).copied(),
                customer_facing: plan.customer_facing,
                lead_ids: Vec::new(),
            })
            .await?;
        department_ids.push(department.id);

        let mut leads: Vec<PersonId> = Vec::new();
        for (index, (title, role)) in plan.staff.iter().enumerate() {
            let name = unique_name(&mut random, &mut used_emails);
            let person = scoped
                .create_person(NewPerson {
                    email: Email::parse(&name.1)?,
                    name: Label::parse(&name.0)?,
                    title: Some(Label::parse(title)?),
                    department_id: Some(department.id),
                    role: *role,
                    password_hash: Some(password_hash.clone()),
                })
                .await?;
            people += 1;
            if index == 0 {
                leads.push(person.id);
                led.insert(plan.slug, (department.id, person.id));
            }
        }
        if plan.slug == "it" {
            scoped
                .create_person(NewPerson {
                    email: Email::parse(ADMIN_EMAIL)?,
                    name: Label::parse("Robin Okafor")?,
                    title: Some(Label::parse("Roundtable administrator")?),
                    department_id: Some(department.id),
                    role: Role::Admin,
                    password_hash: Some(password_hash.clone()),
                })
                .await?;
            people += 1;
        }
        scoped
            .update_department(
                department.id,
                DepartmentChanges {
                    lead_ids: Change::Set(leads),
                    ..DepartmentChanges::default()
                },
                department.version,
            )
            .await?;
    }
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let matrix = matrix::generate(&scoped, &led, today).await?;
    // A stream of its own, so the history does not shift the people above.
    let mut history_random = ChaCha8Rng::seed_from_u64(seed);
    history_random.set_stream(1);
    let history = history::generate(&scoped, &mut history_random, now).await?;
    // The stories' requests are all still open.
    let stories = stories::generate(&scoped, now).await?;
    let feedback = feedback::generate(&scoped, seed, now).await?;
    // Objectives, the round table and kudos, on a stream of their own.
    let mut alignment_random = ChaCha8Rng::seed_from_u64(seed);
    alignment_random.set_stream(2);
    alignment::generate(&scoped, &led, &mut alignment_random, now).await?;
    Ok(DemoSummary {
        organization,
        calendars: calendar_ids.len(),
        departments: department_ids.len(),
        people,
        services: matrix.services,
        agreed_cells: matrix.agreed_cells,
        requests: history.requests + stories,
        open_requests: history.open + stories,
        checks_answered: feedback.checks_answered,
        pulse_rounds: feedback.pulse_rounds,
    })
}

/// The organization's services (a demo's fit in one page).
async fn all_services(
    scoped: &Scoped<'_>,
) -> Result<Vec<roundtable_store::services::Service>, DemoError> {
    Ok(scoped
        .list_services(
            roundtable_store::services::ServiceFilter::default(),
            PageRequest::first(PageRequest::MAX_LIMIT),
        )
        .await?
        .items)
}

/// A department's active people (a demo department's fit in one page).
async fn active_people(
    scoped: &Scoped<'_>,
    department: DepartmentId,
) -> Result<Vec<roundtable_store::people::Person>, DemoError> {
    Ok(scoped
        .list_people(
            roundtable_store::people::PeopleFilter {
                department_id: Some(department),
                active: Some(true),
            },
            PageRequest::first(PageRequest::MAX_LIMIT),
        )
        .await?
        .items)
}

/// One argon2 hash shared by every demo person: hashing fifty times would
/// only slow the demo down, and the demo password is public anyway (which
/// is also why it is set as published, outside the strength policy).
fn hash_demo_password(password: &str) -> Result<String, DemoError> {
    Password::published(password)
        .hash()
        .map_err(|error| DemoError::Password(error.to_string()))
}

fn unique_name(random: &mut ChaCha8Rng, used: &mut HashSet<String>) -> (String, String) {
    loop {
        let first = roster::FIRST_NAMES
            .choose(random)
            .copied()
            .unwrap_or("Alex");
        let last = roster::LAST_NAMES
            .choose(random)
            .copied()
            .unwrap_or("Smith");
        let email = format!(
            "{}.{}@demo.example",
            first.to_lowercase(),
            last.to_lowercase()
                .replace('ö', "o")
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        );
        if used.insert(email.clone()) {
            return (format!("{first} {last}"), email);
        }
    }
}
