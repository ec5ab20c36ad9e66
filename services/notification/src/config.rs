//! The notification service's configuration.

use std::path::PathBuf;
use std::time::Duration;

use estospaces_config::SecretString;
use serde::Deserialize;

/// The notification service's configuration: the shared settings (including
/// `auth.identity_url`, which it requires) plus [`NotificationSettings`].
pub type NotificationConfig = estospaces_config::Config<NotificationSettings>;

/// Which SMS provider sends text messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SmsProviderKind {
    /// Nothing leaves the process: each text is recorded in the delivery log, readable with
    /// `ListDeliveries`.
    #[default]
    Sandbox,
    /// Twilio's Messages API (or any API of its shape at `twilio_base_url`).
    Twilio,
}

/// Which push provider sends browser push messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PushProviderKind {
    /// The Web Push protocol to each browser's push service, signed with the service's own
    /// VAPID key.
    #[default]
    WebPush,
    /// Nothing leaves the process: each message is recorded in the delivery log.
    Sandbox,
}

/// Settings only the notification service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NotificationSettings {
    /// The SMTP server mail goes to: `smtp://host:2525` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:password@host` (TLS). Unset: each email is written as an
    /// `.eml` file under `mail_dir`.
    pub smtp_url: Option<SecretString>,
    /// Where emails are written when there is no `smtp_url`; default `<data_dir>/mail`.
    pub mail_dir: Option<PathBuf>,
    /// The sender of every email.
    pub mail_from: String,
    /// The platform's public address, which links in messages start with; default the
    /// gateway's address in the single binary, `http://localhost:8080` alone.
    pub public_base_url: Option<String>,
    /// The text-message provider.
    pub sms_provider: SmsProviderKind,
    /// Twilio's account SID; required with `sms_provider = "twilio"`.
    pub twilio_account_sid: Option<String>,
    /// Twilio's auth token; required with `sms_provider = "twilio"`.
    pub twilio_auth_token: Option<SecretString>,
    /// The number texts are sent from, E.164.
    pub twilio_from: Option<String>,
    /// Where Twilio's API is.
    pub twilio_base_url: String,
    /// The push provider.
    pub push_provider: PushProviderKind,
    /// The push services subscriptions may point at, as origins; `https://*.example.com` allows
    /// every subdomain. The platform POSTs to these, so nothing else is accepted.
    pub push_services: Vec<String>,
    /// Who runs the platform, for push services (`mailto:` or `https:`), in the VAPID token.
    pub vapid_subject: String,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles each time, up to `max_retry_delay`.
    #[serde(with = "humantime_serde")]
    pub retry_delay: Duration,
    #[serde(with = "humantime_serde")]
    pub max_retry_delay: Duration,
    /// At most this many non-account messages per recipient and channel in an hour; the rest
    /// are skipped (the inbox still has them).
    pub hourly_limit_per_recipient: u32,
    /// How often the queue is checked for due deliveries when nothing wakes the sender.
    #[serde(with = "humantime_serde")]
    pub send_interval: Duration,
    /// How often saved-search alerts are gathered into digests and due check-in and viewing
    /// reminders are sent.
    #[serde(with = "humantime_serde")]
    pub digest_interval: Duration,
    /// How long one SMTP or SMS call may take.
    #[serde(with = "humantime_serde")]
    pub provider_timeout: Duration,
    /// The consumer group the other services' events are read as. Every replica shares the
    /// default; a test running its own instance beside others on one broker picks its own.
    pub consumer_group: String,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_dir: None,
            mail_from: "EstoSpaces <no-reply@estospaces.localhost>".to_owned(),
            public_base_url: None,
            sms_provider: SmsProviderKind::Sandbox,
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_from: None,
            twilio_base_url: "https://api.twilio.com".to_owned(),
            push_provider: PushProviderKind::WebPush,
            push_services: [
                "https://fcm.googleapis.com",
                "https://updates.push.services.mozilla.com",
                "https://web.push.apple.com",
                "https://*.notify.windows.com",
            ]
            .map(str::to_owned)
            .to_vec(),
            vapid_subject: "mailto:operators@estospaces.localhost".to_owned(),
            max_attempts: 8,
            retry_delay: Duration::from_secs(2),
            max_retry_delay: Duration::from_secs(30 * 60),
            hourly_limit_per_recipient: 20,
            send_interval: Duration::from_secs(1),
            digest_interval: Duration::from_secs(60),
            provider_timeout: Duration::from_secs(15),
            consumer_group: "notification.events".to_owned(),
        }
    }
}
