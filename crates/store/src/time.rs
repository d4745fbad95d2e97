//! Instants as stored: fixed-width UTC RFC 3339 text with microseconds
//! (`2026-11-22T09:30:00.000000Z`). Fixed width makes text order equal time
//! order on both backends, so range queries and indexes work on plain TEXT.

use crate::StoreError;
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

pub fn to_db(instant: Timestamp) -> String {
    instant.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn from_db(text: &str) -> Result<Timestamp, StoreError> {
    text.parse()
        .map_err(|error| StoreError::Corrupt(format!("timestamp {text:?}: {error}")))
}

/// The instant stored in a row's `column`.
pub(crate) fn instant(row: &AnyRow, column: &str) -> Result<Timestamp, StoreError> {
    from_db(&row.try_get::<String, _>(column)?)
}

/// The instant stored in a row's `column`, or `None` where it is NULL.
pub(crate) fn optional_instant(
    row: &AnyRow,
    column: &str,
) -> Result<Option<Timestamp>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| from_db(&text))
        .transpose()
}

pub fn now() -> Timestamp {
    Timestamp::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_instants_round_trip_and_sort_as_text() {
        let earlier: Timestamp = "2026-03-29T00:59:59.5Z".parse().unwrap_or_default();
        let later: Timestamp = "2026-03-29T01:00:00Z".parse().unwrap_or_default();
        assert_eq!(to_db(earlier), "2026-03-29T00:59:59.500000Z");
        assert_eq!(from_db(&to_db(later)).ok(), Some(later));
        assert!(to_db(earlier) < to_db(later));
        assert!(from_db("yesterday").is_err());
    }
}
