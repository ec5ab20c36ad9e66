//! The single binary killed with SIGKILL while guests book, then started again on the same data
//! directory: every booking that was acknowledged ends confirmed with its payment captured,
//! exactly once.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use estospaces::PlatformConfig;
use estospaces::seed::{self, SeedOptions};
use estospaces_platform_tests::binary;
use estospaces_platform_tests::crash::{Client, Process, log_file};

/// Bookings made at once, each of three nights of its own at one listing.
const BOOKINGS: usize = 40;

/// Where the platform keeps its state: the embedded default, or PostgreSQL (a database per
/// service) and a Kafka-protocol broker.
#[derive(Default)]
struct Infrastructure {
    env: Vec<(String, String)>,
}

fn start(data_dir: &Path, port: u16, infrastructure: &Infrastructure) -> Process {
    let mut child = Command::new(binary("estospaces"))
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_KAFKA_BROKERS")
        .envs(infrastructure.env.iter().map(|(key, value)| (key, value)))
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_DATA_DIR", data_dir)
        .env("ESTOSPACES_GATEWAY__RATE_LIMITS__ENABLED", "false")
        .env("ESTOSPACES_SHUTDOWN_GRACE", "2s")
        .env_remove("ESTOSPACES_REDIS_URL")
        .stdout(log_file())
        .stderr(log_file())
        .spawn()
        .expect("the binary starts");
    estospaces_testing::wait_until_listening(&mut child, port);
    Process(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_booking_is_confirmed_and_captured_once_after_a_sigkill_mid_saga() {
    // Kills early and late: before any booking is answered, while sagas run, after most ended.
    let mut acknowledged = 0;
    for kill_after in [30, 60, 90, 150, 250, 1000] {
        let kill_after = Duration::from_millis(kill_after);
        acknowledged += crash_and_recover(kill_after, &Infrastructure::default(), 0).await;
    }
    assert!(
        acknowledged > 0,
        "some bookings were acknowledged before a kill"
    );
}

/// The same on PostgreSQL + Kafka (a private tansu broker), where a restarted consumer may find
/// its group formed with nobody reading (a tansu 0.6 defect the consumers recover from: see
/// docs/booking.md, "Crash recovery").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_and_kafka_every_acknowledged_booking_is_confirmed_and_captured_after_a_sigkill()
 {
    let broker = estospaces_testing::PrivateBroker::start();
    let mut databases = Vec::new();
    let mut env = vec![("ESTOSPACES_KAFKA_BROKERS".to_owned(), broker.brokers())];
    for service in estospaces::SERVICES {
        let database = estospaces_testing::TestDatabase::postgres(&[])
            .await
            .expect("a test database");
        env.push((
            format!("ESTOSPACES_DATABASES__{}", service.to_uppercase()),
            database.url.clone(),
        ));
        databases.push(database);
    }
    let infrastructure = Infrastructure { env };
    let mut acknowledged = 0;
    // Each round kills and restarts against the same consumer groups: tansu's stale members
    // from the round before are what a restart must recover from.
    // The first answers take longer here than on the embedded default: the kills land while
    // bookings are being answered, and after all of them were.
    for (round, kill_after) in [400, 600, 1000].into_iter().enumerate() {
        let kill_after = Duration::from_millis(kill_after);
        acknowledged += crash_and_recover(kill_after, &infrastructure, round).await;
    }
    assert!(
        acknowledged > 0,
        "some bookings were acknowledged before a kill"
    );

    // The databases are dropped with `databases`, passed or not.
    drop(databases);
}

/// One round: book, kill after `kill_after`, restart, check; how many were acknowledged.
async fn crash_and_recover(
    kill_after: Duration,
    infrastructure: &Infrastructure,
    round: usize,
) -> usize {
    let data_dir = tempfile::tempdir().expect("a data dir");
    let port = estospaces_testing::free_port();
    let mut child = start(data_dir.path(), port, infrastructure);
    let client = Client::new(format!("http://127.0.0.1:{port}"));
    client.ready().await;
    let mut config = PlatformConfig::default();
    config.common.data_dir = data_dir.path().to_owned();
    // The seed grants its operator admin in identity's own database.
    for (key, url) in &infrastructure.env {
        if let Some(service) = key.strip_prefix("ESTOSPACES_DATABASES__") {
            config
                .service
                .databases
                .insert(service.to_lowercase(), url.clone().into());
        }
    }
    seed::seed(
        &config,
        &client.base,
        &SeedOptions {
            listings: 12,
            progress: false,
        },
    )
    .await
    .expect("seeded");
    let guests = client.guests().await;
    let property = client.instant_listing().await;

    // Every guest books at once; the process dies `kill_after` into it.
    let bookings = client.book_at_once(&guests, &property, round * BOOKINGS, BOOKINGS);
    let killer = async {
        tokio::time::sleep(kill_after).await;
        child.kill();
    };
    let (acknowledged, ()) = tokio::join!(bookings, killer);

    let mut child = start(data_dir.path(), port, infrastructure);
    client.ready().await;
    let restarted = Instant::now();
    client
        .confirmed_and_captured_once(
            &acknowledged,
            Instant::now() + Duration::from_secs(60),
            &format!("killed after {kill_after:?}"),
        )
        .await;
    client
        .ledger_agrees_with_payments(&format!("killed after {kill_after:?}"))
        .await;
    let status = estospaces_testing::stop_with_sigterm(&mut child.0, Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
    eprintln!(
        "{} of {BOOKINGS} bookings acknowledged before the kill after {kill_after:?}; all confirmed \
         and captured {:?} after the restarted platform was ready",
        acknowledged.len(),
        restarted.elapsed(),
    );
    acknowledged.len()
}
