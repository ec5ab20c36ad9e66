//! The profile service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The profile service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`ProfileSettings`].
pub type ProfileConfig = estospaces_config::Config<ProfileSettings>;

/// Settings only the profile service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ProfileSettings {
    /// How often identity's key set is fetched again, to learn rotations and drop retired keys
    /// (`ESTOSPACES_JWKS_REFRESH_INTERVAL=5m`). A token naming an unknown key triggers a fetch
    /// too.
    #[serde(with = "humantime_serde")]
    pub jwks_refresh_interval: Duration,
}

impl Default for ProfileSettings {
    fn default() -> Self {
        Self {
            jwks_refresh_interval: Duration::from_secs(5 * 60),
        }
    }
}
