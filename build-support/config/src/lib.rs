//! Typed configuration shared by every EstoSpaces binary.
//!
//! Sources, later ones winning: the built-in defaults of the config struct, an optional TOML file
//! named by `ESTOSPACES_CONFIG`, then `ESTOSPACES_*` environment variables (`__` separates nested
//! keys: `ESTOSPACES_TELEMETRY__LOG_FORMAT=json`).
//!
//! Conventions every binary follows, so operators and tests can rely on them:
//! - `ESTOSPACES_LISTEN` (host:port) is where the gRPC server listens.
//! - With no `ESTOSPACES_DATABASE_URL` a service runs on SQLite under `ESTOSPACES_DATA_DIR`.
//! - `ESTOSPACES_DATABASE_URL`, `ESTOSPACES_KAFKA_BROKERS` and `ESTOSPACES_REDIS_URL` switch to the
//!   real PostgreSQL, Kafka and Redis.
//!
//! Secrets are [`SecretString`]s: their `Debug` output is redacted, so a config can be logged whole.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
pub use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The prefix of every environment variable the platform reads.
pub const ENV_PREFIX: &str = "ESTOSPACES_";

/// The environment variable naming an optional TOML config file.
pub const CONFIG_FILE_ENV: &str = "ESTOSPACES_CONFIG";

/// The exit status for a configuration the binary cannot run with (`EX_CONFIG` from sysexits.h).
pub const EXIT_CONFIG: i32 = 64;

/// Settings every service binary shares.
///
/// Unknown top-level keys are ignored rather than rejected: every `ESTOSPACES_*` variable in the
/// environment becomes a key, including ones meant for other tools (the test suite's, say).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CommonConfig {
    /// Where the gRPC server listens.
    pub listen: SocketAddr,
    /// Where embedded state lives (SQLite databases, the in-process event log).
    pub data_dir: PathBuf,
    /// PostgreSQL URL; when absent the service uses SQLite under `data_dir`.
    pub database_url: Option<SecretString>,
    /// Comma-separated Kafka bootstrap servers; when absent events stay in-process.
    pub kafka_brokers: Option<String>,
    /// Redis URL; when absent caches are in memory.
    pub redis_url: Option<SecretString>,
    /// Where Prometheus scrapes `/metrics`; no metrics endpoint when absent.
    pub metrics_listen: Option<SocketAddr>,
    /// Server-side deadline for one call, unless the client sends a shorter `grpc-timeout`.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// How many calls the service works on at once; further calls wait.
    pub max_concurrent_requests: usize,
    /// How long in-flight calls may run after SIGTERM before the server stops anyway.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Logging and tracing.
    pub telemetry: TelemetryConfig,
    /// Verifying access tokens.
    pub auth: AuthConfig,
}

impl Default for CommonConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            kafka_brokers: None,
            redis_url: None,
            metrics_listen: None,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 1024,
            shutdown_grace: Duration::from_secs(20),
            telemetry: TelemetryConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}

/// How logs are written and where traces go.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `human` for terminals, `json` for log collectors.
    pub log_format: LogFormat,
    /// A `tracing` filter directive such as `info,estospaces_identity=debug`; `RUST_LOG` wins.
    pub log_filter: String,
    /// OTLP/gRPC collector endpoint (`http://collector:4317`); no trace export when absent.
    pub otlp_endpoint: Option<String>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Human,
            log_filter: "info".to_owned(),
            otlp_endpoint: None,
        }
    }
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Colourless, one line per event, for people.
    Human,
    /// One JSON object per line, for machines.
    Json,
}

/// What access tokens must say to be accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// The `iss` claim tokens must carry.
    pub issuer: String,
    /// The `aud` claim tokens must carry.
    pub audience: String,
    /// Where services other than identity fetch the key set (the identity service's gRPC URL).
    pub identity_url: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "https://identity.estospaces.dev".to_owned(),
            audience: "estospaces".to_owned(),
            identity_url: None,
        }
    }
}

/// A configuration that cannot be used. Its message names every bad key and where the value
/// came from (`ESTOSPACES_LISTEN`, a file, ...).
#[derive(Debug, thiserror::Error)]
pub struct ConfigError(Box<figment::Error>);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid configuration")?;
        for err in (*self.0).clone() {
            let key = err.path.join(".");
            let source = err
                .metadata
                .as_ref()
                .map(|metadata| {
                    let name =
                        metadata.interpolate(&err.profile.clone().unwrap_or_default(), &err.path);
                    format!(" (from {} `{name}`)", metadata.name)
                })
                .unwrap_or_default();
            if key.is_empty() {
                write!(f, "; {}{source}", err.kind)?;
            } else {
                write!(f, "; key `{key}`{source}: {}", err.kind)?;
            }
        }
        Ok(())
    }
}

