//! Enhancements: mutual improvements proposed by two or more departments for
//! an objective. Every department named confirms (its lead says so; the
//! proposer's own departments at once), then an executive sponsors or
//! declines, and the proposing departments' leads start and deliver the work.
//! Whose decision each step is comes from `domain::round_table`; the checks
//! that apply it to a person are in [`crate::policy`].

use crate::input::{parse_text, positive_id};
use crate::{AppError, Caller, policy};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_domain::round_table::{EnhancementStatus, MIN_ENHANCEMENT_DEPARTMENTS};
use roundtable_domain::text::Label;
use roundtable_store::round_table::{Enhancement, NewEnhancement};
use roundtable_store::{Listing, PageRequest, every_page};

/// The most departments one enhancement may name.
pub const MAX_ENHANCEMENT_DEPARTMENTS: usize = 50;

/// A proposal as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Proposal {
    pub objective_id: i64,
    pub title: String,
    pub description: String,
    pub department_ids: Vec<i64>,
}

impl Proposal {
    /// The proposal's values checked, each problem under its field
    /// (`department_ids[2]` for one bad department id).
    pub fn parse(self) -> Result<NewEnhancement, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let objective_id = positive_id(&mut errors, "objective_id", self.objective_id);
        let title = errors.check("title", Label::parse(&self.title));
        let description = parse_text(&mut errors, "description", &self.description);
        let mut department_ids: Vec<DepartmentId> = Vec::new();
        for (index, id) in self.department_ids.iter().enumerate() {
            if let Some(id) = positive_id(&mut errors, &format!("department_ids[{index}]"), *id)
                && !department_ids.contains(&DepartmentId(id))
            {
                department_ids.push(DepartmentId(id));
            }
        }
        if department_ids.len() < MIN_ENHANCEMENT_DEPARTMENTS
            || department_ids.len() > MAX_ENHANCEMENT_DEPARTMENTS
        {
            errors.push(
                "department_ids",
                format!(
                    "must name between {MIN_ENHANCEMENT_DEPARTMENTS} and \
                     {MAX_ENHANCEMENT_DEPARTMENTS} different departments: an enhancement is mutual"
                ),
            );
        }
        match (objective_id, title) {
            (Some(objective_id), Some(title)) if errors.is_empty() => Ok(NewEnhancement {
                objective_id,
                title,
                description,
                department_ids,
            }),
            _ => Err(errors),
        }
    }
}

/// One page of the organization's enhancements (everyone signed in reads them).
#[tracing::instrument(skip(caller))]
pub async fn list(
    caller: &Caller<'_>,
    status: Option<EnhancementStatus>,
    page: PageRequest,
) -> Result<Listing<Enhancement>, AppError> {
    Ok(caller.scoped.list_enhancements(status, page).await?)
}

/// Every enhancement, oldest first.
pub async fn all(caller: &Caller<'_>) -> Result<Vec<Enhancement>, AppError> {
    every_page(|page| list(caller, None, page)).await
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Enhancement, AppError> {
    Ok(caller.scoped.enhancement(id).await?)
}

/// Proposes an enhancement (leads, executives, administrators). The
/// departments the proposer leads are confirmed at once.
#[tracing::instrument(skip(caller, proposal))]
pub async fn propose(caller: &Caller<'_>, proposal: Proposal) -> Result<Enhancement, AppError> {
    policy::run_round_table(caller.actor)?;
    let new = proposal.parse()?;
    Ok(caller.scoped.create_enhancement(new).await?)
}

/// Confirms a proposed enhancement for the proposing departments the caller
/// leads; when the last one confirms, the executives are told.
#[tracing::instrument(skip(caller))]
pub async fn confirm(caller: &Caller<'_>, id: i64) -> Result<Enhancement, AppError> {
    let current = get(caller, id).await?;
    let departments = led_proposing_departments(caller, &current).await?;
    if departments.is_empty() {
        return Err(AppError::forbidden(
            "Only a lead of a department named on this enhancement confirms it.",
        ));
    }
    Ok(caller.scoped.confirm_enhancement(id, departments).await?)
}

/// Sponsors a proposed enhancement that every department confirmed: an executive only.
#[tracing::instrument(skip(caller))]
pub async fn sponsor(caller: &Caller<'_>, id: i64) -> Result<Enhancement, AppError> {
    // Unknown ids are 404 for everyone, before the role is judged.
    get(caller, id).await?;
    policy::sponsor_enhancement(caller.actor)?;
    Ok(caller
        .scoped
        .advance_enhancement(id, EnhancementStatus::Sponsored, None, None)
        .await?)
}

/// A step as it arrives: the next status by name, the reason a decline needs.
#[derive(Debug, Clone, Default)]
pub struct Step {
    pub status: String,
    pub reason: Option<String>,
    /// The version the caller read; `None` only where the caller cannot know it.
    pub expected_version: Option<i64>,
}

/// Moves an enhancement on: `in_progress` and `delivered` by a lead of a
/// proposing department, `declined` (with a reason) and `sponsored` by an
/// executive. Callers who may take no step of this one at all are refused
/// before the input is judged.
#[tracing::instrument(skip(caller, step))]
pub async fn advance(caller: &Caller<'_>, id: i64, step: Step) -> Result<Enhancement, AppError> {
    let current = get(caller, id).await?;
    let leads_a_proposing_department = !led_proposing_departments(caller, &current)
        .await?
        .is_empty();
    if caller.actor.role != Role::Executive && !leads_a_proposing_department {
        return Err(AppError::forbidden(
            "Only an executive or a lead of a department that proposed this enhancement moves it on.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let status = errors.check("status", EnhancementStatus::parse(&step.status));
    let reason = step
        .reason
        .map(|text| parse_text(&mut errors, "reason", &text));
    let status = match status {
        Some(status) if errors.is_empty() => status,
        _ => return Err(AppError::Invalid(errors)),
    };
    policy::take_enhancement_step(
        caller.actor,
        EnhancementStatus::decided_by(status),
        leads_a_proposing_department,
    )?;
    Ok(caller
        .scoped
        .advance_enhancement(id, status, reason, step.expected_version)
        .await?)
}

/// The departments named on the enhancement that the caller leads.
pub async fn led_proposing_departments(
    caller: &Caller<'_>,
    enhancement: &Enhancement,
) -> Result<Vec<DepartmentId>, AppError> {
    let mut proposing = Vec::with_capacity(enhancement.department_ids.len());
    for id in &enhancement.department_ids {
        proposing.push(caller.scoped.department(*id).await?);
    }
    Ok(policy::proposing_departments_led(caller.actor, &proposing))
}
