//! Department goals, each optionally under an objective.

use super::period_from_db;
use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Funnel, Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::objectives::Period;
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

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
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Goal, "goals", GOAL_COLUMNS, goal_from_row);

/// Inserts a goal, once the references it makes are checked, and records
/// it in the audit log.
async fn insert_goal(
    transaction: &mut WriteTransaction,
    audit: crate::audit::Context,
    new: NewGoal,
) -> Result<Goal, StoreError> {
    let organization = audit.organization;
    crate::ensure_reference(
        transaction,
        organization,
        new.department_id,
        "department_id",
    )
    .await?;
    super::ensure_objective(transaction, organization, new.objective_id).await?;
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
    audit
        .record(
            transaction,
            "goal.created",
            goal.id,
            format!("created {}", goal.title),
        )
        .await?;
    Ok(goal)
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_goal(&self, new: NewGoal) -> Result<Goal, StoreError> {
        self.write_audited(move |transaction, audit| Box::pin(insert_goal(transaction, audit, new)))
            .await
    }

    pub async fn goal(&self, id: i64) -> Result<Goal, StoreError> {
        crate::rows::get::<Goal, _>(self.store.reader(), self.organization, id).await
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
        page.listing_from(&rows, goal_from_row, |goal| goal.id)
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_goal(
        &self,
        id: i64,
        changes: GoalChanges,
        expected_version: i64,
    ) -> Result<Goal, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("objective_id", changes.objective_id.is_set()),
            ("period", changes.period.is_set()),
            ("title", changes.title.is_set()),
            ("description", changes.description.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current: Goal =
                    crate::locked(transaction, organization, id, Some(expected_version)).await?;
                let objective = changes.objective_id.or(current.objective_id);
                super::ensure_objective(transaction, organization, objective).await?;
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
                .bind_now_and_row(organization, id)
                .fetch_one(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "goal.updated", id, detail)
                    .await?;
                goal_from_row(&row)
            })
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn delete_goal(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<Goal, StoreError> {
        self.delete_audited::<Goal>(
            Funnel::Data,
            id,
            expected_version,
            "the goal is still referenced",
            "goal.deleted",
            |goal| format!("deleted {}", goal.title),
        )
        .await
    }
}
