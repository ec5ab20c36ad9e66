//! The signing key ring: the newest active key signs, every active key verifies.

use std::time::SystemTime;

use estospaces_auth::{PublicJwk, SigningKey};

use crate::store::IdentityStore;

/// The keys loaded from the store.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// Signs new tokens.
    pub current: SigningKey,
    /// Every active key's public half, newest first.
    pub public: Vec<PublicJwk>,
}

impl KeyRing {
    /// Loads the active keys, creating the first one when there is none.
    pub async fn load_or_create(store: &IdentityStore) -> anyhow::Result<Self> {
        if let Some(ring) = Self::load(store).await? {
            return Ok(ring);
        }
        let key = SigningKey::generate();
        store
            .insert_signing_key(key.kid(), key.to_pkcs8_der(), SystemTime::now())
            .await?;
        tracing::info!(kid = key.kid(), "created the first signing key");
        // Read back rather than trust our own: a replica starting at the same moment may have
        // created one too, and all replicas must agree on the ring.
        Self::load(store)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the signing key just stored is gone"))
    }

    /// Loads the active keys, if there are any.
    pub async fn load(store: &IdentityStore) -> anyhow::Result<Option<Self>> {
        let records = store.active_signing_keys().await?;
        let mut keys = Vec::with_capacity(records.len());
        for record in &records {
            keys.push(SigningKey::from_pkcs8_der(&record.private_key)?);
        }
        let Some(current) = keys.first().cloned() else {
            return Ok(None);
        };
        Ok(Some(Self {
            current,
            public: keys.iter().map(|key| key.public_jwk().clone()).collect(),
        }))
    }
}
