//! Listings held by the moderation service's automatic checks.
//!
//! [`ModerationEventsHandler`] consumes `estospaces.moderation.v1` as the group
//! `property.moderation-events` (setting `moderation_events_group`): `moderation.content_held`
//! of a listing (`check.target` is `properties/{property}`) moves a published listing to
//! `STATE_PENDING_REVIEW` as a new revision and records, in the consumer's transaction,
//! `property.unlisted` (search drops it) and `property.moderated` with no actor and the reason
//! [`HELD_REASON`]. No `property.review_requested`: the moderation service opened the case
//! when it held the listing. A moderator's `ApproveProperty` publishes it again,
//! `RejectProperty` or `TakeDownProperty` keep it off the market.

use std::time::SystemTime;

use estospaces_events::{Event, EventHandler, HandlerError, NewEvent};
use estospaces_proto::moderation_v1 as moderation;
use estospaces_proto::property_v1 as pb;
use estospaces_storage::{from_unix_micros, unix_micros};
use pb::property::State;
use sqlx::AnyConnection;

use crate::domain::PropertyId;
use crate::store::{OUTBOX, hold_in};

/// The consumer group property reads the moderation service's events as, by default.
pub const CONSUMER_GROUP: &str = "property.moderation-events";

/// The reason `property.moderated` gives for a listing the automatic checks held.
pub const HELD_REASON: &str = "held by the automatic checks";

/// Dispatches `moderation.content_held` of listings; other targets (reviews), other
/// moderation events, unknown listings and listings that are not published change nothing.
/// A redelivered event is skipped by the consumer's inbox, and a second hold of a listing
/// already waiting changes nothing either.
#[derive(Debug, Clone, Copy)]
pub struct ModerationEventsHandler;

impl EventHandler for ModerationEventsHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<moderation::ContentHeld>() {
            return Ok(());
        }
        let check = event
            .payload::<moderation::ContentHeld>()
            .map_err(HandlerError::permanent)?
            .check
            .unwrap_or_default();
        if !check.target.starts_with("properties/") {
            return Ok(());
        }
        let id = PropertyId::from_name(&check.target)
            .map_err(|_| HandlerError::permanent(format!("not a listing: {:?}", check.target)))?;
        // At the store's precision, like every other write.
        let now = from_unix_micros(unix_micros(SystemTime::now()));
        let Some(record) = hold_in(tx, id, now)
            .await
            .map_err(HandlerError::transient)?
        else {
            return Ok(());
        };
        let property = record.to_proto();
        let key = id.to_string();
        let unlisted = NewEvent::new(
            "property.unlisted",
            "property",
            &key,
            &pb::PropertyUnlisted {
                property: Some(property.clone()),
            },
        )
        .following(event);
        let moderated = NewEvent::new(
            "property.moderated",
            "property",
            &key,
            &pb::PropertyModerated {
                property: Some(property),
                previous_state: State::Published as i32,
                actor: String::new(),
                reason: HELD_REASON.to_owned(),
            },
        )
        .following(event);
        OUTBOX.append(tx, unlisted).await?;
        OUTBOX.append(tx, moderated).await?;
        tracing::info!(property = %id, check = %check.name, "held for review");
        Ok(())
    }
}
