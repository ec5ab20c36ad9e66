//! Sessions and their refresh token families.

use std::time::SystemTime;

use estospaces_storage::{from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::tokens::{self, TokenPurpose};
use super::{IdentityStore, StoreError};
use crate::domain::{SessionId, UserId};
use crate::events;

/// Where a login came from.
#[derive(Debug, Clone)]
pub struct SessionMeta {
    pub user_agent: String,
    pub client_address: String,
}

/// A stored session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user: UserId,
    pub user_agent: String,
    pub client_address: String,
    pub created_at: SystemTime,
    pub refreshed_at: SystemTime,
    pub expires_at: SystemTime,
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// The token was live: it is spent, and the new one belongs to this session.
    Rotated(SessionRecord),
    /// The token had been exchanged before: its session is now revoked.
    ReuseDetected { user: UserId, session: SessionId },
    /// Unknown, revoked or expired.
    Invalid,
}

const SESSION_COLUMNS: &str =
    "id, user_id, user_agent, client_address, created_at, refreshed_at, expires_at";

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, sqlx::Error> {
    let decode = |err: uuid::Error| sqlx::Error::Decode(Box::new(err));
    Ok(SessionRecord {
        id: SessionId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
        user: UserId::parse(&row.try_get::<String, _>("user_id")?).map_err(decode)?,
        user_agent: row.try_get("user_agent")?,
        client_address: row.try_get("client_address")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        refreshed_at: from_unix_micros(row.try_get("refreshed_at")?),
        expires_at: from_unix_micros(row.try_get("expires_at")?),
    })
}

impl IdentityStore {
    /// Starts a session with its first refresh token. With `challenge`, the MFA challenge is
    /// consumed in the same transaction, so one challenge yields one session.
    pub async fn create_session(
        &self,
        user: UserId,
        meta: &SessionMeta,
        refresh_digest: &[u8],
        expires_at: SystemTime,
        challenge: Option<&[u8]>,
        now: SystemTime,
    ) -> Result<SessionRecord, StoreError> {
        let mut tx = self.db.begin().await?;
        if let Some(challenge) = challenge
            && tokens::consume(&mut tx, challenge, TokenPurpose::MfaChallenge, now).await? != user
        {
            return Err(StoreError::TokenInvalid);
        }
        // Rounded to what the columns hold, so this record equals the one read back later.
        let now = from_unix_micros(unix_micros(now));
        let session = SessionRecord {
            id: SessionId::new(),
            user,
            user_agent: meta.user_agent.clone(),
            client_address: meta.client_address.clone(),
            created_at: now,
            refreshed_at: now,
            expires_at: from_unix_micros(unix_micros(expires_at)),
        };
        sqlx::query(
            "INSERT INTO sessions (id, user_id, user_agent, client_address, created_at, \
             refreshed_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(session.id.to_string())
        .bind(user.to_string())
        .bind(&session.user_agent)
        .bind(&session.client_address)
        .bind(unix_micros(session.created_at))
        .bind(unix_micros(session.refreshed_at))
        .bind(unix_micros(session.expires_at))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES ($1, $2, $3)",
        )
        .bind(refresh_digest.to_vec())
        .bind(session.id.to_string())
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        let event = events::signed_in(
            user,
            format!("{}/sessions/{}", user.name(), session.id),
            &session.user_agent,
            &session.client_address,
            now,
        );
        events::OUTBOX
            .append(&mut tx, event.to_new_event(None))
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Exchanges the refresh token `presented` for `next`.
    ///
    /// The spend is a conditional `UPDATE ... WHERE rotated_at IS NULL`: of two concurrent
    /// exchanges of one token, exactly one rotates and the other is treated as reuse.
    pub async fn refresh_session(
        &self,
        presented: &[u8],
        next: &[u8],
        now: SystemTime,
    ) -> Result<RefreshOutcome, StoreError> {
        let micros = unix_micros(now);
        let mut tx = self.db.begin().await?;
        let row = sqlx::query(
            "SELECT t.session_id, t.rotated_at, s.user_id, s.expires_at, s.revoked_at \
             FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id \
             WHERE t.token_hash = $1",
        )
        .bind(presented.to_vec())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(RefreshOutcome::Invalid);
        };
        let rotated_at: Option<i64> = row.try_get("rotated_at")?;
        let revoked_at: Option<i64> = row.try_get("revoked_at")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let decode = |err: uuid::Error| sqlx::Error::Decode(Box::new(err));
        let user = UserId::parse(&row.try_get::<String, _>("user_id")?).map_err(decode)?;
        let session = SessionId::parse(&row.try_get::<String, _>("session_id")?).map_err(decode)?;

        if rotated_at.is_some() {
            return revoke_for_reuse(tx, user, session, micros).await;
        }
        if revoked_at.is_some() || expires_at <= micros {
            return Ok(RefreshOutcome::Invalid);
        }
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = $1 WHERE token_hash = $2 AND rotated_at IS NULL",
        )
        .bind(micros)
        .bind(presented.to_vec())
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() == 0 {
            return revoke_for_reuse(tx, user, session, micros).await;
        }
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES ($1, $2, $3)",
        )
        .bind(next.to_vec())
        .bind(session.to_string())
        .bind(micros)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "UPDATE sessions SET refreshed_at = $1 WHERE id = $2 RETURNING {SESSION_COLUMNS}"
        ))
        .bind(micros)
        .bind(session.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let record = session_from_row(&row)?;
        tx.commit().await?;
        Ok(RefreshOutcome::Rotated(record))
    }

    /// Revokes the session a refresh token belongs to, if any.
    pub async fn revoke_session_by_token(
        &self,
        presented: &[u8],
        now: SystemTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE revoked_at IS NULL AND id = \
             (SELECT session_id FROM refresh_tokens WHERE token_hash = $2)",
        )
        .bind(unix_micros(now))
        .bind(presented.to_vec())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Revokes one of `user`'s sessions; revoking a revoked session again succeeds.
    pub async fn revoke_session(
        &self,
        user: UserId,
        session: SessionId,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let revoked = sqlx::query(
            "UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND user_id = $3",
        )
        .bind(unix_micros(now))
        .bind(session.to_string())
        .bind(user.to_string())
        .execute(self.db.pool())
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(StoreError::SessionNotFound);
        }
        Ok(())
    }

    /// `user`'s live sessions, newest first.
    pub async fn active_sessions(
        &self,
        user: UserId,
        now: SystemTime,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(user.to_string())
        .bind(unix_micros(now))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(session_from_row)
            .collect::<Result<_, _>>()?)
    }
}

/// A spent refresh token came back: whoever holds the family may be a thief, so the whole
/// session goes.
async fn revoke_for_reuse(
    mut tx: Transaction<'static, Any>,
    user: UserId,
    session: SessionId,
    now_micros: i64,
) -> Result<RefreshOutcome, StoreError> {
    sqlx::query("UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
        .bind(now_micros)
        .bind(session.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(RefreshOutcome::ReuseDetected { user, session })
}
