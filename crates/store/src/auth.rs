//! Credentials as stored: who may sign in, live sessions, API tokens.
//!
//! These are the only lookups not scoped by organization, because they are how
//! a request *learns* its organization: a token or session digest is unique
//! across the deployment, and login by email names candidates per organization.

use crate::rows::BindCommon;
use crate::time::{from_db, instant, now, optional_instant, to_db};
use crate::{Funnel, Scoped, Store, StoreError};
use jiff::Timestamp;
use roundtable_domain::credentials::TokenScopes;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId, TokenId};
use roundtable_domain::people::Role;
use roundtable_domain::sign_in::SignInThrottle;
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
    /// Their own time zone (an IANA name), if they chose one.
    pub time_zone: Option<String>,
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
    pub scopes: TokenScopes,
}

/// What the API token a request came with allows, beyond its person's role.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenGrant {
    pub scopes: TokenScopes,
    pub expires_at: Option<Timestamp>,
}

/// One key a sign-in attempt is counted under, with its rule; `enforced`
/// when the attempt must also wait for the key's block.
#[derive(Debug, Clone)]
pub struct ThrottleKey {
    pub key: String,
    pub rule: SignInThrottle,
    pub enforced: bool,
}

/// Whether a sign-in attempt may check its password.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInAttempt {
    Admitted,
    /// `key` is blocked until `until`.
    Refused {
        key: String,
        until: Timestamp,
    },
}

/// Longer than any rule's `forget_after` is sensible to be.
const THROTTLES_KEPT_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
const KNOWN_CLIENTS_KEPT_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 366);

const ACTOR_COLUMNS: &str =
    "p.organization_id, p.id AS person_id, p.role, p.name, p.email, p.department_id, p.time_zone";

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
        time_zone: row.try_get("time_zone")?,
    })
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: TokenId(row.try_get("id")?),
        person_id: PersonId(row.try_get("person_id")?),
        name: row.try_get("name")?,
        created_at: instant(row, "created_at")?,
        expires_at: optional_instant(row, "expires_at")?,
        revoked_at: optional_instant(row, "revoked_at")?,
        scopes: scopes_of(row)?,
    })
}

fn scopes_of(row: &AnyRow) -> Result<TokenScopes, StoreError> {
    let text: String = row.try_get("scopes")?;
    TokenScopes::from_text(&text)
        .map_err(|error| StoreError::Corrupt(format!("token scopes {text:?}: {error}")))
}

