//! Reactions to identity's events. Each handler is idempotent — redelivery changes nothing —
//! and takes the event's payload, so the consumer runtime only decodes and dispatches.
//!
//! Until the consumer is wired, `GetProfile` serves an account without a profile row as an
//! empty profile and the first `UpdateProfile` creates the row, so nothing waits on the event.

use std::time::SystemTime;

use estospaces_proto::identity_v1 as identity;

use crate::domain::UserId;
use crate::store::{ProfileStore, StoreError};

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The payload names no valid user: retrying cannot help.
    #[error("the event names no valid user: {0:?}")]
    Malformed(String),
    /// The database failed: retry later.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn user_of(name: &str) -> Result<UserId, EventError> {
    UserId::from_name(name, "").map_err(|_| EventError::Malformed(name.to_owned()))
}

/// `identity.user_registered`: the new account gets an empty profile.
pub async fn on_user_registered(
    store: &ProfileStore,
    event: &identity::UserRegistered,
) -> Result<(), EventError> {
    let user = user_of(&event.user)?;
    if store.create_profile(user, SystemTime::now()).await? {
        tracing::info!(%user, "created a profile for a new account");
    }
    Ok(())
}

/// `identity.user_deleted`: everything held about the account is erased — profile, host and
/// agent profiles and agency memberships.
pub async fn on_user_deleted(
    store: &ProfileStore,
    event: &identity::UserDeleted,
) -> Result<(), EventError> {
    let user = user_of(&event.user)?;
    if store.erase_user(user).await? {
        tracing::info!(%user, "erased the profile of a deleted account");
    }
    Ok(())
}
