//! The signing key ring: the newest unretired key signs; every published key verifies.
//!
//! Rotation retires the signer and stores a new one. A retired key stays published for the
//! retention period — the access token lifetime, plus one key refresh interval (another replica
//! may sign with it until it reloads), plus the verifiers' clock leeway — so every token it
//! signed expires before its key disappears.

use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use estospaces_auth::{PublicJwk, SigningKey};

use crate::store::IdentityStore;

/// How much clock skew verifiers tolerate (`estospaces_auth::TokenVerifier`'s leeway).
const VERIFIER_LEEWAY: Duration = Duration::from_secs(5);

/// How long a retired key stays published.
pub fn retention(access_token_ttl: Duration, key_refresh_interval: Duration) -> Duration {
    access_token_ttl + key_refresh_interval + VERIFIER_LEEWAY
}

/// The keys loaded from the store.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// Signs new tokens.
    pub current: SigningKey,
    /// Every published key's public half, newest first.
    pub public: Vec<PublicJwk>,
}

impl KeyRing {
    /// Loads the ring at start. With a `configured` key, that key becomes the signer (stored if
    /// new); without one, a key is generated when the store holds no signer yet.
    pub async fn initialize(
        store: &IdentityStore,
        configured: Option<SigningKey>,
        retention: Duration,
    ) -> anyhow::Result<Self> {
        if let Some(key) = configured {
            store
                .make_signing_key_current(
                    key.kid(),
                    key.to_pkcs8_der(),
                    retention,
                    SystemTime::now(),
                )
                .await?;
            tracing::info!(kid = key.kid(), "signing with the configured key");
        } else if Self::load(store, retention).await?.is_none() {
            let key = SigningKey::generate();
            store
                .insert_signing_key(key.kid(), key.to_pkcs8_der(), SystemTime::now())
                .await?;
            tracing::info!(kid = key.kid(), "created the first signing key");
        }
        // Read back rather than trust our own: a replica starting at the same moment may have
        // stored one too, and all replicas must agree on the ring.
        Self::load(store, retention)
            .await?
            .context("no signing key in the store right after storing one")
    }

    /// Stores a new signing key, retiring the current one, and returns the new ring.
    pub async fn rotate(store: &IdentityStore, retention: Duration) -> anyhow::Result<Self> {
        let key = SigningKey::generate();
        store
            .make_signing_key_current(key.kid(), key.to_pkcs8_der(), retention, SystemTime::now())
            .await?;
        tracing::info!(kid = key.kid(), "rotated the signing key");
        Self::load(store, retention)
            .await?
            .context("no signing key in the store right after rotating")
    }

    /// Loads the published keys, if one of them can sign.
    pub async fn load(store: &IdentityStore, retention: Duration) -> anyhow::Result<Option<Self>> {
        let records = store
            .published_signing_keys(retention, SystemTime::now())
            .await?;
        let mut current = None;
        let mut public = Vec::with_capacity(records.len());
        for record in &records {
            let key = SigningKey::from_pkcs8_der(&record.private_key)?;
            public.push(key.public_jwk().clone());
            if current.is_none() && record.retired_at.is_none() {
                current = Some(key);
            }
        }
        Ok(current.map(|current| Self { current, public }))
    }
}

/// Reads a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) Ed25519 key, as `openssl genpkey
/// -algorithm ed25519` writes it.
pub fn read_pem_file(path: &Path) -> anyhow::Result<SigningKey> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading the signing key file {}", path.display()))?;
    parse_pem(&pem).with_context(|| format!("the signing key file {}", path.display()))
}

fn parse_pem(pem: &str) -> anyhow::Result<SigningKey> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != "-----BEGIN PRIVATE KEY-----")
        .skip(1)
        .take_while(|line| *line != "-----END PRIVATE KEY-----")
        .collect();
    anyhow::ensure!(!body.is_empty(), "no PKCS#8 `PRIVATE KEY` block");
    let der = STANDARD
        .decode(body)
        .context("the PEM body is not base64")?;
    Ok(SigningKey::from_pkcs8_der(&der)?)
}

/// The PKCS#8 PEM form of `key`, as [`read_pem_file`] reads it.
pub fn to_pem(key: &SigningKey) -> String {
    let body = STANDARD.encode(key.to_pkcs8_der());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_key_reads_back_with_its_key_id() {
        let key = SigningKey::generate();
        let read = parse_pem(&to_pem(&key)).expect("valid PEM");
        assert_eq!(read.kid(), key.kid());
    }

    #[test]
    fn an_openssl_ed25519_key_is_read() {
        // `openssl genpkey -algorithm ed25519` (RFC 8410 test key).
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
                   -----END PRIVATE KEY-----\n";
        assert!(parse_pem(pem).is_ok());
    }

    #[test]
    fn text_without_a_private_key_block_is_refused() {
        assert!(parse_pem("not a key").is_err());
        assert!(parse_pem("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----").is_err());
    }
}
