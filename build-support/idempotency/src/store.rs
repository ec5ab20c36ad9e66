//! The `idempotent_requests` table: claims, stored responses and their expiry.

use std::time::{Duration, SystemTime};

use estospaces_storage::{Database, unix_micros};
use sqlx::Row;

/// Which request a key belongs to: keys are scoped to the caller and the method, as Stripe
/// scopes them to the account and endpoint.
#[derive(Debug, Clone)]
pub(crate) struct KeyId {
    /// The verified caller's user id; empty for anonymous calls (sign-up, say).
    pub caller: String,
    /// The gRPC path, `/estospaces.booking.v1.BookingService/CreateBooking`.
    pub method: String,
    pub key: String,
}

/// What a new request with a key may do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Run it: the key is this request's now.
    Run,
    /// It ran before and succeeded: answer with this response frame.
    Replay(Vec<u8>),
    /// The key was used for a different request.
    Reused,
    /// The first request with this key is still running.
    InProgress,
}

#[derive(Debug, Clone)]
pub(crate) struct KeyStore {
    db: Database,
    /// How long a claim without a response blocks other requests with the key. A process that
    /// died mid-request leaves such a claim; after the lease a retry may run.
    lease: Duration,
    /// How long a key is remembered (Stripe: 24 hours).
    retention: Duration,
}

impl KeyStore {
    pub fn new(db: Database, lease: Duration, retention: Duration) -> Self {
        Self {
            db,
            lease,
            retention,
        }
    }

    pub async fn claim(&self, id: &KeyId, fingerprint: &str) -> Result<Claim, sqlx::Error> {
        // Two rounds at most: the second follows the removal of an expired key.
        for _ in 0..2 {
            let now = unix_micros(SystemTime::now());
            let inserted = sqlx::query(
                "INSERT INTO idempotent_requests \
                 (caller, method, idempotency_key, fingerprint, claimed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&id.caller)
            .bind(&id.method)
            .bind(&id.key)
            .bind(fingerprint)
            .bind(now)
            .execute(self.db.pool())
            .await?
            .rows_affected();
            if inserted == 1 {
                return Ok(Claim::Run);
            }
            let Some(row) = sqlx::query(
                "SELECT fingerprint, response, claimed_at FROM idempotent_requests \
                 WHERE caller = $1 AND method = $2 AND idempotency_key = $3",
            )
            .bind(&id.caller)
            .bind(&id.method)
            .bind(&id.key)
            .fetch_optional(self.db.pool())
            .await?
            else {
                // Released by a failed first request in between: claim again.
                continue;
            };
            let stored: String = row.try_get("fingerprint")?;
            let response: Option<Vec<u8>> = row.try_get("response")?;
            let claimed_at: i64 = row.try_get("claimed_at")?;
            if claimed_at < now - micros(self.retention) {
                self.forget(id, claimed_at).await?;
                continue;
            }
            if stored != fingerprint {
                return Ok(Claim::Reused);
            }
            if let Some(response) = response {
                return Ok(Claim::Replay(response));
            }
            if claimed_at < now - micros(self.lease) && self.take_over(id, claimed_at, now).await? {
                return Ok(Claim::Run);
            }
            return Ok(Claim::InProgress);
        }
        Ok(Claim::InProgress)
    }

    /// Records the response of the request that holds the key.
    pub async fn complete(&self, id: &KeyId, response: &[u8]) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE idempotent_requests SET response = $4 \
             WHERE caller = $1 AND method = $2 AND idempotency_key = $3 AND response IS NULL",
        )
        .bind(&id.caller)
        .bind(&id.method)
        .bind(&id.key)
        .bind(response)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Gives the key up after a failed request, so a retry runs again (failures are not
    /// remembered: the caller may fix the request and retry with the same key).
    pub async fn release(&self, id: &KeyId) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM idempotent_requests \
             WHERE caller = $1 AND method = $2 AND idempotency_key = $3 AND response IS NULL",
        )
        .bind(&id.caller)
        .bind(&id.method)
        .bind(&id.key)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Removes keys older than the retention; returns how many.
    pub async fn sweep(&self) -> Result<u64, sqlx::Error> {
        let cutoff = unix_micros(SystemTime::now()) - micros(self.retention);
        Ok(
            sqlx::query("DELETE FROM idempotent_requests WHERE claimed_at < $1")
                .bind(cutoff)
                .execute(self.db.pool())
                .await?
                .rows_affected(),
        )
    }

    async fn forget(&self, id: &KeyId, claimed_at: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM idempotent_requests \
             WHERE caller = $1 AND method = $2 AND idempotency_key = $3 AND claimed_at = $4",
        )
        .bind(&id.caller)
        .bind(&id.method)
        .bind(&id.key)
        .bind(claimed_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Claims a key whose holder died, unless another retry got there first.
    async fn take_over(&self, id: &KeyId, claimed_at: i64, now: i64) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE idempotent_requests SET claimed_at = $5 \
             WHERE caller = $1 AND method = $2 AND idempotency_key = $3 \
             AND response IS NULL AND claimed_at = $4",
        )
        .bind(&id.caller)
        .bind(&id.method)
        .bind(&id.key)
        .bind(claimed_at)
        .bind(now)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(updated == 1)
    }
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}
