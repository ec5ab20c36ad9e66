//! The client side: whom a call to an `https://` URL trusts and which certificate it presents.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::{Error, GrpcTlsConfig, read, setting};

/// How long opening a connection to another service may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call to another service may wait for its response to start.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A lazily connecting channel to the service at `url`: over TLS configured by `config` when
/// the URL is `https://`, plaintext when it is `http://`. Every service-to-service client is
/// built on one (wrapped in `estospaces_telemetry::traced`).
pub fn channel(url: &str, config: &GrpcTlsConfig) -> Result<Channel, Error> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|err| Error::invalid(&format!("`{url}`"), format!("not a URL: {err}")))?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT);
    let endpoint = if is_https(url) {
        endpoint
            .tls_config(ClientTls::from_config(config)?.tonic())
            .map_err(|err| {
                Error::invalid(
                    &format!("{} or {}", setting("ca_file"), setting("client_cert_file")),
                    format!("not PEM certificates and key: {err}"),
                )
            })?
    } else {
        endpoint
    };
    Ok(endpoint.connect_lazy())
}

/// Whether `url` asks for TLS.
pub fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// A PEM file named by a setting (`tls.ca_file`, `OTEL_EXPORTER_OTLP_CERTIFICATE`), which
/// messages about it name.
#[derive(Debug, Clone, Copy)]
pub struct PemFile<'a> {
    pub setting: &'a str,
    pub path: Option<&'a Path>,
}

/// A PEM file's contents and the setting that named it.
#[derive(Clone)]
struct Pem {
    setting: String,
    bytes: Vec<u8>,
}

impl Pem {
    fn read(file: PemFile<'_>) -> Result<Option<Self>, Error> {
        file.path
            .map(|path| {
                Ok(Self {
                    setting: file.setting.to_owned(),
                    bytes: read(file.setting, path)?,
                })
            })
            .transpose()
    }
}

/// Whom to trust and which certificate to present when calling over TLS.
#[derive(Clone)]
pub struct ClientTls {
    /// CA certificates; without them the public web PKI roots are trusted.
    ca: Option<Pem>,
    /// The certificate chain and key presented to servers that ask for one (mutual TLS).
    identity: Option<(Pem, Pem)>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("ClientTls")
            .field("ca", &self.ca.as_ref().map(|ca| &ca.setting))
            .field("identity", &self.identity.is_some())
            .finish()
    }
}

impl ClientTls {
    /// The client side of the `[tls]` settings: `ca_file`, `client_cert_file`, `client_key_file`.
    pub fn from_config(config: &GrpcTlsConfig) -> Result<Self, Error> {
        Self::from_files(
            PemFile {
                setting: &setting("ca_file"),
                path: config.ca_file.as_deref(),
            },
            PemFile {
                setting: &setting("client_cert_file"),
                path: config.client_cert_file.as_deref(),
            },
            PemFile {
                setting: &setting("client_key_file"),
                path: config.client_key_file.as_deref(),
            },
        )
    }

    /// Reads the CA file and the client certificate and key, each of which may be absent; a
    /// certificate needs its key and a key its certificate.
    pub fn from_files(ca: PemFile<'_>, cert: PemFile<'_>, key: PemFile<'_>) -> Result<Self, Error> {
        let identity = match (Pem::read(cert)?, Pem::read(key)?) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::invalid(
                    key.setting,
                    format!("required with {}", cert.setting),
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid(
                    cert.setting,
                    format!("required with {}", key.setting),
                ));
            }
        };
        Ok(Self {
            ca: Pem::read(ca)?,
            identity,
        })
    }

    /// The same for tonic's channels.
    pub fn tonic(&self) -> ClientTlsConfig {
        let tls = match &self.ca {
            Some(ca) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&ca.bytes)),
            None => ClientTlsConfig::new().with_webpki_roots(),
        };
        match &self.identity {
            Some((cert, key)) => tls.identity(Identity::from_pem(&cert.bytes, &key.bytes)),
            None => tls,
        }
    }

    /// The same for connections made by hand (the gateway's upstreams): TLS 1.2 or 1.3 with
    /// HTTP/2 agreed through ALPN.
    pub fn connector(&self) -> Result<TlsConnector, Error> {
        let mut roots = rustls::RootCertStore::empty();
        match &self.ca {
            Some(ca) => {
                for cert in certificates(ca)? {
                    roots
                        .add(cert)
                        .map_err(|err| Error::invalid(&ca.setting, err))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        // ring, explicitly: rustls picks no provider by itself when more than one is built in.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| Error::invalid("TLS", err))?
            .with_root_certificates(roots);
        let mut config = match &self.identity {
            Some((cert, key)) => {
                let chain = certificates(cert)?;
                let private = PrivateKeyDer::from_pem_slice(&key.bytes)
                    .map_err(|err| Error::invalid(&key.setting, format!("not a PEM key: {err}")))?;
                builder
                    .with_client_auth_cert(chain, private)
                    .map_err(|err| Error::invalid(&cert.setting, err))?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(TlsConnector(tokio_rustls::TlsConnector::from(Arc::new(
            config,
        ))))
    }
}

/// Every certificate in a PEM file; at least one.
fn certificates(pem: &Pem) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(&pem.bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| Error::invalid(&pem.setting, format!("not PEM certificates: {err}")))?;
    if certs.is_empty() {
        return Err(Error::invalid(&pem.setting, "no certificate in the file"));
    }
    Ok(certs)
}

/// Opens TLS over connections made by hand.
#[derive(Clone)]
pub struct TlsConnector(tokio_rustls::TlsConnector);

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

impl TlsConnector {
    /// TLS over `io` to `host` (a DNS name or an IP address, as in the URL), whose certificate
    /// must name it. Fails unless the server agrees to HTTP/2.
    pub async fn connect<IO>(
        &self,
        host: &str,
        io: IO,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        // `[::1]` in a URL is `::1` in a certificate.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())
            .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err))?;
        let stream = self.0.connect(name, io).await?;
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(std::io::Error::other(
                "the server did not agree to HTTP/2 (ALPN h2)",
            ));
        }
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_ask_for_tls_and_http_urls_do_not() {
        assert!(is_https("https://property:50051"));
        assert!(is_https("HTTPS://property"));
        assert!(!is_https("http://property:50051"));
        assert!(!is_https("property:50051"));
    }

    #[test]
    fn a_client_certificate_without_its_key_is_an_error_naming_the_key_setting() {
        let err = ClientTls::from_config(&GrpcTlsConfig {
            client_cert_file: Some("/dev/null".into()),
            ..GrpcTlsConfig::default()
        })
        .expect_err("a key is needed");
        assert!(
            err.to_string().contains("ESTOSPACES_TLS__CLIENT_KEY_FILE"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_http_url_needs_no_tls_settings_and_an_https_url_reads_them() {
        let broken = GrpcTlsConfig {
            ca_file: Some("/nonexistent/ca.crt".into()),
            ..GrpcTlsConfig::default()
        };
        channel("http://property:50051", &broken).expect("plaintext ignores the TLS settings");
        let err = channel("https://property:50051", &broken).expect_err("the CA file is missing");
        assert!(err.to_string().contains("tls.ca_file"), "{err}");
    }
}
