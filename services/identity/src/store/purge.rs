//! Forgetting what no longer matters: ended sessions, dead one-time tokens, stale counters.

use std::time::{Duration, SystemTime};

use estospaces_storage::unix_micros;

use super::{IdentityStore, StoreError};

/// How long a revoked session stays listed in the database after its revocation, for operators
/// looking into an incident.
const REVOKED_SESSION_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub one_time_tokens: u64,
    pub throttle_counters: u64,
}

impl IdentityStore {
    /// Deletes expired sessions (with their refresh tokens), sessions revoked more than a day
    /// ago, expired one-time tokens, and throttling counters whose window and lockout are over.
    pub async fn purge_expired(
        &self,
        throttle_window: Duration,
        now: SystemTime,
    ) -> Result<Purged, StoreError> {
        let micros = unix_micros(now);
        let before =
            |age: Duration| unix_micros(now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH));
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at < $2")
                .bind(micros)
                .bind(before(REVOKED_SESSION_RETENTION))
                .execute(self.db.pool())
                .await?
                .rows_affected();
        let one_time_tokens = sqlx::query("DELETE FROM one_time_tokens WHERE expires_at <= $1")
            .bind(micros)
            .execute(self.db.pool())
            .await?
            .rows_affected();
        let throttle_counters = sqlx::query(
            "DELETE FROM login_throttle WHERE window_start < $1 \
             AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(before(throttle_window))
        .bind(micros)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(Purged {
            sessions,
            one_time_tokens,
            throttle_counters,
        })
    }
}
