//! The `roundtable` binary as a person or a script uses it, against a real
//! database of the run's backend.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use roundtable_domain::credentials::token_digest;
use roundtable_domain::text::Email;
use roundtable_store::people::PeopleFilter;
use roundtable_store::{PageRequest, Store};
use roundtable_testkit::TestDatabase;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn roundtable(database: &TestDatabase, arguments: &[&str]) -> Output {
    roundtable_with_input(database, arguments, "")
}

fn roundtable_with_input(database: &TestDatabase, arguments: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roundtable"))
        .args(arguments)
        .env("ROUNDTABLE_DATABASE", database.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start roundtable");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().expect("run roundtable")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_file(directory: &Path, name: &str, contents: &str) -> String {
    let path = directory.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// The arguments of `user create` for "The Boss" (`email`), administrator of
/// a new organization "acme", followed by `more`.
fn create_the_boss<'a>(email: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut arguments = vec![
        "user",
        "create",
        "--organization",
        "acme",
        "--organization-name",
        "Acme Corp",
        "--email",
        email,
        "--name",
        "The Boss",
        "--role",
        "admin",
    ];
    arguments.extend_from_slice(more);
    arguments
}

/// `token create` for boss@acme.test with one `scope`.
fn boss_token_with_scope(database: &TestDatabase, scope: &str) -> Output {
    roundtable(
        database,
        &[
            "token",
            "create",
            "--email",
            "boss@acme.test",
            "--scope",
            scope,
        ],
    )
}

/// GETs `url` with the API `token` and returns the JSON it answers.
async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> serde_json::Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Creates organization "acme" with an administrator through the CLI.
fn bootstrap(database: &TestDatabase) {
    let output = roundtable_with_input(
        database,
        &create_the_boss("Boss@Acme.test", &["--password-stdin"]),
        "a sufficiently long password\n",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("boss@acme.test"),
        "{}",
        text(&output.stdout)
    );
}

async fn people(store: &Store) -> Vec<roundtable_store::people::Person> {
    let organization = store
        .find_organization_by_slug("acme")
        .await
        .unwrap()
        .unwrap();
    let scoped = store.scoped(organization.id);
    let mut everyone = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = scoped
            .list_people(PeopleFilter::default(), page)
            .await
            .unwrap();
        everyone.extend(listing.items);
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => return everyone,
        }
    }
}

async fn department_names(store: &Store) -> Vec<String> {
    let organization = store
        .find_organization_by_slug("acme")
        .await
        .unwrap()
        .unwrap();
    let listing = store
        .scoped(organization.id)
        .list_departments(PageRequest::first(200))
        .await
        .unwrap();
    listing
        .items
        .into_iter()
        .map(|department| department.name)
        .collect()
}

const GOOD_CSV: &str = "email,name,title,department,parent_department,role\n\
ada@acme.test,Ada Lovelace,Analyst,Finance,,lead\n\
alan@acme.test,Alan Turing,Engineer,Platform,IT,member\n\
grace@acme.test,Grace Hopper,,IT,,\n";

#[tokio::test]
async fn importing_people_is_all_or_nothing_unless_partial_and_upserts_by_email() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let folder = tempfile::tempdir().unwrap();

    let bad = write_file(
        folder.path(),
        "bad.csv",
        "email,name,role\nok@acme.test,Okay Person,member\nnot-an-email,Bad Email,member\nok2@acme.test,,boss\n",
    );
    let output = roundtable(&database, &["import", "people", &bad]);
    assert!(!output.status.success());
    let errors = text(&output.stderr);
    assert!(errors.contains("line 3: email:"), "{errors}");
    assert!(
        errors.contains("line 4: name:") && errors.contains("line 4: role:"),
        "{errors}"
    );
    assert!(text(&output.stdout).contains("nothing imported"));
    let store = database.store().await;
    assert_eq!(
        people(&store).await.len(),
        1,
        "only the bootstrap admin: nothing was applied"
    );

    let output = roundtable(&database, &["import", "people", &bad, "--partial"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("line 3: email:"));
    let emails: Vec<String> = people(&store)
        .await
        .into_iter()
        .map(|person| person.email)
        .collect();
    assert_eq!(emails, ["boss@acme.test", "ok@acme.test"]);

    let good = write_file(folder.path(), "good.csv", GOOD_CSV);
    let output = roundtable(&database, &["import", "people", &good]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("3 people created, 0 updated, 3 departments created"),
        "{}",
        text(&output.stdout)
    );
    let mut names = department_names(&store).await;
    names.sort();
    assert_eq!(names, ["Finance", "IT", "Platform"]);

    let changed = write_file(
        folder.path(),
        "changed.csv",
        "email,name,title,department\nADA@acme.test,Ada King,Head of Analysis,Finance\n",
    );
    let output = roundtable(&database, &["import", "people", &changed]);
    assert!(
        text(&output.stdout).contains("0 people created, 1 updated"),
        "{}",
        text(&output.stdout)
    );
    let ada = people(&store)
        .await
        .into_iter()
        .find(|person| person.email == "ada@acme.test")
        .unwrap();
    assert_eq!(ada.name, "Ada King");
    assert_eq!(ada.title.as_deref(), Some("Head of Analysis"));
    assert_eq!(
        ada.role.as_str(),
        "lead",
        "an empty role keeps the existing one"
    );
    assert_eq!(people(&store).await.len(), 5);
}

