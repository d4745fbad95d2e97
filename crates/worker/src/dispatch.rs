//! The outbox dispatcher: claims due deliveries, sends them (email over SMTP,
//! webhooks over HTTP with an HMAC-SHA256 signature) and records each
//! outcome. Claims go through the database, so any number of instances share
//! the work and a delivery claimed by an instance that died is taken over
//! when its lease runs out. Failed webhook calls are retried with exponential
//! backoff and jitter; a webhook that keeps failing is disabled by the store,
//! which tells the organization's admins.

use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use roundtable_domain::webhook_targets;
use roundtable_store::notifications::{Outcome, Outgoing};
use roundtable_store::{Store, StoreError};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Where email goes and how messages link back.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub from: String,
}

impl MailSettings {
    /// Parses `smtp://host:port` (no TLS: a relay on the local network).
    pub fn from_url(url: &str, from: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("{url}: an SMTP URL looks like smtp://host:25"))?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((host, port)) => (host, port.parse().map_err(|_| format!("{url}: bad port"))?),
            None => (rest.trim_end_matches('/'), 25),
        };
        if host.is_empty() {
            return Err(format!("{url}: no host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            from: from.to_owned(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// This instance's name in claims (for the logs; any unique string).
    pub instance: String,
    /// How long a claim lasts before another instance may take the delivery over.
    pub lease: SignedDuration,
    /// Deliveries claimed per round.
    pub batch: i64,
    /// Email settings; without them email deliveries are recorded as failed.
    pub mail: Option<MailSettings>,
    /// The application's public address, for links in messages.
    pub public_url: String,
    /// The first retry waits this long; each further one twice as long (with jitter).
    pub retry_base: SignedDuration,
    pub retry_cap: SignedDuration,
    /// Attempts before a delivery is given up.
    pub max_attempts: i64,
    pub timeout: Duration,
    /// Deliver webhooks to loopback, private and other non-public addresses
    /// too (`--allow-private-webhooks`); off by default, see
    /// [`roundtable_domain::webhook_targets`].
    pub allow_private_webhooks: bool,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            instance: format!("roundtable-{}", std::process::id()),
            lease: SignedDuration::from_secs(60),
            batch: 50,
            mail: None,
            public_url: "http://127.0.0.1:8080".to_owned(),
            retry_base: SignedDuration::from_secs(30),
            retry_cap: SignedDuration::from_hours(1),
            max_attempts: 6,
            timeout: Duration::from_secs(10),
            allow_private_webhooks: false,
        }
    }
}

/// The delay before retry number `attempt` (1 = the first retry): the base
/// doubled each time, capped, with ±20 % jitter so failing receivers are not
/// hit by every instance at once.
pub fn backoff(config: &DispatchConfig, attempt: i64, jitter: f64) -> SignedDuration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let base = config.retry_base.as_secs_f64() * 2_f64.powi(exponent as i32);
    let capped = base.min(config.retry_cap.as_secs_f64());
    SignedDuration::from_secs_f64(capped * (1.0 + jitter.clamp(-0.2, 0.2)))
}

/// The signature header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// The JSON a webhook receives.
pub fn webhook_payload(delivery: &Outgoing, public_url: &str) -> serde_json::Value {
    let notification = &delivery.notification;
    serde_json::json!({
        "delivery_id": delivery.id,
        "organization_id": delivery.organization_id.0,
        "event": notification.kind,
        "created_at": notification.created_at.to_string(),
        "notification": {
            "id": notification.id,
            "recipient_person_id": notification.recipient_person_id.0,
            "subject": { "kind": notification.subject_kind, "id": notification.subject_id },
            "title": notification.title,
            "body": notification.body,
            "url": format!("{public_url}{}", notification.link),
        }
    })
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The email of a notification: text and HTML, a link back to the page, and
/// threading headers so every message about one request lands in one thread.
pub fn email_of(
    delivery: &Outgoing,
    mail: &MailSettings,
    public_url: &str,
) -> Result<Message, String> {
    let notification = &delivery.notification;
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|error| format!("sender {}: {error}", mail.from))?;
    let to: Mailbox = format!(
        "{} <{}>",
        delivery.recipient_name.replace(['<', '>', '"'], ""),
        delivery.recipient_email
    )
    .parse()
    .map_err(|error| format!("recipient {}: {error}", delivery.recipient_email))?;
    let link = format!("{public_url}{}", notification.link);
    let text = format!(
        "{}\n\n{}\n\nOpen it: {link}\n\n-- \nRoundtable. Choose what you hear about in your notification preferences.\n",
        notification.title, notification.body
    );
    let html = format!(
        "<p><strong>{}</strong></p><p>{}</p><p><a href=\"{}\">Open it in Roundtable</a></p><p style=\"color:#555\">Choose what you hear about in your notification preferences.</p>",
        escape_html(&notification.title),
        escape_html(&notification.body),
        escape_html(&link)
    );
    let domain = "roundtable.invalid";
    let thread = match notification.subject_id {
        Some(id) => format!("<{}-{id}@{domain}>", notification.subject_kind),
        None => format!("<{}@{domain}>", notification.subject_kind),
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(notification.title.clone())
        .message_id(Some(format!(
            "<notification-{}-{}@{domain}>",
            delivery.organization_id.0, notification.id
        )))
        .in_reply_to(thread.clone())
        .references(thread)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|error| error.to_string())
}

