//! The rate limiter's Redis over TLS (`rediss://`), against a `redis-server` of each test's own
//! that listens only on a TLS port and requires client certificates signed by the test CA.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use estospaces_gateway::ratelimit::{Quota, RateLimiter};
use estospaces_grpc_tls::testing::TestPki;

const QUOTA: Quota = Quota {
    per_minute: 60,
    burst: 2,
};

#[tokio::test]
async fn a_rediss_url_with_the_ca_and_a_client_certificate_shares_a_budget_over_tls() {
    let redis = TlsRedis::start();
    let pki = &redis.pki;
    let url = format!(
        "rediss://127.0.0.1:{}/?ca_file={}&cert_file={}&key_file={}",
        redis.port,
        pki.ca.display(),
        pki.client_cert.display(),
        pki.client_key.display()
    );
    let limiter = RateLimiter::redis(&url, "tls-test:").expect("a Redis pool");
    assert!(limiter.check("ip:1", QUOTA).await.is_ok());
    assert!(limiter.check("ip:1", QUOTA).await.is_ok());
    // A limiter that cannot reach Redis allows every call: refusing the third one shows the
    // budget was kept in Redis, over TLS.
    assert!(
        limiter.check("ip:1", QUOTA).await.is_err(),
        "the third call is over the burst"
    );
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let redis = TlsRedis::start();
    let pki = &redis.pki;
    let url = format!(
        "rediss://127.0.0.1:{}/?ca_file={}&cert_file={}&key_file={}",
        redis.port,
        pki.other_ca.display(),
        pki.client_cert.display(),
        pki.client_key.display()
    );
    let limiter = RateLimiter::redis(&url, "tls-test:").expect("a Redis pool");
    for _ in 0..3 {
        assert!(
            limiter.check("ip:1", QUOTA).await.is_ok(),
            "without Redis every call is allowed"
        );
    }
    let RateLimiter::Redis { pool, .. } = &limiter else {
        panic!("a Redis limiter");
    };
    let err = pool.get().await.err().expect("no connection");
    assert!(
        format!("{err:?}").contains("UnknownIssuer"),
        "a certificate error: {err:?}"
    );
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_where_one_is_required() {
    let redis = TlsRedis::start();
    let url = format!(
        "rediss://127.0.0.1:{}/?ca_file={}",
        redis.port,
        redis.pki.ca.display()
    );
    let limiter = RateLimiter::redis(&url, "tls-test:").expect("a Redis pool");
    let RateLimiter::Redis { pool, .. } = &limiter else {
        panic!("a Redis limiter");
    };
    assert!(pool.get().await.is_err(), "tls-auth-clients yes");
}

/// `redis-server` on a TLS port only, with the test's certificates; killed when dropped.
struct TlsRedis {
    _dir: tempfile::TempDir,
    pki: TestPki,
    port: u16,
    server: Child,
}

impl TlsRedis {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pki = TestPki::create(dir.path());
        let port = free_port();
        let file = |path: &Path| path.display().to_string();
        let server = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--tls-cert-file", &file(&pki.server_cert)])
            .args(["--tls-key-file", &file(&pki.server_key)])
            .args(["--tls-ca-cert-file", &file(&pki.ca)])
            .args(["--tls-auth-clients", "yes"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--dir", &file(dir.path())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (build-support/dev/services.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            _dir: dir,
            pki,
            port,
            server,
        }
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        // Nothing to keep: it saves nothing and its files go with the directory.
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
