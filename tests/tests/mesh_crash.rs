//! The multi-process deployment (the Helm chart's topology run as processes: every service its own
//! binary on its own PostgreSQL database, one Kafka-protocol broker, the gateway in front) has one
//! service at a time killed with SIGKILL while guests book, then started again on the same
//! database and broker: every booking that was acknowledged ends confirmed with its payment
//! captured, exactly once.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use estospaces::PlatformConfig;
use estospaces::seed::{self, SeedOptions};
use estospaces_platform_tests::binary;
use estospaces_platform_tests::crash::{Client, Process};
use estospaces_testing::{PrivateBroker, TestDatabase};

/// Bookings made at once in each round, each of three nights of its own at one listing.
const BOOKINGS: usize = 40;

/// The services, each its own binary `estospaces-<name>` with its own database, in the order
/// they start: identity first, whose key set the others verify tokens with.
const SERVICES: [&str; 13] = [
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
];

/// When the victim dies.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// This long after the bookings were sent.
    After(Duration),
    /// As soon as this many bookings were acknowledged.
    AfterAcknowledged(usize),
}

/// One process of the mesh: how to start it again, and the running process.
struct Node {
    binary: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
    /// stdout and stderr of every run, appended: printed when the test fails.
    log: PathBuf,
    process: Option<Process>,
}

