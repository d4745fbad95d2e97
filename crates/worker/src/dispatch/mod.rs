//! The outbox dispatcher: claims due deliveries, sends them (email over SMTP,
//! webhooks over HTTP with an HMAC-SHA256 signature) and records each
//! outcome. Claims go through the database, so any number of instances share
//! the work and a delivery claimed by an instance that died is taken over
//! when its lease runs out. Failed webhook calls are retried with exponential
//! backoff and jitter; a webhook that keeps failing is disabled by the store,
//! which tells the organization's admins.

use askama::Template;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{Error as SmtpError, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use roundtable_domain::webhook_targets;
use roundtable_store::mail_log::NOT_SENT;
use roundtable_store::notifications::{Outcome, Outgoing};
use roundtable_store::{Store, StoreError};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Where email goes: one SMTP transport, built once from the relay's URL and
/// shared by every delivery (its connections are pooled), and the sender.
#[derive(Clone)]
pub struct MailSettings {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: String,
    /// The relay's URL without its password, for the logs.
    pub relay: String,
}

impl std::fmt::Debug for MailSettings {
    // Never prints the password.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailSettings")
            .field("relay", &self.relay)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// How an SMTP transport is built beyond its URL.
#[derive(Debug, Clone, Default)]
pub struct SmtpOptions {
    /// PEM certificates to trust besides the system's roots (a private CA, or
    /// a test server's throwaway certificate).
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Connections kept open to the relay at most (default 8).
    pub pool_size: Option<u32>,
    /// How long one SMTP command may take (default 10 s).
    pub command_timeout: Option<Duration>,
}

impl MailSettings {
    /// A transport for `url`, parsed by lettre: `smtp://host:25` (plain, or
    /// `?tls=opportunistic`), `smtp://host:587?tls=required` (STARTTLS),
    /// `smtps://host:465` (implicit TLS); `user:password@` before the host
    /// signs in (PLAIN or LOGIN, as the server offers; percent-encode
    /// special characters). A path names this host in EHLO.
    pub fn from_url(url: &str, from: &str) -> Result<Self, String> {
        Self::build(url, from, &SmtpOptions::default())
    }

    pub fn build(url: &str, from: &str, options: &SmtpOptions) -> Result<Self, String> {
        let relay = redact(url);
        from.parse::<Mailbox>()
            .map_err(|error| format!("the sender {from:?} is not an email address: {error}"))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| format!("{relay}: {}", chain(&error)))?;
        if let Some(pem) = &options.extra_roots_pem {
            // lettre chose the TLS mode from the URL; the same mode again,
            // with the extra roots.
            let parsed = url::Url::parse(url).map_err(|error| format!("{relay}: {error}"))?;
            let host = parsed.host_str().unwrap_or_default().to_owned();
            let certificate = Certificate::from_pem(pem)
                .map_err(|error| format!("the CA file: {}", chain(&error)))?;
            let parameters = TlsParameters::builder(host)
                .add_root_certificate(certificate)
                .build()
                .map_err(|error| format!("the CA file: {}", chain(&error)))?;
            let tls = parsed
                .query_pairs()
                .find(|(key, _)| key == "tls")
                .map(|(_, value)| value.into_owned());
            builder = match (parsed.scheme(), tls.as_deref()) {
                ("smtps", _) => builder.tls(Tls::Wrapper(parameters)),
                ("smtp", Some("required")) => builder.tls(Tls::Required(parameters)),
                ("smtp", Some("opportunistic")) => builder.tls(Tls::Opportunistic(parameters)),
                _ => {
                    return Err(format!(
                        "{relay}: a CA file was given but the URL asks for no TLS \
                         (use smtps:// or ?tls=required)"
                    ));
                }
            };
        }
        let transport = builder
            .timeout(Some(
                options.command_timeout.unwrap_or(Duration::from_secs(10)),
            ))
            .pool_config(PoolConfig::new().max_size(options.pool_size.unwrap_or(8).max(1)))
            .build();
        Ok(Self {
            transport,
            from: from.to_owned(),
            relay,
        })
    }
}

/// `url` without its password.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(an SMTP URL that does not parse)".to_owned(),
    }
}

