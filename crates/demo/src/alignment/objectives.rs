//! The corporate objectives of the past and current quarter, as fixed plans,
//! and how one is recorded with its measures, contributors and check-in history.

use super::*;

pub(super) struct MeasurePlan {
    pub(super) name: &'static str,
    pub(super) unit: &'static str,
    pub(super) direction: Direction,
    pub(super) baseline: f64,
    pub(super) target: f64,
    pub(super) contributors: &'static [(&'static str, &'static str)],
}

pub(super) struct ObjectivePlan {
    pub(super) title: &'static str,
    pub(super) description: &'static str,
    pub(super) category: Category,
    pub(super) owner: &'static str,
    /// How far along its measures end up, relative to the elapsed share: 0 is
    /// exactly on time, positive is behind (in points).
    pub(super) points_behind: f64,
    pub(super) measures: &'static [MeasurePlan],
}

pub(super) const PAST: &[ObjectivePlan] = &[
    ObjectivePlan {
        title: "Turn more marketing leads into customers",
        description: "Marketing and sales agreed what a qualified lead is; now we convert them together.",
        category: Category::Revenue,
        owner: "sales",
        points_behind: 0.0,
        measures: &[MeasurePlan {
            name: "Qualified lead conversion",
            unit: "%",
            direction: Direction::Increase,
            baseline: 18.0,
            target: 24.0,
            contributors: &[
                (
                    "marketing",
                    "Marketing sends only leads that meet the agreed criteria, with budget band and need",
                ),
                (
                    "sales",
                    "Sales calls every qualified lead within one business day and reports back why deals are lost",
                ),
            ],
        }],
    },
    ObjectivePlan {
        title: "Fewer returns from wrong orders",
        description: "Wrong sizes and wrong items cost us twice: the return and the customer's trust.",
        category: Category::Reputation,
        owner: "operations",
        points_behind: 18.0,
        measures: &[MeasurePlan {
            name: "Orders returned as wrong item",
            unit: "%",
            direction: Direction::Decrease,
            baseline: 4.2,
            target: 2.5,
            contributors: &[
                (
                    "operations",
                    "Operations double-checks picks of the twenty most-confused items",
                ),
                (
                    "customer-service",
                    "Customer service logs the cause of every wrong-item return the same day",
                ),
                ("it", "IT shows item photos on the picking screens"),
            ],
        }],
    },
    ObjectivePlan {
        title: "Win back lapsed outfitters",
        description: "Outfitters who bought last season and not this one.",
        category: Category::RepeatBusiness,
        owner: "sales",
        points_behind: 45.0,
        measures: &[MeasurePlan {
            name: "Lapsed outfitters reordering",
            unit: "accounts",
            direction: Direction::Increase,
            baseline: 0.0,
            target: 40.0,
            contributors: &[
                (
                    "sales",
                    "Sales calls every lapsed outfitter once this quarter",
                ),
                (
                    "finance",
                    "Finance approves a returning-customer discount within a day",
                ),
            ],
        }],
    },
];

