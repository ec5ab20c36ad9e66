//! What other services' events tell leads: a sale or rental conversation started in messaging
//! is an inquiry (`messaging.inquiry_created`); a saved search of a person matching a listing
//! (`search.alert_matched`) and a listing saved to a wishlist (`favorite.added`, `.removed`)
//! raise or lower that person's lead score for the listing; a user's rating summary
//! (`review.rating_changed` of `users/{user}/ratingSummary`) is how clients rate that agent.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::leads_v1::lead::Source;
use estospaces_proto::messaging_v1 as messaging;
use estospaces_proto::review_v1 as review;
use estospaces_proto::search_v1 as search;
use sqlx::AnyConnection;

use crate::agencies::Agencies;
use crate::domain::{Person, Rating};
use crate::listings::Listings;
use crate::store::{LeadStore, NewInquiry, SignalKind};

/// The messaging service's events.
pub const MESSAGING_TOPIC: &str = "messaging";
/// The search service's events.
pub const SEARCH_TOPIC: &str = "search";
/// The review service's events (favorites, rating summaries).
pub const REVIEW_TOPIC: &str = "review";

fn payload<P: prost::Name + Default>(event: &Event) -> Result<P, HandlerError> {
    event.payload::<P>().map_err(HandlerError::permanent)
}

/// The user id of `users/{user}` (or of a name under it, like a wishlist's).
fn user_id(name: &str) -> Result<String, HandlerError> {
    name.strip_prefix("users/")
        .map(|rest| rest.split('/').next().unwrap_or_default())
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .map(str::to_owned)
        .ok_or_else(|| HandlerError::permanent(format!("not a user's name: {name:?}")))
}

/// Turns sale and rental conversations into leads.
#[derive(Debug, Clone)]
pub struct InquiryHandler {
    pub listings: Listings,
    pub agencies: Agencies,
}

impl EventHandler for InquiryHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<messaging::InquiryCreated>() {
            return Ok(());
        }
        let inquiry: messaging::InquiryCreated = payload(event)?;
        let Some(conversation) = inquiry.conversation else {
            return Ok(());
        };
        let topic = messaging::conversation::Topic::try_from(conversation.topic);
        if !matches!(
            topic,
            Ok(messaging::conversation::Topic::Rental | messaging::conversation::Topic::Sale)
        ) {
            return Ok(());
        }
        let inquirer = user_id(&conversation.inquirer)?;
        // The other services being down is worth waiting for; a listing gone since is not.
        let Some(listing) = self
            .listings
            .public(&conversation.listing)
            .await
            .map_err(|status| HandlerError::transient(status.message().to_owned()))?
            .filter(|listing| listing.kind.is_some())
        else {
            return Ok(());
        };
        let agency = self
            .agencies
            .agency_of(&listing.owner_id)
            .await
            .map_err(|err| HandlerError::transient(err.to_string()))?;
        let recorded = LeadStore::record_inquiry_in(
            tx,
            &NewInquiry {
                listing,
                agency,
                person: Person {
                    user_id: inquirer,
                    display_name: String::new(),
                    email: String::new(),
                    phone: String::new(),
                },
                source: Source::Messaging,
                conversation: conversation.name,
                // Messages stay in messaging: events carry no texts.
                message: String::new(),
                budget: 0,
                financing: String::new(),
            },
        )
        .await?;
        recorded
            .map(|_| ())
            .map_err(|_| HandlerError::transient("the lead changed meanwhile"))
    }
}

/// Records saved-search matches and favorites, and rescores the leads they concern.
#[derive(Debug, Clone, Copy)]
pub struct SignalHandler;

impl EventHandler for SignalHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let (listing, user, kind, source, present) = if event.is::<search::AlertMatched>() {
            let matched: search::AlertMatched = payload(event)?;
            let user = user_id(&matched.user)?;
            (
                matched.property,
                user,
                SignalKind::SavedSearch,
                matched.saved_search,
                true,
            )
        } else if event.is::<review::FavoriteAdded>() {
            let added: review::FavoriteAdded = payload(event)?;
            let user = user_id(&added.wishlist)?;
            (
                added.listing,
                user,
                SignalKind::Favorite,
                added.wishlist,
                true,
            )
        } else if event.is::<review::FavoriteRemoved>() {
            let removed: review::FavoriteRemoved = payload(event)?;
            let user = user_id(&removed.wishlist)?;
            (
                removed.listing,
                user,
                SignalKind::Favorite,
                removed.wishlist,
                false,
            )
        } else {
            return Ok(());
        };
        LeadStore::record_signal_in(tx, &listing, &user, kind, &source, present).await?;
        Ok(())
    }
}

/// The user id of a user's rating summary, `users/{user}/ratingSummary`; `None` for a
/// listing's (`properties/{property}/ratingSummary`), which says nothing about an agent.
fn rated_user(summary: &str) -> Result<Option<String>, HandlerError> {
    if summary.starts_with("properties/") {
        return Ok(None);
    }
    summary
        .strip_suffix("/ratingSummary")
        .and_then(|user| user.strip_prefix("users/"))
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .map(|id| Some(id.to_string()))
        .ok_or_else(|| HandlerError::permanent(format!("not a rating summary: {summary:?}")))
}

/// The review service's events: favorites are signals ([`SignalHandler`]); a user's rating
/// summary replaces the one stored for them. The last `review.rating_changed` of a user is
/// their current summary (review records them in commit order, keyed by the user), so each
/// one simply overwrites.
#[derive(Debug, Clone, Copy)]
pub struct ReviewHandler;

impl EventHandler for ReviewHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<review::RatingChanged>() {
            return SignalHandler.handle(tx, event).await;
        }
        let summary = payload::<review::RatingChanged>(event)?
            .rating_summary
            .unwrap_or_default();
        let Some(user) = rated_user(&summary.name)? else {
            return Ok(());
        };
        let rating = Rating {
            review_count: i64::from(summary.review_count.max(0)),
            average_rating: summary.average_rating,
        };
        LeadStore::record_rating_in(tx, &user, rating).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wishlists_name_gives_its_user() {
        let id = "0190d7a4-5c1e-7a2b-9c3d-4e5f60718293";
        assert_eq!(
            user_id(&format!("users/{id}/wishlists/w1")).expect("a user"),
            id
        );
        assert!(user_id("agencies/x").is_err());
    }

    #[test]
    fn only_a_users_rating_summary_names_an_agent() {
        let id = "0190d7a4-5c1e-7a2b-9c3d-4e5f60718293";
        assert_eq!(
            rated_user(&format!("users/{id}/ratingSummary")).expect("a user's"),
            Some(id.to_owned())
        );
        assert_eq!(
            rated_user(&format!("properties/{id}/ratingSummary")).expect("a listing's"),
            None
        );
        assert!(rated_user(&format!("users/{id}")).is_err());
        assert!(rated_user("users/someone/ratingSummary").is_err());
    }
}
