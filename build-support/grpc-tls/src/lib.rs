//! TLS for gRPC between services, from the `[tls]` settings ([`GrpcTlsConfig`]).
//!
//! - [`server_config`]: what a gRPC port serves with — TLS when `tls.cert_file` is set, and
//!   mutual TLS (a client certificate signed by `tls.client_ca_file` required) when that is set.
//! - [`channel`]: **the** way a service-to-service channel is built. `https://` URLs get TLS
//!   (trusting `tls.ca_file`, presenting `tls.client_cert_file`); `http://` URLs stay plaintext,
//!   as the single binary's in-process services and local runs use them.
//! - [`ClientTls`]: the client side on its own, for connections tonic does not make (the
//!   gateway's upstreams) and for the OTLP exporter.
//!
//! Files are read once, when a server or channel is built: a renewed certificate is picked up
//! by restarting the process.

#![forbid(unsafe_code)]

mod client;
mod server;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::Path;

pub use client::{ClientTls, PemFile, TlsConnector, channel, is_https};
pub use estospaces_config::GrpcTlsConfig;
pub use server::server_config;

/// Settings that cannot be used: a missing or unreadable file, a certificate without its key, a
/// URL that is not one. The message names the setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(String);

impl Error {
    /// `setting` cannot be used, because of `why`.
    pub fn invalid(setting: &str, why: impl std::fmt::Display) -> Self {
        Self(format!("{setting}: {why}"))
    }
}

/// The `[tls]` key `key` with the variable that sets it, for messages.
fn setting(key: &str) -> String {
    let key = format!("tls.{key}");
    format!("{key} ({})", estospaces_config::env_name(&key))
}

/// The contents of the PEM file `path`, which `setting` names.
fn read(setting: &str, path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|err| Error::invalid(setting, format!("{}: {err}", path.display())))
}
