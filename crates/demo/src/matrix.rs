//! The demo's matrix: who delivers what to whom at Harbor & Pine, and how far
//! each pair has got in agreeing it. Two-way pairs (marketing ⇄ sales) show
//! both directions of a relationship; a few agreements await acceptance, one
//! is a draft, and one is overdue for review.

use crate::DemoError;
use jiff::ToSpan;
use jiff::civil::Date;
use roundtable_domain::agreements::{Obligation, ReviewCadence, Side};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::services::{
    IntakeFieldInput, Priority, Targets, VolumeExpectation, parse_intake_fields,
};
use roundtable_domain::text::Label;
use roundtable_store::Scoped;
use roundtable_store::agreements::NewAgreement;
use roundtable_store::segments::NewSegment;
use roundtable_store::services::ServiceDefinition;
use std::collections::{BTreeMap, HashMap};

struct ServicePlan {
    provider: &'static str,
    consumers: &'static [&'static str],
    name: &'static str,
    description: &'static str,
    definition_of_good: &'static str,
    /// First response and fulfilment, in business minutes.
    targets: (i64, i64),
    urgent: Option<(i64, i64)>,
    volume: Option<(i64, &'static str, &'static str)>,
    fields: &'static [(
        &'static str,
        &'static str,
        &'static str,
        bool,
        &'static [&'static str],
    )],
}

const EVERYONE: &[&str] = &[
    "executive-office",
    "sales",
    "sales-development",
    "marketing",
    "customer-service",
    "finance",
    "operations",
    "people-and-culture",
];

