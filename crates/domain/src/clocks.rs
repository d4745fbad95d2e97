//! Service-level clocks of internal requests, and the order of a provider's
//! queue.
//!
//! A request has two clocks: *first response* (stopped by the first reply
//! from the provider side or an acknowledgement) and *fulfilment* (stopped by
//! resolution). Both are the same computation with a different target and a
//! different stopping instant, so this module has one [`read_clock`] and the
//! caller reads it twice.
//!
//! # Holding periods
//!
//! Nothing here stores "elapsed minutes". A request's history is a sequence
//! of [`HoldingPeriod`]s: which department held it, from when, until when (or
//! still), and whether the clock was paused (the request was
//! `waiting_on_requester`). Elapsed time is *derived* from the periods every
//! time, and the target is an *input*. That gives two properties for free:
//!
//! * Changing a request's service or priority changes only the target passed
//!   in: elapsed and paused time stay exactly what they were, and the new
//!   target simply yields a new remaining time, due instant and state.
//! * A pause is a period like any other, so it can never be lost or counted
//!   twice; it just does not count.
//!
//! Deferral for an external customer is *not* a pause: the provider still
//! owes the work, so such time must be recorded as an ordinary (unpaused)
//! period.
//!
//! # Whose time counts: fairness across hand-offs
//!
//! A request can be transferred to another provider department. If the
//! clock simply ran from creation, the receiving department would inherit
//! (and be blamed for) whatever the previous one spent, and a department
//! handed an already-late request could never be on time. So each department
//! is measured only on its *own* periods, in its *own* calendar (its time
//! zone, working hours and holidays): the clock of a request counts the
//! unpaused periods of **the department holding it at the end** — the last
//! period's department while the clock runs, or, once the clock has been
//! stopped, the department that held the request when it stopped (so a first
//! response given by department A before a transfer to B stays A's). If that
//! department held the request earlier too (A → B → A), all its own periods
//! count. Periods of other departments never count on it.
//! [`time_held_per_department`] shows the whole timeline the same way: who
//! held the work for how much business time (each in its own calendar) and
//! how much real time, with paused time reported apart.
//!
//! # States
//!
//! With `elapsed` the counted business time and `target` the target:
//!
//! * stopped: [`ClockState::Met`] if `elapsed <= target`, otherwise
//!   [`ClockState::Missed`] — whatever the periods say after the stop;
//! * not counting (the holder's current period is paused, or has ended
//!   without the clock being stopped): [`ClockState::Paused`];
//! * otherwise [`ClockState::Breached`] once `elapsed > target` (strictly
//!   past it: at exactly the target the clock is still at risk),
//!   [`ClockState::AtRisk`] from `elapsed >= share × target` (75 % by
//!   default, inclusive), else [`ClockState::Running`].
//!
//! `remaining = target − elapsed` always, negative once breached.
//!
//! # The due instant
//!
//! The due instant is the earliest instant at which the counted business time
//! reaches the target, assuming the current period simply goes on: for a
//! running clock, `remaining` business time counted from `now` in the
//! holder's calendar (via [`add_business_time`], so measuring from `now` to
//! the due instant gives `remaining` back exactly); for a breached clock, the
//! past instant inside the counted periods at which the target was used up.
//! A paused or stopped clock has no due instant (`None`): nothing is
//! counting towards it.
//!
//! # Queue order
//!
//! [`queue_order`] sorts a provider's open work: external impact first
//! (`customer_waiting`, then `customer_affected`, then `none`), then least
//! remaining fulfilment time (breached first, most breached first), then
//! priority (urgent first), then age (oldest first), then id, so the order is
//! total and stable across reloads.

use crate::ValidationErrors;
use crate::business_time::{BusinessTimeError, add_business_time, business_time_between};
use crate::calendar::CalendarDefinition;
use crate::ids::DepartmentId;
use crate::services::Priority;
use jiff::{SignedDuration, Timestamp};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::BuildHasher;

/// The share of a target from which a clock is at risk, unless configured.
pub const DEFAULT_AT_RISK_SHARE: f64 = 0.75;

/// A stretch of time during which one department held a request.
///
/// Periods of a request are given in order and never overlap (touching is
/// fine, gaps are time nobody held it and count for nobody); only the last
/// one may be open (`to: None`, still going on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HoldingPeriod {
    pub department: DepartmentId,
    pub from: Timestamp,
    /// When the period ended; `None` while it goes on.
    pub to: Option<Timestamp>,
    /// The request was waiting on its requester: the clock did not run.
    pub paused: bool,
}

impl HoldingPeriod {
    /// A running period that is still going on.
    pub fn open(department: DepartmentId, from: Timestamp) -> Self {
        Self {
            department,
            from,
            to: None,
            paused: false,
        }
    }

    /// A running period that has ended.
    pub fn closed(department: DepartmentId, from: Timestamp, to: Timestamp) -> Self {
        Self {
            department,
            from,
            to: Some(to),
            paused: false,
        }
    }

    /// The same period, paused or not.
    pub fn with_paused(self, paused: bool) -> Self {
        Self { paused, ..self }
    }

    /// The part of the period up to `end`, as `(from, to)` with `from <= to`:
    /// an open period runs until `end`, and nothing after `end` counts.
    pub fn span_until(&self, end: Timestamp) -> (Timestamp, Timestamp) {
        let to = self.to.map_or(end, |to| to.min(end));
        (self.from, to.max(self.from))
    }
}

/// Where the calendars of departments come from.
///
/// Implemented for maps and lists keyed by department, holding calendars
/// either owned or borrowed, so callers pass whatever they already have.
pub trait CalendarLookup: Debug {
    fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition>;

    /// The business time from `from` to `to` in the department's calendar
    /// (`None` when it has none). Clocks measure every period through this,
    /// so a lookup that keeps an index (such as
    /// [`IndexedCalendars`](crate::business_time_index::IndexedCalendars))
    /// can answer without walking the dates; any implementation must return
    /// exactly what [`business_time_between`] returns.
    fn business_time_between(
        &self,
        department: DepartmentId,
        from: Timestamp,
        to: Timestamp,
    ) -> Option<SignedDuration> {
        self.calendar_of(department)
            .map(|calendar| business_time_between(calendar, from, to))
    }

    /// The earliest instant by which `amount` of business time has elapsed
    /// from `start` in the department's calendar (`None` when it has none):
    /// a running clock's due instant. Like
    /// [`CalendarLookup::business_time_between`], an indexed lookup answers
    /// without walking, and any implementation must return exactly what
    /// [`add_business_time`] returns.
    fn add_business_time(
        &self,
        department: DepartmentId,
        start: Timestamp,
        amount: SignedDuration,
    ) -> Option<Result<Timestamp, BusinessTimeError>> {
        self.calendar_of(department)
            .map(|calendar| add_business_time(calendar, start, amount))
    }
}

impl<C, S> CalendarLookup for HashMap<DepartmentId, C, S>
where
    C: Borrow<CalendarDefinition> + Debug,
    S: BuildHasher,
{
    fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition> {
        self.get(&department).map(Borrow::borrow)
    }
}

impl<C> CalendarLookup for BTreeMap<DepartmentId, C>
where
    C: Borrow<CalendarDefinition> + Debug,
{
    fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition> {
        self.get(&department).map(Borrow::borrow)
    }
}

impl<C> CalendarLookup for Vec<(DepartmentId, C)>
where
    C: Borrow<CalendarDefinition> + Debug,
{
    fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition> {
        self.as_slice().calendar_of(department)
    }
}

