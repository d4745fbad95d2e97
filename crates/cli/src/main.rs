//! `roundtable`: the one binary. Each subcommand is a thin shell around the
//! library crates; every option can also come from a `ROUNDTABLE_…`
//! environment variable, and flags win over the environment.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use roundtable_domain::credentials::{Password, TokenKind, issue_token};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_exchange::export::{ExportFormat, ExportKind, export};
use roundtable_exchange::{ImportMode, import_people};
use roundtable_server::{App, ServerConfig};
use roundtable_store::organizations::Organization;
use roundtable_store::people::NewPerson;
use roundtable_store::{Store, StoreOptions, redact_url};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "roundtable",
    version,
    about = "Internal customer relationship management"
)]
struct Cli {
    /// Log format on standard error.
    #[arg(
        long,
        global = true,
        env = "ROUNDTABLE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args)]
struct DatabaseArgs {
    /// `sqlite://PATH` (created when missing) or `postgres://USER:PASSWORD@HOST/DB`;
    /// default `sqlite://roundtable.db`.
    #[arg(long, env = "ROUNDTABLE_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// A file holding the database URL instead (a secret kept out of the
    /// environment, such as a container or systemd credential).
    #[arg(long, env = "ROUNDTABLE_DATABASE_FILE")]
    database_file: Option<PathBuf>,
    /// Connections to the database: the pool on PostgreSQL; the readers on
    /// SQLite, beside its one writer. Defaults to 16.
    #[arg(long, env = "ROUNDTABLE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_connections: Option<u32>,
}

const DEFAULT_DATABASE: &str = "sqlite://roundtable.db";

impl DatabaseArgs {
    /// The database URL: from `--database`/`ROUNDTABLE_DATABASE`, or read
    /// from `--database-file`/`ROUNDTABLE_DATABASE_FILE`, or the default.
    fn url(&self) -> Result<String> {
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
fn secret_from(value: Option<&str>, file: Option<&Path>, name: &str) -> Result<Option<String>> {
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
struct OrganizationArgs {
    /// The organization's slug; may be left out when the database holds only one.
    #[arg(long, env = "ROUNDTABLE_ORGANIZATION")]
    organization: Option<String>,
}

/// Where notifications go out.
#[derive(Clone, clap::Args)]
struct NotificationArgs {
    /// SMTP relay for email notifications (none: email is recorded as not
    /// sent, and shown on /admin/mail). smtps://USER:PASSWORD@smtp.example.com
    /// (implicit TLS, port 465), smtp://USER:PASSWORD@smtp.example.com:587?tls=required
    /// (STARTTLS), smtp://relay.internal:25 (plain; ?tls=opportunistic to use
    /// STARTTLS when offered). Percent-encode special characters of the password.
    #[arg(long, env = "ROUNDTABLE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// A file holding the SMTP relay's URL instead.
    #[arg(long, env = "ROUNDTABLE_SMTP_URL_FILE")]
    smtp_url_file: Option<PathBuf>,
    /// PEM certificate(s) to trust for the SMTP relay besides the system's
    /// roots (a private certificate authority).
    #[arg(long, env = "ROUNDTABLE_SMTP_CA_FILE")]
    smtp_ca_file: Option<PathBuf>,
    /// Email deliveries in flight at once (also the most SMTP connections kept open).
    #[arg(long, env = "ROUNDTABLE_EMAIL_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    email_concurrency: u32,
    /// Webhook calls in flight at once.
    #[arg(long, env = "ROUNDTABLE_WEBHOOK_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    webhook_concurrency: u32,
    /// How long one delivery attempt (an email or a webhook call) may take (seconds).
    #[arg(long, env = "ROUNDTABLE_DELIVERY_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=300))]
    delivery_timeout_seconds: u32,
    /// The sender of email notifications.
    #[arg(
        long,
        env = "ROUNDTABLE_MAIL_FROM",
        default_value = "Roundtable <roundtable@localhost>"
    )]
    mail_from: String,
    /// The address people reach the application at, for links in email and webhooks
    /// (default: http:// and the bind address).
    #[arg(long, env = "ROUNDTABLE_PUBLIC_URL")]
    public_url: Option<String>,
    /// How long a claimed delivery stays with this instance before another
    /// may take it over (seconds).
    #[arg(long, env = "ROUNDTABLE_DISPATCH_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    dispatch_lease_seconds: u32,
    /// Let webhooks reach loopback, private, link-local and other non-public
    /// addresses (refused by default: a webhook must not reach what only this
    /// server can, such as a cloud metadata service).
    #[arg(long, env = "ROUNDTABLE_ALLOW_PRIVATE_WEBHOOKS")]
    allow_private_webhooks: bool,
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
enum Command {
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
enum Format {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
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
enum UserCommand {
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
enum TokenCommand {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn open(database: &DatabaseArgs) -> Result<Store> {
    let mut options = StoreOptions::default();
    if let Some(connections) = database.max_connections {
        options.max_connections = connections;
    }
    let url = database.url()?;
    let store = Store::connect(&url, &options)
        .await
        .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(store)
}

async fn organization(store: &Store, args: &OrganizationArgs) -> Result<Organization> {
    match &args.organization {
        Some(slug) => store
            .find_organization_by_slug(slug)
            .await?
            .ok_or_else(|| anyhow!("no organization with slug {slug:?}")),
        None => {
            let mut organizations = store.list_organizations().await?;
            match organizations.len() {
                1 => Ok(organizations.remove(0)),
                0 => bail!(
                    "the database holds no organization yet: run `roundtable demo` or `roundtable user create --organization SLUG …`"
                ),
                _ => bail!(
                    "the database holds several organizations; name one with --organization: {}",
                    organizations
                        .iter()
                        .map(|organization| organization.slug.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    }
}

async fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Serve {
            bind,
            database,
            demo,
            secure_cookies,
            notifications,
            sso,
        } => serve(bind, database, demo, secure_cookies, notifications, sso).await,
        Command::Migrate { database } => {
            let store = open(&database).await?;
            println!("database {} is up to date", redact_url(&database.url()?));
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { database, seed } => {
            let store = open(&database).await?;
            let summary = roundtable_demo::generate(&store, seed).await?;
            println!(
                "created {} with {} departments, {} people and {} calendars",
                summary.organization.name, summary.departments, summary.people, summary.calendars
            );
            print_demo_login(None);
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            what:
                ImportCommand::People {
                    file,
                    partial,
                    organization: organization_args,
                    database,
                },
        } => {
            let store = open(&database).await?;
            let organization = organization(&store, &organization_args).await?;
            let code = import_people_file(&store, &organization, &file, partial).await?;
            store.close().await;
            Ok(code)
        }
        Command::Export {
            kind,
            format,
            output,
            organization: organization_args,
            database,
        } => {
            let store = open(&database).await?;
            let organization = organization(&store, &organization_args).await?;
            let kind =
                ExportKind::parse(&kind).ok_or_else(|| anyhow!("unknown export kind {kind}"))?;
            let format = match format {
                Format::Csv => ExportFormat::Csv,
                Format::Json => ExportFormat::Json,
            };
            let rows = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    export(
                        store.scoped(organization.id),
                        kind,
                        format,
                        std::io::BufWriter::new(file),
                    )
                    .await?
                }
                None => {
                    export(
                        store.scoped(organization.id),
                        kind,
                        format,
                        std::io::stdout().lock(),
                    )
                    .await?
                }
            };
            tracing::info!(rows, kind = kind.name(), "export written");
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { path, database } => {
            let store = open(&database).await?;
            store.backup_to(&path).await?;
            println!("backup written to {}", path.display());
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            action:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    organization_name,
                    password_stdin,
                    organization: organization_args,
                    database,
                },
        } => {
            let store = open(&database).await?;
            let email = Email::parse(&email).map_err(|error| anyhow!("--email {error}"))?;
            let name = Label::parse(&name).map_err(|error| anyhow!("--name {error}"))?;
            let role = Role::parse(&role).map_err(|error| anyhow!("--role {error}"))?;
            let organization = match &organization_args.organization {
                Some(slug) => match store.find_organization_by_slug(slug).await? {
                    Some(organization) => organization,
                    None => {
                        let slug =
                            Slug::parse(slug).map_err(|error| anyhow!("--organization {error}"))?;
                        let display = organization_name
                            .clone()
                            .unwrap_or_else(|| slug.to_string());
                        let display = Label::parse(&display)
                            .map_err(|error| anyhow!("--organization-name {error}"))?;
                        let created = store.create_organization(slug, display).await?;
                        eprintln!("created organization {}", created.slug);
                        created
                    }
                },
                None => organization(&store, &organization_args).await?,
            };
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                let secret = issue_token(TokenKind::Session).secret;
                (
                    secret
                        .expose()
                        .trim_start_matches("rts_")
                        .chars()
                        .take(20)
                        .collect(),
                    true,
                )
            };
            let hash = Password::parse_for(&password, email.as_str(), &[name.as_str()])
                .map_err(|errors| {
                    let messages: Vec<String> =
                        errors.0.into_iter().map(|error| error.message).collect();
                    anyhow!("password {}", messages.join("; "))
                })?
                .hash()?;
            let person = store
                .scoped(organization.id)
                .create_person(NewPerson {
                    email,
                    name,
                    title: None,
                    department_id: None,
                    role,
                    password_hash: Some(hash),
                })
                .await?;
            println!(
                "created {} ({}) in {} as {}",
                person.name, person.email, organization.slug, person.role
            );
            if generated {
                println!("password: {password}");
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            action:
                TokenCommand::Create {
                    email,
                    name,
                    expires_in_days,
                    scopes,
                    organization: organization_args,
                    database,
                },
        } => {
            let scopes = roundtable_domain::credentials::TokenScopes::parse(&scopes)
                .map_err(|error| anyhow!(error))?;
            let store = open(&database).await?;
            let organization = organization(&store, &organization_args).await?;
            let scoped = store.scoped(organization.id);
            let email = Email::parse(&email).map_err(|error| anyhow!("--email {error}"))?;
            let person = scoped
                .person_by_email(&email)
                .await?
                .ok_or_else(|| anyhow!("nobody with email {email} in {}", organization.slug))?;
            if !person.active {
                bail!("{email} is deactivated");
            }
            let expires_at = match expires_in_days {
                Some(days) => Some(
                    jiff::Timestamp::now()
                        .checked_add(jiff::SignedDuration::from_hours(i64::from(days) * 24))?,
                ),
                None => None,
            };
            let issued = issue_token(TokenKind::Api);
            scoped
                .create_api_token(person.id, name, issued.digest, expires_at, scopes)
                .await?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", issued.secret.expose())?;
            stdout.flush()?;
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_demo_login(address: Option<&str>) {
    let address = address.unwrap_or("http://127.0.0.1:8080");
    println!(
        "Demo organization: sign in at {address} as {} with password {}",
        roundtable_demo::ADMIN_EMAIL,
        roundtable_demo::PASSWORD
    );
    println!(
        "Every demo person (see GET /api/v1/people) uses the same password. For the API: roundtable token create --email {}",
        roundtable_demo::ADMIN_EMAIL
    );
}

async fn import_people_file(
    store: &Store,
    organization: &Organization,
    file: &PathBuf,
    partial: bool,
) -> Result<ExitCode> {
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let total = count_lines(file).saturating_sub(1);
    let progress = Arc::new(AtomicU64::new(0));
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:30}] {pos}/{len} rows ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mode = if partial {
        ImportMode::Partial
    } else {
        ImportMode::AllOrNothing
    };
    let import = import_people(
        store.scoped(organization.id),
        std::io::BufReader::new(input),
        mode,
        progress.clone(),
    );
    tokio::pin!(import);
    let report = loop {
        tokio::select! {
            report = &mut import => break report,
            _ = tokio::time::sleep(Duration::from_millis(100)) => bar.set_position(progress.load(Ordering::Relaxed)),
        }
    };
    bar.finish_and_clear();
    let report = report?;
    for error in &report.errors {
        eprintln!("{error}");
    }
    if report.applied {
        println!(
            "imported {} rows into {}: {} people created, {} updated, {} departments created{}",
            report.summary.people_created + report.summary.people_updated,
            organization.slug,
            report.summary.people_created,
            report.summary.people_updated,
            report.summary.departments_created,
            if report.errors.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} bad rows skipped",
                    roundtable_exchange::people_import::bad_rows(&report.errors)
                )
            }
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "nothing imported: {} of {} rows are bad (fix them, or pass --partial to import the good rows)",
            roundtable_exchange::people_import::bad_rows(&report.errors),
            report.rows
        );
        Ok(ExitCode::FAILURE)
    }
}

fn count_lines(file: &PathBuf) -> u64 {
    std::fs::File::open(file)
        .map(|file| std::io::BufReader::new(file).lines().count() as u64)
        .unwrap_or(0)
}

/// Single sign-on through an OpenID Connect provider: all of issuer, client
/// id, client secret, redirect URL and organization, or none.
#[derive(clap::Args)]
struct SsoArgs {
    /// The provider's issuer URL (its discovery document is read from ISSUER/.well-known/openid-configuration).
    #[arg(long, env = "ROUNDTABLE_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// The client id registered at the provider.
    #[arg(long, env = "ROUNDTABLE_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// The client secret (prefer the environment variable, or its file, to the flag).
    #[arg(long, env = "ROUNDTABLE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// A file holding the client secret instead.
    #[arg(long, env = "ROUNDTABLE_OIDC_CLIENT_SECRET_FILE")]
    oidc_client_secret_file: Option<PathBuf>,
    /// This server's callback as registered at the provider: https://HOST/auth/oidc/callback.
    #[arg(long, env = "ROUNDTABLE_OIDC_REDIRECT_URL")]
    oidc_redirect_url: Option<String>,
    /// The organization (slug) whose people sign in through the provider.
    #[arg(long, env = "ROUNDTABLE_OIDC_ORGANIZATION")]
    oidc_organization: Option<String>,
    /// The provider's name on the sign-in page ("Sign in with NAME").
    #[arg(long, env = "ROUNDTABLE_OIDC_NAME", default_value = "single sign-on")]
    oidc_name: String,
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
    fn config(self) -> Result<Option<roundtable_server::sso::OidcConfig>> {
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

async fn serve(
    bind: String,
    database: DatabaseArgs,
    demo: bool,
    secure_cookies: bool,
    notifications: NotificationArgs,
    sso: SsoArgs,
) -> Result<ExitCode> {
    let oidc = sso.config()?;
    let smtp_url = secret_from(
        notifications.smtp_url.as_deref(),
        notifications.smtp_url_file.as_deref(),
        "ROUNDTABLE_SMTP_URL",
    )?;
    let delivery_timeout =
        std::time::Duration::from_secs(u64::from(notifications.delivery_timeout_seconds));
    let smtp_options = roundtable_worker::dispatch::SmtpOptions {
        extra_roots_pem: notifications
            .smtp_ca_file
            .as_deref()
            .map(|path| {
                std::fs::read(path).with_context(|| {
                    format!("cannot read ROUNDTABLE_SMTP_CA_FILE {}", path.display())
                })
            })
            .transpose()?,
        pool_size: Some(notifications.email_concurrency),
        command_timeout: Some(delivery_timeout),
    };
    if smtp_url.is_none() && smtp_options.extra_roots_pem.is_some() {
        bail!("ROUNDTABLE_SMTP_CA_FILE is set but no SMTP relay is (ROUNDTABLE_SMTP_URL)");
    }
    let mail = smtp_url
        .as_deref()
        .map(|url| {
            roundtable_worker::dispatch::MailSettings::build(
                url,
                &notifications.mail_from,
                &smtp_options,
            )
        })
        .transpose()
        .map_err(|error| anyhow!("the SMTP relay: {error}"))?;
    let store = open(&database).await?;
    if demo {
        let organizations = store.list_organizations().await?;
        if organizations.is_empty() {
            let summary = roundtable_demo::generate(&store, roundtable_demo::DEFAULT_SEED).await?;
            println!(
                "Created the demo organization {}: {} departments, {} people.",
                summary.organization.name, summary.departments, summary.people
            );
        } else if !organizations
            .iter()
            .any(|organization| organization.slug == roundtable_demo::ORGANIZATION_SLUG)
        {
            println!("The database is not empty, so no demo organization was created.");
        }
    }
    if let Some(oidc) = &oidc
        && store
            .find_organization_by_slug(&oidc.organization)
            .await?
            .is_none()
    {
        return Err(anyhow!(
            "single sign-on: there is no organization {:?} (ROUNDTABLE_OIDC_ORGANIZATION)",
            oidc.organization
        ));
    }
    let config = ServerConfig {
        bind,
        secure_cookies,
        oidc,
        allow_private_webhooks: notifications.allow_private_webhooks,
        ..ServerConfig::default()
    };
    let app = App::build(config, store.clone())
        .await
        .context("cannot listen")?;
    let address = app.local_addr()?;
    if demo
        && store
            .find_organization_by_slug(roundtable_demo::ORGANIZATION_SLUG)
            .await?
            .is_some()
    {
        print_demo_login(Some(&format!("http://{address}")));
    }
    println!(
        "Roundtable is serving on http://{address} (database {})",
        redact_url(&database.url()?)
    );
    std::io::stdout().flush()?;

    let (stop_sender, stop_receiver) = tokio::sync::watch::channel(false);
    let mut worker_config = roundtable_worker::WorkerConfig::default();
    worker_config.dispatch.mail = mail;
    worker_config.dispatch.timeout = delivery_timeout;
    worker_config.dispatch.email_concurrency = notifications.email_concurrency as usize;
    worker_config.dispatch.webhook_concurrency = notifications.webhook_concurrency as usize;
    worker_config.dispatch.allow_private_webhooks = notifications.allow_private_webhooks;
    worker_config.dispatch.lease =
        jiff::SignedDuration::from_secs(i64::from(notifications.dispatch_lease_seconds));
    worker_config.dispatch.public_url = notifications
        .public_url
        .unwrap_or_else(|| format!("http://{address}"))
        .trim_end_matches('/')
        .to_owned();
    let worker = tokio::spawn(roundtable_worker::run(
        store.clone(),
        worker_config,
        stop_receiver,
    ));
    app.run(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
    .await?;
    let _ = stop_sender.send(true);
    let _ = worker.await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
