//! `/api/v1/notifications`: the caller's in-app inbox and their choice of
//! what reaches them by which channel; `/api/v1/webhooks`: the
//! organization's signed webhooks and their delivery log (administrators).

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiQuery, IfMatch, Page, PageQuery, RecordId, with_etag};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::notification_settings::{self as settings, Preferences, WebhookInput};
use roundtable_store::notifications::{DeliveryRecord, Notification, Preference, Webhook};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
        .routes(routes!(get_preferences, set_preferences))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// What happened, e.g. `assigned`, `clock_breached`, `check_requested`.
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// The page in the web application.
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

impl From<Notification> for NotificationView {
    fn from(notification: Notification) -> Self {
        NotificationView {
            id: notification.id,
            kind: notification.kind,
            subject_kind: notification.subject_kind,
            subject_id: notification.subject_id,
            title: notification.title,
            body: notification.body,
            link: notification.link,
            created_at: notification.created_at.to_string(),
            read_at: notification.read_at.map(|at| at.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
    pub unread: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(
    get, path = "/notifications", tag = "notifications", params(InboxQuery),
    responses((status = 200, body = Inbox), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_notifications(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> Result<Json<Inbox>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .to_page()?;
    let inbox = roundtable_app::inbox::list(
        &roundtable_app::Caller::new(&state.store, &actor),
        query.unread.unwrap_or(false),
        page,
    )
    .await?;
    Ok(Json(Inbox::from(inbox)))
}

impl From<roundtable_app::inbox::InboxPage> for Inbox {
    fn from(inbox: roundtable_app::inbox::InboxPage) -> Self {
        let page = Page::from_listing(inbox.notifications, NotificationView::from);
        Inbox {
            items: page.items,
            next_cursor: page.next_cursor,
            unread: inbox.unread,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadView {
    /// How many notifications turned read.
    pub marked: u64,
}

/// Marks one of the caller's notifications read.
#[utoipa::path(
    post, path = "/notifications/{id}/read", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = ReadView), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn mark_read(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<ReadView>, ApiError> {
    let caller = roundtable_app::Caller::new(&state.store, &actor);
    let marked = roundtable_app::inbox::mark_read(&caller, Some(id)).await?;
    Ok(Json(ReadView { marked }))
}

/// Marks all of the caller's notifications read.
#[utoipa::path(
    post, path = "/notifications/read-all", tag = "notifications",
    responses((status = 200, body = ReadView), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn mark_all_read(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<ReadView>, ApiError> {
    let caller = roundtable_app::Caller::new(&state.store, &actor);
    let marked = roundtable_app::inbox::mark_read(&caller, None).await?;
    Ok(Json(ReadView { marked }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceView {
    /// An event kind (see `kinds`).
    pub kind: String,
    /// `in_app` or `email`.
    pub channel: String,
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreferencesView {
    /// Every event kind; every channel is on unless listed off in `choices`.
    pub kinds: Vec<String>,
    pub channels: Vec<String>,
    pub choices: Vec<PreferenceView>,
}

impl From<Preferences> for PreferencesView {
    fn from(preferences: Preferences) -> Self {
        PreferencesView {
            kinds: preferences
                .kinds
                .iter()
                .map(|kind| (*kind).to_owned())
                .collect(),
            channels: preferences
                .channels
                .iter()
                .map(|channel| (*channel).to_owned())
                .collect(),
            choices: preferences
                .choices
                .into_iter()
                .map(|choice| PreferenceView {
                    kind: choice.kind,
                    channel: choice.channel,
                    enabled: choice.enabled,
                })
                .collect(),
        }
    }
}

/// The caller's notification preferences.
#[utoipa::path(
    get, path = "/notifications/preferences", tag = "notifications",
    responses((status = 200, body = PreferencesView), (status = 401, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_preferences(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<PreferencesView>, ApiError> {
    let preferences = settings::preferences(&Caller::new(&state.store, &actor)).await?;
    Ok(Json(PreferencesView::from(preferences)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    pub choices: Vec<PreferenceView>,
}

/// Sets some of the caller's preferences (others stay as they are).
#[utoipa::path(
    put, path = "/notifications/preferences", tag = "notifications", request_body = PreferencesBody,
    responses((status = 200, body = PreferencesView), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn set_preferences(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<PreferencesBody>,
) -> Result<Json<PreferencesView>, ApiError> {
    let choices = input
        .choices
        .into_iter()
        .map(|choice| Preference {
            kind: choice.kind,
            channel: choice.channel,
            enabled: choice.enabled,
        })
        .collect();
    let preferences =
        settings::set_preferences(&Caller::new(&state.store, &actor), choices).await?;
    Ok(Json(PreferencesView::from(preferences)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// Event kinds delivered; empty means all.
    pub kinds: Vec<String>,
    pub active: bool,
    pub consecutive_failures: i64,
    pub disabled_reason: Option<String>,
    pub version: i64,
    pub created_at: String,
    /// The signing secret: shown only in the response that created the webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn webhook_view(webhook: Webhook, secret: Option<String>) -> WebhookView {
    WebhookView {
        id: webhook.id,
        url: webhook.url,
        kinds: webhook.kinds,
        active: webhook.active,
        consecutive_failures: webhook.consecutive_failures,
        disabled_reason: webhook.disabled_reason,
        version: webhook.version,
        created_at: webhook.created_at.to_string(),
        secret,
    }
}

/// The organization's webhooks (administrators).
#[utoipa::path(
    get, path = "/webhooks", tag = "notifications",
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let webhooks = settings::webhooks(&Caller::new(&state.store, &actor)).await?;
    Ok(Json(
        webhooks
            .into_iter()
            .map(|webhook| webhook_view(webhook, None))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// `http://` or `https://`, up to 2000 characters.
    pub url: String,
    /// Event kinds to deliver; empty or absent means all.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// Adds a webhook. Every call is signed: `X-Roundtable-Signature:
/// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`.
#[utoipa::path(
    post, path = "/webhooks", tag = "notifications", request_body = NewWebhookBody,
    responses((status = 201, body = WebhookView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(input): ApiJson<NewWebhookBody>,
) -> Result<Response, ApiError> {
    let created = settings::add_webhook(
        &Caller::new(&state.store, &actor),
        WebhookInput {
            url: input.url,
            kinds: input.kinds,
        },
        async |url: &str| webhook_target_refusal(&state, url).await,
    )
    .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        created.webhook.version,
        webhook_view(created.webhook, Some(created.secret)),
    ))
}

/// Why a webhook may not point at `url`, unless the configuration allows
/// private targets (a test rig, a closed network).
pub(crate) async fn webhook_target_refusal(state: &AppState, url: &str) -> Option<String> {
    if state.config.allow_private_webhooks {
        None
    } else {
        refused_target(url).await
    }
}

/// Why a webhook may not point at `url`: its host is, or resolves to, an
/// address that is not public. A name that does not resolve now is accepted;
/// every delivery checks again after resolving it.
async fn refused_target(url: &str) -> Option<String> {
    use roundtable_domain::webhook_targets::refusal;
    let parsed = url::Url::parse(url).ok()?;
    let port = parsed.port_or_known_default()?;
    let addresses: Vec<std::net::IpAddr> = match parsed.host()? {
        url::Host::Ipv4(address) => vec![address.into()],
        url::Host::Ipv6(address) => vec![address.into()],
        url::Host::Domain(name) => {
            let lookup = tokio::net::lookup_host((name, port));
            match tokio::time::timeout(std::time::Duration::from_secs(3), lookup).await {
                Ok(Ok(found)) => found.map(|address| address.ip()).collect(),
                _ => Vec::new(),
            }
        }
    };
    addresses.into_iter().find_map(|address| {
        refusal(address).map(|reason| format!("must reach a public address; {address} is {reason}"))
    })
}

/// One webhook.
#[utoipa::path(
    get, path = "/webhooks/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Response, ApiError> {
    let webhook = settings::webhook(&Caller::new(&state.store, &actor), id).await?;
    Ok(with_etag(
        StatusCode::OK,
        webhook.version,
        webhook_view(webhook, None),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChanges {
    /// Turn the webhook on (its failure count starts again) or off.
    pub active: bool,
}

/// Turns a webhook on or off.
#[utoipa::path(
    patch, path = "/webhooks/{id}", tag = "notifications", request_body = WebhookChanges,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses((status = 200, body = WebhookView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_webhook(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    IfMatch(version): IfMatch,
    ApiJson(input): ApiJson<WebhookChanges>,
) -> Result<Response, ApiError> {
    let webhook = settings::switch_webhook(
        &Caller::new(&state.store, &actor),
        id,
        input.active,
        version,
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        webhook.version,
        webhook_view(webhook, None),
    ))
}

/// Removes a webhook and its delivery log.
#[utoipa::path(
    delete, path = "/webhooks/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<StatusCode, ApiError> {
    settings::remove_webhook(&Caller::new(&state.store, &actor), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub notification_id: i64,
    pub event: String,
    /// `pending`, `sent` or `failed` (given up).
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
    pub next_attempt_at: String,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(record: DeliveryRecord) -> Self {
        DeliveryView {
            id: record.id,
            notification_id: record.notification_id,
            event: record.kind,
            state: record.state,
            attempts: record.attempts,
            last_status: record.last_status,
            last_error: record.last_error,
            sent_at: record.sent_at.map(|at| at.to_string()),
            next_attempt_at: record.next_attempt_at.to_string(),
        }
    }
}

pub type DeliveryPage = Page<DeliveryView>;

/// A webhook's delivery log, newest first.
#[utoipa::path(
    get, path = "/webhooks/{id}/deliveries", tag = "notifications", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = DeliveryPage), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let caller = Caller::new(&state.store, &actor);
    // Who may read it, and whether it exists, are judged before the paging is.
    settings::webhook(&caller, id).await?;
    let listing = settings::deliveries(&caller, id, query.to_page()?).await?;
    Ok(Json(Page::from_listing(listing, DeliveryView::from)))
}