async fn send_email(delivery: &Outgoing, config: &DispatchConfig) -> Outcome {
    let Some(mail) = &config.mail else {
        return Outcome::Failed {
            status: None,
            error: "no SMTP server is configured (serve --smtp-url)".to_owned(),
            retry_at: None,
        };
    };
    let message = match email_of(delivery, mail, &config.public_url) {
        Ok(message) => message,
        Err(error) => {
            return Outcome::Failed {
                status: None,
                error,
                retry_at: None,
            };
        }
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.host)
        .port(mail.port)
        .timeout(Some(config.timeout))
        .build();
    match transport.send(message).await {
        Ok(response) => Outcome::Sent {
            status: Some(i64::from(u16::from(response.code()))),
        },
        Err(error) => retry_or_give_up(delivery, config, None, error.to_string()),
    }
}

fn retry_or_give_up(
    delivery: &Outgoing,
    config: &DispatchConfig,
    status: Option<i64>,
    error: String,
) -> Outcome {
    let attempt = delivery.attempts + 1;
    let retry_at = (attempt < config.max_attempts).then(|| {
        let jitter = rand::rng().random_range(-0.2..=0.2);
        Timestamp::now()
            .saturating_add(backoff(config, attempt, jitter))
            .unwrap_or_else(|_| Timestamp::now())
    });
    Outcome::Failed {
        status,
        error,
        retry_at,
    }
}

async fn call_webhook(
    delivery: &Outgoing,
    config: &DispatchConfig,
    client: &reqwest::Client,
) -> Outcome {
    let Some((_, url, secret)) = &delivery.webhook else {
        return Outcome::Failed {
            status: None,
            error: "the webhook no longer exists".to_owned(),
            retry_at: None,
        };
    };
    let pinned;
    let client = if config.allow_private_webhooks {
        client
    } else {
        match pinned_client(url, config.timeout).await {
            Ok(checked) => {
                pinned = checked;
                &pinned
            }
            // Refused or unresolvable: recorded with the reason, and a
            // refused address is not tried again.
            Err(Unreachable::Refused(error)) => {
                return Outcome::Failed {
                    status: None,
                    error,
                    retry_at: None,
                };
            }
            Err(Unreachable::Unresolved(error)) => {
                return retry_or_give_up(delivery, config, None, error);
            }
        }
    };
    let body = webhook_payload(delivery, &config.public_url).to_string();
    let timestamp = Timestamp::now().as_second();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-roundtable-event", delivery.notification.kind.as_str())
        .header("x-roundtable-delivery", delivery.id.to_string())
        .header(
            "x-roundtable-signature",
            signature(secret, timestamp, body.as_bytes()),
        )
        .body(body)
        .timeout(config.timeout)
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => Outcome::Sent {
            status: Some(i64::from(response.status().as_u16())),
        },
        Ok(response) => {
            let status = response.status().as_u16();
            retry_or_give_up(
                delivery,
                config,
                Some(i64::from(status)),
                format!("the receiver answered {status}"),
            )
        }
        Err(error) => retry_or_give_up(delivery, config, None, error.to_string()),
    }
}

/// Why a webhook's target cannot be called.
enum Unreachable {
    /// It is (or resolves to) an address webhooks may not reach.
    Refused(String),
    /// Its name did not resolve now; worth another try later.
    Unresolved(String),
}

/// The addresses a webhook URL's host resolves to, each checked against
/// [`webhook_targets::refusal`]: every one must be allowed.
pub async fn checked_addresses(url: &str) -> Result<Vec<SocketAddr>, String> {
    match resolve_checked(url).await {
        Ok((_, addresses)) => Ok(addresses),
        Err(Unreachable::Refused(error) | Unreachable::Unresolved(error)) => Err(error),
    }
}