impl<C, const N: usize> CalendarLookup for [(DepartmentId, C); N]
where
    C: Borrow<CalendarDefinition> + Debug,
{
    fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition> {
        self.as_slice().calendar_of(department)
    }
}

impl<C> CalendarLookup for [(DepartmentId, C)]
where
    C: Borrow<CalendarDefinition> + Debug,
{
    fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition> {
        self.iter()
            .find(|(candidate, _)| *candidate == department)
            .map(|(_, calendar)| calendar.borrow())
    }
}

/// What a clock says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockState {
    Running,
    AtRisk,
    Breached,
    Paused,
    Met,
    Missed,
}

impl ClockState {
    pub const ALL: [ClockState; 6] = [
        ClockState::Running,
        ClockState::AtRisk,
        ClockState::Breached,
        ClockState::Paused,
        ClockState::Met,
        ClockState::Missed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::AtRisk => "at_risk",
            ClockState::Breached => "breached",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Missed => "missed",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == input.trim())
            .ok_or_else(|| {
                ValidationErrors::single(
                    "",
                    "must be one of running, at_risk, breached, paused, met, missed",
                )
            })
    }

    /// Met or missed: the clock has been stopped.
    pub fn is_stopped(self) -> bool {
        matches!(self, ClockState::Met | ClockState::Missed)
    }
}

/// One clock read at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    pub state: ClockState,
    pub target: SignedDuration,
    /// Business time counted (the holder's own unpaused periods).
    pub elapsed: SignedDuration,
    /// `target − elapsed`: negative once breached.
    pub remaining: SignedDuration,
    /// When the target is (or was) used up; `None` when paused or stopped.
    pub due: Option<Timestamp>,
    /// When the clock was stopped, if it was.
    pub stopped_at: Option<Timestamp>,
}

/// Everything a clock is read from.
#[derive(Debug, Clone, Copy)]
pub struct ClockInput<'a> {
    /// The request's holding periods, in order.
    pub periods: &'a [HoldingPeriod],
    /// The calendars of (at least) the holding department.
    pub calendars: &'a dyn CalendarLookup,
    /// The target in business minutes (not negative).
    pub target_minutes: i64,
    /// From which share of the target (`0.0..=1.0`) the clock is at risk;
    /// usually [`DEFAULT_AT_RISK_SHARE`].
    pub at_risk_share: f64,
    /// When the clock was stopped (first response given, request resolved):
    /// counting ends there, whatever `now` is.
    pub stopped_at: Option<Timestamp>,
    pub now: Timestamp,
}

/// Why a clock could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClockError {
    #[error("the request has no holding periods")]
    NoPeriods,
    #[error("department {0} has no business calendar")]
    MissingCalendar(DepartmentId),
    #[error("holding period {index} ends before it starts")]
    PeriodEndsBeforeStart { index: usize },
    #[error("holding period {index} starts before the previous one ends")]
    PeriodsOverlap { index: usize },
    #[error("holding period {index} is open but is not the last one")]
    OpenPeriodNotLast { index: usize },
    #[error("a target must be a non-negative number of business minutes (got {0})")]
    InvalidTarget(i64),
    #[error("the at-risk share must be a number from 0 to 1 (got {0})")]
    InvalidAtRiskShare(f64),
    #[error(transparent)]
    BusinessTime(#[from] BusinessTimeError),
}

/// Reads a clock: see the module documentation for which periods count,
/// the states, and the due instant.
pub fn read_clock(input: &ClockInput<'_>) -> Result<ClockReading, ClockError> {
    let Counted {
        target,
        threshold,
        holder,
        spans,
        elapsed,
    } = count(input)?;
    let remaining = target.saturating_sub(elapsed);

    let (state, due) = match (input.stopped_at, input.periods.last()) {
        (Some(_), _) => {
            let state = if remaining.is_negative() {
                ClockState::Missed
            } else {
                ClockState::Met
            };
            (state, None)
        }
        (None, Some(current)) if !current.paused && current.to.is_none_or(|to| to > input.now) => {
            let state = if remaining.is_negative() {
                ClockState::Breached
            } else if elapsed >= threshold {
                ClockState::AtRisk
            } else {
                ClockState::Running
            };
            let resume = input.now.max(current.from);
            let due = due_instant(input.calendars, holder, &spans, target, resume)?;
            (state, Some(due))
        }
        (None, _) => (ClockState::Paused, None),
    };
    Ok(ClockReading {
        state,
        target,
        elapsed,
        remaining,
        due,
        stopped_at: input.stopped_at,
    })
}

/// What is left of a clock's target (negative once overrun): the
/// `remaining` of [`read_clock`], without the due instant. A queue orders by
/// it alone, and finding the due instant walks the calendar forward.
pub fn remaining_time(input: &ClockInput<'_>) -> Result<SignedDuration, ClockError> {
    let counted = count(input)?;
    Ok(counted.target.saturating_sub(counted.elapsed))
}

/// What [`read_clock`] and [`remaining_time`] both count.
struct Counted {
    target: SignedDuration,
    threshold: SignedDuration,
    /// The department whose calendar the clock runs on.
    holder: DepartmentId,
    /// `(start, business time counted)` of each running period of the holder.
    spans: Vec<(Timestamp, SignedDuration)>,
    elapsed: SignedDuration,
}

fn count(input: &ClockInput<'_>) -> Result<Counted, ClockError> {
    check_periods(input.periods)?;
    let target = target_duration(input.target_minutes)?;
    let threshold = at_risk_threshold(target, input.at_risk_share)?;
    let end = input.stopped_at.unwrap_or(input.now);
    let holder = holding_period(input.periods, input.stopped_at)
        .ok_or(ClockError::NoPeriods)?
        .department;
    if input.calendars.calendar_of(holder).is_none() {
        return Err(ClockError::MissingCalendar(holder));
    }
    let spans: Vec<(Timestamp, SignedDuration)> = input
        .periods
        .iter()
        .filter(|period| period.department == holder && !period.paused)
        .map(|period| {
            let (from, to) = period.span_until(end);
            input
                .calendars
                .business_time_between(holder, from, to)
                .map(|counted| (from, counted))
                .ok_or(ClockError::MissingCalendar(holder))
        })
        .collect::<Result<_, _>>()?;
    let elapsed = spans
        .iter()
        .fold(SignedDuration::ZERO, |total, (_, counted)| {
            total.saturating_add(*counted)
        });
    Ok(Counted {
        target,
        threshold,
        holder,
        spans,
        elapsed,
    })
}

/// The period whose department the clock measures: the last one while the
/// clock runs; once stopped, the last one that began before the stop (the
/// department that held the request when it stopped), or the first period
/// if the clock stopped before any began.
fn holding_period(
    periods: &[HoldingPeriod],
    stopped_at: Option<Timestamp>,
) -> Option<&HoldingPeriod> {
    match stopped_at {
        None => periods.last(),
        Some(stop) => periods
            .iter()
            .rev()
            .find(|period| period.from < stop)
            .or_else(|| periods.first()),
    }
}

/// The earliest instant at which the counted time reaches `target`: inside
/// the counted spans `(from, business time)` if it was reached there,
/// otherwise counting on from `resume`.
fn due_instant(
    calendars: &dyn CalendarLookup,
    holder: DepartmentId,
    spans: &[(Timestamp, SignedDuration)],
    target: SignedDuration,
    resume: Timestamp,
) -> Result<Timestamp, ClockError> {
    let add = |start: Timestamp, amount: SignedDuration| {
        calendars
            .add_business_time(holder, start, amount)
            .ok_or(ClockError::MissingCalendar(holder))?
            .map_err(ClockError::from)
    };
    let mut needed = target;
    for &(from, counted) in spans {
        if counted >= needed {
            return add(from, needed);
        }
        needed = needed.saturating_sub(counted);
    }
    add(resume, needed)
}

