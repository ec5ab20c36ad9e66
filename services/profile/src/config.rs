//! The profile service's configuration.

use serde::Deserialize;

/// The profile service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`ProfileSettings`].
pub type ProfileConfig = estospaces_config::Config<ProfileSettings>;

/// Settings only the profile service reads: none yet; the table exists so the service's
/// settings have a home when it grows some.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileSettings {}
