//! The single binary killed with SIGKILL while guests book, then started again on the same data
//! directory: every booking that was acknowledged ends confirmed with its payment captured,
//! exactly once.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use estospaces::PlatformConfig;
use estospaces::seed::{self, SeedOptions};
use estospaces_platform_tests::binary;
use serde_json::{Value, json};

/// Bookings made at once, each of three nights of its own at one listing.
const BOOKINGS: usize = 40;

/// Where the platform keeps its state: the embedded default, or PostgreSQL (a database per
/// service) and a Kafka-protocol broker.
#[derive(Default)]
struct Infrastructure {
    env: Vec<(String, String)>,
}

/// The running binary; killed if a failed assertion leaves it behind.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
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
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    estospaces_testing::wait_until_listening(&mut child, port);
    Process(child)
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            // The process was killed under the call: not acknowledged.
            Err(_) => (0, Value::Null),
        }
    }

    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self
                .call(reqwest::Method::GET, "/readyz", None, None)
                .await
                .0
                == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the platform did not become ready within 30 s");
    }

    async fn login(&self, email: String) -> String {
        let (status, session) = self
            .call(
                reqwest::Method::POST,
                "/v1/sessions:login",
                None,
                Some(json!({"email": email, "password": seed::DEMO_PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        session["accessToken"].as_str().expect("a token").to_owned()
    }
}

fn stay(index: usize) -> Value {
    let check_in = time::Date::from_calendar_date(2027, time::Month::June, 1).expect("a date")
        + time::Duration::days(3 * index as i64);
    let check_out = check_in + time::Duration::days(3);
    let date =
        |d: time::Date| json!({"year": d.year(), "month": u8::from(d.month()), "day": d.day()});
    json!({"checkIn": date(check_in), "checkOut": date(check_out)})
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
    for service in [
        "identity",
        "profile",
        "property",
        "payment",
        "booking",
        "search",
        "notification",
    ] {
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
    for (round, kill_after) in [150, 250, 1000].into_iter().enumerate() {
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
    let client = Client {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    };
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
    let guests: Vec<String> =
        futures::future::join_all((0..10).map(|i| client.login(seed::demo_email("guest", i))))
            .await;

    // An instantly bookable stay, as the search index has it.
    let mut listing = Value::Null;
    for _ in 0..100 {
        let (_, page) = client
            .call(
                reqwest::Method::POST,
                "/v1/properties:search",
                None,
                Some(json!({"query": {"kind": "LISTING_KIND_SHORT_STAY", "instantBook": true, "guests": 1}, "pageSize": 1})),
            )
            .await;
        if let Some(found) = page["results"].get(0) {
            listing = found["property"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let property = listing["name"].as_str().expect("a listing").to_owned();

    // Every guest books at once; the process dies 50-150 ms into it.
    let bookings = (0..BOOKINGS).map(|i| {
        let (client, token, property) =
            (&client, guests[i % guests.len()].clone(), property.clone());
        async move {
            let mut booking = stay(round * BOOKINGS + i);
            booking["property"] = json!(property);
            booking["guests"] = json!(1);
            let (status, created) = client
                .call(
                    reqwest::Method::POST,
                    "/v1/bookings",
                    Some(&token),
                    Some(json!({"booking": booking, "paymentMethod": "4242424242424242"})),
                )
                .await;
            (status == 201).then(|| (created["name"].as_str().expect("a name").to_owned(), token))
        }
    });
    let killer = async {
        tokio::time::sleep(kill_after).await;
        child.0.kill().expect("killed");
        child.0.wait().expect("reaped");
    };
    let (acknowledged, ()) = tokio::join!(futures::future::join_all(bookings), killer);
    let acknowledged: Vec<(String, String)> = acknowledged.into_iter().flatten().collect();

    let mut child = start(data_dir.path(), port, infrastructure);
    client.ready().await;
    let restarted = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(60);
    for (booking, token) in &acknowledged {
        let (state, captured) = loop {
            let (_, current) = client
                .call(
                    reqwest::Method::GET,
                    &format!("/v1/{booking}"),
                    Some(token),
                    None,
                )
                .await;
            let (_, payments) = client
                .call(
                    reqwest::Method::GET,
                    "/v1/payments?pageSize=100",
                    Some(token),
                    None,
                )
                .await;
            let captured: Vec<&Value> = payments["payments"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter(|p| p["booking"] == json!(booking))
                        .collect()
                })
                .unwrap_or_default();
            let done = current["state"] == "STATE_CONFIRMED"
                && captured.iter().any(|p| p["state"] == "STATE_CAPTURED");
            if done || Instant::now() > deadline {
                break (
                    current["state"].clone(),
                    captured.into_iter().cloned().collect::<Vec<_>>(),
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(
            state, "STATE_CONFIRMED",
            "{booking} (killed after {kill_after:?})"
        );
        assert_eq!(captured.len(), 1, "one payment for {booking}: {captured:?}");
        assert_eq!(
            captured[0]["state"], "STATE_CAPTURED",
            "{booking}: {captured:?}"
        );
    }
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