const SERVICES: &[ServicePlan] = &[
    ServicePlan {
        provider: "marketing",
        consumers: &["sales", "sales-development"],
        name: "Qualified leads",
        description: "Leads from campaigns, events and the web shop's trade enquiries, handed over with their history.",
        definition_of_good: "A qualified lead names a buyer with budget authority, a store count or order size above the \
            mid-market threshold, a need we can meet this season, and a timeline under six months. Contact details verified.",
        targets: (240, 2_400),
        urgent: Some((60, 480)),
        volume: Some((200, "month", "qualified leads")),
        fields: &[
            (
                "segment",
                "Customer segment",
                "choice",
                true,
                &[
                    "Mid-market retailers",
                    "Online shoppers",
                    "Clubs and schools",
                ],
            ),
            (
                "region",
                "Region",
                "choice",
                true,
                &["UK and Ireland", "Continental Europe", "North America"],
            ),
            ("campaign", "Campaign or source", "text", false, &[]),
        ],
    },
    ServicePlan {
        provider: "sales",
        consumers: &["marketing"],
        name: "Lead feedback",
        description: "The fate of every lead marketing handed over: contacted, qualified out (and why), or won.",
        definition_of_good: "Every lead has an outcome and, when rejected, a reason from the agreed list, within five business days.",
        targets: (480, 2_400),
        urgent: None,
        volume: None,
        fields: &[("lead_batch", "Lead batch or campaign", "text", true, &[])],
    },
    ServicePlan {
        provider: "marketing",
        consumers: &["finance"],
        name: "Campaign performance data",
        description: "Spend, reach, leads and attributed revenue per campaign, for the monthly close and budget reviews.",
        definition_of_good: "Figures reconcile with the ledger's marketing spend to the pound, delivered by the third working day.",
        targets: (480, 4_800),
        urgent: None,
        volume: Some((1, "month", "reports")),
        fields: &[("period", "Month", "date", true, &[])],
    },
    ServicePlan {
        provider: "operations",
        consumers: &["sales"],
        name: "Process improvements",
        description: "Changes to order handling, delivery promises and returns that sales needs to win or keep accounts.",
        definition_of_good: "A clear decision within two weeks, and any change announced with its start date and what customers will notice.",
        targets: (960, 9_600),
        urgent: None,
        volume: None,
        fields: &[
            ("account", "Account affected", "text", false, &[]),
            ("impact", "What the customer feels", "long_text", true, &[]),
        ],
    },
    ServicePlan {
        provider: "customer-service",
        consumers: &["marketing"],
        name: "Customer feedback digest",
        description: "What customers praise and complain about, by product line and segment.",
        definition_of_good: "Themes with counts and verbatim examples, never personal data, every fortnight.",
        targets: (480, 2_400),
        urgent: None,
        volume: Some((2, "month", "digests")),
        fields: &[],
    },
    ServicePlan {
        provider: "customer-service",
        consumers: &["operations"],
        name: "Escalated fulfilment issues",
        description: "Orders customers are chasing that need a warehouse or carrier fix.",
        definition_of_good: "Order number, what the customer was promised, what happened, and the customer's deadline.",
        targets: (60, 480),
        urgent: Some((15, 120)),
        volume: None,
        fields: &[("order", "Order number", "text", true, &[])],
    },
    ServicePlan {
        provider: "operations",
        consumers: &["customer-service"],
        name: "Delivery exception fixes",
        description: "Re-shipments, carrier claims and stock swaps for orders that went wrong.",
        definition_of_good: "The customer's order is back on track and customer service knows the new delivery date.",
        targets: (60, 480),
        urgent: Some((30, 240)),
        volume: None,
        fields: &[
            ("order", "Order number", "text", true, &[]),
            (
                "carrier",
                "Carrier",
                "choice",
                false,
                &["Royal Mail", "DPD", "UPS", "FedEx"],
            ),
        ],
    },
    ServicePlan {
        provider: "it",
        consumers: EVERYONE,
        name: "IT support",
        description: "Laptops, accounts, access and the tools every team works in.",
        definition_of_good: "People can work again; the fix is explained in plain words and recurring problems are fixed at the root.",
        targets: (60, 960),
        urgent: Some((15, 240)),
        volume: None,
        fields: &[
            (
                "system",
                "System",
                "choice",
                true,
                &["Laptop", "E-mail", "CRM", "Web shop back office", "Other"],
            ),
            (
                "blocked",
                "Are you blocked from working?",
                "boolean",
                true,
                &[],
            ),
        ],
    },
    ServicePlan {
        provider: "finance",
        consumers: &["sales"],
        name: "Quote and discount approvals",
        description: "Approval of quotes with discounts or payment terms outside the standard price list.",
        definition_of_good: "A yes, a no or a counter-offer with the margin reasoning, before the customer's deadline.",
        targets: (120, 480),
        urgent: Some((30, 120)),
        volume: Some((60, "month", "quotes")),
        fields: &[
            ("account", "Account", "text", true, &[]),
            ("discount", "Discount (percent)", "number", true, &[]),
        ],
    },
    ServicePlan {
        provider: "finance",
        consumers: &["operations"],
        name: "Purchase approvals",
        description: "Approval of stock and carrier purchases above the operations budget line.",
        definition_of_good: "Decided within two days, with the budget line and any condition stated.",
        targets: (240, 960),
        urgent: None,
        volume: None,
        fields: &[("amount", "Amount", "number", true, &[])],
    },
    ServicePlan {
        provider: "sales",
        consumers: &["customer-service"],
        name: "Account handover",
        description: "What was promised to a newly won account: terms, contacts, first orders and sensitivities.",
        definition_of_good: "Customer service can answer the customer's first call without asking sales.",
        targets: (480, 1_920),
        urgent: None,
        volume: None,
        fields: &[("account", "Account", "text", true, &[])],
    },
    ServicePlan {
        provider: "sales",
        consumers: &["finance", "operations"],
        name: "Sales forecast",
        description: "Expected orders per month and product line for the next two quarters.",
        definition_of_good: "Within ten percent of actuals at the product-line level, updated by the fifth working day.",
        targets: (960, 4_800),
        urgent: None,
        volume: Some((1, "month", "forecasts")),
        fields: &[],
    },
    ServicePlan {
        provider: "marketing",
        consumers: &["customer-service"],
        name: "Launch briefings",
        description: "What is launching, for whom, what we promise, and the questions customers will ask.",
        definition_of_good: "A one-page brief and an FAQ a week before launch.",
        targets: (480, 2_400),
        urgent: None,
        volume: None,
        fields: &[],
    },
    ServicePlan {
        provider: "people-and-culture",
        consumers: &["sales", "customer-service", "operations"],
        name: "Hiring support",
        description: "Job descriptions, sourcing and interview scheduling for open roles.",
        definition_of_good: "A shortlist of three within four weeks of an approved role.",
        targets: (960, 14_400),
        urgent: None,
        volume: None,
        fields: &[("role", "Role", "text", true, &[])],
    },
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// Agreed this many days ago (reviews fall due one cadence later).
    Agreed(i64),
    Proposed,
    Draft,
}

struct AgreementPlan {
    provider: &'static str,
    consumer: &'static str,
    cadence: ReviewCadence,
    obligations: &'static [(&'static str, Option<i64>)],
    stage: Stage,
}

