//! The command line's words: every subcommand and option, each also readable
//! from a `ROUNDTABLE_…` environment variable (flags win), and the secrets
//! among them never printed.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// Where the database is when nothing says otherwise: a SQLite file here.
pub(crate) const DEFAULT_DATABASE: &str = "sqlite://roundtable.db";

#[derive(Debug, Parser)]
#[command(
    name = "roundtable",
    version,
    about = "Internal customer relationship management"
)]
pub(crate) struct Cli {
    /// Log format on standard error.
    #[arg(
        long,
        global = true,
        env = "ROUNDTABLE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct DatabaseArgs {
    /// `sqlite://PATH` (created when missing) or `postgres://USER:PASSWORD@HOST/DB`;
    /// default `sqlite://roundtable.db`.
    #[arg(long, env = "ROUNDTABLE_DATABASE", hide_env_values = true)]
    pub(crate) database: Option<String>,
    /// A file holding the database URL instead (a secret kept out of the
    /// environment, such as a container or systemd credential).
    #[arg(long, env = "ROUNDTABLE_DATABASE_FILE")]
    pub(crate) database_file: Option<PathBuf>,
    /// Connections to the database: the pool on PostgreSQL; the readers on
    /// SQLite, beside its one writer. Defaults to 16.
    #[arg(long, env = "ROUNDTABLE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) max_connections: Option<u32>,
}

impl DatabaseArgs {
    /// The database URL: from `--database`/`ROUNDTABLE_DATABASE`, or read
    /// from `--database-file`/`ROUNDTABLE_DATABASE_FILE`, or the default.
    pub(crate) fn url(&self) -> Result<String> {
        secret_from(
            self.database.as_deref(),
            self.database_file.as_deref(),
            "ROUNDTABLE_DATABASE",
        )
        .map(|url| url.unwrap_or_else(|| DEFAULT_DATABASE.to_owned()))
    }
}

impl std::fmt::Debug for DatabaseArgs {
    // Never prints the URL, which may hold a password.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("DatabaseArgs")
            .field("database_file", &self.database_file)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// A secret given directly or as the path of a file holding it (`NAME_FILE`),
/// not both. A file's one trailing line break is not part of the secret.
pub(crate) fn secret_from(
    value: Option<&str>,
    file: Option<&Path>,
    name: &str,
) -> Result<Option<String>> {
    match (value, file) {
        (Some(_), Some(_)) => bail!("set {name} or {name}_FILE (or their options), not both"),
        (Some(value), None) => Ok(Some(value.to_owned())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {name}_FILE {}", path.display()))?;
            let text = text
                .strip_suffix('\n')
                .map(|text| text.strip_suffix('\r').unwrap_or(text))
                .unwrap_or(&text);
            Ok(Some(text.to_owned()))
        }
        (None, None) => Ok(None),
    }
}

#[derive(Debug, Args)]
pub(crate) struct OrganizationArgs {
    /// The organization's slug; may be left out when the database holds only one.
    #[arg(long, env = "ROUNDTABLE_ORGANIZATION")]
    pub(crate) organization: Option<String>,
}

/// Where notifications go out.
#[derive(Clone, clap::Args)]
pub(crate) struct NotificationArgs {
    /// SMTP relay for email notifications (none: email is recorded as not
    /// sent, and shown on /admin/mail). smtps://USER:PASSWORD@smtp.example.com
    /// (implicit TLS, port 465), smtp://USER:PASSWORD@smtp.example.com:587?tls=required
    /// (STARTTLS), smtp://relay.internal:25 (plain; ?tls=opportunistic to use
    /// STARTTLS when offered). Percent-encode special characters of the password.
    #[arg(long, env = "ROUNDTABLE_SMTP_URL", hide_env_values = true)]
    pub(crate) smtp_url: Option<String>,
    /// A file holding the SMTP relay's URL instead.
    #[arg(long, env = "ROUNDTABLE_SMTP_URL_FILE")]
    pub(crate) smtp_url_file: Option<PathBuf>,
    /// PEM certificate(s) to trust for the SMTP relay besides the system's
    /// roots (a private certificate authority).
    #[arg(long, env = "ROUNDTABLE_SMTP_CA_FILE")]
    pub(crate) smtp_ca_file: Option<PathBuf>,
    /// Email deliveries in flight at once (also the most SMTP connections kept open).
    #[arg(long, env = "ROUNDTABLE_EMAIL_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) email_concurrency: u32,
    /// Webhook calls in flight at once.
    #[arg(long, env = "ROUNDTABLE_WEBHOOK_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) webhook_concurrency: u32,
    /// How long one delivery attempt (an email or a webhook call) may take (seconds).
    #[arg(long, env = "ROUNDTABLE_DELIVERY_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=300))]
    pub(crate) delivery_timeout_seconds: u32,
    /// The sender of email notifications.
    #[arg(
        long,
        env = "ROUNDTABLE_MAIL_FROM",
        default_value = "Roundtable <roundtable@localhost>"
    )]
    pub(crate) mail_from: String,
    /// The address people reach the application at, for links in email and webhooks
    /// (default: http:// and the bind address).
    #[arg(long, env = "ROUNDTABLE_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// How long a claimed delivery stays with this instance before another
    /// may take it over (seconds).
    #[arg(long, env = "ROUNDTABLE_DISPATCH_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub(crate) dispatch_lease_seconds: u32,
    /// Let webhooks reach loopback, private, link-local and other non-public
    /// addresses (refused by default: a webhook must not reach what only this
    /// server can, such as a cloud metadata service).
    #[arg(long, env = "ROUNDTABLE_ALLOW_PRIVATE_WEBHOOKS")]
    pub(crate) allow_private_webhooks: bool,
}

