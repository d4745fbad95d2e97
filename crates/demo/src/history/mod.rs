//! About ninety days of internal requests between Harbor & Pine's departments:
//! raised mostly in working hours, acknowledged, worked, sometimes held up
//! waiting on the requester, resolved (mostly on time, some late) and
//! confirmed, a few cancelled or reopened. The last days leave work open in
//! every provider's queue: new, in progress, waiting, at risk and breached.
//!
//! Everything random is drawn first, into one plan per request, from the seed
//! alone; only then are the plans laid out on the calendar relative to now.
//! So the same seed always gives the same titles, people, priorities and
//! relative times, and the history is recorded in the order it happened.

use crate::DemoError;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use roundtable_domain::ValidationErrors;
use roundtable_domain::business_time::{
    add_business_minutes, business_minutes_between, working_intervals,
};
use roundtable_domain::calendar::CalendarDefinition;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::requests::{InputQuality, Roles, Status};
use roundtable_domain::services::{FieldKind, Priority};
use roundtable_store::requests::{NewRequest, RequestChanges, Transition, TransitionDetails};
use roundtable_store::services::Service;
use roundtable_store::{Change, Scoped};
use std::collections::HashMap;

mod catalogue;
mod plan;
mod record;
mod schedule;
use catalogue::*;
use plan::*;
use record::*;
use schedule::*;

/// How many requests the ninety days hold, before the spotlight ones.
const REQUESTS: usize = 430;
/// How far back the history goes, in days.
const DAYS: i64 = 90;

/// What the history made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HistorySummary {
    pub requests: usize,
    /// Still open now (new, acknowledged, in progress or waiting).
    pub open: usize,
}

pub(crate) fn invalid(message: impl std::fmt::Display) -> DemoError {
    DemoError::Invalid(ValidationErrors::single("history", message.to_string()))
}

fn pick<T: Copy>(random: &mut ChaCha8Rng, items: &[T], fallback: T) -> T {
    items.choose(random).copied().unwrap_or(fallback)
}

/// The services the catalogue describes, with their catalogue entries.
struct Offered<'a> {
    service: &'a Service,
    catalogue: &'static Catalogue,
}

pub(crate) async fn generate(
    scoped: &Scoped<'_>,
    random: &mut ChaCha8Rng,
    now: Timestamp,
) -> Result<HistorySummary, DemoError> {
    // Everything is laid out relative to now rounded down to ten minutes, so
    // two demos made moments apart are the same.
    let anchor = Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(600))
        .map_err(invalid)?;
    let calendars = scoped.department_calendars().await?;
    let services = crate::all_services(scoped).await?;
    let offered: Vec<Offered<'_>> = services
        .iter()
        .filter(|service| service.active && calendars.contains_key(&service.provider_department_id))
        .filter_map(|service| {
            CATALOGUE
                .iter()
                .find(|entry| entry.service == service.name)
                .map(|catalogue| Offered { service, catalogue })
        })
        .collect();
    let mut people: HashMap<DepartmentId, Vec<PersonId>> = HashMap::new();
    for offer in &offered {
        for department in std::iter::once(&offer.service.provider_department_id)
            .chain(&offer.service.consumer_department_ids)
        {
            if !people.contains_key(department) {
                let listing = crate::active_people(scoped, *department).await?;
                people.insert(
                    *department,
                    listing.into_iter().map(|person| person.id).collect(),
                );
            }
        }
    }
    let total_weight: u32 = offered.iter().map(|offer| offer.catalogue.weight).sum();
    if offered.is_empty() || total_weight == 0 {
        return Ok(HistorySummary {
            requests: 0,
            open: 0,
        });
    }

    let mut plans: Vec<Plan> = Vec::with_capacity(REQUESTS + SPOTLIGHT.len());
    for _ in 0..REQUESTS {
        let mut roll = random.random_range(0..total_weight);
        let mut chosen = 0;
        for (index, offer) in offered.iter().enumerate() {
            if roll < offer.catalogue.weight {
                chosen = index;
                break;
            }
            roll -= offer.catalogue.weight;
        }
        let when = When::Day {
            days_ago: random.random_range(0..DAYS),
            fraction: random.random(),
            second: random.random_range(0..60),
            outside: random.random_bool(0.08),
            earlier: random.random_bool(0.5),
        };
        if let Some(plan) = draw_plan(random, &offered, &people, chosen, when, None) {
            plans.push(plan);
        }
    }
    for (name, low, high, stop) in SPOTLIGHT {
        let Some(index) = offered
            .iter()
            .position(|offer| offer.catalogue.service == *name)
        else {
            continue;
        };
        let when = When::Used(random.random_range(*low..*high));
        if let Some(plan) = draw_plan(random, &offered, &people, index, when, Some(*stop)) {
            plans.push(plan);
        }
    }

    // Lay the plans out in time and record them in the order they happened.
    let mut placed: Vec<(Timestamp, usize)> = Vec::with_capacity(plans.len());
    for (index, plan) in plans.iter().enumerate() {
        let Some((service, provider_calendar, requester_calendar)) =
            on_calendars(&calendars, &offered, plan)
        else {
            continue;
        };
        let created = match plan.when {
            When::Day {
                days_ago,
                fraction,
                second,
                outside,
                earlier,
            } => raised_on(
                requester_calendar,
                anchor,
                days_ago,
                fraction,
                second,
                outside,
                earlier,
            )?,
            When::Used(share) => {
                let targets = targets_of(service, plan.priority);
                started_before(
                    provider_calendar,
                    anchor,
                    (share * targets.fulfilment_minutes as f64).round() as i64,
                )?
            }
        };
        if created < anchor {
            placed.push((created, index));
        }
    }
    placed.sort_by_key(|(created, index)| (*created, *index));

    let mut summary = HistorySummary {
        requests: 0,
        open: 0,
    };
    for (created, index) in placed {
        let Some(plan) = plans.get(index) else {
            continue;
        };
        let Some((service, provider_calendar, requester_calendar)) =
            on_calendars(&calendars, &offered, plan)
        else {
            continue;
        };
        let status = record(
            scoped,
            plan,
            service,
            provider_calendar,
            requester_calendar,
            created,
            anchor,
        )
        .await?;
        summary.requests += 1;
        if status.is_open() {
            summary.open += 1;
        }
    }
    Ok(summary)
}

/// A plan's service and the calendars its times are measured on: its
/// provider's (none, and the plan is left out) and its requester's (the
/// provider's when the requester has none).
fn on_calendars<'a>(
    calendars: &'a HashMap<DepartmentId, CalendarDefinition>,
    offered: &[Offered<'a>],
    plan: &Plan,
) -> Option<(&'a Service, &'a CalendarDefinition, &'a CalendarDefinition)> {
    let service = offered.get(plan.service)?.service;
    let provider = calendars.get(&service.provider_department_id)?;
    let requester = calendars
        .get(&plan.requester_department)
        .unwrap_or(provider);
    Some((service, provider, requester))
}

fn targets_of(service: &Service, priority: Priority) -> roundtable_domain::services::Targets {
    service
        .priority_targets
        .get(&priority)
        .copied()
        .unwrap_or(service.targets)
}
