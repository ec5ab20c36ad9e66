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

mod kafka;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
pub use kafka::{KafkaProtocol, KafkaSecurity, SaslMechanism};
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
    /// The most PostgreSQL connections the service's pool opens. Every service (and each of
    /// the single binary's) has a pool of its own: together they must stay under the server's
    /// `max_connections` (100 by default), which eleven pools of 8 do.
    pub database_max_connections: u32,
    /// Comma-separated Kafka bootstrap servers; when absent events stay in-process.
    pub kafka_brokers: Option<String>,
    /// How Kafka clients encrypt and authenticate (`[kafka]`, `ESTOSPACES_KAFKA__*`).
    pub kafka: KafkaSecurity,
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
    /// TLS on the gRPC port and on calls to other services' `https://` URLs.
    pub tls: GrpcTlsConfig,
}

impl Default for CommonConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_max_connections: 8,
            kafka_brokers: None,
            kafka: KafkaSecurity::default(),
            redis_url: None,
            metrics_listen: None,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 1024,
            shutdown_grace: Duration::from_secs(20),
            telemetry: TelemetryConfig::default(),
            auth: AuthConfig::default(),
            tls: GrpcTlsConfig::default(),
        }
    }
}

impl CommonConfig {
    /// Checks what the types alone cannot: settings that only make sense together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.kafka.validate()
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
    /// How often identity's key set is fetched again. A token naming a key not yet in the set
    /// fetches it at once (at most twice a second), so this only bounds how long a withdrawn key
    /// stays trusted.
    #[serde(with = "humantime_serde")]
    pub jwks_refresh_interval: Duration,
    /// How often identity's token revocations (`ListTokenRevocations`: suspended and banned
    /// accounts) are fetched again: such an account's access tokens stop working everywhere
    /// within about this long.
    #[serde(with = "humantime_serde")]
    pub revocation_refresh_interval: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "https://identity.estospaces.dev".to_owned(),
            audience: "estospaces".to_owned(),
            identity_url: None,
            jwks_refresh_interval: Duration::from_secs(60),
            revocation_refresh_interval: Duration::from_secs(2),
        }
    }
}

/// TLS between services (`[tls]`, `ESTOSPACES_TLS__CERT_FILE`, ...): PEM files, read at start.
/// The server side is on when `cert_file` and `key_file` are set; the client side applies to
/// every service URL that starts with `https://` (`http://` URLs stay plaintext).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcTlsConfig {
    /// The certificate chain the gRPC port presents; with it the port speaks TLS only (health
    /// checks and reflection included; `/metrics` stays plain HTTP).
    pub cert_file: Option<PathBuf>,
    /// The private key of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// CA certificates that callers' certificates must be signed by: when set, a caller without
    /// one is refused (mutual TLS). Needs `cert_file`.
    pub client_ca_file: Option<PathBuf>,
    /// CA certificates trusted for `https://` service URLs; when absent, the public web PKI.
    pub ca_file: Option<PathBuf>,
    /// The certificate this process presents when it calls `https://` URLs (for services that
    /// require mutual TLS); often the same file as `cert_file`.
    pub client_cert_file: Option<PathBuf>,
    /// The private key of `client_cert_file`.
    pub client_key_file: Option<PathBuf>,
}

/// The tables that hold one binary's own settings (`[booking]`, or `ESTOSPACES_BOOKING__*` in the
/// environment). A service reads its own table whether it runs alone or inside `estospaces`;
/// the other tables belong to other binaries and are left alone, so one environment can
/// configure every binary. Add a service's name here when the service is added.
pub const SECTIONS: &[&str] = &[
    "identity",
    "profile",
    "media",
    "property",
    "payment",
    "booking",
    "search",
    "notification",
    "messaging",
    "review",
    "moderation",
    "leads",
    "project",
    "gateway",
    // The single binary's per-service database URLs.
    "databases",
];

/// `ESTOSPACES_*` variables that are not settings: the config file's name, the development
/// scripts' (`build-support/dev/tools.sh`, `services.sh`) and `estospaces-events`' `--log`.
/// Names starting with `test_` belong to the test suite.
const NOT_SETTINGS: &[&str] = &[
    "config",
    "cache",
    "tools",
    "buf",
    "tansu",
    "grpcurl",
    "aiosmtpd",
    "moto_server",
    "moto_version",
    "services_timeout",
    "event_log",
];

/// Where a binary's own settings sit in the sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In the table named after the service (`[booking]`, `ESTOSPACES_BOOKING__HOLD_DURATION`).
    Section(&'static str),
    /// Beside the shared settings, at the top level: the single binary, whose settings are the
    /// tables of every service.
    Root,
}

/// A configuration that cannot be used. Its message names every bad key and where the value
/// came from (`ESTOSPACES_LISTEN`, a file, ...).
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration; {0}")]
pub struct ConfigError(String);

impl ConfigError {
    /// A setting that must be given but was not.
    pub fn missing(key: &str, why: &str) -> Self {
        Self(format!("key `{key}` ({}): required: {why}", env_name(key)))
    }

