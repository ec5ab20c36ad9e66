//! The payment service's configuration.

use std::time::Duration;

use estospaces_config::SecretString;
use serde::Deserialize;

/// The payment service's configuration: the shared settings plus [`PaymentSettings`].
pub type PaymentConfig = estospaces_config::Config<PaymentSettings>;

/// Which payment provider moves the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Stripe's test cards, in memory: nothing leaves the process.
    #[default]
    Sandbox,
    /// Stripe's API, with `stripe_secret_key`.
    Stripe,
}

/// Settings only the payment service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PaymentSettings {
    /// The payment provider (`ESTOSPACES_PROVIDER=stripe`).
    pub provider: ProviderKind,
    /// Stripe's secret API key (`sk_...`); required with `provider = "stripe"`.
    pub stripe_secret_key: Option<SecretString>,
    /// Where Stripe's API is.
    pub stripe_base_url: String,
    /// How long one provider call may take before it counts as failed (and is retried with the
    /// same idempotency key).
    #[serde(with = "humantime_serde")]
    pub provider_timeout: Duration,
    /// How long after check-in a host is paid out.
    #[serde(with = "humantime_serde")]
    pub payout_delay: Duration,
    /// How often due payouts are paid.
    #[serde(with = "humantime_serde")]
    pub payout_interval: Duration,
    /// How long the result of a call is kept under its idempotency key.
    #[serde(with = "humantime_serde")]
    pub idempotency_key_ttl: Duration,
    /// How often expired idempotency keys are deleted.
    #[serde(with = "humantime_serde")]
    pub idempotency_sweep_interval: Duration,
    /// How often authorizations still held for ended bookings are looked for (and voided),
    /// and overdue provider steps counted.
    #[serde(with = "humantime_serde")]
    pub orphan_sweep_interval: Duration,
    /// The consumer group booking events are read as. Every replica shares the default; a
    /// test running its own instance beside others on one broker picks its own.
    pub booking_events_group: String,
    /// The consumer group project events (reservations' deposits) are read as; like
    /// `booking_events_group`.
    pub project_events_group: String,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            provider: ProviderKind::Sandbox,
            stripe_secret_key: None,
            stripe_base_url: "https://api.stripe.com".to_owned(),
            provider_timeout: Duration::from_secs(10),
            // Like the big marketplaces: a day after the guest arrived.
            payout_delay: Duration::from_secs(24 * 60 * 60),
            payout_interval: Duration::from_secs(60),
            idempotency_key_ttl: Duration::from_secs(24 * 60 * 60),
            idempotency_sweep_interval: Duration::from_secs(10 * 60),
            orphan_sweep_interval: Duration::from_secs(60),
            booking_events_group: crate::events::CONSUMER_GROUP.to_owned(),
            project_events_group: crate::events::PROJECT_CONSUMER_GROUP.to_owned(),
        }
    }
}
