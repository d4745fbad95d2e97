//! Single sign-on with OpenID Connect: Roundtable as a relying party of one
//! provider, by the authorization code flow with PKCE (S256), `state` and
//! `nonce`.
//!
//! This module speaks the protocol and nothing else: discovery
//! (`/.well-known/openid-configuration`, whose `issuer` must be the one
//! configured), the authorization address, the code exchange at the token
//! endpoint (client secret by HTTP Basic), and the ID token's verification:
//! its signature against the provider's JWKS (RS256, PS256 and ES256; never
//! `none` or a shared-secret algorithm), then `iss`, `aud` (and `azp`), `exp`
//! and the `nonce`. It hands back the email the provider vouches for
//! (`email_verified`), from the ID token or, when the provider keeps it out of
//! the token, from its userinfo endpoint for the same subject. Who that is in
//! Roundtable, and the session, are the web layer's (`web::sso`).
//!
//! Discovery and keys are cached for a few minutes; an ID token signed with a
//! key id not in the cache refreshes them once (the provider rotated keys).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use reqwest::Url;
use roundtable_domain::credentials::Secret;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How one provider is configured (server configuration, e.g. the
/// `ROUNDTABLE_OIDC_*` environment variables).
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its discovery document states it.
    pub issuer: String,
    pub client_id: String,
    /// Never printed (`Secret`).
    pub client_secret: Secret,
    /// This server's callback, `https://HOST/auth/oidc/callback`, as registered at the provider.
    pub redirect_url: String,
    /// The organization (slug) whose people sign in this way.
    pub organization: String,
    /// Shown on the sign-in page: "Sign in with NAME".
    pub display_name: String,
}

/// Why single sign-on did not complete, in words for the person signing in.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("the sign-in provider could not be reached or answered unexpectedly ({0})")]
    Provider(String),
    #[error("the sign-in provider refused: {0}")]
    Refused(String),
    #[error("the identity token was not valid: {0}")]
    InvalidToken(String),
    #[error("the provider did not vouch for an email address: {0}")]
    NoVerifiedEmail(String),
}

/// The parts of the discovery document this relying party uses.
#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    code_challenge_methods_supported: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Discovered {
    metadata: Metadata,
    keys: Vec<Jwk>,
    fetched: Instant,
}

/// How long discovery and keys are reused before asking the provider again.
const CACHE_FOR: Duration = Duration::from_secs(300);
/// Clock skew tolerated on `exp` (and `nbf`, `iat`), in seconds.
const LEEWAY_SECONDS: u64 = 60;
/// Signature algorithms accepted on ID tokens: asymmetric only.
const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
];

/// A sign-in just begun: where to send the browser, and what it must bring back.
#[derive(Debug)]
pub struct Attempt {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    /// The PKCE code verifier; only its S256 challenge went to the provider.
    pub verifier: String,
}

/// Who the provider says signed in, after every check.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    pub subject: String,
    pub email: String,
}

/// The claims of an ID token this module reads beyond those `jsonwebtoken` checks.
#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    aud: serde_json::Value,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// The claims of the userinfo endpoint this relying party reads.
#[derive(Debug, Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// The relying party of one configured provider.
#[derive(Debug)]
pub struct SingleSignOn {
    config: OidcConfig,
    http: reqwest::Client,
    discovered: RwLock<Option<Discovered>>,
}

