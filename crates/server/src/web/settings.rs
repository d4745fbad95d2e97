//! Notification settings in the browser: each person's preferences (which
//! events reach them in the app and by email) and, for administrators, the
//! organization's signed webhooks with their delivery log. Everything goes
//! through the use cases of `app::notification_settings`, the same the API
//! calls, so the event kinds, the address rules and who may manage webhooks
//! are decided in one place.

use super::format::instant;
use super::{
    ActionError, FormData, Layout, SignedForm, Viewer, WebError, after_action, at_version,
    first_view, render,
};
use crate::AppState;
use crate::api::notifications::{DeliveryView, webhook_target_refusal};
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use roundtable_app::Caller;
use roundtable_app::notification_settings::{self as settings, WebhookInput};
use roundtable_store::PageRequest;
use roundtable_store::notifications::{Preference, Webhook};

/// The pages of notification preferences and webhooks.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/notifications/preferences",
            get(show_preferences).post(save_preferences),
        )
        .route("/admin/webhooks", get(show_webhooks).post(add_webhook))
        .route("/admin/webhooks/{id}", get(show_webhook))
        .route("/admin/webhooks/{id}/active", post(switch_webhook))
        .route("/admin/webhooks/{id}/delete", post(remove_webhook))
}

/// An event kind in words.
pub fn kind_words(kind: &str) -> &'static str {
    match kind {
        "assigned" => "A request is assigned to me",
        "clock_at_risk" => "A clock of my request is at risk",
        "clock_breached" => "A clock is breached (leads)",
        "deferred" => "My request is deferred",
        "commitment_proposed" => "A delivery date is proposed",
        "commitment_accepted" => "A delivery date is accepted",
        "check_requested" => "I am asked for a satisfaction check",
        "check_not_met" => "A check is answered “not met” (leads)",
        "assumption_answered" => "An assumption is answered",
        "action_due" => "An action of mine is due",
        "action_overdue" => "An action of mine is overdue",
        "kudos_received" => "I receive kudos",
        "enhancement_status" => "An enhancement changes status",
        "agreement_proposed" => "An agreement is proposed to a department I lead",
        "agreement_reminder" => "An agreement still waits for my acceptance",
        "topic_raised" => "An assumption or frustration is raised about my department (leads)",
        "pulse_opened" => "A pulse round opens for me",
        "pulse_reminder" => "A pulse round I have not answered closes soon",
        "check_reminder" => "A satisfaction check still waits for my answer",
        "weekly_digest" => "The weekly digest (leads)",
        "webhook_disabled" => "A webhook was switched off (administrators)",
        _ => "Other events",
    }
}

fn channel_words(channel: &str) -> &'static str {
    match channel {
        "in_app" => "In the app",
        "email" => "By email",
        _ => "Other",
    }
}

/// One event kind with a checkbox per channel.
#[derive(Debug, Clone)]
pub struct PreferenceRow {
    pub kind: String,
    pub label: &'static str,
    /// `(channel, field name, on)`.
    pub channels: Vec<(String, String, bool)>,
}

