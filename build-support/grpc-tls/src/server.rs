//! The server side of a gRPC port.

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use crate::{Error, GrpcTlsConfig, read, setting};

/// The TLS a gRPC port serves with: `None` when `tls.cert_file` is not set (plaintext); with
/// `tls.client_ca_file`, callers must present a certificate signed by it.
pub fn server_config(config: &GrpcTlsConfig) -> Result<Option<ServerTlsConfig>, Error> {
    let (cert_file, key_file) = match (&config.cert_file, &config.key_file) {
        (Some(cert), Some(key)) => (cert, key),
        (None, None) => {
            if config.client_ca_file.is_some() {
                return Err(Error::invalid(
                    &setting("client_ca_file"),
                    "mutual TLS needs TLS: set tls.cert_file and tls.key_file too",
                ));
            }
            return Ok(None);
        }
        (Some(_), None) => {
            return Err(Error::invalid(
                &setting("key_file"),
                "required with tls.cert_file",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::invalid(
                &setting("cert_file"),
                "required with tls.key_file",
            ));
        }
    };
    let identity = Identity::from_pem(
        read(&setting("cert_file"), cert_file)?,
        read(&setting("key_file"), key_file)?,
    );
    let mut tls = ServerTlsConfig::new().identity(identity);
    if let Some(ca_file) = &config.client_ca_file {
        // A client CA makes tonic require a client certificate (client auth is not optional).
        tls = tls.client_ca_root(Certificate::from_pem(read(
            &setting("client_ca_file"),
            ca_file,
        )?));
    }
    Ok(Some(tls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_certificate_the_port_is_plaintext() {
        let config = server_config(&GrpcTlsConfig::default()).expect("valid");
        assert!(config.is_none());
    }

    #[test]
    fn a_certificate_without_its_key_is_an_error_naming_the_variable() {
        let err = server_config(&GrpcTlsConfig {
            cert_file: Some("/tls/tls.crt".into()),
            ..GrpcTlsConfig::default()
        })
        .expect_err("a key is needed");
        assert!(
            err.to_string().contains("ESTOSPACES_TLS__KEY_FILE"),
            "{err}"
        );
    }

    #[test]
    fn a_client_ca_without_a_server_certificate_is_an_error() {
        let err = server_config(&GrpcTlsConfig {
            client_ca_file: Some("/tls/ca.crt".into()),
            ..GrpcTlsConfig::default()
        })
        .expect_err("mutual TLS needs TLS");
        assert!(err.to_string().contains("tls.client_ca_file"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_error_naming_the_setting_and_the_path() {
        let err = server_config(&GrpcTlsConfig {
            cert_file: Some("/nonexistent/tls.crt".into()),
            key_file: Some("/nonexistent/tls.key".into()),
            ..GrpcTlsConfig::default()
        })
        .expect_err("no such file");
        let message = err.to_string();
        assert!(message.contains("tls.cert_file"), "{message}");
        assert!(message.contains("/nonexistent/tls.crt"), "{message}");
    }
}
