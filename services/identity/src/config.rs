//! The identity service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The identity service's configuration: the shared settings plus [`IdentitySettings`].
pub type IdentityConfig = estospaces_config::Config<IdentitySettings>;

/// Settings only the identity service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    /// How long an access token is accepted (`ESTOSPACES_ACCESS_TOKEN_TTL=15m`).
    #[serde(with = "humantime_serde")]
    pub access_token_ttl: Duration,
    /// How often the key set is reloaded, so keys created by other replicas verify here too.
    #[serde(with = "humantime_serde")]
    pub key_refresh_interval: Duration,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(15 * 60),
            key_refresh_interval: Duration::from_secs(30),
        }
    }
}
