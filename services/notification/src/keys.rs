//! The service's delivery keys: opening the one-time secrets other services seal to them, and
//! signing unsubscribe links.
//!
//! The first start creates a key and publishes it (`notification.delivery_key_published`);
//! every start publishes the newest again, so a producer with a fresh database learns it even
//! after the topic's retention dropped the first publication.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use estospaces_auth::sealed::DeliveryKey;
use estospaces_events::NewEvent;
use estospaces_proto::notification_v1::DeliveryKeyPublished;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::domain::{Category, UserId};
use crate::store::NotificationStore;

#[derive(Debug, Default)]
struct Loaded {
    newest: Option<String>,
    keys: HashMap<String, DeliveryKey>,
}

/// The delivery keys, loaded from the store and reloaded when a secret names one not loaded.
#[derive(Debug, Clone)]
pub struct Keys {
    store: NotificationStore,
    loaded: Arc<RwLock<Loaded>>,
}

/// Why a sealed secret could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no delivery key {0:?}")]
    UnknownKey(String),
    #[error(transparent)]
    Seal(#[from] estospaces_auth::sealed::SealError),
    #[error("loading the delivery keys: {0:#}")]
    Reload(anyhow::Error),
}

fn publication(key_id: &str, key: &DeliveryKey, created_at: SystemTime) -> NewEvent {
    NewEvent::new(
        "notification.delivery_key_published",
        "delivery_key",
        key_id,
        &DeliveryKeyPublished {
            key_id: key_id.to_owned(),
            public_key: key.public_bytes().to_vec(),
            create_time: Some(created_at.into()),
        },
    )
}

impl Keys {
    /// Loads the keys, creating the first one when there is none, and publishes the newest.
    pub async fn initialize(store: NotificationStore) -> anyhow::Result<Self> {
        let keys = Self {
            store,
            loaded: Arc::default(),
        };
        keys.reload().await?;
        let newest = keys.read().newest.clone();
        match newest {
            Some(id) => {
                let key = keys.read().keys[&id].clone();
                keys.store
                    .publish(publication(&id, &key, SystemTime::now()))
                    .await?;
            }
            None => {
                let (id, key) = (uuid::Uuid::now_v7().to_string(), DeliveryKey::generate());
                let now = SystemTime::now();
                keys.store
                    .add_delivery_key(
                        &id,
                        &STANDARD.encode(key.secret_bytes()),
                        &STANDARD.encode(key.public_bytes()),
                        now,
                        publication(&id, &key, now),
                    )
                    .await?;
                tracing::info!(key_id = %id, "created and published a delivery key");
                keys.reload().await?;
            }
        }
        Ok(keys)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    async fn reload(&self) -> anyhow::Result<()> {
        let rows = self.store.delivery_keys().await?;
        let mut loaded = Loaded::default();
        for (id, secret, _) in rows {
            let key = DeliveryKey::from_secret_bytes(&STANDARD.decode(secret)?)?;
            loaded.newest.get_or_insert_with(|| id.clone());
            loaded.keys.insert(id, key);
        }
        *self
            .loaded
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = loaded;
        Ok(())
    }

    async fn key(&self, id: &str) -> Result<DeliveryKey, OpenError> {
        if let Some(key) = self.read().keys.get(id) {
            return Ok(key.clone());
        }
        // Another replica may have made it since we loaded.
        self.reload().await.map_err(OpenError::Reload)?;
        self.read()
            .keys
            .get(id)
            .cloned()
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))
    }

    /// Opens a secret sealed to the key `key_id`.
    pub async fn open(&self, key_id: &str, sealed: &[u8]) -> Result<String, OpenError> {
        Ok(self.key(key_id).await?.open(sealed)?)
    }

    fn link_mac(key: &DeliveryKey) -> Hmac<Sha256> {
        // A key of its own for links, derived from the delivery key's secret.
        let derived = Sha256::new()
            .chain_update(b"estospaces notification unsubscribe link")
            .chain_update(key.secret_bytes())
            .finalize();
        <Hmac<Sha256> as Mac>::new_from_slice(&derived).expect("HMAC takes any key length")
    }

    /// A token that switches off `category` email for `user`:
    /// `{key id}.{user}.{category}.{HMAC}`.
    pub fn unsubscribe_token(&self, user: UserId, category: Category) -> Option<String> {
        let loaded = self.read();
        let id = loaded.newest.as_ref()?;
        let claim = format!("{id}.{user}.{}", category.as_str());
        let mut mac = Self::link_mac(&loaded.keys[id]);
        mac.update(claim.as_bytes());
        Some(format!(
            "{claim}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        ))
    }

    /// The user and category an unsubscribe token names, if it is genuine.
    pub async fn verify_unsubscribe(&self, token: &str) -> Option<(UserId, Category)> {
        let (claim, signature) = token.rsplit_once('.')?;
        let mut parts = claim.split('.');
        let (id, user, category) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let key = self.key(id).await.ok()?;
        let mut mac = Self::link_mac(&key);
        mac.update(claim.as_bytes());
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?)
            .ok()?;
        Some((
            UserId(uuid::Uuid::parse_str(user).ok()?),
            Category::from_name(category)?,
        ))
    }
}
