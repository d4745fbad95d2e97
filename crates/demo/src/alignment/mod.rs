//! The demo's alignment story: corporate objectives for the past and the
//! current quarter with mutual measures and their check-in history (a past
//! quarter with one objective of each status, a mutual target reached and
//! credited to every contributor), department goals (one unaligned), the
//! round table (frustrations with mirrors, an answered assumption,
//! suggestions, votes, a held session and the next one, actions, some
//! overdue), enhancements in several states, alignment reviews, and a
//! lively kudos feed over the last two months.

use crate::DemoError;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::objectives::{Category, Direction, Period, Scale};
use roundtable_domain::people::Role;
use roundtable_domain::round_table::{
    ActionStatus, AssumptionAnswer, EnhancementDecider, EnhancementStatus, TopicKind, TopicStatus,
};
use roundtable_domain::text::Label;
use roundtable_store::kudos::{LinkKind, NewKudos};
use roundtable_store::objectives::{NewCheckin, NewGoal, NewMeasure, NewObjective};
use roundtable_store::reviews::NewReview;
use roundtable_store::round_table::{
    ActionChanges, NewAction, NewEnhancement, NewSession, NewTopic, SessionChanges, TopicChanges,
};
use roundtable_store::{Change, Scoped};
use std::collections::HashMap;

mod cast;
mod objectives;
use cast::*;
use objectives::*;

/// What the alignment story made.
#[derive(Debug, Clone, Copy, Default)]
pub struct Alignment {
    pub objectives: usize,
    pub topics: usize,
    pub kudos: usize,
}

/// Title, proposing departments, the objective's index among the current
/// ones, the steps taken, and a decline's reason.
type EnhancementPlan = (
    &'static str,
    &'static [&'static str],
    usize,
    &'static [EnhancementStatus],
    Option<&'static str>,
);

