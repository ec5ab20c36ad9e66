//! A Redis connection pool from `ESTOSPACES_REDIS_URL`, over TLS when the URL says `rediss://`.
//!
//! The server's certificate is checked against the system's CAs, or against the PEM file the
//! URL's `ca_file` parameter names; `cert_file` and `key_file` present a client certificate to
//! a server that asks for one (`tls-auth-clients`):
//!
//! ```text
//! rediss://:password@redis.internal:6380/0?ca_file=/etc/estospaces/redis-ca.pem
//! ```
//!
//! The parameters ride on the URL, like PostgreSQL's `sslrootcert`, because the URL is already
//! the one Redis setting every deployment passes along; they are taken off before the redis
//! crate sees it. The URL holds the password, so no message here repeats it.

use deadpool_redis::redis::{self, ClientTlsConfig, TlsCertificates};
use deadpool_redis::{Manager, Pool, Runtime};

/// The URL parameters this module reads.
const CA_FILE: &str = "ca_file";
const CERT_FILE: &str = "cert_file";
const KEY_FILE: &str = "key_file";

/// A Redis URL the gateway cannot use.
#[derive(Debug, thiserror::Error)]
pub enum RedisUrlError {
    #[error("redis_url is not a redis://, rediss:// or unix:// URL")]
    NotAUrl,
    #[error("redis_url's `{0}` needs TLS: use a rediss:// URL")]
    NotTls(&'static str),
    #[error("redis_url's `{CERT_FILE}` and `{KEY_FILE}` go together")]
    HalfAClientCertificate,
    #[error("reading redis_url's `{param}` ({path})")]
    Read {
        param: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("redis_url")]
    Redis(#[source] redis::RedisError),
    #[error("creating the Redis pool")]
    Pool(#[source] deadpool_redis::BuildError),
}

/// A pool of connections to the server `url` names.
pub fn pool(url: &str) -> Result<Pool, RedisUrlError> {
    let client = client(url)?;
    let manager =
        Manager::new(client.get_connection_info().clone()).map_err(RedisUrlError::Redis)?;
    Pool::builder(manager)
        .config(deadpool_redis::Config::default().get_pool_config())
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(RedisUrlError::Pool)
}

fn client(url: &str) -> Result<redis::Client, RedisUrlError> {
    let mut url = redis::parse_redis_url(url).ok_or(RedisUrlError::NotAUrl)?;
    let mut files = TlsFiles::default();
    let mut rest = Vec::new();
    for (name, value) in url.query_pairs() {
        let slot = match name.as_ref() {
            CA_FILE => &mut files.ca,
            CERT_FILE => &mut files.cert,
            KEY_FILE => &mut files.key,
            _ => {
                rest.push((name.into_owned(), value.into_owned()));
                continue;
            }
        };
        *slot = Some(value.into_owned());
    }
    if rest.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(rest);
    }
    let tls = matches!(url.scheme(), "rediss" | "valkeys");
    if let Some(param) = files.first_named()
        && !tls
    {
        return Err(RedisUrlError::NotTls(param));
    }
    if tls {
        // The redis crate builds its TLS settings with rustls' process-wide crypto provider,
        // which rustls picks by itself only while exactly one is compiled in. Installing ring
        // (what the rest of the platform uses) keeps a second one from breaking Redis at the
        // first connection; if a provider is installed already, that one stays.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    match files.certificates()? {
        None => redis::Client::open(url.as_str()),
        Some(certificates) => redis::Client::build_with_tls(url.as_str(), certificates),
    }
    .map_err(RedisUrlError::Redis)
}

/// The files the URL names, if any.
#[derive(Debug, Default)]
struct TlsFiles {
    ca: Option<String>,
    cert: Option<String>,
    key: Option<String>,
}

impl TlsFiles {
    /// The files' contents, as the redis crate takes them; `None` when the URL names none.
    fn certificates(&self) -> Result<Option<TlsCertificates>, RedisUrlError> {
        let client_tls = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Some(ClientTlsConfig {
                client_cert: read(CERT_FILE, cert)?,
                client_key: read(KEY_FILE, key)?,
            }),
            (None, None) => None,
            _ => return Err(RedisUrlError::HalfAClientCertificate),
        };
        let root_cert = self.ca.as_deref().map(|ca| read(CA_FILE, ca)).transpose()?;
        Ok(
            (client_tls.is_some() || root_cert.is_some()).then_some(TlsCertificates {
                client_tls,
                root_cert,
            }),
        )
    }

    /// The first parameter the URL gave, for messages.
    fn first_named(&self) -> Option<&'static str> {
        [
            (CA_FILE, &self.ca),
            (CERT_FILE, &self.cert),
            (KEY_FILE, &self.key),
        ]
        .into_iter()
        .find_map(|(param, file)| file.is_some().then_some(param))
    }
}

fn read(param: &'static str, path: &str) -> Result<Vec<u8>, RedisUrlError> {
    std::fs::read(path).map_err(|source| RedisUrlError::Read {
        param,
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_files_on_a_plaintext_url_are_refused() {
        let err = client("redis://127.0.0.1:6379/?ca_file=/etc/ssl/ca.pem").expect_err("no TLS");
        assert!(matches!(err, RedisUrlError::NotTls(CA_FILE)), "{err:?}");
    }

    #[test]
    fn a_client_certificate_without_its_key_is_refused() {
        let err = client("rediss://127.0.0.1:6380/?cert_file=/etc/ssl/c.pem").expect_err("no key");
        assert!(
            matches!(err, RedisUrlError::HalfAClientCertificate),
            "{err:?}"
        );
    }

    #[test]
    fn an_unreadable_ca_file_names_the_parameter_but_not_the_password() {
        let err = client("rediss://:hunter2@127.0.0.1:6380/?ca_file=/nonexistent/ca.pem")
            .expect_err("no such file");
        let message = err.to_string();
        assert!(message.contains("ca_file"), "{message}");
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }

    #[test]
    fn other_parameters_reach_the_redis_crate() {
        let client = client("redis://127.0.0.1:6379/2?protocol=resp3").expect("a valid URL");
        let info = client.get_connection_info();
        assert_eq!(info.redis_settings().db(), 2);
        assert_eq!(
            info.redis_settings().protocol(),
            redis::ProtocolVersion::RESP3
        );
    }
}
