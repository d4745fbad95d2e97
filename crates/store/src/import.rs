//! Applying a people import: departments found or created by name, people
//! upserted by email, all in one transaction so an import either lands whole
//! or not at all. Parsing and row validation happen before, in the exchange
//! crate; this is only the write.

use crate::time::{now, to_db};
use crate::{Funnel, Scoped, StoreError, WriteTransaction};
use roundtable_domain::ids::{DepartmentId, OrganizationId};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label, Slug};
use std::collections::{HashMap, HashSet};
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

/// A person the import creates.
struct NewPerson {
    email: String,
    name: String,
    title: Option<String>,
    department_id: Option<DepartmentId>,
    role: Role,
}

/// Values a new person binds in the multi-row INSERT.
const VALUES_PER_PERSON: usize = 6;

/// The emails of `records` already in the organization, read in batches.
async fn existing_emails(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    records: &[PersonRecord],
) -> Result<HashSet<String>, StoreError> {
    let mut existing = HashSet::new();
    for batch in records.chunks(crate::rows_per_statement(transaction, 1)) {
        let sql = format!(
            "SELECT email FROM people WHERE organization_id = $1 AND email IN ({})",
            crate::objectives::placeholders(2, batch.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(organization.0);
        for record in batch {
            query = query.bind(record.email.as_str().to_owned());
        }
        existing.extend(query.fetch_all(&mut **transaction).await?);
    }
    Ok(existing)
}

/// Writes the waiting new people in one statement.
async fn flush(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    inserts: &mut Vec<NewPerson>,
    stamp: &str,
) -> Result<(), StoreError> {
    if inserts.is_empty() {
        return Ok(());
    }
    let rows = (0..inserts.len())
        .map(|row| {
            let first = row * VALUES_PER_PERSON + 1;
            format!(
                "($1, ${}, ${}, ${}, ${}, ${}, ${stamp}, ${stamp})",
                first + 1,
                first + 2,
                first + 3,
                first + 4,
                first + 5,
                stamp = first + 6
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO people (organization_id, email, name, title, department_id, role, \
            created_at, updated_at) VALUES {rows}"
    );
    let mut query = sqlx::query(&sql).bind(organization.0);
    for person in inserts.drain(..) {
        query = query
            .bind(person.email)
            .bind(person.name)
            .bind(person.title)
            .bind(person.department_id.map(|department| department.0))
            .bind(person.role.as_str())
            .bind(stamp.to_owned());
    }
    query.execute(&mut **transaction).await?;
    Ok(())
}

impl Scoped<'_> {
    /// Upserts every record by email in one transaction. `progress` counts the
    /// records applied so far, for a progress bar.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn import_people(
        &self,
        records: Vec<PersonRecord>,
        progress: Arc<AtomicU64>,
    ) -> Result<ImportSummary, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                let mut summary = ImportSummary::default();
                let mut departments = DepartmentResolver {
                    organization,
                    known: HashMap::new(),
                    created: 0,
                };
                let stamp = to_db(now());
                let mut existing = existing_emails(transaction, organization, &records).await?;
                // New people wait here and go in as multi-row INSERTs.
                let insert_rows = crate::rows_per_statement(transaction, VALUES_PER_PERSON);
                let mut inserts: Vec<NewPerson> = Vec::with_capacity(insert_rows);
                let mut pending: HashSet<String> = HashSet::new();
                let had_administrator =
                    crate::people::active_administrators(transaction, organization).await? > 0;
                // The last row that took the administrator role from someone.
                let mut last_demotion: Option<u64> = None;
                for record in records {
                    let department_id = match &record.department {
                        Some(name) => {
                            Some(departments.resolve(transaction, name, record.line).await?)
                        }
                        None => None,
                    };
                    if let (Some(department), Some(parent_name)) =
                        (department_id, &record.parent_department)
                    {
                        let parent = departments
                            .resolve(transaction, parent_name, record.line)
                            .await?;
                        let current_parent: Option<i64> = sqlx::query_scalar(
                            "SELECT parent_id FROM departments WHERE organization_id \
                                    = $1 AND id = $2",
                        )
                        .bind(organization.0)
                        .bind(department.0)
                        .fetch_one(&mut **transaction)
                        .await?;
                        if parent != department && current_parent.is_none() {
                            // The API's rule, through the API's check.
                            crate::departments::ensure_not_descendant(
                                transaction,
                                organization,
                                department,
                                parent,
                            )
                            .await
                            .map_err(|error| match error {
                                StoreError::Invalid(errors) => StoreError::invalid(
                                    &format!("line {}: parent_department", record.line),
                                    errors.0.first().map_or_else(
                                        || "would make a department its own ancestor".to_owned(),
                                        |error| error.message.clone(),
                                    ),
                                ),
                                other => other,
                            })?;
                            sqlx::query(
                                "UPDATE departments SET parent_id = $1, version = \
                                        version + 1, updated_at = $2 WHERE organization_id = \
                                        $3 AND id = $4 AND parent_id IS NULL",
                            )
                            .bind(parent.0)
                            .bind(stamp.clone())
                            .bind(organization.0)
                            .bind(department.0)
                            .execute(&mut **transaction)
                            .await?;
                        }
                    }
                    let email = record.email.as_str().to_owned();
                    if pending.contains(&email) {
                        // The same email again: the earlier row must exist
                        // before this one updates it.
                        flush(transaction, organization, &mut inserts, &stamp).await?;
                        pending.clear();
                    }
                    if existing.contains(&email) || pending.contains(&email) {
                        if record.role.is_some_and(|role| role != Role::Admin) {
                            last_demotion = Some(record.line);
                        }
                        sqlx::query(
                            "UPDATE people SET name = $1, title = $2, department_id = \
                                    COALESCE($3, department_id), role = COALESCE($4, role), \
                                    version = version + 1, updated_at = $5 WHERE \
                                    organization_id = $6 AND email = $7",
                        )
                        .bind(record.name.into_string())
                        .bind(record.title.map(Label::into_string))
                        .bind(department_id.map(|department| department.0))
                        .bind(record.role.map(|role| role.as_str()))
                        .bind(stamp.clone())
                        .bind(organization.0)
                        .bind(email)
                        .execute(&mut **transaction)
                        .await?;
                        summary.people_updated += 1;
                    } else {
                        pending.insert(email.clone());
                        existing.insert(email.clone());
                        inserts.push(NewPerson {
                            email,
                            name: record.name.into_string(),
                            title: record.title.map(Label::into_string),
                            department_id,
                            role: record.role.unwrap_or(Role::Member),
                        });
                        summary.people_created += 1;
                        if inserts.len() >= insert_rows {
                            flush(transaction, organization, &mut inserts, &stamp).await?;
                            pending.clear();
                        }
                    }
                    progress.fetch_add(1, Ordering::Relaxed);
                }
                flush(transaction, organization, &mut inserts, &stamp).await?;
                // The API's rule: never leave the organization without an
                // active administrator (the whole import rolls back).
                if had_administrator {
                    let field = match last_demotion {
                        Some(line) => format!("line {line}: role"),
                        None => "role".to_owned(),
                    };
                    crate::people::ensure_an_active_administrator(
                        transaction,
                        organization,
                        &field,
                    )
                    .await
                    .map_err(|_| {
                        StoreError::invalid(
                            &field,
                            "would leave the organization without an active administrator",
                        )
                    })?;
                }
                summary.departments_created = departments.created;
                let detail = format!(
                    "imported people: {} created, {} updated, {} departments created",
                    summary.people_created, summary.people_updated, summary.departments_created
                );
                audit
                    .record_on(
                        transaction,
                        "people.imported",
                        "organization",
                        Some(organization.0),
                        detail,
                    )
                    .await?;
                Ok(summary)
            })
        })
        .await
    }
}
