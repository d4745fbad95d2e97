//! Objectives and alignment: corporate objectives per period, their measures
//! with contributing departments and check-ins, and department goals (which
//! serve an objective or are flagged unaligned). Executives and
//! administrators steer objectives and measures; a measure's contributing
//! departments check in on it; a department's leads set its goals. Progress
//! and status are derived on every read by `domain::objectives`, never stored.

use crate::input::{
    parse_change, parse_date, parse_required_text, parse_text, parse_text_change, positive_id,
    today,
};
use crate::{AppError, Caller, policy};
use jiff::civil::Date;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::objectives::{Category, Direction, Period, Scale};
use roundtable_domain::text::Label;
use roundtable_store::objectives::{
    Checkin, CheckinOutcome, Goal, GoalChanges, GoalFilter, Measure, MeasureChanges, NewCheckin,
    NewGoal, NewMeasure, NewObjective, Objective, ObjectiveChanges,
};
use roundtable_store::{Change, Listing, PageRequest, StoreError, every_page};

/// The longest unit, in characters.
pub const MAX_UNIT: usize = 32;
/// The most contributors one measure has.
pub const MAX_CONTRIBUTORS: usize = 50;

/// An objective with its measures, from which progress and status are derived.
#[derive(Debug, Clone)]
pub struct ObjectiveWithMeasures {
    pub objective: Objective,
    pub measures: Vec<Measure>,
}

/// An objective as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct ObjectiveInput {
    pub period: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub owner_person_id: Option<i64>,
}

impl ObjectiveInput {
    pub fn parse(self) -> Result<NewObjective, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let period = errors.check("period", Period::parse(&self.period));
        let title = errors.check("title", Label::parse(&self.title));
        let description = parse_text(&mut errors, "description", &self.description);
        let category = errors.check("category", Category::parse(&self.category));
        let owner = self
            .owner_person_id
            .and_then(|id| positive_id(&mut errors, "owner_person_id", id));
        match (period, title, category) {
            (Some(period), Some(title), Some(category)) if errors.is_empty() => Ok(NewObjective {
                period,
                title,
                description,
                category,
                owner_person_id: owner.map(PersonId),
            }),
            _ => Err(errors),
        }
    }
}

/// Changes to an objective; absent fields stay. `owner_person_id:
/// Some(None)` clears the owner.
#[derive(Debug, Clone, Default)]
pub struct ObjectiveEdit {
    pub period: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub owner_person_id: Option<Option<i64>>,
}

impl ObjectiveEdit {
    pub fn parse(self) -> Result<ObjectiveChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let changes = ObjectiveChanges {
            period: parse_change(&mut errors, "period", self.period.as_deref(), Period::parse),
            title: parse_change(&mut errors, "title", self.title.as_deref(), Label::parse),
            description: parse_text_change(&mut errors, "description", self.description.as_deref()),
            category: parse_change(
                &mut errors,
                "category",
                self.category.as_deref(),
                Category::parse,
            ),
            owner_person_id: match self.owner_person_id {
                None => Change::Keep,
                Some(None) => Change::Set(None),
                Some(Some(id)) => {
                    Change::Set(positive_id(&mut errors, "owner_person_id", id).map(PersonId))
                }
            },
        };
        errors.finish(|| changes)
    }
}

/// Objectives with their measures, read in one more query.
pub async fn with_measures(
    caller: &Caller<'_>,
    objectives: Vec<Objective>,
) -> Result<Vec<ObjectiveWithMeasures>, AppError> {
    let ids: Vec<i64> = objectives.iter().map(|objective| objective.id).collect();
    let mut measures = caller.scoped.measures_of_objectives(&ids).await?;
    Ok(objectives
        .into_iter()
        .map(|objective| {
            let (own, rest): (Vec<Measure>, Vec<Measure>) = std::mem::take(&mut measures)
                .into_iter()
                .partition(|measure| measure.objective_id == objective.id);
            measures = rest;
            ObjectiveWithMeasures {
                objective,
                measures: own,
            }
        })
        .collect())
}

