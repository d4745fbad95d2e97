//! People (and their departments) from an HR system's CSV export.
//!
//! Columns, matched by header name in any order and case: `email` and `name`
//! (required), `title`, `department` (created when missing), `parent_department`
//! and `role` (`admin`, `executive`, `lead`, `member`; new people default to
//! member, existing people keep theirs when empty). Other columns are ignored,
//! since HR exports carry many. Rows are upserted by email.

use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label};
use roundtable_store::import::{ImportSummary, PersonRecord};
use roundtable_store::{Scoped, StoreError};
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A bad row: where, which column, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "line {}: {}: {}",
            self.line, self.field, self.message
        )
    }
}

/// Whether bad rows stop the whole import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Apply nothing if any row is bad (the default).
    AllOrNothing,
    /// Apply the good rows, report the bad ones.
    Partial,
}

/// The parsed file: good records and bad rows.
#[derive(Debug, Default)]
pub struct ParsedImport {
    pub records: Vec<PersonRecord>,
    pub errors: Vec<RowError>,
}

impl ParsedImport {
    /// Data rows read: the good ones and the bad ones, a bad row counted
    /// once however many of its cells are wrong.
    pub fn rows(&self) -> u64 {
        u64::try_from(self.records.len() + bad_rows(&self.errors)).unwrap_or(u64::MAX)
    }
}

/// How many rows `errors` name: a row with several bad cells counts once.
pub fn bad_rows(errors: &[RowError]) -> usize {
    errors
        .iter()
        .map(|error| error.line)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: u64,
    pub applied: bool,
    pub summary: ImportSummary,
    pub errors: Vec<RowError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file cannot be read as CSV: {0}")]
    Unreadable(String),
    #[error("the header lacks required column(s): {0}")]
    MissingColumns(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: [&str; 6] = [
    "email",
    "name",
    "title",
    "department",
    "parent_department",
    "role",
];

/// Parses and validates a people CSV without touching the database.
pub fn parse_people_csv(input: impl Read) -> Result<ParsedImport, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|error| ImportError::Unreadable(error.to_string()))?
        .clone();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (position, header) in headers.iter().enumerate() {
        let normalised = header
            .trim_start_matches('\u{feff}')
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_");
        if let Some(column) = COLUMNS.iter().find(|column| **column == normalised) {
            index.entry(column).or_insert(position);
        }
    }
    let missing: Vec<&str> = ["email", "name"]
        .into_iter()
        .filter(|column| !index.contains_key(column))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing.join(", ")));
    }
    let mut parsed = ParsedImport::default();
    let mut first_line_of_email: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error
                    .position()
                    .map(|position| position.line())
                    .unwrap_or(0);
                parsed.errors.push(RowError {
                    line,
                    field: "row".to_owned(),
                    message: format!("cannot be read: {error}"),
                });
                continue;
            }
        }
        let line = record
            .position()
            .map(|position| position.line())
            .unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |column: &str| -> &str {
            index
                .get(column)
                .and_then(|position| record.get(*position))
                .unwrap_or("")
        };
        let mut row_errors = Vec::new();
        let mut fail = |field: &str, message: String| {
            row_errors.push(RowError {
                line,
                field: field.to_owned(),
                message,
            })
        };
        // Any column, read or ignored: a NUL cannot be stored in PostgreSQL
        // text, and a file carrying one is not what its sender meant.
        for (position, text) in record.iter().enumerate() {
            if text.contains('\0') {
                let column = headers
                    .get(position)
                    .unwrap_or("row")
                    .trim_start_matches('\u{feff}');
                fail(
                    column,
                    "must not contain the NUL character (U+0000)".to_owned(),
                );
            }
        }
        let email = match Email::parse(cell("email")) {
            Ok(email) => match first_line_of_email.get(email.as_str()) {
                Some(first) => {
                    fail("email", format!("{email} already appears on line {first}"));
                    None
                }
                None => Some(email),
            },
            Err(error) => {
                fail("email", first_message(&error));
                None
            }
        };
        let name = Label::parse(cell("name"))
            .map_err(|error| fail("name", first_message(&error)))
            .ok();
        let title = Label::parse_optional(cell("title"))
            .map_err(|error| fail("title", first_message(&error)))
            .ok()
            .flatten();
        let department = Label::parse_optional(cell("department"))
            .map_err(|error| fail("department", first_message(&error)))
            .ok()
            .flatten();
        let parent_department = Label::parse_optional(cell("parent_department"))
            .map_err(|error| fail("parent_department", first_message(&error)))
            .ok()
            .flatten();
        if parent_department.is_some() && department.is_none() {
            fail(
                "parent_department",
                "needs a department on the same row".to_owned(),
            );
        }
        let role = match cell("role") {
            "" => None,
            text => Role::parse(text)
                .map_err(|error| fail("role", first_message(&error)))
                .ok(),
        };
        // A column refused for its NUL is not reported again for its format.
        let mut reported = std::collections::HashSet::new();
        row_errors.retain(|error| reported.insert(error.field.clone()));
        match (email, name) {
            (Some(email), Some(name)) if row_errors.is_empty() => {
                first_line_of_email.insert(email.as_str().to_owned(), line);
                parsed.records.push(PersonRecord {
                    line,
                    email,
                    name,
                    title,
                    department,
                    parent_department,
                    role,
                });
            }
            _ => parsed.errors.append(&mut row_errors),
        }
    }
    Ok(parsed)
}

