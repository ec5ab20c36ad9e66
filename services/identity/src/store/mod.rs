//! Accounts, roles, sessions, one-time tokens, second factors, throttling counters and signing
//! keys, in one SQL dialect that runs on PostgreSQL and SQLite.
//!
//! Every write that others must hear about runs in one transaction that also records its
//! events (see [`crate::events`]).

mod keys;
mod mfa;
mod purge;
mod sessions;
mod throttle;
mod tokens;

use std::time::SystemTime;

use estospaces_auth::Role;
use estospaces_storage::{
    Database, Migrations, from_unix_micros, is_unique_violation, unix_micros,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

pub use keys::SigningKeyRecord;
pub use purge::Purged;
pub use sessions::{RefreshOutcome, SessionMeta, SessionRecord};
pub use throttle::ThrottleRule;
pub use tokens::TokenPurpose;

use crate::domain::{Email, UserId};
use crate::events::{self, Emitted};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

/// A stored account.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    pub created_at: SystemTime,
}

/// A token to store by its digest, with its raw value for the event that delivers it.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub raw: &'a str,
    pub digest: &'a [u8],
    pub expires_at: SystemTime,
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("no such account")]
    UserNotFound,
    #[error("no such session")]
    SessionNotFound,
    #[error("the token is unknown, used or expired")]
    TokenInvalid,
    #[error("the email is verified already")]
    EmailAlreadyVerified,
    #[error("a second factor is enrolled already")]
    MfaAlreadyEnabled,
    #[error("no second factor enrollment is pending")]
    MfaNotPending,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The identity service's tables.
#[derive(Debug, Clone)]
pub struct IdentityStore {
    db: Database,
}

const USER_COLUMNS: &str = "u.id, u.email, u.password_hash, u.email_verified_at, u.created_at, \
     m.confirmed_at AS mfa_confirmed_at \
     FROM users u LEFT JOIN mfa_factors m ON m.user_id = u.id";

impl IdentityStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Creates an account holding the guest role with its first email verification token,
    /// atomically: no account without its role, its token and its events.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        verification: NewToken<'_>,
        now: SystemTime,
    ) -> Result<(UserRecord, Emitted), StoreError> {
        let id = UserId::new();
        let created_at = unix_micros(now);
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(email.as_str())
        .bind(password_hash)
        .bind(created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(err) if is_unique_violation(&err) => return Err(StoreError::EmailTaken),
            other => other?,
        };
        sqlx::query("INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(Role::Guest.as_str())
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
        tokens::insert(
            &mut tx,
            id,
            TokenPurpose::EmailVerification,
            verification,
            now,
        )
        .await?;
        emitted
            .record(
                &mut tx,
                events::user_registered(id, email.as_str(), &[Role::Guest], now),
            )
            .await?;
        emitted
            .record(
                &mut tx,
                events::email_verification_requested(
                    id,
                    email.as_str(),
                    verification.raw,
                    verification.expires_at,
                ),
            )
            .await?;
        tx.commit().await?;
        let user = UserRecord {
            id,
            email: email.as_str().to_owned(),
            password_hash: password_hash.to_owned(),
            roles: vec![Role::Guest],
            email_verified: false,
            mfa_enabled: false,
            created_at: from_unix_micros(created_at),
        };
        Ok((user, emitted))
    }

    /// The account signed in with `email`, if any.
    pub async fn find_user_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} WHERE u.email = $1"))
            .bind(email.as_str())
            .fetch_optional(self.db.pool())
            .await?;
        let mut conn = self.db.pool().acquire().await?;
        user_with_roles(&mut conn, row).await
    }

    /// The account with `id`, if any.
    pub async fn find_user(&self, id: UserId) -> Result<Option<UserRecord>, StoreError> {
        let mut conn = self.db.pool().acquire().await?;
        find_user_in(&mut conn, id).await
    }

    /// Deletes an account; sessions, tokens, factors and roles go with it (ON DELETE CASCADE).
    pub async fn delete_user(&self, id: UserId, now: SystemTime) -> Result<Emitted, StoreError> {
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::UserNotFound);
        }
        emitted
            .record(&mut tx, events::user_deleted(id, now))
            .await?;
        tx.commit().await?;
        Ok(emitted)
    }

    /// Grants `role`; emits `roles_changed` only when the account did not hold it.
    pub async fn grant_role(
        &self,
        id: UserId,
        role: Role,
        now: SystemTime,
    ) -> Result<(UserRecord, Emitted), StoreError> {
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        if find_user_in(&mut tx, id).await?.is_none() {
            return Err(StoreError::UserNotFound);
        }
        if grant_in(&mut tx, id, role, now).await? {
            let user = find_user_in(&mut tx, id)
                .await?
                .ok_or(StoreError::UserNotFound)?;
            emitted
                .record(&mut tx, events::roles_changed(id, &user.roles, now))
                .await?;
        }
        let user = find_user_in(&mut tx, id)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        tx.commit().await?;
        Ok((user, emitted))
    }

    /// Revokes `role`; emits `roles_changed` only when the account held it.
    pub async fn revoke_role(
        &self,
        id: UserId,
        role: Role,
        now: SystemTime,
    ) -> Result<(UserRecord, Emitted), StoreError> {
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        if find_user_in(&mut tx, id).await?.is_none() {
            return Err(StoreError::UserNotFound);
        }
        let revoked = sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
            .bind(id.to_string())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        let user = find_user_in(&mut tx, id)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        if revoked.rows_affected() > 0 {
            emitted
                .record(&mut tx, events::roles_changed(id, &user.roles, now))
                .await?;
        }
        tx.commit().await?;
        Ok((user, emitted))
    }
}

/// Grants `role` inside a transaction; whether it was new.
async fn grant_in(
    tx: &mut Transaction<'static, Any>,
    id: UserId,
    role: Role,
    now: SystemTime,
) -> Result<bool, StoreError> {
    let granted = sqlx::query(
        "INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, role) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(role.as_str())
    .bind(unix_micros(now))
    .execute(&mut **tx)
    .await?;
    Ok(granted.rows_affected() > 0)
}

async fn find_user_in(
    conn: &mut sqlx::AnyConnection,
    id: UserId,
) -> Result<Option<UserRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} WHERE u.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    user_with_roles(conn, row).await
}

async fn user_with_roles(
    conn: &mut sqlx::AnyConnection,
    row: Option<AnyRow>,
) -> Result<Option<UserRecord>, StoreError> {
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("id")?;
    let roles = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .filter_map(|row| row.try_get::<String, _>("role").ok())
        .filter_map(|name| Role::from_name(&name))
        .collect();
    let id = UserId::parse(&id).map_err(|err| sqlx::Error::Decode(Box::new(err)))?;
    let verified_at: Option<i64> = row.try_get("email_verified_at")?;
    let mfa_confirmed_at: Option<i64> = row.try_get("mfa_confirmed_at")?;
    Ok(Some(UserRecord {
        id,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        roles,
        email_verified: verified_at.is_some(),
        mfa_enabled: mfa_confirmed_at.is_some(),
        created_at: from_unix_micros(row.try_get("created_at")?),
    }))
}
