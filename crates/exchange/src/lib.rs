//! Bulk import and export.
//!
//! An import is parsed and validated whole before anything is written: every
//! bad row is reported with its line number and reason, and by default nothing
//! is applied unless every row is good (`partial` applies the good rows). The
//! write itself is one transaction in the store, so even a crash mid-import
//! leaves the organization as it was.

pub mod export;
pub mod formula_guard;
mod impact_export;
mod measures_export;
pub mod people_import;

pub use people_import::{ImportMode, ImportReport, RowError, import_people, parse_people_csv};
