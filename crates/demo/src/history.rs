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
use roundtable_store::people::PeopleFilter;
use roundtable_store::requests::{NewRequest, RequestChanges, Transition, TransitionDetails};
use roundtable_store::services::{Service, ServiceFilter};
use roundtable_store::{Change, PageRequest, Scoped};
use std::collections::HashMap;

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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Reference {
    Order,
    Case,
    Quote,
    None,
}

/// What requests for one service look like.
struct Catalogue {
    service: &'static str,
    /// Relative volume.
    weight: u32,
    /// `{account}`, `{order}`, `{campaign}` and `{discount}` are filled in.
    titles: &'static [&'static str],
    details: &'static [&'static str],
    questions: &'static [&'static str],
    resolutions: &'static [&'static str],
    reference: Reference,
    /// The share of requests with an external customer affected or waiting.
    impact: f64,
}

const CATALOGUE: &[Catalogue] = &[
    Catalogue {
        service: "IT support",
        weight: 24,
        titles: &[
            "Laptop will not boot",
            "Cannot log in to the CRM",
            "Outlook keeps asking for my password",
            "VPN drops every few minutes",
            "Need access to the shared finance drive",
            "New starter needs a laptop and accounts",
            "Printer on the second floor is jammed",
            "Web shop back office is very slow",
            "Locked out after a password reset",
            "Headset not recognised on calls",
            "Second monitor for the new desk",
            "Video calls keep freezing",
            "Spam getting through to the sales inbox",
            "Excel crashes when opening the forecast",
            "Cannot export reports from the CRM",
            "Laptop battery swelling",
            "Access to the returns dashboard",
            "Two-factor app on a new phone",
            "Shared calendar not syncing",
            "Wi-Fi in the meeting room keeps dropping",
        ],
        details: &[
            "Started this morning; restarting did not help.",
            "Happens several times a day and I lose my work each time.",
            "Needed before Monday's customer calls.",
            "Two of us in the team have the same problem.",
            "Error message says the account is disabled.",
        ],
        questions: &[
            "Could you send a screenshot of the error message?",
            "Does it happen on the office network, at home, or both?",
            "Which laptop is it (the asset tag on the bottom)?",
        ],
        resolutions: &[
            "Fixed: the account was locked by the old password on the phone. Updated it with you.",
            "Replaced the laptop; your files were restored from the backup.",
            "Access granted; it may take ten minutes to appear.",
            "Updated the driver and the problem has not come back in testing.",
        ],
        reference: Reference::Case,
        impact: 0.06,
    },
    Catalogue {
        service: "Qualified leads",
        weight: 15,
        titles: &[
            "Leads from the Leeds trade show",
            "Web shop trade enquiries this week",
            "Climbing club leads from the spring newsletter",
            "Retailer leads from the Munich outdoor fair",
            "School trip organisers from the webinar",
            "Leads from the Boston outdoor expo",
            "Trade enquiries from the new catalogue",
            "Scout group leads from the summer campaign",
            "Sign-ups from the wholesale landing page",
            "Leads from the Dublin buyer day",
            "Partner referrals for the quarter",
            "Lapsed retailers who re-engaged",
            "Leads from the Kendal mountain festival",
            "Bulk-order enquiries from universities",
        ],
        details: &[
            "Please qualify and hand over the ones that meet the agreed definition.",
            "Contact details checked; several asked for a call this week.",
            "Mostly independents with 5 to 20 stores.",
            "Two of them mentioned competitors' prices.",
        ],
        questions: &[
            "Which of these have a named buyer? Half are missing one.",
            "Can you confirm the store counts before we call?",
        ],
        resolutions: &[
            "Qualified and handed over with their history in the CRM.",
            "Handed over the ones that meet the definition; the rest are in nurture.",
            "Done: buyers verified and calls booked for the account executives.",
        ],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Escalated fulfilment issues",
        weight: 12,
        titles: &[
            "Customer chasing order {order} stuck at the depot",
            "Wrong size tent delivered on {order}",
            "Parcel marked delivered but not received",
            "Order {order} split across two deliveries",
            "Missing tent poles in delivery",
            "Sleeping bags damaged on arrival",
            "Express order delivered two days late",
            "Order {order} held at customs",
            "Club order short by six jackets",
            "Customer waiting on replacement boots",
            "Return label never arrived",
            "Delivery sent to an old address",
        ],
        details: &[
            "The customer has called twice and needs it before their trip.",
            "Promised delivery date has passed; carrier tracking has not moved.",
            "Customer is calm but wants a date today.",
            "This is a repeat customer with a large club order.",
        ],
        questions: &[
            "What delivery date did the customer get at checkout?",
            "Has the customer already been refunded for shipping?",
        ],
        resolutions: &[
            "Called the customer with the new delivery date and a voucher.",
            "Customer updated; the replacement is on its way.",
            "Resolved with the carrier; the customer has confirmed receipt.",
        ],
        reference: Reference::Order,
        impact: 0.6,
    },
    Catalogue {
        service: "Delivery exception fixes",
        weight: 12,
        titles: &[
            "Re-ship lost parcel for {order}",
            "Carrier claim for a crushed box",
            "Swap out-of-stock stove for the new model",
            "Redirect parcel to the customer's office",
            "Replacement for a faulty head torch",
            "Courier returned {order} to sender",
            "Stock swap for a discontinued colour",
            "Re-ship after three failed delivery attempts",
            "Claim for a water-damaged order",
            "Urgent re-ship before an expedition date",
            "Address correction for a school order",
            "Partial shipment: send the rest of {order}",
        ],
        details: &[
            "Customer needs it by Friday; happy with a substitute colour.",
            "Photos of the damage are in the case notes.",
            "The carrier says the address is incomplete.",
            "Second time this order has gone wrong.",
        ],
        questions: &[
            "Is the customer happy with the substitute, or do they want a refund?",
            "Can you get the customer's phone number for the courier?",
        ],
        resolutions: &[
            "Re-shipped by express; new delivery date sent to customer service.",
            "Claim filed with the carrier and a replacement dispatched today.",
            "Substitute shipped; the customer confirmed the change.",
        ],
        reference: Reference::Order,
        impact: 0.6,
    },
    Catalogue {
        service: "Quote and discount approvals",
        weight: 11,
        titles: &[
            "{discount}% discount for {account} reorder",
            "Extended payment terms for {account}",
            "Bulk pricing for {account}",
            "Volume discount for {account}",
            "Free shipping on a club order for {account}",
            "Counter-offer for {account}",
            "Price match request from {account}",
            "Early-season discount for {account}",
            "60-day terms for a new retailer",
            "Quote for 40 tents for a scout jamboree",
            "Discount on the discontinued range",
            "Multi-season deal for {account}",
        ],
        details: &[
            "Competitor has offered better terms; the buyer decides this week.",
            "Order size is about twice last season's.",
            "Margin stays above the floor at this discount.",
            "Customer's deadline is the end of the week.",
        ],
        questions: &[
            "What margin does this leave after shipping?",
            "What volume is the customer committing to?",
        ],
        resolutions: &[
            "Approved as asked.",
            "Approved with 30-day terms instead of 60.",
            "Counter-offer: a smaller discount in exchange for a season commitment.",
            "Declined: below the margin floor. Suggested free shipping instead.",
        ],
        reference: Reference::Quote,
        impact: 0.3,
    },
    Catalogue {
        service: "Lead feedback",
        weight: 4,
        titles: &[
            "Outcome of the {campaign} leads",
            "Why were the trade show leads rejected?",
            "Feedback on the webinar leads",
            "Status of the spring newsletter leads",
        ],
        details: &["We need outcomes for the campaign review on Thursday."],
        questions: &["Which batch do you mean, the first or the second upload?"],
        resolutions: &[
            "Outcomes recorded for every lead, with reasons for the rejected ones.",
            "Done: most were too small; see the reasons in the CRM.",
        ],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Campaign performance data",
        weight: 2,
        titles: &[
            "Campaign figures for the monthly close",
            "Spend reconciliation for paid social",
            "Attributed revenue for the spring campaign",
        ],
        details: &["Needed for the close by the third working day."],
        questions: &["Which cost centres should the extract cover?"],
        resolutions: &["Figures sent; they reconcile with the ledger."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Process improvements",
        weight: 3,
        titles: &[
            "Next-day delivery for key accounts",
            "Faster returns for mid-market retailers",
            "Split deliveries for multi-store orders",
            "Show stock levels to trade customers",
            "Pre-season reservation process",
        ],
        details: &["Two accounts have asked for this in their reviews."],
        questions: &["How many orders a week would this affect?"],
        resolutions: &[
            "Agreed: starts next month, announced to the accounts.",
            "Not now: the carrier contract does not allow it. Revisit in the autumn.",
        ],
        reference: Reference::None,
        impact: 0.1,
    },
    Catalogue {
        service: "Customer feedback digest",
        weight: 2,
        titles: &[
            "Feedback digest for the new tent range",
            "What customers say about delivery times",
            "Fortnightly feedback digest",
            "Complaints about rain jacket sizing",
        ],
        details: &["For the product review meeting."],
        questions: &["Do you want the verbatims grouped by segment?"],
        resolutions: &["Digest shared: themes, counts and examples."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Account handover",
        weight: 3,
        titles: &[
            "Handover: {account}",
            "New account {account}: first orders",
            "Handover notes for {account}",
        ],
        details: &["Signed last week; first order expected soon."],
        questions: &["Who is the buyer's backup contact?"],
        resolutions: &["Handover done: terms, contacts and sensitivities are in the CRM."],
        reference: Reference::None,
        impact: 0.2,
    },
    Catalogue {
        service: "Sales forecast",
        weight: 2,
        titles: &[
            "Forecast for next quarter by product line",
            "Updated forecast after the trade show",
            "Winter range forecast",
        ],
        details: &["For the budget review and the stock plan."],
        questions: &["Should this include the new club accounts?"],
        resolutions: &["Forecast shared, by month and product line."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Launch briefings",
        weight: 2,
        titles: &[
            "Briefing for the ultralight tent launch",
            "FAQ for the new kids' range",
            "Briefing: autumn boots launch",
        ],
        details: &["Agents need it a week before the launch."],
        questions: &["Is the launch date confirmed?"],
        resolutions: &["Brief and FAQ shared with the team."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Purchase approvals",
        weight: 4,
        titles: &[
            "Extra pallets of winter jackets",
            "New carrier contract for Ireland",
            "Packing materials for peak season",
            "Replacement forklift battery",
            "Warehouse temps for peak",
        ],
        details: &["Supplier quotes attached; the price holds until Friday."],
        questions: &["Which budget line should this go against?"],
        resolutions: &[
            "Approved against the peak-season line.",
            "Approved on condition that we order in two tranches.",
        ],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Hiring support",
        weight: 3,
        titles: &[
            "Hire a second key account manager",
            "Two seasonal customer service agents",
            "Warehouse supervisor for the night shift",
            "Replace a departing account executive",
            "Returns specialist for peak season",
        ],
        details: &["Role approved in the budget; we would like someone before peak."],
        questions: &["Can you send the interview panel's availability?"],
        resolutions: &["Shortlist of three shared; interviews booked."],
        reference: Reference::None,
        impact: 0.0,
    },
];

/// Requests placed so that every queue shows work and the clocks show every
/// state: (service, share of the fulfilment target used by now, where it stops).
const SPOTLIGHT: &[(&str, f64, f64, Stop)] = &[
    ("IT support", 0.8, 0.9, Stop::InProgress),
    ("Delivery exception fixes", 0.8, 0.9, Stop::InProgress),
    ("Qualified leads", 0.8, 0.9, Stop::Acknowledged),
    ("Escalated fulfilment issues", 1.4, 2.6, Stop::InProgress),
    ("Quote and discount approvals", 1.3, 2.2, Stop::Acknowledged),
    ("Lead feedback", 1.2, 1.8, Stop::New),
    ("Account handover", 0.1, 0.4, Stop::InProgress),
    ("Hiring support", 0.2, 0.5, Stop::InProgress),
    ("Process improvements", 0.05, 0.3, Stop::New),
    ("Purchase approvals", 0.2, 0.5, Stop::Waiting),
];

const ACCOUNTS: &[&str] = &[
    "Alpine Outfitters",
    "Summit Sports",
    "Northern Trails",
    "Ridgeway Stores",
    "Coastline Surf & Ski",
    "Peak & Pine",
    "Trailhead Co",
    "Greenfield School",
    "Moorland Climbing Club",
    "Lakeside Scouts",
    "Highland Adventure Stores",
    "Canyon Gear",
];

const CAMPAIGNS: &[&str] = &[
    "spring newsletter",
    "trade show",
    "webinar",
    "wholesale landing page",
    "summer campaign",
];

const ROLES: &[&str] = &[
    "Key Account Manager",
    "Customer Service Agent",
    "Warehouse Supervisor",
    "Account Executive",
    "Returns Specialist",
];

const UPDATES: &[&str] = &[
    "Looking into this now.",
    "Thanks, we have what we need and are on it.",
    "Picked this up; expect an update by the end of the day.",
    "We can see the problem and are working on it.",
];

const ANSWERS: &[&str] = &[
    "Sent it over, thanks.",
    "Added the details to the description.",
    "Checked with the customer: see above.",
    "Here you go. Sorry, should have included it at the start.",
];

const INTERNAL_NOTES: &[&str] = &[
    "Second one like this this week; worth a root-cause look.",
    "Waiting on the carrier's reply before we promise anything.",
    "Checked with the team lead: fine to go ahead.",
    "Watch this one, the account is up for renewal.",
];

const QUALITY_NOTES: &[&str] = &[
    "The key details were missing at first.",
    "Had to chase the deadline and the contact.",
    "Details only came after two reminders.",
];

const CLOSE_NOTES: &[&str] = &["", "", "", "Thanks, all good.", "Confirmed, thank you."];

const CANCEL_NOTES: &[&str] = &[
    "No longer needed.",
    "The customer cancelled the order.",
    "Duplicate of an earlier request.",
    "Sorted it ourselves in the end.",
];

const REOPEN_NOTES: &[&str] = &[
    "Still happening this morning.",
    "The customer says it has not arrived after all.",
    "This is not quite what we asked for.",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stop {
    New,
    Acknowledged,
    InProgress,
    Waiting,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Provider,
    Requester,
}

/// When a request was raised.
#[derive(Debug, Clone, Copy)]
enum When {
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
struct Wait {
    /// Where the wait falls in the work, as a share.
    split: f64,
    /// How long the requester takes to answer, in their business minutes.
    answer_minutes: i64,
    question: &'static str,
    answer: &'static str,
}

#[derive(Debug, Clone)]
enum Outcome {
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
struct Flow {
    acknowledge: bool,
    /// Resolved straight away, as the first response.
    quick: bool,
    /// Time to the first response, as a share of its target.
    response: f64,
    /// Time from acknowledging to starting, as a share of the fulfilment target.
    start: f64,
    /// Business time used in all, as a share of the fulfilment target.
    work: f64,
    wait: Option<Wait>,
    update: Option<(i64, &'static str)>,
    internal: Option<(i64, &'static str)>,
    outcome: Outcome,
    stop: Option<Stop>,
}

#[derive(Debug, Clone)]
struct Plan {
    service: usize,
    title: String,
    description: String,
    /// One draw per intake field, and whether an optional one is answered.
    answers: Vec<(u32, bool)>,
    account: &'static str,
    order: String,
    campaign: &'static str,
    discount: u32,
    priority: Priority,
    impact: &'static str,
    reference: Option<String>,
    segment: Option<i64>,
    requester: PersonId,
    requester_department: DepartmentId,
    handler: PersonId,
    when: When,
    flow: Flow,
}

enum Step {
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
    let services = scoped
        .list_services(
            ServiceFilter::default(),
            PageRequest::first(PageRequest::MAX_LIMIT),
        )
        .await?
        .items;
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
                let listing = scoped
                    .list_people(
                        PeopleFilter {
                            department_id: Some(*department),
                            active: Some(true),
                        },
                        PageRequest::first(PageRequest::MAX_LIMIT),
                    )
                    .await?;
                people.insert(
                    *department,
                    listing.items.into_iter().map(|person| person.id).collect(),
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
        let Some(offer) = offered.get(plan.service) else {
            continue;
        };
        let service = offer.service;
        let Some(provider_calendar) = calendars.get(&service.provider_department_id) else {
            continue;
        };
        let requester_calendar = calendars
            .get(&plan.requester_department)
            .unwrap_or(provider_calendar);
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
        let Some((plan, offer)) = plans
            .get(index)
            .and_then(|plan| Some((plan, offered.get(plan.service)?)))
        else {
            continue;
        };
        let service = offer.service;
        let Some(provider_calendar) = calendars.get(&service.provider_department_id) else {
            continue;
        };
        let requester_calendar = calendars
            .get(&plan.requester_department)
            .unwrap_or(provider_calendar);
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

fn targets_of(service: &Service, priority: Priority) -> roundtable_domain::services::Targets {
    service
        .priority_targets
        .get(&priority)
        .copied()
        .unwrap_or(service.targets)
}

/// Draws everything random about one request.
fn draw_plan(
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
        (false, _) => "none",
        (true, true) => "customer_waiting",
        (true, false) => "customer_affected",
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

fn draw_wait(random: &mut ChaCha8Rng, catalogue: &Catalogue) -> Wait {
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
const STRETCHED: &[&str] = &["Delivery exception fixes"];

fn draw_flow(random: &mut ChaCha8Rng, catalogue: &Catalogue) -> Flow {
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

fn day_bounds(
    calendar: &CalendarDefinition,
    date: Date,
) -> Result<(Timestamp, Timestamp), DemoError> {
    let zone = calendar.time_zone().clone();
    let start = date.to_zoned(zone.clone()).map_err(invalid)?.timestamp();
    let end = date
        .tomorrow()
        .map_err(invalid)?
        .to_zoned(zone)
        .map_err(invalid)?
        .timestamp();
    Ok((start, end))
}

fn has_working_time(calendar: &CalendarDefinition, date: Date) -> Result<bool, DemoError> {
    let (start, end) = day_bounds(calendar, date)?;
    Ok(working_intervals(calendar, start, end).next().is_some())
}

/// When a request was raised `days_ago` before today in the requester's
/// calendar: at `fraction` of that day's working time (moving off days
/// without any to the nearest working day), or out of hours.
fn raised_on(
    calendar: &CalendarDefinition,
    anchor: Timestamp,
    days_ago: i64,
    fraction: f64,
    second: i64,
    outside: bool,
    earlier: bool,
) -> Result<Timestamp, DemoError> {
    let zone = calendar.time_zone().clone();
    let today = anchor.to_zoned(zone.clone()).date();
    let mut date = today.checked_sub(days_ago.days()).map_err(invalid)?;
    let seconds = SignedDuration::from_secs(second);
    if outside {
        let (from, span) = if !has_working_time(calendar, date)? {
            (10 * 60, 6 * 60)
        } else if earlier {
            (6 * 60 + 30, 90)
        } else {
            (18 * 60, 4 * 60)
        };
        let minute = from + (fraction * f64::from(span)) as i32;
        let local = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        let at = local.to_zoned(zone).map_err(invalid)?.timestamp();
        return at.checked_add(seconds).map_err(invalid);
    }
    // Never further back than the history reaches.
    let mut backwards = earlier && days_ago < DAYS - 7;
    for _ in 0..14 {
        if has_working_time(calendar, date)? {
            break;
        }
        if !backwards && date >= today {
            backwards = true;
        }
        date = if backwards {
            date.yesterday().map_err(invalid)?
        } else {
            date.tomorrow().map_err(invalid)?
        };
    }
    let (start, end) = day_bounds(calendar, date)?;
    let minutes = business_minutes_between(calendar, start, end);
    let offset = ((fraction * minutes as f64) as i64).clamp(1, minutes.max(1));
    add_business_minutes(calendar, start, offset)
        .map_err(invalid)?
        .checked_add(seconds)
        .map_err(invalid)
}

/// The latest instant from which `minutes` of business time have elapsed by
/// `end` (to within a few seconds).
fn started_before(
    calendar: &CalendarDefinition,
    end: Timestamp,
    minutes: i64,
) -> Result<Timestamp, DemoError> {
    let mut low = end
        .checked_sub(SignedDuration::from_hours(24 * 150))
        .map_err(invalid)?;
    let mut high = end;
    if minutes <= 0 || business_minutes_between(calendar, low, end) < minutes {
        return Ok(if minutes <= 0 { end } else { low });
    }
    // business_minutes_between(low, end) >= minutes > business_minutes_between(high, end)
    while high.duration_since(low) > SignedDuration::from_secs(5) {
        let middle = low
            .checked_add(high.duration_since(low) / 2)
            .map_err(invalid)?;
        if business_minutes_between(calendar, middle, end) >= minutes {
            low = middle;
        } else {
            high = middle;
        }
    }
    Timestamp::from_second(low.as_second()).map_err(invalid)
}

/// The plan's steps with their instants, in order (not yet capped at now):
/// optional comments only where they fall before the next step.
fn steps_of(
    plan: &Plan,
    service: &Service,
    provider: &CalendarDefinition,
    requester: &CalendarDefinition,
    created: Timestamp,
) -> Result<Vec<(Timestamp, Step)>, DemoError> {
    let mut steps = planned_steps(plan, service, provider, requester, created)?;
    let mut next_required: Option<Timestamp> = None;
    let mut keep = vec![true; steps.len()];
    for (index, (at, step)) in steps.iter().enumerate().rev() {
        match step {
            Step::Comment { optional: true, .. } => {
                keep[index] = next_required.is_none_or(|next| *at < next);
            }
            _ => next_required = Some(*at),
        }
    }
    let mut index = 0;
    steps.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    Ok(steps)
}

fn planned_steps(
    plan: &Plan,
    service: &Service,
    provider: &CalendarDefinition,
    requester: &CalendarDefinition,
    created: Timestamp,
) -> Result<Vec<(Timestamp, Step)>, DemoError> {
    let flow = &plan.flow;
    let targets = targets_of(service, plan.priority);
    let first_response = targets.first_response_minutes as f64;
    let fulfilment = targets.fulfilment_minutes as f64;
    let minutes = |share: f64, total: f64| ((share * total).round() as i64).max(1);
    let provider_after = |at: Timestamp, minutes: i64| {
        add_business_minutes(provider, at, minutes.max(1)).map_err(invalid)
    };
    let requester_after = |at: Timestamp, minutes: i64| {
        add_business_minutes(requester, at, minutes.max(1)).map_err(invalid)
    };
    let move_to = |to: Status, by: Side, note: &str| Step::Move {
        to,
        by,
        note: note.to_owned(),
        quality: None,
    };
    let mut steps: Vec<(Timestamp, Step)> = Vec::new();
    if flow.stop == Some(Stop::New) {
        return Ok(steps);
    }
    let mut response = minutes(flow.response, first_response);
    let mut start = minutes(flow.start, fulfilment);
    let mut budget = minutes(flow.work, fulfilment);
    if let When::Used(share) = plan.when {
        // Spotlight requests have used `share` of the target by now: respond
        // and start early enough to leave that much in the periods.
        let used = minutes(share, fulfilment);
        response = response.min(used / 5).max(1);
        start = start.min(used / 5).max(1);
        budget = used;
    }

    if let Outcome::Cancelled {
        after_start: false,
        by_provider,
        minutes,
        note,
    } = &flow.outcome
    {
        let by = if *by_provider {
            Side::Provider
        } else {
            Side::Requester
        };
        let at = if *by_provider {
            provider_after(created, *minutes)?
        } else {
            requester_after(created, *minutes)?
        };
        steps.push((at, move_to(Status::Cancelled, by, note)));
        return Ok(steps);
    }

    let mut at = created;
    if flow.quick
        && flow.stop.is_none()
        && matches!(plan.when, When::Day { .. })
        && matches!(flow.outcome, Outcome::Resolved { .. })
    {
        // Sorted on first contact.
        at = provider_after(at, response)?;
        finish(&mut steps, plan, provider, requester, at, fulfilment)?;
        return Ok(steps);
    }
    let mut used = 0;
    if flow.acknowledge {
        at = provider_after(at, response)?;
        used += response;
        steps.push((at, move_to(Status::Acknowledged, Side::Provider, "")));
        if flow.stop == Some(Stop::Acknowledged) {
            return Ok(steps);
        }
        at = provider_after(at, start)?;
        used += start;
    } else {
        at = provider_after(at, response)?;
        used += response;
    }
    steps.push((at, move_to(Status::InProgress, Side::Provider, "")));
    let started = at;
    if let Some((after, body)) = flow.update {
        steps.push((
            provider_after(started, after)?,
            Step::Comment {
                by: Side::Provider,
                body: body.to_owned(),
                internal: false,
                optional: true,
            },
        ));
    }
    if let Some((after, body)) = flow.internal {
        steps.push((
            provider_after(started, after)?,
            Step::Comment {
                by: Side::Provider,
                body: body.to_owned(),
                internal: true,
                optional: true,
            },
        ));
    }
    if let Outcome::Cancelled {
        after_start: true,
        by_provider,
        minutes,
        note,
    } = &flow.outcome
    {
        let by = if *by_provider {
            Side::Provider
        } else {
            Side::Requester
        };
        steps.push((
            provider_after(at, *minutes)?,
            move_to(Status::Cancelled, by, note),
        ));
        return Ok(steps);
    }
    let mut remaining = (budget - used).max(10);
    if let Some(wait) = flow.wait {
        let before = ((remaining as f64) * wait.split).round() as i64;
        remaining = (remaining - before).max(10);
        at = provider_after(at, before)?;
        steps.push((at, move_to(Status::WaitingOnRequester, Side::Provider, "")));
        at = at
            .checked_add(SignedDuration::from_mins(2))
            .map_err(invalid)?;
        steps.push((
            at,
            Step::Comment {
                by: Side::Provider,
                body: wait.question.to_owned(),
                internal: false,
                optional: false,
            },
        ));
        if flow.stop == Some(Stop::Waiting) {
            return Ok(steps);
        }
        at = requester_after(at, wait.answer_minutes)?;
        steps.push((
            at,
            move_to(Status::InProgress, Side::Requester, wait.answer),
        ));
    }
    if flow.stop == Some(Stop::InProgress) || matches!(plan.when, When::Used(_)) {
        return Ok(steps);
    }
    at = provider_after(at, remaining)?;
    finish(&mut steps, plan, provider, requester, at, fulfilment)?;
    Ok(steps)
}

/// Resolution at `at`, maybe a reopening, and the requester's confirmation.
fn finish(
    steps: &mut Vec<(Timestamp, Step)>,
    plan: &Plan,
    provider: &CalendarDefinition,
    requester: &CalendarDefinition,
    mut at: Timestamp,
    fulfilment: f64,
) -> Result<(), DemoError> {
    let Outcome::Resolved {
        quality,
        quality_note,
        note,
        close,
        reopen,
    } = &plan.flow.outcome
    else {
        return Ok(());
    };
    let resolve = |note: &str| Step::Move {
        to: Status::Resolved,
        by: Side::Provider,
        note: note.to_owned(),
        quality: Some((*quality, quality_note.clone())),
    };
    steps.push((at, resolve(note)));
    if let Some((after, extra, reopen_note)) = reopen {
        let reopened = add_business_minutes(requester, at, (*after).max(1)).map_err(invalid)?;
        let window = at
            .checked_add(SignedDuration::from_hours(7 * 24 - 1))
            .map_err(invalid)?;
        if reopened < window {
            steps.push((
                reopened,
                Step::Move {
                    to: Status::InProgress,
                    by: Side::Requester,
                    note: (*reopen_note).to_owned(),
                    quality: None,
                },
            ));
            let extra = ((extra * fulfilment).round() as i64).max(1);
            at = add_business_minutes(provider, reopened, extra).map_err(invalid)?;
            steps.push((
                at,
                resolve("Fixed for good this time, sorry for the trouble."),
            ));
        }
    }
    if let Some((after, close_note)) = close {
        at = add_business_minutes(requester, at, (*after).max(1)).map_err(invalid)?;
        steps.push((
            at,
            Step::Move {
                to: Status::Closed,
                by: Side::Requester,
                note: (*close_note).to_owned(),
                quality: None,
            },
        ));
    }
    Ok(())
}

/// Words in a title that settle a choice on the form.
const HINTS: &[(&str, &str)] = &[
    ("Leeds", "UK and Ireland"),
    ("Dublin", "UK and Ireland"),
    ("Kendal", "UK and Ireland"),
    ("Munich", "Continental Europe"),
    ("Boston", "North America"),
    ("club", "Clubs and schools"),
    ("School", "Clubs and schools"),
    ("Scout", "Clubs and schools"),
    ("universities", "Clubs and schools"),
    ("retailer", "Mid-market retailers"),
    ("Retailer", "Mid-market retailers"),
    ("Outlook", "E-mail"),
    ("inbox", "E-mail"),
    ("calendar", "E-mail"),
    ("Laptop", "Laptop"),
    ("laptop", "Laptop"),
    ("monitor", "Laptop"),
    ("CRM", "CRM"),
    ("Web shop back office", "Web shop back office"),
    ("returns dashboard", "Web shop back office"),
];

/// The answer to a choice field: the one the title implies, else a drawn one.
fn choice_for<'a>(title: &str, choices: &'a [String], draw: u32) -> Option<&'a String> {
    HINTS
        .iter()
        .filter(|(word, _)| title.contains(word))
        .find_map(|(_, hint)| choices.iter().find(|choice| choice == hint))
        .or_else(|| {
            let count = u32::try_from(choices.len()).unwrap_or(1).max(1);
            choices.get(usize::try_from(draw % count).unwrap_or(0))
        })
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            character if u32::from(character) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(character)));
            }
            character => out.push(character),
        }
    }
    out.push('"');
    out
}

/// The intake answers as the JSON object the API would store.
fn intake_json(plan: &Plan, service: &Service, created: Timestamp) -> String {
    let mut entries = Vec::new();
    for (field, (draw, answered)) in service.intake_fields.iter().zip(&plan.answers) {
        if !field.required && !answered {
            continue;
        }
        let value = match field.kind {
            FieldKind::Choice => match choice_for(&plan.title, &field.choices, *draw) {
                Some(choice) => json_string(choice),
                None => continue,
            },
            FieldKind::Text => {
                let text = match field.key.as_str() {
                    "order" => plan.order.clone(),
                    "account" => plan.account.to_owned(),
                    "campaign" | "lead_batch" => {
                        let mut campaign = plan.campaign.to_owned();
                        if let Some(first) = campaign.get_mut(0..1) {
                            first.make_ascii_uppercase();
                        }
                        campaign
                    }
                    "role" => ROLES
                        .get(usize::try_from(*draw).unwrap_or(0) % ROLES.len())
                        .copied()
                        .unwrap_or("Account Executive")
                        .to_owned(),
                    _ => plan.title.clone(),
                };
                json_string(&text)
            }
            FieldKind::LongText => json_string(&plan.description),
            FieldKind::Number => match field.key.as_str() {
                "discount" => plan.discount.to_string(),
                "amount" => (1_500 + (draw % 900) * 50).to_string(),
                _ => (1 + draw % 100).to_string(),
            },
            FieldKind::Date => {
                let date = created.to_zoned(jiff::tz::TimeZone::UTC).date();
                let month = date.first_of_month().checked_sub(1.month()).unwrap_or(date);
                json_string(&month.to_string())
            }
            FieldKind::Boolean => (draw % 3 == 0).to_string(),
        };
        entries.push(format!("{}:{value}", json_string(&field.key)));
    }
    format!("{{{}}}", entries.join(","))
}

/// Who acts for a side of the request, and their roles.
fn actor(plan: &Plan, side: Side) -> (PersonId, Roles) {
    match side {
        Side::Provider => (
            plan.handler,
            Roles {
                provider: true,
                requester: false,
            },
        ),
        Side::Requester => (
            plan.requester,
            Roles {
                provider: false,
                requester: true,
            },
        ),
    }
}

/// Records one request and its history up to now; returns where it stands.
async fn record(
    scoped: &Scoped<'_>,
    plan: &Plan,
    service: &Service,
    provider: &CalendarDefinition,
    requester: &CalendarDefinition,
    created: Timestamp,
    anchor: Timestamp,
) -> Result<Status, DemoError> {
    let steps = steps_of(plan, service, provider, requester, created)?;
    let request = scoped
        .create_request(
            NewRequest {
                service_id: Some(service.id),
                provider_department_id: service.provider_department_id,
                requester_person_id: plan.requester,
                title: plan.title.clone(),
                description: plan.description.clone(),
                intake_values: intake_json(plan, service, created),
                priority: plan.priority,
                external_impact: plan.impact.to_owned(),
                external_reference: plan.reference.clone(),
                segment_id: plan.segment,
                targets: targets_of(service, plan.priority),
            },
            created,
        )
        .await?;
    let mut status = request.status;
    let mut last = created;
    let minute = SignedDuration::from_mins(1);
    for (at, step) in steps {
        // Strictly after the previous step, and never beyond now.
        let at = at.max(last.checked_add(minute).map_err(invalid)?);
        if at >= anchor {
            break;
        }
        let (person, roles) = match &step {
            Step::Move { by, .. } | Step::Comment { by, .. } => actor(plan, *by),
        };
        match step {
            Step::Move {
                to, note, quality, ..
            } => {
                let moved = scoped
                    .transition_request(
                        request.id,
                        Transition {
                            to,
                            actor: person,
                            roles,
                            details: TransitionDetails {
                                note,
                                input_quality: quality,
                            },
                            expected_version: None,
                            at,
                        },
                    )
                    .await?;
                status = moved.status;
            }
            Step::Comment { body, internal, .. } => {
                scoped
                    .add_comment(request.id, person, body, internal, roles.provider, at)
                    .await?;
            }
        }
        last = at;
    }
    if status.is_open() && status != Status::New {
        // Whoever works an open request has it assigned.
        let current = scoped.request(request.id).await?;
        scoped
            .update_request(
                request.id,
                RequestChanges {
                    assignee_person_id: Change::Set(Some(plan.handler)),
                    ..RequestChanges::default()
                },
                plan.handler,
                current.version,
            )
            .await?;
    }
    Ok(status)
}
