//! The property service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The property service's configuration: the shared settings plus [`PropertySettings`].
pub type PropertyConfig = estospaces_config::Config<PropertySettings>;

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
}

impl Default for PropertySettings {
    fn default() -> Self {
        Self {
            view_flush_interval: Duration::from_secs(10),
            media_url: None,
        }
    }
}