const AGREEMENTS: &[AgreementPlan] = &[
    AgreementPlan {
        provider: "marketing",
        consumer: "sales",
        cadence: ReviewCadence::Quarterly,
        obligations: &[
            (
                "Record an outcome for every lead (contacted, qualified out with a reason, won)",
                Some(5),
            ),
            (
                "Tell marketing about the deals that came from outside our campaigns",
                None,
            ),
        ],
        stage: Stage::Agreed(40),
    },
    AgreementPlan {
        provider: "sales",
        consumer: "marketing",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Share the campaign calendar a month ahead, so sales can plan follow-up",
            None,
        )],
        stage: Stage::Agreed(40),
    },
    AgreementPlan {
        provider: "marketing",
        consumer: "finance",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Send the month's ledger extract of marketing cost centres",
            Some(2),
        )],
        stage: Stage::Agreed(70),
    },
    AgreementPlan {
        provider: "operations",
        consumer: "sales",
        cadence: ReviewCadence::HalfYearly,
        obligations: &[(
            "Describe the customer impact and the account's value with every request",
            None,
        )],
        stage: Stage::Agreed(55),
    },
    AgreementPlan {
        provider: "customer-service",
        consumer: "marketing",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Say which themes you acted on, so service can tell customers",
            Some(10),
        )],
        stage: Stage::Agreed(30),
    },
    AgreementPlan {
        provider: "customer-service",
        consumer: "operations",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Confirm the new delivery date to customer service the same day",
            Some(1),
        )],
        stage: Stage::Agreed(20),
    },
    AgreementPlan {
        provider: "operations",
        consumer: "customer-service",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Include the order number and the customer's promised date",
            None,
        )],
        stage: Stage::Agreed(20),
    },
    AgreementPlan {
        provider: "it",
        consumer: "sales",
        cadence: ReviewCadence::HalfYearly,
        obligations: &[(
            "Report problems through the service desk, not in chat",
            None,
        )],
        stage: Stage::Agreed(80),
    },
    AgreementPlan {
        provider: "it",
        consumer: "customer-service",
        cadence: ReviewCadence::HalfYearly,
        obligations: &[(
            "Name the affected order or customer when the phone or CRM fails",
            None,
        )],
        stage: Stage::Agreed(80),
    },
    AgreementPlan {
        provider: "it",
        consumer: "marketing",
        cadence: ReviewCadence::HalfYearly,
        obligations: &[("Book web shop changes two weeks ahead of a campaign", None)],
        stage: Stage::Agreed(75),
    },
    AgreementPlan {
        provider: "finance",
        consumer: "sales",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Send complete quotes: account, volumes, margin and the customer's deadline",
            None,
        )],
        stage: Stage::Agreed(60),
    },
    AgreementPlan {
        provider: "sales",
        consumer: "customer-service",
        cadence: ReviewCadence::Quarterly,
        obligations: &[("Flag accounts that are at risk, so sales can call", Some(2))],
        stage: Stage::Agreed(15),
    },
    AgreementPlan {
        provider: "finance",
        consumer: "operations",
        cadence: ReviewCadence::Quarterly,
        obligations: &[("Attach supplier quotes to every purchase request", None)],
        // Agreed long ago and never reviewed since: overdue.
        stage: Stage::Agreed(200),
    },
    AgreementPlan {
        provider: "sales",
        consumer: "finance",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Share the close calendar and which figures are provisional",
            None,
        )],
        stage: Stage::Proposed,
    },
    AgreementPlan {
        provider: "marketing",
        consumer: "customer-service",
        cadence: ReviewCadence::Quarterly,
        obligations: &[(
            "Send the questions customers actually asked after the last launch",
            Some(10),
        )],
        stage: Stage::Proposed,
    },
    AgreementPlan {
        provider: "people-and-culture",
        consumer: "customer-service",
        cadence: ReviewCadence::Yearly,
        obligations: &[(
            "Free interviewers' time within a week of a shortlist",
            Some(5),
        )],
        stage: Stage::Proposed,
    },
    AgreementPlan {
        provider: "it",
        consumer: "finance",
        cadence: ReviewCadence::HalfYearly,
        obligations: &[],
        stage: Stage::Draft,
    },
];

pub(crate) struct MatrixSummary {
    pub services: usize,
    pub agreed_cells: usize,
}

fn department(
    led: &HashMap<&'static str, (DepartmentId, PersonId)>,
    slug: &str,
) -> Result<(DepartmentId, PersonId), DemoError> {
    led.get(slug).copied().ok_or_else(|| {
        DemoError::Invalid(roundtable_domain::ValidationErrors::single(
            "department",
            format!("{slug} is not in the roster"),
        ))
    })
}

/// The external customers every internal service ultimately serves.
const SEGMENTS: &[(&str, &str, &[&str])] = &[
    (
        "Mid-market retailers",
        "Outdoor and sports shops with 5 to 50 stores: reliable seasonal stock, quick reorders, fair terms.",
        &[
            "5 to 50 stores",
            "Orders at least twice a season",
            "A named buyer with budget authority",
        ],
    ),
    (
        "Online shoppers",
        "People buying for their own trips: honest advice, fast delivery, easy returns.",
        &["Ordered in the last 12 months", "Ships to the UK, EU or US"],
    ),
    (
        "Clubs and schools",
        "Climbing clubs, scout groups and schools kitting out groups: bulk pricing and sizing help.",
        &["Buys for a group of 10 or more", "Pays by invoice"],
    ),
];

