//! Accounts, roles and signing keys, in one SQL dialect that runs on PostgreSQL and SQLite.

use std::time::SystemTime;

use estospaces_auth::Role;
use estospaces_storage::{
    Database, Migrations, from_unix_micros, is_unique_violation, unix_micros,
};
use sqlx::Row;

use crate::domain::{Email, UserId};

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
    pub created_at: SystemTime,
}

/// A stored signing key.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub private_key: Vec<u8>,
    pub created_at: SystemTime,
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The identity service's tables.
#[derive(Debug, Clone)]
pub struct IdentityStore {
    db: Database,
}

impl IdentityStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Creates an account holding the guest role, atomically: no account without its role.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        now: SystemTime,
    ) -> Result<UserRecord, StoreError> {
        let id = UserId::new();
        let created_at = unix_micros(now);
        let mut tx = self.db.pool().begin().await?;
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
        tx.commit().await?;
        Ok(UserRecord {
            id,
            email: email.as_str().to_owned(),
            password_hash: password_hash.to_owned(),
            roles: vec![Role::Guest],
            email_verified: false,
            created_at: from_unix_micros(created_at),
        })
    }

    /// The account signed in with `email`, if any.
    pub async fn find_user_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, password_hash, email_verified_at, created_at FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        self.with_roles(row).await
    }

    /// The account with `id`, if any.
    pub async fn find_user(&self, id: UserId) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, password_hash, email_verified_at, created_at FROM users WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        self.with_roles(row).await
    }

    async fn with_roles(
        &self,
        row: Option<sqlx::any::AnyRow>,
    ) -> Result<Option<UserRecord>, StoreError> {
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        let roles = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
            .bind(&id)
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .filter_map(|row| row.try_get::<String, _>("role").ok())
            .filter_map(|name| Role::from_name(&name))
            .collect();
        let id = UserId::parse(&id).map_err(|err| sqlx::Error::Decode(Box::new(err)))?;
        let verified_at: Option<i64> = row.try_get("email_verified_at")?;
        Ok(Some(UserRecord {
            id,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            roles,
            email_verified: verified_at.is_some(),
            created_at: from_unix_micros(row.try_get("created_at")?),
        }))
    }

    /// Keys that have not been retired, newest first.
    pub async fn active_signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT private_key, created_at FROM signing_keys WHERE retired_at IS NULL \
             ORDER BY created_at DESC, kid",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SigningKeyRecord {
                    private_key: row.try_get("private_key")?,
                    created_at: from_unix_micros(row.try_get("created_at")?),
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
}
