//! The store's own tests: URLs, migrations, durability, references, pages.

use super::*;

#[test]
fn urls_choose_the_backend_and_hide_passwords() {
    assert_eq!(
        Backend::from_url("sqlite://x.db").ok(),
        Some(Backend::Sqlite)
    );
    assert_eq!(
        Backend::from_url("postgres://h/db").ok(),
        Some(Backend::Postgres)
    );
    assert!(Backend::from_url("mysql://h/db").is_err());
    assert_eq!(
        redact_url("postgres://app:hunter2@db:5432/rt"),
        "postgres://app:***@db:5432/rt"
    );
    assert_eq!(
        sqlite_url_creating_file("sqlite://a.db"),
        "sqlite://a.db?mode=rwc"
    );
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let versions = Store::migration_versions;
    assert!(!versions(Backend::Sqlite).is_empty());
    assert_eq!(versions(Backend::Sqlite), versions(Backend::Postgres));
}

/// SQLite only: these are SQLite's per-connection settings (write-ahead
/// log, a full sync at every commit, foreign keys, a busy timeout), which
/// SQLite leaves off unless each connection asks. PostgreSQL has no such
/// switches per connection: it always enforces references (checked on
/// both backends by the test below), and its durability is the server's
/// `fsync` and `synchronous_commit`, which `scripts/test` turns off on its
/// throwaway server for speed, so no test here could assert them.
#[tokio::test]
async fn sqlite_connections_are_durable_and_enforce_references() {
    let folder = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let url = format!("sqlite://{}", folder.path().join("durable.db").display());
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    for pool in [&store.read, &store.write] {
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap_or_default();
        assert_eq!(journal, "wal");
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap_or_default();
        assert_eq!(synchronous, 2, "FULL: a commit survives power loss");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .unwrap_or_default();
        assert_eq!(foreign_keys, 1);
        let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(pool)
            .await
            .unwrap_or_default();
        assert!(busy_timeout >= 1000);
    }
    store.close().await;
}

/// A fresh, migrated database on the run's backend. Only its URL comes
/// from roundtable-testkit: its own `Store` would be another build of
/// this crate. Keep the database alive as long as the store.
pub(crate) async fn migrated_test_store() -> (roundtable_testkit::TestDatabase, Store) {
    let database = roundtable_testkit::TestDatabase::create().await;
    let store = Store::connect(database.url(), &StoreOptions::default())
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    (database, store)
}

/// On the run's backend (a fresh database from roundtable-testkit, as
/// every other test gets): the database itself refuses a row that
/// refers to nothing, here a person in a department that does not exist,
/// while the same row without the department is taken.
#[tokio::test]
async fn the_database_refuses_a_reference_to_nothing() {
    let (_database, store) = migrated_test_store().await;
    let organization = store
        .create_organization(
            roundtable_domain::text::Slug::parse("acme").unwrap_or_else(|_| panic!("slug")),
            roundtable_domain::text::Label::parse("Acme").unwrap_or_else(|_| panic!("name")),
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let insert = |email: &'static str, department: Option<i64>| {
        let organization = organization.id.0;
        store.write(move |transaction| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO people (organization_id, email, name, department_id, \
                        role, created_at, updated_at) VALUES ($1, $2, 'Someone', $3, \
                        'member', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                )
                .bind(organization)
                .bind(email)
                .bind(department)
                .execute(&mut **transaction)
                .await?;
                Ok(())
            })
        })
    };
    let refused = insert("nowhere@acme.test", Some(987_654)).await;
    assert!(
        refused.is_err(),
        "a person in a department that does not exist was stored"
    );
    insert("somewhere@acme.test", None)
        .await
        .unwrap_or_else(|error| panic!("the same row without a department: {error}"));
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM people ORDER BY email")
        .fetch_all(store.reader())
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(emails, ["somewhere@acme.test"]);
    store.close().await;
}

#[test]
fn a_page_knows_whether_more_follow() {
    let page = PageRequest {
        after: None,
        limit: 2,
    };
    let listing = page.into_listing(vec![1, 2, 3], |value| *value);
    assert_eq!(listing.items, [1, 2]);
    assert_eq!(listing.next_after, Some(2));
    let last = page.into_listing(vec![4, 5], |value| *value);
    assert_eq!(last.next_after, None);
}