/// A random value for `state`, `nonce` or a PKCE verifier: 256 bits, base64url.
fn random_value() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 challenge of a verifier (RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn provider_error(error: impl std::fmt::Display) -> SsoError {
    SsoError::Provider(error.to_string())
}

impl SingleSignOn {
    /// Checks the configuration's URLs and prepares the HTTP client.
    pub fn new(config: OidcConfig) -> Result<Self, String> {
        for (name, value) in [
            ("issuer", &config.issuer),
            ("redirect URL", &config.redirect_url),
        ] {
            let url = Url::parse(value)
                .map_err(|error| format!("the OpenID Connect {name} {value:?}: {error}"))?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(format!(
                    "the OpenID Connect {name} {value:?} must be an http(s) URL"
                ));
            }
        }
        // The provider is spoken to over HTTPS; plain HTTP only on this machine.
        let issuer = Url::parse(&config.issuer).map_err(|error| error.to_string())?;
        let host = issuer
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|address| address.is_loopback());
        if issuer.scheme() != "https" && !loopback {
            return Err(format!(
                "the OpenID Connect issuer {:?} must be an https URL (http only on loopback)",
                config.issuer
            ));
        }
        for (name, value) in [
            ("client id", &config.client_id),
            ("client secret", &config.client_secret.expose().to_owned()),
            ("organization", &config.organization),
        ] {
            if value.trim().is_empty() {
                return Err(format!("the OpenID Connect {name} is empty"));
            }
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("the OpenID Connect HTTP client: {error}"))?;
        Ok(Self {
            config,
            http,
            discovered: RwLock::new(None),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SsoError> {
        let response = self.http.get(url).send().await.map_err(provider_error)?;
        if !response.status().is_success() {
            return Err(SsoError::Provider(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        response.json::<T>().await.map_err(provider_error)
    }

    /// Discovery and keys, from the cache unless stale or `refresh`.
    async fn discovered(&self, refresh: bool) -> Result<Discovered, SsoError> {
        if !refresh
            && let Some(cached) = self.discovered.read().await.as_ref()
            && cached.fetched.elapsed() < CACHE_FOR
        {
            return Ok(cached.clone());
        }
        let issuer = self.config.issuer.trim_end_matches('/');
        let metadata: Metadata = self
            .get_json(&format!("{issuer}/.well-known/openid-configuration"))
            .await?;
        if metadata.issuer != self.config.issuer {
            return Err(SsoError::Provider(format!(
                "the discovery document names the issuer {:?}, not the configured {:?}",
                metadata.issuer, self.config.issuer
            )));
        }
        if let Some(methods) = &metadata.code_challenge_methods_supported
            && !methods.iter().any(|method| method == "S256")
        {
            return Err(SsoError::Provider(
                "the provider does not support PKCE with S256".to_owned(),
            ));
        }
        #[derive(Deserialize)]
        struct KeySet {
            keys: Vec<serde_json::Value>,
        }
        let set: KeySet = self.get_json(&metadata.jwks_uri).await?;
        // Keys of kinds this relying party cannot use (encryption keys, new
        // curves) are skipped rather than failing the whole set.
        let keys = set
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
            .collect();
        let discovered = Discovered {
            metadata,
            keys,
            fetched: Instant::now(),
        };
        *self.discovered.write().await = Some(discovered.clone());
        Ok(discovered)
    }

    /// Begins a sign-in: fresh state, nonce and PKCE verifier, and the
    /// provider's authorization address carrying them.
    pub async fn start(&self) -> Result<Attempt, SsoError> {
        let discovered = self.discovered(false).await?;
        let state = random_value();
        let nonce = random_value();
        let verifier = random_value();
        let mut url =
            Url::parse(&discovered.metadata.authorization_endpoint).map_err(provider_error)?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("scope", "openid email")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(Attempt {
            authorize_url: url.to_string(),
            state,
            nonce,
            verifier,
        })
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token
    /// against the nonce this browser's attempt carried.
    pub async fn finish(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<VerifiedIdentity, SsoError> {
        let discovered = self.discovered(false).await?;
        let encode = |value: &str| form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let user: String = encode(&self.config.client_id);
        let password: String = encode(self.config.client_secret.expose());
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("code_verifier", verifier)
            .finish();
        let response = self
            .http
            .post(&discovered.metadata.token_endpoint)
            .basic_auth(user, Some(password))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(provider_error)?;
        let status = response.status();
        let text = response.text().await.map_err(provider_error)?;
        if !status.is_success() {
            return Err(match serde_json::from_str::<TokenError>(&text) {
                Ok(refused) => SsoError::Refused(match refused.error_description {
                    Some(description) => format!("{} ({description})", refused.error),
                    None => refused.error,
                }),
                Err(_) => SsoError::Provider(format!("the token endpoint answered {status}")),
            });
        }
        let tokens: TokenResponse = serde_json::from_str(&text).map_err(provider_error)?;
        let id_token = tokens
            .id_token
            .ok_or_else(|| SsoError::Provider("the token endpoint sent no ID token".to_owned()))?;
        let claims = self.verify(&id_token, nonce, &discovered).await?;
        if claims.email.is_some() {
            return verified_email(claims.sub, claims.email, claims.email_verified);
        }
        // Providers that keep scope claims out of the ID token give them at
        // the userinfo endpoint, for the same subject.
        let (Some(endpoint), Some(access_token)) =
            (&discovered.metadata.userinfo_endpoint, &tokens.access_token)
        else {
            return verified_email(claims.sub, None, None);
        };
        let response = self
            .http
            .get(endpoint)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(provider_error)?;
        if !response.status().is_success() {
            return Err(SsoError::Provider(format!(
                "the userinfo endpoint answered {}",
                response.status()
            )));
        }
        let info: UserInfo = response.json().await.map_err(provider_error)?;
        if info.sub != claims.sub {
            return Err(SsoError::InvalidToken(
                "the userinfo endpoint describes another subject".to_owned(),
            ));
        }
        verified_email(claims.sub, info.email, info.email_verified)
    }

    /// Verifies the signature and claims of an ID token.
    async fn verify(
        &self,
        id_token: &str,
        nonce: &str,
        discovered: &Discovered,
    ) -> Result<IdClaims, SsoError> {
        let invalid = |message: String| SsoError::InvalidToken(message);
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|error| invalid(format!("unreadable header ({error})")))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(invalid(format!(
                "signed with {:?}, which is not accepted",
                header.alg
            )));
        }
        let key = match find_key(&discovered.keys, header.kid.as_deref(), header.alg) {
            Some(key) => key,
            // The provider may have rotated its keys since they were cached.
            None => {
                let fresh = self.discovered(true).await?;
                find_key(&fresh.keys, header.kid.as_deref(), header.alg).ok_or_else(|| {
                    invalid("signed with a key the provider does not publish".to_owned())
                })?
            }
        };
        let key = DecodingKey::from_jwk(&key)
            .map_err(|error| invalid(format!("the provider's key is unusable ({error})")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&discovered.metadata.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|error| invalid(error.to_string()))?
            .claims;
        let audiences = match &claims.aud {
            serde_json::Value::Array(all) => all.len(),
            _ => 1,
        };
        if audiences > 1 || claims.azp.is_some() {
            // With several audiences, the token must have been issued to us.
            if claims.azp.as_deref() != Some(self.config.client_id.as_str()) {
                return Err(invalid("issued to another client (azp)".to_owned()));
            }
        }
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(invalid(
                "its nonce is not the one this sign-in sent (a replayed or injected token)"
                    .to_owned(),
            ));
        }
        Ok(claims)
    }
}

/// The identity, when the provider vouched for the email (`email_verified`).
fn verified_email(
    subject: String,
    email: Option<String>,
    email_verified: Option<serde_json::Value>,
) -> Result<VerifiedIdentity, SsoError> {
    let verified = match &email_verified {
        Some(serde_json::Value::Bool(verified)) => *verified,
        Some(serde_json::Value::String(verified)) => verified == "true",
        _ => false,
    };
    match email {
        Some(email) if verified => Ok(VerifiedIdentity { subject, email }),
        Some(email) => Err(SsoError::NoVerifiedEmail(format!(
            "{email} is not marked as verified"
        ))),
        None => Err(SsoError::NoVerifiedEmail(
            "neither the identity token nor the userinfo endpoint carries an email".to_owned(),
        )),
    }
}

/// The published key for a token's key id (or, without one, the only key
/// that fits the algorithm).
fn find_key(keys: &[Jwk], kid: Option<&str>, algorithm: Algorithm) -> Option<Jwk> {
    let fits = |key: &&Jwk| {
        key.is_supported()
            && !matches!(key.common.public_key_use, Some(PublicKeyUse::Encryption))
            && key
                .common
                .key_algorithm
                .is_none_or(|declared| declared.to_string() == format!("{algorithm:?}"))
    };
    match kid {
        Some(kid) => keys
            .iter()
            .filter(fits)
            .find(|key| key.common.key_id.as_deref() == Some(kid))
            .cloned(),
        None => {
            let mut candidates = keys.iter().filter(fits);
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only.clone()),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    fn config(issuer: &str) -> OidcConfig {
        OidcConfig {
            issuer: issuer.to_owned(),
            client_id: "roundtable".to_owned(),
            client_secret: Secret::new("secret"),
            redirect_url: "https://roundtable.example/auth/oidc/callback".to_owned(),
            organization: "acme".to_owned(),
            display_name: "Acme".to_owned(),
        }
    }

    #[test]
    fn the_issuer_is_https_except_on_loopback() {
        for allowed in [
            "https://login.example",
            "http://127.0.0.1:4000",
            "http://localhost:4000",
            "http://[::1]:4000",
        ] {
            assert!(SingleSignOn::new(config(allowed)).is_ok(), "{allowed}");
        }
        for refused in [
            "http://login.example",
            "ftp://login.example",
            "login.example",
        ] {
            assert!(SingleSignOn::new(config(refused)).is_err(), "{refused}");
        }
    }

    #[test]
    fn random_values_are_long_unpadded_and_distinct() {
        let first = random_value();
        assert_eq!(first.len(), 43);
        assert!(
            first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(first, random_value());
    }
}
