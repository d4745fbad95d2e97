//! Applying a people import: departments found or created by name, people
//! upserted by email, all in one transaction so an import either lands whole
//! or not at all. Parsing and row validation happen before, in the exchange
//! crate; this is only the write.

use crate::time::{now, to_db};
use crate::{Scoped, StoreError, WriteTransaction};
use roundtable_domain::ids::{DepartmentId, OrganizationId};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label, Slug};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One valid row of a people import.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    /// The line in the source file, for messages.
    pub line: u64,
    pub email: Email,
    pub name: Label,
    pub title: Option<Label>,
    pub department: Option<Label>,
    pub parent_department: Option<Label>,
    /// `None` keeps an existing person's role and makes new people members.
    pub role: Option<Role>,
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub people_created: u64,
    pub people_updated: u64,
    pub departments_created: u64,
}

/// Finds departments by slug (derived from the name) and creates missing ones.
struct DepartmentResolver {
    organization: OrganizationId,
    known: HashMap<String, DepartmentId>,
    created: u64,
}

impl DepartmentResolver {
    async fn resolve(
        &mut self,
        transaction: &mut WriteTransaction,
        name: &Label,
        line: u64,
    ) -> Result<DepartmentId, StoreError> {
        let slug = Slug::from_name(name.as_str()).map_err(|_| {
            StoreError::invalid(
                &format!("line {line}: department"),
                "needs at least one letter or digit",
            )
        })?;
        if let Some(id) = self.known.get(slug.as_str()) {
            return Ok(*id);
        }
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM departments WHERE organization_id = $1 AND slug = $2",
        )
        .bind(self.organization.0)
        .bind(slug.as_str().to_owned())
        .fetch_optional(&mut **transaction)
        .await?;
        let id = match existing {
            Some(id) => id,
            None => {
                self.created += 1;
                sqlx::query_scalar(
                    "INSERT INTO departments (organization_id, slug, name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(self.organization.0)
                .bind(slug.as_str().to_owned())
                .bind(name.as_str().to_owned())
                .bind(to_db(now()))
                .fetch_one(&mut **transaction)
                .await?
            }
        };
        self.known
            .insert(slug.as_str().to_owned(), DepartmentId(id));
        Ok(DepartmentId(id))
    }
}

impl Scoped<'_> {
    /// Upserts every record by email in one transaction. `progress` counts the
    /// records applied so far, for a progress bar.
    pub async fn import_people(
        &self,
        records: Vec<PersonRecord>,
        progress: Arc<AtomicU64>,
    ) -> Result<ImportSummary, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let mut summary = ImportSummary::default();
                    let mut departments = DepartmentResolver {
                        organization,
                        known: HashMap::new(),
                        created: 0,
                    };
                    let stamp = to_db(now());
                    for record in records {
                        let department_id = match &record.department {
                            Some(name) => Some(departments.resolve(transaction, name, record.line).await?),
                            None => None,
                        };
                        if let (Some(department), Some(parent_name)) = (department_id, &record.parent_department) {
                            let parent = departments.resolve(transaction, parent_name, record.line).await?;
                            if parent != department {
                                sqlx::query(
                                    "UPDATE departments SET parent_id = $1, version = version + 1, updated_at = $2 \
                                     WHERE organization_id = $3 AND id = $4 AND parent_id IS NULL",
                                )
                                .bind(parent.0)
                                .bind(stamp.clone())
                                .bind(organization.0)
                                .bind(department.0)
                                .execute(&mut **transaction)
                                .await?;
                            }
                        }
                        let existing: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM people WHERE organization_id = $1 AND email = $2",
                        )
                        .bind(organization.0)
                        .bind(record.email.as_str().to_owned())
                        .fetch_optional(&mut **transaction)
                        .await?;
                        match existing {
                            Some(id) => {
                                sqlx::query(
                                    "UPDATE people SET name = $1, title = $2, department_id = COALESCE($3, department_id), \
                                     role = COALESCE($4, role), version = version + 1, updated_at = $5 \
                                     WHERE organization_id = $6 AND id = $7",
                                )
                                .bind(record.name.into_string())
                                .bind(record.title.map(Label::into_string))
                                .bind(department_id.map(|department| department.0))
                                .bind(record.role.map(|role| role.as_str()))
                                .bind(stamp.clone())
                                .bind(organization.0)
                                .bind(id)
                                .execute(&mut **transaction)
                                .await?;
                                summary.people_updated += 1;
                            }
                            None => {
                                sqlx::query(
                                    "INSERT INTO people (organization_id, email, name, title, department_id, role, created_at, updated_at) \
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                                )
                                .bind(organization.0)
                                .bind(record.email.as_str().to_owned())
                                .bind(record.name.into_string())
                                .bind(record.title.map(Label::into_string))
                                .bind(department_id.map(|department| department.0))
                                .bind(record.role.unwrap_or(Role::Member).as_str())
                                .bind(stamp.clone())
                                .execute(&mut **transaction)
                                .await?;
                                summary.people_created += 1;
                            }
                        }
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                    summary.departments_created = departments.created;
                    let detail = format!(
                        "imported people: {} created, {} updated, {} departments created",
                        summary.people_created, summary.people_updated, summary.departments_created
                    );
                    crate::audit::record(transaction, audit, "people.imported", "organization", organization.0, detail)
                        .await?;
                    Ok(summary)
                })
            })
            .await
    }
}
