//! The property service: listings on EstoSpaces, from draft to sold.
//!
//! - [`domain`]: listing ids, dates, validation with field paths, completeness for publishing
//!   and the state machine; the rest of the crate works on checked values.
//! - [`pricing`]: nightly prices and quotes, in integer minor units.
//! - [`store`]: listings, calendars and view counts on PostgreSQL or SQLite; every state change
//!   commits with its events in the outbox.
//! - [`views`]: view counts kept in memory and added to the store periodically.
//! - [`bookings`]: how booking events mark nights booked.
//! - [`ratings`]: listings' ratings from the review service's events.
//! - [`moderation`]: listings held by the moderation service's automatic checks.
//! - [`service`]: the `estospaces.property.v1.PropertyService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod bookings;
pub mod config;
pub mod domain;
pub mod moderation;
pub mod pricing;
pub mod ratings;
pub mod service;
pub mod startup;
pub mod store;
pub mod views;

pub use config::{ListingReview, PropertyConfig, PropertySettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "property.estospaces.dev";

/// The service's name in logs, traces, the outbox and the embedded database's file name.
pub const SERVICE_NAME: &str = "property";
