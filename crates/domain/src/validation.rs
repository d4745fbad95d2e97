//! Field-level validation errors.
//!
//! Every interface reports bad input per field (the API as problem details, the
//! importer per CSV line), so validation collects *all* problems of an input
//! instead of stopping at the first one.

use std::fmt;

/// One problem with one field of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the user sees it (`email`, `working_hours.monday[0].end`).
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.field, self.message)
    }
}

/// All the problems found in one input; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", display_errors(.0))]
pub struct ValidationErrors(pub Vec<FieldError>);

fn display_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value of a successful parse, or records its errors under `field`
    /// (an empty `field` keeps the errors' own names).
    pub fn check<T>(&mut self, field: &str, result: Result<T, ValidationErrors>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                for error in errors.0 {
                    let name = if field.is_empty() {
                        error.field
                    } else if error.field.is_empty() {
                        field.to_owned()
                    } else if error.field.starts_with('[') {
                        format!("{field}{}", error.field)
                    } else {
                        format!("{field}.{}", error.field)
                    };
                    self.0.push(FieldError::new(name, error.message));
                }
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, otherwise all recorded errors.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_prefixes_nested_fields() {
        let mut errors = ValidationErrors::new();
        let nested: Result<(), _> = Err(ValidationErrors(vec![
            FieldError::new("", "top"),
            FieldError::new("end", "inner"),
            FieldError::new("[2]", "indexed"),
        ]));
        assert!(errors.check("hours", nested).is_none());
        let fields: Vec<_> = errors.0.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["hours", "hours.end", "hours[2]"]);
    }
}
