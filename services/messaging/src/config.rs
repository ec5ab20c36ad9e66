//! The messaging service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The messaging service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`MessagingSettings`].
pub type MessagingConfig = estospaces_config::Config<MessagingSettings>;

/// Settings only the messaging service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MessagingSettings {
    /// The property service, for the listings inquiries are about (required).
    pub property_url: Option<String>,
    /// The media service, to check that attachments are the sender's own uploads; unset, any
    /// media id is accepted (the service tested on its own).
    pub media_url: Option<String>,
    /// How long after sending a message its sender may still edit it.
    #[serde(with = "humantime_serde")]
    pub edit_window: Duration,
    /// Messages one user may send per minute, over all conversations.
    pub messages_per_minute: u32,
    /// Conversations one user may start per hour.
    pub inquiries_per_hour: u32,
    /// A first message already sent, word for word, to this many other conversations in the
    /// last day is refused as spam.
    pub duplicate_first_messages: u32,
    /// How long a typing indicator shows.
    #[serde(with = "humantime_serde")]
    pub typing_ttl: Duration,
    /// How long unread messages wait before a participant who is not connected is reminded.
    #[serde(with = "humantime_serde")]
    pub reminder_delay: Duration,
    /// At most one reminder per conversation and participant this often.
    #[serde(with = "humantime_serde")]
    pub reminder_interval: Duration,
    /// How often reminders due are looked for.
    #[serde(with = "humantime_serde")]
    pub reminder_check_interval: Duration,
    /// How long a user counts as connected after their stream last said so; streams renew it
    /// at half this.
    #[serde(with = "humantime_serde")]
    pub presence_ttl: Duration,
    /// How often an open stream looks for events other replicas stored, when not woken.
    #[serde(with = "humantime_serde")]
    pub stream_poll_interval: Duration,
    /// The consumer group the booking service's events are read as.
    pub booking_events_group: String,
}

impl Default for MessagingSettings {
    fn default() -> Self {
        Self {
            property_url: None,
            media_url: None,
            edit_window: Duration::from_secs(15 * 60),
            messages_per_minute: 30,
            inquiries_per_hour: 10,
            duplicate_first_messages: 3,
            typing_ttl: Duration::from_secs(6),
            reminder_delay: Duration::from_secs(60),
            reminder_interval: Duration::from_secs(10 * 60),
            reminder_check_interval: Duration::from_secs(10),
            presence_ttl: Duration::from_secs(60),
            stream_poll_interval: Duration::from_secs(5),
            booking_events_group: "messaging.booking-events".to_owned(),
        }
    }
}
