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
