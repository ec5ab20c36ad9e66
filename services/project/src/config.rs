//! The project service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The project service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`ProjectSettings`].
pub type ProjectConfig = estospaces_config::Config<ProjectSettings>;

/// Settings only the project service reads, the `[project]` table
/// (`ESTOSPACES_PROJECT__…`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ProjectSettings {
    /// The property service's gRPC URL: units' sale listings are checked with it (required).
    pub property_url: Option<String>,
    /// The media service's gRPC URL: progress updates' media and documents are checked to be
    /// the developer's own public uploads. Unset, they are not checked (a warning says so).
    pub media_url: Option<String>,
    /// How long a pending reservation holds its unit waiting for the deposit.
    #[serde(with = "humantime_serde")]
    pub reservation_hold: Duration,
    /// How often lapsed pending reservations are released.
    #[serde(with = "humantime_serde")]
    pub sweep_interval: Duration,
    /// The consumer group the payment service's events are read as.
    pub payment_events_group: String,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        Self {
            property_url: None,
            media_url: None,
            reservation_hold: Duration::from_secs(15 * 60),
            sweep_interval: Duration::from_secs(60),
            payment_events_group: crate::saga::PAYMENT_EVENTS_GROUP.to_owned(),
        }
    }
}
