//! Which published listings show which media, from the property service's events, so media a
//! listing shows is not deleted from under it.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::property_v1 as property;
use sqlx::AnyConnection;

use crate::store::MediaStore;

/// The property service's events, as this service reads them.
pub const PROPERTY_TOPIC: &str = "property";

/// Keeps `media_uses` current.
#[derive(Debug, Clone, Default)]
pub struct ListingUsesHandler;

impl EventHandler for ListingUsesHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<property::PropertyListed>()
            || event.is::<property::PropertyUpdated>()
            || event.is::<property::PropertyUnlisted>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let listing = if event.is::<property::PropertyListed>() {
            event
                .payload::<property::PropertyListed>()
                .map_err(HandlerError::permanent)?
                .property
        } else if event.is::<property::PropertyUpdated>() {
            event
                .payload::<property::PropertyUpdated>()
                .map_err(HandlerError::permanent)?
                .property
        } else if event.is::<property::PropertyUnlisted>() {
            event
                .payload::<property::PropertyUnlisted>()
                .map_err(HandlerError::permanent)?
                .property
        } else {
            return Ok(());
        };
        let Some(listing) = listing else {
            return Ok(());
        };
        let published = listing.state == property::property::State::Published as i32
            && !event.is::<property::PropertyUnlisted>();
        let shown: Vec<String> = if published {
            listing
                .photos
                .iter()
                .map(|photo| photo.media_id.clone())
                .collect()
        } else {
            Vec::new()
        };
        MediaStore::replace_uses(tx, &listing.name, &shown).await?;
        Ok(())
    }
}
