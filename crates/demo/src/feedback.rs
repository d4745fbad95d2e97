//! The demo's feedback: the satisfaction checks that the request history
//! raised, answered the way each department's internal customers would, and
//! two closed pulse rounds. Each provider has a character, so the matrix
//! shows a spread of health: IT and Finance strong, Operations struggling,
//! Marketing confident of itself while Sales sees it quite differently (the
//! large mirror gap), and one relationship where too few customers answered
//! to be shown.

use crate::DemoError;
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roundtable_domain::checks::CheckAnswer;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::pulses::Ratings;
use roundtable_domain::requests::Status;
use roundtable_store::checks::CheckResponse;
use roundtable_store::organizations::OrganizationChanges;
use roundtable_store::pulses::{NewPulseRound, PulseAnswer};
use roundtable_store::{Change, PageRequest, Scoped};
use std::collections::HashMap;

/// Customers who answer in the round's quiet cell: fewer than the default
/// anonymity threshold (5), so its results are withheld.
const QUIET_CELL_RESPONDENTS: usize = 3;

/// How a provider department is experienced by its internal customers.
#[derive(Debug, Clone, Copy)]
struct Character {
    /// Chance that a check is answered `met`, and `partly`; the rest is `not_met`.
    met: f64,
    partly: f64,
    /// The consumers' typical perception on the 1–7 scale.
    perception: i64,
    /// How the provider rates itself, on the same scale.
    self_rating: i64,
}