/// A service's configuration: the shared settings plus its own, both read from the top level
/// of the same sources (so `ESTOSPACES_LISTEN` and `ESTOSPACES_ACCESS_TOKEN_TTL` sit side by
/// side). They are extracted separately rather than through `#[serde(flatten)]`, which would
/// lose the key names in error messages.
#[derive(Debug, Clone, Default)]
pub struct Config<S> {
    pub common: CommonConfig,
    pub service: S,
}

/// Loads a service's configuration from the defaults, the file named by `ESTOSPACES_CONFIG` (if
/// any) and the environment.
pub fn load<S: DeserializeOwned>() -> Result<Config<S>, ConfigError> {
    let file = std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from);
    load_from(file.as_deref())
}

/// Like [`load`], but with the config file given explicitly.
pub fn load_from<S: DeserializeOwned>(file: Option<&Path>) -> Result<Config<S>, ConfigError> {
    let mut figment = Figment::new();
    if let Some(file) = file {
        // `file_exact`: a named file that is missing is an error, not silently skipped.
        figment = figment.merge(Toml::file_exact(file));
    }
    let figment = figment.merge(Env::prefixed(ENV_PREFIX).ignore(&["CONFIG"]).split("__"));
    let wrap = |err| ConfigError(Box::new(err));
    Ok(Config {
        common: figment.extract().map_err(wrap)?,
        service: figment.extract().map_err(wrap)?,
    })
}

/// Loads like [`load`], or prints why it cannot and exits with status 64 (`EX_CONFIG`).
///
/// For `main` only: tracing is not set up yet, so the message goes to stderr directly.
pub fn load_or_exit<S: DeserializeOwned>() -> Config<S> {
    match load() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(EXIT_CONFIG);
        }
    }
}

#[cfg(test)]
// figment's `Jail` closures must return its (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[derive(Debug, Deserialize)]
    #[serde(default)]
    struct Example {
        greeting: String,
    }

    impl Default for Example {
        fn default() -> Self {
            Self {
                greeting: "hello".to_owned(),
            }
        }
    }

    type ExampleConfig = Config<Example>;

    #[test]
    fn defaults_apply_when_nothing_is_configured() {
        Jail::expect_with(|_| {
            let config: ExampleConfig = load_from(None).expect("defaults are valid");
            assert_eq!(config.service.greeting, "hello");
            assert_eq!(
                config.common.listen,
                "127.0.0.1:50051".parse().expect("addr")
            );
            assert!(config.common.database_url.is_none());
            Ok(())
        });
    }

    #[test]
    fn the_config_file_overrides_defaults_and_the_environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "service.toml",
                r#"
                    greeting = "from file"
                    listen = "127.0.0.1:7000"
                    request_timeout = "5s"

                    [telemetry]
                    log_format = "json"
                "#,
            )?;
            jail.set_env("ESTOSPACES_LISTEN", "0.0.0.0:8000");
            jail.set_env("ESTOSPACES_TELEMETRY__LOG_FILTER", "debug");

            let config: ExampleConfig =
                load_from(Some(Path::new("service.toml"))).expect("valid config");
            assert_eq!(config.service.greeting, "from file", "file beats default");
            assert_eq!(config.common.request_timeout, Duration::from_secs(5));
            assert_eq!(config.common.telemetry.log_format, LogFormat::Json);
            assert_eq!(
                config.common.listen,
                "0.0.0.0:8000".parse().expect("addr"),
                "environment beats file"
            );
            assert_eq!(config.common.telemetry.log_filter, "debug");
            Ok(())
        });
    }

    #[test]
    fn the_config_file_named_by_the_environment_is_read() {
        Jail::expect_with(|jail| {
            jail.create_file("named.toml", r#"greeting = "named""#)?;
            jail.set_env(CONFIG_FILE_ENV, "named.toml");
            let config: ExampleConfig = load().expect("valid config");
            assert_eq!(config.service.greeting, "named");
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        Jail::expect_with(|_| {
            let result: Result<ExampleConfig, _> =
                load_from::<Example>(Some(Path::new("absent.toml")));
            assert!(result.is_err());
            Ok(())
        });
    }

    #[test]
    fn an_invalid_value_is_an_error_naming_the_key() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_LISTEN", "not an address");
            let err = load_from::<Example>(None).expect_err("invalid address");
            let message = err.to_string();
            assert!(message.contains("key `listen`"), "{message}");
            assert!(message.contains("LISTEN"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn secrets_are_redacted_when_the_config_is_printed() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "ESTOSPACES_DATABASE_URL",
                "postgres://app:hunter2@db/estospaces",
            );
            let config: ExampleConfig = load_from(None).expect("valid config");
            let printed = format!("{config:?}");
            assert!(!printed.contains("hunter2"), "{printed}");
            let url = config.common.database_url.expect("set");
            assert_eq!(url.expose_secret(), "postgres://app:hunter2@db/estospaces");
            Ok(())
        });
    }
}
