//! API tokens: people issue and revoke their own (administrators anyone's).
//! A token may issue tokens only within what it may do itself.

use crate::{AppError, Caller, policy};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::credentials::{TokenKind, TokenScopes, issue_token};
use roundtable_domain::ids::{PersonId, TokenId};
use roundtable_domain::text::Label;
use roundtable_store::StoreError;
use roundtable_store::auth::{ApiToken, TokenGrant};

/// The longest life of a token, in days.
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// The caller's own tokens (never their secrets), oldest first.
#[tracing::instrument(skip(caller))]
pub async fn list(caller: &Caller<'_>) -> Result<Vec<ApiToken>, AppError> {
    Ok(caller
        .scoped
        .list_api_tokens(caller.actor.person_id)
        .await?)
}

/// A token asked for, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub name: String,
    /// Days until it stops working; never, when absent.
    pub expires_in_days: Option<i64>,
    /// Whose token it is; the caller's own when absent (administrators may name someone else).
    pub person_id: Option<i64>,
    /// `read`, `write` and/or `admin`; read and write when absent.
    pub scopes: Option<Vec<String>>,
}

/// A token just issued, with its secret: shown this once, never again.
#[derive(Debug, Clone)]
pub struct IssuedApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Issues a token. `calling_with` is the token the caller calls with, if
/// they call with one: the new token may have none of the scopes it lacks
/// and may not outlive it.
#[tracing::instrument(skip(caller, request, calling_with))]
pub async fn issue(
    caller: &Caller<'_>,
    request: TokenRequest,
    calling_with: Option<&TokenGrant>,
) -> Result<IssuedApiToken, AppError> {
    let owner = request
        .person_id
        .map(PersonId)
        .unwrap_or(caller.actor.person_id);
    policy::manage_tokens_of(caller.actor, owner)?;
    let name = Label::parse(&request.name)
        .map_err(|_| AppError::invalid("name", "must be a non-empty single line"))?;
    let expires_at = match request.expires_in_days {
        None => None,
        Some(days) if (1..=MAX_TOKEN_DAYS).contains(&days) => Some(
            Timestamp::now()
                .checked_add(SignedDuration::from_hours(days * 24))
                .map_err(|error| AppError::Internal(error.to_string()))?,
        ),
        Some(_) => {
            return Err(AppError::invalid(
                "expires_in_days",
                "must be between 1 and 3650",
            ));
        }
    };
    let scopes = match &request.scopes {
        None => TokenScopes {
            read: true,
            write: true,
            admin: false,
        },
        Some(names) => {
            TokenScopes::parse(names).map_err(|message| AppError::invalid("scopes", message))?
        }
    };
    if let Some(grant) = calling_with {
        within_grant(grant, scopes, expires_at, Timestamp::now())?;
    }
    let issued = issue_token(TokenKind::Api);
    let token = caller
        .scoped
        .create_api_token(owner, name.into_string(), issued.digest, expires_at, scopes)
        .await
        .map_err(|error| match error {
            StoreError::Invalid(_) => AppError::invalid("person_id", "no such person"),
            other => other.into(),
        })?;
    Ok(IssuedApiToken {
        token,
        secret: issued.secret.expose().to_owned(),
    })
}

/// A token issuing a token: nothing it could not do itself, for no longer
/// than it may do it, so a leaked narrow token never becomes a wider or
/// longer-lived one.
fn within_grant(
    grant: &TokenGrant,
    scopes: TokenScopes,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), AppError> {
    let beyond: Vec<&str> = scopes
        .names()
        .into_iter()
        .filter(|name| !grant.scopes.names().contains(name))
        .collect();
    if !beyond.is_empty() {
        return Err(AppError::invalid(
            "scopes",
            format!(
                "the token you call with has the scopes {}; it cannot issue a token with {} \
                 (use a token that has them, or sign in)",
                grant.scopes.names().join(", "),
                beyond.join(", ")
            ),
        ));
    }
    if let Some(limit) = grant.expires_at {
        let days_left = limit.duration_since(now).as_hours() / 24;
        let too_late = expires_at.is_none_or(|expires_at| expires_at > limit);
        if too_late {
            let advice = if days_left >= 1 {
                format!("ask for at most {days_left} days")
            } else {
                "it expires in less than a day, so it cannot issue tokens".to_owned()
            };
            return Err(AppError::invalid(
                "expires_in_days",
                format!(
                    "the token you call with expires at {limit}; a token it issues must expire \
                     no later: {advice}"
                ),
            ));
        }
    }
    Ok(())
}

/// Revokes a token at once (its owner, or an administrator).
#[tracing::instrument(skip(caller))]
pub async fn revoke(caller: &Caller<'_>, id: TokenId) -> Result<ApiToken, AppError> {
    let token = caller.scoped.api_token(id).await?;
    policy::manage_tokens_of(caller.actor, token.person_id)?;
    Ok(caller.scoped.revoke_api_token(id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_cannot_issue_a_wider_or_longer_lived_one() {
        let now = Timestamp::UNIX_EPOCH;
        let grant = TokenGrant {
            scopes: TokenScopes {
                read: true,
                write: false,
                admin: false,
            },
            expires_at: Some(now + SignedDuration::from_hours(24 * 10)),
        };
        let read = TokenScopes {
            read: true,
            write: false,
            admin: false,
        };
        let write = TokenScopes {
            read: true,
            write: true,
            admin: false,
        };
        let soon = Some(now + SignedDuration::from_hours(24));
        assert!(within_grant(&grant, read, soon, now).is_ok());
        assert!(within_grant(&grant, write, soon, now).is_err());
        assert!(within_grant(&grant, read, None, now).is_err());
    }
}
