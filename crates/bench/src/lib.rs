//! The benchmark harness's data: a large organization generated through the
//! store in bulk (not through HTTP), so that `bench/run` can measure the real
//! server against years of history in minutes rather than days.
//!
//! Departments and people go through the same import the CLI uses (one
//! transaction), services through the store's own create, and the request
//! history through `Scoped::bulk_load_requests` in chunks of one transaction
//! each. Everything is drawn from a seed, so two runs measure the same data.

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roundtable_domain::agreements::{ReviewCadence, Side};
use roundtable_domain::calendar::{CalendarDefinition, WeeklySchedule, WorkingInterval};
use roundtable_domain::checks::CheckAnswer;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::requests::Status;
use roundtable_domain::services::{Priority, Targets};
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_store::agreements::NewAgreement;
use roundtable_store::bulk::{HistoricCheck, HistoricRequest};
use roundtable_store::calendars::NewCalendar;
use roundtable_store::import::PersonRecord;
use roundtable_store::organizations::OrganizationChanges;
use roundtable_store::people::PeopleFilter;
use roundtable_store::pulses::{NewPulseRound, PulseAnswer};
use roundtable_store::services::ServiceDefinition;
use roundtable_store::{Change, PageRequest, Store};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// How large an organization to generate; as command-line options, each
/// defaults to [`Scale::full`]'s.
#[derive(Debug, Clone, clap::Args)]
pub struct Scale {
    #[arg(long, default_value_t = Scale::full().departments)]
    pub departments: usize,
    #[arg(long, default_value_t = Scale::full().people)]
    pub people: usize,
    #[arg(long, default_value_t = Scale::full().services)]
    pub services: usize,
    #[arg(long, default_value_t = Scale::full().requests)]
    pub requests: usize,
    #[arg(long, default_value_t = Scale::full().answered_checks)]
    pub answered_checks: usize,
    /// Closed relationship pulse rounds, over every cell with a service.
    #[arg(long, default_value_t = Scale::full().pulse_rounds)]
    pub pulse_rounds: usize,
    /// Respondents drawn per cell and side in each round.
    #[arg(long, default_value_t = Scale::full().pulse_respondents_per_side)]
    pub pulse_respondents_per_side: usize,
    /// The requests are spread over this many days up to now.
    #[arg(long, default_value_t = Scale::full().days)]
    pub days: i64,
    #[arg(long, default_value_t = Scale::full().seed)]
    pub seed: u64,
}

impl Scale {
    /// The scale issue 10 asks for: 50 departments, 5,000 people, 200
    /// services, 1,000,000 requests over two years, 300,000 answered checks.
    pub fn full() -> Self {
        Scale {
            departments: 50,
            people: 5_000,
            services: 200,
            requests: 1_000_000,
            answered_checks: 300_000,
            pulse_rounds: 2,
            pulse_respondents_per_side: 8,
            days: 730,
            seed: 2026,
        }
    }
}

/// The organization's slug.
pub const ORGANIZATION_SLUG: &str = "bench";
/// An administrator, for tokens.
pub const ADMIN_EMAIL: &str = "admin@bench.example";
/// A member of a consumer department of [`Generated::service_id`]: the
/// requester of the intake load.
pub const REQUESTER_EMAIL: &str = "requester@bench.example";

/// What the load needs to know about the generated organization.
#[derive(Debug, Clone)]
pub struct Generated {
    pub organization_id: i64,
    /// The provider department with the most open requests: its queue is W2.
    pub queue_department_id: i64,
    pub queue_open_requests: usize,
    /// A service the requester may raise requests against (no intake fields).
    pub service_id: i64,
    pub requests: usize,
    pub answered_checks: usize,
    pub pulse_responses: usize,
}

/// Requests per transaction: large enough that commits are rare, small
/// enough that memory stays flat.
const REQUESTS_PER_TRANSACTION: usize = 20_000;

fn department_name(index: usize) -> String {
    format!("Department {:02}", index + 1)
}

/// `count` people spread over `departments` departments as import records:
/// the first is the administrator, the second the requester, the first
/// member of each department its lead.
pub fn people_records(count: usize, departments: usize) -> anyhow::Result<Vec<PersonRecord>> {
    let mut records = Vec::with_capacity(count);
    for index in 0..count {
        let department = index % departments.max(1);
        let (email, role) = match index {
            0 => (ADMIN_EMAIL.to_owned(), Role::Admin),
            1 => (REQUESTER_EMAIL.to_owned(), Role::Member),
            index if index < departments => (format!("person{index}@bench.example"), Role::Lead),
            index => (format!("person{index}@bench.example"), Role::Member),
        };
        records.push(PersonRecord {
            line: index as u64 + 2,
            email: Email::parse(&email)?,
            name: Label::parse(&format!("Person {index}"))?,
            title: None,
            department: Some(Label::parse(&department_name(department))?),
            parent_department: None,
            role: Some(role),
        });
    }
    Ok(records)
}

