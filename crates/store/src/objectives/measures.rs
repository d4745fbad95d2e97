//! Measures of an objective, with their contributing departments; reaching
//! a mutual measure's target credits every contributor once.

use super::{period_from_db, placeholders};
use crate::rows::BindCommon;
use crate::time::{instant, now, optional_instant, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, OrganizationId};
use roundtable_domain::objectives::{Direction, Period, Scale, is_mutual};
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

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
        target_reached_at: optional_instant(row, "target_reached_at")?,
        contributors: Vec::new(),
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
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

pub(super) async fn fetch_measure(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Measure, StoreError> {
    let row = crate::rows::one_where(&mut **transaction, &format!(
        "SELECT {MEASURE_COLUMNS} FROM {MEASURE_FROM} WHERE m.organization_id = $1 AND m.id = $2"
    ), organization, id)
    .await?;
    let mut measures = vec![measure_from_row(&row)?];
    attach_contributors(&mut **transaction, organization, &mut measures).await?;
    measures.pop().ok_or(StoreError::NotFound)
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
        crate::ensure_reference(
            transaction,
            organization,
            *department,
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
pub(super) async fn recognize_if_reached(
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

/// Inserts a measure, once the references it makes are checked, and records
/// it in the audit log.
async fn insert_measure(
    transaction: &mut WriteTransaction,
    audit: crate::audit::Context,
    new: NewMeasure,
) -> Result<Measure, StoreError> {
    let organization = audit.organization;
    super::ensure_objective(transaction, organization, new.objective_id).await?;
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
    audit
        .record(
            transaction,
            "measure.created",
            id,
            format!("created {}", measure.name),
        )
        .await?;
    fetch_measure(transaction, organization, id).await
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_measure(&self, new: NewMeasure) -> Result<Measure, StoreError> {
        self.write_audited(move |transaction, audit| {
            Box::pin(insert_measure(transaction, audit, new))
        })
        .await
    }

    pub async fn measure(&self, id: i64) -> Result<Measure, StoreError> {
        let row = crate::rows::one_where(
            self.store.reader(),
            &format!(
                "SELECT {MEASURE_COLUMNS} FROM {MEASURE_FROM} WHERE m.organization_id = $1 \
                AND m.id = $2"
            ),
            self.organization,
            id,
        )
        .await?;
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

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_measure(
        &self,
        id: i64,
        changes: MeasureChanges,
        expected_version: i64,
    ) -> Result<Measure, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("name", changes.name.is_set()),
            ("unit", changes.unit.is_set()),
            ("direction", changes.direction.is_set()),
            ("baseline", changes.baseline.is_set()),
            ("target", changes.target.is_set()),
            ("contributors", changes.contributors.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
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
                .bind_now_and_row(organization, id)
                .execute(&mut **transaction)
                .await?;
                if let Change::Set(contributors) = &changes.contributors {
                    write_contributors(transaction, organization, id, contributors).await?;
                }
                let measure = fetch_measure(transaction, organization, id).await?;
                recognize_if_reached(transaction, organization, &measure).await?;
                audit
                    .record(transaction, "measure.updated", id, detail)
                    .await?;
                fetch_measure(transaction, organization, id).await
            })
        })
        .await
    }
}
