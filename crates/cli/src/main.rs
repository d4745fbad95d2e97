//! `roundtable`: the one binary. Each subcommand is a thin shell around the
//! library crates; every option can also come from a `ROUNDTABLE_…`
//! environment variable, and flags win over the environment.

mod options;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
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
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use options::{
    Cli, Command, DatabaseArgs, Format, ImportCommand, LogFormat, NotificationArgs,
    OrganizationArgs, SsoArgs, TokenCommand, UserCommand, secret_from,
};

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
