//! End to end booking load through the gateway (issue 25): the real `estospaces` binary as a
//! child process, seeded with demo listings; `BENCH_CLIENTS` guests (each with a token of their
//! own and a keep-alive HTTP/1.1 connection of their own) book instantly bookable listings in a
//! closed loop over REST (`POST /v1/bookings`) for `BENCH_SECONDS`, every booking three nights
//! no other booking holds. Then it waits until no booking is still `STATE_PENDING_PAYMENT` (the
//! saga: `booking.requested` → payment authorizes → `payment.authorized` → confirmed) and counts
//! the `STATE_CONFIRMED` ones.
//!
//! Reported per backend: bookings created and created/s, errors by status, CreateBooking latency
//! percentiles (as the client sees them), bookings confirmed and confirmed/s (confirmed bookings
//! over the time from the first create to the poll that saw the last one confirmed), the drain
//! time after the load stopped, the server's CPU per created booking and its resident memory
//! (before the load, peak during it, sampled every 500 ms; and the kernel's high-water mark).
//!
//! ```sh
//! cargo bench -p estospaces --bench booking_load                      # both backends
//! BENCH_BACKEND=embedded cargo bench -p estospaces --bench booking_load
//! ```
//!
//! Settings (environment): `BENCH_BACKEND` (`embedded`, `postgres` or `both`, the default),
//! `BENCH_CLIENTS` (32), `BENCH_LISTINGS` (20), `BENCH_SECONDS` (15), `BENCH_SEED_LISTINGS`
//! (listings the seed makes, of which the first `BENCH_LISTINGS` instantly bookable short stays
//! are booked; 60), `BENCH_PERF_OUT` (a file: `perf record -a -g` for 10 s from the start of the
//! load, on the first backend; read it with `perf report -i <file> --pid <server pid>`; needs
//! root), `BENCH_LOG` (a file the server's log is appended to; discarded otherwise),
//! `BENCH_BINARY` (another `estospaces` binary than the one cargo built).
//!
//! `postgres` creates a database per service named `estospaces_test_<uuid>` on
//! `ESTOSPACES_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and
//! drops them afterwards; each service's pool is capped at `BENCH_DATABASE_MAX_CONNECTIONS` (8:
//! 88 connections in all; at the default 16 the platform takes all 100 of a default server's
//! connections while confirmations back up); events go through a private tansu broker
//! (`~/.cache/estospaces/tools/bin/tansu` or `ESTOSPACES_TANSU`, installed by
//! `build-support/dev/services.sh up`) on a free port with its own temporary storage, unless
//! `BENCH_KAFKA_BROKERS` names brokers to use instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};
use sqlx::Connection as _;

const DEFAULT_TEST_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PASSWORD: &str = "a long enough password";

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone)]
struct Settings {
    clients: usize,
    listings: usize,
    seconds: u64,
    seed_listings: usize,
    perf_out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut settings = Settings {
        clients: setting("BENCH_CLIENTS", 32),
        listings: setting("BENCH_LISTINGS", 20),
        seconds: setting("BENCH_SECONDS", 15),
        seed_listings: setting("BENCH_SEED_LISTINGS", 60),
        perf_out: std::env::var_os("BENCH_PERF_OUT").map(PathBuf::from),
    };
    let backends: Vec<&str> = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("embedded") => vec!["embedded"],
        Ok("postgres") => vec!["postgres"],
        Ok("both") | Err(_) => vec!["embedded", "postgres"],
        Ok(other) => bail!("BENCH_BACKEND={other}: embedded, postgres or both"),
    };
    let binary = binary()?;
    eprintln!("binary: {}", binary.display());
    let mut reports = Vec::new();
    for backend in backends {
        eprintln!("== {backend}: {settings:?}");
        let report = match backend {
            "postgres" => run_on_postgres(&binary, &settings).await?,
            _ => run(&binary, &settings, "embedded", Vec::new()).await?,
        };
        report.print();
        reports.push(report);
        // Profile one backend only.
        settings.perf_out = None;
    }
    println!();
    println!(
        "| backend | clients | s | created | created/s | errors | create p50 | p90 | p99 | max | confirmed | confirmed/s | drain | server CPU/booking | RSS idle | RSS peak | VmHWM |"
    );
    println!(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for report in &reports {
        println!("{}", report.row());
    }
    Ok(())
}

