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
}

impl Default for PropertySettings {
    fn default() -> Self {
        Self {
            view_flush_interval: Duration::from_secs(10),
        }
    }
}
