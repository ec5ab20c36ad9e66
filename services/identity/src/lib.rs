//! The identity service: who people are on EstoSpaces.
//!
//! - [`domain`]: emails, passwords, user and session ids parsed from raw input; the rest of the
//!   crate never sees unchecked strings.
//! - [`password`]: Argon2id hashing; [`secrets`]: refresh tokens, one-time tokens and recovery
//!   codes, stored only as hashes; [`mfa`]: TOTP.
//! - [`store`]: accounts, roles, sessions, tokens, second factors, throttling counters and
//!   signing keys, on PostgreSQL or SQLite.
//! - [`keys`]: the signing key ring, its rotation and the public key set built from it.
//! - [`events`]: the payloads of the events identity emits; [`delivery`]: where one-time tokens
//!   go once their transaction commits; [`delivery_keys`]: the notification service's public
//!   keys the tokens are sealed to.
//! - [`service`]: the `estospaces.identity.v1.IdentityService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]); [`admin`]: commands an
//!   operator runs instead (granting the first admin).

#![forbid(unsafe_code)]

pub mod admin;
pub mod config;
pub mod delivery;
pub mod delivery_keys;
pub mod domain;
pub mod events;
pub mod keys;
pub mod mfa;
pub mod password;
pub mod secrets;
pub mod service;
pub mod startup;
pub mod store;

pub use config::{IdentityConfig, IdentitySettings, ThrottleSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_delivery};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "identity.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "identity";