/// One page of objectives (of one period, or all), with their measures.
#[tracing::instrument(skip(caller))]
pub async fn list(
    caller: &Caller<'_>,
    period: Option<Period>,
    page: PageRequest,
) -> Result<Listing<ObjectiveWithMeasures>, AppError> {
    let Listing { items, next_after } = caller.scoped.list_objectives(period, page).await?;
    Ok(Listing {
        items: with_measures(caller, items).await?,
        next_after,
    })
}

/// Every objective (of one period, or all), with measures, oldest first.
pub async fn all(
    caller: &Caller<'_>,
    period: Option<Period>,
) -> Result<Vec<ObjectiveWithMeasures>, AppError> {
    every_page(|page| list(caller, period, page)).await
}

/// One objective with its measures.
#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<ObjectiveWithMeasures, AppError> {
    let objective = caller.scoped.objective(id).await?;
    with_measures(caller, vec![objective])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Sets a corporate objective for a period (executives and administrators).
#[tracing::instrument(skip(caller, input))]
pub async fn create(caller: &Caller<'_>, input: ObjectiveInput) -> Result<Objective, AppError> {
    policy::steer_objectives(caller.actor)?;
    let new = input.parse()?;
    Ok(caller.scoped.create_objective(new).await?)
}

/// Changes an objective (executives and administrators) at the version the caller read.
#[tracing::instrument(skip(caller, edit))]
pub async fn update(
    caller: &Caller<'_>,
    id: i64,
    edit: ObjectiveEdit,
    expected_version: i64,
) -> Result<ObjectiveWithMeasures, AppError> {
    policy::steer_objectives(caller.actor)?;
    let changes = edit.parse()?;
    let objective = caller
        .scoped
        .update_objective(id, changes, expected_version)
        .await?;
    with_measures(caller, vec![objective])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Deletes an objective nothing refers to (executives and administrators).
#[tracing::instrument(skip(caller))]
pub async fn delete(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    policy::steer_objectives(caller.actor)?;
    Ok(caller.scoped.delete_objective(id, expected_version).await?)
}

/// A contributing department and what it will do for the measure, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct ContributorInput {
    pub department_id: i64,
    pub statement: String,
}

/// A measure as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct MeasureInput {
    pub objective_id: i64,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub baseline: f64,
    pub target: f64,
    /// Defaults to the baseline.
    pub current: Option<f64>,
    /// Two or more make the measure mutual.
    pub contributors: Vec<ContributorInput>,
}

fn parse_unit(errors: &mut ValidationErrors, unit: &str) -> String {
    let unit = unit.trim();
    if unit.chars().count() > MAX_UNIT {
        errors.push("unit", format!("must be at most {MAX_UNIT} characters"));
    } else if unit.chars().any(char::is_control) {
        errors.push("unit", "must not contain control characters");
    }
    unit.to_owned()
}

fn parse_contributors(
    errors: &mut ValidationErrors,
    contributors: &[ContributorInput],
) -> Vec<(DepartmentId, String)> {
    if contributors.len() > MAX_CONTRIBUTORS {
        errors.push(
            "contributors",
            format!("may list at most {MAX_CONTRIBUTORS} departments"),
        );
    }
    let mut seen = std::collections::HashSet::new();
    contributors
        .iter()
        .enumerate()
        .filter_map(|(index, contributor)| {
            let field = format!("contributors[{index}]");
            let department = positive_id(
                errors,
                &format!("{field}.department_id"),
                contributor.department_id,
            );
            if department.is_some_and(|department| !seen.insert(department)) {
                errors.push(
                    format!("{field}.department_id"),
                    "each department contributes once",
                );
            }
            let statement = parse_required_text(
                errors,
                &format!("{field}.statement"),
                &contributor.statement,
            );
            department.map(|department| (DepartmentId(department), statement))
        })
        .collect()
}

