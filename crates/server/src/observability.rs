//! Health, readiness and Prometheus metrics.
//!
//! `/healthz` says the process serves; `/readyz` says it can reach its
//! database and, after a write failed for want of storage (a full disk), that
//! it can write to it again (a load balancer should route only to ready
//! instances);
//! `/metrics` counts requests and their latency per route and status.

use crate::AppState;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use std::sync::OnceLock;
use std::time::Instant;

/// The process-wide metrics recorder; installed once, shared by every app in
/// the process (tests start many).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then our
            // handle renders empty, which is visible rather than fatal.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    // Cheap: it writes only while a failed write is on record (SQLite).
    state
        .store
        .check_writable()
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    Ok(Json(
        json!({ "status": "ready", "database": state.store.backend().name() }),
    ))
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    // SQLite's group commit: writes per sync is the ratio of the two.
    if let (Some(commits), Some(operations)) = (
        state.store.group_commits(),
        state.store.group_committed_operations(),
    ) {
        metrics::counter!("roundtable_sqlite_group_commits_total").absolute(commits);
        metrics::counter!("roundtable_sqlite_group_committed_writes_total").absolute(operations);
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
