//! Lays a plan out on the calendar relative to now: the day it was raised and
//! each step's instant, in business time on the requester's or provider's calendar.

use super::*;

pub(super) fn day_bounds(
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

pub(super) fn has_working_time(
    calendar: &CalendarDefinition,
    date: Date,
) -> Result<bool, DemoError> {
    let (start, end) = day_bounds(calendar, date)?;
    Ok(working_intervals(calendar, start, end).next().is_some())
}

/// When a request was raised `days_ago` before today in the requester's
/// calendar: at `fraction` of that day's working time (moving off days
/// without any to the nearest working day), or out of hours.
pub(super) fn raised_on(
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
pub(super) fn started_before(
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

/// Planned steps (instants in order, not yet capped at now) with the optional
/// comments kept only where they fall before the next step.
pub(super) fn without_late_comments(mut steps: Vec<(Timestamp, Step)>) -> Vec<(Timestamp, Step)> {
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
    steps
}

/// The plan's steps with their instants, in order.
pub(super) fn planned_steps(
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
        let at = if *by_provider {
            provider_after(created, *minutes)?
        } else {
            requester_after(created, *minutes)?
        };
        steps.push((
            at,
            move_to(Status::Cancelled, canceller(*by_provider), note),
        ));
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
        steps.push((
            provider_after(at, *minutes)?,
            move_to(Status::Cancelled, canceller(*by_provider), note),
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
pub(super) fn finish(
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

/// The side that cancels a request: its provider, or its requester.
fn canceller(by_provider: bool) -> Side {
    if by_provider {
        Side::Provider
    } else {
        Side::Requester
    }
}
