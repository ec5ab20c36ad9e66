//! Reviews the moderation service's automatic checks hold: hidden until a moderator decides,
//! as if a moderator had hidden them.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::moderation_v1 as moderation;
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::store::ReviewStore;

/// The moderation service's events, as this service reads them.
pub const MODERATION_TOPIC: &str = "moderation";

/// What the hidden review's audit trail says.
pub const HELD_REASON: &str = "held by the automatic checks";

/// Hides the reviews `moderation.content_held` names; a replay finds them hidden already and
/// changes nothing.
#[derive(Debug, Clone, Copy)]
pub struct HeldReviewHandler;

impl EventHandler for HeldReviewHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<moderation::ContentHeld>() {
            return Ok(());
        }
        let held: moderation::ContentHeld = event.payload().map_err(HandlerError::permanent)?;
        let target = held.check.map(|check| check.target).unwrap_or_default();
        // Other content (listings) is its owners' to hold.
        let Some(id) = target.strip_prefix("reviews/") else {
            return Ok(());
        };
        let id = Uuid::parse_str(id)
            .map_err(|_| HandlerError::permanent(format!("not a review: {target:?}")))?;
        ReviewStore::moderate_in(tx, id, true, "", HELD_REASON, Some(event)).await?;
        Ok(())
    }
}
