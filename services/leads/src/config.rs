//! The leads service's configuration.

use estospaces_config::SecretString;
use serde::Deserialize;

/// The leads service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`LeadsSettings`].
pub type LeadsConfig = estospaces_config::Config<LeadsSettings>;

/// Settings only the leads service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LeadsSettings {
    /// The property service: the listings asked about (required).
    pub property_url: Option<String>,
    /// The profile service: agents' agencies and their owners and managers (required).
    pub profile_url: Option<String>,
    /// A captcha siteverify endpoint (hCaptcha, Turnstile and reCAPTCHA share its protocol).
    /// When set, anonymous inquiries must carry a token it accepts.
    pub captcha_verify_url: Option<String>,
    /// The secret sent to `captcha_verify_url`; required with it.
    pub captcha_secret: Option<SecretString>,
    /// The consumer group the messaging service's events are read as (inquiries).
    pub messaging_events_group: String,
    /// The consumer group the search service's events are read as (saved-search matches).
    pub search_events_group: String,
    /// The consumer group the review service's events are read as (favorites, agents' ratings).
    pub review_events_group: String,
}

impl Default for LeadsSettings {
    fn default() -> Self {
        Self {
            property_url: None,
            profile_url: None,
            captcha_verify_url: None,
            captcha_secret: None,
            messaging_events_group: "leads.messaging-events".to_owned(),
            search_events_group: "leads.search-events".to_owned(),
            review_events_group: "leads.review-events".to_owned(),
        }
    }
}
