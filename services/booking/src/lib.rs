//! The booking service: guests hold nights at short-stay listings, pay through a saga with the
//! payment service, stay and cancel.
//!
//! - [`domain`]: booking ids, days, the state machine and refunds; the rest of the crate works
//!   on checked values.
//! - [`store`]: bookings, saga steps and mirrored blocked nights on PostgreSQL or SQLite. No
//!   two active bookings of a listing share a night: an exclusion constraint (PostgreSQL) or a
//!   trigger (SQLite) refuses it, behind a per-listing lock that serializes bookings of one
//!   listing. Every state change commits with its saga step and event.
//! - [`listings`]: the property service's quotes, listings and availability, and the mirror of
//!   its blocked nights.
//! - [`saga`]: reactions to the payment service's events.
//! - [`timer`]: lapsed holds, timed-out sagas, check-ins and check-outs.
//! - [`ical`]: a listing's iCalendar feed.
//! - [`service`]: the `estospaces.booking.v1.BookingService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod ical;
pub mod listings;
pub mod saga;
pub mod service;
pub mod startup;
pub mod store;
pub mod timer;

pub use config::{BookingConfig, BookingSettings, CaptureAt};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "booking.estospaces.dev";

/// The service's name in logs, traces, the outbox and the embedded database's file name.
pub const SERVICE_NAME: &str = "booking";
