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
    pub state: AccountState,
    /// Why it was suspended or banned (kept after the suspension ends).
    pub state_reason: String,
    /// When its access tokens were last revoked (a suspension or a ban).
    pub tokens_revoked_at: Option<SystemTime>,
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Active,
    Suspended { until: SystemTime },
    Banned,
}

impl AccountState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended { .. } => "suspended",
            Self::Banned => "banned",
        }
    }

    /// The state as read at `now`: a suspension whose end passed is over.
    fn read(name: &str, until: Option<i64>, now: SystemTime) -> Self {
        match (name, until.map(from_unix_micros)) {
            ("banned", _) => Self::Banned,
            ("suspended", Some(until)) if until > now => Self::Suspended { until },
            _ => Self::Active,
        }
    }
}

/// Which accounts `ListUsers` returns.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Text the email contains, lower-case.
    pub query: String,
    pub role: Option<Role>,
    /// `active`, `suspended` or `banned`.
    pub state: Option<&'static str>,
    pub created_after: Option<SystemTime>,
    pub created_before: Option<SystemTime>,
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
     u.state, u.suspended_until, u.state_reason, u.tokens_revoked_at, \
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
            state: AccountState::Active,
            state_reason: String::new(),
            tokens_revoked_at: None,
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
        actor: &str,
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
                .record(&mut tx, events::roles_changed(id, &user.roles, actor, now))
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
        actor: &str,
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
                .record(&mut tx, events::roles_changed(id, &user.roles, actor, now))
                .await?;
        }
        tx.commit().await?;
        Ok((user, emitted))
    }

    /// Suspends (until `state`'s end), bans or reinstates an account, as `actor` for `reason`.
    /// A suspension or a ban revokes every session and every access token issued until now, in
    /// the same transaction as its `identity.user_state_changed` event. The account before and
    /// after.
    pub async fn set_state(
        &self,
        id: UserId,
        state: AccountState,
        actor: UserId,
        reason: &str,
        now: SystemTime,
    ) -> Result<(UserRecord, UserRecord, Emitted), StoreError> {
        let mut emitted = Emitted::default();
        let mut tx = self.db.begin().await?;
        let before = find_user_in(&mut tx, id)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        let until = match state {
            AccountState::Suspended { until } => Some(unix_micros(until)),
            _ => None,
        };
        // The event tells the end as stored: to the microsecond.
        let state = match until {
            Some(until) => AccountState::Suspended {
                until: from_unix_micros(until),
            },
            None => state,
        };
        let revokes = state != AccountState::Active;
        // The reason says why the account is barred; a reinstatement's travels in its event.
        let stored_reason = if revokes { reason } else { "" };
        sqlx::query(
            "UPDATE users SET state = $2, suspended_until = $3, state_reason = $4, \
             tokens_revoked_at = CASE WHEN $5 = 1 THEN $6 ELSE tokens_revoked_at END \
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(state.as_str())
        .bind(until)
        .bind(stored_reason)
        .bind(i64::from(revokes))
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        if revokes {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(id.to_string())
            .bind(unix_micros(now))
            .execute(&mut *tx)
            .await?;
        }
        let after = find_user_in(&mut tx, id)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        emitted
            .record(
                &mut tx,
                events::user_state_changed(id, before.state, state, actor, reason, now),
            )
            .await?;
        tx.commit().await?;
        Ok((before, after, emitted))
    }

    /// Accounts matching `filter`, newest first, after `(created_at micros, id)`.
    pub async fn list_users(
        &self,
        filter: &UserFilter,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<UserRecord>, StoreError> {
        let (at, after_id) = after.unwrap_or((i64::MAX, String::new()));
        let now = unix_micros(SystemTime::now());
        // A suspension whose end passed counts as active.
        let sql = format!(
            "SELECT {USER_COLUMNS} WHERE ($1 = '' OR LOWER(u.email) LIKE $1 ESCAPE '\\') \
             AND ($2 = '' OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $2)) \
             AND ($3 = '' \
                  OR ($3 = 'banned' AND u.state = 'banned') \
                  OR ($3 = 'suspended' AND u.state = 'suspended' AND u.suspended_until > $4) \
                  OR ($3 = 'active' AND (u.state = 'active' OR (u.state = 'suspended' AND u.suspended_until <= $4)))) \
             AND u.created_at >= $5 AND u.created_at < $6 \
             AND (u.created_at < $7 OR (u.created_at = $7 AND ($8 = '' OR u.id < $8))) \
             ORDER BY u.created_at DESC, u.id DESC LIMIT $9"
        );
        // The text is matched literally: `%` and `_` in it are not wildcards.
        let pattern = if filter.query.is_empty() {
            String::new()
        } else {
            let escaped = filter
                .query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        };
        let rows = sqlx::query(&sql)
            .bind(pattern)
            .bind(filter.role.map_or("", Role::as_str))
            .bind(filter.state.unwrap_or(""))
            .bind(now)
            .bind(filter.created_after.map_or(i64::MIN, unix_micros))
            .bind(filter.created_before.map_or(i64::MAX, unix_micros))
            .bind(at)
            .bind(after_id)
            .bind(limit + 1)
            .fetch_all(self.db.pool())
            .await?;
        let mut conn = self.db.pool().acquire().await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(user) = user_with_roles(&mut conn, Some(row)).await? {
                users.push(user);
            }
        }
        Ok(users)
    }

    /// Accounts whose tokens were revoked since `since`, with when.
    pub async fn revocations(
        &self,
        since: SystemTime,
    ) -> Result<Vec<(UserId, SystemTime)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tokens_revoked_at FROM users WHERE tokens_revoked_at >= $1 \
             ORDER BY tokens_revoked_at",
        )
        .bind(unix_micros(since))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let id = UserId::parse(&id).map_err(|err| sqlx::Error::Decode(Box::new(err)))?;
                Ok((id, from_unix_micros(row.try_get("tokens_revoked_at")?)))
            })
            .collect()
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
        state: AccountState::read(
            &row.try_get::<String, _>("state")?,
            row.try_get("suspended_until")?,
            SystemTime::now(),
        ),
        state_reason: row.try_get("state_reason")?,
        tokens_revoked_at: row
            .try_get::<Option<i64>, _>("tokens_revoked_at")?
            .map(from_unix_micros),
    }))
}
