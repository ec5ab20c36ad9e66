//! Idempotency keys with Stripe's semantics for the mutating RPCs.
//!
//! A call claims `(caller, key)` in the transaction that records its step (see
//! [`crate::steps`]); the step's outcome is stored under the key (the encoded response, or the
//! error's code, message and `google.rpc.Status` details) in the transaction that records it,
//! and a call refused before any step is stored with its claim. Then:
//! - the same key with the same request (method and a SHA-256 of the encoded message) replays
//!   the stored result, error included, with `idempotent-replayed: true` in the metadata;
//! - the same key with another request fails with FAILED_PRECONDITION, IDEMPOTENCY_KEY_REUSED;
//! - the same key while the step has no outcome yet (the provider was down, or the first call
//!   was cut off) runs that step again, with the same provider key.
//!
//! Transient failures (UNAVAILABLE, ABORTED, INTERNAL) are never stored: the call may be
//! retried with the same key. Keys are kept for a day ([`sweep`]).

use std::time::{Duration, SystemTime};

use estospaces_storage::unix_micros;
use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool, Row};
use tonic::{Code, Status};

/// The longest key accepted (Stripe's limit).
pub const MAX_KEY_LENGTH: usize = 255;

/// The metadata key marking a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";

/// A stored result.
#[derive(Debug, Clone)]
pub enum Stored {
    Response(Vec<u8>),
    Error(Status),
}

impl Stored {
    /// The stored result as the reply to a call: the response decoded as `R`, or the error.
    pub fn replay<R: Message + Default>(self) -> Result<tonic::Response<R>, Status> {
        match self {
            Self::Response(bytes) => {
                let message = R::decode(bytes.as_slice())
                    .map_err(|err| Status::internal(format!("a stored response: {err}")))?;
                let mut response = tonic::Response::new(message);
                response.metadata_mut().insert(
                    REPLAYED,
                    tonic::metadata::MetadataValue::from_static("true"),
                );
                Ok(response)
            }
            Self::Error(status) => Err(status),
        }
    }
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: do the work and [`save`] its result.
    New,
    /// The key was used for the same request: reply with this.
    Replay(Stored),
    /// The key was used for another request.
    Mismatch,
    /// The key's call recorded its step but not its result yet: it runs, or it was cut off
    /// (see [`crate::steps`]).
    Pending,
}

/// The fingerprint of `request` to `method`.
pub fn fingerprint(method: &str, request: &impl Message) -> String {
    let digest = Sha256::digest(request.encode_to_vec());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{method}:{hex}")
}

/// Claims `key` of `caller_id` for a request with `fingerprint`, in `tx`.
pub async fn claim(
    tx: &mut AnyConnection,
    caller_id: &str,
    key: &str,
    fingerprint: &str,
    ttl: Duration,
) -> Result<Claim, sqlx::Error> {
    let now = SystemTime::now();
    // An expired key the sweeper has not reached yet is as good as gone.
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE caller_id = $1 AND idempotency_key = $2 \
         AND created_at < $3",
    )
    .bind(caller_id)
    .bind(key)
    .bind(unix_micros(now - ttl))
    .execute(&mut *tx)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (caller_id, idempotency_key, fingerprint, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (caller_id, idempotency_key) DO NOTHING",
    )
    .bind(caller_id)
    .bind(key)
    .bind(fingerprint)
    .bind(unix_micros(now))
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let row = sqlx::query(
        "SELECT fingerprint, response, error_code, error_message, error_details \
         FROM idempotency_keys WHERE caller_id = $1 AND idempotency_key = $2",
    )
    .bind(caller_id)
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    let stored_fingerprint: String = row.try_get("fingerprint")?;
    if stored_fingerprint != fingerprint {
        return Ok(Claim::Mismatch);
    }
    let response: Option<Vec<u8>> = row.try_get("response")?;
    if let Some(response) = response {
        return Ok(Claim::Replay(Stored::Response(response)));
    }
    let code: Option<i32> = row.try_get("error_code")?;
    if code.is_none() {
        return Ok(Claim::Pending);
    }
    let message: Option<String> = row.try_get("error_message")?;
    let details: Option<Vec<u8>> = row.try_get("error_details")?;
    let status = Status::with_details(
        Code::from_i32(code.unwrap_or(Code::Internal as i32)),
        message.unwrap_or_default(),
        details.unwrap_or_default().into(),
    );
    Ok(Claim::Replay(Stored::Error(status)))
}

/// Whether an error is kept under its key: only answers about the request itself, not
/// transient failures, which roll back and may be retried with the same key.
pub fn is_final(status: &Status) -> bool {
    !matches!(
        status.code(),
        Code::Unavailable
            | Code::Aborted
            | Code::Internal
            | Code::Unknown
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::ResourceExhausted
    )
}

/// Stores the result of the call that claimed `key`, in the claiming transaction.
pub async fn save(
    tx: &mut AnyConnection,
    caller_id: &str,
    key: &str,
    result: &Result<Vec<u8>, Status>,
) -> Result<(), sqlx::Error> {
    let (response, code, message, details) = match result {
        Ok(bytes) => (Some(bytes.clone()), None, None, None),
        Err(status) => (
            None,
            Some(status.code() as i32),
            Some(status.message().to_owned()),
            Some(status.details().to_vec()),
        ),
    };
    sqlx::query(
        "UPDATE idempotency_keys SET response = $1, error_code = $2, error_message = $3, \
         error_details = $4 WHERE caller_id = $5 AND idempotency_key = $6",
    )
    .bind(response)
    .bind(code)
    .bind(message)
    .bind(details)
    .bind(caller_id)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes keys older than `ttl`; how many.
pub async fn sweep(db: &AnyPool, ttl: Duration) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(unix_micros(SystemTime::now() - ttl))
        .execute(db)
        .await?;
    Ok(deleted.rows_affected())
}

/// Sweeps every `interval`, for ever.
pub async fn sweep_periodically(db: AnyPool, ttl: Duration, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sweep(&db, ttl).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "expired idempotency keys deleted"),
            Err(err) => tracing::warn!("sweeping idempotency keys: {err}"),
        }
    }
}
