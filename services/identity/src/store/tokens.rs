//! Single-use tokens: email verification, password reset and MFA challenges.

use std::time::SystemTime;

use estospaces_auth::Role;
use estospaces_storage::unix_micros;
use sqlx::{Any, Row, Transaction};

use super::{IdentityStore, NewToken, StoreError, UserRecord, find_user_in, grant_in};
use crate::domain::{Email, UserId};
use crate::events::{self, Emitted};

/// What a one-time token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    EmailVerification,
    PasswordReset,
    MfaChallenge,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
            Self::MfaChallenge => "mfa_challenge",
        }
    }
}

pub(super) async fn insert(
    tx: &mut Transaction<'static, Any>,
    user: UserId,
    purpose: TokenPurpose,
    token: NewToken<'_>,
    now: SystemTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO one_time_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token.digest.to_vec())
    .bind(user.to_string())
    .bind(purpose.as_str())
    .bind(unix_micros(now))
    .bind(unix_micros(token.expires_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks a live token used and returns its account. The single `UPDATE ... WHERE used_at IS
/// NULL` makes it single-use even under concurrent redemptions.
pub(super) async fn consume(
    tx: &mut Transaction<'static, Any>,
    digest: &[u8],
    purpose: TokenPurpose,
    now: SystemTime,
) -> Result<UserId, StoreError> {
    let now = unix_micros(now);
    let row = sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $4 \
         RETURNING user_id",
    )
    .bind(now)
    .bind(digest.to_vec())
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::TokenInvalid)?;
    let id: String = row.try_get("user_id")?;
    Ok(UserId::parse(&id).map_err(|err| sqlx::Error::Decode(Box::new(err)))?)
}

impl IdentityStore {
    /// Issues a new email verification token for an account whose email is not verified yet.
    pub async fn request_email_verification(
        &self,
        id: UserId,
        token: NewToken<'_>,
        now: SystemTime,
    ) -> Result<Emitted, StoreError> {
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        let user = find_user_in(&mut tx, id)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        if user.email_verified {
            return Err(StoreError::EmailAlreadyVerified);
        }
        insert(&mut tx, id, TokenPurpose::EmailVerification, token, now).await?;
        emitted
            .record(
                &mut tx,
                events::email_verification_requested(id, &user.email, token.raw, token.expires_at),
            )
            .await?;
        tx.commit().await?;
        Ok(emitted)
    }

    /// Redeems an email verification token. The account whose email is `bootstrap_admin` also
    /// becomes an admin.
    pub async fn verify_email(
        &self,
        digest: &[u8],
        bootstrap_admin: Option<&Email>,
        now: SystemTime,
    ) -> Result<(UserRecord, Emitted), StoreError> {
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        let id = consume(&mut tx, digest, TokenPurpose::EmailVerification, now).await?;
        sqlx::query(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2",
        )
        .bind(unix_micros(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let mut user = find_user_in(&mut tx, id)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        let is_bootstrap_admin = bootstrap_admin.is_some_and(|admin| admin.as_str() == user.email);
        if is_bootstrap_admin && grant_in(&mut tx, id, Role::Admin, now).await? {
            user = find_user_in(&mut tx, id)
                .await?
                .ok_or(StoreError::UserNotFound)?;
            tracing::info!(user = %id, "bootstrap admin verified their email: granted admin");
            emitted
                .record(&mut tx, events::roles_changed(id, &user.roles, "", now))
                .await?;
        }
        tx.commit().await?;
        Ok((user, emitted))
    }

    /// Issues a password reset token for the account using `email`, if there is one.
    pub async fn request_password_reset(
        &self,
        email: &Email,
        token: NewToken<'_>,
        now: SystemTime,
    ) -> Result<Emitted, StoreError> {
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        let row = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(emitted);
        };
        let id: String = row.try_get("id")?;
        let id = UserId::parse(&id).map_err(|err| sqlx::Error::Decode(Box::new(err)))?;
        insert(&mut tx, id, TokenPurpose::PasswordReset, token, now).await?;
        emitted
            .record(
                &mut tx,
                events::password_reset_requested(id, email.as_str(), token.raw, token.expires_at),
            )
            .await?;
        tx.commit().await?;
        Ok(emitted)
    }

    /// Redeems a password reset token: sets the new password hash, revokes every session and
    /// voids the account's other outstanding reset tokens. Returns the account.
    pub async fn reset_password(
        &self,
        digest: &[u8],
        password_hash: &str,
        now: SystemTime,
    ) -> Result<UserId, StoreError> {
        let mut tx = self.db.begin().await?;
        let id = consume(&mut tx, digest, TokenPurpose::PasswordReset, now).await?;
        let now = unix_micros(now);
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE one_time_tokens SET used_at = $1 \
             WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(TokenPurpose::PasswordReset.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores an MFA challenge: the password step of a login passed.
    pub async fn create_mfa_challenge(
        &self,
        id: UserId,
        token: NewToken<'_>,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        insert(&mut tx, id, TokenPurpose::MfaChallenge, token, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account a live, unused MFA challenge belongs to. Not consumed here: a wrong code may
    /// be retried (throttling bounds how often); the session that completes the login consumes
    /// it.
    pub async fn mfa_challenge_user(
        &self,
        digest: &[u8],
        now: SystemTime,
    ) -> Result<UserId, StoreError> {
        let row = sqlx::query(
            "SELECT user_id FROM one_time_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(digest.to_vec())
        .bind(TokenPurpose::MfaChallenge.as_str())
        .bind(unix_micros(now))
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(StoreError::TokenInvalid)?;
        let id: String = row.try_get("user_id")?;
        Ok(UserId::parse(&id).map_err(|err| sqlx::Error::Decode(Box::new(err)))?)
    }
}
