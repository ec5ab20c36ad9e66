//! The moderation service's configuration.

use serde::Deserialize;

/// The moderation service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`ModerationSettings`].
pub type ModerationConfig = estospaces_config::Config<ModerationSettings>;

/// Settings only the moderation service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModerationSettings {
    /// The property service: reported listings' owners, and where listing decisions are carried
    /// out (required).
    pub property_url: Option<String>,
    /// The review service: reported reviews' authors, and where review decisions are carried
    /// out (required).
    pub review_url: Option<String>,
    /// Content whose automatic score reaches this is held for review (1 to 1000).
    pub hold_threshold: i32,
    /// The consumer group every producer's events are read as.
    pub events_group: String,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        Self {
            property_url: None,
            review_url: None,
            hold_threshold: 50,
            events_group: "moderation.events".to_owned(),
        }
    }
}
