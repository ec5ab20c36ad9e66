//! The gateway's configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::client_address::Network;

/// The gateway's configuration: the shared settings plus [`GatewaySettings`].
///
/// `ESTOSPACES_LISTEN` is where the gateway serves REST, grpc-web and gRPC.
pub type GatewayConfig = estospaces_config::Config<GatewaySettings>;

/// Settings only the gateway reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GatewaySettings {
    /// The gRPC URL of each service, by domain (the `identity` of `estospaces.identity.v1`):
    /// `ESTOSPACES_UPSTREAMS__IDENTITY=http://127.0.0.1:50051`.
    pub upstreams: BTreeMap<String, String>,
    /// HTTP/2 connections the gateway keeps to each upstream, used in turn: more than one
    /// spreads the framing work over the upstream's and the gateway's cores.
    pub upstream_connections: usize,
    /// Browser origins allowed to call the gateway (`https://app.example.com`), comma-separated
    /// in the environment; `*` allows any. None by default.
    #[serde(deserialize_with = "list")]
    pub cors_allowed_origins: Vec<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest raw body of an upload route (one whose body is a `google.api.HttpBody`),
    /// and of a message to or from a service.
    pub max_upload_bytes: usize,
    /// Rate limits; see [`RateLimitSettings`].
    pub rate_limits: RateLimitSettings,
    /// The networks of the proxies in front of the gateway (an ingress controller, a load
    /// balancer), in CIDR notation: `["10.0.0.0/8", "127.0.0.1/32"]`, comma-separated in the
    /// environment. Only a peer inside one of them is believed when its `Forwarded` or
    /// `X-Forwarded-For` header names the client; see [`crate::client_address`]. None by
    /// default: the client is the TCP peer.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<Network>,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            upstreams: BTreeMap::new(),
            upstream_connections: 2,
            cors_allowed_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 32 * 1024 * 1024,
            rate_limits: RateLimitSettings::default(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Requests allowed per minute, with bursts of up to `burst`, per route class. Anonymous calls
/// are counted per client address, authenticated calls per user.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Whether limits apply at all.
    pub enabled: bool,
    /// Calls to public methods (sign-up, login), per client address.
    pub public_per_minute: u32,
    /// Calls needing a token, per user.
    pub authenticated_per_minute: u32,
    /// How many calls may arrive at once before the rate applies.
    pub burst: u32,
    /// The prefix of the limiter's Redis keys (with `ESTOSPACES_REDIS_URL` set).
    pub redis_key_prefix: String,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            public_per_minute: 120,
            authenticated_per_minute: 600,
            burst: 20,
            redis_key_prefix: "estospaces:gateway:ratelimit:".to_owned(),
        }
    }
}

/// A list given either as a sequence (TOML) or as one comma-separated string (environment).
fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(text) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
        OneOrMany::Many(items) => items,
    })
}

/// A [`list`] of networks in CIDR notation.
fn networks<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Network>, D::Error> {
    list(deserializer)?
        .iter()
        .map(|network| network.parse().map_err(serde::de::Error::custom))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY: estospaces_config::Placement =
        estospaces_config::Placement::Section(crate::SERVICE_NAME);

    fn load(toml: &str) -> anyhow::Result<GatewayConfig> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("gateway.toml");
        std::fs::write(&file, toml)?;
        Ok(estospaces_config::load_from(Some(&file), GATEWAY)?)
    }

    #[test]
    fn trusted_proxies_are_read_as_a_list_or_as_one_comma_separated_string() {
        let expected: Vec<Network> = ["10.0.0.0/8", "127.0.0.1/32"]
            .iter()
            .map(|network| network.parse().expect("valid"))
            .collect();
        for toml in [
            "[gateway]\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1/32\"]\n",
            "[gateway]\ntrusted_proxies = \"10.0.0.0/8, 127.0.0.1/32\"\n",
        ] {
            let config = load(toml).expect("valid");
            assert_eq!(config.service.trusted_proxies, expected, "{toml}");
        }
        let config = load("").expect("valid");
        assert!(config.service.trusted_proxies.is_empty(), "none by default");
    }

    #[test]
    fn a_trusted_proxy_that_is_not_a_network_is_refused() {
        let err = load("[gateway]\ntrusted_proxies = [\"10.0.0.0/40\"]\n").expect_err("invalid");
        assert!(format!("{err:#}").contains("10.0.0.0/40"), "{err:#}");
    }
}
