//! Corporate objectives, their measures with contributing departments and
//! check-in history, and department goals.
//!
//! The store keeps the numbers; what they mean (progress, status, whether a
//! target is reached) is asked of `domain::objectives`. Reaching a mutual
//! measure's target credits every contributing department in the same
//! transaction as the check-in that reached it, exactly once.

use crate::time::{from_db, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::objectives::{Category, Direction, Period, Scale, is_mutual};
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) fn date_from_db(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|error| StoreError::Corrupt(format!("date {text:?}: {error}")))
}

pub(crate) fn period_from_db(text: &str) -> Result<Period, StoreError> {
    Period::parse(text).map_err(|_| StoreError::Corrupt(format!("period {text:?}")))
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|index| format!("${index}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub id: i64,
    pub period: Period,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub owner_person_id: Option<PersonId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewObjective {
    pub period: Period,
    pub title: Label,
    pub description: String,
    pub category: Category,
    pub owner_person_id: Option<PersonId>,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectiveChanges {
    pub period: Change<Period>,
    pub title: Change<Label>,
    pub description: Change<String>,
    pub category: Change<Category>,
    pub owner_person_id: Change<Option<PersonId>>,
}

/// A department contributing to a measure, and what it will do.
#[derive(Debug, Clone, PartialEq)]
pub struct Contributor {
    pub department_id: DepartmentId,
    pub department_name: String,
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub id: i64,
    pub objective_id: i64,
    /// The objective's period, which the measure's status is judged against.
    pub period: Period,
    pub name: String,
    pub unit: String,
    pub scale: Scale,
    pub current: f64,
    /// When the target was first reached.
    pub target_reached_at: Option<Timestamp>,
    pub contributors: Vec<Contributor>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Measure {
    pub fn is_mutual(&self) -> bool {
        is_mutual(self.contributors.len())
    }
}

#[derive(Debug, Clone)]
pub struct NewMeasure {
    pub objective_id: i64,
    pub name: Label,
    pub unit: String,
    pub scale: Scale,
    /// Defaults to the baseline.
    pub current: Option<f64>,
    pub contributors: Vec<(DepartmentId, String)>,
}

/// Direction, baseline and target are checked together against the stored
/// ones (errors name `target` or `baseline`).
#[derive(Debug, Clone, Default)]
pub struct MeasureChanges {
    pub name: Change<Label>,
    pub unit: Change<String>,
    pub direction: Change<Direction>,
    pub baseline: Change<f64>,
    pub target: Change<f64>,
    pub contributors: Change<Vec<(DepartmentId, String)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkin {
    pub id: i64,
    pub measure_id: i64,
    pub value: f64,
    pub note: String,
    pub author_person_id: Option<PersonId>,
    pub recorded_on: Date,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewCheckin {
    pub value: f64,
    pub note: String,
    pub recorded_on: Date,
}

/// What a check-in did.
#[derive(Debug, Clone)]
pub struct CheckinOutcome {
    pub checkin: Checkin,
    pub measure: Measure,
    /// Departments credited together because this check-in reached a mutual target.
    pub credited_departments: Vec<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub id: i64,
    pub department_id: DepartmentId,
    /// `None`: the goal serves no objective (unaligned).
    pub objective_id: Option<i64>,
    pub period: Period,
    pub title: String,
    pub description: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewGoal {
    pub department_id: DepartmentId,
    pub objective_id: Option<i64>,
    pub period: Period,
    pub title: Label,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct GoalChanges {
    pub objective_id: Change<Option<i64>>,
    pub period: Change<Period>,
    pub title: Change<Label>,
    pub description: Change<String>,
}

#[derive(Debug, Clone, Default)]
pub struct GoalFilter {
    pub department_id: Option<DepartmentId>,
    pub period: Option<Period>,
    /// `Some(true)`: only goals serving no objective.
    pub unaligned: Option<bool>,
}

const OBJECTIVE_COLUMNS: &str =
    "id, period, title, description, category, owner_person_id, version, created_at, updated_at";

fn objective_from_row(row: &AnyRow) -> Result<Objective, StoreError> {
    let category: String = row.try_get("category")?;
    Ok(Objective {
        id: row.try_get("id")?,
        period: period_from_db(&row.try_get::<String, _>("period")?)?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        category: Category::parse(&category)
            .map_err(|_| StoreError::Corrupt(format!("category {category:?}")))?,
        owner_person_id: row
            .try_get::<Option<i64>, _>("owner_person_id")?
            .map(PersonId),
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

const MEASURE_COLUMNS: &str = "m.id, m.objective_id, o.period, m.name, m.unit, m.direction, \
    m.baseline, m.target, m.current_value, m.target_reached_at, m.version, m.created_at, \
    m.updated_at";
const MEASURE_FROM: &str = "measures m JOIN objectives o ON o.organization_id = m.organization_id \
    AND o.id = m.objective_id";

fn measure_from_row(row: &AnyRow) -> Result<Measure, StoreError> {
    let direction: String = row.try_get("direction")?;
    let direction = Direction::parse(&direction)
        .map_err(|_| StoreError::Corrupt(format!("direction {direction:?}")))?;
    let scale = Scale::new(direction, row.try_get("baseline")?, row.try_get("target")?)
        .map_err(|error| StoreError::Corrupt(format!("measure scale: {error}")))?;
    Ok(Measure {
        id: row.try_get("id")?,
        objective_id: row.try_get("objective_id")?,
        period: period_from_db(&row.try_get::<String, _>("period")?)?,
        name: row.try_get("name")?,
        unit: row.try_get("unit")?,
        scale,
        current: row.try_get("current_value")?,
        target_reached_at: row
            .try_get::<Option<String>, _>("target_reached_at")?
            .map(|text| from_db(&text))
            .transpose()?,
        contributors: Vec::new(),
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

const CHECKIN_COLUMNS: &str =
    "id, measure_id, value, note, author_person_id, recorded_on, created_at";

fn checkin_from_row(row: &AnyRow) -> Result<Checkin, StoreError> {
    Ok(Checkin {
        id: row.try_get("id")?,
        measure_id: row.try_get("measure_id")?,
        value: row.try_get("value")?,
        note: row.try_get("note")?,
        author_person_id: row
            .try_get::<Option<i64>, _>("author_person_id")?
            .map(PersonId),
        recorded_on: date_from_db(&row.try_get::<String, _>("recorded_on")?)?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
    })
}

const GOAL_COLUMNS: &str =
    "id, department_id, objective_id, period, title, description, version, created_at, updated_at";

fn goal_from_row(row: &AnyRow) -> Result<Goal, StoreError> {
    Ok(Goal {
        id: row.try_get("id")?,
        department_id: DepartmentId(row.try_get("department_id")?),
        objective_id: row.try_get("objective_id")?,
        period: period_from_db(&row.try_get::<String, _>("period")?)?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_db(&row.try_get::<String, _>("updated_at")?)?,
    })
}

/// Fills in the contributors of `measures` with one query.
async fn attach_contributors<'e, E>(
    executor: E,
    organization: OrganizationId,
    measures: &mut [Measure],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if measures.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT c.measure_id, c.department_id, d.name, c.statement FROM measure_contributors c \
         JOIN departments d ON d.organization_id = c.organization_id AND d.id = c.department_id \
         WHERE c.organization_id = $1 AND c.measure_id IN ({}) ORDER BY d.name, d.id",
        placeholders(2, measures.len())
    );
    let mut query = sqlx::query(&sql).bind(organization.0);
    for measure in measures.iter() {
        query = query.bind(measure.id);
    }
    for row in query.fetch_all(executor).await? {
        let measure_id: i64 = row.try_get("measure_id")?;
        let contributor = Contributor {
            department_id: DepartmentId(row.try_get("department_id")?),
            department_name: row.try_get("name")?,
            statement: row.try_get("statement")?,
        };
        if let Some(measure) = measures.iter_mut().find(|measure| measure.id == measure_id) {
            measure.contributors.push(contributor);
        }
    }
    Ok(())
}

async fn fetch_objective(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Objective, StoreError> {
    let row = crate::rows::one(
        &mut **transaction,
        "objectives",
        OBJECTIVE_COLUMNS,
        organization,
        id,
    )
    .await?;
    objective_from_row(&row)
}

async fn fetch_measure(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Measure, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {MEASURE_COLUMNS} FROM {MEASURE_FROM} WHERE m.organization_id = $1 AND m.id = $2"
    ))
    .bind(organization.0)
    .bind(id)
    .fetch_optional(&mut **transaction)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut measures = vec![measure_from_row(&row)?];
    attach_contributors(&mut **transaction, organization, &mut measures).await?;
    measures.pop().ok_or(StoreError::NotFound)
}

async fn fetch_goal(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Goal, StoreError> {
    let row = crate::rows::one(&mut **transaction, "goals", GOAL_COLUMNS, organization, id).await?;
    goal_from_row(&row)
}

async fn write_contributors(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    measure_id: i64,
    contributors: &[(DepartmentId, String)],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM measure_contributors WHERE organization_id = $1 AND measure_id = $2")
        .bind(organization.0)
        .bind(measure_id)
        .execute(&mut **transaction)
        .await?;
    for (index, (department, statement)) in contributors.iter().enumerate() {
        ensure_exists(
            transaction,
            "departments",
            organization,
            department.0,
            &format!("contributors[{index}].department_id"),
        )
        .await?;
        sqlx::query(
            "INSERT INTO measure_contributors (organization_id, measure_id, \
                department_id, statement) VALUES ($1, $2, $3, $4)",
        )
        .bind(organization.0)
        .bind(measure_id)
        .bind(department.0)
        .bind(statement.clone())
        .execute(&mut **transaction)
        .await
        .map_err(|error| match StoreError::from(error) {
            StoreError::Conflict { .. } => StoreError::invalid(
                &format!("contributors[{index}].department_id"),
                "each department contributes once",
            ),
            other => other,
        })?;
    }
    Ok(())
}

/// When `measure` has reached its target for the first time: marks it, and
/// if it is mutual, credits every contributing department with one
/// recognition in the kudos feed (the unique index keeps it to one each).
async fn recognize_if_reached(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    measure: &Measure,
) -> Result<Vec<DepartmentId>, StoreError> {
    if measure.target_reached_at.is_some() || !measure.scale.reached(measure.current) {
        return Ok(Vec::new());
    }
    let stamp = to_db(now());
    sqlx::query(
        "UPDATE measures SET target_reached_at = $1 WHERE organization_id = $2 AND id = \
            $3 AND target_reached_at IS NULL",
    )
    .bind(stamp.clone())
    .bind(organization.0)
    .bind(measure.id)
    .execute(&mut **transaction)
    .await?;
    if !measure.is_mutual() {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = measure
        .contributors
        .iter()
        .map(|contributor| contributor.department_name.as_str())
        .collect();
    let message = format!(
        "Together {} reached the target of \u{201c}{}\u{201d}: {} {}. Working together is \
            what gets rewarded.",
        names.join(", "),
        measure.name,
        format_number(measure.scale.target()),
        measure.unit
    )
    .trim_end()
    .to_owned();
    let mut credited = Vec::new();
    for contributor in &measure.contributors {
        let inserted = sqlx::query(
            "INSERT INTO kudos (organization_id, receiver_department_id, message, \
                link_kind, link_id, value_tag, recognized_measure_id, created_at) VALUES \
                ($1, $2, $3, 'measure', $4, 'together', $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(organization.0)
        .bind(contributor.department_id.0)
        .bind(message.clone())
        .bind(measure.id)
        .bind(stamp.clone())
        .execute(&mut **transaction)
        .await?;
        if inserted.rows_affected() > 0 {
            credited.push(contributor.department_id);
        }
    }
    Ok(credited)
}

/// `12` rather than `12.0`; fractions as they are.
pub(crate) fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

impl Scoped<'_> {
    pub async fn create_objective(&self, new: NewObjective) -> Result<Objective, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    if let Some(owner) = new.owner_person_id {
                        ensure_exists(
                            transaction,
                            "people",
                            organization,
                            owner.0,
                            "owner_person_id",
                        )
                        .await?;
                    }
                    let row = sqlx::query(&format!(
                        "INSERT INTO objectives (organization_id, period, title, \
                            description, category, owner_person_id, created_at, updated_at) \
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING \
                            {OBJECTIVE_COLUMNS}"
                    ))
                    .bind(organization.0)
                    .bind(new.period.to_string())
                    .bind(new.title.as_str().to_owned())
                    .bind(new.description.clone())
                    .bind(new.category.as_str())
                    .bind(new.owner_person_id.map(|person| person.0))
                    .bind(to_db(now()))
                    .fetch_one(&mut **transaction)
                    .await?;
                    let objective = objective_from_row(&row)?;
                    let detail = format!("created {} ({})", objective.title, objective.period);
                    crate::audit::record(
                        transaction,
                        audit,
                        "objective.created",
                        "objective",
                        objective.id,
                        detail,
                    )
                    .await?;
                    Ok(objective)
                })
            })
            .await
    }

    pub async fn objective(&self, id: i64) -> Result<Objective, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "objectives",
            OBJECTIVE_COLUMNS,
            self.organization,
            id,
        )
        .await?;
        objective_from_row(&row)
    }

    /// Objectives in id order, optionally of one period.
    pub async fn list_objectives(
        &self,
        period: Option<Period>,
        page: PageRequest,
    ) -> Result<Listing<Objective>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OBJECTIVE_COLUMNS} FROM objectives WHERE organization_id = $1 AND id > $2 \
             AND ($3 IS NULL OR period = $3) ORDER BY id LIMIT $4"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(period.map(|period| period.to_string()))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows
            .iter()
            .map(objective_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page.into_listing(items, |objective| objective.id))
    }

    pub async fn update_objective(
        &self,
        id: i64,
        changes: ObjectiveChanges,
        expected_version: i64,
    ) -> Result<Objective, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let detail = crate::departments::changed_fields(&[
            ("period", changes.period.is_set()),
            ("title", changes.title.is_set()),
            ("description", changes.description.is_set()),
            ("category", changes.category.is_set()),
            ("owner_person_id", changes.owner_person_id.is_set()),
        ]);
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "objectives", organization, id).await?;
                    let current = fetch_objective(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
                    let owner = changes.owner_person_id.or(current.owner_person_id);
                    if let Some(owner) = owner {
                        ensure_exists(
                            transaction,
                            "people",
                            organization,
                            owner.0,
                            "owner_person_id",
                        )
                        .await?;
                    }
                    let title = match changes.title {
                        Change::Set(title) => title.into_string(),
                        Change::Keep => current.title,
                    };
                    let row = sqlx::query(&format!(
                        "UPDATE objectives SET period = $1, title = $2, description = $3, \
                            category = $4, owner_person_id = $5, version = version + 1, \
                            updated_at = $6 WHERE organization_id = $7 AND id = $8 RETURNING \
                            {OBJECTIVE_COLUMNS}"
                    ))
                    .bind(changes.period.or(current.period).to_string())
                    .bind(title)
                    .bind(changes.description.or(current.description))
                    .bind(changes.category.or(current.category).as_str())
                    .bind(owner.map(|person| person.0))
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id)
                    .fetch_one(&mut **transaction)
                    .await?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "objective.updated",
                        "objective",
                        id,
                        detail,
                    )
                    .await?;
                    objective_from_row(&row)
                })
            })
            .await
    }

    /// Deletes an objective that no measure, goal or enhancement refers to.
    pub async fn delete_objective(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "objectives", organization, id).await?;
                    let current = fetch_objective(transaction, organization, id).await?;
                    crate::check_version(current.version, expected_version)?;
                    crate::delete_row(
                        transaction,
                        "objectives",
                        organization,
                        id,
                        "measures, goals or enhancements still refer to this objective; \
                            remove or move them first",
                    )
                    .await?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "objective.deleted",
                        "objective",
                        id,
                        format!("deleted {}", current.title),
                    )
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    pub async fn create_measure(&self, new: NewMeasure) -> Result<Measure, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    ensure_exists(
                        transaction,
                        "objectives",
                        organization,
                        new.objective_id,
                        "objective_id",
                    )
                    .await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO measures (organization_id, objective_id, name, unit, \
                            direction, baseline, target, current_value, created_at, \
                            updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                            RETURNING id",
                    )
                    .bind(organization.0)
                    .bind(new.objective_id)
                    .bind(new.name.as_str().to_owned())
                    .bind(new.unit.clone())
                    .bind(new.scale.direction().as_str())
                    .bind(new.scale.baseline())
                    .bind(new.scale.target())
                    .bind(new.current.unwrap_or(new.scale.baseline()))
                    .bind(to_db(now()))
                    .fetch_one(&mut **transaction)
                    .await?;
                    write_contributors(transaction, organization, id, &new.contributors).await?;
                    let measure = fetch_measure(transaction, organization, id).await?;
                    recognize_if_reached(transaction, organization, &measure).await?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "measure.created",
                        "measure",
                        id,
                        format!("created {}", measure.name),
                    )
                    .await?;
                    fetch_measure(transaction, organization, id).await
                })
            })
            .await
    }

    pub async fn measure(&self, id: i64) -> Result<Measure, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MEASURE_COLUMNS} FROM {MEASURE_FROM} WHERE m.organization_id = $1 \
                AND m.id = $2"
        ))
        .bind(self.organization.0)
        .bind(id)
        .fetch_optional(self.store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut measures = vec![measure_from_row(&row)?];
        attach_contributors(self.store.reader(), self.organization, &mut measures).await?;
        measures.pop().ok_or(StoreError::NotFound)
    }

    /// Measures in id order, optionally of one objective.
    pub async fn list_measures(
        &self,
        objective_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Listing<Measure>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MEASURE_COLUMNS} FROM {MEASURE_FROM} WHERE m.organization_id = $1 \
                AND m.id > $2 AND ($3 IS NULL OR m.objective_id = $3) ORDER BY m.id LIMIT $4"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(objective_id)
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows
            .iter()
            .map(measure_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut listing = page.into_listing(items, |measure| measure.id);
        attach_contributors(self.store.reader(), self.organization, &mut listing.items).await?;
        Ok(listing)
    }

    /// Every measure of the given objectives, with contributors.
    pub async fn measures_of_objectives(
        &self,
        objective_ids: &[i64],
    ) -> Result<Vec<Measure>, StoreError> {
        if objective_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {MEASURE_COLUMNS} FROM {MEASURE_FROM} WHERE m.organization_id = $1 \
                AND m.objective_id IN ({}) ORDER BY m.id",
            placeholders(2, objective_ids.len())
        );
        let mut query = sqlx::query(&sql).bind(self.organization.0);
        for id in objective_ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.store.reader()).await?;
        let mut measures = rows
            .iter()
            .map(measure_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_contributors(self.store.reader(), self.organization, &mut measures).await?;
        Ok(measures)
    }

    pub async fn update_measure(
        &self,
        id: i64,
        changes: MeasureChanges,
        expected_version: i64,
    ) -> Result<Measure, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let detail = crate::departments::changed_fields(&[
            ("name", changes.name.is_set()),
            ("unit", changes.unit.is_set()),
            ("direction", changes.direction.is_set()),
            ("baseline", changes.baseline.is_set()),
            ("target", changes.target.is_set()),
            ("contributors", changes.contributors.is_set()),
        ]);
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "measures", organization, id).await?;
                    let current = fetch_measure(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
                    let scale = Scale::new(
                        changes.direction.or(current.scale.direction()),
                        changes.baseline.or(current.scale.baseline()),
                        changes.target.or(current.scale.target()),
                    )
                    .map_err(StoreError::Invalid)?;
                    let name = match changes.name {
                        Change::Set(name) => name.into_string(),
                        Change::Keep => current.name,
                    };
                    sqlx::query(
                        "UPDATE measures SET name = $1, unit = $2, direction = $3, \
                            baseline = $4, target = $5, version = version + 1, updated_at = \
                            $6 WHERE organization_id = $7 AND id = $8",
                    )
                    .bind(name)
                    .bind(changes.unit.or(current.unit))
                    .bind(scale.direction().as_str())
                    .bind(scale.baseline())
                    .bind(scale.target())
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?;
                    if let Change::Set(contributors) = &changes.contributors {
                        write_contributors(transaction, organization, id, contributors).await?;
                    }
                    let measure = fetch_measure(transaction, organization, id).await?;
                    recognize_if_reached(transaction, organization, &measure).await?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "measure.updated",
                        "measure",
                        id,
                        detail,
                    )
                    .await?;
                    fetch_measure(transaction, organization, id).await
                })
            })
            .await
    }

    /// Records a check-in: the newest check-in (by date) is the measure's
    /// current value. A mutual measure reaching its target credits its
    /// departments together, once.
    pub async fn record_checkin(
        &self,
        measure_id: i64,
        new: NewCheckin,
    ) -> Result<CheckinOutcome, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "measures", organization, measure_id).await?;
                    fetch_measure(transaction, organization, measure_id).await?;
                    let row = sqlx::query(&format!(
                        "INSERT INTO measure_checkins (organization_id, measure_id, \
                            value, note, author_person_id, recorded_on, created_at) VALUES \
                            ($1, $2, $3, $4, $5, $6, $7) RETURNING {CHECKIN_COLUMNS}"
                    ))
                    .bind(organization.0)
                    .bind(measure_id)
                    .bind(new.value)
                    .bind(new.note.clone())
                    .bind(audit.actor.map(|person| person.0))
                    .bind(new.recorded_on.to_string())
                    .bind(to_db(now()))
                    .fetch_one(&mut **transaction)
                    .await?;
                    let checkin = checkin_from_row(&row)?;
                    sqlx::query(
                        "UPDATE measures SET current_value = (SELECT c.value FROM \
                            measure_checkins c WHERE c.organization_id = $1 AND c.measure_id \
                            = $2 ORDER BY c.recorded_on DESC, c.id DESC LIMIT 1), version = \
                            version + 1, updated_at = $3 WHERE organization_id = $1 AND id = \
                            $2",
                    )
                    .bind(organization.0)
                    .bind(measure_id)
                    .bind(to_db(now()))
                    .execute(&mut **transaction)
                    .await?;
                    let measure = fetch_measure(transaction, organization, measure_id).await?;
                    let credited =
                        recognize_if_reached(transaction, organization, &measure).await?;
                    let detail = format!(
                        "checked in {} on {}",
                        format_number(checkin.value),
                        checkin.recorded_on
                    );
                    crate::audit::record(
                        transaction,
                        audit,
                        "measure.checked_in",
                        "measure",
                        measure_id,
                        detail,
                    )
                    .await?;
                    let measure = fetch_measure(transaction, organization, measure_id).await?;
                    Ok(CheckinOutcome {
                        checkin,
                        measure,
                        credited_departments: credited,
                    })
                })
            })
            .await
    }

    /// A measure's check-ins, oldest first.
    pub async fn checkins(&self, measure_id: i64) -> Result<Vec<Checkin>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CHECKIN_COLUMNS} FROM measure_checkins WHERE organization_id = $1 \
                AND measure_id = $2 ORDER BY recorded_on, id"
        ))
        .bind(self.organization.0)
        .bind(measure_id)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(checkin_from_row).collect()
    }

    pub async fn create_goal(&self, new: NewGoal) -> Result<Goal, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    ensure_exists(
                        transaction,
                        "departments",
                        organization,
                        new.department_id.0,
                        "department_id",
                    )
                    .await?;
                    if let Some(objective) = new.objective_id {
                        ensure_exists(
                            transaction,
                            "objectives",
                            organization,
                            objective,
                            "objective_id",
                        )
                        .await?;
                    }
                    let row = sqlx::query(&format!(
                        "INSERT INTO goals (organization_id, department_id, objective_id, \
                            period, title, description, created_at, updated_at) VALUES ($1, \
                            $2, $3, $4, $5, $6, $7, $7) RETURNING {GOAL_COLUMNS}"
                    ))
                    .bind(organization.0)
                    .bind(new.department_id.0)
                    .bind(new.objective_id)
                    .bind(new.period.to_string())
                    .bind(new.title.as_str().to_owned())
                    .bind(new.description.clone())
                    .bind(to_db(now()))
                    .fetch_one(&mut **transaction)
                    .await?;
                    let goal = goal_from_row(&row)?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "goal.created",
                        "goal",
                        goal.id,
                        format!("created {}", goal.title),
                    )
                    .await?;
                    Ok(goal)
                })
            })
            .await
    }

    pub async fn goal(&self, id: i64) -> Result<Goal, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "goals",
            GOAL_COLUMNS,
            self.organization,
            id,
        )
        .await?;
        goal_from_row(&row)
    }

    pub async fn list_goals(
        &self,
        filter: GoalFilter,
        page: PageRequest,
    ) -> Result<Listing<Goal>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {GOAL_COLUMNS} FROM goals WHERE organization_id = $1 AND id > $2 AND \
                ($3 IS NULL OR department_id = $3) AND ($4 IS NULL OR period = $4) AND ($5 \
                IS NULL OR ($5 = 1 AND objective_id IS NULL) OR ($5 = 0 AND objective_id IS \
                NOT NULL)) ORDER BY id LIMIT $6"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.department_id.map(|department| department.0))
        .bind(filter.period.map(|period| period.to_string()))
        .bind(filter.unaligned.map(i64::from))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows
            .iter()
            .map(goal_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page.into_listing(items, |goal| goal.id))
    }

    pub async fn update_goal(
        &self,
        id: i64,
        changes: GoalChanges,
        expected_version: i64,
    ) -> Result<Goal, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        let detail = crate::departments::changed_fields(&[
            ("objective_id", changes.objective_id.is_set()),
            ("period", changes.period.is_set()),
            ("title", changes.title.is_set()),
            ("description", changes.description.is_set()),
        ]);
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "goals", organization, id).await?;
                    let current = fetch_goal(transaction, organization, id).await?;
                    crate::check_version(current.version, Some(expected_version))?;
                    let objective = changes.objective_id.or(current.objective_id);
                    if let Some(objective) = objective {
                        ensure_exists(
                            transaction,
                            "objectives",
                            organization,
                            objective,
                            "objective_id",
                        )
                        .await?;
                    }
                    let title = match changes.title {
                        Change::Set(title) => title.into_string(),
                        Change::Keep => current.title,
                    };
                    let row = sqlx::query(&format!(
                        "UPDATE goals SET objective_id = $1, period = $2, title = $3, \
                            description = $4, version = version + 1, updated_at = $5 WHERE \
                            organization_id = $6 AND id = $7 RETURNING {GOAL_COLUMNS}"
                    ))
                    .bind(objective)
                    .bind(changes.period.or(current.period).to_string())
                    .bind(title)
                    .bind(changes.description.or(current.description))
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id)
                    .fetch_one(&mut **transaction)
                    .await?;
                    crate::audit::record(transaction, audit, "goal.updated", "goal", id, detail)
                        .await?;
                    goal_from_row(&row)
                })
            })
            .await
    }

    pub async fn delete_goal(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<Goal, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "goals", organization, id).await?;
                    let current = fetch_goal(transaction, organization, id).await?;
                    crate::check_version(current.version, expected_version)?;
                    crate::delete_row(
                        transaction,
                        "goals",
                        organization,
                        id,
                        "the goal is still referenced",
                    )
                    .await?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "goal.deleted",
                        "goal",
                        id,
                        format!("deleted {}", current.title),
                    )
                    .await?;
                    Ok(current)
                })
            })
            .await
    }
}
