//! Reactions to identity's events. Each handler is idempotent — redelivery changes nothing —
//! and takes the event's payload, so the consumer runtime only decodes and dispatches.
//!
//! [`IdentityEventsHandler`] runs them in the consumer group `profile.identity-events`, inside
//! the transaction that records the event as processed. Until the event arrives,
//! `GetProfile` serves an account without a profile row as an empty profile and the first
//! `UpdateProfile` creates the row, so nothing waits on the event.

use std::time::SystemTime;

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::identity_v1 as identity;
use sqlx::AnyConnection;

use crate::domain::UserId;
use crate::store::{StoreError, create_profile_in, erase_user_in};

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
    tx: &mut AnyConnection,
    event: &identity::UserRegistered,
) -> Result<(), EventError> {
    let user = user_of(&event.user)?;
    if create_profile_in(tx, user, SystemTime::now()).await? {
        tracing::info!(%user, "created a profile for a new account");
    }
    Ok(())
}

/// `identity.user_deleted`: everything held about the account is erased — profile, host and
/// agent profiles and agency memberships.
pub async fn on_user_deleted(
    tx: &mut AnyConnection,
    event: &identity::UserDeleted,
) -> Result<(), EventError> {
    let user = user_of(&event.user)?;
    if erase_user_in(tx, user).await? {
        tracing::info!(%user, "erased the profile of a deleted account");
    }
    Ok(())
}

/// The consumer group profile reads identity's events as.
pub const CONSUMER_GROUP: &str = "profile.identity-events";

/// Dispatches identity's events to the handlers above; other event types are skipped.
#[derive(Debug, Clone, Copy)]
pub struct IdentityEventsHandler;

impl EventHandler for IdentityEventsHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let result = if event.is::<identity::UserRegistered>() {
            let payload = event
                .payload::<identity::UserRegistered>()
                .map_err(HandlerError::permanent)?;
            on_user_registered(tx, &payload).await
        } else if event.is::<identity::UserDeleted>() {
            let payload = event
                .payload::<identity::UserDeleted>()
                .map_err(HandlerError::permanent)?;
            on_user_deleted(tx, &payload).await
        } else {
            return Ok(());
        };
        result.map_err(|err| match err {
            EventError::Malformed(_) => HandlerError::permanent(err),
            EventError::Store(_) => HandlerError::transient(err),
        })
    }
}