/// A number a measure can hold.
pub fn finite(errors: &mut ValidationErrors, field: &str, value: f64) -> f64 {
    if !value.is_finite() || value.abs() > 1e15 {
        errors.push(field, "must be a number between -10^15 and 10^15");
    }
    value
}

impl MeasureInput {
    pub fn parse(self) -> Result<NewMeasure, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let objective_id = positive_id(&mut errors, "objective_id", self.objective_id);
        let name = errors.check("name", Label::parse(&self.name));
        let unit = parse_unit(&mut errors, &self.unit);
        let direction = errors.check("direction", Direction::parse(&self.direction));
        let baseline = finite(&mut errors, "baseline", self.baseline);
        let target = finite(&mut errors, "target", self.target);
        let current = self
            .current
            .map(|value| finite(&mut errors, "current", value));
        let scale = direction
            .and_then(|direction| errors.check("", Scale::new(direction, baseline, target)));
        let contributors = parse_contributors(&mut errors, &self.contributors);
        match (objective_id, name, scale) {
            (Some(objective_id), Some(name), Some(scale)) if errors.is_empty() => Ok(NewMeasure {
                objective_id,
                name,
                unit,
                scale,
                current,
                contributors,
            }),
            _ => Err(errors),
        }
    }
}

/// Changes to a measure; absent fields stay. Contributors, when given, replace all.
#[derive(Debug, Clone, Default)]
pub struct MeasureEdit {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub direction: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub contributors: Option<Vec<ContributorInput>>,
}

impl MeasureEdit {
    pub fn parse(self) -> Result<MeasureChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let changes = MeasureChanges {
            name: parse_change(&mut errors, "name", self.name.as_deref(), Label::parse),
            unit: self.unit.map(|unit| parse_unit(&mut errors, &unit)).into(),
            direction: parse_change(
                &mut errors,
                "direction",
                self.direction.as_deref(),
                Direction::parse,
            ),
            baseline: self
                .baseline
                .map(|value| finite(&mut errors, "baseline", value))
                .into(),
            target: self
                .target
                .map(|value| finite(&mut errors, "target", value))
                .into(),
            contributors: self
                .contributors
                .map(|contributors| parse_contributors(&mut errors, &contributors))
                .into(),
        };
        errors.finish(|| changes)
    }
}

/// One page of measures (of one objective, or all).
#[tracing::instrument(skip(caller))]
pub async fn list_measures(
    caller: &Caller<'_>,
    objective_id: Option<i64>,
    page: PageRequest,
) -> Result<Listing<Measure>, AppError> {
    Ok(caller.scoped.list_measures(objective_id, page).await?)
}

#[tracing::instrument(skip(caller))]
pub async fn get_measure(caller: &Caller<'_>, id: i64) -> Result<Measure, AppError> {
    Ok(caller.scoped.measure(id).await?)
}

/// Adds a measure to an objective (executives and administrators).
#[tracing::instrument(skip(caller, input))]
pub async fn add_measure(caller: &Caller<'_>, input: MeasureInput) -> Result<Measure, AppError> {
    policy::steer_objectives(caller.actor)?;
    let new = input.parse()?;
    Ok(caller.scoped.create_measure(new).await?)
}

/// Changes a measure (executives and administrators) at the version the caller read.
#[tracing::instrument(skip(caller, edit))]
pub async fn update_measure(
    caller: &Caller<'_>,
    id: i64,
    edit: MeasureEdit,
    expected_version: i64,
) -> Result<Measure, AppError> {
    policy::steer_objectives(caller.actor)?;
    let changes = edit.parse()?;
    Ok(caller
        .scoped
        .update_measure(id, changes, expected_version)
        .await?)
}

/// A measure's check-in history, oldest first.
#[tracing::instrument(skip(caller))]
pub async fn checkins(caller: &Caller<'_>, measure_id: i64) -> Result<Vec<Checkin>, AppError> {
    caller.scoped.measure(measure_id).await?;
    Ok(caller.scoped.checkins(measure_id).await?)
}

