//! Departments: the nodes of the internal-customer chain. A department may sit
//! under a parent (never under itself or its own descendants), names its leads,
//! and runs on a business calendar (or the organization's default).

use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Funnel, Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::{CalendarId, DepartmentId, OrganizationId, PersonId};
use roundtable_domain::text::{Label, Slug};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: DepartmentId,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    pub calendar_id: Option<CalendarId>,
    pub customer_facing: bool,
    pub lead_ids: Vec<PersonId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub slug: Slug,
    pub name: Label,
    pub parent_id: Option<DepartmentId>,
    pub calendar_id: Option<CalendarId>,
    pub customer_facing: bool,
    pub lead_ids: Vec<PersonId>,
}

#[derive(Debug, Clone, Default)]
pub struct DepartmentChanges {
    pub slug: Change<Slug>,
    pub name: Change<Label>,
    pub parent_id: Change<Option<DepartmentId>>,
    pub calendar_id: Change<Option<CalendarId>>,
    pub customer_facing: Change<bool>,
    pub lead_ids: Change<Vec<PersonId>>,
}

const COLUMNS: &str =
    "id, slug, name, parent_id, calendar_id, customer_facing, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Department, StoreError> {
    Ok(Department {
        id: DepartmentId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        parent_id: row
            .try_get::<Option<i64>, _>("parent_id")?
            .map(DepartmentId),
        calendar_id: row
            .try_get::<Option<i64>, _>("calendar_id")?
            .map(CalendarId),
        customer_facing: row.try_get::<i64, _>("customer_facing")? != 0,
        lead_ids: Vec::new(),
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Department, "departments", COLUMNS, from_row);

fn slug_conflict(error: sqlx::Error, slug: &str) -> StoreError {
    match StoreError::from(error) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: Some("slug".to_owned()),
            message: format!("a department with slug {slug} already exists"),
        },
        other => other,
    }
}

/// Attaches lead ids to departments whose ids lie in `[low, high]`.
async fn attach_leads<'e, E>(
    executor: E,
    organization: OrganizationId,
    departments: &mut [Department],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let (Some(low), Some(high)) = (
        departments.iter().map(|department| department.id.0).min(),
        departments.iter().map(|department| department.id.0).max(),
    ) else {
        return Ok(());
    };
    let rows = sqlx::query(
        "SELECT department_id, person_id FROM department_leads WHERE organization_id = $1 \
            AND department_id BETWEEN $2 AND $3 ORDER BY department_id, person_id",
    )
    .bind(organization.0)
    .bind(low)
    .bind(high)
    .fetch_all(executor)
    .await?;
    let mut leads: BTreeMap<i64, Vec<PersonId>> = BTreeMap::new();
    for row in rows {
        leads
            .entry(row.try_get("department_id")?)
            .or_default()
            .push(PersonId(row.try_get("person_id")?));
    }
    for department in departments {
        department.lead_ids = leads.remove(&department.id.0).unwrap_or_default();
    }
    Ok(())
}

async fn fetch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: DepartmentId,
) -> Result<Department, StoreError> {
    let mut departments =
        [crate::rows::get::<Department, _>(&mut **transaction, organization, id.0).await?];
    attach_leads(&mut **transaction, organization, &mut departments).await?;
    let [department] = departments;
    Ok(department)
}

/// Checks the references a department makes, naming the field of each bad one.
async fn check_references(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    parent_id: Option<DepartmentId>,
    calendar_id: Option<CalendarId>,
    lead_ids: &[PersonId],
) -> Result<(), StoreError> {
    crate::ensure_reference(transaction, organization, parent_id, "parent_id").await?;
    crate::ensure_reference(transaction, organization, calendar_id, "calendar_id").await?;
    for (index, lead) in lead_ids.iter().enumerate() {
        crate::ensure_reference(
            transaction,
            organization,
            *lead,
            &format!("lead_ids[{index}]"),
        )
        .await?;
    }
    Ok(())
}