/// Generates the alignment story. `now` is the demo's present.
pub async fn generate(
    scoped: &Scoped<'_>,
    led: &HashMap<&'static str, (DepartmentId, PersonId)>,
    random: &mut ChaCha8Rng,
    now: Timestamp,
) -> Result<Alignment, DemoError> {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let cast = cast(scoped, led).await?;
    let (past, current) = quarters(today)?;
    let mut summary = Alignment::default();

    // Kudos first, oldest first, so the feed's order is also its time order
    // (the recognitions written by the check-ins below are the newest).
    let services = crate::all_services(scoped).await?;
    const THANKS: [(&str, &str, &str, Option<&str>); 12] = [
        (
            "sales",
            "marketing",
            "The webinar leads were exactly what we asked for: budget, need and timing",
            Some("teamwork"),
        ),
        (
            "marketing",
            "sales",
            "Thanks for the lost-deal reasons, they changed our targeting",
            Some("candour"),
        ),
        (
            "customer-service",
            "operations",
            "You reshipped the club order the same afternoon; the coach wrote to thank us",
            Some("customer_first"),
        ),
        (
            "operations",
            "it",
            "The picking-screen photos cut our mis-picks in a week",
            Some("craft"),
        ),
        (
            "finance",
            "sales",
            "Forecast in on time and with notes, much appreciated",
            None,
        ),
        (
            "sales",
            "finance",
            "Discount approval in twenty minutes saved the Alpine Club deal",
            Some("customer_first"),
        ),
        (
            "it",
            "people-and-culture",
            "Onboarding checklist made new laptops painless",
            None,
        ),
        (
            "people-and-culture",
            "customer-service",
            "Thanks for hosting the new starters on the phones",
            Some("teamwork"),
        ),
        (
            "marketing",
            "customer-service",
            "The customer feedback digest gave us the spring campaign",
            Some("curiosity"),
        ),
        (
            "customer-service",
            "sales",
            "Thanks for calling the unhappy outfitter back yourselves",
            Some("ownership"),
        ),
        (
            "operations",
            "finance",
            "Purchase approval came before the supplier's deadline",
            None,
        ),
        (
            "executive-office",
            "operations",
            "Peak week without a single late shipment: thank you all",
            Some("ownership"),
        ),
    ];
    let start = now - SignedDuration::from_hours(24 * 60);
    let kudos_count: i64 = 36;
    for index in 0..kudos_count {
        let Some(&(from, to, message, tag)) = THANKS.get(random.random_range(0..THANKS.len()))
        else {
            continue;
        };
        let Some(giver) = cast.anyone(from, random) else {
            continue;
        };
        let to_person = random.random_bool(0.5);
        let receiver_person = if to_person {
            cast.anyone(to, random)
        } else {
            None
        };
        let link = if random.random_bool(0.3) && !services.is_empty() {
            services
                .iter()
                .find(|service| Some(service.provider_department_id) == cast.department(to))
                .map(|service| (LinkKind::Service, service.id))
        } else {
            None
        };
        let minutes = index * (60 * 24 * 60 / kudos_count) + random.random_range(0..600);
        scoped
            .give_kudos_at(
                NewKudos {
                    giver_person_id: giver,
                    receiver_person_id: receiver_person,
                    receiver_department_id: if receiver_person.is_none() || random.random_bool(0.3)
                    {
                        cast.department(to)
                    } else {
                        None
                    },
                    message: message.to_owned(),
                    link,
                    value_tag: tag.map(str::to_owned),
                },
                start + SignedDuration::from_mins(minutes),
            )
            .await?;
        summary.kudos += 1;
    }

    // Objectives, past then current, with measures and check-ins.
    let mut current_objectives = Vec::new();
    for plan in PAST {
        objective(scoped, &cast, random, past, plan, today).await?;
        summary.objectives += 1;
    }
    for plan in CURRENT {
        current_objectives.push(objective(scoped, &cast, random, current, plan, today).await?);
        summary.objectives += 1;
    }

    // Department goals: most serve an objective, one serves none.
    let goals = [
        ("marketing", Some(0), "Launch the bring-a-friend campaign"),
        ("sales", Some(2), "Reorder reminders for every club account"),
        ("it", Some(1), "Service targets on the whole IT catalogue"),
        ("finance", Some(1), "Approvals within one business day"),
        ("people-and-culture", None, "Redecorate the break room"),
    ];
    for (slug, objective, title) in goals {
        if let Some(department) = cast.department(slug) {
            scoped
                .create_goal(NewGoal {
                    department_id: department,
                    objective_id: objective
                        .and_then(|index| current_objectives.get(index).copied()),
                    period: current,
                    title: Label::parse(title)?,
                    description: String::new(),
                })
                .await?;
        }
    }

    // The round table.
    struct TopicPlan {
        kind: TopicKind,
        from: &'static str,
        about: Option<&'static str>,
        title: &'static str,
        body: &'static str,
        mirror: Option<&'static str>,
        anonymous: bool,
        votes: usize,
    }
    let topics = [
        TopicPlan {
            kind: TopicKind::Frustration,
            from: "sales",
            about: Some("marketing"),
            title: "Trade-show leads arrive weeks late",
            body: "By the time we call, the buyer has ordered elsewhere.",
            mirror: Some(
                "We never told marketing that a lead older than a week is worth half; we could share our follow-up data weekly.",
            ),
            anonymous: false,
            votes: 9,
        },
        TopicPlan {
            kind: TopicKind::Frustration,
            from: "customer-service",
            about: Some("operations"),
            title: "We learn about delays from the customer",
            body: "Customers call before we know their order is stuck.",
            mirror: Some(
                "We could tell operations which orders customers are asking about, so they know what matters most.",
            ),
            anonymous: false,
            votes: 7,
        },
        TopicPlan {
            kind: TopicKind::Frustration,
            from: "operations",
            about: Some("finance"),
            title: "Purchase approvals stall at month end",
            body: "Suppliers' deadlines do not move for our close.",
            mirror: Some(
                "We could send our purchase plan a week ahead instead of at the last minute.",
            ),
            anonymous: true,
            votes: 5,
        },
        TopicPlan {
            kind: TopicKind::Assumption,
            from: "marketing",
            about: Some("sales"),
            title: "Sales ignores leads under a thousand euros",
            body: "That is what the follow-up numbers suggest.",
            mirror: None,
            anonymous: false,
            votes: 4,
        },
        TopicPlan {
            kind: TopicKind::Assumption,
            from: "it",
            about: Some("customer-service"),
            title: "Customer service wants a new ticketing system",
            body: "We hear it in every hallway.",
            mirror: None,
            anonymous: false,
            votes: 2,
        },
        TopicPlan {
            kind: TopicKind::Suggestion,
            from: "people-and-culture",
            about: None,
            title: "Swap a day: spend a day in another department",
            body: "Everyone once a year, starting with leads.",
            mirror: None,
            anonymous: false,
            votes: 8,
        },
        TopicPlan {
            kind: TopicKind::Suggestion,
            from: "finance",
            about: Some("sales"),
            title: "One discount table for all reps",
            body: "Fewer approvals, faster quotes.",
            mirror: None,
            anonymous: false,
            votes: 3,
        },
        TopicPlan {
            kind: TopicKind::Frustration,
            from: "it",
            about: None,
            title: "Urgent means everything",
            body: "Half of all IT requests are marked urgent.",
            mirror: Some(
                "We could publish what urgent means for us and answer those first, visibly.",
            ),
            anonymous: true,
            votes: 6,
        },
    ];
    let everyone: Vec<PersonId> = cast
        .staff
        .values()
        .flat_map(|staff| staff.lead.into_iter().chain(staff.members.iter().copied()))
        .collect();
    let mut everyone = everyone;
    everyone.sort();
    let mut topic_ids = Vec::new();
    for plan in &topics {
        let (Some(from), Some(author)) =
            (cast.department(plan.from), cast.anyone(plan.from, random))
        else {
            continue;
        };
        let topic = scoped
            .create_topic(NewTopic {
                kind: plan.kind,
                title: Label::parse(plan.title)?,
                body: plan.body.to_owned(),
                mirror: plan.mirror.map(str::to_owned),
                from_department_id: from,
                about_department_id: plan.about.and_then(|slug| cast.department(slug)),
                author_person_id: (!plan.anonymous).then_some(author),
                service_id: None,
                request_ids: Vec::new(),
            })
            .await?;
        for voter in everyone
            .iter()
            .skip(random.random_range(0..4))
            .step_by(3)
            .take(plan.votes)
        {
            scoped.vote_for_topic(topic.id, *voter).await?;
        }
        topic_ids.push(topic.id);
        summary.topics += 1;
    }
    // Sales answers marketing's assumption: corrected.
    if let (Some(topic), Some(lead)) = (topic_ids.get(3), cast.lead("sales")) {
        scoped
            .by(lead)
            .answer_topic(*topic, AssumptionAnswer::Corrected, "We call every qualified lead; small ones go to sales development first, which the report did not show.".to_owned())
            .await?;
    }

    // A session held two weeks ago on the top topics, and the next one.
    let held_at = now - SignedDuration::from_hours(24 * 14);
    let facilitator = cast.lead("customer-service");
    let held = scoped
        .create_round_table_session(NewSession {
            scheduled_at: held_at,
            facilitator_person_id: facilitator,
            topic_ids: Some(topic_ids.iter().take(3).copied().collect()),
            agenda_size: 3,
            notes: "Sales and marketing agreed to look at lead age together; operations will share stuck orders daily.".to_owned(),
        })
        .await?;
    scoped
        .update_round_table_session(
            held.id,
            SessionChanges {
                outcomes: Change::Set(
                    "Two actions agreed; the trade-show topic moves to action planned.".to_owned(),
                ),
                ..SessionChanges::default()
            },
            held.version,
        )
        .await?;
    for (index, status) in [TopicStatus::Discussed, TopicStatus::Discussed]
        .iter()
        .enumerate()
    {
        if let Some(id) = topic_ids.get(index) {
            let topic = scoped.topic(*id).await?;
            let moved = scoped
                .update_topic(
                    *id,
                    TopicChanges {
                        status: Change::Set(*status),
                        ..TopicChanges::default()
                    },
                    topic.version,
                )
                .await?;
            if index == 0 {
                scoped
                    .update_topic(
                        *id,
                        TopicChanges {
                            status: Change::Set(TopicStatus::ActionPlanned),
                            ..TopicChanges::default()
                        },
                        moved.version,
                    )
                    .await?;
            }
        }
    }
    scoped
        .create_round_table_session(NewSession {
            scheduled_at: now + SignedDuration::from_hours(24 * 14),
            facilitator_person_id: None,
            topic_ids: None,
            agenda_size: 5,
            notes: String::new(),
        })
        .await?;

    let actions = [
        (
            "Share lead age with marketing every Monday",
            "sales",
            -10,
            Some(ActionStatus::Done),
            Some(0),
        ),
        (
            "Daily list of stuck orders to customer service",
            "operations",
            -3,
            None,
            Some(1),
        ),
        (
            "Agree what a stale lead is",
            "marketing",
            -1,
            Some(ActionStatus::InProgress),
            Some(0),
        ),
        ("Publish what urgent means for IT", "it", 12, None, Some(7)),
        (
            "Pilot swap-a-day with two departments",
            "people-and-culture",
            30,
            None,
            Some(5),
        ),
    ];
    for (title, owner, due_in_days, status, topic) in actions {
        let Some(owner) = cast.lead(owner) else {
            continue;
        };
        let action = scoped
            .create_action(NewAction {
                title: Label::parse(title)?,
                owner_person_id: owner,
                due_on: today.checked_add(due_in_days.days()).unwrap_or(today),
                topic_id: topic.and_then(|index| topic_ids.get(index).copied()),
                session_id: Some(held.id),
                review_id: None,
            })
            .await?;
        if let Some(status) = status {
            scoped
                .update_action(
                    action.id,
                    ActionChanges {
                        status: Change::Set(status),
                        ..ActionChanges::default()
                    },
                    action.version,
                    today,
                )
                .await?;
        }
    }

    // Enhancements in several states.
    let enhancements: [EnhancementPlan; 5] = [
        (
            "One shared lead form for marketing and sales",
            &["marketing", "sales"],
            0,
            &[EnhancementStatus::Sponsored, EnhancementStatus::InProgress],
            None,
        ),
        (
            "Order status visible to customer service",
            &["customer-service", "operations", "it"],
            0,
            &[
                EnhancementStatus::Sponsored,
                EnhancementStatus::InProgress,
                EnhancementStatus::Delivered,
            ],
            None,
        ),
        (
            "Pre-approved discount bands",
            &["finance", "sales"],
            2,
            &[EnhancementStatus::Sponsored],
            None,
        ),
        ("Club reorder portal", &["sales", "it"], 2, &[], None),
        (
            "Shared on-call rota for peak week",
            &["operations", "it", "customer-service"],
            1,
            &[EnhancementStatus::Declined],
            Some("Peak staffing is covered by the new seasonal contracts this year"),
        ),
    ];
    for (title, slugs, objective_index, steps, reason) in enhancements {
        let departments: Vec<DepartmentId> = slugs
            .iter()
            .filter_map(|slug| cast.department(slug))
            .collect();
        let (Some(objective), Some(proposer)) = (
            current_objectives.get(objective_index).copied(),
            slugs.first().and_then(|slug| cast.lead(slug)),
        ) else {
            continue;
        };
        let enhancement = scoped
            .by(proposer)
            .create_enhancement(NewEnhancement {
                objective_id: objective,
                title: Label::parse(title)?,
                description: String::new(),
                department_ids: departments,
            })
            .await?;
        // The other proposing departments confirm (the reorder portal still
        // waits for one), then the executive decides and the proposer works.
        if !steps.is_empty() {
            for slug in slugs.iter().skip(1) {
                if let (Some(department), Some(lead)) = (cast.department(slug), cast.lead(slug))
                    && enhancement.awaiting_confirmation().contains(&department)
                {
                    scoped
                        .by(lead)
                        .confirm_enhancement(enhancement.id, vec![department])
                        .await?;
                }
            }
        }
        for step in steps {
            let actor = match EnhancementStatus::decided_by(*step) {
                EnhancementDecider::Executive => cast.executive.unwrap_or(proposer),
                EnhancementDecider::ProposingLead => proposer,
            };
            scoped
                .by(actor)
                .advance_enhancement(enhancement.id, *step, reason.map(str::to_owned), None)
                .await?;
        }
    }

    // Alignment reviews: the past quarter's, held, and the current one's.
    let past_review = scoped
        .create_review(NewReview {
            period: past,
            held_on: past.end().checked_add(5.days()).ok(),
            decisions: vec![
                "Keep the lead conversion measure shared by marketing and sales".to_owned(),
                "Win-back of lapsed outfitters moves to the clubs and schools objective".to_owned(),
            ],
        })
        .await?;
    if let Some(owner) = cast.lead("finance") {
        scoped
            .create_action(NewAction {
                title: Label::parse("Returning-customer discount approved in a day")?,
                owner_person_id: owner,
                due_on: today.checked_sub(5.days()).unwrap_or(today),
                topic_id: None,
                session_id: None,
                review_id: Some(past_review.id),
            })
            .await?;
    }
    scoped
        .create_review(NewReview {
            period: current,
            held_on: None,
            decisions: Vec::new(),
        })
        .await?;
    Ok(summary)
}
