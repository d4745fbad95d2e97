//! People: who works where, with which role. Removing a person deactivates
//! them (their history must stay attributable) and ends their sessions and
//! tokens at once.

use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: PersonId,
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub role: Role,
    pub active: bool,
    pub has_password: bool,
    /// Their own time zone (an IANA name), if they chose one.
    pub time_zone: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: Email,
    pub name: Label,
    pub title: Option<Label>,
    pub department_id: Option<DepartmentId>,
    pub role: Role,
    /// An argon2id hash, never the password itself.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub email: Change<Email>,
    pub name: Change<Label>,
    pub title: Change<Option<Label>>,
    pub department_id: Change<Option<DepartmentId>>,
    pub role: Change<Role>,
    pub active: Change<bool>,
    pub password_hash: Change<String>,
}

/// Which people a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeopleFilter {
    pub department_id: Option<DepartmentId>,
    pub active: Option<bool>,
}

pub(crate) const COLUMNS: &str = "id, email, name, title, department_id, role, active, CASE WHEN \
    password_hash IS NULL THEN 0 ELSE 1 END AS has_password, time_zone, version, created_at, \
    updated_at";

pub(crate) fn from_row(row: &AnyRow) -> Result<Person, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(Person {
        id: PersonId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        title: row.try_get("title")?,
        department_id: row
            .try_get::<Option<i64>, _>("department_id")?
            .map(DepartmentId),
        role: Role::parse(&role).map_err(|_| StoreError::Corrupt(format!("role {role:?}")))?,
        active: row.try_get::<i64, _>("active")? != 0,
        has_password: row.try_get::<i64, _>("has_password")? != 0,
        time_zone: row.try_get("time_zone")?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Person, "people", COLUMNS, from_row);

fn email_conflict(error: sqlx::Error, email: &str) -> StoreError {
    match StoreError::from(error) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: Some("email".to_owned()),
            message: format!("someone with email {email} already exists"),
        },
        other => other,
    }
}

pub(crate) async fn fetch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: PersonId,
) -> Result<Person, StoreError> {
    crate::rows::get::<Person, _>(&mut **transaction, organization, id.0).await
}

/// Ends every session and revokes every token of a person.
async fn end_access(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    person: PersonId,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE organization_id = $1 AND person_id = $2")
        .bind(organization.0)
        .bind(person.0)
        .execute(&mut **transaction)
        .await?;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE organization_id = $2 AND person_id = \
            $3 AND revoked_at IS NULL",
    )
    .bind(to_db(now()))
    .bind(organization.0)
    .bind(person.0)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Inserts a person, once the references it makes are checked, and records