/// New people go in as multi-row statements and existing ones are found in
/// batches: a second import longer than one statement, half of it people the
/// first import created, updates exactly those and creates the rest.
#[tokio::test]
async fn a_long_import_updates_the_people_it_finds_and_creates_the_rest() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let folder = tempfile::tempdir().unwrap();
    let rows = |range: std::ops::Range<usize>, label: &str| {
        let mut csv = String::from("email,name,department\n");
        for index in range {
            csv.push_str(&format!(
                "person{index}@acme.test,{label} {index},Team {}\n",
                index % 7
            ));
        }
        csv
    };
    let first = write_file(folder.path(), "first.csv", &rows(0..700, "Person"));
    let output = roundtable(&database, &["import", "people", &first]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let second = write_file(folder.path(), "second.csv", &rows(350..1_400, "Renamed"));
    let output = roundtable(&database, &["import", "people", &second]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("700 people created, 350 updated, 0 departments created"),
        "{}",
        text(&output.stdout)
    );
    let store = database.store().await;
    let everyone = people(&store).await;
    assert_eq!(
        everyone.len(),
        1_401,
        "1,400 imported and the bootstrap admin"
    );
    let name = |email: &str| {
        everyone
            .iter()
            .find(|person| person.email == email)
            .map(|person| person.name.clone())
    };
    assert_eq!(name("person349@acme.test").as_deref(), Some("Person 349"));
    assert_eq!(name("person350@acme.test").as_deref(), Some("Renamed 350"));
    assert_eq!(name("person699@acme.test").as_deref(), Some("Renamed 699"));
    assert_eq!(
        name("person1399@acme.test").as_deref(),
        Some("Renamed 1399")
    );
}

#[tokio::test]
async fn a_file_without_the_required_columns_is_refused_whole() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let folder = tempfile::tempdir().unwrap();
    let file = write_file(
        folder.path(),
        "columns.csv",
        "full name,title\nAda,Analyst\n",
    );
    let output = roundtable(&database, &["import", "people", &file]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("email"),
        "{}",
        text(&output.stderr)
    );
    let missing = roundtable(&database, &["import", "people", "/nonexistent/people.csv"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("cannot open"));
}

#[tokio::test]
async fn a_token_printed_alone_authenticates_its_person() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let output = roundtable(&database, &["token", "create", "--email", "boss@acme.test"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "only the token: {stdout}");
    let token = stdout.trim();
    let store = database.store().await;
    let (actor, grant) = store
        .actor_for_token(&token_digest(token), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(actor.email, "boss@acme.test");
    assert_eq!(
        grant.scopes,
        roundtable_domain::credentials::TokenScopes::ALL,
        "the command line issues every scope unless told"
    );
    let reader = boss_token_with_scope(&database, "read");
    assert!(reader.status.success(), "{}", text(&reader.stderr));
    let (_, grant) = store
        .actor_for_token(
            &token_digest(text(&reader.stdout).trim()),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grant.scopes.names(), ["read"]);
    let nonsense = boss_token_with_scope(&database, "root");
    assert!(!nonsense.status.success());

    let unknown = roundtable(
        &database,
        &["token", "create", "--email", "nobody@acme.test"],
    );
    assert!(!unknown.status.success());
    assert!(text(&unknown.stdout).is_empty());
}

#[tokio::test]
async fn exports_round_trip_through_import() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let folder = tempfile::tempdir().unwrap();
    let good = write_file(folder.path(), "good.csv", GOOD_CSV);
    assert!(
        roundtable(&database, &["import", "people", &good])
            .status
            .success()
    );

    let csv = roundtable(&database, &["export", "people"]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let csv = text(&csv.stdout);
    assert!(
        csv.starts_with("email,name,title,department,parent_department,role,active\n"),
        "{csv}"
    );
    assert!(
        csv.contains("alan@acme.test,Alan Turing,Engineer,Platform,IT,member,true"),
        "{csv}"
    );

    let json = roundtable(&database, &["export", "departments", "--format", "json"]);
    let departments: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let platform = departments
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "Platform")
        .unwrap();
    assert_eq!(platform["parent"], "IT");

    // The export is a valid import: re-importing it changes nothing but versions.
    let exported = write_file(folder.path(), "exported.csv", &csv);
    let output = roundtable(&database, &["import", "people", &exported]);
    assert!(
        text(&output.stdout).contains("0 people created, 4 updated, 0 departments created"),
        "{}",
        text(&output.stdout)
    );
}

