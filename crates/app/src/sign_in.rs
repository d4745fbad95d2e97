//! Signing in with email and password, and starting a session for someone
//! whose identity was proven (by password or by single sign-on). Failed
//! sign-ins slow further attempts (`domain::sign_in`): from one client
//! address after ten failures, and for one email after five from clients
//! that never signed in to it; a client that signed in to the account
//! before is held only to its own address's count.
//!
//! The session is a new random token each time (so a session id planted
//! before sign-in is never promoted); only its digest is stored. Cookies
//! and their flags are the server's business: this gives it the secret.

use crate::AppError;
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::credentials::{
    Secret, TokenKind, decoy_password_hash, issue_token, token_digest, verify_password,
};
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::sign_in::SignInThrottle;
use roundtable_domain::text::Email;
use roundtable_store::Store;
use roundtable_store::auth::{Actor, SignInAttempt, ThrottleKey};
use std::net::IpAddr;

/// How failed sign-ins slow further attempts (see `domain::sign_in`).
#[derive(Debug, Clone, Copy)]
pub struct SignInThrottling {
    /// Failures for one email, from clients that have not signed in to it before.
    pub account: SignInThrottle,
    /// Failures from one client address, whatever the email.
    pub client: SignInThrottle,
    /// A client that signed in to an account within this long is the
    /// account's own, and not held to the account's failures.
    pub known_client_for: SignedDuration,
}

impl Default for SignInThrottling {
    fn default() -> Self {
        Self {
            account: SignInThrottle {
                free_failures: 5,
                first_delay: SignedDuration::from_secs(1),
                max_delay: SignedDuration::from_mins(5),
                forget_after: SignedDuration::from_hours(1),
            },
            client: SignInThrottle {
                free_failures: 10,
                first_delay: SignedDuration::from_secs(1),
                max_delay: SignedDuration::from_mins(15),
                forget_after: SignedDuration::from_hours(1),
            },
            known_client_for: SignedDuration::from_hours(24 * 90),
        }
    }
}

/// Email and password as they arrive.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: String,
    pub password: Secret,
    /// The organization's slug; needed only when the same email and
    /// password open accounts in several organizations.
    pub organization: Option<String>,
}

/// A session just started.
#[derive(Debug)]
pub struct StartedSession {
    pub actor: Actor,
    /// The session token, for the cookie; only its digest is stored.
    pub secret: Secret,
    pub expires_at: Timestamp,
}

const ACCOUNT_KEY_PREFIX: &str = "account:";
const CLIENT_KEY_PREFIX: &str = "client:";

/// What sign-in attempts from `client` are counted under: an IPv4
/// address, or an IPv6 address's /64 (one subscriber's network, from which
/// a client may take any address it likes).
pub fn client_identity(client: Option<IpAddr>) -> String {
    match client.map(|address| address.to_canonical()) {
        Some(IpAddr::V4(address)) => address.to_string(),
        Some(IpAddr::V6(address)) => {
            let segments = address.segments();
            format!(
                "{:x}:{:x}:{:x}:{:x}::/64",
                segments[0], segments[1], segments[2], segments[3]
            )
        }
        None => "unknown".to_owned(),
    }
}

fn throttled(key: &str, until: Timestamp, now: Timestamp) -> AppError {
    let wait = until.duration_since(now);
    let seconds = (wait.as_secs() + i64::from(wait.subsec_nanos() > 0)).max(1);
    let plural = if seconds == 1 { "" } else { "s" };
    let detail = if key.starts_with(CLIENT_KEY_PREFIX) {
        format!(
            "Too many failed sign-ins from your network address. Try again in {seconds} second{plural}."
        )
    } else {
        format!(
            "Too many failed sign-ins for this email from devices it was not used on before. \
             Try again in {seconds} second{plural}; a device that signed in to this account before \
             is not held up, and an administrator can reset the password."
        )
    };
    AppError::Throttled {
        detail,
        retry_after_seconds: seconds,
    }
}

fn wrong_credentials() -> AppError {
    AppError::Unauthenticated("The email or password is wrong.".to_owned())
}

