//! The profile service's configuration.

use serde::Deserialize;

/// The profile service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`ProfileSettings`].
pub type ProfileConfig = estospaces_config::Config<ProfileSettings>;

/// Settings only the profile service reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileSettings {
    /// The media service's gRPC URL: a profile picture must be its owner's public image there.
    /// Unset, `avatar_media_id` is not checked (a warning says so).
    pub media_url: Option<String>,
}
