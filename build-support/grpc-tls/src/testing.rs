//! Certificates made on the fly for tests: a CA, a server certificate for `localhost` and
//! `127.0.0.1` and a client certificate signed by it, and a second CA that signed nothing of
//! these.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

use crate::GrpcTlsConfig;

/// PEM files in a directory the test owns.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// A CA that signed neither.
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TestPki {
    /// Makes the certificates and writes them into `dir`.
    pub fn create(dir: &Path) -> Self {
        let ca = ca("estospaces test CA");
        let other = ca_certificate_only("another CA");
        let pki = Self {
            ca: dir.join("ca.crt"),
            other_ca: dir.join("other-ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
        };
        write(&pki.ca, &ca.pem());
        write(&pki.other_ca, &other);
        let (cert, key) = leaf(&ca, "server", ExtendedKeyUsagePurpose::ServerAuth);
        write(&pki.server_cert, &cert);
        write(&pki.server_key, &key);
        let (cert, key) = leaf(&ca, "client", ExtendedKeyUsagePurpose::ClientAuth);
        write(&pki.client_cert, &cert);
        write(&pki.client_key, &key);
        pki
    }

    /// A server presenting the server certificate; with `mutual`, requiring client
    /// certificates signed by the CA. It calls others as a client that trusts the CA and
    /// presents the client certificate.
    pub fn config(&self, mutual: bool) -> GrpcTlsConfig {
        GrpcTlsConfig {
            cert_file: Some(self.server_cert.clone()),
            key_file: Some(self.server_key.clone()),
            client_ca_file: mutual.then(|| self.ca.clone()),
            ca_file: Some(self.ca.clone()),
            client_cert_file: Some(self.client_cert.clone()),
            client_key_file: Some(self.client_key.clone()),
        }
    }

    /// A client that trusts `ca` and presents the client certificate or none.
    pub fn client(&self, ca: &Path, with_certificate: bool) -> GrpcTlsConfig {
        GrpcTlsConfig {
            ca_file: Some(ca.to_owned()),
            client_cert_file: with_certificate.then(|| self.client_cert.clone()),
            client_key_file: with_certificate.then(|| self.client_key.clone()),
            ..GrpcTlsConfig::default()
        }
    }
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key")).expect("a CA")
}

fn ca_certificate_only(name: &str) -> String {
    ca(name).pem()
}

/// A certificate for `localhost` and `127.0.0.1` signed by `ca`, and its key.
fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    name: &str,
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("valid names");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("a key");
    let cert = params.signed_by(&key, ca).expect("signed");
    (cert.pem(), key.serialize_pem())
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).expect("the test directory is writable");
}
