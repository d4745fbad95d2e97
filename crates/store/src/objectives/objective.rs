//! Corporate objectives: a title and a period.

use super::period_from_db;
use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Funnel, Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::PersonId;
use roundtable_domain::objectives::{Category, Period};
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

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
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(
    Objective,
    "objectives",
    OBJECTIVE_COLUMNS,
    objective_from_row
);

/// Inserts an objective, once the references it makes are checked, and records
/// it in the audit log.
async fn insert_objective(
    transaction: &mut WriteTransaction,
    audit: crate::audit::Context,
    new: NewObjective,
) -> Result<Objective, StoreError> {
    let organization = audit.organization;
    crate::ensure_reference(
        transaction,
        organization,
        new.owner_person_id,
        "owner_person_id",
    )
    .await?;
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
    audit
        .record(transaction, "objective.created", objective.id, detail)
        .await?;
    Ok(objective)
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_objective(&self, new: NewObjective) -> Result<Objective, StoreError> {
        self.write_audited(move |transaction, audit| {
            Box::pin(insert_objective(transaction, audit, new))
        })
        .await
    }

    pub async fn objective(&self, id: i64) -> Result<Objective, StoreError> {
        crate::rows::get::<Objective, _>(self.store.reader(), self.organization, id).await
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
        page.listing_from(&rows, objective_from_row, |objective| objective.id)
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_objective(
        &self,
        id: i64,
        changes: ObjectiveChanges,
        expected_version: i64,
    ) -> Result<Objective, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("period", changes.period.is_set()),
            ("title", changes.title.is_set()),
            ("description", changes.description.is_set()),
            ("category", changes.category.is_set()),
            ("owner_person_id", changes.owner_person_id.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current: Objective =
                    crate::locked(transaction, organization, id, Some(expected_version)).await?;
                let owner = changes.owner_person_id.or(current.owner_person_id);
                crate::ensure_reference(transaction, organization, owner, "owner_person_id")
                    .await?;
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
                .bind_now_and_row(organization, id)
                .fetch_one(&mut **transaction)
                .await?;
                audit
                    .record(transaction, "objective.updated", id, detail)
                    .await?;
                objective_from_row(&row)
            })
        })
        .await
    }

    /// Deletes an objective that no measure, goal or enhancement refers to.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn delete_objective(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        self.delete_audited::<Objective>(
            Funnel::Data,
            id,
            expected_version,
            "measures, goals or enhancements still refer to this objective; \
                remove or move them first",
            "objective.deleted",
            |objective| format!("deleted {}", objective.title),
        )
        .await?;
        Ok(())
    }
}
