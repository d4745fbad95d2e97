//! Passwords, API tokens and session tokens.
//!
//! Passwords are low-entropy and chosen by people, so they are stored as argon2id
//! hashes (slow on purpose). Tokens are 256 random bits, so a fast SHA-256 digest
//! is enough to make a stolen database useless for logging in, while keeping the
//! per-request check cheap. Plain secrets live in [`Secret`], whose `Debug`
//! never prints them.

use crate::ValidationErrors;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// A secret value that never shows up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(<redacted>)")
    }
}

/// A password that meets the policy; only its hash is ever stored.
#[derive(Debug, Clone)]
pub struct Password(Secret);

/// Words every guesser of a password here would try first: the product's
/// own name and its demo's, whoever the person is.
const PRODUCT_WORDS: &[&str] = &["roundtable", "round table", "demo"];

impl Password {
    pub const MIN_LENGTH: usize = 12;
    pub const MAX_LENGTH: usize = 256;
    /// zxcvbn's scale runs from 0 (guessed at once) to 4; 3 is "safely
    /// unguessable" for an online attack that is throttled, as sign-in is.
    pub const MIN_STRENGTH: u8 = 3;

    /// Checks the policy without knowing whose password it is: 12 to 256
    /// characters, and hard to guess as an attacker would guess (zxcvbn:
    /// dictionaries, common passwords, keyboard walks, dates, repeats).
    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        Self::parse_for(input, "", &[])
    }

    /// The policy for one person's password: also not their email address
    /// (or its part before the `@`), and judged with their email and names
    /// as words an attacker would try.
    pub fn parse_for(input: &str, email: &str, names: &[&str]) -> Result<Self, ValidationErrors> {
        let length = input.chars().count();
        if length < Self::MIN_LENGTH {
            return Err(ValidationErrors::single(
                "",
                format!("must be at least {} characters", Self::MIN_LENGTH),
            ));
        }
        if length > Self::MAX_LENGTH {
            return Err(ValidationErrors::single(
                "",
                format!("must be at most {} characters", Self::MAX_LENGTH),
            ));
        }
        let lowered = input.trim().to_lowercase();
        let email = email.trim().to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        if !email.is_empty() && (lowered == email || lowered == local_part) {
            return Err(ValidationErrors::single(
                "",
                "must not be your email address",
            ));
        }
        let mut hints: Vec<&str> = PRODUCT_WORDS.to_vec();
        hints.extend(names.iter().flat_map(|name| name.split_whitespace()));
        hints.extend(names.iter().copied());
        if !email.is_empty() {
            hints.push(&email);
            hints.extend(email.split(['@', '.', '-', '_', '+']));
        }
        hints.retain(|hint| !hint.trim().is_empty());
        let judged = zxcvbn::zxcvbn(input, &hints);
        if u8::from(judged.score()) < Self::MIN_STRENGTH {
            return Err(ValidationErrors::single("", too_guessable(&judged)));
        }
        Ok(Self(Secret::new(input)))
    }

    /// A password the product itself sets and publishes (the demo's), which
    /// the strength policy would rightly refuse from a person. Never for
    /// anything a person typed.
    pub fn published(input: &str) -> Self {
        Self(Secret::new(input))
    }

    /// An argon2id PHC string with a fresh random salt.
    pub fn hash(&self) -> Result<String, CredentialError> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(self.0.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| CredentialError(error.to_string()))
    }
}

/// The refusal of a guessable password, with zxcvbn's advice on a better one.
fn too_guessable(judged: &zxcvbn::Entropy) -> String {
    let mut message = String::from("is too easy to guess");
    if let Some(feedback) = judged.feedback() {
        if let Some(warning) = feedback.warning() {
            message.push_str(&format!(
                " ({})",
                warning.to_string().trim_end_matches('.').to_lowercase()
            ));
        }
        let suggestions: Vec<String> = feedback
            .suggestions()
            .iter()
            .map(|suggestion| suggestion.to_string())
            .collect();
        if !suggestions.is_empty() {
            message.push_str(". ");
            message.push_str(&suggestions.join(" "));
        }
    }
    if !message.ends_with('.') {
        message.push('.');
    }
    message.push_str(" A few unrelated words make a strong password that is easy to remember.");
    message
}

/// Hashing failed (only on a broken random source or absurd parameters).
#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct CredentialError(String);

/// Whether `password` matches a stored argon2 PHC hash. A malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that an unknown
/// email costs as much time as a wrong password and reveals nothing.
pub fn decoy_password_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        Password(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
            .hash()
            .unwrap_or_default()
    })
}

/// What a bearer token or session token is for; the prefix makes leaked tokens
/// recognisable to secret scanners and people alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Api,
    Session,
    /// The key webhooks are signed with. Unlike the others it is kept as is:
    /// the server needs it to sign.
    WebhookSecret,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Api => "rt_",
            TokenKind::Session => "rts_",
            TokenKind::WebhookSecret => "rtwh_",
        }
    }
}

/// A freshly issued token: shown once, then only its digest is kept.
#[derive(Debug)]
pub struct IssuedToken {
    pub secret: Secret,
    pub digest: String,
}

/// Issues a new random token of `kind`.
pub fn issue_token(kind: TokenKind) -> IssuedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes));
    let digest = token_digest(&secret);
    IssuedToken {
        secret: Secret::new(secret),
        digest,
    }
}

