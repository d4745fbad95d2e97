//! Actions agreed at a round table, on a topic or at an alignment review:
//! an owner and a due date, `overdue` derived from today on every read.
//! Leads, executives and administrators add them; the owner (and they)
//! move them along.

use crate::input::positive_id;
use crate::topics::change;
use crate::{AppError, Caller, policy};
use jiff::civil::Date;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::PersonId;
use roundtable_domain::round_table::ActionStatus;
use roundtable_domain::text::Label;
use roundtable_store::auth::Actor;
use roundtable_store::round_table::{Action, ActionChanges, ActionFilter, NewAction};
use roundtable_store::{Change, Listing, PageRequest, every_page};

/// Today (UTC) is what "overdue" and "done on" are judged against.
pub use crate::input::{parse_date, today};

/// One page of actions matching `filter`, with `overdue` judged as of `today`.
#[tracing::instrument(skip(caller))]
pub async fn list(
    caller: &Caller<'_>,
    filter: ActionFilter,
    page: PageRequest,
    today: Date,
) -> Result<Listing<Action>, AppError> {
    let filter = ActionFilter {
        today: Some(today),
        ..filter
    };
    Ok(caller.scoped.list_actions(filter, page).await?)
}

/// Every action matching `filter`, oldest first.
pub async fn all(
    caller: &Caller<'_>,
    filter: ActionFilter,
    today: Date,
) -> Result<Vec<Action>, AppError> {
    every_page(|page| list(caller, filter.clone(), page, today)).await
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Action, AppError> {
    Ok(caller.scoped.action(id).await?)
}

/// An action's owner moves it along; so do leads, executives and administrators.
pub fn may_change(actor: &Actor, owner: PersonId) -> Result<(), AppError> {
    if owner == actor.person_id {
        Ok(())
    } else {
        policy::run_round_table(actor)
    }
}

/// An action to add, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Assign {
    pub title: String,
    pub owner_person_id: i64,
    pub due_on: String,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
}

impl Assign {
    pub fn parse(self) -> Result<NewAction, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = errors.check("title", Label::parse(&self.title));
        let owner = positive_id(&mut errors, "owner_person_id", self.owner_person_id);
        let due_on = errors.check("due_on", parse_date(&self.due_on));
        let topic_id = self
            .topic_id
            .and_then(|id| positive_id(&mut errors, "topic_id", id));
        let session_id = self
            .session_id
            .and_then(|id| positive_id(&mut errors, "session_id", id));
        let review_id = self
            .review_id
            .and_then(|id| positive_id(&mut errors, "review_id", id));
        match (title, owner, due_on) {
            (Some(title), Some(owner), Some(due_on)) if errors.is_empty() => Ok(NewAction {
                title,
                owner_person_id: PersonId(owner),
                due_on,
                topic_id,
                session_id,
                review_id,
            }),
            _ => Err(errors),
        }
    }
}

/// Records an action with an owner and a due date (leads, executives, administrators).
#[tracing::instrument(skip(caller, assign))]
pub async fn assign(caller: &Caller<'_>, assign: Assign) -> Result<Action, AppError> {
    policy::run_round_table(caller.actor)?;
    let new = assign.parse()?;
    Ok(caller.scoped.create_action(new).await?)
}

/// A change to an action, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub title: Option<String>,
    pub owner_person_id: Option<i64>,
    pub due_on: Option<String>,
    /// `open`, `in_progress`, `done` (records the done date) or `dropped`.
    pub status: Option<String>,
    /// The version the caller read.
    pub expected_version: i64,
}

/// Moves an action along or changes it (its owner, leads, executives,
/// administrators); `done` records `today` as the done date.
#[tracing::instrument(skip(caller, progress))]
pub async fn update(
    caller: &Caller<'_>,
    id: i64,
    progress: Progress,
    today: Date,
) -> Result<Action, AppError> {
    let action = get(caller, id).await?;
    may_change(caller.actor, action.owner_person_id)?;
    let mut errors = ValidationErrors::new();
    let changes = ActionChanges {
        title: change(
            &mut errors,
            "title",
            progress.title.as_deref(),
            Label::parse,
        ),
        owner_person_id: match progress.owner_person_id {
            None => Change::Keep,
            Some(id) => match positive_id(&mut errors, "owner_person_id", id) {
                Some(id) => Change::Set(PersonId(id)),
                None => Change::Keep,
            },
        },
        due_on: change(
            &mut errors,
            "due_on",
            progress.due_on.as_deref(),
            parse_date,
        ),
        status: change(
            &mut errors,
            "status",
            progress.status.as_deref(),
            ActionStatus::parse,
        ),
    };
    let changes = errors.finish(|| changes)?;
    Ok(caller
        .scoped
        .update_action(id, changes, progress.expected_version, today)
        .await?)
}
