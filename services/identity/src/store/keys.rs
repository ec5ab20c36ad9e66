//! Signing keys.

use std::time::{Duration, SystemTime};

use estospaces_storage::{from_unix_micros, unix_micros};
use sqlx::Row;

use super::{IdentityStore, StoreError};

/// A stored signing key.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub private_key: Vec<u8>,
    pub created_at: SystemTime,
    /// When it starts signing: later than `created_at` for a key published ahead of its use.
    pub signs_from: SystemTime,
    /// When it stops signing (possibly in the future); `None` while no successor is set.
    pub retired_at: Option<SystemTime>,
}

impl IdentityStore {
    /// Keys that sign, will sign, or may still have tokens in circulation: unretired ones, and
    /// ones retired less than `retention` ago. Newest first.
    pub async fn published_signing_keys(
        &self,
        retention: Duration,
        now: SystemTime,
    ) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let cutoff = unix_micros(now.checked_sub(retention).unwrap_or(SystemTime::UNIX_EPOCH));
        let rows = sqlx::query(
            "SELECT private_key, created_at, signs_from, retired_at FROM signing_keys \
             WHERE retired_at IS NULL OR retired_at > $1 \
             ORDER BY created_at DESC, kid",
        )
        .bind(cutoff)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let retired_at: Option<i64> = row.try_get("retired_at")?;
                let signs_from: Option<i64> = row.try_get("signs_from")?;
                let created_at = from_unix_micros(row.try_get("created_at")?);
                Ok(SigningKeyRecord {
                    private_key: row.try_get("private_key")?,
                    created_at,
                    signs_from: signs_from.map_or(created_at, from_unix_micros),
                    retired_at: retired_at.map(from_unix_micros),
                })
            })
            .collect()
    }

    /// Stores a new signing key.
    pub async fn insert_signing_key(
        &self,
        kid: &str,
        private_key: &[u8],
        now: SystemTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO signing_keys (kid, private_key, created_at) VALUES ($1, $2, $3)")
            .bind(kid)
            .bind(private_key.to_vec())
            .bind(unix_micros(now))
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Makes `kid` the signing key from `signs_from` on: it is published now, every other
    /// unretired key retires at `signs_from`, and `kid` is stored (or brought back) unretired.
    /// Forgets keys retired more than `retention` ago.
    pub async fn make_signing_key_current(
        &self,
        kid: &str,
        private_key: &[u8],
        retention: Duration,
        now: SystemTime,
        signs_from: SystemTime,
    ) -> Result<(), StoreError> {
        let micros = unix_micros(now);
        let from = unix_micros(signs_from.max(now));
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL AND kid <> $2",
        )
        .bind(from)
        .bind(kid)
        .execute(&mut *tx)
        .await?;
        // A key that comes back after being retired counts as new, so it sorts first.
        sqlx::query(
            "INSERT INTO signing_keys (kid, private_key, created_at, signs_from) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kid) DO UPDATE SET retired_at = NULL, \
             created_at = CASE WHEN signing_keys.retired_at IS NULL THEN signing_keys.created_at \
                          ELSE excluded.created_at END, \
             signs_from = CASE WHEN signing_keys.retired_at IS NULL THEN signing_keys.signs_from \
                          ELSE excluded.signs_from END",
        )
        .bind(kid)
        .bind(private_key.to_vec())
        .bind(micros)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM signing_keys WHERE retired_at < $1")
            .bind(unix_micros(
                now.checked_sub(retention).unwrap_or(SystemTime::UNIX_EPOCH),
            ))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
