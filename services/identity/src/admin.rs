//! Operator commands run by the binary instead of serving (`estospaces-identity grant-admin
//! EMAIL`).
//!
//! The first admin normally comes from `bootstrap_admin_email` once that address is verified,
//! which needs mail delivery. `grant-admin` is the path that needs none: whoever can run the
//! binary against the service's database is trusted with it already.

use std::time::SystemTime;

use anyhow::Context;
use estospaces_auth::Role;
use estospaces_storage::Database;

use crate::SERVICE_NAME;
use crate::config::IdentityConfig;
use crate::domain::Email;
use crate::store::{IdentityStore, MIGRATIONS, UserRecord};

/// Grants the admin role to the account registered with `email`.
pub async fn grant_admin(config: &IdentityConfig, email: &str) -> anyhow::Result<UserRecord> {
    let email = Email::parse(email).map_err(|why| anyhow::anyhow!("the email {why}"))?;
    let db = Database::open(&config.common, SERVICE_NAME).await?;
    db.migrate(MIGRATIONS).await?;
    db.migrate(estospaces_events::MIGRATIONS).await?;
    let store = IdentityStore::new(db);
    let user = store
        .find_user_by_email(&email)
        .await?
        .with_context(|| format!("no account is registered with {}", email.as_str()))?;
    let (user, emitted) = store
        .grant_role(user.id, Role::Admin, "", SystemTime::now())
        .await?;
    tracing::info!(user = %user.id, events = emitted.events().len(), "granted admin from the command line");
    Ok(user)
}
