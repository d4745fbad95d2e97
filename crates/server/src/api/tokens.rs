//! `/api/v1/tokens`: API tokens for scripts and integrations. A token is shown
//! once, at creation; only its digest is stored.

use crate::AppState;
use crate::auth::{Authenticated, CallerCredential, Credential};
use crate::extract::{ApiJson, RecordId};
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::credentials::{TokenKind, TokenScopes, issue_token};
use roundtable_domain::ids::{PersonId, TokenId};
use roundtable_domain::text::Label;
use roundtable_store::auth::{ApiToken, TokenGrant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// What it may do: `read` (safe methods), `write` (changes), `admin` (its
    /// person's administrator powers).
    pub scopes: Vec<String>,
}

impl From<ApiToken> for TokenView {
    fn from(token: ApiToken) -> Self {
        TokenView {
            id: token.id.0,
            person_id: token.person_id.0,
            name: token.name,
            created_at: token.created_at.to_string(),
            expires_at: token.expires_at.map(|instant| instant.to_string()),
            revoked_at: token.revoked_at.map(|instant| instant.to_string()),
            scopes: token
                .scopes
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret: shown only now. Send it as `Authorization: Bearer TOKEN`.
    pub token: String,
    #[serde(flatten)]
    pub details: TokenView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(example = "reporting script")]
    pub name: String,
    /// Days until the token stops working (1 to 3650); never, when absent.
    pub expires_in_days: Option<i64>,
    /// Administrators may issue a token for someone else.
    pub person_id: Option<i64>,
    /// `read`, `write` and/or `admin`; default read and write (least privilege:
    /// ask for `admin` explicitly).
    pub scopes: Option<Vec<String>>,
}

/// Lists the caller's tokens (never their secrets).
#[utoipa::path(
    get, path = "/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = state
        .scoped(&actor)
        .list_api_tokens(actor.person_id)
        .await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Issues a new API token. A token may issue tokens only with scopes it has
/// itself, expiring no later than itself (422 naming `scopes` or
/// `expires_in_days` otherwise); a browser session acts with its person's role.
#[utoipa::path(
    post, path = "/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_token(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    credential: CallerCredential,
    ApiJson(input): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let owner = input.person_id.map(PersonId).unwrap_or(actor.person_id);
    policy::manage_tokens_of(&actor, owner)?;
    let name = Label::parse(&input.name)
        .map_err(|_| ApiError::invalid("name", "must be a non-empty single line"))?;
    let expires_at = match input.expires_in_days {
        None => None,
        Some(days) if (1..=3650).contains(&days) => Some(
            Timestamp::now()
                .checked_add(SignedDuration::from_hours(days * 24))
                .map_err(|error| ApiError::Internal(error.to_string()))?,
        ),
        Some(_) => {
            return Err(ApiError::invalid(
                "expires_in_days",
                "must be between 1 and 3650",
            ));
        }
    };
    let scopes = match &input.scopes {
        None => TokenScopes {
            read: true,
            write: true,
            admin: false,
        },
        Some(names) => {
            TokenScopes::parse(names).map_err(|message| ApiError::invalid("scopes", message))?
        }
    };
    if let CallerCredential(Some(Credential::Token(grant))) = &credential {
        within_grant(grant, scopes, expires_at)?;
    }
    let issued = issue_token(TokenKind::Api);
    let token = state
        .scoped(&actor)
        .create_api_token(owner, name.into_string(), issued.digest, expires_at, scopes)
        .await
        .map_err(|error| match error {
            roundtable_store::StoreError::Invalid(_) => {
                ApiError::invalid("person_id", "no such person")
            }
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: issued.secret.expose().to_owned(),
            details: TokenView::from(token),
        }),
    ))
}

/// A token issuing a token: nothing it could not do itself, for no longer
/// than it may do it, so a leaked narrow token never becomes a wider or
/// longer-lived one.
fn within_grant(
    grant: &TokenGrant,
    scopes: TokenScopes,
    expires_at: Option<Timestamp>,
) -> Result<(), ApiError> {
    let beyond: Vec<&str> = scopes
        .names()
        .into_iter()
        .filter(|name| !grant.scopes.names().contains(name))
        .collect();
    if !beyond.is_empty() {
        return Err(ApiError::invalid(
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
        let days_left = limit.duration_since(Timestamp::now()).as_hours() / 24;
        let too_late = expires_at.is_none_or(|expires_at| expires_at > limit);
        if too_late {
            let advice = if days_left >= 1 {
                format!("ask for at most {days_left} days")
            } else {
                "it expires in less than a day, so it cannot issue tokens".to_owned()
            };
            return Err(ApiError::invalid(
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

/// Revokes a token at once.
#[utoipa::path(
    delete, path = "/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 200, body = TokenView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<TokenView>, ApiError> {
    let scoped = state.scoped(&actor);
    let token = scoped.api_token(TokenId(id)).await?;
    policy::manage_tokens_of(&actor, token.person_id)?;
    let token = scoped.revoke_api_token(TokenId(id)).await?;
    Ok(Json(TokenView::from(token)))
}
