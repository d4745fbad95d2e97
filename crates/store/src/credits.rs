//! Credit on resolved requests: a resolved (or closed) request credits the
//! people who contributed to it, several of them, each once. A credit is
//! only ever added or explicitly removed: nothing else touches it, so a
//! hand-off, a reassignment or a reopening never moves credit from one
//! person to another. Each credit is written with its timeline event, the
//! credited person's notification and its audit entry in one transaction;
//! the person's department is kept as it was when credited, so recognition
//! per department does not move when people do.

use crate::requests::{NewEvent, record_event};
use crate::time::{instant, to_db};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::notices;
use roundtable_domain::requests::Status;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashSet;

/// One person credited on one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    pub id: i64,
    pub request_id: i64,
    pub person_id: PersonId,
    pub person_name: String,
    /// The person's department when credited.
    pub department_id: Option<DepartmentId>,
    pub department_name: Option<String>,
    pub note: String,
    pub credited_by: PersonId,
    pub credited_by_name: String,
    pub created_at: Timestamp,
}

/// Credits about to be given: the people (in the order the caller named
/// them, for errors naming `people[i]`), a note shared by all, who gives them.
#[derive(Debug, Clone)]
pub struct NewCredits {
    pub people: Vec<PersonId>,
    pub note: String,
    pub by: PersonId,
    pub at: Timestamp,
}

const SELECT: &str = "SELECT c.id, c.request_id, c.person_id, p.name AS person_name, \
    c.department_id, d.name AS department_name, c.note, c.credited_by, g.name AS \
    credited_by_name, c.created_at FROM request_credits c JOIN people p ON p.organization_id \
    = c.organization_id AND p.id = c.person_id JOIN people g ON g.organization_id = \
    c.organization_id AND g.id = c.credited_by LEFT JOIN departments d ON d.organization_id \
    = c.organization_id AND d.id = c.department_id";

fn from_row(row: &AnyRow) -> Result<Credit, StoreError> {
    Ok(Credit {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        person_id: PersonId(row.try_get("person_id")?),
        person_name: row.try_get("person_name")?,
        department_id: row
            .try_get::<Option<i64>, _>("department_id")?
            .map(DepartmentId),
        department_name: row.try_get("department_name")?,
        note: row.try_get("note")?,
        credited_by: PersonId(row.try_get("credited_by")?),
        credited_by_name: row.try_get("credited_by_name")?,
        created_at: instant(row, "created_at")?,
    })
}

/// Credit is given once the work is done: on a resolved or closed request.
fn creditable(status: Status) -> Result<(), StoreError> {
    if matches!(status, Status::Resolved | Status::Closed) {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            field: None,
            message: format!(
                "contributors are credited on a resolved or closed request; this one is {}",
                status.as_str().replace('_', " ")
            ),
        })
    }
}

