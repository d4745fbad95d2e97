//! Credentials as stored: who may sign in, live sessions, API tokens.
//!
//! These are the only lookups not scoped by organization, because they are how
//! a request *learns* its organization: a token or session digest is unique
//! across the deployment, and login by email names candidates per organization.

use crate::time::{from_db, now, to_db};
use crate::{Scoped, Store, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId, TokenId};
use roundtable_domain::people::Role;
use sqlx::Row;
use sqlx::any::AnyRow;

/// The person a request acts as.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub organization_id: OrganizationId,
    pub person_id: PersonId,
    pub role: Role,
    pub name: String,
    pub email: String,
    pub department_id: Option<DepartmentId>,
}

/// A person who might be signing in with an email.
#[derive(Debug, Clone)]
pub struct LoginCandidate {
    pub organization_id: OrganizationId,
    pub organization_slug: String,
    pub person_id: PersonId,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: TokenId,
    pub person_id: PersonId,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const ACTOR_COLUMNS: &str =
    "p.organization_id, p.id AS person_id, p.role, p.name, p.email, p.department_id";

fn actor_from_row(row: &AnyRow) -> Result<Actor, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(Actor {
        organization_id: OrganizationId(row.try_get("organization_id")?),
        person_id: PersonId(row.try_get("person_id")?),
        role: Role::parse(&role).map_err(|_| StoreError::Corrupt(format!("role {role:?}")))?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        department_id: row
            .try_get::<Option<i64>, _>("department_id")?
            .map(DepartmentId),
    })
}

fn optional_instant(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| from_db(&text))
        .transpose()
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: TokenId(row.try_get("id")?),
        person_id: PersonId(row.try_get("person_id")?),
        name: row.try_get("name")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        expires_at: optional_instant(row, "expires_at")?,
        revoked_at: optional_instant(row, "revoked_at")?,
    })
}

