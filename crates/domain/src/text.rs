//! Text values that must be valid before they enter the system.
//!
//! Each type can only be made through `parse`, which trims, normalises and
//! checks it; the error is a [`ValidationErrors`] with an empty field name that
//! the caller places under its own field.

use crate::ValidationErrors;
use std::fmt;

fn invalid(message: impl Into<String>) -> ValidationErrors {
    ValidationErrors::single("", message)
}

/// `input` trimmed; refused when that is empty, or longer than `max` as
/// `length` measures it.
fn trimmed_within(
    input: &str,
    max: usize,
    length: impl Fn(&str) -> usize,
) -> Result<&str, ValidationErrors> {
    let value = input.trim();
    if value.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if length(value) > max {
        return Err(invalid(format!("must be at most {max} characters")));
    }
    Ok(value)
}

/// An email address, lower-cased: unique per organization and the login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub const MAX_LENGTH: usize = 254;

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if value.chars().count() > Self::MAX_LENGTH {
            return Err(invalid(format!(
                "must be at most {} characters",
                Self::MAX_LENGTH
            )));
        }
        // RFC 5322's address syntax (an unquoted comma, a leading or doubled
        // dot, a bracket or a second `@` are all refused), as a mail server
        // would read it; plus what a login name needs on top: a domain with
        // a dot, no quoted local part, no spaces or control characters.
        let options = email_address::Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        let well_formed = email_address::EmailAddress::parse_with_options(&value, options).is_ok()
            && !value.starts_with('"')
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return Err(invalid("must be an email address such as name@example.com"));
        }
        Ok(Self(value))
    }
}

/// A short, URL-safe, unique name: lower-case letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LENGTH: usize = 64;

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let value = trimmed_within(input, Self::MAX_LENGTH, str::len)?;
        let allowed = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !allowed || value.starts_with('-') || value.ends_with('-') {
            return Err(invalid(
                "may contain only lower-case letters, digits and inner hyphens (e.g. customer-service)",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// A slug derived from a free-text name ("Customer Service" → `customer-service`).
    pub fn from_name(name: &str) -> Result<Self, ValidationErrors> {
        let mut slug = String::new();
        for c in name.trim().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        Self::parse(&slug.chars().take(Self::MAX_LENGTH).collect::<String>())
    }
}

/// A required single-line text such as a name or a title: trimmed, not empty,
/// bounded, free of control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(String);

impl Label {
    pub const MAX_LENGTH: usize = 200;

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        let value = trimmed_within(input, Self::MAX_LENGTH, |text| text.chars().count())?;
        if value.chars().any(char::is_control) {
            return Err(invalid("must be a single line without control characters"));
        }
        Ok(Self(value.to_owned()))
    }

    /// Like [`Label::parse`] but an empty input means "none".
    pub fn parse_optional(input: &str) -> Result<Option<Self>, ValidationErrors> {
        if input.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(input).map(Some)
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The text a checked value holds: `as_str`, and `Display` as that text.
macro_rules! checked_text {
    ($($name:ident),+) => {$(
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }
    )+};
}

checked_text!(Email, Slug, Label);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada.Lovelace@Example.COM ").map(|email| email.0),
            Ok("ada.lovelace@example.com".to_owned())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "x,y@example.com",
            ".ada@example.com",
            "ada.@example.com",
            "ada..lovelace@example.com",
            "ada@-example.com",
            "ada@example..com",
            "Ada <ada@example.com>",
            "ada@[127.0.0.1]",
            "\"a b\"@example.com",
            "ada(comment)@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn slug_rules() {
        assert!(Slug::parse("customer-service").is_ok());
        for bad in ["", "Sales", "-sales", "sales-", "sales team", "sälj"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            Slug::from_name(" Customer Service & Support ").map(|slug| slug.0),
            Ok("customer-service-support".to_owned())
        );
    }

    #[test]
    fn label_rejects_blank_and_control_characters() {
        assert!(Label::parse("   ").is_err());
        assert!(Label::parse("two\nlines").is_err());
        assert_eq!(Label::parse_optional(" "), Ok(None));
    }

    proptest! {
        #[test]
        fn slug_from_any_name_is_valid_or_rejected(name in "\\PC{0,80}") {
            if let Ok(slug) = Slug::from_name(&name) {
                prop_assert!(Slug::parse(slug.as_str()).is_ok());
            }
        }

        #[test]
        fn parsed_email_round_trips(
            local in "[a-z0-9%+_-]{1,10}(\\.[a-z0-9%+_-]{1,10}){0,2}",
            domain in "[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?\\.[a-z]{2,6}",
        ) {
            let text = format!("{local}@{domain}");
            let email = Email::parse(&text).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email));
        }
    }
}
