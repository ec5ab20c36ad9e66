//! The media service: uploads and what is served of them.
//!
//! - [`domain`]: kinds, visibility and states; the type sniffed from the bytes and the checks
//!   every upload passes before anything is stored.
//! - [`objects`]: the bytes in object storage (a directory, or any S3-compatible store).
//! - [`store`]: uploads, processing jobs, listing uses and resumable uploads, on PostgreSQL or
//!   SQLite.
//! - [`library`]: accepting an upload, who may read what, media as callers see it.
//! - [`images`]: a photo made into upright, metadata-free WebP and JPEG variants and a BlurHash.
//! - [`processing`]: the job queue fed by `media.uploaded`, its worker and the sweeper.
//! - [`signing`]: signed URLs for private media.
//! - [`listings`]: which published listings show which media, from property's events.
//! - [`accounts`]: a deleted account's uploads erased, from identity's events.
//! - [`service`]: the `estospaces.media.v1.MediaService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod accounts;
pub mod config;
pub mod domain;
pub mod images;
pub mod library;
pub mod listings;
pub mod objects;
pub mod processing;
pub mod service;
pub mod signing;
pub mod startup;
pub mod store;

pub use config::{Limits, MediaConfig, MediaSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "media.estospaces.dev";

/// The service's name in logs, traces and the embedded database's file name.
pub const SERVICE_NAME: &str = "media";
