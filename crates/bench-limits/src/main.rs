//! Throwaway axum 0.8 + sqlx 0.8 server to measure the machine's limits.
//!
//! Routes:
//!   GET  /hello   small JSON, no DB
//!   POST /insert  JSON {"title","body"} -> INSERT ... RETURNING id -> {"id": n}
//!   GET  /list    newest 50 rows (keyset, `?before=<id>` optional) of a table seeded to 100k rows
//!
//! Environment:
//!   BIND          default 127.0.0.1:8002
//!   DATABASE_URL  default sqlite://limits.db  (or postgres://user@127.0.0.1:5433/db)
//!   SQLITE_SYNC   NORMAL (default) | FULL     (journal_mode is always WAL)
//!   READ_POOL     SQLite reader pool size, default 4
//!   WRITE_POOL    SQLite writer pool size, default 1 (single writer, as SQLite serialises writes)
//!   PG_POOL       PostgreSQL pool size, default 16
//!   SEED_ROWS     default 100000
use std::{
    str::FromStr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{
    FromRow, PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

#[derive(Clone)]
enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Pg(PgPool),
}

#[derive(Deserialize)]
struct NewItem {
    title: String,
    body: String,
}

#[derive(Serialize, FromRow)]
struct Item {
    id: i64,
    title: String,
    body: String,
    created_ms: i64,
}

#[derive(Deserialize)]
struct ListQuery {
    before: Option<i64>,
}

const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation \
ullamco laboris nisi ut aliquip.";

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_string())
}

fn env_num(key: &str, default: u32) -> u32 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn internal(e: sqlx::Error) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

async fn hello() -> Json<Value> {
    Json(json!({"ok": true, "service": "limits", "message": "hello"}))
}

async fn insert(
    State(db): State<Db>,
    Json(item): Json<NewItem>,
) -> Result<Json<Value>, (StatusCode, String)> {
    let id: i64 = match &db {
        Db::Sqlite { write, .. } => sqlx::query_scalar(
            "INSERT INTO items (title, body, created_ms) VALUES (?1, ?2, ?3) RETURNING id",
        )
        .bind(&item.title)
        .bind(&item.body)
        .bind(now_ms())
        .fetch_one(write)
        .await
        .map_err(internal)?,
        Db::Pg(pool) => sqlx::query_scalar(
            "INSERT INTO items (title, body, created_ms) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&item.title)
        .bind(&item.body)
        .bind(now_ms())
        .fetch_one(pool)
        .await
        .map_err(internal)?,
    };
    Ok(Json(json!({ "id": id })))
}

async fn list(
    State(db): State<Db>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Item>>, (StatusCode, String)> {
    let before = q.before.unwrap_or(i64::MAX);
    let rows = match &db {
        Db::Sqlite { read, .. } => sqlx::query_as::<_, Item>(
            "SELECT id, title, body, created_ms FROM items WHERE id < ?1 ORDER BY id DESC LIMIT 50",
        )
        .bind(before)
        .fetch_all(read)
        .await
        .map_err(internal)?,
        Db::Pg(pool) => sqlx::query_as::<_, Item>(
            "SELECT id, title, body, created_ms FROM items WHERE id < $1 ORDER BY id DESC LIMIT 50",
        )
        .bind(before)
        .fetch_all(pool)
        .await
        .map_err(internal)?,
    };
    Ok(Json(rows))
}

async fn open_db(url: &str, seed_rows: i64) -> Result<Db, sqlx::Error> {
    if url.starts_with("postgres") {
        // Lent without a ping first, as Roundtable's pools are: the limit
        // is measured with the same pool settings.
        let pool = PgPoolOptions::new()
            .max_connections(env_num("PG_POOL", 16))
            .test_before_acquire(false)
            .connect(url)
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS items (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL, \
             body TEXT NOT NULL, created_ms BIGINT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
            .fetch_one(&pool)
            .await?;
        if n < seed_rows {
            sqlx::query(
                "INSERT INTO items (title, body, created_ms) \
                 SELECT 'seed item ' || x, $2 || ' #' || x, $3 FROM generate_series(1, $1) AS x",
            )
            .bind(seed_rows - n)
            .bind(LOREM)
            .bind(now_ms())
            .execute(&pool)
            .await?;
        }
        return Ok(Db::Pg(pool));
    }
    let sync = match env_or("SQLITE_SYNC", "NORMAL").to_uppercase().as_str() {
        "FULL" => SqliteSynchronous::Full,
        "OFF" => SqliteSynchronous::Off,
        _ => SqliteSynchronous::Normal,
    };
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sync)
        .busy_timeout(Duration::from_secs(5));
    let write = SqlitePoolOptions::new()
        .max_connections(env_num("WRITE_POOL", 1))
        .test_before_acquire(false)
        .connect_with(opts.clone())
        .await?;
    let read = SqlitePoolOptions::new()
        .max_connections(env_num("READ_POOL", 4))
        .test_before_acquire(false)
        .connect_with(opts.read_only(true))
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         body TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    )
    .execute(&write)
    .await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&write)
        .await?;
    if n < seed_rows {
        sqlx::query(
            "INSERT INTO items (title, body, created_ms) \
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?1) \
             SELECT 'seed item ' || x, ?2 || ' #' || x, ?3 FROM c",
        )
        .bind(seed_rows - n)
        .bind(LOREM)
        .bind(now_ms())
        .execute(&write)
        .await?;
    }
    Ok(Db::Sqlite { read, write })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = env_or("BIND", "127.0.0.1:8002");
    let url = env_or("DATABASE_URL", "sqlite://limits.db");
    let seed_rows = env_num("SEED_ROWS", 100_000) as i64;
    let db = open_db(&url, seed_rows).await?;
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/insert", post(insert))
        .route("/list", get(list))
        .with_state(db);
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!(
        "limits listening on {bind} db={} sync={}",
        url.split('@').next_back().unwrap_or(""),
        env_or("SQLITE_SYNC", "NORMAL")
    );
    axum::serve(listener, app).await?;
    Ok(())
}
