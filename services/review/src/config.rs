//! The review service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The review service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`ReviewSettings`].
pub type ReviewConfig = estospaces_config::Config<ReviewSettings>;

/// Settings only the review service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ReviewSettings {
    /// The property service, for the listings saved and compared (required).
    pub property_url: Option<String>,
    /// How long after check-out a stay may be reviewed; pending reviews publish when it ends.
    #[serde(with = "humantime_serde")]
    pub review_window: Duration,
    /// How often pending reviews whose window closed are looked for.
    #[serde(with = "humantime_serde")]
    pub release_check_interval: Duration,
    /// The consumer group the booking service's events are read as.
    pub booking_events_group: String,
    /// The consumer group the messaging service's events are read as.
    pub messaging_events_group: String,
    /// The consumer group the moderation service's events are read as (reviews held by the
    /// automatic checks).
    pub moderation_events_group: String,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self {
            property_url: None,
            review_window: Duration::from_secs(14 * 24 * 3600),
            release_check_interval: Duration::from_secs(60),
            booking_events_group: "review.booking-events".to_owned(),
            messaging_events_group: "review.messaging-events".to_owned(),
            moderation_events_group: "review.moderation-events".to_owned(),
        }
    }
}
