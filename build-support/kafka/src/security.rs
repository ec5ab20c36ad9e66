//! Encryption and authentication: the `[kafka]` settings ([`KafkaSecurity`]) as librdkafka's
//! properties of the same names, set on every client the kit creates.
//!
//! librdkafka verifies the brokers' certificates, host names included
//! (`ssl.endpoint.identification.algorithm=https` is its default), against
//! `ssl.ca.location` or else the system's CAs. SCRAM and TLS come from OpenSSL, which is why
//! rdkafka is built with its `ssl` feature.

use std::path::PathBuf;

use estospaces_config::{ExposeSecret, KafkaSecurity, SecretString};
use rdkafka::config::ClientConfig;

/// Sets `security`'s properties on `client`. The settings were checked when the configuration
/// was loaded ([`estospaces_config::CommonConfig::validate`]).
pub(crate) fn apply(client: &mut ClientConfig, security: &KafkaSecurity) {
    client.set("security.protocol", security.security_protocol.as_str());
    let secret = |value: &Option<SecretString>| {
        value
            .as_ref()
            .map(|secret| secret.expose_secret().to_owned())
    };
    let path = |value: &Option<PathBuf>| value.as_ref().map(|path| path.display().to_string());
    let optional = [
        (
            "sasl.mechanism",
            security
                .sasl_mechanism
                .map(|mechanism| mechanism.as_str().to_owned()),
        ),
        ("sasl.username", security.sasl_username.clone()),
        ("sasl.password", secret(&security.sasl_password)),
        ("ssl.ca.location", path(&security.ssl_ca_location)),
        (
            "ssl.certificate.location",
            path(&security.ssl_certificate_location),
        ),
        ("ssl.key.location", path(&security.ssl_key_location)),
        ("ssl.key.password", secret(&security.ssl_key_password)),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            client.set(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use estospaces_config::{KafkaProtocol, SaslMechanism};
    use rdkafka::producer::BaseProducer;

    use super::*;
    use crate::KafkaConfig;

    fn sasl_ssl() -> KafkaSecurity {
        KafkaSecurity {
            security_protocol: KafkaProtocol::SaslSsl,
            sasl_mechanism: Some(SaslMechanism::ScramSha512),
            sasl_username: Some("estospaces".to_owned()),
            sasl_password: Some(SecretString::from("hunter2")),
            ssl_ca_location: Some("/etc/kafka/ca.pem".into()),
            ..KafkaSecurity::default()
        }
    }

    #[test]
    fn without_settings_clients_speak_plaintext_and_send_no_credentials() {
        let client = KafkaConfig::new("127.0.0.1:9092").client();
        assert_eq!(client.get("security.protocol"), Some("PLAINTEXT"));
        for key in ["sasl.mechanism", "sasl.username", "ssl.ca.location"] {
            assert_eq!(client.get(key), None, "{key}");
        }
    }

    #[test]
    fn sasl_ssl_settings_become_librdkafkas_properties() {
        let client = KafkaConfig::new("127.0.0.1:9092")
            .with_security(sasl_ssl())
            .client();
        let expected = [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "estospaces"),
            ("sasl.password", "hunter2"),
            ("ssl.ca.location", "/etc/kafka/ca.pem"),
        ];
        for (key, value) in expected {
            assert_eq!(client.get(key), Some(value), "{key}");
        }
    }

    #[test]
    fn the_kafka_config_never_prints_the_password() {
        let kafka = KafkaConfig::new("127.0.0.1:9092").with_security(sasl_ssl());
        assert!(!format!("{kafka:?}").contains("hunter2"));
    }

    #[test]
    fn librdkafka_is_built_with_scram_and_tls() {
        // Creating a client checks its properties; SCRAM and SSL need librdkafka's OpenSSL.
        // The broker address is never reached: nothing listens on port 1.
        let producer: Result<BaseProducer, _> = KafkaConfig::new("127.0.0.1:1")
            .with_security(KafkaSecurity {
                ssl_ca_location: None,
                ..sasl_ssl()
            })
            .client()
            .create();
        assert!(producer.is_ok(), "{:?}", producer.err());
    }
}
