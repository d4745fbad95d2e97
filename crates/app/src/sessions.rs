//! Round-table sessions: an agenda drawn from the top-voted open topics, a
//! facilitator who rotates (the round table has no head), notes and
//! outcomes. Everyone signed in reads them; leads, executives and
//! administrators schedule and record them.

use crate::input::{parse_text, parse_text_change, positive_id};
use crate::topics::change;
use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::PersonId;
use roundtable_store::round_table::{NewSession, Session, SessionChanges};
use roundtable_store::{Change, Listing, PageRequest, every_page};

/// The most topics a generated agenda takes.
pub const MAX_AGENDA: usize = 20;
pub const DEFAULT_AGENDA: usize = 5;

/// An RFC 3339 instant.
pub fn parse_instant(text: &str) -> Result<Timestamp, ValidationErrors> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        ValidationErrors::single(
            "",
            "must be an RFC 3339 instant such as 2027-02-10T14:00:00Z",
        )
    })
}

#[tracing::instrument(skip(caller))]
pub async fn list(caller: &Caller<'_>, page: PageRequest) -> Result<Listing<Session>, AppError> {
    Ok(caller.scoped.list_round_table_sessions(page).await?)
}

/// Every session, in the order they were scheduled.
pub async fn all(caller: &Caller<'_>) -> Result<Vec<Session>, AppError> {
    every_page(|page| list(caller, page)).await
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Session, AppError> {
    Ok(caller.scoped.round_table_session(id).await?)
}

/// A session to schedule, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    pub scheduled_at: String,
    /// `None`: the lead who facilitated longest ago.
    pub facilitator_person_id: Option<i64>,
    /// `None`: the top-voted open topics.
    pub topic_ids: Option<Vec<i64>>,
    /// How many top-voted topics a generated agenda takes (default 5).
    pub agenda_size: Option<i64>,
    pub notes: String,
}

impl Schedule {
    pub fn parse(self) -> Result<NewSession, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let scheduled_at = errors.check("scheduled_at", parse_instant(&self.scheduled_at));
        let facilitator = self
            .facilitator_person_id
            .and_then(|id| positive_id(&mut errors, "facilitator_person_id", id))
            .map(PersonId);
        let topic_ids = self.topic_ids.map(|ids| {
            if ids.len() > MAX_AGENDA {
                errors.push("topic_ids", format!("may list at most {MAX_AGENDA} topics"));
            }
            ids.iter()
                .enumerate()
                .filter_map(|(index, id)| {
                    positive_id(&mut errors, &format!("topic_ids[{index}]"), *id)
                })
                .collect::<Vec<_>>()
        });
        let agenda_size = match self.agenda_size {
            None => DEFAULT_AGENDA,
            Some(size) => match usize::try_from(size) {
                Ok(size) if (1..=MAX_AGENDA).contains(&size) => size,
                _ => {
                    errors.push("agenda_size", format!("must be between 1 and {MAX_AGENDA}"));
                    DEFAULT_AGENDA
                }
            },
        };
        let notes = parse_text(&mut errors, "notes", &self.notes);
        match scheduled_at {
            Some(scheduled_at) if errors.is_empty() => Ok(NewSession {
                scheduled_at,
                facilitator_person_id: facilitator,
                topic_ids,
                agenda_size,
                notes,
            }),
            _ => Err(errors),
        }
    }
}

/// Schedules a round table (leads, executives, administrators).
#[tracing::instrument(skip(caller, schedule))]
pub async fn schedule(caller: &Caller<'_>, schedule: Schedule) -> Result<Session, AppError> {
    policy::run_round_table(caller.actor)?;
    let new = schedule.parse()?;
    Ok(caller.scoped.create_round_table_session(new).await?)
}

/// What to record on a session, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub scheduled_at: Option<String>,
    pub facilitator_person_id: Option<i64>,
    pub notes: Option<String>,
    pub outcomes: Option<String>,
    /// The version the caller read.
    pub expected_version: i64,
}

/// Records notes and outcomes, or reschedules (leads, executives, administrators).
#[tracing::instrument(skip(caller, record))]
pub async fn record(caller: &Caller<'_>, id: i64, record: Record) -> Result<Session, AppError> {
    policy::run_round_table(caller.actor)?;
    let mut errors = ValidationErrors::new();
    let changes = SessionChanges {
        scheduled_at: change(
            &mut errors,
            "scheduled_at",
            record.scheduled_at.as_deref(),
            parse_instant,
        ),
        facilitator_person_id: match record.facilitator_person_id {
            None => Change::Keep,
            Some(id) => match positive_id(&mut errors, "facilitator_person_id", id) {
                Some(id) => Change::Set(PersonId(id)),
                None => Change::Keep,
            },
        },
        notes: parse_text_change(&mut errors, "notes", record.notes.as_deref()),
        outcomes: parse_text_change(&mut errors, "outcomes", record.outcomes.as_deref()),
    };
    let changes = errors.finish(|| changes)?;
    Ok(caller
        .scoped
        .update_round_table_session(id, changes, record.expected_version)
        .await?)
}
