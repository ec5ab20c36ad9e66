//! The moderation service: what users report, the queue moderators work, the automatic checks
//! on new content, the audit trail of every administrative action, and the platform's figures.
//!
//! - [`domain`]: targets, reasons, priorities and decisions.
//! - [`rules`]: the automatic checks: rules as data, and the score they give a text.
//! - [`store`]: reports, cases, rules, checks, the audit trail and metrics, on PostgreSQL or
//!   SQLite.
//! - [`events`]: what other services' events tell this one: content to check, reports made
//!   elsewhere, administrative actions to audit, figures to count.
//! - [`owners`]: the services that own reported content: who is behind it, and carrying
//!   decisions out with the moderator's own token.
//! - [`service`]: the `estospaces.moderation.v1.ModerationService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod events;
pub mod owners;
pub mod rules;
pub mod service;
pub mod startup;
pub mod store;

pub use config::{ModerationConfig, ModerationSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "moderation.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "moderation";