    /// A setting whose value cannot be used.
    pub fn invalid(key: &str, why: impl std::fmt::Display) -> Self {
        Self(format!("key `{key}` ({}): {why}", env_name(key)))
    }

    fn from_figment(err: figment::Error) -> Self {
        let mut parts = Vec::new();
        for err in err {
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
                parts.push(format!("{}{source}", err.kind));
            } else {
                parts.push(format!("key `{key}`{source}: {}", err.kind));
            }
        }
        Self(parts.join("; "))
    }

    fn unknown(keys: &[String]) -> Self {
        let keys: Vec<String> = keys
            .iter()
            .map(|key| format!("`{key}` ({})", env_name(key)))
            .collect();
        Self(format!(
            "unknown key {}: a misspelt setting? docs/configuration.md lists every setting",
            keys.join(", ")
        ))
    }
}

/// The environment variable that sets `key` (`booking.property_url` →
/// `ESTOSPACES_BOOKING__PROPERTY_URL`).
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_uppercase().replace('.', "__"))
}

/// A service's configuration: the shared settings, read from the top level of the sources, plus
/// its own, read from its table (see [`Placement`]). They are extracted separately rather than
/// through `#[serde(flatten)]`, which would lose the key names in error messages.
#[derive(Debug, Clone, Default)]
pub struct Config<S> {
    pub common: CommonConfig,
    pub service: S,
}

/// Loads a binary's configuration from the defaults, the file named by `ESTOSPACES_CONFIG` (if
/// any) and the environment. A key no binary reads is an error, so a misspelt variable is not
/// silently ignored.
pub fn load<S: DeserializeOwned>(placement: Placement) -> Result<Config<S>, ConfigError> {
    let file = std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from);
    load_from(file.as_deref(), placement)
}

/// Like [`load`], but with the config file given explicitly.
pub fn load_from<S: DeserializeOwned>(
    file: Option<&Path>,
    placement: Placement,
) -> Result<Config<S>, ConfigError> {
    let mut figment = Figment::new();
    if let Some(file) = file {
        // `file_exact`: a named file that is missing is an error, not silently skipped.
        figment = figment.merge(Toml::file_exact(file));
    }
    let figment = figment.merge(Env::prefixed(ENV_PREFIX).ignore(&["CONFIG"]).split("__"));
    let own = match placement {
        Placement::Section(name) => figment.focus(name),
        Placement::Root => figment.clone(),
    };
    let config = Config {
        common: figment.extract().map_err(ConfigError::from_figment)?,
        service: own.extract().map_err(ConfigError::from_figment)?,
    };
    config.common.validate()?;
    let unknown = unknown_keys::<S>(&figment, placement);
    if !unknown.is_empty() {
        return Err(ConfigError::unknown(&unknown));
    }
    Ok(config)
}

/// The keys in the sources that neither the shared settings nor the binary's own read, and that
/// belong to no other binary.
fn unknown_keys<S: DeserializeOwned>(figment: &Figment, placement: Placement) -> Vec<String> {
    let Ok(root) = figment.extract::<figment::value::Value>() else {
        return Vec::new();
    };
    // Top-level keys the shared settings leave alone.
    let mut left = Vec::new();
    let _ = serde_ignored::deserialize(&root, |path| left.push(path.to_string()))
        .map(|_: CommonConfig| ());
    let mut unknown = Vec::new();
    match placement {
        Placement::Root => {
            // Of those, the ones the platform's tables do not read either.
            let _ = serde_ignored::deserialize(&root, |path| {
                let path = path.to_string();
                let top = path.split('.').next().unwrap_or_default();
                if left.iter().any(|key| key == top) {
                    unknown.push(path);
                }
            })
            .map(|_: S| ());
        }
        Placement::Section(name) => {
            if let Some(own) = root.find_ref(name) {
                let _ = serde_ignored::deserialize(own, |path| {
                    unknown.push(format!("{name}.{path}"));
                })
                .map(|_: S| ());
            }
            unknown.extend(
                left.into_iter()
                    .filter(|key| key != name && !SECTIONS.contains(&key.as_str())),
            );
        }
    }
    unknown.retain(|key| !NOT_SETTINGS.contains(&key.as_str()) && !key.starts_with("test_"));
    unknown.sort();
    unknown.dedup();
    unknown
}

/// Loads like [`load`], or prints why it cannot and exits with status 64 (`EX_CONFIG`).
///
/// For `main` only: tracing is not set up yet, so the message goes to stderr directly.
pub fn load_or_exit<S: DeserializeOwned>(placement: Placement) -> Config<S> {
    match load(placement) {
        Ok(config) => config,
        Err(err) => exit_with(&err),
    }
}

/// The shared settings alone, from the same sources as [`load`], for tools that have none of
/// their own (`estospaces-events` reaching Kafka as the services do). Keys of any table are
/// accepted unread: the tool shares its environment with the services.
pub fn load_shared() -> Result<CommonConfig, ConfigError> {
    load::<serde::de::IgnoredAny>(Placement::Root).map(|config| config.common)
}