impl std::fmt::Debug for NotificationArgs {
    // Never prints the SMTP URL, which may hold a password.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("NotificationArgs")
            .field("smtp_url_file", &self.smtp_url_file)
            .field("smtp_ca_file", &self.smtp_ca_file)
            .field("email_concurrency", &self.email_concurrency)
            .field("webhook_concurrency", &self.webhook_concurrency)
            .field("delivery_timeout_seconds", &self.delivery_timeout_seconds)
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .field("dispatch_lease_seconds", &self.dispatch_lease_seconds)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at start; the size does not matter
pub(crate) enum Command {
    /// Serve the web application and API (migrating the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ROUNDTABLE_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Create the demo organization if the database is empty.
        #[arg(long, env = "ROUNDTABLE_DEMO")]
        demo: bool,
        /// Mark session cookies Secure (serve over HTTPS or behind a TLS proxy).
        #[arg(long, env = "ROUNDTABLE_SECURE_COOKIES")]
        secure_cookies: bool,
        #[command(flatten)]
        notifications: NotificationArgs,
        #[command(flatten)]
        sso: SsoArgs,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Create the demo organization.
    Demo {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Seed for the generator; the same seed gives the same demo.
        #[arg(long, default_value_t = roundtable_demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Import data from a file.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export data as CSV or JSON.
    Export {
        /// What to export.
        #[arg(value_parser = ["people", "departments", "requests", "checks", "pulses", "health", "audit-log", "external-impact"])]
        kind: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        organization: OrganizationArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write a consistent copy of the (SQLite) database while it is in use.
    Backup {
        /// The new file to write.
        path: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Manage people's accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// People and departments from an HR system's CSV (upsert by email).
    People {
        file: PathBuf,
        /// Apply the good rows even if some rows are bad.
        #[arg(long)]
        partial: bool,
        #[command(flatten)]
        organization: OrganizationArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a person who can sign in. Creates the organization too when
    /// `--organization` names one that does not exist yet.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, executive, lead or member.
        #[arg(long, default_value = "member")]
        role: String,
        /// Name of a new organization (with `--organization`).
        #[arg(long)]
        organization_name: Option<String>,
        /// Read the password from the first line of standard input; otherwise one is generated and printed.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        organization: OrganizationArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue an API token for a person and print it, alone, on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "command line")]
        name: String,
        /// Days until it stops working; never when left out.
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// What it may do: read, write, admin (repeat or comma-separate); all three when left out.
        #[arg(long = "scope", value_delimiter = ',', default_values_t = ["read".to_owned(), "write".to_owned(), "admin".to_owned()])]
        scopes: Vec<String>,
        #[command(flatten)]
        organization: OrganizationArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Single sign-on through an OpenID Connect provider: all of issuer, client
/// id, client secret, redirect URL and organization, or none.
#[derive(clap::Args)]
pub(crate) struct SsoArgs {
    /// The provider's issuer URL (its discovery document is read from ISSUER/.well-known/openid-configuration).
    #[arg(long, env = "ROUNDTABLE_OIDC_ISSUER")]
    pub(crate) oidc_issuer: Option<String>,
    /// The client id registered at the provider.
    #[arg(long, env = "ROUNDTABLE_OIDC_CLIENT_ID")]
    pub(crate) oidc_client_id: Option<String>,
    /// The client secret (prefer the environment variable, or its file, to the flag).
    #[arg(long, env = "ROUNDTABLE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub(crate) oidc_client_secret: Option<String>,
    /// A file holding the client secret instead.
    #[arg(long, env = "ROUNDTABLE_OIDC_CLIENT_SECRET_FILE")]
    pub(crate) oidc_client_secret_file: Option<PathBuf>,
    /// This server's callback as registered at the provider: https://HOST/auth/oidc/callback.
    #[arg(long, env = "ROUNDTABLE_OIDC_REDIRECT_URL")]
    pub(crate) oidc_redirect_url: Option<String>,
    /// The organization (slug) whose people sign in through the provider.
    #[arg(long, env = "ROUNDTABLE_OIDC_ORGANIZATION")]
    pub(crate) oidc_organization: Option<String>,
    /// The provider's name on the sign-in page ("Sign in with NAME").
    #[arg(long, env = "ROUNDTABLE_OIDC_NAME", default_value = "single sign-on")]
    pub(crate) oidc_name: String,
}

impl std::fmt::Debug for SsoArgs {
    // Never prints the client secret.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SsoArgs")
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client_id", &self.oidc_client_id)
            .field("oidc_redirect_url", &self.oidc_redirect_url)
            .field("oidc_organization", &self.oidc_organization)
            .field("oidc_name", &self.oidc_name)
            .finish_non_exhaustive()
    }
}

impl SsoArgs {
    pub(crate) fn config(self) -> Result<Option<roundtable_server::sso::OidcConfig>> {
        match (
            self.oidc_issuer,
            self.oidc_client_id,
            secret_from(
                self.oidc_client_secret.as_deref(),
                self.oidc_client_secret_file.as_deref(),
                "ROUNDTABLE_OIDC_CLIENT_SECRET",
            )?,
            self.oidc_redirect_url,
            self.oidc_organization,
        ) {
            (None, None, None, None, None) => Ok(None),
            (
                Some(issuer),
                Some(client_id),
                Some(client_secret),
                Some(redirect_url),
                Some(organization),
            ) => {
                let config = roundtable_server::sso::OidcConfig {
                    issuer,
                    client_id,
                    client_secret: roundtable_domain::credentials::Secret::new(client_secret),
                    redirect_url,
                    organization,
                    display_name: self.oidc_name,
                };
                roundtable_server::sso::SingleSignOn::new(config.clone())
                    .map_err(|message| anyhow!("single sign-on: {message}"))?;
                Ok(Some(config))
            }
            _ => Err(anyhow!(
                "single sign-on needs all of ROUNDTABLE_OIDC_ISSUER, ROUNDTABLE_OIDC_CLIENT_ID, \
                 ROUNDTABLE_OIDC_CLIENT_SECRET, ROUNDTABLE_OIDC_REDIRECT_URL and \
                 ROUNDTABLE_OIDC_ORGANIZATION (or the matching --oidc-* options)"
            )),
        }
    }
}