impl Node {
    fn start(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("a log file");
        let mut command = Command::new(&self.binary);
        // Only the settings below: nothing the test runner's environment happens to carry.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ESTOSPACES_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        estospaces_testing::wait_until_listening(&mut child, self.port);
        self.process = Some(Process(child));
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Every service binary and the gateway, on their own databases and a private broker. Dropped:
/// the processes are killed, then the databases dropped, the broker stopped and the directory of
/// logs and data removed.
struct Mesh {
    nodes: BTreeMap<&'static str, Node>,
    databases: BTreeMap<&'static str, TestDatabase>,
    _broker: PrivateBroker,
    /// The gateway's data directory and every process's log.
    dir: tempfile::TempDir,
}

impl Mesh {
    async fn start() -> Self {
        let broker = PrivateBroker::start();
        let dir = tempfile::tempdir().expect("a directory");
        let ports: BTreeMap<&str, u16> = SERVICES
            .iter()
            .chain(&["gateway"])
            .map(|name| (*name, estospaces_testing::free_port()))
            .collect();
        let url = |name: &str| format!("http://127.0.0.1:{}", ports[name]);
        let common = |name: &str, data_dir: &Path| {
            vec![
                (
                    "ESTOSPACES_LISTEN".to_owned(),
                    format!("127.0.0.1:{}", ports[name]),
                ),
                (
                    "ESTOSPACES_DATA_DIR".to_owned(),
                    data_dir.display().to_string(),
                ),
                ("ESTOSPACES_SHUTDOWN_GRACE".to_owned(), "2s".to_owned()),
            ]
        };

        let mut databases = BTreeMap::new();
        let mut nodes = BTreeMap::new();
        for name in SERVICES {
            let database = TestDatabase::postgres(&[]).await.expect("a test database");
            let mut env = common(name, database.data_dir());
            env.extend([
                ("ESTOSPACES_DATABASE_URL".to_owned(), database.url.clone()),
                ("ESTOSPACES_KAFKA_BROKERS".to_owned(), broker.brokers()),
                // Thirteen pools of 16 would pass PostgreSQL's 100 connections under the
                // bookings' burst; as a deployment on one server would, they share them.
                (
                    "ESTOSPACES_DATABASE_MAX_CONNECTIONS".to_owned(),
                    "7".to_owned(),
                ),
            ]);
            // As the chart has it: every service but identity fetches identity's key set.
            if name != "identity" {
                env.push(("ESTOSPACES_AUTH__IDENTITY_URL".to_owned(), url("identity")));
            }
            match name {
                "booking" => env.push((
                    "ESTOSPACES_BOOKING__PROPERTY_URL".to_owned(),
                    url("property"),
                )),
                "property" => env.push(("ESTOSPACES_PROPERTY__MEDIA_URL".to_owned(), url("media"))),
                "profile" => env.push(("ESTOSPACES_PROFILE__MEDIA_URL".to_owned(), url("media"))),
                "messaging" => env.extend([
                    (
                        "ESTOSPACES_MESSAGING__PROPERTY_URL".to_owned(),
                        url("property"),
                    ),
                    ("ESTOSPACES_MESSAGING__MEDIA_URL".to_owned(), url("media")),
                ]),
                "review" => env.push((
                    "ESTOSPACES_REVIEW__PROPERTY_URL".to_owned(),
                    url("property"),
                )),
                "moderation" => env.extend([
                    (
                        "ESTOSPACES_MODERATION__PROPERTY_URL".to_owned(),
                        url("property"),
                    ),
                    (
                        "ESTOSPACES_MODERATION__REVIEW_URL".to_owned(),
                        url("review"),
                    ),
                ]),
                "leads" => env.extend([
                    ("ESTOSPACES_LEADS__PROPERTY_URL".to_owned(), url("property")),
                    ("ESTOSPACES_LEADS__PROFILE_URL".to_owned(), url("profile")),
                ]),
                "project" => env.extend([
                    (
                        "ESTOSPACES_PROJECT__PROPERTY_URL".to_owned(),
                        url("property"),
                    ),
                    ("ESTOSPACES_PROJECT__MEDIA_URL".to_owned(), url("media")),
                ]),
                "notification" => env.push((
                    "ESTOSPACES_NOTIFICATION__PUBLIC_BASE_URL".to_owned(),
                    url("gateway"),
                )),
                _ => {}
            }
            databases.insert(name, database);
            nodes.insert(
                name,
                Node {
                    binary: binary(&format!("estospaces-{name}")),
                    port: ports[name],
                    env,
                    log: dir.path().join(format!("{name}.log")),
                    process: None,
                },
            );
        }
        let gateway_data = dir.path().join("gateway");
        std::fs::create_dir(&gateway_data).expect("a data directory");
        let mut env = common("gateway", &gateway_data);
        env.push((
            "ESTOSPACES_GATEWAY__RATE_LIMITS__ENABLED".to_owned(),
            "false".to_owned(),
        ));
        for name in SERVICES {
            env.push((
                format!("ESTOSPACES_GATEWAY__UPSTREAMS__{}", name.to_uppercase()),
                url(name),
            ));
        }
        nodes.insert(
            "gateway",
            Node {
                binary: binary("estospaces-gateway"),
                port: ports["gateway"],
                env,
                log: dir.path().join("gateway.log"),
                process: None,
            },
        );

        let mut mesh = Self {
            nodes,
            databases,
            _broker: broker,
            dir,
        };
        for name in SERVICES.iter().chain(&["gateway"]) {
            mesh.node(name).start();
        }
        mesh
    }

    fn node(&mut self, name: &str) -> &mut Node {
        self.nodes.get_mut(name).expect("a node of the mesh")
    }

    fn gateway(&self) -> Client {
        Client::new(self.nodes["gateway"].url())
    }

    /// What the seed needs: identity's database, where it makes its operator an admin.
    fn seed_config(&self) -> PlatformConfig {
        let mut config = PlatformConfig::default();
        config.common.data_dir = self.dir.path().join("seed");
        // The seed signs users in through identity's store and writes past stays into review's.
        for service in ["identity", "review"] {
            config.service.databases.insert(
                service.to_owned(),
                self.databases[service].url.clone().into(),
            );
        }
        config
    }

    fn kill(&mut self, name: &str) {
        self.node(name).process.as_mut().expect("running").kill();
    }

    /// Starts `name` again, on the same port, database, data directory and broker; returns once
    /// it listens.
    fn restart(&mut self, name: &str) {
        self.node(name).start();
    }

    /// Fails naming any process that exited though nobody killed it.
    fn assert_all_running(&mut self) {
        for (name, node) in &mut self.nodes {
            let process = node.process.as_mut().expect("started");
            let exited = process.0.try_wait().expect("status");
            assert!(exited.is_none(), "{name} exited by itself: {exited:?}");
        }
    }

    /// SIGTERM to each process, the gateway first: each must exit 0 within its grace.
    fn stop(&mut self) {
        for name in ["gateway"].iter().chain(SERVICES.iter().rev()) {
            let process = self.node(name).process.as_mut().expect("started");
            let status =
                estospaces_testing::stop_with_sigterm(&mut process.0, Duration::from_secs(20));
            assert!(status.success(), "{name} stopped with {status:?}");
        }
    }
}

impl Drop for Mesh {
    fn drop(&mut self) {
        // The processes go first, before their databases are dropped.
        for node in self.nodes.values_mut() {
            node.process.take();
        }
        if std::thread::panicking() {
            for (name, node) in &self.nodes {
                let log = std::fs::read_to_string(&node.log).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                eprintln!("--- the last lines of {name}'s log ---");
                for line in &lines[lines.len().saturating_sub(40)..] {
                    eprintln!("{line}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_multi_process_deployment_every_acknowledged_booking_survives_a_sigkill_of_each_service_in_turn()
 {
    let started = Instant::now();
    let mut mesh = Mesh::start().await;
    let client = mesh.gateway();
    client.ready().await;
    seed::seed(
        &mesh.seed_config(),
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
    eprintln!("the mesh started and was seeded in {:?}", started.elapsed());

    // The same bookings with nobody killed, for comparison.
    let sent = Instant::now();
    let acknowledged = client.book_at_once(&guests, &property, 0, BOOKINGS).await;
    let answered_in = sent.elapsed();
    assert_eq!(acknowledged.len(), BOOKINGS, "with nobody killed");
    client
        .confirmed_and_captured_once(
            &acknowledged,
            Instant::now() + Duration::from_secs(60),
            "nobody killed",
        )
        .await;
    eprintln!(
        "nobody killed: {BOOKINGS} bookings acknowledged within {answered_in:?}; every saga \
         finished {:?} after they were sent",
        sent.elapsed()
    );

    // The saga's two ends first, then what it calls (property: quotes and availability), what
    // signs the guests' tokens (identity), and the front door every booking comes through. Each
    // dies once a fixed time into the bookings and once as soon as ten were answered: through
    // the mesh's extra hops the first answers come 200 ms to 1 s in (on a 2-core machine), so a
    // fixed 50-250 ms mostly kills before anything was acknowledged.
    let kills = [
        ("booking", Kill::After(Duration::from_millis(150))),
        ("booking", Kill::AfterAcknowledged(10)),
        ("payment", Kill::After(Duration::from_millis(150))),
        ("payment", Kill::AfterAcknowledged(10)),
        ("property", Kill::After(Duration::from_millis(250))),
        ("property", Kill::AfterAcknowledged(10)),
        ("identity", Kill::After(Duration::from_millis(100))),
        ("identity", Kill::AfterAcknowledged(10)),
        ("gateway", Kill::After(Duration::from_millis(200))),
        ("gateway", Kill::AfterAcknowledged(10)),
    ];

    let mut acknowledged_in_all = 0;
    for (round, (victim, kill)) in kills.into_iter().enumerate() {
        // The bookings run as a task of their own, so that the kill comes on time however busy
        // they keep the runtime.
        let answered = Arc::new(AtomicUsize::new(0));
        let bookings = tokio::spawn({
            let (client, guests, property, answered) = (
                client.clone(),
                guests.clone(),
                property.clone(),
                answered.clone(),
            );
            let first = (round + 1) * BOOKINGS;
            async move {
                client
                    .book_at_once_counting(&guests, &property, first, BOOKINGS, &answered)
                    .await
            }
        });
        let began = Instant::now();
        match kill {
            Kill::After(after) => tokio::time::sleep(after).await,
            Kill::AfterAcknowledged(count) => {
                // Should fewer ever be answered, the kill comes anyway after 10 s.
                while answered.load(Ordering::SeqCst) < count
                    && began.elapsed() < Duration::from_secs(10)
                {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        }
        // When the signal went: reaping the process may take a few hundred ms more on a busy
        // machine.
        let killed_after = began.elapsed();
        mesh.kill(victim);
        let acknowledged = bookings.await.expect("the bookings ran");
        let context = format!("{victim} killed {killed_after:?} into the bookings ({kill:?})");
        if let Kill::AfterAcknowledged(count) = kill {
            assert!(
                acknowledged.len() >= count,
                "{context}: only {} bookings were answered within 10 s",
                acknowledged.len()
            );
        }

        let restarted = Instant::now();
        mesh.restart(victim);
        client.ready().await;
        let ready = Instant::now();
        client
            .confirmed_and_captured_once(&acknowledged, ready + Duration::from_secs(60), &context)
            .await;
        client.ledger_agrees_with_payments(&context).await;
        mesh.assert_all_running();
        eprintln!(
            "{context}: {} of {BOOKINGS} bookings acknowledged; every saga finished {:?} after \
             the restart ({:?} after the mesh was ready again)",
            acknowledged.len(),
            restarted.elapsed(),
            ready.elapsed(),
        );
        acknowledged_in_all += acknowledged.len();
    }
    assert!(
        acknowledged_in_all > 0,
        "some bookings were acknowledged before a kill"
    );
    mesh.stop();
    eprintln!("the whole test took {:?}", started.elapsed());
}