/// A check-in as it arrives: the value, a note, and the day it was measured
/// (`None`: today).
#[derive(Debug, Clone, Default)]
pub struct CheckinInput {
    pub value: f64,
    pub note: String,
    pub recorded_on: Option<String>,
}

impl CheckinInput {
    /// The check-in's values checked against `today` (no day in the future).
    pub fn parse(self, today: Date) -> Result<NewCheckin, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let value = finite(&mut errors, "value", self.value);
        let note = parse_text(&mut errors, "note", &self.note);
        let recorded_on = match self.recorded_on.as_deref() {
            None => Some(today),
            Some(text) => errors.check("recorded_on", parse_date(text)),
        };
        if recorded_on.is_some_and(|day| day > today) {
            errors.push("recorded_on", "must not be in the future");
        }
        match recorded_on {
            Some(recorded_on) if errors.is_empty() => Ok(NewCheckin {
                value,
                note,
                recorded_on,
            }),
            _ => Err(errors),
        }
    }
}

/// Checks in a new value (people of a contributing department, executives,
/// administrators). Reaching a mutual measure's target credits every
/// contributing department together, once.
#[tracing::instrument(skip(caller, input))]
pub async fn check_in(
    caller: &Caller<'_>,
    measure_id: i64,
    input: CheckinInput,
) -> Result<CheckinOutcome, AppError> {
    let measure = caller.scoped.measure(measure_id).await?;
    let contributors: Vec<DepartmentId> = measure
        .contributors
        .iter()
        .map(|contributor| contributor.department_id)
        .collect();
    policy::check_in(caller.actor, &contributors)?;
    let new = input.parse(today())?;
    Ok(caller.scoped.record_checkin(measure_id, new).await?)
}

/// One page of department goals.
#[tracing::instrument(skip(caller))]
pub async fn list_goals(
    caller: &Caller<'_>,
    filter: GoalFilter,
    page: PageRequest,
) -> Result<Listing<Goal>, AppError> {
    Ok(caller.scoped.list_goals(filter, page).await?)
}

/// Every goal the filter lets through, oldest first.
pub async fn all_goals(caller: &Caller<'_>, filter: GoalFilter) -> Result<Vec<Goal>, AppError> {
    every_page(|page| list_goals(caller, filter.clone(), page)).await
}

#[tracing::instrument(skip(caller))]
pub async fn get_goal(caller: &Caller<'_>, id: i64) -> Result<Goal, AppError> {
    Ok(caller.scoped.goal(id).await?)
}

/// A goal as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct GoalInput {
    pub department_id: i64,
    /// The objective it serves; without one the goal is flagged unaligned.
    pub objective_id: Option<i64>,
    pub period: String,
    pub title: String,
    pub description: String,
}

/// Sets a department goal (its leads, executives, administrators). The
/// input is judged first; a department that does not exist is a problem of
/// the input, not a missing page.
#[tracing::instrument(skip(caller, input))]
pub async fn set_goal(caller: &Caller<'_>, input: GoalInput) -> Result<Goal, AppError> {
    let mut errors = ValidationErrors::new();
    let department = positive_id(&mut errors, "department_id", input.department_id);
    let objective = input
        .objective_id
        .and_then(|id| positive_id(&mut errors, "objective_id", id));
    let period = errors.check("period", Period::parse(&input.period));
    let title = errors.check("title", Label::parse(&input.title));
    let description = parse_text(&mut errors, "description", &input.description);
    let (Some(department), Some(period), Some(title)) = (department, period, title) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let department = match caller.scoped.department(DepartmentId(department)).await {
        Err(StoreError::NotFound) => {
            return Err(AppError::invalid(
                "department_id",
                format!("no such record: {department}"),
            ));
        }
        other => other?,
    };
    policy::manage_goals_of(caller.actor, &department)?;
    Ok(caller
        .scoped
        .create_goal(NewGoal {
            department_id: department.id,
            objective_id: objective,
            period,
            title,
            description,
        })
        .await?)
}

