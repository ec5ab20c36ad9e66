//! The leads service: people asking about sale and rental listings, as the agents work them.
//!
//! - [`domain`]: the pipeline's stages, what an inquiry may say, the lead score's rules, and
//!   how agents' ratings combine.
//! - [`store`]: leads, notes, tasks, viewing slots, the score's signals and agents' ratings, on
//!   PostgreSQL or SQLite.
//! - [`listings`]: listings as the property service tells them.
//! - [`agencies`]: agents' agencies as the profile service tells them.
//! - [`calendar`]: an agent's booked viewings as an iCalendar feed.
//! - [`captcha`]: the check anonymous inquiries pass, when one is configured.
//! - [`signals`]: inquiries from messaging, saved-search matches, favorites and agents'
//!   ratings, from events.
//! - [`service`]: the `estospaces.leads.v1.LeadService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod agencies;
pub mod calendar;
pub mod captcha;
pub mod config;
pub mod domain;
pub mod listings;
pub mod service;
pub mod signals;
pub mod startup;
pub mod store;

pub use config::{LeadsConfig, LeadsSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "leads.estospaces.dev";

/// The service's name in logs, traces, the embedded database's file name and its topic.
pub const SERVICE_NAME: &str = "leads";
