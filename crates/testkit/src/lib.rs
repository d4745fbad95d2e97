//! Test support shared by every crate's tests: a throwaway database per test.
//!
//! The backend is chosen once per test run by the environment, so the same
//! suite runs whole on each: with `ROUNDTABLE_TEST_POSTGRES` set to an admin
//! URL (`postgres://postgres@127.0.0.1:PORT/postgres`) every test gets its own
//! fresh PostgreSQL database, dropped afterwards; otherwise every test gets its
//! own SQLite file in a temporary folder, removed afterwards.
//!
//! Beside it, what tests of several crates set up alike: the organization
//! "acme", people and departments to create in it, every request read back,
//! and the test SMTP server's settings and Maildir.

use rand::Rng;
use roundtable_domain::ids::PersonId;
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_store::departments::NewDepartment;
use roundtable_store::organizations::Organization;
use roundtable_store::people::NewPerson;
use roundtable_store::requests::{Request, RequestFilter};
use roundtable_store::{PageRequest, Scoped, Store, StoreOptions};
use sqlx::Connection;

/// The environment variable that selects PostgreSQL for the test run.
pub const POSTGRES_ENV: &str = "ROUNDTABLE_TEST_POSTGRES";

/// The backend this test run uses: `"postgres"` or `"sqlite"`.
pub fn backend_name() -> &'static str {
    if postgres_admin_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// Creates an empty database on the run's backend.
    ///
    /// # Panics
    /// When PostgreSQL was asked for but cannot be reached: a test run must not
    /// silently fall back to the other backend.
    pub async fn create() -> Self {
        match postgres_admin_url() {
            Some(admin_url) => {
                let name = format!("roundtable_test_{:016x}", rand::rng().random::<u64>());
                let mut connection = match sqlx::PgConnection::connect(&admin_url).await {
                    Ok(connection) => connection,
                    Err(error) => {
                        panic!("cannot reach the test PostgreSQL at {admin_url}: {error}")
                    }
                };
                if let Err(error) = sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut connection)
                    .await
                {
                    panic!("cannot create test database {name}: {error}");
                }
                let _ = connection.close().await;
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("{POSTGRES_ENV} must end in /DATABASE"),
                };
                Self {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            None => {
                let directory = match tempfile::tempdir() {
                    Ok(directory) => directory,
                    Err(error) => panic!("cannot create a temporary folder: {error}"),
                };
                let url = format!(
                    "sqlite://{}",
                    directory.path().join("roundtable.db").display()
                );
                Self {
                    url,
                    cleanup: Cleanup::Sqlite(directory),
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let store = match Store::connect(&self.url, &StoreOptions::default()).await {
            Ok(store) => store,
            Err(error) => panic!("cannot connect to {}: {error}", self.url),
        };
        if let Err(error) = store.migrate().await {
            panic!("cannot migrate {}: {error}", self.url);
        }
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let admin_url = admin_url.clone();
            let name = name.clone();
            // Drop runs inside the test's runtime, which cannot be blocked on;
            // a short-lived thread with its own runtime does the async work.
            let dropper = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(mut connection) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut connection)
                                .await;
                        let _ = connection.close().await;
                    }
                });
            });
            let _ = dropper.join();
        }
    }
}

/// Creates the organization most tests work in, "acme" ("Acme").
///
/// # Panics
/// When the store refuses it.
pub async fn acme(store: &Store) -> Organization {
    let (Ok(slug), Ok(name)) = (Slug::parse("acme"), Label::parse("Acme")) else {
        panic!("\"acme\" and \"Acme\" are a valid slug and name");
    };
    match store.create_organization(slug, name).await {
        Ok(organization) => organization,
        Err(error) => panic!("cannot create organization acme: {error}"),
    }
}

/// A person to create with `Scoped::create_person`: in no department, with
/// no title and no password.
///
/// # Panics
/// When `email` or `name` is not valid.
pub fn person(email: &str, name: &str, role: Role) -> NewPerson {
    let (Ok(email), Ok(name)) = (Email::parse(email), Label::parse(name)) else {
        panic!("{email:?} and {name:?} must be a valid email and name");
    };
    NewPerson {
        email,
        name,
        title: None,
        department_id: None,
        role,
        password_hash: None,
    }
}

/// A top-level department to create with `Scoped::create_department`: no
/// calendar, not customer-facing.
///
/// # Panics
/// When `slug` or `name` is not valid.
pub fn department(slug: &str, name: &str, lead_ids: Vec<PersonId>) -> NewDepartment {
    let (Ok(slug), Ok(name)) = (Slug::parse(slug), Label::parse(name)) else {
        panic!("{slug:?} and {name:?} must be a valid slug and name");
    };
    NewDepartment {
        slug,
        name,
        parent_id: None,
        calendar_id: None,
        customer_facing: false,
        lead_ids,
    }
}

/// Every request of `scoped`, read page by page as a client would.
///
/// # Panics
/// When a page cannot be read.
pub async fn all_requests(scoped: &Scoped<'_>) -> Vec<Request> {
    let mut requests = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = match scoped.list_requests(RequestFilter::default(), page).await {
            Ok(listing) => listing,
            Err(error) => panic!("cannot list requests: {error}"),
        };
        requests.extend(listing.items);
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => return requests,
        }
    }
}

/// The value of an environment variable a test cannot run without (the
/// address of a test server `scripts/test` starts, say).
///
/// # Panics
/// When it is unset or empty: `{name} is not set: {help}`, so that the test
/// fails, saying how to run it, rather than passes untested.
pub fn required_env(name: &str, help: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{name} is not set: {help}"),
    }
}

/// The messages a test SMTP server wrote to the Maildir `maildir` that
/// mention `recipient` (none while the folder does not exist).
pub fn messages_to(maildir: &std::path::Path, recipient: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter(|message| message.contains(recipient))
        .collect()
}