/// An error and its sources, each once: "tls error: invalid peer certificate: UnknownIssuer".
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// What the delivery log says of an SMTP failure, and whether to try again.
fn smtp_failure(error: &SmtpError) -> (Option<i64>, String, bool) {
    let status = error.status().map(|code| i64::from(u16::from(code)));
    let detail = chain(error);
    let lower = detail.to_lowercase();
    let (what, retry) = if let Some(code) = status {
        let authentication = matches!(code, 530 | 534 | 535 | 538 | 454);
        if authentication {
            (
                "authentication failed: the relay refused the user name or password",
                true,
            )
        } else if error.is_permanent() {
            ("the relay refused the message", false)
        } else {
            ("the relay answered with a temporary failure", true)
        }
    } else if error.is_tls() || lower.contains("certificate") {
        ("TLS failed (certificate or handshake)", true)
    } else if error.is_timeout() || lower.contains("timed out") {
        ("the relay did not answer in time", true)
    } else if lower.contains("refused") {
        ("the relay refused the connection", true)
    } else {
        ("the relay could not be reached", true)
    };
    (status, format!("{what}: {detail}"), retry)
}

#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// This instance's name in claims (for the logs; any unique string).
    pub instance: String,
    /// How long a claim lasts before another instance may take the delivery over.
    pub lease: SignedDuration,
    /// Deliveries claimed per round.
    pub batch: i64,
    /// Email settings; without them email deliveries are recorded once as
    /// not sent ([`NOT_SENT`]) and never retried.
    pub mail: Option<MailSettings>,
    /// The application's public address, for links in messages.
    pub public_url: String,
    /// The first retry waits this long; each further one twice as long (with jitter).
    pub retry_base: SignedDuration,
    pub retry_cap: SignedDuration,
    /// Attempts before a delivery is given up.
    pub max_attempts: i64,
    /// How long one attempt may take, whatever the channel.
    pub timeout: Duration,
    /// Email deliveries in flight at once (per instance).
    pub email_concurrency: usize,
    /// Webhook calls in flight at once (per instance).
    pub webhook_concurrency: usize,
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
            email_concurrency: 8,
            webhook_concurrency: 8,
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

/// The text part of a notification's email.
#[derive(Template)]
#[template(path = "email/notification.txt", escape = "none")]
struct TextEmail<'a> {
    title: &'a str,
    body: &'a str,
    when: &'a str,
    link: &'a str,
}

/// The HTML part: the same, escaped by askama.
#[derive(Template)]
#[template(path = "email/notification.html")]
struct HtmlEmail<'a> {
    title: &'a str,
    paragraphs: Vec<&'a str>,
    when: &'a str,
    link: &'a str,
}