#[tokio::test]
async fn backup_copies_a_live_sqlite_database() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("backup.db");
    let output = roundtable(&database, &["backup", target.to_str().unwrap()]);
    if roundtable_testkit::backend_name() == "postgres" {
        assert!(!output.status.success());
        assert!(
            text(&output.stderr).contains("pg_dump"),
            "{}",
            text(&output.stderr)
        );
        return;
    }
    assert!(output.status.success(), "{}", text(&output.stderr));
    let copy = roundtable_store::Store::connect(
        &format!("sqlite://{}", target.display()),
        &Default::default(),
    )
    .await
    .unwrap();
    let organization = copy
        .find_organization_by_slug("acme")
        .await
        .unwrap()
        .unwrap();
    let boss = copy
        .scoped(organization.id)
        .person_by_email(&Email::parse("boss@acme.test").unwrap())
        .await
        .unwrap();
    assert!(boss.is_some());
    let again = roundtable(&database, &["backup", target.to_str().unwrap()]);
    assert!(
        !again.status.success(),
        "an existing backup is never overwritten"
    );
}

#[tokio::test]
async fn serve_with_demo_answers_the_api_and_stops_gracefully() {
    let database = TestDatabase::create().await;
    let mut server = Command::new(env!("CARGO_BIN_EXE_roundtable"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("ROUNDTABLE_DATABASE", database.url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start server");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let address = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("Roundtable is serving on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert!(
        printed
            .iter()
            .any(|line| line.contains("admin@demo.example")),
        "{printed:?}"
    );

    let token = roundtable(
        &database,
        &["token", "create", "--email", "admin@demo.example"],
    );
    let token = text(&token.stdout).trim().to_owned();
    let client = reqwest::Client::new();
    let departments = get_json(&client, &format!("{address}/api/v1/departments"), &token).await;
    let slugs: Vec<&str> = departments["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["slug"].as_str())
        .collect();
    for expected in [
        "sales",
        "marketing",
        "customer-service",
        "finance",
        "operations",
        "it",
    ] {
        assert!(slugs.contains(&expected), "{expected} in {slugs:?}");
    }

    let matrix = get_json(&client, &format!("{address}/api/v1/matrix"), &token).await;
    assert!(
        matrix["summary"]["agreed"].as_u64().unwrap() >= 12,
        "{}",
        matrix["summary"]
    );
    assert_eq!(matrix["summary"]["reviews_overdue"], 1);
    // The demo's published password still opens it, though no one may choose it.
    let signed_in = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": "admin@demo.example", "password": "roundtable-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), reqwest::StatusCode::OK);

    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits cleanly: {exit:?}");
}

#[tokio::test]
async fn the_demo_is_made_once() {
    let database = TestDatabase::create().await;
    let first = roundtable(&database, &["demo"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("admin@demo.example"));
    let second = roundtable(&database, &["demo"]);
    assert!(!second.status.success());
    assert!(text(&second.stderr).contains("already exists"));
    let migrate = roundtable(&database, &["migrate"]);
    assert!(
        migrate.status.success(),
        "migrating twice is harmless: {}",
        text(&migrate.stderr)
    );
    // The measures the demo made export as CSV, pulse aggregates without any answer.
    let pulses = roundtable(&database, &["export", "pulses", "--organization", "demo"]);
    assert!(pulses.status.success(), "{}", text(&pulses.stderr));
    let csv = text(&pulses.stdout);
    assert!(csv.starts_with("round_id,round_name,scope,"), "{csv}");
    assert!(csv.lines().count() > 20);
    assert!(
        !csv.contains("without the context"),
        "comments never leave in an export"
    );
    let health = roundtable(
        &database,
        &[
            "export",
            "health",
            "--organization",
            "demo",
            "--format",
            "json",
        ],
    );
    assert!(health.status.success(), "{}", text(&health.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&health.stdout).unwrap();
    assert!(
        rows.as_array()
            .is_some_and(|rows| rows.iter().any(|row| row["health"].is_number()))
    );
}

#[tokio::test]
async fn user_create_keeps_the_password_policy_and_the_audit_log_exports() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    for (password, message) in [
        ("too short\n", "at least 12 characters"),
        ("password1234\n", "too easy to guess"),
        ("Welcome2026!\n", "too easy to guess"),
        ("new.person@acme.test\n", "must not be your email address"),
    ] {
        let refused = roundtable_with_input(
            &database,
            &[
                "user",
                "create",
                "--organization",
                "acme",
                "--email",
                "new.person@acme.test",
                "--name",
                "New Person",
                "--password-stdin",
            ],
            password,
        );
        assert!(!refused.status.success(), "{password} was accepted");
        let stderr = text(&refused.stderr);
        assert!(stderr.contains(message), "{password}: {stderr}");
    }

    let audit = roundtable(
        &database,
        &["export", "audit-log", "--organization", "acme"],
    );
    assert!(audit.status.success(), "{}", text(&audit.stderr));
    let audit = text(&audit.stdout);
    assert!(
        audit.starts_with(
            "id,created_at,actor_email,actor_person_id,action,subject_kind,subject_id,detail\n"
        ),
        "{audit}"
    );
    // The bootstrap's own account was created by the operator's tool: no actor, but a line.
    assert!(audit.lines().count() >= 2, "{audit}");
}

#[tokio::test]
async fn serve_refuses_an_incomplete_or_wrong_single_sign_on_configuration() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let complete = [
        ("ROUNDTABLE_OIDC_ISSUER", "https://login.acme.test"),
        ("ROUNDTABLE_OIDC_CLIENT_ID", "roundtable"),
        ("ROUNDTABLE_OIDC_CLIENT_SECRET", "a client secret"),
        (
            "ROUNDTABLE_OIDC_REDIRECT_URL",
            "https://roundtable.acme.test/auth/oidc/callback",
        ),
        ("ROUNDTABLE_OIDC_ORGANIZATION", "acme"),
    ];
    let serve = |settings: &[(&str, &str)]| {
        Command::new(env!("CARGO_BIN_EXE_roundtable"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("ROUNDTABLE_DATABASE", database.url())
            .env("RUST_LOG", "warn")
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run roundtable")
    };
    let partial = serve(&complete[..2]);
    assert!(!partial.status.success());
    assert!(
        text(&partial.stderr).contains("single sign-on needs all of"),
        "{}",
        text(&partial.stderr)
    );
    let mut unknown = complete.to_vec();
    unknown[4] = ("ROUNDTABLE_OIDC_ORGANIZATION", "nobody");
    let unknown = serve(&unknown);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("there is no organization \"nobody\""),
        "{}",
        text(&unknown.stderr)
    );
    let mut relative = complete.to_vec();
    relative[0] = ("ROUNDTABLE_OIDC_ISSUER", "login.acme.test");
    let relative = serve(&relative);
    assert!(!relative.status.success());
    let stderr = text(&relative.stderr);
    assert!(stderr.contains("OpenID Connect issuer"), "{stderr}");
    assert!(!stderr.contains("a client secret"), "{stderr}");
}

/// The binary with only the given environment variables of ours set.
fn roundtable_in(environment: &[(&str, &str)], arguments: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roundtable"));
    for (name, _) in std::env::vars() {
        if name.starts_with("ROUNDTABLE_") {
            command.env_remove(name);
        }
    }
    command
        .args(arguments)
        .envs(environment.iter().copied())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run roundtable")
}

#[tokio::test]
async fn help_never_shows_a_secret_and_secrets_can_come_from_files() {
    let secrets = [
        (
            "ROUNDTABLE_DATABASE",
            "postgres://roundtable:db-s3cret@db.internal/roundtable",
        ),
        (
            "ROUNDTABLE_SMTP_URL",
            "smtp://mailer:smtp-s3cret@mail.internal:25",
        ),
        ("ROUNDTABLE_OIDC_CLIENT_SECRET", "oidc-s3cret"),
    ];
    for arguments in [
        &["--help"][..],
        &["serve", "--help"],
        &["help", "serve"],
        &["migrate", "--help"],
        &["export", "--help"],
        &["user", "create", "--help"],
    ] {
        let output = roundtable_in(&secrets, arguments);
        assert!(
            output.status.success(),
            "{arguments:?}: {}",
            text(&output.stderr)
        );
        let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(
            !printed.contains("s3cret"),
            "{arguments:?} printed a secret:\n{printed}"
        );
    }
    let serve_help = text(&roundtable_in(&secrets, &["serve", "--help"]).stdout);
    for variable in [
        "ROUNDTABLE_DATABASE_FILE",
        "ROUNDTABLE_SMTP_URL_FILE",
        "ROUNDTABLE_OIDC_CLIENT_SECRET_FILE",
    ] {
        assert!(serve_help.contains(variable), "{variable}: {serve_help}");
    }

    // The database URL read from a file, its trailing line break dropped.
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().unwrap();
    let url_file = write_file(
        directory.path(),
        "database-url",
        &format!("{}\n", database.url()),
    );
    let file_only = [("ROUNDTABLE_DATABASE_FILE", url_file.as_str())];
    let migrated = roundtable_in(&file_only, &["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    assert!(text(&migrated.stdout).contains("is up to date"));
    let created = roundtable_in(&file_only, &create_the_boss("boss@acme.test", &[]));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let store = database.store().await;
    assert_eq!(
        people(&store).await.len(),
        1,
        "the person went into the file's database"
    );
    // Both ways at once is a mistake, said plainly.
    let both = roundtable_in(
        &[
            ("ROUNDTABLE_DATABASE_FILE", url_file.as_str()),
            ("ROUNDTABLE_DATABASE", database.url()),
        ],
        &["migrate"],
    );
    assert!(!both.status.success());
    assert!(
        text(&both.stderr).contains("not both"),
        "{}",
        text(&both.stderr)
    );
    let missing = roundtable_in(
        &[("ROUNDTABLE_DATABASE_FILE", "/nonexistent/url")],
        &["migrate"],
    );
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("ROUNDTABLE_DATABASE_FILE"));
}

/// The SMTP relay's URL may come from a file (`ROUNDTABLE_SMTP_URL_FILE`),
/// user and password included; lettre parses it at start, so a wrong one
/// stops `serve` at once, and neither the refusal nor the log shows the
/// password.
#[tokio::test]
async fn serve_reads_the_smtp_relay_from_a_file_and_never_prints_its_password() {
    let database = TestDatabase::create().await;
    bootstrap(&database);
    let directory = tempfile::tempdir().unwrap();
    let serve = |url: &str, extra: &[(&str, &str)]| {
        let file = write_file(directory.path(), "smtp-url", &format!("{url}\n"));
        let mut environment = vec![
            ("ROUNDTABLE_DATABASE", database.url()),
            ("ROUNDTABLE_SMTP_URL_FILE", file.as_str()),
        ];
        environment.extend_from_slice(extra);
        let environment: Vec<(String, String)> = environment
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let mut command = Command::new(env!("CARGO_BIN_EXE_roundtable"));
        for (name, _) in std::env::vars() {
            if name.starts_with("ROUNDTABLE_") {
                command.env_remove(name);
            }
        }
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .envs(environment)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start roundtable")
    };
    let refused = serve("http://mailer:smtp-s3cret@mail.internal", &[])
        .wait_with_output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("the SMTP relay"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
    let no_ca = serve(
        "smtp://mailer:smtp-s3cret@mail.internal:587?tls=required",
        &[("ROUNDTABLE_SMTP_CA_FILE", "/nonexistent/ca.pem")],
    )
    .wait_with_output()
    .unwrap();
    assert!(!no_ca.status.success());
    let stderr = text(&no_ca.stderr);
    assert!(stderr.contains("ROUNDTABLE_SMTP_CA_FILE"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");

    let mut server = serve(
        "smtp://mailer:smtp-s3cret@mail.internal:587?tls=required",
        &[],
    );
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let serving = line.starts_with("Roundtable is serving on ");
        printed.push(line);
        if serving {
            break;
        }
    }
    // The dispatcher says where email goes as it starts.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = server.wait_with_output().unwrap();
    printed.extend(lines.map_while(Result::ok));
    let printed = format!("{}\n{}", printed.join("\n"), text(&output.stderr));
    assert!(
        printed.contains("smtp://mailer:***@mail.internal:587?tls=required"),
        "{printed}"
    );
    assert!(!printed.contains("s3cret"), "{printed}");
}