/// Periods must be in order, not overlap, end after they start, and only the
/// last may be open.
fn check_periods(periods: &[HoldingPeriod]) -> Result<(), ClockError> {
    let mut previous_end: Option<Timestamp> = None;
    for (index, period) in periods.iter().enumerate() {
        if period.to.is_some_and(|to| to < period.from) {
            return Err(ClockError::PeriodEndsBeforeStart { index });
        }
        if period.to.is_none() && index + 1 < periods.len() {
            return Err(ClockError::OpenPeriodNotLast { index });
        }
        if previous_end.is_some_and(|end| period.from < end) {
            return Err(ClockError::PeriodsOverlap { index });
        }
        previous_end = period.to;
    }
    Ok(())
}

fn target_duration(minutes: i64) -> Result<SignedDuration, ClockError> {
    if minutes < 0 {
        return Err(ClockError::InvalidTarget(minutes));
    }
    SignedDuration::try_from_mins(minutes).ok_or(ClockError::InvalidTarget(minutes))
}

/// The elapsed time from which a clock with `target` is at risk: `share` of
/// the target, rounded up to the nanosecond (so "at 75 %" means at 75 %
/// exactly, not a nanosecond before).
pub fn at_risk_threshold(target: SignedDuration, share: f64) -> Result<SignedDuration, ClockError> {
    if !(0.0..=1.0).contains(&share) {
        return Err(ClockError::InvalidAtRiskShare(share));
    }
    let total = target.as_nanos();
    // Float-to-int `as` saturates; the clamp keeps the threshold in range.
    let nanos = ((total as f64) * share).ceil() as i128;
    let nanos = nanos.clamp(0, total.max(0));
    Ok(SignedDuration::try_from_nanos_i128(nanos).unwrap_or(target))
}

/// How long one department held a request, on its own calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepartmentTime {
    pub department: DepartmentId,
    /// Business time held with the clock running (what its clock counts).
    pub business: SignedDuration,
    /// Real time held with the clock running.
    pub wall: SignedDuration,
    /// Business time held while paused (waiting on the requester).
    pub paused_business: SignedDuration,
    /// Real time held while paused.
    pub paused_wall: SignedDuration,
    /// `false` when the input had no calendar for the department: its
    /// business times are then zero, its real times still correct.
    pub has_calendar: bool,
}

impl DepartmentTime {
    fn new(department: DepartmentId, has_calendar: bool) -> Self {
        Self {
            department,
            business: SignedDuration::ZERO,
            wall: SignedDuration::ZERO,
            paused_business: SignedDuration::ZERO,
            paused_wall: SignedDuration::ZERO,
            has_calendar,
        }
    }
}

/// Who held the request for how long: one entry per department, in the
/// order each first held it, each department's business time measured on
/// its own calendar. Open periods run until `now`; nothing after `now`
/// counts. Never fails: a department missing from `calendars` is reported
/// with `has_calendar: false` (use [`read_clock`] to get an error instead).
pub fn time_held_per_department(
    periods: &[HoldingPeriod],
    calendars: &dyn CalendarLookup,
    now: Timestamp,
) -> Vec<DepartmentTime> {
    let mut held: Vec<DepartmentTime> = Vec::new();
    for period in periods {
        let (from, to) = period.span_until(now);
        let wall = to.duration_since(from);
        let business = calendars.business_time_between(period.department, from, to);
        let has_calendar = business.is_some();
        let business = business.unwrap_or(SignedDuration::ZERO);
        let index = match held
            .iter()
            .position(|entry| entry.department == period.department)
        {
            Some(index) => index,
            None => {
                held.push(DepartmentTime::new(period.department, has_calendar));
                held.len() - 1
            }
        };
        let entry = &mut held[index];
        if period.paused {
            entry.paused_business = entry.paused_business.saturating_add(business);
            entry.paused_wall = entry.paused_wall.saturating_add(wall);
        } else {
            entry.business = entry.business.saturating_add(business);
            entry.wall = entry.wall.saturating_add(wall);
        }
    }
    held
}

/// Whether a request affects an external customer. Ordered by severity:
/// `None < CustomerAffected < CustomerWaiting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExternalImpact {
    None,
    CustomerAffected,
    CustomerWaiting,
}

impl ExternalImpact {
    pub const ALL: [ExternalImpact; 3] = [
        ExternalImpact::None,
        ExternalImpact::CustomerAffected,
        ExternalImpact::CustomerWaiting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExternalImpact::None => "none",
            ExternalImpact::CustomerAffected => "customer_affected",
            ExternalImpact::CustomerWaiting => "customer_waiting",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        Self::ALL
            .into_iter()
            .find(|impact| impact.as_str() == input.trim())
            .ok_or_else(|| {
                ValidationErrors::single(
                    "",
                    "must be one of none, customer_affected, customer_waiting",
                )
            })
    }
}

/// What the queue order needs to know of an open request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueEntry {
    pub id: i64,
    pub impact: ExternalImpact,
    /// The fulfilment clock's remaining time; negative once breached.
    pub remaining_fulfilment: SignedDuration,
    pub priority: Priority,
    pub created_at: Timestamp,
}

