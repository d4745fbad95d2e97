//! Telling people it is their turn: the hand-over sweep. Every minute it
//! reads each organization's open hand-overs and tells whoever they wait on
//! — an agreement proposed to a lead's department, an assumption or
//! frustration about it, a pulse round opening for someone — and reminds
//! them of what stays waiting: an agreement after three business days of
//! the lead's department's calendar, a pulse round at half-time and on its
//! last day, a satisfaction check after three days. The store sends each
//! notice once per person, kind, subject and stage across instances; people
//! turn each kind off in their notification settings like any other.
//!
//! Hand-overs told when they happen (a check asked, a request assigned, a
//! date proposed, an enhancement to confirm or sponsor) are the writes' own
//! notices; this sweep covers those that arise from time passing or that
//! had no notice.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::business_time::add_business_days;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::notices::{self, PulseStage, Wording};
use roundtable_store::handovers::HandoverNotice;
use roundtable_store::pulses::RoundStatus;
use roundtable_store::{PageRequest, Scoped, Store, StoreError};
use std::collections::BTreeMap;

/// Business days of the accepting department's calendar before a lead is
/// reminded of an agreement waiting for their acceptance.
pub const AGREEMENT_REMINDER_BUSINESS_DAYS: u32 = 3;

/// Days before a requester is reminded of an unanswered check.
pub const CHECK_REMINDER_DAYS: i64 = 3;

/// Tells and reminds everyone whose turn it is; returns how many notices
/// this call sent.
pub async fn sweep(store: &Store, now: Timestamp) -> Result<u64, StoreError> {
    let mut sent = 0;
    for organization in store.list_organizations().await? {
        let scoped = store.scoped(organization.id);
        let leads = scoped.leads_by_department().await?;
        let names = department_names(&scoped).await?;
        sent += agreements(&scoped, &leads, &names, now).await?;
        sent += topics(&scoped, &leads, &names, now).await?;
        sent += pulses(&scoped, now).await?;
        sent += checks(&scoped, now).await?;
    }
    Ok(sent)
}

async fn department_names(
    scoped: &Scoped<'_>,
) -> Result<BTreeMap<DepartmentId, String>, StoreError> {
    let mut names = BTreeMap::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = scoped.list_departments(page).await?;
        for department in listing.items {
            names.insert(department.id, department.name);
        }
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(names),
        }
    }
}

fn name_of(names: &BTreeMap<DepartmentId, String>, department: DepartmentId) -> String {
    names
        .get(&department)
        .cloned()
        .unwrap_or_else(|| format!("Department {department}"))
}

/// The recipients of a lead's hand-over: the department's leads, but not
/// the person who handed it over.
fn leads_but(
    leads: &BTreeMap<DepartmentId, Vec<PersonId>>,
    department: DepartmentId,
    author: Option<PersonId>,
) -> Vec<PersonId> {
    leads
        .get(&department)
        .map(|people| {
            people
                .iter()
                .copied()
                .filter(|person| Some(*person) != author)
                .collect()
        })
        .unwrap_or_default()
}

fn notice(
    kind: &'static str,
    stage: String,
    subject_kind: &'static str,
    subject_id: i64,
    wording: Wording,
    link: String,
) -> HandoverNotice {
    HandoverNotice {
        kind,
        stage,
        subject_kind,
        subject_id,
        title: wording.title,
        body: wording.body,
        link,
    }
}

async fn agreements(
    scoped: &Scoped<'_>,
    leads: &BTreeMap<DepartmentId, Vec<PersonId>>,
    names: &BTreeMap<DepartmentId, String>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let sides = scoped.proposed_sides().await?;
    if sides.is_empty() {
        return Ok(0);
    }
    let context = scoped.clock_context().await?;
    let mut sent = 0;
    for side in sides {
        let department = side.department();
        let recipients = leads_but(leads, department, side.proposed_by);
        let reminder_due = context
            .calendars
            .get(&department)
            .and_then(|calendar| {
                add_business_days(calendar, side.proposed_at, AGREEMENT_REMINDER_BUSINESS_DAYS).ok()
            })
            .is_some_and(|due| due <= now);
        let (kind, stage, reminder) = if reminder_due {
            (
                "agreement_reminder",
                format!("version-{}-reminder", side.version_number),
                Some(AGREEMENT_REMINDER_BUSINESS_DAYS),
            )
        } else {
            (
                "agreement_proposed",
                format!("version-{}", side.version_number),
                None,
            )
        };
        let wording = notices::agreement_proposed(
            &name_of(names, side.provider),
            &name_of(names, side.consumer),
            side.version_number,
            reminder,
        );
        let link = format!("/matrix/{}/{}", side.provider, side.consumer);
        sent += scoped
            .tell_once(
                &recipients,
                notice(kind, stage, "agreement", side.agreement_id, wording, link),
                now,
            )
            .await?;
    }
    Ok(sent)
}

