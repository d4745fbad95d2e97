//! Notification settings: each person's choice of which events reach them by
//! which channel, and the organization's signed webhooks with their
//! delivery log (administrators only).

use crate::{AppError, Caller, policy};
use roundtable_domain::ValidationErrors;
use roundtable_domain::credentials::{TokenKind, issue_token};
use roundtable_store::notifications::{DeliveryRecord, KINDS, Preference, Webhook};
use roundtable_store::{Listing, PageRequest};

/// The channels a notification can reach a person by.
pub const CHANNELS: [&str; 2] = ["in_app", "email"];

/// The most choices one change of preferences may carry.
pub const MAX_CHOICES: usize = 200;

/// The longest webhook address, in bytes.
pub const MAX_WEBHOOK_URL: usize = 2000;

/// A person's preferences: every event kind and channel is on unless a
/// choice turns it off.
#[derive(Debug, Clone)]
pub struct Preferences {
    pub kinds: &'static [&'static str],
    pub channels: [&'static str; 2],
    pub choices: Vec<Preference>,
}

impl Preferences {
    /// Does the event kind reach the person by the channel?
    pub fn enabled(&self, kind: &str, channel: &str) -> bool {
        self.choices
            .iter()
            .find(|choice| choice.kind == kind && choice.channel == channel)
            .is_none_or(|choice| choice.enabled)
    }
}

/// The caller's notification preferences.
#[tracing::instrument(skip(caller))]
pub async fn preferences(caller: &Caller<'_>) -> Result<Preferences, AppError> {
    let choices = caller.scoped.preferences_of(caller.actor.person_id).await?;
    Ok(Preferences {
        kinds: KINDS,
        channels: CHANNELS,
        choices,
    })
}

/// Sets some of the caller's preferences (the others stay as they are).
#[tracing::instrument(skip(caller, choices))]
pub async fn set_preferences(
    caller: &Caller<'_>,
    choices: Vec<Preference>,
) -> Result<Preferences, AppError> {
    let mut errors = ValidationErrors::new();
    if choices.len() > MAX_CHOICES {
        errors.push("choices", "at most 200 choices at once");
    }
    for (index, choice) in choices.iter().enumerate() {
        if !KINDS.contains(&choice.kind.as_str()) {
            errors.push(
                format!("choices[{index}].kind"),
                "is not an event kind (see kinds)",
            );
        }
        if !CHANNELS.contains(&choice.channel.as_str()) {
            errors.push(
                format!("choices[{index}].channel"),
                "must be in_app or email",
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    caller
        .scoped
        .set_preferences(caller.actor.person_id, choices)
        .await?;
    preferences(caller).await
}

/// The organization's webhooks (administrators).
#[tracing::instrument(skip(caller))]
pub async fn webhooks(caller: &Caller<'_>) -> Result<Vec<Webhook>, AppError> {
    policy::manage_organization(caller.actor)?;
    Ok(caller.scoped.webhooks().await?)
}

/// One webhook (administrators).
#[tracing::instrument(skip(caller))]
pub async fn webhook(caller: &Caller<'_>, id: i64) -> Result<Webhook, AppError> {
    policy::manage_organization(caller.actor)?;
    Ok(caller.scoped.webhook(id).await?)
}

/// A webhook as it arrives: its address and the event kinds it wants
/// (none: every event).
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    pub kinds: Vec<String>,
}

/// A webhook just added, with its signing secret: shown this once, never again.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some(host)
}

/// Adds a webhook (administrators). `refused_target` says why a well-formed
/// address may not be called (it resolves to a private address, say); the
/// adapter supplies it because it knows the network and the configuration.
#[tracing::instrument(skip(caller, input, refused_target))]
pub async fn add_webhook(
    caller: &Caller<'_>,
    input: WebhookInput,
    refused_target: impl AsyncFnOnce(&str) -> Option<String>,
) -> Result<NewWebhook, AppError> {
    policy::manage_organization(caller.actor)?;
    let mut errors = ValidationErrors::new();
    let url = input.url.trim().to_owned();
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    if !scheme_ok || url.len() > MAX_WEBHOOK_URL || host_of(&url).is_none() {
        errors.push("url", "must be an http:// or https:// address");
    } else if let Some(reason) = refused_target(&url).await {
        errors.push("url", reason);
    }
    for (index, kind) in input.kinds.iter().enumerate() {
        if !KINDS.contains(&kind.as_str()) {
            errors.push(format!("kinds[{index}]"), "is not an event kind");
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    // A fresh random secret, shown once.
    let secret = issue_token(TokenKind::WebhookSecret)
        .secret
        .expose()
        .to_owned();
    let webhook = caller
        .scoped
        .create_webhook(url, secret.clone(), input.kinds)
        .await?;
    Ok(NewWebhook { webhook, secret })
}

/// Turns a webhook on (its failure count starts again) or off, at the version read.
#[tracing::instrument(skip(caller))]
pub async fn switch_webhook(
    caller: &Caller<'_>,
    id: i64,
    active: bool,
    expected_version: i64,
) -> Result<Webhook, AppError> {
    policy::manage_organization(caller.actor)?;
    Ok(caller
        .scoped
        .set_webhook_active(id, active, expected_version)
        .await?)
}

/// Removes a webhook and its delivery log.
#[tracing::instrument(skip(caller))]
pub async fn remove_webhook(caller: &Caller<'_>, id: i64) -> Result<(), AppError> {
    policy::manage_organization(caller.actor)?;
    Ok(caller.scoped.delete_webhook(id).await?)
}

/// A page of a webhook's delivery log, newest first.
#[tracing::instrument(skip(caller))]
pub async fn deliveries(
    caller: &Caller<'_>,
    id: i64,
    page: PageRequest,
) -> Result<Listing<DeliveryRecord>, AppError> {
    policy::manage_organization(caller.actor)?;
    caller.scoped.webhook(id).await?;
    Ok(caller.scoped.webhook_deliveries(id, page).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_address_needs_a_host() {
        assert_eq!(host_of("https://example.com/hook"), Some("example.com"));
        assert_eq!(host_of("https:///hook"), None);
        assert_eq!(host_of("https://exa mple.com"), None);
    }

    #[test]
    fn every_channel_is_on_until_turned_off() {
        let preferences = Preferences {
            kinds: KINDS,
            channels: CHANNELS,
            choices: vec![Preference {
                kind: "assigned".to_owned(),
                channel: "email".to_owned(),
                enabled: false,
            }],
        };
        assert!(!preferences.enabled("assigned", "email"));
        assert!(preferences.enabled("assigned", "in_app"));
    }
}
