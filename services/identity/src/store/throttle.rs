//! Failed sign-in counters, shared by every replica through the database.

use std::time::{Duration, SystemTime};

use estospaces_storage::{from_unix_micros, unix_micros};
use sqlx::Row;

use super::{IdentityStore, StoreError};

/// When a counter locks: after `max_failures` in `window`, for `lockout`, doubling with each
/// further failure up to `max_lockout`.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    pub max_failures: u32,
    pub window: Duration,
    pub lockout: Duration,
    pub max_lockout: Duration,
}

impl ThrottleRule {
    /// How long a key with `failures` failures in its window is locked.
    pub fn lockout_after(&self, failures: u32) -> Option<Duration> {
        let beyond = failures.checked_sub(self.max_failures)?;
        let factor = 1u32.checked_shl(beyond.min(31)).unwrap_or(u32::MAX);
        Some(
            self.lockout
                .checked_mul(factor)
                .unwrap_or(self.max_lockout)
                .min(self.max_lockout),
        )
    }
}

impl IdentityStore {
    /// How long the most locked of `keys` stays locked, if any is.
    pub async fn throttled_for(
        &self,
        keys: &[&str],
        now: SystemTime,
    ) -> Result<Option<Duration>, StoreError> {
        let mut longest: Option<Duration> = None;
        for key in keys {
            let row =
                sqlx::query("SELECT locked_until FROM login_throttle WHERE throttle_key = $1")
                    .bind(*key)
                    .fetch_optional(self.db.pool())
                    .await?;
            let locked_until: Option<i64> = match row {
                Some(row) => row.try_get("locked_until")?,
                None => None,
            };
            if let Some(until) = locked_until
                && let Ok(remaining) = from_unix_micros(until).duration_since(now)
                && !remaining.is_zero()
            {
                longest = Some(longest.map_or(remaining, |l| l.max(remaining)));
            }
        }
        Ok(longest)
    }

    /// Counts one failure against `key` and locks it when the rule says so. One atomic upsert
    /// increments the counter, so concurrent failures are all counted.
    pub async fn record_failure(
        &self,
        key: &str,
        rule: ThrottleRule,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let micros = unix_micros(now);
        let window_opened_after = unix_micros(now.checked_sub(rule.window).unwrap_or(now));
        let row = sqlx::query(
            "INSERT INTO login_throttle (throttle_key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (throttle_key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.window_start < $3 THEN 1 \
                          ELSE login_throttle.failures + 1 END, \
               window_start = CASE WHEN login_throttle.window_start < $4 THEN $5 \
                              ELSE login_throttle.window_start END \
             RETURNING failures",
        )
        .bind(key)
        .bind(micros)
        .bind(window_opened_after)
        .bind(window_opened_after)
        .bind(micros)
        .fetch_one(self.db.pool())
        .await?;
        let failures: i64 = row.try_get("failures")?;
        if let Some(lockout) = rule.lockout_after(u32::try_from(failures).unwrap_or(u32::MAX)) {
            sqlx::query("UPDATE login_throttle SET locked_until = $1 WHERE throttle_key = $2")
                .bind(unix_micros(now + lockout))
                .bind(key)
                .execute(self.db.pool())
                .await?;
        }
        Ok(())
    }

    /// Forgets `key`'s failures (after a successful sign-in or a password reset).
    pub async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
            .bind(key)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_start_at_the_limit_and_double_up_to_the_cap() {
        let rule = ThrottleRule {
            max_failures: 3,
            window: Duration::from_secs(900),
            lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(600),
        };
        let secs = |failures| rule.lockout_after(failures).map(|d| d.as_secs());
        assert_eq!(secs(2), None);
        assert_eq!(secs(3), Some(60));
        assert_eq!(secs(4), Some(120));
        assert_eq!(secs(6), Some(480));
        assert_eq!(secs(7), Some(600));
        assert_eq!(secs(u32::MAX), Some(600));
    }
}
