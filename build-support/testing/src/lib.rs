//! What every EstoSpaces service's integration tests share.
//!
//! - [`on_both_backends!`]: write a test once, run it on PostgreSQL and on SQLite.
//! - [`authorized`]: a request carrying `authorization: Bearer <token>`.
//! - [`reason`], [`bad_fields`], [`retry_delay`]: what a failed call's `google.rpc.Status`
//!   details say.
//!
//! - [`PrivateBroker`]: a Kafka-protocol broker of the test's own, to kill and restart.
//!
//! Fresh databases come from [`estospaces_storage::testing::TestDatabase`], re-exported here.

#![forbid(unsafe_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use estospaces_storage::Backend;
pub use estospaces_storage::testing::TestDatabase;
use tonic_types::StatusExt;

/// Defines each test once and runs it on both backends, as `<test>::on_postgres` and
/// `<test>::on_sqlite`:
///
/// ```ignore
/// on_both_backends! {
///     async fn a_user_reads_their_own_account(backend: Backend) { ... }
/// }
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: $crate::Backend) $body

                #[tokio::test]
                async fn on_postgres() {
                    run($crate::Backend::Postgres).await
                }

                #[tokio::test]
                async fn on_sqlite() {
                    run($crate::Backend::Sqlite).await
                }
            }
        )*
    };
}

/// `message` with `authorization: Bearer <token>`.
pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    request
}

/// The `ErrorInfo` reason of a failed call (empty without one).
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The field paths a failed call's `BadRequest` names, in order.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The `RetryInfo` delay of a throttled call.
pub fn retry_delay(status: &tonic::Status) -> Option<Duration> {
    status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
}

/// A Kafka-protocol broker (tansu, as `build-support/dev/services.sh` installs it) of the test's
/// own, so killing and restarting it disturbs no other test. Its data survives restarts.
#[derive(Debug)]
pub struct PrivateBroker {
    dir: tempfile::TempDir,
    port: u16,
    /// The address clients are told to connect to, when not the broker's own.
    advertised: Option<String>,
    child: Option<Child>,
}

impl PrivateBroker {
    pub fn start() -> Self {
        Self::start_advertising(None)
    }

    /// A broker that tells clients to connect to `advertised` (`host:port`) rather than to
    /// itself: to a proxy in front of it, say, that adds TLS.
    pub fn start_behind(advertised: &str) -> Self {
        Self::start_advertising(Some(advertised.to_owned()))
    }

    fn start_advertising(advertised: Option<String>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut broker = Self {
            dir: tempfile::tempdir().expect("temp dir"),
            port,
            advertised,
            child: None,
        };
        broker.restart();
        broker
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn restart(&mut self) {
        let tansu = std::env::var("ESTOSPACES_TANSU").unwrap_or_else(|_| {
            format!(
                "{}/.cache/estospaces/tools/bin/tansu",
                std::env::var("HOME").unwrap_or_default()
            )
        });
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = match &self.advertised {
            Some(advertised) => format!("tcp://{advertised}"),
            None => url.clone(),
        };
        // tansu resolves sqlite://NAME against its working directory.
        let child = Command::new(&tansu)
            .args([
                "broker",
                "--cluster-id",
                "test",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("starting {tansu} (run build-support/dev/services.sh up): {err}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the private broker never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: the broker gets no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Waits (up to 30 s) until the service binary `child` listens on loopback `port`; panics if it
/// exits first.
pub fn wait_until_listening(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the binary never listened");
        assert!(
            child.try_wait().expect("status").is_none(),
            "the binary exited early"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `child` SIGTERM and returns how it exited, failing if it takes longer than `within`.
pub fn stop_with_sigterm(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("status") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "no exit within {within:?} of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