/// Which segments a service serves, by the service's name.
fn segments_served(service: &str) -> &'static [usize] {
    match service {
        "Qualified leads"
        | "Quote and discount approvals"
        | "Account handover"
        | "Sales forecast" => &[0, 2],
        "Customer feedback digest"
        | "Escalated fulfilment issues"
        | "Delivery exception fixes"
        | "Launch briefings" => &[0, 1, 2],
        _ => &[],
    }
}

pub(crate) async fn generate(
    scoped: &Scoped<'_>,
    led: &HashMap<&'static str, (DepartmentId, PersonId)>,
    today: Date,
) -> Result<MatrixSummary, DemoError> {
    let mut segment_ids = Vec::new();
    for (name, needs, criteria) in SEGMENTS {
        let segment = scoped
            .create_segment(NewSegment {
                name: Label::parse(name)?,
                needs: (*needs).to_owned(),
                criteria: criteria
                    .iter()
                    .map(|criterion| Label::parse(criterion))
                    .collect::<Result<_, _>>()?,
            })
            .await?;
        segment_ids.push(segment.id);
    }
    let mut services: Vec<(DepartmentId, Vec<DepartmentId>, i64)> = Vec::new();
    for plan in SERVICES {
        let (provider, owner) = department(led, plan.provider)?;
        let consumers = plan
            .consumers
            .iter()
            .filter(|consumer| **consumer != plan.provider)
            .map(|consumer| department(led, consumer).map(|(id, _)| id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut priority_targets = BTreeMap::new();
        if let Some((first, fulfilment)) = plan.urgent {
            priority_targets.insert(Priority::Urgent, Targets::new(first, fulfilment)?);
        }
        let fields = parse_intake_fields(
            plan.fields
                .iter()
                .map(|(key, label, kind, required, choices)| IntakeFieldInput {
                    key: (*key).to_owned(),
                    label: (*label).to_owned(),
                    kind: (*kind).to_owned(),
                    required: *required,
                    choices: choices.iter().map(|choice| (*choice).to_owned()).collect(),
                })
                .collect(),
        )?;
        let service = scoped
            .create_service(ServiceDefinition {
                provider_department_id: provider,
                consumer_department_ids: consumers.clone(),
                segment_ids: segments_served(plan.name)
                    .iter()
                    .filter_map(|index| segment_ids.get(*index).copied())
                    .collect(),
                name: Label::parse(plan.name)?,
                description: plan.description.to_owned(),
                definition_of_good: plan.definition_of_good.to_owned(),
                owner_person_id: Some(owner),
                targets: Targets::new(plan.targets.0, plan.targets.1)?,
                priority_targets,
                intake_fields: fields,
                volume: plan
                    .volume
                    .map(|(quantity, period, unit)| VolumeExpectation::new(quantity, period, unit))
                    .transpose()?,
                check_sampling_rate: 1.0,
                reopen_on_not_met: true,
                active: true,
            })
            .await?;
        services.push((provider, consumers, service.id));
    }

    let mut agreed_cells = 0;
    for plan in AGREEMENTS {
        let (provider, provider_lead) = department(led, plan.provider)?;
        let (consumer, consumer_lead) = department(led, plan.consumer)?;
        let service_ids: Vec<i64> = services
            .iter()
            .filter(|(service_provider, consumers, _)| {
                *service_provider == provider && consumers.contains(&consumer)
            })
            .map(|(_, _, id)| *id)
            .collect();
        let agreement = scoped
            .create_agreement(NewAgreement {
                provider_department_id: provider,
                consumer_department_id: consumer,
                review_cadence: plan.cadence,
                service_ids,
                obligations: plan
                    .obligations
                    .iter()
                    .map(|(description, days)| Obligation {
                        description: (*description).to_owned(),
                        due_within_business_days: *days,
                    })
                    .collect(),
                notes: String::new(),
            })
            .await?;
        if plan.stage == Stage::Draft {
            continue;
        }
        scoped
            .propose_agreement(agreement.id, provider_lead, None)
            .await?;
        if let Stage::Agreed(days_ago) = plan.stage {
            let agreed_on = today.checked_sub(days_ago.days()).unwrap_or(today);
            scoped
                .accept_agreement(
                    agreement.id,
                    provider_lead,
                    vec![Side::Provider],
                    agreed_on,
                    None,
                )
                .await?;
            scoped
                .accept_agreement(
                    agreement.id,
                    consumer_lead,
                    vec![Side::Consumer],
                    agreed_on,
                    None,
                )
                .await?;
            agreed_cells += 1;
        }
    }
    Ok(MatrixSummary {
        services: services.len(),
        agreed_cells,
    })
}