fn character_of(slug: &str) -> Character {
    match slug {
        "it" => Character {
            met: 0.88,
            partly: 0.1,
            perception: 6,
            self_rating: 6,
        },
        "finance" => Character {
            met: 0.82,
            partly: 0.14,
            perception: 6,
            self_rating: 5,
        },
        "operations" => Character {
            met: 0.42,
            partly: 0.33,
            perception: 3,
            self_rating: 4,
        },
        "marketing" => Character {
            met: 0.55,
            partly: 0.3,
            perception: 4,
            self_rating: 7,
        },
        _ => Character {
            met: 0.7,
            partly: 0.22,
            perception: 5,
            self_rating: 5,
        },
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FeedbackSummary {
    pub checks_answered: usize,
    pub pulse_rounds: usize,
}

fn hours(count: i64) -> SignedDuration {
    SignedDuration::from_hours(count)
}

/// Ratings around `centre`, kept on the 1–7 scale.
fn around(random: &mut ChaCha8Rng, centre: i64) -> Ratings {
    std::array::from_fn(|_| (centre + random.random_range(-1..=1)).clamp(1, 7))
}

/// 100 importance points, reliability usually weighing most.
fn importance(random: &mut ChaCha8Rng) -> Ratings {
    let mut points = [30, 20, 20, 15, 15];
    let from = random.random_range(0..5);
    let to = random.random_range(0..5);
    let moved = random.random_range(0..=10).min(points[from]);
    points[from] -= moved;
    points[to] += moved;
    points
}

pub(crate) async fn generate(
    scoped: &Scoped<'_>,
    seed: u64,
    now: Timestamp,
) -> Result<FeedbackSummary, DemoError> {
    let mut random = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_feed);
    let organization = scoped.organization().await?;
    scoped
        .update_organization(
            OrganizationChanges {
                thank_you_kind: Change::Set("points".to_owned()),
                thank_you_points: Change::Set(10),
                ..OrganizationChanges::default()
            },
            organization.version,
        )
        .await?;
    let departments = scoped
        .list_departments(PageRequest::first(PageRequest::MAX_LIMIT))
        .await?
        .items;
    let slugs: HashMap<DepartmentId, String> = departments
        .iter()
        .map(|department| (department.id, department.slug.clone()))
        .collect();
    let character =
        |department: DepartmentId| character_of(slugs.get(&department).map_or("", String::as_str));

    // Checks: most are answered within a few days; recent ones may still wait.
    let mut checks_answered = 0;
    for check in scoped.unanswered_checks().await? {
        let answered_at = check
            .created_at
            .saturating_add(hours(random.random_range(2..72)))
            .unwrap_or(check.created_at);
        let skipped = random.random_bool(0.15);
        if skipped || answered_at >= now || answered_at >= check.expires_at {
            continue;
        }
        let provider = character(check.provider_department_id);
        let roll: f64 = random.random();
        let mut answer = if roll < provider.met {
            CheckAnswer::Met
        } else if roll < provider.met + provider.partly {
            CheckAnswer::Partly
        } else {
            CheckAnswer::NotMet
        };
        // A `not_met` reopens a resolved request; in the demo's past that
        // would leave old work open, so only closed requests hear it.
        if answer == CheckAnswer::NotMet
            && scoped.request(check.request_id).await?.status != Status::Closed
        {
            answer = CheckAnswer::Partly;
        }
        let rating = Some(match answer {
            CheckAnswer::Met => random.random_range(4..=5),
            CheckAnswer::Partly => random.random_range(2..=4),
            CheckAnswer::NotMet => random.random_range(1..=2),
        });
        let comment = match answer {
            CheckAnswer::Met => "",
            CheckAnswer::Partly => "Useful, but we had to chase for the missing pieces.",
            CheckAnswer::NotMet => "This did not solve what we asked for.",
        };
        scoped
            .answer_check(
                check.id,
                check.respondent_person_id,
                CheckResponse {
                    answer,
                    rating,
                    comment: comment.to_owned(),
                },
                answered_at,
            )
            .await?;
        checks_answered += 1;
    }

    // Two closed pulse rounds over every agreed cell.
    let mut members: HashMap<DepartmentId, Vec<PersonId>> = HashMap::new();
    for department in &departments {
        let people = crate::active_people(scoped, department.id).await?;
        members.insert(
            department.id,
            people.into_iter().map(|person| person.id).collect(),
        );
    }
    let rounds = [
        ("2026 Q2 relationship pulse", 150, 120, -1),
        ("2026 Q3 relationship pulse", 60, 45, 0),
    ];
    for (name, opens_days_ago, closes_days_ago, drift) in rounds {
        let opens_at = now
            .checked_sub(hours(24 * opens_days_ago))
            .map_err(crate::history::invalid)?;
        let closes_at = now
            .checked_sub(hours(24 * closes_days_ago))
            .map_err(crate::history::invalid)?;
        let round = scoped
            .create_pulse_round(NewPulseRound {
                name: name.to_owned(),
                opens_at,
                closes_at,
                cells: None,
            })
            .await?;
        let is_spotlight = |(provider, consumer): &(DepartmentId, DepartmentId)| {
            slugs.get(provider).map(String::as_str) == Some("marketing")
                && slugs.get(consumer).map(String::as_str) == Some("sales")
        };
        // One relationship where too few customers answer, so every round
        // shows "not enough responses" somewhere; chosen by its place in the
        // round, not by chance, so the story holds whatever day it is made.
        let quiet_cell = round
            .cells
            .iter()
            .rev()
            .find(|cell| !is_spotlight(cell))
            .copied();
        for (step, (provider, consumer)) in round.cells.iter().enumerate() {
            let provider_character = character(*provider);
            let spotlight = is_spotlight(&(*provider, *consumer));
            let consumer_slug = slugs.get(consumer).map_or("", String::as_str);
            let quiet = quiet_cell == Some((*provider, *consumer));
            let mut consumers_answered = 0;
            // Busy people: most answer, the Executive Office hardly ever.
            let participation = if consumer_slug == "executive-office" {
                0.4
            } else if spotlight {
                1.0
            } else {
                0.9
            };
            let at = opens_at
                .saturating_add(hours(1 + step as i64 % 48))
                .unwrap_or(opens_at);
            for person in members.get(consumer).cloned().unwrap_or_default() {
                if !random.random_bool(participation) {
                    continue;
                }
                let perception_centre = if spotlight {
                    3
                } else {
                    provider_character.perception + drift
                };
                let answer = PulseAnswer {
                    provider: *provider,
                    consumer: *consumer,
                    expectation: Some(around(&mut random, 6)),
                    perception: around(&mut random, perception_centre),
                    importance: Some(importance(&mut random)),
                    comment: if spotlight {
                        "The leads arrive without the context we need to call them.".to_owned()
                    } else {
                        String::new()
                    },
                };
                // The answer is drawn either way, so every other cell's
                // answers stay the same as without the quiet cell.
                if quiet && consumers_answered >= QUIET_CELL_RESPONDENTS {
                    continue;
                }
                consumers_answered += 1;
                scoped
                    .respond_to_pulse(round.id, person, answer, at)
                    .await?;
            }
            for person in members.get(provider).cloned().unwrap_or_default() {
                if !random.random_bool(if spotlight { 1.0 } else { 0.8 }) {
                    continue;
                }
                let answer = PulseAnswer {
                    provider: *provider,
                    consumer: *consumer,
                    expectation: None,
                    perception: around(&mut random, provider_character.self_rating),
                    importance: None,
                    comment: String::new(),
                };
                scoped
                    .respond_to_pulse(round.id, person, answer, at)
                    .await?;
            }
        }
    }
    Ok(FeedbackSummary {
        checks_answered,
        pulse_rounds: rounds.len(),
    })
}