async fn topics(
    scoped: &Scoped<'_>,
    leads: &BTreeMap<DepartmentId, Vec<PersonId>>,
    names: &BTreeMap<DepartmentId, String>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let mut sent = 0;
    for topic in scoped.topics_raised().await? {
        let recipients = leads_but(leads, topic.about, topic.author);
        let wording =
            notices::topic_raised(&topic.kind, &topic.title, &name_of(names, topic.about));
        let link = format!("/topics/{}", topic.topic_id);
        sent += scoped
            .tell_once(
                &recipients,
                notice(
                    "topic_raised",
                    "raised".to_owned(),
                    "topic",
                    topic.topic_id,
                    wording,
                    link,
                ),
                now,
            )
            .await?;
    }
    Ok(sent)
}

/// The latest stage of an open round that has come: a person is told the
/// latest only, so someone reached late is not told twice at once.
pub fn pulse_stage(opens_at: Timestamp, closes_at: Timestamp, now: Timestamp) -> PulseStage {
    let length = closes_at.duration_since(opens_at);
    let half_time = opens_at.checked_add(length / 2).unwrap_or(closes_at);
    let last_day = closes_at
        .checked_sub(SignedDuration::from_hours(24))
        .unwrap_or(opens_at);
    if now >= last_day && last_day > opens_at {
        PulseStage::LastDay
    } else if now >= half_time {
        PulseStage::HalfTime
    } else {
        PulseStage::Opened
    }
}

async fn pulses(scoped: &Scoped<'_>, now: Timestamp) -> Result<u64, StoreError> {
    let mut sent = 0;
    let rounds = scoped.pulse_rounds(PageRequest::first(50)).await?;
    for round in rounds
        .items
        .iter()
        .filter(|round| round.status(now) == RoundStatus::Open)
    {
        let waiting = scoped.pulse_non_respondents(round).await?;
        let stage = pulse_stage(round.opens_at, round.closing(), now);
        let kind = if stage == PulseStage::Opened {
            "pulse_opened"
        } else {
            "pulse_reminder"
        };
        let wording = notices::pulse_round(&round.name, &moment(round.closing()), stage);
        let link = format!("/pulses/{}", round.id);
        sent += scoped
            .tell_once(
                &waiting,
                notice(
                    kind,
                    stage.as_str().to_owned(),
                    "pulse_round",
                    round.id,
                    wording,
                    link,
                ),
                now,
            )
            .await?;
    }
    Ok(sent)
}

async fn checks(scoped: &Scoped<'_>, now: Timestamp) -> Result<u64, StoreError> {
    let asked_before = now
        .checked_sub(SignedDuration::from_hours(24 * CHECK_REMINDER_DAYS))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut sent = 0;
    for check in scoped.checks_waiting_since(asked_before, now).await? {
        let wording = notices::check_reminder(&check.request_title, &moment(check.expires_at));
        let link = format!("/checks/{}", check.check_id);
        sent += scoped
            .tell_once(
                &[check.respondent],
                notice(
                    "check_reminder",
                    "reminder".to_owned(),
                    "check",
                    check.check_id,
                    wording,
                    link,
                ),
                now,
            )
            .await?;
    }
    Ok(sent)
}

/// An instant for a notice: "2026-11-22 17:30 UTC".
fn moment(instant: Timestamp) -> String {
    instant
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH
            .checked_add(SignedDuration::from_hours(hours))
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn a_round_is_told_at_opening_half_time_and_on_its_last_day() {
        // A week-long round.
        let (opens, closes) = (at(0), at(168));
        assert_eq!(pulse_stage(opens, closes, at(1)), PulseStage::Opened);
        assert_eq!(pulse_stage(opens, closes, at(84)), PulseStage::HalfTime);
        assert_eq!(pulse_stage(opens, closes, at(143)), PulseStage::HalfTime);
        assert_eq!(pulse_stage(opens, closes, at(144)), PulseStage::LastDay);
        // A round of a day or less is reminded once, at half-time.
        assert_eq!(pulse_stage(at(0), at(24), at(0)), PulseStage::Opened);
        assert_eq!(pulse_stage(at(0), at(24), at(12)), PulseStage::HalfTime);
    }
}