async fn resolve_checked(url: &str) -> Result<(Option<String>, Vec<SocketAddr>), Unreachable> {
    let parsed = reqwest::Url::parse(url).map_err(|error| {
        Unreachable::Refused(format!("the webhook address is not a URL: {error}"))
    })?;
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| Unreachable::Refused("the webhook address has no port".to_owned()))?;
    let (name, addresses) = match parsed.host() {
        Some(url::Host::Ipv4(address)) => (None, vec![SocketAddr::new(IpAddr::V4(address), port)]),
        Some(url::Host::Ipv6(address)) => (None, vec![SocketAddr::new(IpAddr::V6(address), port)]),
        Some(url::Host::Domain(name)) => {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|error| {
                    Unreachable::Unresolved(format!("{name} does not resolve: {error}"))
                })?
                .collect();
            if addresses.is_empty() {
                return Err(Unreachable::Unresolved(format!(
                    "{name} resolves to no address"
                )));
            }
            (Some(name.to_owned()), addresses)
        }
        None => {
            return Err(Unreachable::Refused(
                "the webhook address has no host".to_owned(),
            ));
        }
    };
    for address in &addresses {
        if let Some(reason) = webhook_targets::refusal(address.ip()) {
            return Err(Unreachable::Refused(format!(
                "refused: {} is {reason}; webhooks reach only public addresses unless the operator allows private ones (--allow-private-webhooks)",
                address.ip()
            )));
        }
    }
    Ok((name, addresses))
}

/// A client that connects only to the checked addresses of `url`'s host
/// (no second lookup that could answer differently) and follows no
/// redirect (which could lead anywhere).
async fn pinned_client(url: &str, timeout: Duration) -> Result<reqwest::Client, Unreachable> {
    let (name, addresses) = resolve_checked(url).await?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout);
    if let Some(name) = name {
        builder = builder.resolve_to_addrs(&name, &addresses);
    }
    builder
        .build()
        .map_err(|error| Unreachable::Unresolved(format!("cannot prepare the call: {error}")))
}

/// Claims and sends one batch; returns how many deliveries it handled.
pub async fn dispatch_once(
    store: &Store,
    config: &DispatchConfig,
    client: &reqwest::Client,
) -> Result<usize, StoreError> {
    let claimed = store
        .claim_deliveries(
            &config.instance,
            Timestamp::now(),
            config.lease,
            config.batch,
        )
        .await?;
    let handled = claimed.len();
    for delivery in claimed {
        let outcome = match delivery.channel.as_str() {
            "email" => send_email(&delivery, config).await,
            _ => call_webhook(&delivery, config, client).await,
        };
        if let Outcome::Failed { error, .. } = &outcome {
            tracing::warn!(delivery = delivery.id, channel = %delivery.channel, %error, "delivery failed");
        }
        store
            .finish_delivery(&delivery, outcome, Timestamp::now())
            .await?;
    }
    Ok(handled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_a_fifth() {
        let config = DispatchConfig {
            retry_base: SignedDuration::from_secs(10),
            retry_cap: SignedDuration::from_secs(100),
            ..DispatchConfig::default()
        };
        let plain: Vec<i64> = (1..=6)
            .map(|attempt| backoff(&config, attempt, 0.0).as_secs())
            .collect();
        assert_eq!(plain, vec![10, 20, 40, 80, 100, 100]);
        assert_eq!(backoff(&config, 1, 0.2).as_secs(), 12);
        assert_eq!(backoff(&config, 1, -0.9).as_secs(), 8);
    }

    /// Known answers, computed apart from this code with Python's hmac
    /// module, so a receiver verifying by the documented recipe (HMAC-SHA256
    /// keyed by the webhook's secret over "<unix seconds>.<body>", in hex)
    /// accepts what we send:
    ///
    /// ```text
    /// python3 -c 'import hmac, hashlib
    /// print(hmac.new(b"secret", b"1700000000.{}", hashlib.sha256).hexdigest())
    /// body = b"{\"delivery_id\":42,\"event\":\"clock_breached\"}"
    /// print(hmac.new(b"whsec-a-webhook-secret-of-the-organization", b"1767225600." + body, hashlib.sha256).hexdigest())
    /// print(hmac.new(b"k" * 100, b"1.x", hashlib.sha256).hexdigest())'
    /// ```
    ///
    /// (The last has a key longer than SHA-256's 64-byte block, which HMAC
    /// hashes first.)
    #[test]
    fn the_signature_is_an_hmac_of_timestamp_and_body() {
        assert_eq!(
            signature("secret", 1_700_000_000, b"{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_eq!(
            signature(
                "whsec-a-webhook-secret-of-the-organization",
                1_767_225_600,
                br#"{"delivery_id":42,"event":"clock_breached"}"#
            ),
            "t=1767225600,v1=59f2c4ae68777b12249b47441210c41f670e9fa788962adab333d7a05498e1b0"
        );
        assert_eq!(
            signature(&"k".repeat(100), 1, b"x"),
            "t=1,v1=8dc72019a8a249d8f2d36e36fac06f4497511f4f50cfee8600a5d97fb8a91da5"
        );
    }

    #[test]
    fn smtp_urls_are_parsed() {
        let settings =
            MailSettings::from_url("smtp://127.0.0.1:8025", "Roundtable <noreply@example.com>")
                .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!((settings.host.as_str(), settings.port), ("127.0.0.1", 8025));
        assert_eq!(
            MailSettings::from_url("smtp://mail.internal", "a@b.c").map(|settings| settings.port),
            Ok(25)
        );
        assert!(MailSettings::from_url("http://mail", "a@b.c").is_err());
    }
}
