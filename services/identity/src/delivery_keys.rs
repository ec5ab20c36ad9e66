//! The notification service's delivery keys, learned from its events, and the sealing of
//! one-time tokens to the newest of them (`proto/estospaces/notification/v1/
//! notification_events.proto`). Until a key is known, mail events go out without a token: the
//! owner asks for a new one later, which is better than a token in clear on a shared topic.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::identity_v1 as pb;
use estospaces_proto::notification_v1::DeliveryKeyPublished;
use estospaces_storage::unix_micros;
use sqlx::{AnyConnection, Row};

/// The consumer group identity reads the notification service's events as.
pub const CONSUMER_GROUP: &str = "identity.notification-events";

/// Seals `token` to the newest delivery key in the store; `None` when none is known yet.
pub async fn seal_in(
    tx: &mut AnyConnection,
    token: &str,
) -> Result<Option<pb::SealedSecret>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT key_id, public_key FROM delivery_keys ORDER BY created_at DESC, key_id DESC LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        tracing::warn!("no delivery key from the notification service yet: the token is not sent");
        return Ok(None);
    };
    let key_id: String = row.try_get("key_id")?;
    let public_key = STANDARD
        .decode(row.try_get::<String, _>("public_key")?)
        .map_err(|err| sqlx::Error::Decode(Box::new(err)))?;
    let ciphertext = estospaces_auth::sealed::seal(&public_key, token)
        .map_err(|err| sqlx::Error::Decode(Box::new(err)))?;
    Ok(Some(pb::SealedSecret { key_id, ciphertext }))
}

/// Records each published delivery key (idempotently: a key is republished on every start of
/// the notification service).
#[derive(Debug, Clone, Copy)]
pub struct DeliveryKeysHandler;

impl EventHandler for DeliveryKeysHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<DeliveryKeyPublished>() {
            return Ok(());
        }
        let key = event
            .payload::<DeliveryKeyPublished>()
            .map_err(HandlerError::permanent)?;
        if key.key_id.is_empty() || key.public_key.len() != 32 {
            return Err(HandlerError::permanent(anyhow::anyhow!(
                "a delivery key needs an id and 32 bytes"
            )));
        }
        let created_at = key
            .create_time
            .and_then(|time| std::time::SystemTime::try_from(time).ok())
            .map_or(0, unix_micros);
        sqlx::query(
            "INSERT INTO delivery_keys (key_id, public_key, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(&key.key_id)
        .bind(STANDARD.encode(&key.public_key))
        .bind(created_at)
        .execute(&mut *tx)
        .await
        .map_err(HandlerError::transient)?;
        Ok(())
    }
}