/// it in the audit log.
async fn insert_person(
    transaction: &mut WriteTransaction,
    audit: crate::audit::Context,
    new: NewPerson,
) -> Result<Person, StoreError> {
    let organization = audit.organization;
    crate::ensure_reference(
        transaction,
        organization,
        new.department_id,
        "department_id",
    )
    .await?;
    let stamp = to_db(now());
    let row = sqlx::query(&format!(
        "INSERT INTO people (organization_id, email, name, title, \
                department_id, role, password_hash, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
    ))
    .bind(organization.0)
    .bind(new.email.as_str().to_owned())
    .bind(new.name.into_string())
    .bind(new.title.map(Label::into_string))
    .bind(new.department_id.map(|department| department.0))
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(stamp)
    .fetch_one(&mut **transaction)
    .await
    .map_err(|error| email_conflict(error, new.email.as_str()))?;
    let person = from_row(&row)?;
    let detail = format!(
        "created {} <{}> as {}",
        person.name, person.email, person.role
    );
    audit
        .record(transaction, "person.created", person.id.0, detail)
        .await?;
    Ok(person)
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_person(&self, new: NewPerson) -> Result<Person, StoreError> {
        self.write_audited(move |transaction, audit| {
            Box::pin(insert_person(transaction, audit, new))
        })
        .await
    }

    pub async fn person(&self, id: PersonId) -> Result<Person, StoreError> {
        crate::rows::get::<Person, _>(self.store.reader(), self.organization, id.0).await
    }

    /// A person's stored password hash (`None`: no password set), to check
    /// the current password before a change.
    pub async fn password_hash(&self, id: PersonId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT password_hash FROM people WHERE organization_id = $1 AND id = $2",
        )
        .bind(self.organization.0)
        .bind(id.0)
        .fetch_optional(self.store.reader())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// An administrator sets someone else's password (they forgot theirs):
    /// their sessions end and their tokens are revoked, as after any change
    /// of password, and the audit log records it as a reset of its own.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn reset_password(&self, id: PersonId, hash: String) -> Result<Person, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "people", organization, id.0).await?;
                let current = fetch(transaction, organization, id).await?;
                sqlx::query(
                    "UPDATE people SET password_hash = $1, version = version + 1, \
                            updated_at = $2 WHERE organization_id = $3 AND id = $4",
                )
                .bind(hash)
                .bind_now_and_row(organization, id.0)
                .execute(&mut **transaction)
                .await?;
                end_access(transaction, organization, id).await?;
                let detail = format!(
                    "reset the password of {} <{}>; their sessions and tokens ended",
                    current.name, current.email
                );
                audit
                    .record(transaction, "person.password_reset", id.0, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }

    pub async fn person_by_email(&self, email: &Email) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM people WHERE organization_id = $1 AND email = $2"
        ))
        .bind(self.organization.0)
        .bind(email.as_str().to_owned())
        .fetch_optional(self.store.reader())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn list_people(
        &self,
        filter: PeopleFilter,
        page: PageRequest,
    ) -> Result<Listing<Person>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM people WHERE organization_id = $1 AND id > $2 AND ($3 \
                IS NULL OR department_id = $3) AND ($4 IS NULL OR active = $4) ORDER BY id \
                LIMIT $5"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.department_id.map(|department| department.0))
        .bind(filter.active.map(i64::from))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, from_row, |person| person.id.0)
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn update_person(
        &self,
        id: PersonId,
        changes: PersonChanges,
        expected_version: i64,
    ) -> Result<Person, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("email", changes.email.is_set()),
            ("name", changes.name.is_set()),
            ("title", changes.title.is_set()),
            ("department_id", changes.department_id.is_set()),
            ("role", changes.role.is_set()),
            ("active", changes.active.is_set()),
            ("password", changes.password_hash.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "people", organization, id.0).await?;
                let current = fetch(transaction, organization, id).await?;
                crate::check_version(current.version, Some(expected_version))?;
                let department_id = changes.department_id.or(current.department_id);
                crate::ensure_reference(transaction, organization, department_id, "department_id")
                    .await?;
                let email = match changes.email {
                    Change::Set(email) => email.as_str().to_owned(),
                    Change::Keep => current.email,
                };
                let name = match changes.name {
                    Change::Set(name) => name.into_string(),
                    Change::Keep => current.name,
                };
                let title = match changes.title {
                    Change::Set(title) => title.map(Label::into_string),
                    Change::Keep => current.title,
                };
                let role = changes.role.or(current.role);
                let active = changes.active.or(current.active);
                let new_password = match changes.password_hash {
                    Change::Set(hash) => Some(hash),
                    Change::Keep => None,
                };
                sqlx::query(
                    "UPDATE people SET email = $1, name = $2, title = $3, \
                            department_id = $4, role = $5, active = $6, password_hash = \
                            COALESCE($7, password_hash), version = version + 1, updated_at = \
                            $8 WHERE organization_id = $9 AND id = $10",
                )
                .bind(email.clone())
                .bind(name)
                .bind(title)
                .bind(department_id.map(|department| department.0))
                .bind(role.as_str())
                .bind(i64::from(active))
                .bind(new_password.clone())
                .bind_now_and_row(organization, id.0)
                .execute(&mut **transaction)
                .await
                .map_err(|error| email_conflict(error, &email))?;
                if !active || new_password.is_some() {
                    end_access(transaction, organization, id).await?;
                }
                if current.role == Role::Admin && current.active && !(role == Role::Admin && active)
                {
                    let field = if role == Role::Admin {
                        "active"
                    } else {
                        "role"
                    };
                    ensure_an_active_administrator(transaction, organization, field).await?;
                }
                audit
                    .record(transaction, "person.updated", id.0, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }

    /// Deactivates a person: they can no longer sign in, but what they did stays theirs.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn deactivate_person(
        &self,
        id: PersonId,
        expected_version: Option<i64>,
    ) -> Result<Person, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "people", organization, id.0).await?;
                let current = fetch(transaction, organization, id).await?;
                crate::check_version(current.version, expected_version)?;
                if current.active {
                    sqlx::query(
                        "UPDATE people SET active = 0, version = version + 1, updated_at = $1 \
                             WHERE organization_id = $2 AND id = $3",
                    )
                    .bind_now_and_row(organization, id.0)
                    .execute(&mut **transaction)
                    .await?;
                }
                end_access(transaction, organization, id).await?;
                if current.role == Role::Admin && current.active {
                    ensure_an_active_administrator(transaction, organization, "active").await?;
                }
                let detail = format!("deactivated {} <{}>", current.name, current.email);
                audit
                    .record(transaction, "person.deactivated", id.0, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }
}

/// How many active administrators the organization has, inside a write.
pub(crate) async fn active_administrators(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM people WHERE organization_id = $1 AND role = $2 AND active = 1",
    )
    .bind(organization.0)
    .bind(Role::Admin.as_str())
    .fetch_one(&mut **transaction)
    .await?)
}

/// Refuses (rolling the write back) a change that left the organization
/// without an active administrator: nobody could then manage people, keys or
/// settings. Every write that demotes or deactivates a person calls it after
/// its change, whoever asked (API, web page, import, command line).
pub(crate) async fn ensure_an_active_administrator(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    field: &str,
) -> Result<(), StoreError> {
    if active_administrators(transaction, organization).await? == 0 {
        return Err(StoreError::Conflict {
            field: Some(field.to_owned()),
            message: "the organization must keep at least one active administrator".to_owned(),
        });
    }
    Ok(())
}

impl Scoped<'_> {
    /// Sets (or, with `None`, clears) a person's own time zone. Not
    /// versioned: it is the person's preference, and the last choice wins.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, person = person.0))]
    pub async fn set_time_zone(
        &self,
        person: PersonId,
        zone: Option<roundtable_domain::people::ZoneName>,
    ) -> Result<Person, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let zone = zone.map(|zone| zone.as_str().to_owned());
                let changed = sqlx::query(
                    "UPDATE people SET time_zone = $1, version = version + 1, updated_at = $2 \
                        WHERE organization_id = $3 AND id = $4",
                )
                .bind(zone.clone())
                .bind_now_and_row(organization, person.0)
                .execute(&mut **transaction)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound);
                }
                let detail = format!("time zone {}", zone.as_deref().unwrap_or("cleared"));
                audit
                    .record(transaction, "person.time_zone_set", person.0, detail)
                    .await?;
                fetch(transaction, organization, person).await
            })
        })
        .await
    }
}