/// The people CSV of W4: `count` rows in the HR export's columns.
pub fn people_csv(count: usize, departments: usize) -> String {
    let mut text = String::with_capacity(count * 64);
    text.push_str("email,name,title,department,role\n");
    for index in 0..count {
        let department = department_name(index % departments.max(1));
        text.push_str(&format!(
            "import{index}@bench.example,Imported Person {index},Analyst,{department},member\n"
        ));
    }
    text
}

fn office_hours() -> anyhow::Result<CalendarDefinition> {
    use jiff::civil::Weekday::*;
    let day = vec![WorkingInterval::parse("09:00", "17:00")?];
    let week = WeeklySchedule::new(
        [Monday, Tuesday, Wednesday, Thursday, Friday].map(|weekday| (weekday, day.clone())),
    )?;
    Ok(CalendarDefinition::new("Europe/London", week, Vec::new())?)
}

struct ServicePlan {
    id: i64,
    provider: DepartmentId,
    consumers: Vec<DepartmentId>,
    targets: Targets,
}

/// Creates the organization and its history in `store` (migrated, empty of
/// an organization called `bench`). `progress` is told the requests written.
pub async fn generate(
    store: &Store,
    scale: &Scale,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<Generated> {
    let mut random = ChaCha8Rng::seed_from_u64(scale.seed);
    let organization = store
        .create_organization(
            Slug::parse(ORGANIZATION_SLUG)?,
            Label::parse("Bench Corporation")?,
        )
        .await
        .context("creating the organization")?;
    let scoped = store.scoped(organization.id);
    let calendar = scoped
        .create_calendar(NewCalendar {
            name: Label::parse("Office hours")?,
            definition: office_hours()?,
        })
        .await?;
    scoped
        .update_organization(
            OrganizationChanges {
                default_calendar_id: Change::Set(Some(calendar.id)),
                ..OrganizationChanges::default()
            },
            organization.version,
        )
        .await?;

    let records = people_records(scale.people, scale.departments)?;
    scoped
        .import_people(records, Arc::new(AtomicU64::new(0)))
        .await
        .context("importing people")?;
    progress(0);
    let departments: Vec<DepartmentId> = scoped
        .list_departments(PageRequest::first(PageRequest::MAX_LIMIT))
        .await?
        .items
        .iter()
        .map(|department| department.id)
        .collect();
    let mut members: HashMap<DepartmentId, Vec<PersonId>> = HashMap::new();
    let mut cursor = None;
    loop {
        let page = scoped
            .list_people(
                PeopleFilter::default(),
                PageRequest {
                    limit: PageRequest::MAX_LIMIT,
                    after: cursor,
                },
            )
            .await?;
        for person in &page.items {
            if let Some(department) = person.department_id {
                members.entry(department).or_default().push(person.id);
            }
        }
        match page.next_after {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let requester = scoped
        .person_by_email(&Email::parse(REQUESTER_EMAIL)?)
        .await?
        .context("the requester was imported")?;
    let requester_department = requester
        .department_id
        .context("the requester has a department")?;

    // Services: each department provides some, each to three others; the
    // first is consumed by the requester's department, for the intake load.
    let mut services = Vec::with_capacity(scale.services);
    for index in 0..scale.services {
        let provider = departments[(index + 1) % departments.len()];
        let mut consumers: Vec<DepartmentId> = departments
            .iter()
            .copied()
            .filter(|department| *department != provider)
            .collect::<Vec<_>>()
            .choose_multiple(&mut random, 3)
            .copied()
            .collect();
        if index == 0
            && !consumers.contains(&requester_department)
            && provider != requester_department
        {
            consumers[0] = requester_department;
        }
        let targets = Targets::new(
            *[60_i64, 240, 480].choose(&mut random).unwrap_or(&240),
            *[960_i64, 2_400, 4_800]
                .choose(&mut random)
                .unwrap_or(&2_400),
        )?;
        let service = scoped
            .create_service(ServiceDefinition {
                provider_department_id: provider,
                consumer_department_ids: consumers.clone(),
                segment_ids: Vec::new(),
                name: Label::parse(&format!("Service {:03}", index + 1))?,
                description: "Generated for the benchmark.".to_owned(),
                definition_of_good: String::new(),
                owner_person_id: None,
                targets,
                priority_targets: BTreeMap::new(),
                intake_fields: Vec::new(),
                volume: None,
                check_sampling_rate: 0.3,
                reopen_on_not_met: true,
                active: true,
            })
            .await
            .context("creating a service")?;
        services.push(ServicePlan {
            id: service.id,
            provider,
            consumers,
            targets,
        });
    }

    progress(0);
    let now = Timestamp::now();
    let span = SignedDuration::from_hours(24 * scale.days);
    let start = now.checked_sub(span)?;
    let span_seconds = span.as_secs().max(1);
    let check_share = scale.answered_checks as f64 / (scale.requests.max(1) as f64 * 0.95);
    let mut written = 0;
    let mut answered_checks = 0;
    let mut open_by_provider: HashMap<DepartmentId, usize> = HashMap::new();
    while written < scale.requests {
        let count = REQUESTS_PER_TRANSACTION.min(scale.requests - written);
        let mut batch = Vec::with_capacity(count);
        for offset in 0..count {
            // Spread evenly over the span, oldest first, with a little jitter.
            let position = (written + offset) as i64 * span_seconds / scale.requests as i64;
            let jitter = random.random_range(0..60);
            let created_at = start.checked_add(SignedDuration::from_secs(position + jitter))?;
            let request = draw_request(
                &mut random,
                &services,
                &members,
                created_at,
                now,
                check_share.min(1.0),
            );
            if let Some(request) = request {
                if request.resolved_at.is_none() {
                    *open_by_provider
                        .entry(request.provider_department_id)
                        .or_default() += 1;
                }
                if request.check.is_some() {
                    answered_checks += 1;
                }
                batch.push(request);
            }
        }
        written += count;
        scoped.bulk_load_requests(batch).await?;
        progress(written);
    }
    let pulse_responses =
        generate_pulses(&scoped, scale, &services, &members, &mut random, now).await?;
    let (queue_department, queue_open_requests) = open_by_provider
        .into_iter()
        .max_by_key(|(department, open)| (*open, std::cmp::Reverse(department.0)))
        .unwrap_or((departments[0], 0));
    Ok(Generated {
        organization_id: organization.id.0,
        queue_department_id: queue_department.0,
        queue_open_requests,
        service_id: services.first().map_or(0, |service| service.id),
        requests: written,
        answered_checks,
        pulse_responses,
    })
}

/// Closed pulse rounds, one a quarter going back from last month, over every
/// cell with a service: a sample of the consumer's people answer (expectation,
/// perception, importance) and of the provider's (the mirror), through the
/// store's own answer path. Returns how many answers were recorded.
async fn generate_pulses(
    scoped: &roundtable_store::Scoped<'_>,
    scale: &Scale,
    services: &[ServicePlan],
    members: &HashMap<DepartmentId, Vec<PersonId>>,
    random: &mut ChaCha8Rng,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let mut cells: Vec<(DepartmentId, DepartmentId)> = services
        .iter()
        .flat_map(|service| {
            service
                .consumers
                .iter()
                .map(move |consumer| (service.provider, *consumer))
        })
        .collect();
    cells.sort();
    cells.dedup();
    // A pulse asks about agreed cells: each cell's services are agreed first.
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    for (provider, consumer) in &cells {
        let service_ids: Vec<i64> = services
            .iter()
            .filter(|service| service.provider == *provider && service.consumers.contains(consumer))
            .map(|service| service.id)
            .collect();
        let first_of = |department: &DepartmentId| {
            members
                .get(department)
                .and_then(|people| people.first().copied())
                .context("every department has people")
        };
        let (provider_person, consumer_person) = (first_of(provider)?, first_of(consumer)?);
        let agreement = scoped
            .create_agreement(NewAgreement {
                provider_department_id: *provider,
                consumer_department_id: *consumer,
                review_cadence: ReviewCadence::Quarterly,
                service_ids,
                obligations: Vec::new(),
                notes: String::new(),
            })
            .await
            .context("creating an agreement")?;
        scoped
            .propose_agreement(agreement.id, provider_person, None)
            .await?;
        for (person, side) in [
            (provider_person, Side::Provider),
            (consumer_person, Side::Consumer),
        ] {
            scoped
                .accept_agreement(agreement.id, person, vec![side], today, None)
                .await
                .context("accepting an agreement")?;
        }
    }
    let ratings = |random: &mut ChaCha8Rng, centre: i64| -> [i64; 5] {
        std::array::from_fn(|_| (centre + random.random_range(-1..=1)).clamp(1, 7))
    };
    let mut responses = 0;
    for round in 0..scale.pulse_rounds {
        let closes_at =
            now.checked_sub(SignedDuration::from_hours(24 * (30 + 91 * round as i64)))?;
        let opens_at = closes_at.checked_sub(SignedDuration::from_hours(24 * 21))?;
        let created = scoped
            .create_pulse_round(NewPulseRound {
                name: format!("Generated pulse {}", scale.pulse_rounds - round),
                opens_at,
                closes_at,
                cells: Some(cells.clone()),
            })
            .await
            .context("creating a pulse round")?;
        let at = opens_at.checked_add(SignedDuration::from_hours(24))?;
        for (provider, consumer) in &cells {
            for (side, department) in [(true, consumer), (false, provider)] {
                let people = members
                    .get(department)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let sample: Vec<PersonId> = people
                    .choose_multiple(random, scale.pulse_respondents_per_side)
                    .copied()
                    .collect();
                for person in &sample {
                    let centre = random.random_range(3..=6);
                    let perception = ratings(random, centre);
                    let answer = PulseAnswer {
                        provider: *provider,
                        consumer: *consumer,
                        expectation: side.then(|| ratings(random, 6)),
                        perception,
                        importance: side.then_some([30, 20, 20, 15, 15]),
                        comment: String::new(),
                    };
                    match scoped
                        .respond_to_pulse(created.id, *person, answer, at)
                        .await
                    {
                        Ok(()) => responses += 1,
                        // A person in both departments' samples answers once.
                        Err(roundtable_store::StoreError::Conflict { .. }) => {}
                        Err(error) => return Err(error).context("answering a pulse"),
                    }
                }
            }
        }
    }
    Ok(responses)
}

fn draw_request(
    random: &mut ChaCha8Rng,
    services: &[ServicePlan],
    members: &HashMap<DepartmentId, Vec<PersonId>>,
    created_at: Timestamp,
    now: Timestamp,
    check_share: f64,
) -> Option<HistoricRequest> {
    let service = services.choose(random)?;
    let consumer = *service.consumers.choose(random)?;
    let requester = *members.get(&consumer)?.choose(random)?;
    let assignee = members.get(&service.provider)?.choose(random).copied();
    let priority = match random.random_range(0..100) {
        0..10 => Priority::Low,
        10..75 => Priority::Normal,
        75..95 => Priority::High,
        _ => Priority::Urgent,
    };
    let external_impact = match random.random_range(0..100) {
        0..5 => "customer_waiting",
        5..15 => "customer_affected",
        _ => "none",
    };
    let age = now.duration_since(created_at);
    // Recent requests are often still open; older ones almost all finished.
    let open_chance = if age < SignedDuration::from_hours(24 * 14) {
        0.4
    } else {
        0.002
    };
    let minutes = |low: i64, high: i64, random: &mut ChaCha8Rng| {
        SignedDuration::from_mins(random.random_range(low..high.max(low + 1)))
    };
    let responded_in = minutes(5, service.targets.first_response_minutes * 3, random);
    let first_response_at = created_at
        .checked_add(responded_in)
        .ok()
        .filter(|at| *at < now);
    let first_response_met = first_response_at.map(|_| random.random_bool(0.85));
    let (status, resolved_at, delivered_on_time, check) = if random.random_bool(open_chance)
        || first_response_at.is_none()
    {
        let status = if first_response_at.is_some() {
            Status::InProgress
        } else {
            Status::New
        };
        (status, None, None, None)
    } else {
        let resolved_in = minutes(30, service.targets.fulfilment_minutes * 3, random);
        match first_response_at.and_then(|at| at.checked_add(resolved_in).ok()) {
            Some(resolved_at) if resolved_at < now => {
                let on_time = random.random_bool(0.8);
                let closed = now.duration_since(resolved_at) > SignedDuration::from_hours(24 * 7);
                let check = random
                    .random_bool(check_share)
                    .then(|| HistoricCheck {
                        answer: match random.random_range(0..100) {
                            0..70 => CheckAnswer::Met,
                            70..90 => CheckAnswer::Partly,
                            _ => CheckAnswer::NotMet,
                        },
                        rating: Some(random.random_range(1..=5)),
                        answered_at: resolved_at
                            .checked_add(SignedDuration::from_hours(random.random_range(1..48)))
                            .unwrap_or(resolved_at),
                    })
                    .filter(|check| check.answered_at < now);
                let status = if closed {
                    Status::Closed
                } else {
                    Status::Resolved
                };
                (status, Some(resolved_at), Some(on_time), check)
            }
            _ => (Status::InProgress, None, None, None),
        }
    };
    Some(HistoricRequest {
        service_id: service.id,
        provider_department_id: service.provider,
        consumer_department_id: consumer,
        requester_person_id: requester,
        assignee_person_id: assignee,
        title: format!("Generated request from {}", created_at.strftime("%Y-%m-%d")),
        priority,
        external_impact,
        targets: service.targets,
        status,
        created_at,
        first_response_at,
        resolved_at,
        first_response_met,
        delivered_on_time,
        check,
    })
}
