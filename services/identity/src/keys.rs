//! The signing key ring: every published key verifies; one key signs at a time.
//!
//! Rotation is staged. The new key is published at once but signs only after the
//! pre-publication window (`signing_key_pre_publication`), by when every verifier has had the
//! chance to fetch the key set again; the key it replaces signs until then and retires at that
//! moment. A retired key stays published for the retention period — the access token lifetime,
//! plus one key refresh interval (another replica may sign with it until it reloads), plus the
//! verifiers' clock leeway — so every token it signed expires before its key disappears.

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

/// A key that signs, or will, for a while.
#[derive(Debug, Clone)]
struct Signer {
    key: SigningKey,
    from: SystemTime,
    until: Option<SystemTime>,
}

/// The keys loaded from the store.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// Keys that sign now or later, latest start first.
    signers: Vec<Signer>,
    /// Every published key's public half, newest first.
    pub public: Vec<PublicJwk>,
}

impl KeyRing {
    /// Loads the ring at start. With a `configured` key, that key signs from now on (stored if
    /// new); without one, a key is generated when the store holds no signer yet.
    pub async fn initialize(
        store: &IdentityStore,
        configured: Option<SigningKey>,
        retention: Duration,
    ) -> anyhow::Result<Self> {
        if let Some(key) = configured {
            let now = SystemTime::now();
            store
                .make_signing_key_current(key.kid(), key.to_pkcs8_der(), retention, now, now)
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

    /// Stores a new signing key, published now and signing after `pre_publication`, and
    /// returns the new ring and the new key.
    pub async fn rotate(
        store: &IdentityStore,
        retention: Duration,
        pre_publication: Duration,
    ) -> anyhow::Result<(Self, SigningKey, SystemTime)> {
        let key = SigningKey::generate();
        let now = SystemTime::now();
        let signs_from = now + pre_publication;
        store
            .make_signing_key_current(key.kid(), key.to_pkcs8_der(), retention, now, signs_from)
            .await?;
        tracing::info!(kid = key.kid(), ?pre_publication, "rotated the signing key");
        let ring = Self::load(store, retention)
            .await?
            .context("no signing key in the store right after rotating")?;
        Ok((ring, key, signs_from))
    }

    /// Loads the published keys, if one of them can sign.
    pub async fn load(store: &IdentityStore, retention: Duration) -> anyhow::Result<Option<Self>> {
        let now = SystemTime::now();
        let records = store.published_signing_keys(retention, now).await?;
        let mut signers = Vec::new();
        let mut public = Vec::with_capacity(records.len());
        for record in &records {
            let key = SigningKey::from_pkcs8_der(&record.private_key)?;
            public.push(key.public_jwk().clone());
            if record.retired_at.is_none_or(|until| until > now) {
                signers.push(Signer {
                    key,
                    from: record.signs_from,
                    until: record.retired_at,
                });
            }
        }
        signers.sort_by_key(|signer| std::cmp::Reverse(signer.from));
        let ring = Self { signers, public };
        Ok(ring.signer_at(now).is_some().then_some(ring))
    }

    /// The key that signs at `now`: the latest to have started and not yet retired.
    pub fn signer_at(&self, now: SystemTime) -> Option<&SigningKey> {
        self.signers
            .iter()
            .find(|signer| signer.from <= now && signer.until.is_none_or(|until| until > now))
            .map(|signer| &signer.key)
    }

    /// The key that signs now. A ring always has one when loaded; should the clock pass every
    /// signer's retirement before the next reload, the newest keeps signing.
    pub fn signer(&self) -> &SigningKey {
        self.signer_at(SystemTime::now())
            .or_else(|| self.signers.first().map(|signer| &signer.key))
            .expect("a loaded ring holds a signer")
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
