//! The profile service: what people show of themselves on EstoSpaces.
//!
//! - [`domain`]: resource names and profile fields parsed and checked at the edge.
//! - [`store`]: profiles, host and agent profiles, agencies and their members, on PostgreSQL or
//!   SQLite.
//! - [`events`]: reactions to identity's events: a profile per registered account, erasure on
//!   deletion.
//! - [`service`]: the `estospaces.profile.v1.ProfileService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod events;
pub mod service;
pub mod startup;
pub mod store;

pub use config::{ProfileConfig, ProfileSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "profile.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "profile";
