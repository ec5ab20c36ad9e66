//! The project service: developments a developer sells while (or after) building them.
//!
//! - [`domain`]: what projects, units, milestones, progress updates, documents and
//!   reservations may say, and how their states are stored.
//! - [`store`]: the tables, on PostgreSQL or SQLite, and every change with its event.
//! - [`listings`]: units' sale listings as the property service tells them.
//! - [`saga`]: the reservation saga: the payment service's events, and the sweeper releasing
//!   reservations whose deposit was not paid in time.
//! - [`service`]: the `estospaces.project.v1.ProjectService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).
//!
//! ```text
//! buyer ──CreateReservation──▶ project ──reservation.requested──▶ payment (authorize deposit)
//!                                 ▲                                  │
//!                                 └──── payment.authorized ──────────┤ → RESERVED,
//!                                 │     (group project.payment-events)│   reservation.confirmed
//!                                 └──── payment.failed ──────────────┘ → RELEASED, unit available,
//!                                                                        reservation.released
//! sweeper: pending past expire_time → RELEASED (EXPIRED), reservation.released
//! ```

#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod listings;
pub mod saga;
pub mod service;
pub mod startup;
pub mod store;

pub use config::{ProjectConfig, ProjectSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "project.estospaces.dev";

/// The service's name in logs, traces, the embedded database's file name and its topic.
pub const SERVICE_NAME: &str = "project";
