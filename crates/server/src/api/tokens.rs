//! `/api/v1/tokens`: API tokens for scripts and integrations. A token is shown
//! once, at creation; only its digest is stored.

use crate::AppState;
use crate::auth::{Authenticated, CallerCredential, Credential};
use crate::extract::{ApiJson, RecordId};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use roundtable_app::Caller;
use roundtable_app::tokens::{self as app, TokenRequest};
use roundtable_domain::ids::TokenId;
use roundtable_store::auth::ApiToken;
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
    let tokens = app::list(&Caller::new(&state.store, &actor)).await?;
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
    let grant = match &credential {
        CallerCredential(Some(Credential::Token(grant))) => Some(grant),
        _ => None,
    };
    let issued = app::issue(
        &Caller::new(&state.store, &actor),
        TokenRequest {
            name: input.name,
            expires_in_days: input.expires_in_days,
            person_id: input.person_id,
            scopes: input.scopes,
        },
        grant,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: issued.secret,
            details: TokenView::from(issued.token),
        }),
    ))
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
    let token = app::revoke(&Caller::new(&state.store, &actor), TokenId(id)).await?;
    Ok(Json(TokenView::from(token)))
}