pub(super) const CURRENT: &[ObjectivePlan] = &[
    ObjectivePlan {
        title: "Be the outfitter customers recommend",
        description: "Referrals cost nothing and convert best; every department touches the experience.",
        category: Category::Referrals,
        owner: "customer-service",
        points_behind: 2.0,
        measures: &[
            MeasurePlan {
                name: "Net promoter score",
                unit: "points",
                direction: Direction::Increase,
                baseline: 31.0,
                target: 42.0,
                contributors: &[
                    (
                        "customer-service",
                        "Customer service closes the loop with every detractor within two days",
                    ),
                    (
                        "operations",
                        "Operations ships complete orders the first time",
                    ),
                ],
            },
            MeasurePlan {
                name: "Referral orders",
                unit: "orders",
                direction: Direction::Increase,
                baseline: 120.0,
                target: 180.0,
                contributors: &[
                    (
                        "marketing",
                        "Marketing runs the bring-a-friend campaign with the offers finance approved",
                    ),
                    (
                        "sales",
                        "Sales asks every happy account for an introduction",
                    ),
                ],
            },
        ],
    },
    ObjectivePlan {
        title: "Answer internal requests as fast as customers'",
        description: "The internal chain is only as fast as its slowest hand-off.",
        category: Category::Reputation,
        owner: "it",
        points_behind: 17.0,
        measures: &[MeasurePlan {
            name: "Internal requests breaching their target",
            unit: "%",
            direction: Direction::Decrease,
            baseline: 14.0,
            target: 6.0,
            contributors: &[
                (
                    "it",
                    "IT publishes a service target for every catalogue item",
                ),
                (
                    "finance",
                    "Finance answers approvals within the agreed business day",
                ),
            ],
        }],
    },
    ObjectivePlan {
        title: "Grow repeat business from clubs and schools",
        description: "Clubs and schools reorder every season if we make it easy.",
        category: Category::RepeatBusiness,
        owner: "sales",
        points_behind: 40.0,
        measures: &[MeasurePlan {
            name: "Club and school reorders",
            unit: "accounts",
            direction: Direction::Increase,
            baseline: 55.0,
            target: 80.0,
            contributors: &[
                (
                    "sales",
                    "Sales sets up reorder reminders for every club account",
                ),
                (
                    "marketing",
                    "Marketing builds the season catalogue for clubs two months early",
                ),
            ],
        }],
    },
];

/// Creates an objective and its measures with weekly check-ins up to `today`
/// (or the period's end), ending `points_behind` behind the elapsed share.
pub(super) async fn objective(
    scoped: &Scoped<'_>,
    cast: &Cast,
    random: &mut ChaCha8Rng,
    period: Period,
    plan: &ObjectivePlan,
    today: Date,
) -> Result<i64, DemoError> {
    let created = scoped
        .create_objective(NewObjective {
            period,
            title: Label::parse(plan.title)?,
            description: plan.description.to_owned(),
            category: plan.category,
            owner_person_id: cast.lead(plan.owner),
        })
        .await?;
    let elapsed = period.elapsed_share(today);
    let final_progress = (elapsed - plan.points_behind / 100.0).clamp(0.0, 1.0);
    let last_day = if today < period.end() {
        today
    } else {
        period.end()
    };
    for measure in plan.measures {
        let scale = Scale::new(measure.direction, measure.baseline, measure.target)?;
        let mut contributors = Vec::new();
        for (slug, statement) in measure.contributors {
            if let Some(department) = cast.department(slug) {
                contributors.push((department, (*statement).to_owned()));
            }
        }
        let created_measure = scoped
            .create_measure(NewMeasure {
                objective_id: created.id,
                name: Label::parse(measure.name)?,
                unit: measure.unit.to_owned(),
                scale,
                current: None,
                contributors,
            })
            .await?;
        let mut day = period
            .start()
            .checked_add(6.days())
            .unwrap_or(period.start());
        let weeks = (period
            .start()
            .until((jiff::Unit::Day, last_day))
            .map(|span| span.get_days())
            .unwrap_or(0)
            / 7)
        .max(1);
        let mut week = 0;
        while day <= last_day {
            week += 1;
            let share = f64::from(week) / f64::from(weeks);
            let wobble = random.random_range(-0.04..0.04);
            let progress = if day == last_day || week == weeks {
                final_progress
            } else {
                (final_progress * share + wobble).clamp(0.0, 1.0)
            };
            let value = measure.baseline + progress * (measure.target - measure.baseline);
            let value = (value * 10.0).round() / 10.0;
            let slug = measure
                .contributors
                .first()
                .map(|(slug, _)| *slug)
                .unwrap_or("sales");
            let author = cast.anyone(slug, random);
            let by = match author {
                Some(person) => scoped.by(person),
                None => *scoped,
            };
            let note = match week {
                1 => "First reading of the quarter".to_owned(),
                _ if progress >= 1.0 => "Target reached: together".to_owned(),
                _ => String::new(),
            };
            by.record_checkin(
                created_measure.id,
                NewCheckin {
                    value,
                    note,
                    recorded_on: day,
                },
            )
            .await?;
            if day == last_day {
                break;
            }
            day = day.checked_add(7.days()).unwrap_or(last_day);
            if day > last_day {
                day = last_day;
            }
        }
    }
    Ok(created.id)
}