#[derive(Debug, Template)]
#[template(path = "preferences.html")]
pub struct PreferencesPage {
    layout: Layout,
    channels: Vec<(String, &'static str)>,
    rows: Vec<PreferenceRow>,
    saved: bool,
    failed: ActionError,
}

impl PreferencesPage {
    /// The table's column headers: the event, then one per channel.
    pub fn columns(&self) -> Vec<&str> {
        std::iter::once("Event")
            .chain(self.channels.iter().map(|(_, label)| *label))
            .collect()
    }
}

async fn preferences_page(
    state: &AppState,
    viewer: &Viewer,
    saved: bool,
    failed: ActionError,
) -> Result<PreferencesPage, WebError> {
    let view = settings::preferences(&Caller::new(&state.store, &viewer.actor)).await?;
    Ok(PreferencesPage {
        layout: Layout::new(viewer, "Notification preferences", "notifications"),
        channels: view
            .channels
            .iter()
            .map(|channel| ((*channel).to_owned(), channel_words(channel)))
            .collect(),
        rows: view
            .kinds
            .iter()
            .map(|kind| PreferenceRow {
                kind: (*kind).to_owned(),
                label: kind_words(kind),
                channels: view
                    .channels
                    .iter()
                    .map(|channel| {
                        (
                            (*channel).to_owned(),
                            format!("{kind}.{channel}"),
                            view.enabled(kind, channel),
                        )
                    })
                    .collect(),
            })
            .collect(),
        saved,
        failed,
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /notifications/preferences`: which events reach the viewer, and how.
pub async fn show_preferences(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<SavedQuery>,
) -> Result<Response, WebError> {
    let page = preferences_page(
        &state,
        &viewer,
        query.saved.is_some(),
        ActionError::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /notifications/preferences`: every box of the form, ticked or not.
pub async fn save_preferences(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let view = settings::preferences(&caller).await?;
    let mut choices = Vec::new();
    for kind in view.kinds {
        for channel in view.channels {
            choices.push(Preference {
                kind: (*kind).to_owned(),
                channel: channel.to_owned(),
                enabled: form.has(&format!("{kind}.{channel}")),
            });
        }
    }
    let outcome = settings::set_preferences(&caller, choices)
        .await
        .map_err(ApiError::from);
    after_action(
        outcome,
        "preferences",
        "your preferences",
        "/notifications/preferences?saved=1",
        async |failed| preferences_page(&state, &viewer, false, failed).await,
    )
    .await
}

#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub kinds: String,
    pub active: bool,
    pub failures: i64,
    pub disabled_reason: Option<String>,
    pub version: i64,
    pub created: String,
}

impl WebhookRow {
    fn new(webhook: &Webhook) -> Self {
        WebhookRow {
            id: webhook.id,
            url: webhook.url.clone(),
            kinds: if webhook.kinds.is_empty() {
                "every event".to_owned()
            } else {
                webhook.kinds.join(", ")
            },
            active: webhook.active,
            failures: webhook.consecutive_failures,
            disabled_reason: webhook.disabled_reason.clone(),
            version: webhook.version,
            created: instant(&webhook.created_at.to_string()),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "webhooks.html")]
pub struct WebhooksPage {
    layout: Layout,
    webhooks: Vec<WebhookRow>,
    kinds: Vec<(&'static str, &'static str)>,
    /// The secret of a webhook just added: shown once, never again.
    created: Option<(String, String)>,
    form: FormData,
    failed: ActionError,
}

impl WebhooksPage {
    pub fn chosen(&self, kind: &str) -> bool {
        self.form
            .0
            .iter()
            .any(|(name, value)| name == "kinds" && value == kind)
    }
}

async fn webhooks_page(
    state: &AppState,
    viewer: &Viewer,
    created: Option<(String, String)>,
    form: FormData,
    failed: ActionError,
) -> Result<WebhooksPage, WebError> {
    let webhooks = settings::webhooks(&Caller::new(&state.store, &viewer.actor)).await?;
    Ok(WebhooksPage {
        layout: Layout::new(viewer, "Webhooks", "admin"),
        webhooks: webhooks.iter().map(WebhookRow::new).collect(),
        kinds: roundtable_store::notifications::KINDS
            .iter()
            .map(|kind| (*kind, kind_words(kind)))
            .collect(),
        created,
        form,
        failed,
    })
}

/// `GET /admin/webhooks`: the organization's webhooks (administrators).
pub async fn show_webhooks(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        webhooks_page(&state, &viewer, None, form, failed).await
    })
    .await
}

/// `POST /admin/webhooks`: adds a webhook and shows its signing secret once.
pub async fn add_webhook(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let kinds: Vec<String> = form
        .0
        .iter()
        .filter(|(name, _)| name == "kinds")
        .map(|(_, value)| value.clone())
        .collect();
    let outcome = settings::add_webhook(
        &Caller::new(&state.store, &viewer.actor),
        WebhookInput {
            url: form.get("url").to_owned(),
            kinds,
        },
        async |url: &str| webhook_target_refusal(&state, url).await,
    )
    .await
    .map_err(ApiError::from);
    match outcome {
        Ok(created) => {
            // The secret is in the answer only: show it now, on this page.
            let page = webhooks_page(
                &state,
                &viewer,
                Some((created.webhook.url, created.secret)),
                FormData::default(),
                ActionError::default(),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(error) => {
            after_action(
                Err::<(), _>(error),
                "add",
                "the webhooks",
                "/admin/webhooks",
                async |failed| webhooks_page(&state, &viewer, None, form, failed).await,
            )
            .await
        }
    }
}

fn webhook_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)
}

/// `POST /admin/webhooks/{id}/active`: switches a webhook on (its failure
/// count starts again) or off, at the version read.
pub async fn switch_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = webhook_id(&id)?;
    let outcome = at_version(&form, async |version| {
        settings::switch_webhook(
            &Caller::new(&state.store, &viewer.actor),
            id,
            form.get("active") == "true",
            version,
        )
        .await
    })
    .await;
    after_action(
        outcome,
        "switch",
        "this webhook",
        "/admin/webhooks",
        async |failed| webhooks_page(&state, &viewer, None, form, failed).await,
    )
    .await
}

/// `POST /admin/webhooks/{id}/delete`: removes a webhook.
pub async fn remove_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = webhook_id(&id)?;
    let outcome = settings::remove_webhook(&Caller::new(&state.store, &viewer.actor), id)
        .await
        .map_err(ApiError::from);
    after_action(
        outcome,
        "delete",
        "this webhook",
        "/admin/webhooks",
        async |failed| webhooks_page(&state, &viewer, None, form, failed).await,
    )
    .await
}

#[derive(Debug, Template)]
#[template(path = "webhook.html")]
pub struct WebhookPage {
    layout: Layout,
    webhook: WebhookRow,
    deliveries: Vec<DeliveryView>,
}

impl WebhookPage {
    pub fn when(&self, text: &str) -> String {
        instant(text)
    }
}

/// `GET /admin/webhooks/{id}`: a webhook and its newest deliveries.
pub async fn show_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = webhook_id(&id)?;
    let caller = Caller::new(&state.store, &viewer.actor);
    let webhook = settings::webhook(&caller, id).await?;
    let deliveries = settings::deliveries(&caller, id, PageRequest::first(100))
        .await?
        .items
        .into_iter()
        .map(DeliveryView::from)
        .collect();
    let page = WebhookPage {
        layout: Layout::new(&viewer, "Webhook deliveries", "admin"),
        webhook: WebhookRow::new(&webhook),
        deliveries,
    };
    Ok(render(StatusCode::OK, &page))
}