/// The order of a provider's queue, first to work on first: most severe
/// external impact, then least remaining fulfilment time (most breached
/// first), then highest priority, then oldest, then lowest id. A total order:
/// `Equal` only for entries that are equal.
pub fn queue_order(a: &QueueEntry, b: &QueueEntry) -> Ordering {
    b.impact
        .cmp(&a.impact)
        .then_with(|| a.remaining_fulfilment.cmp(&b.remaining_fulfilment))
        .then_with(|| b.priority.cmp(&a.priority))
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// Sorts entries into queue order.
pub fn sort_queue(entries: &mut [QueueEntry]) {
    entries.sort_by(queue_order);
}

/// One page of a queue: the items at positions `offset..offset + limit` of
/// the queue order. Selects before it sorts, so a page of 50 from a queue of
/// thousands costs a linear pass plus sorting the page, not sorting it all.
pub fn queue_page<T>(mut entries: Vec<(QueueEntry, T)>, offset: usize, limit: usize) -> Vec<T> {
    let end = offset.saturating_add(limit).min(entries.len());
    if offset >= end {
        return Vec::new();
    }
    if end < entries.len() {
        entries.select_nth_unstable_by(end - 1, |(a, _), (b, _)| queue_order(a, b));
        entries.truncate(end);
    }
    entries.sort_unstable_by(|(a, _), (b, _)| queue_order(a, b));
    entries
        .into_iter()
        .skip(offset)
        .map(|(_, item)| item)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::business_time::add_business_minutes;
    use crate::business_time_index::index_calendars;
    use crate::calendar::{WeeklySchedule, WorkingInterval};
    use jiff::civil::{Weekday, date};
    use proptest::prelude::*;

    const A: DepartmentId = DepartmentId(1);
    const B: DepartmentId = DepartmentId(2);
    const C: DepartmentId = DepartmentId(3);

    const BERLIN: &str = "Europe/Berlin";
    const NEW_YORK: &str = "America/New_York";

    /// Monday to Friday, 09:00–17:00.
    fn office(zone: &str) -> CalendarDefinition {
        let day = vec![WorkingInterval::parse("09:00", "17:00").unwrap()];
        let schedule = WeeklySchedule::new(
            [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ]
            .map(|weekday| (weekday, day.clone())),
        )
        .unwrap();
        CalendarDefinition::new(zone, schedule, Vec::new()).unwrap()
    }

    /// An unambiguous local time in `zone`, in March 2026 (Friday the 6th,
    /// Monday the 9th).
    fn local(zone: &str, day: i8, hour: i8, minute: i8) -> Timestamp {
        date(2026, 3, day)
            .at(hour, minute, 0, 0)
            .in_tz(zone)
            .unwrap()
            .timestamp()
    }

    fn mins(minutes: i64) -> SignedDuration {
        SignedDuration::from_mins(minutes)
    }

    fn hours(hours: i64) -> SignedDuration {
        SignedDuration::from_hours(hours)
    }

    fn input<'a>(
        periods: &'a [HoldingPeriod],
        calendars: &'a dyn CalendarLookup,
        target_minutes: i64,
        stopped_at: Option<Timestamp>,
        now: Timestamp,
    ) -> ClockInput<'a> {
        ClockInput {
            periods,
            calendars,
            target_minutes,
            at_risk_share: DEFAULT_AT_RISK_SHARE,
            stopped_at,
            now,
        }
    }

    fn read(
        periods: &[HoldingPeriod],
        calendars: &dyn CalendarLookup,
        target_minutes: i64,
        now: Timestamp,
    ) -> ClockReading {
        read_clock(&input(periods, calendars, target_minutes, None, now)).unwrap()
    }

    #[test]
    fn test_dates_fall_on_the_expected_weekdays() {
        assert_eq!(date(2026, 3, 6).weekday(), Weekday::Friday);
        assert_eq!(date(2026, 3, 9).weekday(), Weekday::Monday);
    }

    #[test]
    fn friday_afternoon_with_two_hours_is_due_monday_at_ten() {
        for zone in [BERLIN, NEW_YORK] {
            // New York changes to summer time on Sunday 8 March: no working
            // time is affected, Monday 10:00 local stays the answer.
            let calendars = [(A, office(zone))];
            let periods = [HoldingPeriod::open(A, local(zone, 6, 16, 0))];
            let due = Some(local(zone, 9, 10, 0));

            let reading = read(&periods, &calendars, 120, local(zone, 6, 16, 30));
            assert_eq!(reading.state, ClockState::Running, "{zone}");
            assert_eq!(reading.elapsed, mins(30));
            assert_eq!(reading.remaining, mins(90));
            assert_eq!(reading.target, hours(2));
            assert_eq!(reading.due, due, "{zone}");
            assert_eq!(reading.stopped_at, None);

            // Over the weekend nothing is used up and nothing moves.
            let saturday = read(&periods, &calendars, 120, local(zone, 7, 12, 0));
            assert_eq!(saturday.elapsed, hours(1));
            assert_eq!(saturday.due, due);

            let monday = read(&periods, &calendars, 120, local(zone, 9, 9, 30));
            assert_eq!(monday.elapsed, mins(90));
            assert_eq!(monday.state, ClockState::AtRisk);
            assert_eq!(monday.due, due);
        }
    }

    #[test]
    fn a_pause_over_the_weekend_changes_nothing() {
        let calendars = [(A, office(BERLIN))];
        let now = local(BERLIN, 9, 8, 30);
        let straight = [HoldingPeriod::open(A, local(BERLIN, 6, 16, 0))];
        let with_pause = [
            HoldingPeriod::closed(A, local(BERLIN, 6, 16, 0), local(BERLIN, 6, 17, 30)),
            HoldingPeriod::closed(A, local(BERLIN, 6, 17, 30), local(BERLIN, 9, 8, 0))
                .with_paused(true),
            HoldingPeriod::open(A, local(BERLIN, 9, 8, 0)),
        ];
        let before = read(&straight, &calendars, 120, now);
        let after = read(&with_pause, &calendars, 120, now);
        assert_eq!(after, before);
        assert_eq!(after.due, Some(local(BERLIN, 9, 10, 0)));
        assert_eq!(after.elapsed, hours(1));
    }

    #[test]
    fn a_pause_in_working_hours_pushes_due_by_the_paused_business_time() {
        let berlin = office(BERLIN);
        let calendars = [(A, berlin.clone())];
        let created = local(BERLIN, 9, 9, 0);
        let straight = [HoldingPeriod::open(A, created)];

        // 45 minutes paused on Monday morning.
        let now = local(BERLIN, 9, 11, 0);
        let paused = [
            HoldingPeriod::closed(A, created, local(BERLIN, 9, 9, 30)),
            HoldingPeriod::closed(A, local(BERLIN, 9, 9, 30), local(BERLIN, 9, 10, 15))
                .with_paused(true),
            HoldingPeriod::open(A, local(BERLIN, 9, 10, 15)),
        ];
        let before = read(&straight, &calendars, 240, now);
        let after = read(&paused, &calendars, 240, now);
        assert_eq!(before.due, Some(local(BERLIN, 9, 13, 0)));
        assert_eq!(after.due, Some(local(BERLIN, 9, 13, 45)));
        assert_eq!(after.elapsed, before.elapsed - mins(45));

        // Paused overnight from Monday 16:30 to Tuesday 09:30: one business
        // hour paused, seventeen real ones; due moves by the business hour.
        let now = local(BERLIN, 10, 10, 0);
        let overnight = [
            HoldingPeriod::closed(A, created, local(BERLIN, 9, 16, 30)),
            HoldingPeriod::closed(A, local(BERLIN, 9, 16, 30), local(BERLIN, 10, 9, 30))
                .with_paused(true),
            HoldingPeriod::open(A, local(BERLIN, 10, 9, 30)),
        ];
        let before = read(&straight, &calendars, 16 * 60, now);
        let after = read(&overnight, &calendars, 16 * 60, now);
        assert_eq!(before.due, Some(local(BERLIN, 10, 17, 0)));
        assert_eq!(after.due, Some(local(BERLIN, 11, 10, 0)));
        let (Some(was), Some(is)) = (before.due, after.due) else {
            unreachable!()
        };
        assert_eq!(business_time_between(&berlin, was, is), hours(1));
    }

    #[test]
    fn a_paused_clock_has_no_due_instant() {
        let calendars = [(A, office(BERLIN))];
        let periods = [
            HoldingPeriod::closed(A, local(BERLIN, 9, 9, 0), local(BERLIN, 9, 10, 0)),
            HoldingPeriod::open(A, local(BERLIN, 9, 10, 0)).with_paused(true),
        ];
        let reading = read(&periods, &calendars, 120, local(BERLIN, 10, 12, 0));
        assert_eq!(reading.state, ClockState::Paused);
        assert_eq!(reading.due, None);
        assert_eq!(reading.elapsed, hours(1));
        assert_eq!(reading.remaining, hours(1));

        // Even a breached clock reads paused while it waits on the requester.
        let breached = read(&periods, &calendars, 30, local(BERLIN, 10, 12, 0));
        assert_eq!(breached.state, ClockState::Paused);
        assert_eq!(breached.remaining, mins(-30));
    }

    #[test]
    fn a_request_nobody_holds_any_more_is_not_counting() {
        let calendars = [(A, office(BERLIN))];
        let periods = [HoldingPeriod::closed(
            A,
            local(BERLIN, 9, 9, 0),
            local(BERLIN, 9, 10, 0),
        )];
        let reading = read(&periods, &calendars, 120, local(BERLIN, 10, 12, 0));
        assert_eq!(reading.state, ClockState::Paused);
        assert_eq!(reading.elapsed, hours(1));
        assert_eq!(reading.due, None);
    }

    #[test]
    fn at_risk_from_exactly_the_share_and_breached_only_past_the_target() {
        let calendars = [(A, office(BERLIN))];
        let periods = [HoldingPeriod::open(A, local(BERLIN, 9, 9, 0))];
        let nano = SignedDuration::from_nanos(1);
        let at = |now: Timestamp| read(&periods, &calendars, 120, now);

        assert_eq!(
            at(local(BERLIN, 9, 10, 30) - nano).state,
            ClockState::Running
        );
        assert_eq!(at(local(BERLIN, 9, 10, 30)).state, ClockState::AtRisk);
        assert_eq!(at(local(BERLIN, 9, 10, 30)).elapsed, mins(90));

        let on_target = at(local(BERLIN, 9, 11, 0));
        assert_eq!(on_target.state, ClockState::AtRisk);
        assert_eq!(on_target.remaining, SignedDuration::ZERO);
        assert_eq!(on_target.due, Some(local(BERLIN, 9, 11, 0)));

        let past = at(local(BERLIN, 9, 11, 0) + nano);
        assert_eq!(past.state, ClockState::Breached);
        assert_eq!(past.remaining, -nano);

        // Long breached: the due instant is when the target ran out.
        let evening = at(local(BERLIN, 9, 20, 0));
        assert_eq!(evening.state, ClockState::Breached);
        assert_eq!(evening.elapsed, hours(8));
        assert_eq!(evening.remaining, hours(-6));
        assert_eq!(evening.due, Some(local(BERLIN, 9, 11, 0)));

        // A configured share.
        let half = read_clock(&ClockInput {
            at_risk_share: 0.5,
            ..input(&periods, &calendars, 120, None, local(BERLIN, 9, 10, 0))
        })
        .unwrap();
        assert_eq!(half.state, ClockState::AtRisk);
        assert_eq!(at(local(BERLIN, 9, 10, 0)).state, ClockState::Running);
    }

    #[test]
    fn the_at_risk_threshold_is_exact_and_rounds_up() {
        assert_eq!(at_risk_threshold(mins(120), 0.75), Ok(mins(90)));
        assert_eq!(at_risk_threshold(mins(120), 0.0), Ok(SignedDuration::ZERO));
        assert_eq!(at_risk_threshold(mins(120), 1.0), Ok(mins(120)));
        assert_eq!(
            at_risk_threshold(SignedDuration::from_nanos(3), 0.5),
            Ok(SignedDuration::from_nanos(2))
        );
        for bad in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                at_risk_threshold(mins(120), bad),
                Err(ClockError::InvalidAtRiskShare(_))
            ));
        }
    }

    #[test]
    fn a_stopped_clock_is_met_or_missed_and_stays_so() {
        let calendars = [(A, office(BERLIN))];
        let periods = [HoldingPeriod::open(A, local(BERLIN, 9, 9, 0))];
        let later = local(BERLIN, 11, 15, 0);
        let stop =
            |at: Timestamp| read_clock(&input(&periods, &calendars, 120, Some(at), later)).unwrap();

        let met = stop(local(BERLIN, 9, 10, 45));
        assert_eq!(met.state, ClockState::Met);
        assert_eq!(met.elapsed, mins(105));
        assert_eq!(met.remaining, mins(15));
        assert_eq!(met.due, None);
        assert_eq!(met.stopped_at, Some(local(BERLIN, 9, 10, 45)));

        assert_eq!(stop(local(BERLIN, 9, 11, 0)).state, ClockState::Met);

        let missed = stop(local(BERLIN, 9, 11, 30));
        assert_eq!(missed.state, ClockState::Missed);
        assert_eq!(missed.remaining, mins(-30));
        assert!(ClockState::Missed.is_stopped() && !ClockState::Breached.is_stopped());
    }

    #[test]
    fn a_hand_off_starts_the_new_department_at_zero_on_its_own_calendar() {
        let berlin = office(BERLIN);
        let new_york = office(NEW_YORK);
        let calendars = [(A, berlin.clone()), (B, new_york.clone())];
        // A (Berlin) held it Monday 09:00–12:00 Berlin: three business hours.
        // 12:00 Berlin is 07:00 in New York (summer time began there on the 8th).
        let created = local(BERLIN, 9, 9, 0);
        let handed_off = local(BERLIN, 9, 12, 0);
        assert_eq!(handed_off, local(NEW_YORK, 9, 7, 0));
        let periods = [
            HoldingPeriod::closed(A, created, handed_off),
            HoldingPeriod::open(B, handed_off),
        ];

        let at_hand_off = read(&periods, &calendars, 240, handed_off);
        assert_eq!(at_hand_off.elapsed, SignedDuration::ZERO);
        assert_eq!(at_hand_off.state, ClockState::Running);
        assert_eq!(at_hand_off.due, Some(local(NEW_YORK, 9, 13, 0)));

        // Noon in New York is 17:00 in Berlin.
        let now = local(NEW_YORK, 9, 12, 0);
        let reading = read(&periods, &calendars, 240, now);
        assert_eq!(reading.elapsed, hours(3));
        assert_eq!(reading.due, Some(local(NEW_YORK, 9, 13, 0)));
        // On A's calendar the same stretch would have been five hours.
        assert_eq!(business_time_between(&berlin, handed_off, now), hours(5));

        let held = time_held_per_department(&periods, &calendars, now);
        assert_eq!(held.len(), 2);
        assert_eq!((held[0].department, held[0].business), (A, hours(3)));
        assert_eq!(held[0].wall, hours(3));
        assert_eq!((held[1].department, held[1].business), (B, hours(3)));
        assert_eq!(held[1].wall, hours(5));
        assert!(held.iter().all(|entry| entry.has_calendar));
        assert!(held.iter().all(|entry| entry.paused_wall.is_zero()));

        // Handed back to A: A's clock counts both of its own stretches.
        let back = local(NEW_YORK, 9, 12, 0);
        let periods = [
            HoldingPeriod::closed(A, created, handed_off),
            HoldingPeriod::closed(B, handed_off, back),
            HoldingPeriod::open(A, back),
        ];
        let tuesday = local(BERLIN, 10, 10, 0);
        let reading = read(&periods, &calendars, 480, tuesday);
        assert_eq!(reading.elapsed, hours(4));
        assert_eq!(reading.due, Some(local(BERLIN, 10, 14, 0)));
        let held = time_held_per_department(&periods, &calendars, tuesday);
        assert_eq!(held[0].business, hours(4));
        assert_eq!(held[1].business, hours(3));
    }

    #[test]
    fn a_stopped_clock_belongs_to_the_department_that_held_it_when_it_stopped() {
        let calendars = [(A, office(BERLIN)), (B, office(NEW_YORK))];
        let created = local(BERLIN, 9, 9, 0);
        let answered = local(BERLIN, 9, 9, 20);
        let handed_off = local(BERLIN, 9, 12, 0);
        let periods = [
            HoldingPeriod::closed(A, created, handed_off),
            HoldingPeriod::open(B, handed_off),
        ];
        let now = local(BERLIN, 10, 12, 0);
        let first_response =
            read_clock(&input(&periods, &calendars, 30, Some(answered), now)).unwrap();
        assert_eq!(first_response.state, ClockState::Met);
        assert_eq!(first_response.elapsed, mins(20));
        // Stopped exactly at the hand-off: still the department that had it.
        let at_hand_off =
            read_clock(&input(&periods, &calendars, 30, Some(handed_off), now)).unwrap();
        assert_eq!(at_hand_off.elapsed, hours(3));
        assert_eq!(at_hand_off.state, ClockState::Missed);
    }

    #[test]
    fn changing_the_target_keeps_elapsed_and_paused_time() {
        let calendars = [(A, office(BERLIN))];
        let periods = [
            HoldingPeriod::closed(A, local(BERLIN, 9, 9, 0), local(BERLIN, 9, 12, 0)),
            HoldingPeriod::closed(A, local(BERLIN, 9, 12, 0), local(BERLIN, 9, 14, 0))
                .with_paused(true),
            HoldingPeriod::open(A, local(BERLIN, 9, 14, 0)),
        ];
        let now = local(BERLIN, 9, 15, 0);
        let urgent = read(&periods, &calendars, 120, now);
        let normal = read(&periods, &calendars, 480, now);
        assert_eq!(urgent.elapsed, hours(4));
        assert_eq!(normal.elapsed, hours(4));
        assert_eq!(urgent.state, ClockState::Breached);
        assert_eq!(normal.state, ClockState::Running);
        assert_eq!(urgent.remaining, hours(-2));
        assert_eq!(normal.remaining, hours(4));
        assert_eq!(urgent.due, Some(local(BERLIN, 9, 11, 0)));
        assert_eq!(normal.due, Some(local(BERLIN, 10, 11, 0)));
    }

    /// A lookup that counts how often it is asked to measure.
    #[derive(Debug)]
    struct CountingLookup {
        calendars: Vec<(DepartmentId, CalendarDefinition)>,
        measured: std::cell::Cell<usize>,
    }

    impl CalendarLookup for CountingLookup {
        fn calendar_of(&self, department: DepartmentId) -> Option<&CalendarDefinition> {
            self.calendars.calendar_of(department)
        }

        fn business_time_between(
            &self,
            department: DepartmentId,
            from: Timestamp,
            to: Timestamp,
        ) -> Option<SignedDuration> {
            self.measured.set(self.measured.get() + 1);
            self.calendars.business_time_between(department, from, to)
        }
    }

    #[test]
    fn clocks_measure_periods_through_the_lookup() {
        let lookup = CountingLookup {
            calendars: vec![(A, office(BERLIN)), (B, office(NEW_YORK))],
            measured: std::cell::Cell::new(0),
        };
        let periods = [
            HoldingPeriod::closed(A, local(BERLIN, 6, 9, 0), local(BERLIN, 6, 12, 0)),
            HoldingPeriod::closed(B, local(BERLIN, 6, 12, 0), local(BERLIN, 9, 12, 0)),
            HoldingPeriod::open(A, local(BERLIN, 9, 12, 0)),
        ];
        let now = local(BERLIN, 9, 13, 0);
        let reading = read(&periods, &lookup, 480, now);
        assert_eq!(reading.elapsed, hours(4));
        // Both of A's periods, and none of B's.
        assert_eq!(lookup.measured.get(), 2);

        lookup.measured.set(0);
        let held = time_held_per_department(&periods, &lookup, now);
        assert_eq!(held.len(), 2);
        assert_eq!(lookup.measured.get(), 3);
    }

    #[test]
    fn an_indexed_lookup_without_the_holder_is_an_error_too() {
        let plain = HashMap::from([(A, office(BERLIN))]);
        let indexed = index_calendars(&plain, local(BERLIN, 2, 0, 0), local(BERLIN, 20, 0, 0));
        let periods = [HoldingPeriod::open(B, local(BERLIN, 9, 9, 0))];
        let now = local(BERLIN, 9, 16, 0);
        assert_eq!(
            read_clock(&input(&periods, &indexed, 60, None, now)),
            Err(ClockError::MissingCalendar(B))
        );
        let held = time_held_per_department(&periods, &indexed, now);
        assert!(!held[0].has_calendar);
        assert_eq!(held[0].business, SignedDuration::ZERO);
        assert_eq!(held[0].wall, hours(7));
    }

    #[test]
    fn bad_input_is_an_error() {
        let calendars = [(A, office(BERLIN))];
        let t = |hour| local(BERLIN, 9, hour, 0);
        let now = t(16);
        let error = |periods: &[HoldingPeriod], target| {
            read_clock(&input(periods, &calendars, target, None, now)).unwrap_err()
        };
        assert_eq!(error(&[], 60), ClockError::NoPeriods);
        assert_eq!(
            error(&[HoldingPeriod::open(B, t(9))], 60),
            ClockError::MissingCalendar(B)
        );
        assert_eq!(
            error(&[HoldingPeriod::closed(A, t(10), t(9))], 60),
            ClockError::PeriodEndsBeforeStart { index: 0 }
        );
        assert_eq!(
            error(
                &[
                    HoldingPeriod::closed(A, t(9), t(11)),
                    HoldingPeriod::open(A, t(10))
                ],
                60
            ),
            ClockError::PeriodsOverlap { index: 1 }
        );
        assert_eq!(
            error(
                &[HoldingPeriod::open(A, t(9)), HoldingPeriod::open(A, t(10))],
                60
            ),
            ClockError::OpenPeriodNotLast { index: 0 }
        );
        assert_eq!(
            error(&[HoldingPeriod::open(A, t(9))], -1),
            ClockError::InvalidTarget(-1)
        );
        assert_eq!(
            error(&[HoldingPeriod::open(A, t(9))], i64::MAX),
            ClockError::InvalidTarget(i64::MAX)
        );
        // Another department's missing calendar does not matter to the clock.
        let periods = [
            HoldingPeriod::closed(B, t(9), t(10)),
            HoldingPeriod::open(A, t(10)),
        ];
        assert_eq!(read(&periods, &calendars, 60, now).elapsed, hours(6));
        // ... and shows in the time held as unmeasured.
        let held = time_held_per_department(&periods, &calendars, now);
        assert!(!held[0].has_calendar);
        assert_eq!(held[0].business, SignedDuration::ZERO);
        assert_eq!(held[0].wall, hours(1));
        assert!(held[1].has_calendar);
    }

    #[test]
    fn time_held_reports_paused_time_apart() {
        let calendars: HashMap<DepartmentId, CalendarDefinition> =
            [(A, office(BERLIN)), (B, office(NEW_YORK))].into();
        let t = |day, hour| local(BERLIN, day, hour, 0);
        let periods = [
            HoldingPeriod::closed(B, t(9, 9), t(9, 15)),
            HoldingPeriod::closed(A, t(9, 15), t(9, 16)),
            HoldingPeriod::closed(A, t(9, 16), t(10, 10)).with_paused(true),
            HoldingPeriod::open(A, t(10, 10)),
        ];
        let held = time_held_per_department(&periods, &calendars, t(10, 11));
        assert_eq!(held.len(), 2);
        // B first: it held the request first. 09:00–15:00 Berlin is
        // 04:00–10:00 in New York: one business hour there.
        assert_eq!(held[0].department, B);
        assert_eq!(held[0].business, hours(1));
        assert_eq!(held[0].wall, hours(6));
        assert_eq!(held[1].department, A);
        assert_eq!(held[1].business, hours(2));
        assert_eq!(held[1].wall, hours(2));
        assert_eq!(held[1].paused_business, hours(2));
        assert_eq!(held[1].paused_wall, hours(18));
        assert!(time_held_per_department(&[], &calendars, t(10, 11)).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for state in ClockState::ALL {
            assert_eq!(ClockState::parse(state.as_str()), Ok(state));
        }
        for impact in ExternalImpact::ALL {
            assert_eq!(ExternalImpact::parse(impact.as_str()), Ok(impact));
        }
        assert_eq!(ClockState::AtRisk.as_str(), "at_risk");
        assert_eq!(ExternalImpact::CustomerWaiting.as_str(), "customer_waiting");
        assert!(ExternalImpact::parse("urgent").is_err());
        assert!(ClockState::parse("late").is_err());
    }

    #[test]
    fn the_queue_puts_waiting_customers_then_the_least_time_left_first() {
        let day = |day: i8| local(BERLIN, day, 9, 0);
        let entry = |id, impact, remaining_minutes, priority, created_at| QueueEntry {
            id,
            impact,
            remaining_fulfilment: mins(remaining_minutes),
            priority,
            created_at,
        };
        use ExternalImpact::{CustomerAffected, CustomerWaiting};
        let mut queue = vec![
            entry(1, ExternalImpact::None, -600, Priority::Urgent, day(2)),
            entry(2, CustomerWaiting, 480, Priority::Low, day(3)),
            entry(3, CustomerAffected, 60, Priority::Normal, day(4)),
            entry(4, CustomerWaiting, -60, Priority::Low, day(2)),
            entry(5, CustomerWaiting, -60, Priority::Urgent, day(5)),
            entry(6, CustomerWaiting, -60, Priority::Urgent, day(4)),
            entry(7, CustomerWaiting, -60, Priority::Urgent, day(4)),
            entry(8, CustomerWaiting, -120, Priority::Normal, day(6)),
            entry(9, CustomerAffected, 60, Priority::High, day(6)),
            entry(10, ExternalImpact::None, 30, Priority::Urgent, day(2)),
        ];
        sort_queue(&mut queue);
        let order: Vec<i64> = queue.iter().map(|entry| entry.id).collect();
        // Waiting: most breached (8), then -60 by priority (urgent 6, 7, 5 by
        // age then id; low 4), then 2. Affected: same time, high before
        // normal. None: breached 1 before 10.
        assert_eq!(order, [8, 6, 7, 5, 4, 2, 9, 3, 1, 10]);
    }

    // ----- property tests -------------------------------------------------

    /// 2025-01-01T00:00:00Z and 2029-01-01T00:00:00Z.
    const RANGE_START: i64 = 1_735_689_600;
    const RANGE_END: i64 = 1_861_920_000;

    /// Three departments on three continents; C works a split day in India.
    fn calendars() -> Vec<(DepartmentId, CalendarDefinition)> {
        let split = WeeklySchedule::new(
            [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Saturday,
            ]
            .map(|weekday| {
                (
                    weekday,
                    vec![
                        WorkingInterval::parse("08:00", "12:30").unwrap(),
                        WorkingInterval::parse("13:30", "18:00").unwrap(),
                    ],
                )
            }),
        )
        .unwrap();
        vec![
            (A, office(BERLIN)),
            (B, office(NEW_YORK)),
            (
                C,
                CalendarDefinition::new("Asia/Kolkata", split, Vec::new()).unwrap(),
            ),
        ]
    }

    /// A timeline: ordered periods with gaps, of random departments, paused
    /// or not, the last one open, and a `now` after its start.
    fn arb_timeline() -> impl Strategy<Value = (Vec<HoldingPeriod>, Timestamp)> {
        (
            RANGE_START..RANGE_END,
            prop::collection::vec(
                (
                    prop_oneof![Just(0i64), 0i64..(3 * 24 * 3600)],
                    0i64..(5 * 24 * 3600),
                    prop::sample::select(vec![A, B, C]),
                    prop::bool::weighted(0.3),
                ),
                1..6,
            ),
            0i64..(5 * 24 * 3600),
        )
            .prop_map(|(start, raw, tail)| {
                let mut at = Timestamp::from_second(start).unwrap();
                let mut periods = Vec::with_capacity(raw.len());
                for (gap, length, department, paused) in raw {
                    let from = at + SignedDuration::from_secs(gap);
                    at = from + SignedDuration::from_secs(length);
                    periods.push(HoldingPeriod {
                        department,
                        from,
                        to: Some(at),
                        paused,
                    });
                }
                let last = periods.len() - 1;
                periods[last].to = None;
                let now = periods[last].from + SignedDuration::from_secs(tail);
                (periods, now)
            })
    }

    /// A timeline whose last period may be paused, a clock that may have
    /// stopped up to ten days before `now`, and a target in minutes.
    #[allow(clippy::type_complexity)]
    fn arb_clock_case()
    -> impl Strategy<Value = (Vec<HoldingPeriod>, Timestamp, Option<Timestamp>, i64)> {
        (
            arb_timeline(),
            any::<bool>(),
            prop::option::of(0i64..(10 * 24 * 3600)),
            0i64..(3 * 8 * 60),
        )
            .prop_map(
                |((mut periods, now), last_paused, stop_back, target_minutes)| {
                    let last = periods.len() - 1;
                    periods[last].paused = last_paused;
                    let stopped_at = stop_back.map(|back| now - SignedDuration::from_secs(back));
                    (periods, now, stopped_at, target_minutes)
                },
            )
    }

    fn try_read(input: &ClockInput<'_>) -> Result<ClockReading, TestCaseError> {
        read_clock(input).map_err(|error| TestCaseError::fail(error.to_string()))
    }

    fn arb_entry() -> impl Strategy<Value = QueueEntry> {
        (
            0i64..4,
            prop::sample::select(ExternalImpact::ALL.to_vec()),
            -3i64..3,
            prop::sample::select(Priority::ALL.to_vec()),
            0i64..3,
        )
            .prop_map(|(id, impact, remaining, priority, age)| QueueEntry {
                id,
                impact,
                remaining_fulfilment: hours(remaining),
                priority,
                created_at: Timestamp::from_second(RANGE_START + age * 3600).unwrap(),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn pauses_only_ever_push_the_due_instant_later(
            (mut periods, now) in arb_timeline(),
            which in any::<prop::sample::Index>(),
            start in 0i64..=1000,
            length in 0i64..=1000,
            target_minutes in 0i64..(3 * 8 * 60),
        ) {
            let calendars = calendars();
            let last = periods.len() - 1;
            periods[last].paused = false;
            let before = try_read(&input(&periods, &calendars, target_minutes, None, now))?;

            // Pause a stretch of one running period (it stays running around it).
            let index = which.index(periods.len());
            let period = periods[index];
            prop_assume!(!period.paused);
            let (from, to) = period.span_until(now);
            let span = to.duration_since(from).as_secs();
            let a = from + SignedDuration::from_secs(span * start / 1000);
            let b = a + SignedDuration::from_secs((span * length / 1000).min(to.duration_since(a).as_secs()));
            let split = [
                HoldingPeriod { to: Some(a), ..period },
                HoldingPeriod { from: a, to: Some(b), paused: true, ..period },
                HoldingPeriod { from: b, ..period },
            ];
            periods.splice(index..=index, split);
            let after = try_read(&input(&periods, &calendars, target_minutes, None, now))?;

            let (Some(was), Some(is)) = (before.due, after.due) else {
                return Err(TestCaseError::fail("a running clock has a due instant"));
            };
            prop_assert!(is >= was, "{was} -> {is}");
            prop_assert!(after.elapsed <= before.elapsed);
            if period.department != periods[periods.len() - 1].department {
                // Another department's pause is none of this clock's business.
                prop_assert_eq!(after, before);
            }
        }

        #[test]
        fn an_indexed_lookup_reads_every_clock_like_the_plain_one(
            (periods, now, stopped_at, target_minutes) in arb_clock_case(),
            cover_start in -3i64..(8 * 24),
            cover_end in -(5 * 24i64)..(2 * 24),
        ) {
            let plain: HashMap<DepartmentId, CalendarDefinition> = calendars().into_iter().collect();
            // The index covers the timeline, or only part of it, or none of it.
            let indexed = index_calendars(
                &plain,
                periods[0].from + hours(cover_start),
                now + hours(cover_end),
            );
            let clock = |calendars: &dyn CalendarLookup| {
                read_clock(&input(&periods, calendars, target_minutes, stopped_at, now))
            };
            prop_assert_eq!(clock(&indexed), clock(&plain));
            let remaining = |calendars: &dyn CalendarLookup| {
                remaining_time(&input(&periods, calendars, target_minutes, stopped_at, now))
            };
            prop_assert_eq!(
                remaining(&indexed),
                clock(&plain).map(|reading| reading.remaining),
                "what a queue orders by is what the clock reads"
            );
            prop_assert_eq!(
                time_held_per_department(&periods, &indexed, now),
                time_held_per_department(&periods, &plain, now)
            );
        }

        #[test]
        fn elapsed_never_exceeds_the_wall_time_of_the_counted_periods(
            (periods, now, stopped_at, target_minutes) in arb_clock_case(),
        ) {
            let calendars = calendars();
            let reading = try_read(&input(&periods, &calendars, target_minutes, stopped_at, now))?;
            let end = stopped_at.unwrap_or(now);
            let holder = holding_period(&periods, stopped_at)
                .ok_or_else(|| TestCaseError::fail("no holder"))?
                .department;
            let wall = periods
                .iter()
                .filter(|period| period.department == holder && !period.paused)
                .map(|period| {
                    let (from, to) = period.span_until(end);
                    to.duration_since(from)
                })
                .fold(SignedDuration::ZERO, |total, wall| total + wall);
            prop_assert!(reading.elapsed >= SignedDuration::ZERO);
            prop_assert!(reading.elapsed <= wall, "{} > {}", reading.elapsed, wall);
        }

        #[test]
        fn remaining_and_elapsed_make_the_target_and_the_state_agrees(
            (periods, now, stopped_at, target_minutes) in arb_clock_case(),
        ) {
            let calendars = calendars();
            let last = periods.len() - 1;
            let last_paused = periods[last].paused;
            let reading = try_read(&input(&periods, &calendars, target_minutes, stopped_at, now))?;
            prop_assert_eq!(reading.remaining + reading.elapsed, reading.target);
            prop_assert_eq!(reading.target, mins(target_minutes));
            let breached = reading.remaining.is_negative();
            match reading.state {
                ClockState::Met | ClockState::Missed => {
                    prop_assert!(stopped_at.is_some());
                    prop_assert_eq!(reading.state == ClockState::Missed, breached);
                    prop_assert_eq!(reading.due, None);
                }
                ClockState::Paused => {
                    prop_assert!(stopped_at.is_none() && last_paused);
                    prop_assert_eq!(reading.due, None);
                }
                state => {
                    prop_assert!(stopped_at.is_none() && !last_paused);
                    prop_assert_eq!(state == ClockState::Breached, breached);
                    let holder = periods[last].department;
                    let calendar = calendars
                        .calendar_of(holder)
                        .ok_or_else(|| TestCaseError::fail("calendar"))?;
                    let due = reading.due.ok_or_else(|| TestCaseError::fail("no due"))?;
                    if !reading.remaining.is_positive() {
                        // Used up: the target ran out at (or before) now.
                        prop_assert!(due <= now);
                    } else {
                        // Counting from now to the due instant gives the rest back.
                        prop_assert!(due >= now);
                        prop_assert_eq!(business_time_between(calendar, now, due), reading.remaining);
                    }
                    // The time held agrees with the clock.
                    let held = time_held_per_department(&periods, &calendars, now);
                    let own = held
                        .iter()
                        .find(|entry| entry.department == holder)
                        .ok_or_else(|| TestCaseError::fail("holder not in time held"))?;
                    prop_assert_eq!(own.business, reading.elapsed);
                    prop_assert!(own.wall >= reading.elapsed);
                }
            }
        }

        #[test]
        fn the_due_instant_follows_the_business_calendar(
            (mut periods, now) in arb_timeline(),
            target_minutes in 1i64..(3 * 8 * 60),
        ) {
            // With a single department and no pauses, the due instant is
            // simply the target added from the first period's start when the
            // periods leave no gaps.
            let calendars = calendars();
            let holder = periods[0].department;
            let mut at = periods[0].from;
            for period in &mut periods {
                period.department = holder;
                period.paused = false;
                period.from = at;
                at = period.to.unwrap_or(at);
            }
            prop_assume!(now >= periods[periods.len() - 1].from);
            let reading = try_read(&input(&periods, &calendars, target_minutes, None, now))?;
            let calendar = calendars
                .calendar_of(holder)
                .ok_or_else(|| TestCaseError::fail("calendar"))?;
            let expected = add_business_minutes(calendar, periods[0].from, target_minutes)
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(reading.due, Some(expected));
        }

        #[test]
        fn a_queue_page_is_the_slice_of_the_fully_sorted_queue(
            entries in prop::collection::vec(arb_entry(), 0..60),
            offset in 0usize..70,
            limit in 1usize..70,
        ) {
            let mut sorted = entries.clone();
            sort_queue(&mut sorted);
            let expected: Vec<i64> = sorted.iter().skip(offset).take(limit).map(|entry| entry.id).collect();
            let paired: Vec<(QueueEntry, i64)> = entries.iter().map(|entry| (*entry, entry.id)).collect();
            prop_assert_eq!(queue_page(paired, offset, limit), expected);
        }

        #[test]
        fn queue_order_is_a_total_order(
            a in arb_entry(),
            b in arb_entry(),
            c in arb_entry(),
        ) {
            prop_assert_eq!(queue_order(&a, &b), queue_order(&b, &a).reverse());
            prop_assert_eq!(queue_order(&a, &b) == Ordering::Equal, a == b);
            prop_assert_eq!(queue_order(&a, &a), Ordering::Equal);
            if queue_order(&a, &b) != Ordering::Greater && queue_order(&b, &c) != Ordering::Greater {
                prop_assert_ne!(queue_order(&a, &c), Ordering::Greater);
            }
            if queue_order(&a, &b) == Ordering::Less && queue_order(&b, &c) == Ordering::Less {
                prop_assert_eq!(queue_order(&a, &c), Ordering::Less);
            }
        }

        #[test]
        fn sorting_by_queue_order_ignores_the_input_order(
            entries in prop::collection::vec(arb_entry(), 0..12),
        ) {
            let mut forward = entries.clone();
            sort_queue(&mut forward);
            for pair in forward.windows(2) {
                prop_assert_ne!(queue_order(&pair[0], &pair[1]), Ordering::Greater);
            }
            let mut backward: Vec<QueueEntry> = entries.into_iter().rev().collect();
            sort_queue(&mut backward);
            prop_assert_eq!(forward, backward);
        }
    }
}

/// Which clock an escalation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockKind {
    FirstResponse,
    Fulfilment,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first_response",
            ClockKind::Fulfilment => "fulfilment",
        }
    }
}

/// How far a clock has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationLevel {
    AtRisk,
    Breached,
}

impl EscalationLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationLevel::AtRisk => "at_risk",
            EscalationLevel::Breached => "breached",
        }
    }
}
