//! The review service: what guests, hosts, buyers and tenants say about each other and about
//! listings, and what users save and compare.
//!
//! - [`domain`]: what a review may say, and the score listings are ranked by.
//! - [`store`]: stays and contacts that may be reviewed, reviews, votes, reports and rating
//!   summaries, on PostgreSQL or SQLite.
//! - [`eligibility`]: who may review whom, from the booking and messaging services' events.
//! - [`held`]: reviews the moderation service's automatic checks hold, hidden.
//! - [`history`]: past stays written directly, for the demo seed.
//! - [`release`]: publishes the pending reviews of stays whose review window closed.
//! - [`service`]: the `estospaces.review.v1.ReviewService` gRPC handlers.
//! - [`collections`]: wishlists and comparison lists (`CollectionService`).
//! - [`listings`]: listings as the property service tells them.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod collections;
pub mod config;
pub mod domain;
pub mod eligibility;
pub mod held;
pub mod history;
pub mod listings;
pub mod release;
pub mod service;
pub mod startup;
pub mod store;

pub use config::{ReviewConfig, ReviewSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "review.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "review";