impl Store {
    /// Active people with this (lower-cased) email, optionally in one organization.
    pub async fn login_candidates(
        &self,
        email: &str,
        organization_slug: Option<&str>,
    ) -> Result<Vec<LoginCandidate>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.organization_id, o.slug, p.id, p.password_hash FROM people p JOIN \
                organizations o ON o.id = p.organization_id WHERE p.email = $1 AND p.active \
                = 1 AND ($2 IS NULL OR o.slug = $2) ORDER BY p.organization_id",
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
    ) -> Result<Option<(Actor, TokenGrant)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACTOR_COLUMNS}, t.scopes, t.expires_at FROM api_tokens t JOIN people \
                p ON p.organization_id = t.organization_id AND p.id = t.person_id WHERE \
                t.token_digest = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR \
                t.expires_at > $2) AND p.active = 1"
        ))
        .bind(digest.to_owned())
        .bind(to_db(at))
        .fetch_optional(self.reader())
        .await?;
        row.as_ref()
            .map(|row| {
                let grant = TokenGrant {
                    scopes: scopes_of(row)?,
                    expires_at: optional_instant(row, "expires_at")?,
                };
                Ok((actor_from_row(row)?, grant))
            })
            .transpose()
    }

    /// The active person behind a session that has neither expired nor sat
    /// idle longer than `idle`. Its last use is moved forward when it is more
    /// than a minute old, so an active session stays alive and reads rarely write.
    /// Also returns when the session began: when its person last proved who they are.
    pub async fn actor_for_session(
        &self,
        digest: &str,
        at: Timestamp,
        idle: jiff::SignedDuration,
    ) -> Result<Option<(Actor, Timestamp)>, StoreError> {
        let idle_cutoff = to_db(at.checked_sub(idle).unwrap_or(at));
        let row = sqlx::query(&format!(
            "SELECT {ACTOR_COLUMNS}, s.last_seen_at, s.created_at AS signed_in_at FROM \
                sessions s JOIN people p ON p.organization_id = s.organization_id AND p.id = \
                s.person_id WHERE s.token_digest = $1 AND s.expires_at > $2 AND \
                s.last_seen_at > $3 AND p.active = 1"
        ))
        .bind(digest.to_owned())
        .bind(to_db(at))
        .bind(idle_cutoff)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last_seen = instant(&row, "last_seen_at")?;
        if at.duration_since(last_seen) > jiff::SignedDuration::from_secs(60) {
            let digest = digest.to_owned();
            self.bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_digest = $2")
                        .bind(to_db(at))
                        .bind(digest)
                        .execute(&mut **transaction)
                        .await?;
                    Ok(())
                })
            })
            .await?;
        }
        let signed_in_at = instant(&row, "signed_in_at")?;
        Ok(Some((actor_from_row(&row)?, signed_in_at)))
    }

    /// Whether this client (the digest of its address) signed in to this
    /// account (the digest of its email) successfully since `since`.
    pub async fn is_known_sign_in_client(
        &self,
        email_digest: &str,
        client_digest: &str,
        since: Timestamp,
    ) -> Result<bool, StoreError> {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sign_in_known_clients \
             WHERE email_digest = $1 AND client_digest = $2 AND last_success_at > $3",
        )
        .bind(email_digest.to_owned())
        .bind(client_digest.to_owned())
        .bind(to_db(since))
        .fetch_optional(self.reader())
        .await?;
        Ok(known.is_some())
    }

    /// Admits a sign-in attempt, or refuses it while one of its `enforced`
    /// keys is blocked. An admitted attempt is counted as a failure under
    /// every key at once (each with the block its rule gives), before the
    /// password is checked, so attempts sent in parallel cannot all pass
    /// the check; a success takes its count back ([`Store::record_sign_in_success`]).
    pub async fn begin_sign_in_attempt(
        &self,
        keys: Vec<ThrottleKey>,
        at: Timestamp,
    ) -> Result<SignInAttempt, StoreError> {
        self.bookkeeping_write(move |transaction| {
            Box::pin(async move {
                let stamp = to_db(at);
                for key in keys.iter().filter(|key| key.enforced) {
                    // Taking the row's lock first, so a racing attempt waits for this one.
                    sqlx::query(
                        "UPDATE sign_in_throttles SET failures = failures WHERE throttle_key \
                        = $1",
                    )
                    .bind(key.key.clone())
                    .execute(&mut **transaction)
                    .await?;
                    let blocked: Option<Option<String>> = sqlx::query_scalar(
                        "SELECT blocked_until FROM sign_in_throttles WHERE throttle_key = $1",
                    )
                    .bind(key.key.clone())
                    .fetch_optional(&mut **transaction)
                    .await?;
                    if let Some(until) = blocked.flatten() {
                        let until = from_db(&until)?;
                        if until > at {
                            return Ok(SignInAttempt::Refused {
                                key: key.key.clone(),
                                until,
                            });
                        }
                    }
                }
                for key in &keys {
                    let forget_before = to_db(at.checked_sub(key.rule.forget_after).unwrap_or(at));
                    // A key with no failure for a while starts counting again.
                    let failures: i64 = sqlx::query_scalar(
                        "INSERT INTO sign_in_throttles (throttle_key, failures, \
                            last_failure_at) VALUES ($1, 1, $2) ON CONFLICT (throttle_key) \
                            DO UPDATE SET failures = CASE WHEN \
                            sign_in_throttles.last_failure_at < $3 THEN 1 ELSE \
                            sign_in_throttles.failures + 1 END, last_failure_at = $2 \
                            RETURNING failures",
                    )
                    .bind(key.key.clone())
                    .bind(stamp.clone())
                    .bind(forget_before)
                    .fetch_one(&mut **transaction)
                    .await?;
                    let delay = key.rule.delay_after(failures);
                    let until = (delay > jiff::SignedDuration::ZERO)
                        .then(|| at.checked_add(delay).unwrap_or(at))
                        .map(to_db);
                    sqlx::query(
                        "UPDATE sign_in_throttles SET blocked_until = $1 WHERE throttle_key = \
                        $2",
                    )
                    .bind(until)
                    .bind(key.key.clone())
                    .execute(&mut **transaction)
                    .await?;
                }
                Ok(SignInAttempt::Admitted)
            })
        })
        .await
    }

    /// A sign-in succeeded: the account's failures are forgotten, the
    /// client's count of this attempt is taken back (its earlier failures
    /// stay counted), and the client is remembered as one of the account's.
    pub async fn record_sign_in_success(
        &self,
        account_key: &str,
        client_key: &str,
        email_digest: &str,
        client_digest: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let (account_key, client_key) = (account_key.to_owned(), client_key.to_owned());
        let (email_digest, client_digest) = (email_digest.to_owned(), client_digest.to_owned());
        self.bookkeeping_write(move |transaction| {
            Box::pin(async move {
                sqlx::query("DELETE FROM sign_in_throttles WHERE throttle_key = $1")
                    .bind(account_key)
                    .execute(&mut **transaction)
                    .await?;
                // The block this attempt set for itself goes with its count;
                // any earlier block had ended, or the attempt would not have run.
                sqlx::query(
                    "UPDATE sign_in_throttles SET failures = failures - 1, blocked_until = NULL \
                     WHERE throttle_key = $1 AND failures > 0",
                )
                .bind(client_key)
                .execute(&mut **transaction)
                .await?;
                sqlx::query(
                    "INSERT INTO sign_in_known_clients (email_digest, client_digest, \
                        last_success_at) VALUES ($1, $2, $3) ON CONFLICT (email_digest, \
                        client_digest) DO UPDATE SET last_success_at = $3",
                )
                .bind(email_digest)
                .bind(client_digest)
                .bind(to_db(at))
                .execute(&mut **transaction)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Ends every session of a person (sign out everywhere); returns how many.
    pub async fn delete_sessions_of(
        &self,
        organization: OrganizationId,
        person: PersonId,
    ) -> Result<u64, StoreError> {
        self.bookkeeping_write(move |transaction| {
            Box::pin(async move {
                Ok(sqlx::query(
                    "DELETE FROM sessions WHERE organization_id = $1 AND person_id = $2",
                )
                .bind(organization.0)
                .bind(person.0)
                .execute(&mut **transaction)
                .await?
                .rows_affected())
            })
        })
        .await
    }

    pub async fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        let digest = digest.to_owned();
        self.bookkeeping_write(move |transaction| {
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

    /// Removes expired sessions, old idempotency records, sign-in failures
    /// nobody has added to for a day and clients not seen for a year;
    /// returns how many rows went.
    pub async fn purge_expired(
        &self,
        at: Timestamp,
        idempotency_cutoff: Timestamp,
    ) -> Result<u64, StoreError> {
        self.bookkeeping_write(move |transaction| {
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
                let throttles =
                    sqlx::query("DELETE FROM sign_in_throttles WHERE last_failure_at <= $1")
                        .bind(to_db(at.checked_sub(THROTTLES_KEPT_FOR).unwrap_or(at)))
                        .execute(&mut **transaction)
                        .await?
                        .rows_affected();
                let clients =
                    sqlx::query("DELETE FROM sign_in_known_clients WHERE last_success_at <= $1")
                        .bind(to_db(at.checked_sub(KNOWN_CLIENTS_KEPT_FOR).unwrap_or(at)))
                        .execute(&mut **transaction)
                        .await?
                        .rows_affected();
                Ok(sessions + keys + throttles + clients)
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

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, person = person.0))]
    pub async fn create_session(
        &self,
        person: PersonId,
        digest: String,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    let stamp = to_db(now());
                    sqlx::query(
                        "INSERT INTO sessions (organization_id, person_id, token_digest, \
                            created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, \
                            $4, $5)",
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

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, person = person.0))]
    pub async fn create_api_token(
        &self,
        person: PersonId,
        name: String,
        digest: String,
        expires_at: Option<Timestamp>,
        scopes: TokenScopes,
    ) -> Result<ApiToken, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Bookkeeping, move |transaction, audit| {
            Box::pin(async move {
                crate::ensure_reference(transaction, organization, person, "person_id").await?;
                let row = sqlx::query(
                    "INSERT INTO api_tokens (organization_id, person_id, name, \
                            token_digest, created_at, expires_at, scopes) VALUES ($1, $2, \
                            $3, $4, $5, $6, $7) RETURNING id, person_id, name, created_at, \
                            expires_at, revoked_at, scopes",
                )
                .bind(organization.0)
                .bind(person.0)
                .bind(name)
                .bind(digest)
                .bind(to_db(now()))
                .bind(expires_at.map(to_db))
                .bind(scopes.to_text())
                .fetch_one(&mut **transaction)
                .await?;
                let token = token_from_row(&row)?;
                let detail = format!(
                    "issued token {:?} for person {}",
                    token.name, token.person_id
                );
                audit
                    .record(transaction, "token.created", token.id.0, detail)
                    .await?;
                Ok(token)
            })
        })
        .await
    }

    pub async fn list_api_tokens(&self, person: PersonId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, person_id, name, created_at, expires_at, revoked_at, scopes FROM \
                api_tokens WHERE organization_id = $1 AND person_id = $2 ORDER BY id",
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
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id.0))]
    pub async fn revoke_api_token(&self, id: TokenId) -> Result<ApiToken, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Bookkeeping, move |transaction, audit| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE organization_id = $2 \
                            AND id = $3 AND revoked_at IS NULL",
                )
                .bind_now_and_row(organization, id.0)
                .execute(&mut **transaction)
                .await?;
                let row = crate::rows::one_where(
                    &mut **transaction,
                    "SELECT id, person_id, name, created_at, expires_at, revoked_at, \
                            scopes FROM api_tokens WHERE organization_id = $1 AND id = $2",
                    organization,
                    id.0,
                )
                .await?;
                let token = token_from_row(&row)?;
                let detail = format!(
                    "revoked token {:?} of person {}",
                    token.name, token.person_id
                );
                audit
                    .record(transaction, "token.revoked", token.id.0, detail)
                    .await?;
                Ok(token)
            })
        })
        .await
    }

    pub async fn api_token(&self, id: TokenId) -> Result<ApiToken, StoreError> {
        let row = crate::rows::one_where(
            self.store.reader(),
            "SELECT id, person_id, name, created_at, expires_at, revoked_at, scopes FROM \
                api_tokens WHERE organization_id = $1 AND id = $2",
            self.organization,
            id.0,
        )
        .await?;
        token_from_row(&row)
    }
}
