//! The notification service: what the platform tells people, and how.
//!
//! - [`domain`]: categories, channels and preferences, checked at the edge.
//! - [`store`]: the inbox, the delivery queue and log, preferences, recipients, delivery keys
//!   and pending alerts, on PostgreSQL or SQLite.
//! - [`keys`]: the delivery keys other services seal one-time tokens to, and unsubscribe links.
//! - [`templates`]: the messages, per language, with an English fallback.
//! - [`notify`]: a notice made into an inbox entry and queued deliveries, per the preferences.
//! - [`events`]: the platform's events that become notices.
//! - [`channels`]: email (SMTP or `.eml` files) and SMS (sandbox or Twilio); [`push`]: Web Push
//!   (RFC 8291 encryption, VAPID) or a sandbox.
//! - [`sender`]: the workers that send the queue, retry, dead-letter and make digests.
//! - [`service`]: the `estospaces.notification.v1.NotificationService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod channels;
pub mod config;
pub mod domain;
pub mod events;
pub mod keys;
pub mod notify;
pub mod push;
pub mod sender;
pub mod service;
pub mod startup;
pub mod store;
pub mod templates;

pub use config::{NotificationConfig, NotificationSettings, PushProviderKind, SmsProviderKind};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "notification.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "notification";
