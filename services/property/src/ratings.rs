//! Listings' ratings, from the review service's events.
//!
//! [`ReviewEventsHandler`] consumes `estospaces.review.v1` as the group
//! `property.review-events`: `review.rating_changed` of a listing
//! (`properties/{property}/ratingSummary`) stores its review count, average and score beside
//! the listing, without changing its revision (etag) or update time, so the owner's
//! conditional writes do not fail because a review arrived. A public listing also records
//! `property.updated` (`changed_fields: ["rating"]`) in the consumer's transaction, for the
//! search index; a listing nobody else can see only stores it (its next `property.listed`
//! carries it).

use estospaces_events::{Event, EventHandler, HandlerError, NewEvent};
use estospaces_proto::property_v1 as pb;
use estospaces_proto::review_v1 as review;
use sqlx::AnyConnection;

use crate::domain::{self, PropertyId};
use crate::store::{OUTBOX, set_rating_in};

/// The consumer group property reads the review service's events as.
pub const CONSUMER_GROUP: &str = "property.review-events";

/// Dispatches `review.rating_changed` of listings; users' summaries, other review events,
/// unknown listings and unchanged ratings change nothing. Redelivery changes nothing either:
/// the consumer's inbox skips processed events.
#[derive(Debug, Clone, Copy)]
pub struct ReviewEventsHandler;

impl EventHandler for ReviewEventsHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<review::RatingChanged>() {
            return Ok(());
        }
        let summary = event
            .payload::<review::RatingChanged>()
            .map_err(HandlerError::permanent)?
            .rating_summary
            .unwrap_or_default();
        let Some(id) = listing_of(&summary.name)? else {
            return Ok(());
        };
        let rating = (summary.review_count > 0).then_some(pb::Rating {
            average: summary.average_rating,
            review_count: summary.review_count,
            score: summary.score,
        });
        let Some(record) = set_rating_in(tx, id, rating.as_ref())
            .await
            .map_err(HandlerError::transient)?
        else {
            return Ok(());
        };
        if domain::is_public(record.state) {
            let updated = pb::PropertyUpdated {
                property: Some(record.to_proto()),
                changed_fields: vec!["rating".to_owned()],
            };
            let event = NewEvent::new("property.updated", "property", id.to_string(), &updated)
                .following(event);
            OUTBOX.append(tx, event).await?;
        }
        Ok(())
    }
}

/// The listing of a summary name `properties/{property}/ratingSummary`; `None` for a user's.
fn listing_of(summary: &str) -> Result<Option<PropertyId>, HandlerError> {
    if !summary.starts_with("properties/") {
        return Ok(None);
    }
    let name = summary.strip_suffix("/ratingSummary").unwrap_or(summary);
    PropertyId::from_name(name)
        .map(Some)
        .map_err(|_| HandlerError::permanent(format!("not a listing's summary: {summary:?}")))
}