impl Scoped<'_> {
    /// Credits every person named, or none: each must be an active person
    /// of this organization, named once and not credited on the request yet.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, request = request))]
    pub async fn credit_contributors(
        &self,
        request: i64,
        new: NewCredits,
    ) -> Result<Vec<Credit>, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current =
                    crate::requests::fetch_locked(transaction, organization, request).await?;
                creditable(current.status)?;
                let credited: HashSet<i64> = sqlx::query_scalar(
                    "SELECT person_id FROM request_credits WHERE organization_id = $1 \
                            AND request_id = $2",
                )
                .bind(organization.0)
                .bind(request)
                .fetch_all(&mut **transaction)
                .await?
                .into_iter()
                .collect();
                let mut errors = ValidationErrors::new();
                let mut seen = HashSet::new();
                for (index, person) in new.people.iter().enumerate() {
                    let field = format!("people[{index}]");
                    let active: Option<i64> = sqlx::query_scalar(
                        "SELECT active FROM people WHERE organization_id = $1 AND id = $2",
                    )
                    .bind(organization.0)
                    .bind(person.0)
                    .fetch_optional(&mut **transaction)
                    .await?;
                    if active != Some(1) {
                        errors.push(&field, "no such active person in this organization");
                    } else if !seen.insert(person.0) {
                        errors.push(&field, "is named twice");
                    } else if credited.contains(&person.0) {
                        errors.push(&field, "is already credited on this request");
                    }
                }
                if !errors.is_empty() {
                    return Err(StoreError::Invalid(errors));
                }
                let stamp = to_db(new.at);
                let mut ids = Vec::with_capacity(new.people.len());
                for person in &new.people {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO request_credits (organization_id, request_id, \
                                person_id, department_id, note, credited_by, created_at) \
                                VALUES ($1, $2, $3, (SELECT department_id FROM people WHERE \
                                organization_id = $1 AND id = $3), $4, $5, $6) RETURNING id",
                    )
                    .bind(organization.0)
                    .bind(request)
                    .bind(person.0)
                    .bind(new.note.clone())
                    .bind(new.by.0)
                    .bind(stamp.clone())
                    .fetch_one(&mut **transaction)
                    .await?;
                    ids.push(id);
                    let after =
                        serde_json::json!({ "credited_person_id": person.0, "credit_id": id });
                    record_event(
                        transaction,
                        organization,
                        NewEvent::new(request, Some(new.by), "credited", &stamp)
                            .changing(serde_json::json!({}), after)
                            .noting(&new.note),
                    )
                    .await?;
                    audit
                        .record(
                            transaction,
                            "request.credited",
                            request,
                            format!("credited person {}", person.0),
                        )
                        .await?;
                    let wording = notices::credited(&current.title, &new.note);
                    let notice = crate::notifications::Notice {
                        recipient: *person,
                        kind: "kudos_received",
                        subject_kind: "request",
                        subject_id: Some(request),
                        title: wording.title,
                        body: wording.body,
                        link: format!("/requests/{request}"),
                    };
                    crate::notifications::notify_each(
                        transaction,
                        organization,
                        &[*person],
                        Some(new.by),
                        notice,
                        &stamp,
                    )
                    .await?;
                }
                let mut credits = Vec::with_capacity(ids.len());
                for id in ids {
                    let row = sqlx::query(&format!(
                        "{SELECT} WHERE c.organization_id = $1 AND c.id = $2"
                    ))
                    .bind(organization.0)
                    .bind(id)
                    .fetch_one(&mut **transaction)
                    .await?;
                    credits.push(from_row(&row)?);
                }
                Ok(credits)
            })
        })
        .await
    }

    /// The people a request credits, in the order they were credited.
    pub async fn request_credits(&self, request: i64) -> Result<Vec<Credit>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE c.organization_id = $1 AND c.request_id = $2 ORDER BY c.id"
        ))
        .bind(self.organization.0)
        .bind(request)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Whether `person` is credited on `request` (a credited person may read it).
    pub async fn is_credited(&self, request: i64, person: PersonId) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM request_credits WHERE organization_id = $1 AND request_id = \
                $2 AND person_id = $3",
        )
        .bind(self.organization.0)
        .bind(request)
        .bind(person.0)
        .fetch_optional(self.store.reader())
        .await?;
        Ok(found.is_some())
    }

    /// Removes `person`'s credit on `request`: an explicit act of whoever
    /// gave it, or of an administrator (`any_giver`), on the timeline and in
    /// the audit log.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, request = request, person = person.0, by = by.0))]
    pub async fn remove_credit(
        &self,
        request: i64,
        person: PersonId,
        by: PersonId,
        any_giver: bool,
        at: Timestamp,
    ) -> Result<Credit, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "requests", organization, request).await?;
                let row = sqlx::query(&format!(
                    "{SELECT} WHERE c.organization_id = $1 AND c.request_id = $2 AND \
                            c.person_id = $3"
                ))
                .bind(organization.0)
                .bind(request)
                .bind(person.0)
                .fetch_optional(&mut **transaction)
                .await?
                .ok_or(StoreError::NotFound)?;
                let credit = from_row(&row)?;
                if credit.credited_by != by && !any_giver {
                    return Err(StoreError::Forbidden(format!(
                        "{} credited {}; only they (or an administrator) can take the \
                                credit back.",
                        credit.credited_by_name, credit.person_name
                    )));
                }
                sqlx::query("DELETE FROM request_credits WHERE organization_id = $1 AND id = $2")
                    .bind(organization.0)
                    .bind(credit.id)
                    .execute(&mut **transaction)
                    .await?;
                let stamp = to_db(at);
                let before = serde_json::json!({ "credited_person_id": person.0 });
                record_event(
                    transaction,
                    organization,
                    NewEvent::new(request, Some(by), "credit_removed", &stamp)
                        .changing(before, serde_json::json!({})),
                )
                .await?;
                audit
                    .record(
                        transaction,
                        "request.credit_removed",
                        request,
                        format!(
                            "removed the credit of person {} given by person {}",
                            person.0, credit.credited_by.0
                        ),
                    )
                    .await?;
                Ok(credit)
            })
        })
        .await
    }

    /// How many credits people of `department` received since `since`
    /// (counted by their department when credited), for its scorecard.
    pub async fn department_credits(
        &self,
        department: DepartmentId,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM request_credits WHERE organization_id = $1 AND \
                department_id = $2 AND created_at >= $3",
        )
        .bind(self.organization.0)
        .bind(department.0)
        .bind(to_db(since))
        .fetch_one(self.store.reader())
        .await?)
    }

    /// The latest credits of the organization, newest first, for the
    /// recognition feed.
    pub async fn recent_credits(&self, limit: i64) -> Result<Vec<Credit>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE c.organization_id = $1 ORDER BY c.id DESC LIMIT $2"
        ))
        .bind(self.organization.0)
        .bind(limit)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }
}
