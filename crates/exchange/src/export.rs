//! Exports of organization data as CSV or JSON, streamed page by page so an
//! organization of any size exports in constant memory. The people CSV uses
//! the import's columns, so an export can be edited and imported back.

use roundtable_store::{PageRequest, Scoped, StoreError, every_page};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    /// One JSON array.
    Json,
}

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    People,
    Departments,
    /// Every request with its clocks as they read now.
    Requests,
    /// Answered satisfaction checks.
    Checks,
    /// Pulse aggregates of closed rounds that may be shown; never an answer.
    Pulses,
    /// Health per cell over the last 90 days, with each component.
    Health,
    /// Who changed what, newest first (administrators only).
    AuditLog,
    /// Requests with external impact over the last 90 days, per provider
    /// department and per customer segment.
    ExternalImpact,
}

impl ExportKind {
    pub const ALL: [ExportKind; 8] = [
        ExportKind::People,
        ExportKind::Departments,
        ExportKind::Requests,
        ExportKind::Checks,
        ExportKind::Pulses,
        ExportKind::Health,
        ExportKind::AuditLog,
        ExportKind::ExternalImpact,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExportKind::People => "people",
            ExportKind::Departments => "departments",
            ExportKind::Requests => "requests",
            ExportKind::Checks => "checks",
            ExportKind::Pulses => "pulses",
            ExportKind::Health => "health",
            ExportKind::AuditLog => "audit-log",
            ExportKind::ExternalImpact => "external-impact",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(String),
}

#[derive(Debug, Serialize)]
struct PersonRow {
    email: String,
    name: String,
    title: String,
    department: String,
    parent_department: String,
    role: String,
    active: bool,
}

#[derive(Debug, Serialize)]
struct AuditRow {
    id: i64,
    created_at: String,
    /// Empty for the operator's tools (command line, demo) and anonymous posts.
    actor_email: String,
    actor_person_id: Option<i64>,
    action: String,
    subject_kind: String,
    subject_id: Option<i64>,
    detail: String,
}

#[derive(Debug, Serialize)]
struct DepartmentRow {
    id: i64,
    slug: String,
    name: String,
    parent: String,
    customer_facing: bool,
    calendar_id: Option<i64>,
    lead_emails: String,
}

/// Writes rows as CSV or as one JSON array.
pub(crate) struct RowWriter<W: Write> {
    format: ExportFormat,
    csv: Option<csv::Writer<W>>,
    json: Option<W>,
    first: bool,
}

impl<W: Write> RowWriter<W> {
    fn new(format: ExportFormat, output: W) -> Self {
        match format {
            ExportFormat::Csv => Self {
                format,
                csv: Some(csv::Writer::from_writer(output)),
                json: None,
                first: true,
            },
            ExportFormat::Json => Self {
                format,
                csv: None,
                json: Some(output),
                first: true,
            },
        }
    }

    pub(crate) fn write<T: Serialize>(&mut self, row: &T) -> Result<(), ExportError> {
        let failed = |error: &dyn std::fmt::Display| ExportError::Write(error.to_string());
        match (self.format, &mut self.csv, &mut self.json) {
            (ExportFormat::Csv, Some(writer), _) => {
                // Every CSV cell passes the formula guard; JSON is not
                // opened as a spreadsheet.
                writer
                    .serialize(crate::formula_guard::Guarded(row))
                    .map_err(|error| failed(&error))
            }
            (ExportFormat::Json, _, Some(output)) => {
                output
                    .write_all(if self.first { b"[\n" } else { b",\n" })
                    .map_err(|error| failed(&error))?;
                serde_json::to_writer(&mut *output, row).map_err(|error| failed(&error))?;
                self.first = false;
                Ok(())
            }
            _ => Err(ExportError::Write("writer misconfigured".to_owned())),
        }
    }

