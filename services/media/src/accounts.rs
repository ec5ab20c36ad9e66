//! A deleted account's uploads are erased: the rows at once, with `media.deleted` for each,
//! and the bytes by the sweeper, which deletes objects no row names.

use estospaces_events::{Event, EventHandler, HandlerError, NewEvent};
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::media_v1 as pb;
use sqlx::AnyConnection;

use crate::domain::parse_user_name;
use crate::store::MediaStore;

/// The identity service's events, as this service reads them.
pub const IDENTITY_TOPIC: &str = "identity";

/// Erases the uploads of deleted accounts.
#[derive(Debug, Clone, Default)]
pub struct DeletedAccountsHandler;

impl EventHandler for DeletedAccountsHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<identity::UserDeleted>() {
            return Ok(());
        }
        let deleted: identity::UserDeleted = event.payload().map_err(HandlerError::permanent)?;
        let owner = parse_user_name(&deleted.user)
            .ok_or_else(|| HandlerError::permanent(format!("not a user name: {}", deleted.user)))?;
        let erased = MediaStore::erase_owner(tx, owner, |media| {
            NewEvent::new(
                "media.deleted",
                "media",
                media.to_string(),
                &pb::MediaDeleted {
                    name: format!("media/{media}"),
                    owner: deleted.user.clone(),
                },
            )
            .following(event)
        })
        .await?;
        if erased > 0 {
            tracing::info!(user = %deleted.user, erased, "erased a deleted account's uploads");
        }
        Ok(())
    }
}