async fn replace_leads(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    department: DepartmentId,
    lead_ids: &[PersonId],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM department_leads WHERE organization_id = $1 AND department_id = $2")
        .bind(organization.0)
        .bind(department.0)
        .execute(&mut **transaction)
        .await?;
    let mut unique = lead_ids.to_vec();
    unique.sort();
    unique.dedup();
    for lead in unique {
        sqlx::query(
            "INSERT INTO department_leads (organization_id, department_id, person_id) \
                VALUES ($1, $2, $3)",
        )
        .bind(organization.0)
        .bind(department.0)
        .bind(lead.0)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_department(&self, new: NewDepartment) -> Result<Department, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                check_references(
                    transaction,
                    organization,
                    new.parent_id,
                    new.calendar_id,
                    &new.lead_ids,
                )
                .await?;
                let stamp = to_db(now());
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO departments (organization_id, slug, name, parent_id, \
                            calendar_id, customer_facing, created_at, updated_at) VALUES \
                            ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(organization.0)
                .bind(new.slug.as_str().to_owned())
                .bind(new.name.into_string())
                .bind(new.parent_id.map(|parent| parent.0))
                .bind(new.calendar_id.map(|calendar| calendar.0))
                .bind(i64::from(new.customer_facing))
                .bind(stamp)
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| slug_conflict(error, new.slug.as_str()))?;
                replace_leads(transaction, organization, DepartmentId(id), &new.lead_ids).await?;
                let created = fetch(transaction, organization, DepartmentId(id)).await?;
                let detail = format!("created {} ({})", created.name, created.slug);
                audit
                    .record(transaction, "department.created", id, detail)
                    .await?;
                Ok(created)
            })
        })
        .await
    }

    /// The department with its leads, read at most once per configuration
    /// write of this process (every queue page, request view and create
    /// asks for it).
    pub async fn department(&self, id: DepartmentId) -> Result<Department, StoreError> {
        let caches = self.store.caches();
        let department = caches
            .departments
            .get_or_fill(
                (self.organization.0, id.0),
                || caches.configuration.current(),
                || self.read_department(id),
            )
            .await?;
        Ok(Department::clone(&department))
    }

    async fn read_department(&self, id: DepartmentId) -> Result<Department, StoreError> {
        let mut departments =
            [
                crate::rows::get::<Department, _>(self.store.reader(), self.organization, id.0)
                    .await?,
            ];
        attach_leads(self.store.reader(), self.organization, &mut departments).await?;
        let [department] = departments;
        Ok(department)
    }

    pub async fn department_by_slug(&self, slug: &str) -> Result<Option<Department>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM departments WHERE organization_id = $1 AND slug = $2",
        )
        .bind(self.organization.0)
        .bind(slug.to_owned())
        .fetch_optional(self.store.reader())
        .await?;
        match id {
            Some(id) => self.department(DepartmentId(id)).await.map(Some),
            None => Ok(None),
        }
    }

    pub async fn list_departments(
        &self,
        page: PageRequest,
    ) -> Result<Listing<Department>, StoreError> {
        let mut items =
            crate::rows::list::<Department, _>(self.store.reader(), self.organization, page)
                .await?;
        attach_leads(self.store.reader(), self.organization, &mut items).await?;
        Ok(page.into_listing(items, |department| department.id.0))
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn update_department(
        &self,
        id: DepartmentId,
        changes: DepartmentChanges,
        expected_version: i64,
    ) -> Result<Department, StoreError> {
        let organization = self.organization;
        let detail = changed_fields(&[
            ("slug", changes.slug.is_set()),
            ("name", changes.name.is_set()),
            ("parent_id", changes.parent_id.is_set()),
            ("calendar_id", changes.calendar_id.is_set()),
            ("customer_facing", changes.customer_facing.is_set()),
            ("lead_ids", changes.lead_ids.is_set()),
        ]);
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "departments", organization, id.0).await?;
                let current = fetch(transaction, organization, id).await?;
                crate::check_version(current.version, Some(expected_version))?;
                let parent_id = changes.parent_id.or(current.parent_id);
                let calendar_id = changes.calendar_id.or(current.calendar_id);
                let leads_changed = changes.lead_ids.is_set();
                let lead_ids = changes.lead_ids.or(current.lead_ids.clone());
                check_references(transaction, organization, parent_id, calendar_id, &lead_ids)
                    .await?;
                if let Some(parent) = parent_id {
                    ensure_not_descendant(transaction, organization, id, parent).await?;
                }
                let slug = match changes.slug {
                    Change::Set(slug) => slug.as_str().to_owned(),
                    Change::Keep => current.slug,
                };
                let name = match changes.name {
                    Change::Set(name) => name.into_string(),
                    Change::Keep => current.name,
                };
                let customer_facing = changes.customer_facing.or(current.customer_facing);
                sqlx::query(
                    "UPDATE departments SET slug = $1, name = $2, parent_id = $3, \
                            calendar_id = $4, customer_facing = $5, version = version + 1, \
                            updated_at = $6 WHERE organization_id = $7 AND id = $8",
                )
                .bind(slug.clone())
                .bind(name)
                .bind(parent_id.map(|parent| parent.0))
                .bind(calendar_id.map(|calendar| calendar.0))
                .bind(i64::from(customer_facing))
                .bind_now_and_row(organization, id.0)
                .execute(&mut **transaction)
                .await
                .map_err(|error| slug_conflict(error, &slug))?;
                if leads_changed {
                    replace_leads(transaction, organization, id, &lead_ids).await?;
                }
                audit
                    .record(transaction, "department.updated", id.0, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }

    /// Deletes a department that no person, sub-department or later record uses.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn delete_department(
        &self,
        id: DepartmentId,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        self.delete_audited::<Department>(
            Funnel::Configuration,
            id.0,
            expected_version,
            "people or sub-departments still belong to this department; move them \
                first",
            "department.deleted",
            |department| format!("deleted {} ({})", department.name, department.slug),
        )
        .await?;
        Ok(())
    }
}

/// Refuses a parent that is the department itself or one of its descendants,
/// which would make the hierarchy a loop. The API's updates and the people
/// import both go through it.
pub(crate) async fn ensure_not_descendant(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    department: DepartmentId,
    proposed_parent: DepartmentId,
) -> Result<(), StoreError> {
    let loops: i64 = sqlx::query_scalar(
        "WITH RECURSIVE ancestors (id, parent_id, depth) AS ( SELECT id, parent_id, 0 \
            FROM departments WHERE organization_id = $1 AND id = $2 UNION ALL SELECT d.id, \
            d.parent_id, a.depth + 1 FROM departments d JOIN ancestors a ON d.id = \
            a.parent_id AND d.organization_id = $1 WHERE a.depth < 1000 ) SELECT COUNT(*) \
            FROM ancestors WHERE id = $3",
    )
    .bind(organization.0)
    .bind(proposed_parent.0)
    .bind(department.0)
    .fetch_one(&mut **transaction)
    .await?;
    if loops > 0 {
        return Err(StoreError::invalid(
            "parent_id",
            "would make the department its own ancestor",
        ));
    }
    Ok(())
}

/// "changed name, parent_id": the fields an update set, for the audit log.
pub(crate) fn changed_fields(fields: &[(&str, bool)]) -> String {
    let names: Vec<&str> = fields
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
    if names.is_empty() {
        "no fields changed".to_owned()
    } else {
        format!("changed {}", names.join(", "))
    }
}