    fn finish(mut self) -> Result<(), ExportError> {
        let failed = |error: &dyn std::fmt::Display| ExportError::Write(error.to_string());
        if let Some(mut writer) = self.csv.take() {
            writer.flush().map_err(|error| failed(&error))?;
        }
        if let Some(mut output) = self.json.take() {
            output
                .write_all(if self.first { b"[]\n" } else { b"\n]\n" })
                .map_err(|error| failed(&error))?;
            output.flush().map_err(|error| failed(&error))?;
        }
        Ok(())
    }
}

async fn all_departments(
    scoped: &Scoped<'_>,
) -> Result<Vec<roundtable_store::departments::Department>, StoreError> {
    every_page(|page| scoped.list_departments(page)).await
}

/// Writes one kind of export to `output`; returns the number of rows.
pub async fn export(
    scoped: Scoped<'_>,
    kind: ExportKind,
    format: ExportFormat,
    output: impl Write,
) -> Result<u64, ExportError> {
    let departments = all_departments(&scoped).await?;
    let names: HashMap<i64, &str> = departments
        .iter()
        .map(|department| (department.id.0, department.name.as_str()))
        .collect();
    let mut writer = RowWriter::new(format, output);
    let mut rows = 0;
    match kind {
        ExportKind::Departments => {
            let mut emails: HashMap<i64, String> = HashMap::new();
            for department in &departments {
                for lead in &department.lead_ids {
                    if let std::collections::hash_map::Entry::Vacant(entry) = emails.entry(lead.0) {
                        entry.insert(scoped.person(*lead).await?.email);
                    }
                }
            }
            for department in &departments {
                let lead_emails: Vec<&str> = department
                    .lead_ids
                    .iter()
                    .filter_map(|lead| emails.get(&lead.0).map(String::as_str))
                    .collect();
                writer.write(&DepartmentRow {
                    id: department.id.0,
                    slug: department.slug.clone(),
                    name: department.name.clone(),
                    parent: department
                        .parent_id
                        .and_then(|parent| names.get(&parent.0).copied())
                        .unwrap_or_default()
                        .to_owned(),
                    customer_facing: department.customer_facing,
                    calendar_id: department.calendar_id.map(|calendar| calendar.0),
                    lead_emails: lead_emails.join(" "),
                })?;
                rows += 1;
            }
        }
        ExportKind::People => {
            let parents: HashMap<i64, &str> = departments
                .iter()
                .filter_map(|department| {
                    let parent = names.get(&department.parent_id?.0)?;
                    Some((department.id.0, *parent))
                })
                .collect();
            let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
            loop {
                let listing = scoped.list_people(Default::default(), page).await?;
                for person in &listing.items {
                    let department = person.department_id.map(|department| department.0);
                    writer.write(&PersonRow {
                        email: person.email.clone(),
                        name: person.name.clone(),
                        title: person.title.clone().unwrap_or_default(),
                        department: department
                            .and_then(|id| names.get(&id).copied())
                            .unwrap_or_default()
                            .to_owned(),
                        parent_department: department
                            .and_then(|id| parents.get(&id).copied())
                            .unwrap_or_default()
                            .to_owned(),
                        role: person.role.as_str().to_owned(),
                        active: person.active,
                    })?;
                    rows += 1;
                }
                match listing.next_after {
                    Some(after) => page.after = Some(after),
                    None => break,
                }
            }
        }
        ExportKind::AuditLog => {
            let mut emails: HashMap<i64, String> = HashMap::new();
            let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
            loop {
                let listing = scoped.audit_log(page).await?;
                for entry in listing.items {
                    let actor = entry.actor_person_id.map(|person| person.0);
                    let actor_email = match entry.actor_person_id {
                        Some(person) => match emails.get(&person.0) {
                            Some(email) => email.clone(),
                            None => {
                                let email = scoped.person(person).await?.email;
                                emails.insert(person.0, email.clone());
                                email
                            }
                        },
                        None => String::new(),
                    };
                    writer.write(&AuditRow {
                        id: entry.id,
                        created_at: entry.created_at.to_string(),
                        actor_email,
                        actor_person_id: actor,
                        action: entry.action,
                        subject_kind: entry.subject_kind,
                        subject_id: entry.subject_id,
                        detail: entry.detail,
                    })?;
                    rows += 1;
                }
                match listing.next_after {
                    Some(after) => page.after = Some(after),
                    None => break,
                }
            }
        }
        ExportKind::Requests | ExportKind::Checks | ExportKind::Pulses | ExportKind::Health => {
            rows = crate::measures_export::export_measures(&scoped, kind, &mut writer).await?;
        }
        ExportKind::ExternalImpact => {
            rows =
                crate::impact_export::export_external_impact(&scoped, &names, &mut writer).await?;
        }
    }
    writer.finish()?;
    Ok(rows)
}
