//! People import for administrators: a people CSV uploaded as a file or
//! pasted, run through the same importer as `roundtable import people`
//! (`roundtable_exchange::import_people`): parsed and validated whole, every
//! bad row reported with its line, nothing applied unless every row is good
//! or "partial" is ticked, and the good rows written in one transaction.

use super::upload::SignedUpload;
use super::{FieldErrors, FormData, Layout, Viewer, WebError, render};
use crate::AppState;
use crate::policy;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_exchange::people_import::ImportError;
use roundtable_exchange::{ImportMode, ImportReport, import_people};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// What an import did, in counts and bad rows.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub applied: bool,
    pub partial: bool,
    pub rows: u64,
    pub people_created: u64,
    pub people_updated: u64,
    pub departments_created: u64,
    /// Rows refused (each may have several problems below).
    pub rejected: usize,
    /// (line, column, problem), in line order.
    pub errors: Vec<(u64, String, String)>,
}

impl ImportOutcome {
    fn new(report: ImportReport, partial: bool) -> Self {
        let rejected = roundtable_exchange::people_import::bad_rows(&report.errors);
        let mut errors: Vec<(u64, String, String)> = report
            .errors
            .into_iter()
            .map(|error| (error.line, error.field, error.message))
            .collect();
        errors.sort_by_key(|(line, _, _)| *line);
        ImportOutcome {
            applied: report.applied,
            partial,
            rows: report.rows,
            people_created: report.summary.people_created,
            people_updated: report.summary.people_updated,
            departments_created: report.summary.departments_created,
            rejected,
            errors,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "admin_import.html")]
pub struct ImportPage {
    layout: Layout,
    form: FormData,
    errors: FieldErrors,
    outcome: Option<ImportOutcome>,
}

fn import_page(
    viewer: &Viewer,
    form: FormData,
    errors: FieldErrors,
    outcome: Option<ImportOutcome>,
) -> Result<ImportPage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    Ok(ImportPage {
        layout: Layout::new(viewer, "Import people", "admin"),
        form,
        errors,
        outcome,
    })
}

/// The text with CRLF line endings made LF. Browsers send a text box's lines
/// ending in CRLF and HR systems often export so, while the CSV reader counts
/// only LF-ended lines: without this every bad row would be "line 1".
fn lf_line_endings(bytes: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(bytes.len());
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'\r' && bytes.get(index + 1) == Some(&b'\n') {
            continue;
        }
        text.push(*byte);
    }
    text
}

/// `GET /admin/import`.
pub async fn show_import(viewer: Viewer) -> Result<Response, WebError> {
    let page = import_page(&viewer, FormData::default(), FieldErrors::default(), None)?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /admin/import`: imports the uploaded or pasted CSV.
pub async fn run_import(
    State(state): State<AppState>,
    upload: SignedUpload,
) -> Result<Response, WebError> {
    let viewer = &upload.viewer;
    policy::manage_organization(&viewer.actor)?;
    let partial = upload.form.has("partial");
    let (source_field, bytes) = match upload.file("file") {
        Some(file) => ("file", lf_line_endings(&file.bytes)),
        None => ("csv", lf_line_endings(upload.form.get("csv").as_bytes())),
    };
    // What the text box shows afterwards: the rows just sent, so bad ones can be fixed in place.
    let mut kept = FormData(vec![(
        "csv".to_owned(),
        String::from_utf8_lossy(&bytes).into_owned(),
    )]);
    if partial {
        kept.0.push(("partial".to_owned(), "true".to_owned()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        let errors = FieldErrors::single(
            "csv",
            "choose a CSV file or paste its rows (with the header line) here",
        );
        let page = import_page(viewer, kept, errors, None)?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let mode = if partial {
        ImportMode::Partial
    } else {
        ImportMode::AllOrNothing
    };
    let progress = Arc::new(AtomicU64::new(0));
    let report = import_people(
        state.scoped(&viewer.actor),
        bytes.as_slice(),
        mode,
        progress,
    )
    .await;
    match report {
        Ok(report) => {
            let outcome = ImportOutcome::new(report, partial);
            let status = if outcome.applied {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let form = if outcome.applied && outcome.errors.is_empty() {
                FormData::default()
            } else {
                kept
            };
            let page = import_page(viewer, form, FieldErrors::default(), Some(outcome))?;
            Ok(render(status, &page))
        }
        Err(ImportError::Store(error)) => Err(error.into()),
        Err(error) => {
            let field = if source_field == "file" {
                "file"
            } else {
                "csv"
            };
            let page = import_page(
                viewer,
                kept,
                FieldErrors::single(field, error.to_string()),
                None,
            )?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