/// Signs in with email and password from `client` and starts a session
/// lasting `lifetime`. Refuses a malformed email (invalid), a throttled
/// attempt (throttled, with the seconds to wait), wrong credentials (not
/// signed in: the attempt stays counted as a failure) and an ambiguous
/// account (invalid `organization`, naming the organizations to choose from).
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    store: &Store,
    rules: &SignInThrottling,
    client: Option<IpAddr>,
    credentials: Credentials,
    lifetime: SignedDuration,
) -> Result<StartedSession, AppError> {
    let email = Email::parse(&credentials.email)
        .map_err(|_| AppError::invalid("email", "must be an email address"))?;
    let now = Timestamp::now();
    let email_digest = token_digest(email.as_str());
    let client_digest = token_digest(&client_identity(client));
    let account_key = format!("{ACCOUNT_KEY_PREFIX}{email_digest}");
    let client_key = format!("{CLIENT_KEY_PREFIX}{client_digest}");
    let known_since = now.checked_sub(rules.known_client_for).unwrap_or(now);
    let known = store
        .is_known_sign_in_client(&email_digest, &client_digest, known_since)
        .await?;
    let attempt = store
        .begin_sign_in_attempt(
            vec![
                ThrottleKey {
                    key: client_key.clone(),
                    rule: rules.client,
                    enforced: true,
                },
                ThrottleKey {
                    key: account_key.clone(),
                    rule: rules.account,
                    enforced: !known,
                },
            ],
            now,
        )
        .await?;
    if let SignInAttempt::Refused { key, until } = attempt {
        return Err(throttled(&key, until, now));
    }
    let candidates = store
        .login_candidates(email.as_str(), credentials.organization.as_deref())
        .await?;
    let password = credentials.password;
    let hashes: Vec<Option<String>> = candidates
        .iter()
        .map(|candidate| candidate.password_hash.clone())
        .collect();
    // argon2 is deliberately slow: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || {
        if hashes.is_empty() {
            verify_password(password.expose(), decoy_password_hash());
            return Vec::new();
        }
        hashes
            .iter()
            .map(|hash| {
                verify_password(
                    password.expose(),
                    hash.as_deref().unwrap_or(decoy_password_hash()),
                ) && hash.is_some()
            })
            .collect::<Vec<bool>>()
    })
    .await
    .map_err(|error| AppError::Internal(format!("password check panicked: {error}")))?;
    let matching: Vec<_> = candidates
        .iter()
        .zip(matches)
        .filter_map(|(candidate, matched)| matched.then_some(candidate))
        .collect();
    let candidate = match matching.as_slice() {
        // The attempt is already counted as a failure.
        [] => return Err(wrong_credentials()),
        [one] => *one,
        several => {
            let slugs: Vec<_> = several
                .iter()
                .map(|candidate| candidate.organization_slug.as_str())
                .collect();
            return Err(AppError::invalid(
                "organization",
                format!(
                    "you have accounts in several organizations; name one of: {}",
                    slugs.join(", ")
                ),
            ));
        }
    };
    store
        .record_sign_in_success(
            &account_key,
            &client_key,
            &email_digest,
            &client_digest,
            now,
        )
        .await?;
    start_session(
        store,
        candidate.organization_id,
        candidate.person_id,
        lifetime,
    )
    .await
}

/// Starts a session lasting `lifetime` for a person whose identity was
/// proven (by password or by single sign-on): always a new token.
#[tracing::instrument(skip_all, fields(organization = organization.0, person = person.0))]
pub async fn start_session(
    store: &Store,
    organization: OrganizationId,
    person: PersonId,
    lifetime: SignedDuration,
) -> Result<StartedSession, AppError> {
    let scoped = store.scoped(organization);
    let session = issue_token(TokenKind::Session);
    let expires_at = Timestamp::now()
        .checked_add(lifetime)
        .map_err(|error| AppError::Internal(error.to_string()))?;
    scoped
        .create_session(person, session.digest.clone(), expires_at)
        .await?;
    let actor = scoped.actor(person).await?;
    Ok(StartedSession {
        actor,
        secret: session.secret,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn attempts_are_counted_per_address_or_per_ipv6_network() {
        assert_eq!(client_identity(None), "unknown");
        assert_eq!(
            client_identity(Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)))),
            "192.0.2.7"
        );
        let one: Ipv6Addr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(Ipv6Addr::UNSPECIFIED);
        let other: Ipv6Addr = "2001:db8:1:2:bbbb::9"
            .parse()
            .unwrap_or(Ipv6Addr::UNSPECIFIED);
        assert_eq!(
            client_identity(Some(IpAddr::V6(one))),
            client_identity(Some(IpAddr::V6(other)))
        );
        assert_eq!(client_identity(Some(IpAddr::V6(one))), "2001:db8:1:2::/64");
        // An IPv4 address mapped into IPv6 is the IPv4 address.
        let mapped = Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped();
        assert_eq!(client_identity(Some(IpAddr::V6(mapped))), "192.0.2.7");
    }

    #[test]
    fn a_throttled_attempt_says_how_long_to_wait_and_why() {
        let now = Timestamp::UNIX_EPOCH;
        let until = now + SignedDuration::from_millis(1_500);
        match throttled("client:abc", until, now) {
            AppError::Throttled {
                detail,
                retry_after_seconds,
            } => {
                assert_eq!(retry_after_seconds, 2);
                assert!(detail.contains("network address") && detail.contains("2 seconds"));
            }
            other => panic!("{other:?}"),
        }
        match throttled("account:abc", now, now) {
            AppError::Throttled {
                detail,
                retry_after_seconds,
            } => {
                assert_eq!(retry_after_seconds, 1);
                assert!(detail.contains("this email") && detail.contains("1 second;"));
            }
            other => panic!("{other:?}"),
        }
    }
}
