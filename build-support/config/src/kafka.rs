//! The `[kafka]` settings: how Kafka clients encrypt and authenticate.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use crate::ConfigError;

/// How Kafka clients encrypt and authenticate: librdkafka's settings of the same names
/// (`security_protocol` is `security.protocol`), applied to every client the platform creates.
/// docs/tls.md shows them in use.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaSecurity {
    /// Whether connections use TLS and whether they authenticate with SASL.
    pub security_protocol: KafkaProtocol,
    /// How SASL authenticates; required with the `SASL_*` protocols.
    pub sasl_mechanism: Option<SaslMechanism>,
    pub sasl_username: Option<String>,
    pub sasl_password: Option<SecretString>,
    /// PEM file of the CAs that sign the brokers' certificates; the system's CAs when absent.
    pub ssl_ca_location: Option<PathBuf>,
    /// PEM files of the client's certificate and key, for brokers that require one.
    pub ssl_certificate_location: Option<PathBuf>,
    pub ssl_key_location: Option<PathBuf>,
    /// The password of an encrypted `ssl_key_location`.
    pub ssl_key_password: Option<SecretString>,
}

/// librdkafka's `security.protocol`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum KafkaProtocol {
    #[default]
    #[serde(rename = "PLAINTEXT")]
    Plaintext,
    #[serde(rename = "SSL")]
    Ssl,
    #[serde(rename = "SASL_PLAINTEXT")]
    SaslPlaintext,
    #[serde(rename = "SASL_SSL")]
    SaslSsl,
}

impl KafkaProtocol {
    /// The name librdkafka knows it by.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plaintext => "PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether connections are encrypted.
    pub fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }

    /// Whether clients authenticate with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }
}

/// librdkafka's `sasl.mechanism`: the ones that need nothing beyond a user name and password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SaslMechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslMechanism {
    /// The name librdkafka knows it by.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

impl KafkaSecurity {
    /// Refuses combinations librdkafka would only notice at the first connection, or never:
    /// SASL settings without a SASL protocol are silently unused, a certificate without its key
    /// fails every handshake.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let protocol = self.security_protocol;
        if protocol.uses_sasl() {
            if self.sasl_mechanism.is_none() {
                return Err(ConfigError::missing(
                    "kafka.sasl_mechanism",
                    "the SASL protocols need one (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)",
                ));
            }
            if self.sasl_username.is_none() {
                return Err(ConfigError::missing(
                    "kafka.sasl_username",
                    "SASL authenticates a user",
                ));
            }
            if self.sasl_password.is_none() {
                return Err(ConfigError::missing(
                    "kafka.sasl_password",
                    "SASL authenticates a user",
                ));
            }
        } else {
            let sasl = [
                ("kafka.sasl_mechanism", self.sasl_mechanism.is_some()),
                ("kafka.sasl_username", self.sasl_username.is_some()),
                ("kafka.sasl_password", self.sasl_password.is_some()),
            ];
            if let Some((key, _)) = sasl.iter().find(|(_, set)| *set) {
                return Err(ConfigError::invalid(
                    key,
                    format!(
                        "SASL is off with kafka.security_protocol {}: \
                         use SASL_SSL or SASL_PLAINTEXT",
                        protocol.as_str()
                    ),
                ));
            }
        }
        if !protocol.uses_tls() {
            let tls = [
                ("kafka.ssl_ca_location", self.ssl_ca_location.is_some()),
                (
                    "kafka.ssl_certificate_location",
                    self.ssl_certificate_location.is_some(),
                ),
                ("kafka.ssl_key_location", self.ssl_key_location.is_some()),
                ("kafka.ssl_key_password", self.ssl_key_password.is_some()),
            ];
            if let Some((key, _)) = tls.iter().find(|(_, set)| *set) {
                return Err(ConfigError::invalid(
                    key,
                    format!(
                        "TLS is off with kafka.security_protocol {}: use SSL or SASL_SSL",
                        protocol.as_str()
                    ),
                ));
            }
        }
        match (&self.ssl_certificate_location, &self.ssl_key_location) {
            (Some(_), None) => Err(ConfigError::missing(
                "kafka.ssl_key_location",
                "a client certificate needs its key",
            )),
            (None, Some(_)) => Err(ConfigError::missing(
                "kafka.ssl_certificate_location",
                "a client key needs its certificate",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
// figment's `Jail` closures must return its (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use std::path::Path;

    use figment::Jail;

    use super::*;
    use crate::{CommonConfig, Placement};

    /// The shared settings, from the environment the test sets.
    fn load() -> Result<CommonConfig, ConfigError> {
        crate::load_from::<serde::de::IgnoredAny>(None, Placement::Root).map(|config| config.common)
    }

    #[test]
    fn kafka_security_is_read_from_the_environment_and_its_secrets_are_redacted() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_KAFKA_BROKERS", "kafka:9093");
            jail.set_env("ESTOSPACES_KAFKA__SECURITY_PROTOCOL", "SASL_SSL");
            jail.set_env("ESTOSPACES_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512");
            jail.set_env("ESTOSPACES_KAFKA__SASL_USERNAME", "estospaces");
            jail.set_env("ESTOSPACES_KAFKA__SASL_PASSWORD", "hunter2");
            jail.set_env("ESTOSPACES_KAFKA__SSL_CA_LOCATION", "/etc/kafka/ca.pem");
            let config = load().expect("valid config");
            let kafka = &config.kafka;
            assert_eq!(kafka.security_protocol, KafkaProtocol::SaslSsl);
            assert_eq!(kafka.sasl_mechanism, Some(SaslMechanism::ScramSha512));
            assert_eq!(
                kafka.ssl_ca_location.as_deref(),
                Some(Path::new("/etc/kafka/ca.pem"))
            );
            assert!(!format!("{config:?}").contains("hunter2"));
            Ok(())
        });
    }

