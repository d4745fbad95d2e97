//! One plan per request, drawn from the seed alone before anything is placed
//! on the calendar, so the same seed always gives the same requests.

use super::*;
use roundtable_domain::clocks::ExternalImpact;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stop {
    New,
    Acknowledged,
    InProgress,
    Waiting,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Side {
    Provider,
    Requester,
}

/// When a request was raised.
#[derive(Debug, Clone, Copy)]
pub(super) enum When {
    /// On a day `days_ago` before today (the requester's today), at `fraction`
    /// of its working time, or out of hours.
    Day {
        days_ago: i64,
        fraction: f64,
        second: i64,
        outside: bool,
        earlier: bool,
    },
    /// So long ago that this share of the fulfilment target is used by now.
    Used(f64),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Wait {
    /// Where the wait falls in the work, as a share.
    pub(super) split: f64,
    /// How long the requester takes to answer, in their business minutes.
    pub(super) answer_minutes: i64,
    pub(super) question: &'static str,
    pub(super) answer: &'static str,
}

#[derive(Debug, Clone)]
pub(super) enum Outcome {
    Resolved {
        quality: InputQuality,
        quality_note: Option<String>,
        note: &'static str,
        /// Requester's business minutes until closing, and the note.
        close: Option<(i64, &'static str)>,
        /// Requester's business minutes until reopening, the extra work as a
        /// share of the target, and the note.
        reopen: Option<(i64, f64, &'static str)>,
    },
    Cancelled {
        after_start: bool,
        by_provider: bool,
        minutes: i64,
        note: &'static str,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Flow {
    pub(super) acknowledge: bool,
    /// Resolved straight away, as the first response.
    pub(super) quick: bool,
    /// Time to the first response, as a share of its target.
    pub(super) response: f64,
    /// Time from acknowledging to starting, as a share of the fulfilment target.
    pub(super) start: f64,
    /// Business time used in all, as a share of the fulfilment target.
    pub(super) work: f64,
    pub(super) wait: Option<Wait>,
    pub(super) update: Option<(i64, &'static str)>,
    pub(super) internal: Option<(i64, &'static str)>,
    pub(super) outcome: Outcome,
    pub(super) stop: Option<Stop>,
}

#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) service: usize,
    pub(super) title: String,
    pub(super) description: String,
    /// One draw per intake field, and whether an optional one is answered.
    pub(super) answers: Vec<(u32, bool)>,
    pub(super) account: &'static str,
    pub(super) order: String,
    pub(super) campaign: &'static str,
    pub(super) discount: u32,
    pub(super) priority: Priority,
    pub(super) impact: ExternalImpact,
    pub(super) reference: Option<String>,
    pub(super) segment: Option<i64>,
    pub(super) requester: PersonId,
    pub(super) requester_department: DepartmentId,
    pub(super) handler: PersonId,
    pub(super) when: When,
    pub(super) flow: Flow,
}

pub(super) enum Step {
    Move {
        to: Status,
        by: Side,
        note: String,
        quality: Option<(InputQuality, Option<String>)>,
    },
    Comment {
        by: Side,
        body: String,
        internal: bool,
        /// Dropped unless it falls before the next step.
        optional: bool,
    },
}

/// Draws everything random about one request.
pub(super) fn draw_plan(
    random: &mut ChaCha8Rng,
    offered: &[Offered<'_>],
    people: &HashMap<DepartmentId, Vec<PersonId>>,
    index: usize,
    when: When,
    forced_stop: Option<Stop>,
) -> Option<Plan> {
    let offer = offered.get(index)?;
    let (service, catalogue) = (offer.service, offer.catalogue);
    let account = pick(random, ACCOUNTS, "Summit Sports");
    let order = format!("ORD-{}", random.random_range(40_000..60_000));
    let campaign = pick(random, CAMPAIGNS, "spring newsletter");
    let discount = random.random_range(3..=7) * 5;
    let title = pick(random, catalogue.titles, catalogue.service)
        .replace("{account}", account)
        .replace("{order}", &order)
        .replace("{campaign}", campaign)
        .replace("{discount}", &discount.to_string());
    let mut description = pick(random, catalogue.details, "").to_owned();
    let answers = service
        .intake_fields
        .iter()
        .map(|_| (random.random_range(0..1_000_000), random.random_bool(0.7)))
        .collect();

    let priority_roll = random.random_range(0..100);
    let mut priority = match priority_roll {
        0..70 => Priority::Normal,
        70..85 => Priority::High,
        85..94 => Priority::Low,
        _ => Priority::Urgent,
    };
    if priority == Priority::Urgent && !service.priority_targets.contains_key(&Priority::Urgent) {
        priority = Priority::High;
    }
    let impacted = random.random_bool(catalogue.impact);
    let waiting_customer = random.random_bool(0.4);
    let impact = match (impacted, waiting_customer) {
        (false, _) => ExternalImpact::None,
        (true, true) => ExternalImpact::CustomerWaiting,
        (true, false) => ExternalImpact::CustomerAffected,
    };
    let case = random.random_range(1_000..3_000);
    let quote = random.random_range(2_000..4_000);
    let reference = match catalogue.reference {
        Reference::Order => Some(order.clone()),
        Reference::Case if impacted => Some(format!("CASE-{case}")),
        Reference::Quote if impacted => Some(format!("Q-{quote}")),
        _ => None,
    };
    if impacted {
        description.push_str(if waiting_customer {
            " The customer is waiting on us."
        } else {
            " A customer is affected."
        });
    }
    let segment = if impacted {
        service.segment_ids.choose(random).copied()
    } else {
        None
    };
    let consumer = *service.consumer_department_ids.choose(random)?;
    let requester = *people.get(&consumer)?.choose(random)?;
    let handler = *people
        .get(&service.provider_department_id)?
        .choose(random)?;

    let mut flow = draw_flow(random, catalogue);
    match when {
        When::Day { days_ago, .. } => {
            // The last days leave some work open.
            let open_share = match days_ago {
                0..=1 => 0.55,
                2..=4 => 0.3,
                5..=10 => 0.12,
                _ => 0.0,
            };
            let open = random.random_bool(open_share);
            let stop = match random.random_range(0..100) {
                _ if !open => None,
                roll if days_ago <= 1 && roll < 35 => Some(Stop::New),
                roll if roll < 12 => Some(Stop::New),
                roll if roll < 35 => Some(Stop::Acknowledged),
                roll if roll < 75 => Some(Stop::InProgress),
                _ => Some(Stop::Waiting),
            };
            if stop.is_some() {
                flow.stop = stop;
            }
        }
        When::Used(_) => {
            flow.stop = forced_stop;
            flow.acknowledge = true;
            if priority == Priority::Urgent {
                // Spotlight clocks are read against the ordinary targets.
                priority = Priority::High;
            }
        }
    }
    if flow.stop.is_some() {
        // Work left open now was not cancelled.
        if let Outcome::Cancelled { note, .. } = flow.outcome {
            flow.outcome = Outcome::Resolved {
                quality: InputQuality::Complete,
                quality_note: None,
                note,
                close: None,
                reopen: None,
            };
        }
    }
    if flow.stop == Some(Stop::Acknowledged) {
        flow.acknowledge = true;
    }
    if flow.stop == Some(Stop::Waiting) && flow.wait.is_none() {
        flow.wait = Some(draw_wait(random, catalogue));
    }
    Some(Plan {
        service: index,
        title,
        description,
        answers,
        account,
        order,
        campaign,
        discount,
        priority,
        impact,
        reference,
        segment,
        requester,
        requester_department: consumer,
        handler,
        when,
        flow,
    })
}

pub(super) fn draw_wait(random: &mut ChaCha8Rng, catalogue: &Catalogue) -> Wait {
    Wait {
        split: random.random_range(0.2..0.6),
        answer_minutes: random.random_range(20..1_200),
        question: pick(
            random,
            catalogue.questions,
            "Could you add a little more detail?",
        ),
        answer: pick(random, ANSWERS, "Done."),
    }
}

/// Services whose provider is stretched thin: Operations fixes delivery
/// exceptions late more often than not, so the matrix has a cell at risk.
pub(super) const STRETCHED: &[&str] = &["Delivery exception fixes"];

pub(super) fn draw_flow(random: &mut ChaCha8Rng, catalogue: &Catalogue) -> Flow {
    let (prompt_share, on_time_share) = if STRETCHED.contains(&catalogue.service) {
        (0.45, 0.35)
    } else {
        (0.88, 0.85)
    };
    let acknowledge = random.random_bool(0.25);
    let quick = random.random_bool(0.2);
    let response = if random.random_bool(prompt_share) {
        random.random_range(0.05..0.9)
    } else {
        random.random_range(1.1..3.0)
    };
    let start = random.random_range(0.02..0.15);
    let work = if random.random_bool(on_time_share) {
        random.random_range(0.25..0.95)
    } else {
        random.random_range(1.05..2.2)
    };
    let wait = random
        .random_bool(0.12)
        .then(|| draw_wait(random, catalogue));
    let update = random
        .random_bool(0.12)
        .then(|| (random.random_range(5..45), pick(random, UPDATES, "On it.")));
    let internal = random.random_bool(0.07).then(|| {
        (
            random.random_range(50..120),
            pick(random, INTERNAL_NOTES, "Noted."),
        )
    });
    let outcome = if random.random_bool(0.06) {
        Outcome::Cancelled {
            after_start: random.random_bool(0.5),
            by_provider: random.random_bool(0.3),
            minutes: random.random_range(10..600),
            note: pick(random, CANCEL_NOTES, "No longer needed."),
        }
    } else {
        let quality = match random.random_range(0..100) {
            0..76 => InputQuality::Complete,
            76..93 => InputQuality::Partial,
            _ => InputQuality::Poor,
        };
        let quality_note = pick(random, QUALITY_NOTES, "Details were missing.");
        let note = pick(random, catalogue.resolutions, "Done.");
        let close = random.random_bool(0.95).then(|| {
            (
                random.random_range(10..1_500),
                pick(random, CLOSE_NOTES, ""),
            )
        });
        let reopen = random.random_bool(0.04).then(|| {
            (
                random.random_range(30..900),
                random.random_range(0.1..0.4),
                pick(random, REOPEN_NOTES, "Still happening."),
            )
        });
        Outcome::Resolved {
            quality,
            quality_note: (quality != InputQuality::Complete).then(|| quality_note.to_owned()),
            note,
            close,
            reopen,
        }
    };
    Flow {
        acknowledge,
        quick,
        response,
        start,
        work,
        wait,
        update,
        internal,
        outcome,
        stop: None,
    }
}