/// An instant as email shows it, in the recipient's zone (an IANA name;
/// UTC without one): "2026-11-22 18:30 CET".
pub fn email_time(instant: Timestamp, zone: Option<&str>) -> String {
    let zone = zone
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    instant
        .to_zoned(zone)
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The email of a notification: text and HTML, a link back to the page, and
/// threading headers so every message about one request lands in one thread.
pub fn email_of(delivery: &Outgoing, from: &str, public_url: &str) -> Result<Message, String> {
    let notification = &delivery.notification;
    let from: Mailbox = from
        .parse()
        .map_err(|error| format!("sender {from}: {error}"))?;
    let to: Mailbox = format!(
        "{} <{}>",
        delivery.recipient_name.replace(['<', '>', '"'], ""),
        delivery.recipient_email
    )
    .parse()
    .map_err(|error| format!("recipient {}: {error}", delivery.recipient_email))?;
    let link = format!("{public_url}{}", notification.link);
    let when = email_time(
        notification.created_at,
        delivery.recipient_time_zone.as_deref(),
    );
    let text = TextEmail {
        title: &notification.title,
        body: &notification.body,
        when: &when,
        link: &link,
    }
    .render()
    .map_err(|error| format!("the text template: {error}"))?;
    let html = HtmlEmail {
        title: &notification.title,
        paragraphs: notification
            .body
            .split("\n\n")
            .map(str::trim)
            .filter(|paragraph| !paragraph.is_empty())
            .collect(),
        when: &when,
        link: &link,
    }
    .render()
    .map_err(|error| format!("the HTML template: {error}"))?;
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
            error: NOT_SENT.to_owned(),
            retry_at: None,
        };
    };
    let message = match email_of(delivery, &mail.from, &config.public_url) {
        Ok(message) => message,
        Err(error) => {
            return Outcome::Failed {
                status: None,
                error,
                retry_at: None,
            };
        }
    };
    match tokio::time::timeout(config.timeout, mail.transport.send(message)).await {
        Ok(Ok(response)) => Outcome::Sent {
            status: Some(i64::from(u16::from(response.code()))),
        },
        Ok(Err(error)) => {
            let (status, error, retry) = smtp_failure(&error);
            if retry {
                retry_or_give_up(delivery, config, status, error)
            } else {
                Outcome::Failed {
                    status,
                    error,
                    retry_at: None,
                }
            }
        }
        Err(_) => retry_or_give_up(
            delivery,
            config,
            None,
            format!(
                "timed out: {} did not finish the message within {} s",
                mail.relay,
                config.timeout.as_secs()
            ),
        ),
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
        .send();
    let response = match tokio::time::timeout(config.timeout, response).await {
        Ok(response) => response,
        Err(_) => {
            return retry_or_give_up(
                delivery,
                config,
                None,
                format!("timed out: no answer within {} s", config.timeout.as_secs()),
            );
        }
    };
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
        Err(error) => {
            let detail = chain(&error);
            let what = if error.is_timeout() {
                "timed out"
            } else if error.is_connect() {
                "cannot connect"
            } else {
                "the call failed"
            };
            retry_or_give_up(delivery, config, None, format!("{what}: {detail}"))
        }
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

/// Sends claimed deliveries concurrently: at most
/// [`DispatchConfig::email_concurrency`] emails and
/// [`DispatchConfig::webhook_concurrency`] webhook calls at once, each
/// attempt bounded by [`DispatchConfig::timeout`], so a receiver that never
/// answers holds one slot of its own channel for one timeout, and nobody
/// else. It claims only as many deliveries as it has free slots, so a claim
/// never waits long for a slot (its lease outlasts the wait).
pub struct Dispatcher {
    store: Store,
    config: Arc<DispatchConfig>,
    client: reqwest::Client,
    email: Arc<Semaphore>,
    webhook: Arc<Semaphore>,
    in_flight: JoinSet<()>,
}

impl Dispatcher {
    pub fn new(store: Store, config: DispatchConfig, client: reqwest::Client) -> Self {
        Self {
            email: Arc::new(Semaphore::new(config.email_concurrency.max(1))),
            webhook: Arc::new(Semaphore::new(config.webhook_concurrency.max(1))),
            store,
            config: Arc::new(config),
            client,
            in_flight: JoinSet::new(),
        }
    }

    /// Claims as many due deliveries as there are free slots (up to a batch)
    /// and starts them; returns how many it claimed.
    pub async fn start_round(&mut self) -> Result<usize, StoreError> {
        while self.in_flight.try_join_next().is_some() {}
        let free = self.email.available_permits() + self.webhook.available_permits();
        let limit = i64::try_from(free)
            .unwrap_or(i64::MAX)
            .min(self.config.batch);
        if limit == 0 {
            return Ok(0);
        }
        let claimed = self
            .store
            .claim_deliveries(
                &self.config.instance,
                Timestamp::now(),
                self.config.lease,
                limit,
            )
            .await?;
        let count = claimed.len();
        for delivery in claimed {
            let slots = if delivery.channel == "email" {
                Arc::clone(&self.email)
            } else {
                Arc::clone(&self.webhook)
            };
            let store = self.store.clone();
            let config = Arc::clone(&self.config);
            let client = self.client.clone();
            self.in_flight.spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                deliver(&store, &config, &client, delivery).await;
            });
        }
        Ok(count)
    }

    /// Whether every slot is taken.
    fn full(&self) -> bool {
        self.email.available_permits() + self.webhook.available_permits() == 0
    }

    /// Waits for one started delivery to finish (at once when none is in flight).
    async fn one_finished(&mut self) {
        if self.in_flight.join_next().await.is_none() {
            std::future::pending::<()>().await;
        }
    }

    /// Waits until every started delivery has finished.
    pub async fn finish(&mut self) {
        while self.in_flight.join_next().await.is_some() {}
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Dispatcher")
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

/// Sends one delivery and records its outcome.
async fn deliver(
    store: &Store,
    config: &DispatchConfig,
    client: &reqwest::Client,
    delivery: Outgoing,
) {
    let outcome = match delivery.channel.as_str() {
        "email" => send_email(&delivery, config).await,
        _ => call_webhook(&delivery, config, client).await,
    };
    if let Outcome::Failed {
        error, retry_at, ..
    } = &outcome
        && error != NOT_SENT
    {
        tracing::warn!(
            delivery = delivery.id,
            channel = %delivery.channel,
            %error,
            retry = retry_at.is_some(),
            "delivery failed"
        );
    }
    if let Err(error) = store
        .finish_delivery(&delivery, outcome, Timestamp::now())
        .await
    {
        // The claim runs out and the delivery is tried again.
        tracing::warn!(delivery = delivery.id, %error, "recording a delivery failed");
    }
}

/// Claims one round of deliveries, sends them concurrently and waits for
/// them all; returns how many it handled. (The worker runs [`run`], which
/// does not wait between rounds; this is for tests and one-off runs.)
pub async fn dispatch_once(
    store: &Store,
    config: &DispatchConfig,
    client: &reqwest::Client,
) -> Result<usize, StoreError> {
    let mut dispatcher = Dispatcher::new(store.clone(), config.clone(), client.clone());
    let handled = dispatcher.start_round().await?;
    dispatcher.finish().await;
    Ok(handled)
}

/// The dispatcher's own task: looks at the outbox every `every`, and again
/// whenever a delivery finishes while more is due, until `shutdown`; then
/// waits (at most one attempt's timeout) for deliveries in flight.
pub async fn run(
    store: Store,
    config: DispatchConfig,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    match &config.mail {
        Some(mail) => tracing::info!(relay = %mail.relay, "email goes out through the SMTP relay"),
        None => tracing::info!(
            "email is off: no SMTP relay is configured (--smtp-url); email notifications are recorded as not sent and shown on /admin/mail"
        ),
    }
    let timeout = config.timeout;
    let batch = usize::try_from(config.batch).unwrap_or(usize::MAX);
    let mut dispatcher = Dispatcher::new(store, config, reqwest::Client::new());
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Whether the last round found more than it could take.
    let mut more = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = dispatcher.one_finished(), if more || dispatcher.full() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    let _ = tokio::time::timeout(timeout, dispatcher.finish()).await;
                    return;
                }
                continue;
            }
        }
        loop {
            let free =
                dispatcher.email.available_permits() + dispatcher.webhook.available_permits();
            match dispatcher.start_round().await {
                Ok(claimed) => {
                    more = claimed > 0 && claimed >= free.min(batch);
                    if !more || dispatcher.full() {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "dispatching notifications failed; will retry");
                    more = false;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
