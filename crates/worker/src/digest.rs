//! The weekly digest for leads: how their department's cells stand, as
//! provider and as consumer, once per ISO week (from Monday 07:00 UTC). The
//! store records each digest under (lead, week), so however many instances
//! run this job, each lead gets one.

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use roundtable_domain::ids::DepartmentId;
use roundtable_store::notifications::Notice;
use roundtable_store::{PageRequest, Store, StoreError};
use std::collections::HashMap;

/// The ISO week `now` falls in, once the digest is due (Monday 07:00 UTC on).
pub fn due_week(now: Timestamp) -> Option<String> {
    let zoned = now.to_zoned(TimeZone::UTC);
    let date = zoned.date();
    let started = date.weekday() != Weekday::Monday || zoned.hour() >= 7;
    let week = date.iso_week_date();
    started.then(|| format!("{}-W{:02}", week.year(), week.week()))
}

fn describe(score: Option<f64>) -> String {
    match score {
        Some(score) => format!("{score:.0}"),
        None => "insufficient data".to_owned(),
    }
}

/// Reminds owners of round-table actions due and overdue (each once).
pub async fn remind_actions(store: &Store, now: Timestamp) -> Result<u64, StoreError> {
    let today = now.to_zoned(TimeZone::UTC).date();
    let mut sent = 0;
    for organization in store.list_organizations().await? {
        sent += store
            .scoped(organization.id)
            .remind_actions(today, now)
            .await?;
    }
    Ok(sent)
}

/// Sends the week's digests not yet sent; returns how many this call sent.
pub async fn send_weekly_digests(store: &Store, now: Timestamp) -> Result<u64, StoreError> {
    let Some(week) = due_week(now) else {
        return Ok(0);
    };
    let mut sent = 0;
    for organization in store.list_organizations().await? {
        let scoped = store.scoped(organization.id);
        let departments = scoped
            .list_departments(PageRequest::first(PageRequest::MAX_LIMIT))
            .await?
            .items;
        if departments
            .iter()
            .all(|department| department.lead_ids.is_empty())
        {
            continue;
        }
        let names: HashMap<DepartmentId, String> = departments
            .iter()
            .map(|department| (department.id, department.name.clone()))
            .collect();
        let report = scoped.relationship_health(90, now).await?;
        for department in departments
            .iter()
            .filter(|department| !department.lead_ids.is_empty())
        {
            let mut lines = Vec::new();
            for ((provider, consumer), cell) in &report.cells {
                let other = if *provider == department.id {
                    format!(
                        "serving {}",
                        names.get(consumer).map_or("?", String::as_str)
                    )
                } else if *consumer == department.id {
                    format!(
                        "served by {}",
                        names.get(provider).map_or("?", String::as_str)
                    )
                } else {
                    continue;
                };
                lines.push(format!("- {other}: health {}", describe(cell.health.score)));
            }
            lines.sort();
            let body = if lines.is_empty() {
                "No relationship of your department has data in the last 90 days yet.".to_owned()
            } else {
                format!("Health over the last 90 days:\n{}", lines.join("\n"))
            };
            for lead in &department.lead_ids {
                let waiting = waiting_on(&scoped, store, *lead).await;
                let notice = Notice {
                    recipient: *lead,
                    kind: "weekly_digest",
                    subject_kind: "department",
                    subject_id: Some(department.id.0),
                    title: format!("{}: your relationships this week ({week})", department.name),
                    body: format!("{waiting}\n\n{body}"),
                    link: format!("/departments/{}/scorecard", department.id.0),
                };
                if scoped.send_digest(week.clone(), notice, now).await? {
                    sent += 1;
                }
            }
        }
    }
    Ok(sent)
}

/// How many of a lead's inbox items the digest lists.
const DIGEST_INBOX_LINES: usize = 10;

/// The digest's opening: what waits on the lead, as their inbox lists it.
/// A digest still goes out if the inbox cannot be read (with a line saying
/// so), since the health below it is worth having.
async fn waiting_on(
    scoped: &roundtable_store::Scoped<'_>,
    store: &Store,
    lead: roundtable_domain::ids::PersonId,
) -> String {
    let actor = match scoped.actor(lead).await {
        Ok(actor) => actor,
        Err(error) => {
            tracing::warn!(%error, person = lead.0, "the digest could not read who the lead is");
            return "Your inbox could not be read for this digest; open Roundtable to see it."
                .to_owned();
        }
    };
    let caller = roundtable_app::Caller::new(store, &actor);
    match roundtable_app::work::inbox(&caller).await {
        Ok(inbox) if inbox.items.is_empty() => "Nothing is waiting on you.".to_owned(),
        Ok(inbox) => {
            let mut lines = vec![format!("Waiting on you ({}):", inbox.items.len())];
            lines.extend(
                inbox
                    .items
                    .iter()
                    .take(DIGEST_INBOX_LINES)
                    .map(|item| format!("- {}: {}", item.kind.call_to_action(), item.title)),
            );
            if inbox.items.len() > DIGEST_INBOX_LINES {
                lines.push(format!(
                    "… and {} more in your inbox.",
                    inbox.items.len() - DIGEST_INBOX_LINES
                ));
            }
            lines.join("\n")
        }
        Err(error) => {
            tracing::warn!(%error, person = lead.0, "the digest could not read the lead's inbox");
            "Your inbox could not be read for this digest; open Roundtable to see it.".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_due_from_monday_seven_utc_for_the_iso_week() {
        let at = |text: &str| -> Timestamp { text.parse().unwrap_or(Timestamp::UNIX_EPOCH) };
        assert_eq!(due_week(at("2026-11-23T06:59:00Z")), None);
        assert_eq!(
            due_week(at("2026-11-23T07:00:00Z")).as_deref(),
            Some("2026-W48")
        );
        assert_eq!(
            due_week(at("2026-11-29T23:00:00Z")).as_deref(),
            Some("2026-W48")
        );
        assert_eq!(
            due_week(at("2027-01-01T12:00:00Z")).as_deref(),
            Some("2026-W53")
        );
    }
}