impl Store {
    /// Active people with this (lower-cased) email, optionally in one organization.
    pub async fn login_candidates(
        &self,
        email: &str,
        organization_slug: Option<&str>,
    ) -> Result<Vec<LoginCandidate>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.organization_id, o.slug, p.id, p.password_hash FROM people p \
             JOIN organizations o ON o.id = p.organization_id \
             WHERE p.email = $1 AND p.active = 1 AND ($2 IS NULL OR o.slug = $2) ORDER BY p.organization_id",
        )
        .bind(email.to_owned())
        .bind(organization_slug.map(str::to_owned))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LoginCandidate {
                    organization_id: OrganizationId(row.try_get("organization_id")?),
                    organization_slug: row.try_get("slug")?,
                    person_id: PersonId(row.try_get("id")?),
                    password_hash: row.try_get("password_hash")?,
                })
            })
            .collect()
    }

    /// The active person behind an unexpired, unrevoked API token.
    pub async fn actor_for_token(
        &self,
        digest: &str,
        at: Timestamp,
    ) -> Result<Option<Actor>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACTOR_COLUMNS} FROM api_tokens t \
             JOIN people p ON p.organization_id = t.organization_id AND p.id = t.person_id \
             WHERE t.token_digest = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
             AND p.active = 1"
        ))
        .bind(digest.to_owned())
        .bind(to_db(at))
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(actor_from_row).transpose()
    }

    /// The active person behind an unexpired session.
    pub async fn actor_for_session(
        &self,
        digest: &str,
        at: Timestamp,
    ) -> Result<Option<Actor>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACTOR_COLUMNS} FROM sessions s \
             JOIN people p ON p.organization_id = s.organization_id AND p.id = s.person_id \
             WHERE s.token_digest = $1 AND s.expires_at > $2 AND p.active = 1"
        ))
        .bind(digest.to_owned())
        .bind(to_db(at))
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(actor_from_row).transpose()
    }

    pub async fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        let digest = digest.to_owned();
        self.write(move |transaction| {
            Box::pin(async move {
                sqlx::query("DELETE FROM sessions WHERE token_digest = $1")
                    .bind(digest)
                    .execute(&mut **transaction)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Removes expired sessions and old idempotency records; returns how many rows went.
    pub async fn purge_expired(
        &self,
        at: Timestamp,
        idempotency_cutoff: Timestamp,
    ) -> Result<u64, StoreError> {
        self.write(move |transaction| {
            Box::pin(async move {
                let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(to_db(at))
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                let keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
                    .bind(to_db(idempotency_cutoff))
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                Ok(sessions + keys)
            })
        })
        .await
    }
}

impl Scoped<'_> {
    /// The actor for a person of this organization (for tools that act on someone's behalf).
    pub async fn actor(&self, person: PersonId) -> Result<Actor, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACTOR_COLUMNS} FROM people p WHERE p.organization_id = $1 AND p.id = $2"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_optional(self.store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        actor_from_row(&row)
    }

    pub async fn create_session(
        &self,
        person: PersonId,
        digest: String,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let stamp = to_db(now());
                    sqlx::query(
                        "INSERT INTO sessions (organization_id, person_id, token_digest, created_at, last_seen_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $4, $5)",
                    )
                    .bind(organization.0)
                    .bind(person.0)
                    .bind(digest)
                    .bind(stamp)
                    .bind(to_db(expires_at))
                    .execute(&mut **transaction)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    pub async fn create_api_token(
        &self,
        person: PersonId,
        name: String,
        digest: String,
        expires_at: Option<Timestamp>,
    ) -> Result<ApiToken, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::ensure_exists(transaction, "people", organization, person.0, "person_id").await?;
                    let row = sqlx::query(
                        "INSERT INTO api_tokens (organization_id, person_id, name, token_digest, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         RETURNING id, person_id, name, created_at, expires_at, revoked_at",
                    )
                    .bind(organization.0)
                    .bind(person.0)
                    .bind(name)
                    .bind(digest)
                    .bind(to_db(now()))
                    .bind(expires_at.map(to_db))
                    .fetch_one(&mut **transaction)
                    .await?;
                    let token = token_from_row(&row)?;
                    let detail = format!("issued token {:?} for person {}", token.name, token.person_id);
                    crate::audit::record(transaction, audit, "token.created", "token", token.id.0, detail).await?;
                    Ok(token)
                })
            })
            .await
    }

    pub async fn list_api_tokens(&self, person: PersonId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, person_id, name, created_at, expires_at, revoked_at FROM api_tokens \
             WHERE organization_id = $1 AND person_id = $2 ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(token_from_row).collect()
    }
}

impl Scoped<'_> {
    /// Revokes a token of this organization; revoking twice is harmless.
    pub async fn revoke_api_token(&self, id: TokenId) -> Result<ApiToken, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE api_tokens SET revoked_at = $1 WHERE organization_id = $2 AND id = $3 AND revoked_at IS NULL",
                    )
                    .bind(to_db(now()))
                    .bind(organization.0)
                    .bind(id.0)
                    .execute(&mut **transaction)
                    .await?;
                    let row = sqlx::query(
                        "SELECT id, person_id, name, created_at, expires_at, revoked_at FROM api_tokens \
                         WHERE organization_id = $1 AND id = $2",
                    )
                    .bind(organization.0)
                    .bind(id.0)
                    .fetch_optional(&mut **transaction)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    let token = token_from_row(&row)?;
                    let detail = format!("revoked token {:?} of person {}", token.name, token.person_id);
                    crate::audit::record(transaction, audit, "token.revoked", "token", token.id.0, detail).await?;
                    Ok(token)
                })
            })
            .await
    }

    pub async fn api_token(&self, id: TokenId) -> Result<ApiToken, StoreError> {
        let row = sqlx::query(
            "SELECT id, person_id, name, created_at, expires_at, revoked_at FROM api_tokens \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(self.organization.0)
        .bind(id.0)
        .fetch_optional(self.store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        token_from_row(&row)
    }
}
