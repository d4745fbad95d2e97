//! Records a laid-out plan in the store: the intake form's answers, the request
//! and its transitions and comments, each by the right person in the right role.

use super::*;

/// Words in a title that settle a choice on the form.
pub(super) const HINTS: &[(&str, &str)] = &[
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
pub(super) fn choice_for<'a>(title: &str, choices: &'a [String], draw: u32) -> Option<&'a String> {
    HINTS
        .iter()
        .filter(|(word, _)| title.contains(word))
        .find_map(|(_, hint)| choices.iter().find(|choice| choice == hint))
        .or_else(|| {
            let count = u32::try_from(choices.len()).unwrap_or(1).max(1);
            choices.get(usize::try_from(draw % count).unwrap_or(0))
        })
}

pub(super) fn json_string(text: &str) -> String {
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
pub(super) fn intake_json(plan: &Plan, service: &Service, created: Timestamp) -> String {
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
pub(super) fn actor(plan: &Plan, side: Side) -> (PersonId, Roles) {
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
pub(super) async fn record(
    scoped: &Scoped<'_>,
    plan: &Plan,
    service: &Service,
    provider: &CalendarDefinition,
    requester: &CalendarDefinition,
    created: Timestamp,
    anchor: Timestamp,
) -> Result<Status, DemoError> {
    let steps = without_late_comments(planned_steps(plan, service, provider, requester, created)?);
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
                external_impact: plan.impact,
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