/// The stored form of a token: lower-case hex SHA-256.
pub fn token_digest(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(result: Result<Password, ValidationErrors>) -> String {
        match result {
            Ok(_) => String::from("accepted"),
            Err(errors) => errors.to_string(),
        }
    }

    #[test]
    fn the_password_policy_refuses_short_guessable_and_own_email_passwords() {
        assert!(refusal(Password::parse("eleven char")).contains("at least 12"));
        assert!(refusal(Password::parse(&"x".repeat(257))).contains("at most 256"));
        for guessable in [
            "password1234",
            "Password1234",
            "QWERTY123456",
            "aaaaaaaaaaaaaa",
            "qwertyuiopas",
            "Welcome2026!",
            "roundtable-demo",
            "Roundtable2026",
        ] {
            assert!(
                refusal(Password::parse(guessable)).contains("too easy to guess"),
                "{guessable} was accepted"
            );
        }
        for own in [
            "ada.lovelace@acme.test",
            "ADA.LOVELACE@acme.test",
            "ada.lovelace",
        ] {
            assert!(
                refusal(Password::parse_for(own, "ada.lovelace@acme.test", &[]))
                    .contains("your email"),
                "{own} was accepted"
            );
        }
        // The person's own name is among the first guesses.
        assert!(Password::parse("ada lovelace 1815").is_ok());
        assert!(
            refusal(Password::parse_for(
                "ada lovelace 1815",
                "countess@acme.test",
                &["Ada Lovelace"]
            ))
            .contains("too easy to guess")
        );
        assert!(
            Password::parse_for("a long and private phrase", "ada@acme.test", &["Ada"]).is_ok()
        );
    }

    #[test]
    fn a_refusal_passes_on_zxcvbns_advice() {
        let message = refusal(Password::parse("qwertyuiopas"));
        assert!(message.contains("commonly used password"), "{message}");
        assert!(message.contains("unrelated words"), "{message}");
    }

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let password = Password::parse("correct horse battery").map_err(|e| e.to_string());
        let hash = password.and_then(|p| p.hash().map_err(|e| e.to_string()));
        let hash = hash.unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn decoy_hash_is_well_formed_and_matches_nothing_useful() {
        assert!(PasswordHash::new(decoy_password_hash()).is_ok());
        assert!(!verify_password("", decoy_password_hash()));
    }

    #[test]
    fn password_policy_bounds_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(257)).is_err());
        assert!(Password::parse("long enough now, truly").is_ok());
    }

    #[test]
    fn tokens_are_unique_prefixed_and_stored_as_digest() {
        let first = issue_token(TokenKind::Api);
        let second = issue_token(TokenKind::Api);
        assert_ne!(first.secret, second.secret);
        assert!(first.secret.expose().starts_with("rt_"));
        assert_eq!(first.digest, token_digest(first.secret.expose()));
        assert_eq!(first.digest.len(), 64);
        assert!(!format!("{first:?}").contains(first.secret.expose()));
    }
}

/// What an API token may do, on top of what its person may do: `read`
/// (safe methods), `write` (changes) and `admin` (the person's administrator
/// powers; without it an administrator's token acts as a plain member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenScopes {
    pub read: bool,
    pub write: bool,
    pub admin: bool,
}

impl TokenScopes {
    pub const ALL: TokenScopes = TokenScopes {
        read: true,
        write: true,
        admin: true,
    };

    /// Parses scope names (`read`, `write`, `admin`); at least one, no unknown ones.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut scopes = TokenScopes {
            read: false,
            write: false,
            admin: false,
        };
        for name in names {
            match name.as_ref() {
                "read" => scopes.read = true,
                "write" => scopes.write = true,
                "admin" => scopes.admin = true,
                other => {
                    return Err(format!(
                        "unknown scope {other:?}; the scopes are read, write and admin"
                    ));
                }
            }
        }
        if scopes
            == (TokenScopes {
                read: false,
                write: false,
                admin: false,
            })
        {
            return Err("name at least one scope: read, write or admin".to_owned());
        }
        Ok(scopes)
    }

    pub fn names(self) -> Vec<&'static str> {
        [
            (self.read, "read"),
            (self.write, "write"),
            (self.admin, "admin"),
        ]
        .into_iter()
        .filter_map(|(granted, name)| granted.then_some(name))
        .collect()
    }

    /// Stored form: the names joined with commas.
    pub fn to_text(self) -> String {
        self.names().join(",")
    }

    pub fn from_text(text: &str) -> Result<Self, String> {
        let names: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        Self::parse(&names)
    }
}

#[cfg(test)]
mod scope_tests {
    use super::TokenScopes;

    #[test]
    fn scopes_round_trip_and_refuse_nonsense() {
        let scopes = TokenScopes::parse(&["write", "read"]).unwrap_or(TokenScopes::ALL);
        assert_eq!(scopes.to_text(), "read,write");
        assert_eq!(TokenScopes::from_text("read,write"), Ok(scopes));
        assert_eq!(
            TokenScopes::from_text("read,write,admin"),
            Ok(TokenScopes::ALL)
        );
        assert!(TokenScopes::parse(&["root"]).is_err());
        assert!(TokenScopes::parse::<&str>(&[]).is_err());
    }
}