fn first_message(errors: &roundtable_domain::ValidationErrors) -> String {
    errors
        .0
        .first()
        .map(|error| error.message.clone())
        .unwrap_or_else(|| "is invalid".to_owned())
}

/// Parses, validates and (unless bad rows forbid it) applies a people CSV in
/// one transaction. `progress` counts applied rows.
pub async fn import_people(
    scoped: Scoped<'_>,
    input: impl Read,
    mode: ImportMode,
    progress: Arc<AtomicU64>,
) -> Result<ImportReport, ImportError> {
    let parsed = parse_people_csv(input)?;
    let rows = parsed.rows();
    if !parsed.errors.is_empty() && mode == ImportMode::AllOrNothing {
        return Ok(ImportReport {
            rows,
            applied: false,
            summary: ImportSummary::default(),
            errors: parsed.errors,
        });
    }
    match scoped.import_people(parsed.records, progress).await {
        Ok(summary) => Ok(ImportReport {
            rows,
            applied: true,
            summary,
            errors: parsed.errors,
        }),
        // A rule only the database can check (a department loop, the last
        // administrator) broke at a row: nothing was applied, and the row is
        // reported like any other bad row.
        Err(StoreError::Invalid(errors))
            if errors.0.iter().all(|error| row_of(&error.field).is_some()) =>
        {
            let mut row_errors = parsed.errors;
            row_errors.extend(errors.0.into_iter().filter_map(|error| {
                let (line, field) = row_of(&error.field)?;
                Some(RowError {
                    line,
                    field: field.to_owned(),
                    message: error.message,
                })
            }));
            Ok(ImportReport {
                rows,
                applied: false,
                summary: ImportSummary::default(),
                errors: row_errors,
            })
        }
        Err(error) => Err(error.into()),
    }
}

/// The line and column of a store error's field named `line N: column`.
fn row_of(field: &str) -> Option<(u64, &str)> {
    let (line, column) = field.strip_prefix("line ")?.split_once(": ")?;
    Some((line.parse().ok()?, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errors: &[RowError]) -> Vec<(u64, &str)> {
        errors
            .iter()
            .map(|error| (error.line, error.field.as_str()))
            .collect()
    }

    #[test]
    fn good_rows_parse_with_any_column_order_and_extra_columns() {
        let csv = "Employee ID,Name,EMAIL,Department,Role\n7,Ada Lovelace,ADA@example.com,Finance,lead\n8,Alan Turing,alan@example.com,,\n";
        let parsed = parse_people_csv(csv.as_bytes()).unwrap_or_default();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.records[0].email.as_str(), "ada@example.com");
        assert_eq!(parsed.records[0].role, Some(Role::Lead));
        assert_eq!(parsed.records[1].department, None);
        assert_eq!(parsed.records[1].line, 3);
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_column() {
        let csv = "email,name,role\nok@example.com,Ok,member\nnot-an-email,Bad,member\nok@example.com,Again,member\nx@example.com,,boss\n";
        let parsed = parse_people_csv(csv.as_bytes()).unwrap_or_default();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(
            lines(&parsed.errors),
            [(3, "email"), (4, "email"), (5, "name"), (5, "role")]
        );
        assert_eq!(parsed.rows(), 4, "line 5 is one bad row with two bad cells");
        assert!(parsed.errors[1].message.contains("line 2"));
    }

    #[test]
    fn a_nul_in_any_cell_is_reported_with_its_line_and_column() {
        let csv =
            "email,name,Notes\nok@example.com,Ok,\nnul@example.com,Nu\0l,\nx@example.com,X,a\0b\n";
        let parsed = parse_people_csv(csv.as_bytes()).unwrap_or_default();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(lines(&parsed.errors), [(3, "name"), (4, "Notes")]);
        assert!(parsed.errors[0].message.contains("NUL"));
    }

    #[test]
    fn a_header_without_required_columns_is_refused() {
        let error = parse_people_csv("name,title\nA,B\n".as_bytes()).err();
        assert!(matches!(error, Some(ImportError::MissingColumns(columns)) if columns == "email"));
    }
}
