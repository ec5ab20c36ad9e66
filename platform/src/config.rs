//! The platform's configuration: the shared settings every service reads, plus one table per
//! service for its own settings (`[identity]`, `[property]`, `[gateway]`, …; in the environment
//! `ESTOSPACES_IDENTITY__ACCESS_TOKEN_TTL=5m`).
//!
//! `listen` is where the gateway serves REST, grpc-web and gRPC; the services themselves listen
//! on loopback ports of their own. `data_dir` holds every service's SQLite file and the event
//! log. `database_url`, `kafka_brokers` and `redis_url` switch a part to PostgreSQL, Kafka or
//! Redis for every service.

use std::collections::BTreeMap;

use estospaces_booking::BookingSettings;
use estospaces_config::SecretString;
use estospaces_gateway::GatewaySettings;
use estospaces_identity::IdentitySettings;
use estospaces_leads::LeadsSettings;
use estospaces_media::MediaSettings;
use estospaces_messaging::MessagingSettings;
use estospaces_moderation::ModerationSettings;
use estospaces_notification::NotificationSettings;
use estospaces_payment::PaymentSettings;
use estospaces_profile::ProfileSettings;
use estospaces_project::ProjectSettings;
use estospaces_property::PropertySettings;
use estospaces_review::ReviewSettings;
use estospaces_search::SearchSettings;
use serde::Deserialize;

/// The platform's configuration.
pub type PlatformConfig = estospaces_config::Config<PlatformSettings>;

/// Each service's own settings, by the service's name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlatformSettings {
    pub identity: IdentitySettings,
    /// Profile's `media_url` is filled in: the platform's own media service.
    pub profile: ProfileSettings,
    pub media: MediaSettings,
    /// Property's `media_url` is filled in: the platform's own media service.
    pub property: PropertySettings,
    pub payment: PaymentSettings,
    /// Booking's `property_url` is filled in: the platform's own property service.
    pub booking: BookingSettings,
    pub search: SearchSettings,
    /// Notification's `public_base_url` defaults to the gateway's address.
    pub notification: NotificationSettings,
    /// Messaging's `property_url` and `media_url` are filled in: the platform's own services.
    pub messaging: MessagingSettings,
    /// Review's `property_url` is filled in: the platform's own property service.
    pub review: ReviewSettings,
    /// Moderation's `property_url` and `review_url` are filled in: the platform's own services.
    pub moderation: ModerationSettings,
    /// Leads' `property_url` and `profile_url` are filled in: the platform's own services.
    pub leads: LeadsSettings,
    /// Project's `property_url` and `media_url` are filled in: the platform's own services.
    pub project: ProjectSettings,
    pub gateway: GatewaySettings,
    /// A database URL per service, overriding the one derived from `database_url`
    /// (`ESTOSPACES_DATABASES__PROPERTY=postgres://…/listings`).
    pub databases: BTreeMap<String, SecretString>,
}
