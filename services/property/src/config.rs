//! The property service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The property service's configuration: the shared settings plus [`PropertySettings`].
pub type PropertyConfig = estospaces_config::Config<PropertySettings>;

/// Which listings wait for a moderator before they go public (`listing_review`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ListingReview {
    /// None: publishing publishes (the automatic checks may still hold a listing).
    #[default]
    Off,
    /// The first publication of a listing whose owner has never had one published (or
    /// approved) before.
    NewHosts,
    /// The first publication of every listing. A paused listing that was live before comes
    /// back without another review.
    All,
}

/// Settings only the property service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PropertySettings {
    /// How often counted views are added to the store; views of the last interval are lost
    /// if the process dies, which a view count can afford.
    #[serde(with = "humantime_serde")]
    pub view_flush_interval: Duration,
    /// The media service's gRPC URL: listing photos must be their owner's images there, and
    /// ready before a listing is published. Unset, photos are not checked (a warning says so).
    pub media_url: Option<String>,
    /// Which listings `PublishProperty` sends to a moderator (`STATE_PENDING_REVIEW`, event
    /// `property.review_requested`) instead of publishing them.
    pub listing_review: ListingReview,
    /// The consumer group the moderation service's events are read as (listings held by the
    /// automatic checks).
    pub moderation_events_group: String,
}

impl Default for PropertySettings {
    fn default() -> Self {
        Self {
            view_flush_interval: Duration::from_secs(10),
            media_url: None,
            listing_review: ListingReview::Off,
            moderation_events_group: crate::moderation::CONSUMER_GROUP.to_owned(),
        }
    }
}
