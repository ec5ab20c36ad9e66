//! The messaging service: conversations about listings between the people on either side.
//!
//! - [`domain`]: what a message may say, the masking of contact details, search words.
//! - [`store`]: conversations, messages, each user's event stream, blocks, reports and
//!   presence, on PostgreSQL or SQLite.
//! - [`hub`]: wakes the streams open on this replica when their user's stream grows.
//! - [`listings`]: the listings inquiries are about, from the property service.
//! - [`bookings`]: the booking saga's progress, written into the thread as system messages.
//! - [`reminders`]: unread messages of people who are not connected, handed to notifications.
//! - [`service`]: the `estospaces.messaging.v1.MessagingService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod bookings;
pub mod config;
pub mod domain;
pub mod hub;
pub mod listings;
pub mod reminders;
pub mod service;
pub mod startup;
pub mod store;

pub use config::{MessagingConfig, MessagingSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "messaging.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "messaging";