/// The `estospaces` binary: `BENCH_BINARY`, else the one cargo built for this bench.
fn binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("BENCH_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_estospaces")),
        PathBuf::from,
    );
    ensure!(path.exists(), "{} is missing", path.display());
    Ok(path)
}

/// PostgreSQL (a fresh database per service, dropped afterwards) and Kafka (a private tansu
/// unless `BENCH_KAFKA_BROKERS`).
async fn run_on_postgres(binary: &Path, settings: &Settings) -> anyhow::Result<Report> {
    let server = std::env::var("ESTOSPACES_TEST_DATABASE_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_SERVER.to_owned());
    let (broker, brokers) = match std::env::var("BENCH_KAFKA_BROKERS") {
        Ok(brokers) => (None, brokers),
        Err(_) => {
            let broker = Broker::start()?;
            let brokers = broker.brokers();
            (Some(broker), brokers)
        }
    };
    let mut created = Vec::new();
    // Eleven pools at the default 16 connections pass PostgreSQL's default limit of 100 once
    // the saga backs up, starving the server's other users (and the platform itself).
    let max_connections: u32 = setting("BENCH_DATABASE_MAX_CONNECTIONS", 8);
    let mut env = vec![
        ("ESTOSPACES_KAFKA_BROKERS".to_owned(), brokers),
        (
            "ESTOSPACES_DATABASE_MAX_CONNECTIONS".to_owned(),
            max_connections.to_string(),
        ),
    ];
    let mut result = async {
        let mut admin = sqlx::PgConnection::connect(&server).await?;
        for service in estospaces::SERVICES {
            let name = format!("estospaces_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            created.push(name.clone());
            env.push((
                format!("ESTOSPACES_DATABASES__{}", service.to_uppercase()),
                with_database(&server, &name),
            ));
        }
        admin.close().await?;
        run(binary, settings, "postgres + kafka", env).await
    }
    .await;
    // The server is gone by now; drop what was made, whatever happened.
    let dropped = async {
        let mut admin = sqlx::PgConnection::connect(&server).await?;
        for name in &created {
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await?;
        }
        admin.close().await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    drop(broker);
    if let Err(err) = dropped {
        eprintln!("could not drop the bench's databases {created:?}: {err:#}");
        if result.is_ok() {
            result = Err(err);
        }
    }
    result
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |at| at + 3);
    let server = base[authority..]
        .find('/')
        .map_or(base, |slash| &base[..authority + slash]);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A tansu broker of the bench's own, on a free port, storing in a temporary directory.
struct Broker {
    _dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl Broker {
    fn start() -> anyhow::Result<Self> {
        let tansu = std::env::var("ESTOSPACES_TANSU").unwrap_or_else(|_| {
            format!(
                "{}/.cache/estospaces/tools/bin/tansu",
                std::env::var("HOME").unwrap_or_default()
            )
        });
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&tansu)
            .args(["broker", "--cluster-id", "bench", "--listener-url", &url])
            .args(["--advertised-listener-url", &url])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {tansu} (build-support/dev/services.sh up)"))?;
        let broker = Self {
            _dir: dir,
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(Instant::now() < deadline, "tansu never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(broker)
    }

    fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The server; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first, so it closes its connections; then make sure.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        for _ in 0..50 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn log_output() -> Stdio {
    std::env::var_os("BENCH_LOG")
        .and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        })
        .map_or_else(Stdio::null, Stdio::from)
}

/// The binary's environment: `extra` (the backend's) over the bench's own settings.
fn command(binary: &Path, data_dir: &Path, port: u16, extra: &[(String, String)]) -> Command {
    let mut command = Command::new(binary);
    command
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_KAFKA_BROKERS")
        .env_remove("ESTOSPACES_REDIS_URL")
        .env_remove("ESTOSPACES_CONFIG")
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_DATA_DIR", data_dir)
        .env("ESTOSPACES_SHUTDOWN_GRACE", "2s")
        // The limiter stays on (its cost is part of every call) but never refuses the load,
        // the seed or the sign-ups, which all come from one address.
        .env(
            "ESTOSPACES_GATEWAY__RATE_LIMITS__PUBLIC_PER_MINUTE",
            "1000000",
        )
        .env(
            "ESTOSPACES_GATEWAY__RATE_LIMITS__AUTHENTICATED_PER_MINUTE",
            "1000000",
        )
        .env("ESTOSPACES_GATEWAY__RATE_LIMITS__BURST", "100000")
        .envs(extra.iter().map(|(key, value)| (key, value)))
        .stdout(log_output())
        .stderr(log_output());
    command
}

async fn run(
    binary: &Path,
    settings: &Settings,
    backend: &str,
    env: Vec<(String, String)>,
) -> anyhow::Result<Report> {
    let data_dir = tempfile::tempdir()?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        command(binary, data_dir.path(), port, &env)
            .spawn()
            .context("starting estospaces")?,
    );
    let pid = server.0.id();
    let http = reqwest::Client::new();
    wait_until_ready(&http, &base).await?;

    let seeding = Instant::now();
    let seeded = command(binary, data_dir.path(), port, &env)
        .args(["seed", "--listings", &settings.seed_listings.to_string()])
        .stdout(Stdio::piped())
        .output()
        .context("running estospaces seed")?;
    ensure!(
        seeded.status.success(),
        "estospaces seed failed: {}",
        String::from_utf8_lossy(&seeded.stdout)
    );
    eprintln!(
        "seeded in {:.1} s: {}",
        seeding.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&seeded.stdout)
            .lines()
            .last()
            .unwrap_or_default()
    );

    let listings = instant_listings(&http, &base, settings.listings).await?;
    let mut guests = Vec::new();
    for index in 0..settings.clients {
        guests.push(Guest::sign_up(&base, index).await?);
    }
    eprintln!(
        "{} guests signed up; server pid {pid}; booking {} listings for {} s",
        guests.len(),
        listings.len(),
        settings.seconds
    );

    // Let the sign-ups' and the seed's events settle before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = memory(pid, "VmRSS").unwrap_or(0);
    let cpu_before = cpu_seconds(pid).unwrap_or(0.0);
    let loadavg_before = loadavg();

    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn({
        let sampling = sampling.clone();
        async move {
            let mut peak = 0;
            while sampling.load(Ordering::Relaxed) {
                peak = peak.max(memory(pid, "VmRSS").unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            peak.max(memory(pid, "VmRSS").unwrap_or(0))
        }
    });
    // System-wide: `perf record -p` lost every sample of this many-threaded process. Read it
    // with `perf report -i <file> --pid <pid>`.
    let perf = match &settings.perf_out {
        Some(out) => Some(
            Command::new("perf")
                .args(["record", "-F", "499", "-a", "-g", "-o"])
                .arg(out)
                .args(["--", "sleep", "10"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting perf")?,
        ),
        None => None,
    };

    // The load: every client books until the deadline, each booking the next free stay.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(settings.seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let listings = Arc::new(listings);
    let clients: Vec<_> = guests
        .iter()
        .map(|guest| {
            let guest = guest.clone();
            let next = next.clone();
            let listings = listings.clone();
            tokio::spawn(async move { guest.book_until(deadline, &next, &listings).await })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut statuses: BTreeMap<u16, (usize, String)> = BTreeMap::new();
    for client in clients {
        let outcome = client.await?;
        latencies.extend(outcome.latencies);
        for (status, (count, example)) in outcome.statuses {
            let entry = statuses.entry(status).or_insert((0, example));
            entry.0 += count;
        }
    }
    let load_time = started.elapsed();
    let cpu_load = cpu_seconds(pid).unwrap_or(0.0) - cpu_before;
    let loadavg_during = loadavg();
    let created = statuses.get(&201).map_or(0, |(count, _)| *count);

    // The drain: until no guest has a booking still waiting for its payment.
    let mut waiting: Vec<&Guest> = guests.iter().collect();
    let drain_deadline = Instant::now() + Duration::from_secs(300);
    let mut last_confirmed = started.elapsed();
    while !waiting.is_empty() {
        let mut still = Vec::new();
        for guest in waiting {
            if guest.has_pending().await? {
                still.push(guest);
            }
        }
        waiting = still;
        last_confirmed = started.elapsed();
        if waiting.is_empty() {
            break;
        }
        ensure!(
            Instant::now() < drain_deadline,
            "{} guests still have bookings pending payment after 5 minutes",
            waiting.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sampling.store(false, Ordering::Relaxed);
    let rss_peak = sampler.await?;
    let vm_hwm = memory(pid, "VmHWM").unwrap_or(0);
    if let Some(mut perf) = perf {
        perf.wait()?;
    }

    let mut confirmed = 0;
    let mut booked = 0;
    for guest in &guests {
        confirmed += guest.count(Some("STATE_CONFIRMED")).await?;
        booked += guest.count(None).await?;
    }
    drop(server);

    latencies.sort();
    Ok(Report {
        backend: backend.to_owned(),
        clients: settings.clients,
        load_time,
        created,
        booked,
        statuses,
        latencies,
        confirmed,
        last_confirmed,
        drain: last_confirmed.saturating_sub(load_time),
        cpu_per_booking: Duration::from_secs_f64(cpu_load / created.max(1) as f64),
        cpu_load,
        rss_idle,
        rss_peak,
        vm_hwm,
        loadavg_before,
        loadavg_during,
    })
}

async fn wait_until_ready(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = http.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "not ready within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `count` instantly bookable short stays (`properties/…`), once the search index has them.
async fn instant_listings(
    http: &reqwest::Client,
    base: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page: Value = http
            .post(format!("{base}/v1/properties:search"))
            .json(&json!({
                "query": {"kind": "LISTING_KIND_SHORT_STAY", "instantBook": true, "guests": 1},
                "pageSize": 50,
            }))
            .send()
            .await?
            .json()
            .await?;
        let names: Vec<String> = page["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|result| result["property"]["name"].as_str().map(str::to_owned))
            .take(count)
            .collect();
        if names.len() == count {
            return Ok(names);
        }
        ensure!(
            Instant::now() < deadline,
            "only {} instantly bookable listings are searchable; seed more (BENCH_SEED_LISTINGS)",
            names.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A guest with a token and a client (so a keep-alive connection) of their own.
#[derive(Clone)]
struct Guest {
    base: String,
    http: reqwest::Client,
    token: String,
}

#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    /// Per status (0: no answer), how many and the first answer's body.
    statuses: BTreeMap<u16, (usize, String)>,
}

impl Guest {
    async fn sign_up(base: &str, index: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let credentials = json!({
            "email": format!("bench-guest-{index}@example.com"),
            "password": PASSWORD,
        });
        let response = http
            .post(format!("{base}/v1/users:register"))
            .json(&credentials)
            .send()
            .await?;
        ensure!(
            response.status().as_u16() == 201,
            "registering: {}",
            response.text().await?
        );
        let session: Value = http
            .post(format!("{base}/v1/sessions:login"))
            .json(&credentials)
            .send()
            .await?
            .json()
            .await?;
        let token = session["accessToken"]
            .as_str()
            .with_context(|| format!("logging in: {session}"))?
            .to_owned();
        Ok(Self {
            base: base.to_owned(),
            http,
            token,
        })
    }

    async fn book_until(
        &self,
        deadline: Instant,
        next: &AtomicUsize,
        listings: &[String],
    ) -> Outcome {
        let mut outcome = Outcome::default();
        let url = format!("{}/v1/bookings", self.base);
        while Instant::now() < deadline {
            // Booking `n` is stay `n / listings` of listing `n % listings`: no two overlap.
            let n = next.fetch_add(1, Ordering::Relaxed);
            let (check_in, check_out) = stay(n / listings.len());
            let body = json!({
                "booking": {
                    "property": listings[n % listings.len()],
                    "guests": 1,
                    "checkIn": check_in,
                    "checkOut": check_out,
                },
                "paymentMethod": "4242424242424242",
            });
            let sent = Instant::now();
            let answer = self
                .http
                .post(&url)
                .bearer_auth(&self.token)
                .json(&body)
                .send()
                .await;
            let (status, text) = match answer {
                Ok(response) => {
                    let status = response.status().as_u16();
                    (status, response.text().await.unwrap_or_default())
                }
                Err(err) => (0, err.to_string()),
            };
            outcome.latencies.push(sent.elapsed());
            let entry = outcome.statuses.entry(status).or_insert_with(|| {
                let mut example = text;
                example.truncate(300);
                (0, example)
            });
            entry.0 += 1;
        }
        outcome
    }

    async fn list(&self, query: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}/v1/bookings?{query}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        ensure!(status.is_success(), "listing bookings: {status} {body}");
        Ok(body)
    }

    async fn has_pending(&self) -> anyhow::Result<bool> {
        let page = self.list("state=STATE_PENDING_PAYMENT&pageSize=1").await?;
        Ok(page["bookings"]
            .as_array()
            .is_some_and(|bookings| !bookings.is_empty()))
    }

    /// The guest's bookings in `state` (any, without one).
    async fn count(&self, state: Option<&str>) -> anyhow::Result<usize> {
        let mut count = 0;
        let mut page_token = String::new();
        loop {
            let mut query = format!("pageSize=100&pageToken={page_token}");
            if let Some(state) = state {
                query.push_str(&format!("&state={state}"));
            }
            let page = self.list(&query).await?;
            count += page["bookings"].as_array().map_or(0, Vec::len);
            page_token = page["nextPageToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if page_token.is_empty() {
                return Ok(count);
            }
        }
    }
}

/// Stay `index` of a listing: three nights, the `index`th three-night block from 1 June 2027.
fn stay(index: usize) -> (Value, Value) {
    let first = days_from_civil(2027, 6, 1) + 3 * index as i64;
    (date(first), date(first + 3))
}

fn date(days: i64) -> Value {
    let (year, month, day) = civil_from_days(days);
    json!({"year": year, "month": month, "day": day})
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A `/proc/<pid>/status` memory line (`VmRSS`, `VmHWM`), in KiB.
fn memory(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// User + system CPU time the process has used, in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command (which may hold spaces), from field 3 on.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

struct Report {
    backend: String,
    clients: usize,
    load_time: Duration,
    created: usize,
    /// Bookings the guests have at the end, in any state.
    booked: usize,
    statuses: BTreeMap<u16, (usize, String)>,
    latencies: Vec<Duration>,
    confirmed: usize,
    /// From the first create to the poll that found nothing pending.
    last_confirmed: Duration,
    drain: Duration,
    cpu_load: f64,
    cpu_per_booking: Duration,
    rss_idle: u64,
    rss_peak: u64,
    vm_hwm: u64,
    loadavg_before: String,
    loadavg_during: String,
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn errors(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(status, _)| **status != 201)
            .map(|(_, (count, _))| count)
            .sum()
    }

    fn created_per_second(&self) -> f64 {
        self.created as f64 / self.load_time.as_secs_f64()
    }

    fn confirmed_per_second(&self) -> f64 {
        self.confirmed as f64 / self.last_confirmed.as_secs_f64()
    }

    fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
        println!("--- {} ---", self.backend);
        println!(
            "load: {} clients for {:.1} s; load average before {}, at the end {}",
            self.clients,
            self.load_time.as_secs_f64(),
            self.loadavg_before,
            self.loadavg_during
        );
        println!(
            "created: {} ({:.0}/s); the guests hold {} bookings in all",
            self.created,
            self.created_per_second(),
            self.booked
        );
        for (status, (count, example)) in &self.statuses {
            if *status != 201 {
                println!("  status {status}: {count} (e.g. {example})");
            }
        }
        println!(
            "CreateBooking latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms ({} calls)",
            ms(self.percentile(50.0)),
            ms(self.percentile(90.0)),
            ms(self.percentile(99.0)),
            ms(self.percentile(99.9)),
            ms(self.percentile(100.0)),
            self.latencies.len()
        );
        println!(
            "confirmed: {} ({:.0}/s over {:.1} s from the first create); drained {:.2} s after the load stopped",
            self.confirmed,
            self.confirmed_per_second(),
            self.last_confirmed.as_secs_f64(),
            self.drain.as_secs_f64()
        );
        println!(
            "server CPU during the load: {:.1} s ({:.0} % of one core), {:.2} ms per created booking",
            self.cpu_load,
            100.0 * self.cpu_load / self.load_time.as_secs_f64(),
            ms(self.cpu_per_booking)
        );
        println!(
            "server RSS: {} MiB before the load, {} MiB peak (500 ms samples), VmHWM {} MiB",
            self.rss_idle / 1024,
            self.rss_peak / 1024,
            self.vm_hwm / 1024
        );
    }

    fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1_000.0);
        format!(
            "| {} | {} | {:.0} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {:.0} | {:.2} s | {:.2} ms | {} MiB | {} MiB | {} MiB |",
            self.backend,
            self.clients,
            self.load_time.as_secs_f64(),
            self.created,
            self.created_per_second(),
            self.errors(),
            ms(self.percentile(50.0)),
            ms(self.percentile(90.0)),
            ms(self.percentile(99.0)),
            ms(self.percentile(100.0)),
            self.confirmed,
            self.confirmed_per_second(),
            self.drain.as_secs_f64(),
            self.cpu_per_booking.as_secs_f64() * 1_000.0,
            self.rss_idle / 1024,
            self.rss_peak / 1024,
            self.vm_hwm / 1024,
        )
    }
}
