//! Words for values: statuses, priorities, clocks and durations as a person
//! reads them. Every state shown in colour is also shown here in words, so
//! colour is never the only signal.

use crate::api::requests::{ClockView, RequestView};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A request status in words.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "new" => "New",
        "acknowledged" => "Acknowledged",
        "in_progress" => "In progress",
        "waiting_on_requester" => "Waiting on requester",
        "resolved" => "Resolved",
        "closed" => "Closed",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}

pub fn priority_label(priority: &str) -> &'static str {
    match priority {
        "low" => "Low",
        "normal" => "Normal",
        "high" => "High",
        "urgent" => "Urgent",
        _ => "Unknown",
    }
}

pub fn impact_label(impact: &str) -> &'static str {
    match impact {
        "customer_waiting" => "Customer waiting",
        "customer_affected" => "Customer affected",
        _ => "No external impact",
    }
}

/// Business minutes as "2 h 05 min" (or "40 min").
pub fn business_duration(minutes: i64) -> String {
    let minutes = minutes.abs();
    match (minutes / 60, minutes % 60) {
        (0, rest) => format!("{rest} min"),
        (hours, 0) => format!("{hours} h"),
        (hours, rest) => format!("{hours} h {rest:02} min"),
    }
}

/// An instant written as RFC 3339, in the reader's time as
/// "2026-11-22 18:30 CET" (the text itself when it is not an instant).
pub fn instant(text: &str) -> String {
    text.parse::<Timestamp>()
        .map(moment)
        .unwrap_or_else(|_| text.to_owned())
}

tokio::task_local! {
    /// The time zone of the person a page is rendered for (see [`reader_zone`]).
    static READER_ZONE: TimeZone;
}

/// The zone the current page is read in: the signed-in person's (their own,
/// else their department's calendar's), UTC for anyone else.
pub fn reader_zone() -> TimeZone {
    READER_ZONE
        .try_with(TimeZone::clone)
        .unwrap_or(TimeZone::UTC)
}

/// An instant in the reader's time with the zone's abbreviation, as
/// "2026-11-22 18:30 CET".
pub fn moment(instant: Timestamp) -> String {
    instant
        .to_zoned(reader_zone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// Renders a page in its reader's time: resolves the signed-in person's
/// zone once per request (the actor is already resolved by `auth`) and
/// runs the handler with it, so every time a page shows goes through
/// [`moment`] in that zone without each handler passing it along. The API
/// keeps RFC 3339 with offsets and skips this.
pub async fn in_reader_zone(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let actor = request
        .extensions()
        .get::<crate::auth::Authenticated>()
        .map(|crate::auth::Authenticated(actor)| actor.clone());
    let zone = match actor {
        Some(actor) if !request.uri().path().starts_with("/api/") => {
            let caller = roundtable_app::Caller::new(&state.store, &actor);
            roundtable_app::time_zone::of_caller(&caller)
                .await
                .map(|reader| reader.zone)
                .unwrap_or(TimeZone::UTC)
        }
        _ => TimeZone::UTC,
    };
    READER_ZONE.scope(zone, next.run(request)).await
}

/// How a clock stands, in words, and the style class that colours it.
#[derive(Debug, Clone)]
pub struct ClockSummary {
    pub label: &'static str,
    pub detail: String,
    /// `ok`, `warn`, `bad`, `paused` or `done`.
    pub tone: &'static str,
}

pub fn clock_summary(clock: &ClockView) -> ClockSummary {
    let left = business_duration(clock.remaining_minutes);
    let (label, detail, tone) = match clock.state.as_str() {
        "running" => ("On track", format!("{left} left"), "ok"),
        "at_risk" => ("At risk", format!("{left} left"), "warn"),
        "breached" => ("Breached", format!("{left} over target"), "bad"),
        "paused" => ("Paused", format!("{left} left when it resumes"), "paused"),
        "met" => (
            "Met",
            format!(
                "within the {} target",
                business_duration(clock.target_minutes)
            ),
            "done",
        ),
        "missed" => (
            "Missed",
            format!(
                "{} over target",
                business_duration(-clock.remaining_minutes)
            ),
            "bad",
        ),
        _ => ("Unknown", String::new(), "paused"),
    };
    ClockSummary {
        label,
        detail,
        tone,
    }
}

/// The fulfilment clock of a request, or a note that it has none.
pub fn fulfilment_summary(request: &RequestView) -> ClockSummary {
    request
        .clocks
        .as_ref()
        .map(|clocks| clock_summary(&clocks.fulfilment))
        .unwrap_or(ClockSummary {
            label: "No clock",
            detail: "the provider has no business calendar".to_owned(),
            tone: "paused",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_hours_and_minutes() {
        assert_eq!(business_duration(40), "40 min");
        assert_eq!(business_duration(120), "2 h");
        assert_eq!(business_duration(125), "2 h 05 min");
        assert_eq!(business_duration(-65), "1 h 05 min");
    }

    #[test]
    fn instants_read_in_utc() {
        assert_eq!(instant("2026-11-22T17:30:00Z"), "2026-11-22 17:30 UTC");
        assert_eq!(instant("not a time"), "not a time");
    }
}
