//! The booking service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The booking service's configuration: the shared settings plus [`BookingSettings`].
pub type BookingConfig = estospaces_config::Config<BookingSettings>;

/// When a confirmed booking's payment is captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureAt {
    /// As soon as the booking is confirmed (`booking.confirmed` says `capture_now`).
    Confirmation,
    /// When the guest checks in (`booking.checked_in`).
    CheckIn,
}

/// Settings only the booking service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BookingSettings {
    /// The property service's gRPC URL (`http://property:50051`): quotes, listings and
    /// availability. Required.
    pub property_url: Option<String>,
    /// How long an instant booking holds its nights waiting for payment.
    #[serde(with = "humantime_serde")]
    pub hold_duration: Duration,
    /// How long a request to book holds its nights waiting for the host.
    #[serde(with = "humantime_serde")]
    pub host_response_duration: Duration,
    /// How long a booking may wait for the payment service's answer before the saga gives up
    /// and compensates, whatever its hold.
    #[serde(with = "humantime_serde")]
    pub saga_timeout: Duration,
    /// When payment is captured.
    pub capture_at: CaptureAt,
    /// The platform's share of every booking's total, in basis points.
    pub platform_fee_basis_points: u32,
    /// How often the timer expires lapsed holds and moves stays along.
    #[serde(with = "humantime_serde")]
    pub timer_interval: Duration,
    /// Whether the timer checks guests in on their check-in day and completes stays on their
    /// check-out day (hosts may do both themselves either way).
    pub auto_stay_transitions: bool,
    /// The consumer group reading the payment service's events.
    pub payment_events_group: String,
    /// The consumer group reading the property service's events (blocked nights).
    pub property_events_group: String,
}

impl Default for BookingSettings {
    fn default() -> Self {
        Self {
            property_url: None,
            hold_duration: Duration::from_secs(15 * 60),
            host_response_duration: Duration::from_secs(24 * 60 * 60),
            saga_timeout: Duration::from_secs(30 * 60),
            capture_at: CaptureAt::Confirmation,
            platform_fee_basis_points: 1_200,
            timer_interval: Duration::from_secs(5),
            auto_stay_transitions: true,
            payment_events_group: crate::saga::PAYMENT_EVENTS_GROUP.to_owned(),
            property_events_group: crate::listings::PROPERTY_EVENTS_GROUP.to_owned(),
        }
    }
}