    #[test]
    fn an_unknown_kafka_protocol_is_an_error_naming_its_variable() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_KAFKA__SECURITY_PROTOCOL", "TLS");
            let err = load().expect_err("unknown protocol");
            let message = err.to_string();
            assert!(message.contains("kafka.security_protocol"), "{message}");
            assert!(message.contains("environment"), "{message}");
            assert!(
                message.contains("`SASL_SSL`"),
                "the valid values: {message}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_sasl_protocol_without_a_mechanism_or_user_is_an_error_naming_the_setting() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_KAFKA__SECURITY_PROTOCOL", "SASL_SSL");
            let err = load().expect_err("no mechanism");
            assert!(
                err.to_string().contains("ESTOSPACES_KAFKA__SASL_MECHANISM"),
                "{err}"
            );
            jail.set_env("ESTOSPACES_KAFKA__SASL_MECHANISM", "PLAIN");
            let err = load().expect_err("no user");
            assert!(
                err.to_string().contains("ESTOSPACES_KAFKA__SASL_USERNAME"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn sasl_or_tls_settings_the_protocol_would_ignore_are_errors() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTOSPACES_KAFKA__SASL_MECHANISM", "PLAIN");
            let err = load().expect_err("SASL is off");
            assert!(err.to_string().contains("kafka.sasl_mechanism"), "{err}");

            jail.clear_env();
            jail.set_env("ESTOSPACES_KAFKA__SSL_CA_LOCATION", "/etc/kafka/ca.pem");
            let err = load().expect_err("TLS is off");
            assert!(err.to_string().contains("kafka.ssl_ca_location"), "{err}");

            jail.set_env("ESTOSPACES_KAFKA__SECURITY_PROTOCOL", "SSL");
            jail.set_env(
                "ESTOSPACES_KAFKA__SSL_CERTIFICATE_LOCATION",
                "/etc/kafka/c.pem",
            );
            let err = load().expect_err("no key");
            assert!(err.to_string().contains("kafka.ssl_key_location"), "{err}");
            Ok(())
        });
    }
}
