//! The identity service: who people are on EstoSpaces.
//!
//! - [`domain`]: emails, passwords and user ids parsed from raw input; the rest of the crate
//!   never sees unchecked strings.
//! - [`store`]: accounts, roles and signing keys, on PostgreSQL or SQLite.
//! - [`keys`]: the signing key ring and the public key set built from it.
//! - [`service`]: the `estospaces.identity.v1.IdentityService` gRPC handlers.
//! - [`startup`]: [`Application`], which wires it all to a server.

#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod keys;
pub mod password;
pub mod service;
pub mod startup;
pub mod store;

pub use config::{IdentityConfig, IdentitySettings};
pub use startup::Application;

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "identity.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "identity";
