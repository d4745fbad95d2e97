//! `GET /api/v1/exports/{kind}`: the same exports as `roundtable export`, as
//! CSV or JSON, for administrators and executives (the audit log for
//! administrators only). Pulse and health exports come from the same anonymity
//! decision as every other view.

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::ApiQuery;
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roundtable_domain::people::Role;
use roundtable_exchange::export::{ExportError, ExportFormat, ExportKind, export};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_kind))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (the default) or `json`.
    pub format: Option<String>,
}

/// Exports `people`, `departments`, `requests` (with clocks), `checks`,
/// `pulses` (aggregates that may be shown, never answers), `health`,
/// `external-impact` (the last 90 days, per provider department and per
/// segment) or `audit-log` (administrators only).
#[utoipa::path(
    get, path = "/exports/{kind}", tag = "exports", params(("kind" = String, Path), ExportQuery),
    responses(
        (status = 200, description = "The export: CSV (`format=csv`, the default) or JSON (`format=json`)",
         content((String = "text/csv"), (serde_json::Value = "application/json"))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn export_kind(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(kind): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    if !matches!(actor.role, Role::Admin | Role::Executive) {
        return Err(ApiError::forbidden(
            "Only administrators and executives export organization data.",
        ));
    }
    let kind = ExportKind::parse(&kind).ok_or(ApiError::NotFound)?;
    if kind == ExportKind::AuditLog {
        policy::read_audit_log(&actor)?;
    }
    let (format, content_type, extension) = match query.format.as_deref().unwrap_or("csv") {
        "csv" => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        "json" => (ExportFormat::Json, "application/json", "json"),
        _ => return Err(ApiError::invalid("format", "must be csv or json")),
    };
    let mut body = Vec::new();
    export(state.scoped(&actor), kind, format, &mut body)
        .await
        .map_err(|error| match error {
            ExportError::Store(error) => ApiError::from(error),
            ExportError::Write(message) => ApiError::Internal(message),
        })?;
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A download, never a page: a browser saves it under a name that says
    // what and when, instead of rendering it in the application's origin.
    let filename = format!(
        "roundtable-{}-{}.{extension}",
        kind.name(),
        jiff::Timestamp::now().strftime("%Y-%m-%d")
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
