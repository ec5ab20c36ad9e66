//! TOTP factors and recovery codes.

use std::time::SystemTime;

use estospaces_storage::unix_micros;
use sqlx::Row;

use super::{IdentityStore, StoreError};
use crate::domain::UserId;
use crate::events;

/// A stored TOTP factor.
#[derive(Debug, Clone)]
pub struct MfaFactor {
    pub secret: Vec<u8>,
    pub confirmed: bool,
}

impl IdentityStore {
    /// Stores a pending TOTP secret, replacing an earlier pending one. Refused when a confirmed
    /// factor exists.
    pub async fn start_mfa_enrollment(
        &self,
        user: UserId,
        secret: &[u8],
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let stored = sqlx::query(
            "INSERT INTO mfa_factors (user_id, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE \
             SET secret = excluded.secret, created_at = excluded.created_at, last_step = NULL \
             WHERE mfa_factors.confirmed_at IS NULL",
        )
        .bind(user.to_string())
        .bind(secret.to_vec())
        .bind(unix_micros(now))
        .execute(self.db.pool())
        .await;
        match stored {
            Ok(done) if done.rows_affected() == 0 => Err(StoreError::MfaAlreadyEnabled),
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(err)) if err.is_foreign_key_violation() => {
                Err(StoreError::UserNotFound)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The account's TOTP factor, pending or confirmed.
    pub async fn mfa_factor(&self, user: UserId) -> Result<Option<MfaFactor>, StoreError> {
        let row = sqlx::query("SELECT secret, confirmed_at FROM mfa_factors WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let confirmed_at: Option<i64> = row.try_get("confirmed_at")?;
        Ok(Some(MfaFactor {
            secret: row.try_get("secret")?,
            confirmed: confirmed_at.is_some(),
        }))
    }

    /// Confirms a pending factor with the time step of a valid code, and replaces the recovery
    /// codes.
    pub async fn confirm_mfa(
        &self,
        user: UserId,
        step: u64,
        recovery_digests: &[Vec<u8>],
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let confirmed = sqlx::query(
            "UPDATE mfa_factors SET confirmed_at = $1, last_step = $2 \
             WHERE user_id = $3 AND confirmed_at IS NULL",
        )
        .bind(unix_micros(now))
        .bind(step_column(step))
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        if confirmed.rows_affected() == 0 {
            return Err(StoreError::MfaNotPending);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        for digest in recovery_digests {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user.to_string())
                .bind(digest.clone())
                .execute(&mut *tx)
                .await?;
        }
        let event = events::mfa_changed(user, true, now);
        events::OUTBOX
            .append(&mut tx, event.to_new_event(None))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts a TOTP time step once: false when this step (or a later one) was used already,
    /// so a code seen over someone's shoulder cannot be replayed.
    pub async fn accept_totp_step(&self, user: UserId, step: u64) -> Result<bool, StoreError> {
        let accepted = sqlx::query(
            "UPDATE mfa_factors SET last_step = $1 \
             WHERE user_id = $2 AND confirmed_at IS NOT NULL \
             AND (last_step IS NULL OR last_step < $3)",
        )
        .bind(step_column(step))
        .bind(user.to_string())
        .bind(step_column(step))
        .execute(self.db.pool())
        .await?;
        Ok(accepted.rows_affected() == 1)
    }

    /// Spends a recovery code: false when it is unknown or used.
    pub async fn use_recovery_code(
        &self,
        user: UserId,
        digest: &[u8],
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let used = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(unix_micros(now))
        .bind(user.to_string())
        .bind(digest.to_vec())
        .execute(self.db.pool())
        .await?;
        Ok(used.rows_affected() == 1)
    }
}

impl IdentityStore {
    /// Removes the account's second factor and recovery codes.
    pub async fn disable_mfa(&self, user: UserId) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let mut removed = 0;
        for table in ["mfa_factors", "recovery_codes"] {
            removed += sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        if removed > 0 {
            let event = events::mfa_changed(user, false, SystemTime::now());
            events::OUTBOX
                .append(&mut tx, event.to_new_event(None))
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Time steps are about 6e7 today; they fit a BIGINT for the lifetime of the universe.
fn step_column(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}