/// Changes to a goal; absent fields stay. `objective_id: Some(None)` unlinks
/// it (the goal becomes unaligned).
#[derive(Debug, Clone, Default)]
pub struct GoalEdit {
    pub objective_id: Option<Option<i64>>,
    pub period: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

impl GoalEdit {
    pub fn parse(self) -> Result<GoalChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let changes = GoalChanges {
            objective_id: match self.objective_id {
                None => Change::Keep,
                Some(None) => Change::Set(None),
                Some(Some(objective)) => {
                    Change::Set(positive_id(&mut errors, "objective_id", objective))
                }
            },
            period: parse_change(&mut errors, "period", self.period.as_deref(), Period::parse),
            title: parse_change(&mut errors, "title", self.title.as_deref(), Label::parse),
            description: parse_text_change(&mut errors, "description", self.description.as_deref()),
        };
        errors.finish(|| changes)
    }
}

/// The goal, once the caller may manage its department's goals.
async fn managed_goal(caller: &Caller<'_>, id: i64) -> Result<Goal, AppError> {
    let goal = caller.scoped.goal(id).await?;
    let department = caller.scoped.department(goal.department_id).await?;
    policy::manage_goals_of(caller.actor, &department)?;
    Ok(goal)
}

/// Changes a goal (its department's leads, executives, administrators).
#[tracing::instrument(skip(caller, edit))]
pub async fn update_goal(
    caller: &Caller<'_>,
    id: i64,
    edit: GoalEdit,
    expected_version: i64,
) -> Result<Goal, AppError> {
    managed_goal(caller, id).await?;
    let changes = edit.parse()?;
    Ok(caller
        .scoped
        .update_goal(id, changes, expected_version)
        .await?)
}

/// Deletes a goal (its department's leads, executives, administrators).
#[tracing::instrument(skip(caller))]
pub async fn delete_goal(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    managed_goal(caller, id).await?;
    caller.scoped.delete_goal(id, expected_version).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<'a>(errors: &'a ValidationErrors, field: &str) -> Option<&'a str> {
        errors
            .0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    #[test]
    fn a_checkin_cannot_be_recorded_for_a_day_to_come() {
        let today = jiff::civil::date(2027, 3, 10);
        let Err(errors) = (CheckinInput {
            value: 3.0,
            note: String::new(),
            recorded_on: Some("2027-03-11".to_owned()),
        })
        .parse(today) else {
            panic!("tomorrow is refused");
        };
        assert_eq!(
            message(&errors, "recorded_on"),
            Some("must not be in the future")
        );
        let Ok(checkin) = (CheckinInput {
            value: 3.0,
            note: " fine ".to_owned(),
            recorded_on: None,
        })
        .parse(today) else {
            panic!("today is the default");
        };
        assert_eq!(checkin.recorded_on, today);
        assert_eq!(checkin.note, "fine");
    }

    #[test]
    fn a_department_contributes_once_and_says_what_it_does() {
        let Err(errors) = (MeasureInput {
            objective_id: 1,
            name: "Repeat orders".to_owned(),
            unit: "%".to_owned(),
            direction: "increase".to_owned(),
            baseline: 10.0,
            target: 20.0,
            current: None,
            contributors: vec![
                ContributorInput {
                    department_id: 2,
                    statement: "Sales logs reasons".to_owned(),
                },
                ContributorInput {
                    department_id: 2,
                    statement: String::new(),
                },
            ],
        })
        .parse() else {
            panic!("a repeated department is refused");
        };
        assert_eq!(
            message(&errors, "contributors[1].department_id"),
            Some("each department contributes once")
        );
        assert_eq!(
            message(&errors, "contributors[1].statement"),
            Some("must not be empty")
        );
    }

    #[test]
    fn numbers_beyond_reason_are_refused() {
        let mut errors = ValidationErrors::new();
        finite(&mut errors, "value", f64::NAN);
        finite(&mut errors, "target", 1e16);
        assert_eq!(errors.0.len(), 2);
    }
}
