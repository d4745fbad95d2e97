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

/// Passwords too common to allow whatever their length: the top of the
/// published breach lists at twelve characters or more, and this product's name.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123123123123",
    "111111111111",
    "000000000000",
    "abc123456789",
    "abcdefghijkl",
    "password1234",
    "password12345",
    "password123!",
    "passwordpassword",
    "password1password1",
    "qwertyuiopasdfgh",
    "qwerty123456",
    "qwertyqwerty",
    "qwertyuiop12",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "welcome@1234",
    "changeme1234",
    "administrator",
    "administrator1",
    "trustno1trustno1",
    "monkey123456",
    "dragon123456",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "superman1234",
    "starwars1234",
    "correcthorsebatterystaple",
    "correct horse battery staple",
    "roundtable123",
    "roundtable2026",
];

impl Password {
    pub const MIN_LENGTH: usize = 12;
    pub const MAX_LENGTH: usize = 256;

    /// Checks the policy: 12 to 256 characters, not one character repeated,
    /// not one of the best-known passwords.
    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
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
        let lowered = input.to_lowercase();
        let mut characters = lowered.chars();
        let first = characters.next();
        if characters.all(|character| Some(character) == first)
            || COMMON_PASSWORDS.contains(&lowered.as_str())
        {
            return Err(ValidationErrors::single(
                "",
                "is one of the most common passwords; choose one that is harder to guess",
            ));
        }
        Ok(Self(Secret::new(input)))
    }

    /// The policy, and not the person's own email address (or its part before the `@`).
    pub fn parse_for(input: &str, email: &str) -> Result<Self, ValidationErrors> {
        let password = Self::parse(input)?;
        let lowered = input.trim().to_lowercase();
        let email = email.trim().to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        if lowered == email || lowered == local_part {
            return Err(ValidationErrors::single(
                "",
                "must not be your email address",
            ));
        }
        Ok(password)
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
    fn the_password_policy_refuses_short_common_and_own_email_passwords() {
        assert!(refusal(Password::parse("eleven char")).contains("at least 12"));
        assert!(Password::parse("twelve chars").is_ok());
        assert!(refusal(Password::parse(&"x".repeat(257))).contains("at most 256"));
        for common in [
            "password1234",
            "Password1234",
            "QWERTY123456",
            "aaaaaaaaaaaaaa",
        ] {
            assert!(
                refusal(Password::parse(common)).contains("most common"),
                "{common} was accepted"
            );
        }
        for own in [
            "ada.lovelace@acme.test",
            "ADA.LOVELACE@acme.test",
            "ada.lovelace",
        ] {
            assert!(
                refusal(Password::parse_for(own, "ada.lovelace@acme.test")).contains("your email"),
                "{own} was accepted"
            );
        }
        assert!(Password::parse_for("a long and private phrase", "ada@acme.test").is_ok());
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
        assert!(Password::parse("long enough now").is_ok());
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