/// Prints a configuration error and exits with status 64 (`EX_CONFIG`).
pub fn exit_with(err: &ConfigError) -> ! {
    eprintln!("error: {err}");
    std::process::exit(EXIT_CONFIG);
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

    const EXAMPLE: Placement = Placement::Section("example");

    #[test]
    fn defaults_apply_when_nothing_is_configured() {
        Jail::expect_with(|_| {
            let config: ExampleConfig = load_from(None, EXAMPLE).expect("defaults are valid");
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
                    listen = "127.0.0.1:7000"
                    request_timeout = "5s"

                    [telemetry]
                    log_format = "json"

                    [example]
                    greeting = "from file"
                "#,
            )?;
            jail.set_env("ESTOSPACES_LISTEN", "0.0.0.0:8000");
            jail.set_env("ESTOSPACES_TELEMETRY__LOG_FILTER", "debug");

            let config: ExampleConfig =
                load_from(Some(Path::new("service.toml")), EXAMPLE).expect("valid config");
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
            jail.create_file("named.toml", "[example]\ngreeting = \"named\"")?;
            jail.set_env(CONFIG_FILE_ENV, "named.toml");
            let config: ExampleConfig = load(EXAMPLE).expect("valid config");
            assert_eq!(config.service.greeting, "named");
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        Jail::expect_with(|_| {
            let result: Result<ExampleConfig, _> =
                load_from::<Example>(Some(Path::new("absent.toml")), EXAMPLE);
            assert!(result.is_err());
            Ok(())
        });
    }

    #[test]
    fn an_invalid_value_is_an_error_naming_the_key() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_LISTEN", "not an address");
            let err = load_from::<Example>(None, EXAMPLE).expect_err("invalid address");
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
            let config: ExampleConfig = load_from(None, EXAMPLE).expect("valid config");
            let printed = format!("{config:?}");
            assert!(!printed.contains("hunter2"), "{printed}");
            let url = config.common.database_url.expect("set");
            assert_eq!(url.expose_secret(), "postgres://app:hunter2@db/estospaces");
            Ok(())
        });
    }

    #[test]
    fn a_services_own_setting_has_the_same_name_alone_and_in_the_single_binary() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_EXAMPLE__GREETING", "hi");
            let config: ExampleConfig = load_from(None, EXAMPLE).expect("valid config");
            assert_eq!(config.service.greeting, "hi");
            Ok(())
        });
    }

    #[test]
    fn a_misspelt_key_is_an_error_naming_its_variable() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_EXAMPLE__GRETING", "hi");
            jail.set_env("ESTOSPACES_LISTN", "127.0.0.1:1");
            let err = load_from::<Example>(None, EXAMPLE).expect_err("typos");
            let message = err.to_string();
            assert!(message.contains("ESTOSPACES_EXAMPLE__GRETING"), "{message}");
            assert!(message.contains("ESTOSPACES_LISTN"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn tls_files_are_read_from_nested_variables_and_a_misspelt_one_is_an_error() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_TLS__CERT_FILE", "/tls/tls.crt");
            jail.set_env("ESTOSPACES_TLS__CLIENT_CA_FILE", "/tls/ca.crt");
            let config = load_from::<Example>(None, EXAMPLE).expect("valid");
            let tls = &config.common.tls;
            assert_eq!(tls.cert_file.as_deref(), Some(Path::new("/tls/tls.crt")));
            assert_eq!(
                tls.client_ca_file.as_deref(),
                Some(Path::new("/tls/ca.crt"))
            );
            assert!(tls.key_file.is_none());
            jail.set_env("ESTOSPACES_TLS__CA_FLE", "/tls/ca.crt");
            let err = load_from::<Example>(None, EXAMPLE).expect_err("a typo");
            assert!(err.to_string().contains("ca_fle"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn other_binaries_settings_and_the_test_suites_variables_are_not_errors() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_BOOKING__HOLD_DURATION", "10m");
            jail.set_env("ESTOSPACES_TEST_DATABASE_URL", "postgres://x");
            jail.set_env("ESTOSPACES_CACHE", "/tmp");
            let config: ExampleConfig = load_from(None, EXAMPLE).expect("valid config");
            assert_eq!(config.service.greeting, "hello");
            Ok(())
        });
    }

    #[test]
    fn at_the_root_a_key_of_no_table_is_an_error() {
        #[derive(Debug, Default, Deserialize)]
        #[serde(default)]
        struct Platform {
            example: Example,
        }
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_EXAMPLE__GREETING", "hi");
            let config: Config<Platform> = load_from(None, Placement::Root).expect("valid");
            assert_eq!(config.service.example.greeting, "hi");
            jail.set_env("ESTOSPACES_EXAMPLE__GRETING", "hi");
            let err = load_from::<Platform>(None, Placement::Root).expect_err("typo");
            assert!(err.to_string().contains("example.greting"), "{err}");
            Ok(())
        });
    }
}
