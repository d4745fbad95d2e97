//! Checks on input that both adapters need and no domain type carries yet:
//! free text and record ids. Each pushes its message under the field's name
//! so every problem of one input is reported at once.

use roundtable_domain::ValidationErrors;

/// The longest free text (descriptions, notes, statements), in characters.
pub const MAX_TEXT: usize = 4_000;

/// Free text over several lines, possibly empty: trimmed, bounded, and free
/// of control characters other than line breaks and tabs.
pub fn parse_text(errors: &mut ValidationErrors, field: &str, text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT {
        errors.push(field, format!("must be at most {MAX_TEXT} characters"));
    } else if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(
            field,
            "must not contain control characters other than line breaks and tabs",
        );
    }
    text.to_owned()
}

/// A record id: positive.
pub fn positive_id(errors: &mut ValidationErrors, field: &str, id: i64) -> Option<i64> {
    if id > 0 {
        Some(id)
    } else {
        errors.push(field, "must be a record id");
        None
    }
}

/// Free text that must say something.
pub fn parse_required_text(errors: &mut ValidationErrors, field: &str, text: &str) -> String {
    let parsed = parse_text(errors, field, text);
    if parsed.is_empty() {
        errors.push(field, "must not be empty");
    }
    parsed
}

/// A calendar date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<jiff::civil::Date, ValidationErrors> {
    text.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| ValidationErrors::single("", "must be a date such as 2027-03-31"))
}

/// A change's optional free text: `Keep` when absent, else set to the text
/// as [`parse_text`] checks it.
pub fn parse_text_change(
    errors: &mut ValidationErrors,
    field: &str,
    text: Option<&str>,
) -> roundtable_store::Change<String> {
    text.map(|text| parse_text(errors, field, text)).into()
}

/// A field a partial update may leave out: kept when absent, set when it
/// parses, reported under its name when it does not.
pub fn parse_change<T>(
    errors: &mut ValidationErrors,
    field: &str,
    input: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, ValidationErrors>,
) -> roundtable_store::Change<T> {
    match input.and_then(|text| errors.check(field, parse(text))) {
        Some(value) => roundtable_store::Change::Set(value),
        None => roundtable_store::Change::Keep,
    }
}

/// Today's date in UTC: the day check-ins, reviews and schedules are judged by.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// The fields a refusal names, in order: what a test of a parse asserts.
#[cfg(test)]
pub(crate) fn fields(errors: &ValidationErrors) -> Vec<&str> {
    errors.0.iter().map(|error| error.field.as_str()).collect()
}
