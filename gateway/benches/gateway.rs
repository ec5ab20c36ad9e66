//! Unary RPCs called four ways in one run: directly over gRPC, and through the gateway over gRPC,
//! REST/JSON and grpc-web. Two RPCs: identity's `GetJwks` (public, no database: the cost is the
//! transport and the gateway) and property's `GetProperty` on a seeded listing (public, one
//! database read, a larger response to transcode).
//!
//! ```text
//! cargo bench -p estospaces-gateway --bench gateway
//! BENCH_RATES=500,2000 BENCH_OPEN_SECONDS=10 cargo bench -p estospaces-gateway --bench gateway
//! BENCH_BACKEND=postgres cargo bench -p estospaces-gateway --bench gateway
//! ```
//!
//! Two measurements per RPC:
//! - **open loop** at each fixed rate of `BENCH_RATES` (calls/s, default `500,2000`) for
//!   `BENCH_OPEN_SECONDS` (default 5): a pacer thread starts each call at its scheduled time
//!   whether or not earlier calls have finished, and a call's latency runs from its *scheduled*
//!   start, so a stall delays every call scheduled during it (no coordinated omission). This is
//!   the "moderate load" of the goal.
//! - **closed loop** (maximum throughput): `BENCH_CONCURRENCY` callers (default 16) each repeat
//!   the call for `BENCH_SECONDS` (default 5). The machine is saturated; this measures what a
//!   call costs, not what it takes under moderate load.
//!
//! The services (identity, property), the gateway and the load generator run in this process on
//! loopback, each on **its own tokio runtime** (named threads `svc`, `gw`, `load`; worker counts
//! `BENCH_SERVICE_THREADS`, `BENCH_GATEWAY_THREADS`, `BENCH_LOAD_THREADS`, default 2 each), so the
//! load generator's tasks never run on the gateway's workers; they still share the machine's
//! cores, as separate processes on one small node would. Each closed-loop row reports the CPU time
//! per call spent by each of the three (from `/proc/self/task/*/schedstat`), which is what
//! decides throughput when the cores are saturated. Rate limits are off. Prints Markdown.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_gateway::config::RateLimitSettings;
use estospaces_gateway::{GatewayConfig, GatewaySettings};
use estospaces_identity::IdentityConfig;
use estospaces_property::{PropertyConfig, PropertySettings};
use estospaces_proto::identity_v1::GetJwksRequest;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use futures::future::BoxFuture;
use prost::Message;
use tonic::transport::Channel;

const WARM_UP: Duration = Duration::from_secs(1);

/// One call of the benchmark: `true` when it succeeded.
type Call = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn runtime(name: &str, threads: u64) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(usize::try_from(threads.max(1)).unwrap_or(1))
        .thread_name(name)
        .enable_all()
        .build()
}

fn main() -> anyhow::Result<()> {
    let services = runtime("svc", env_number("BENCH_SERVICE_THREADS", 2))?;
    let gateway = runtime("gw", env_number("BENCH_GATEWAY_THREADS", 2))?;
    let load = runtime("load", env_number("BENCH_LOAD_THREADS", 2))?;
    let postgres = std::env::var("BENCH_BACKEND").is_ok_and(|backend| backend == "postgres");

    let data = tempfile::tempdir()?;
    let upstream = services.block_on(start_services(data.path(), postgres))?;
    let gateway_addr = gateway.block_on(start_gateway(&upstream))?;
    let result = load.block_on(run(&upstream, gateway_addr, postgres));
    drop(load);
    drop(gateway);
    drop(services);
    result
}

/// The running upstream services and the listing seeded for `GetProperty`.
struct Upstream {
    identity: std::net::SocketAddr,
    property: std::net::SocketAddr,
    listing: String,
    /// Dropped (and the database with it) at the end.
    _database: Option<estospaces_storage::testing::TestDatabase>,
}

async fn start_services(data: &std::path::Path, postgres: bool) -> anyhow::Result<Upstream> {
    let common = |dir: &str| -> anyhow::Result<CommonConfig> {
        let data_dir = data.join(dir);
        std::fs::create_dir_all(&data_dir)?;
        Ok(CommonConfig {
            listen: "127.0.0.1:0".parse()?,
            data_dir,
            max_concurrent_requests: 100_000,
            ..CommonConfig::default()
        })
    };
    let identity = estospaces_identity::build(IdentityConfig {
        common: common("identity")?,
        service: Default::default(),
    })
    .await?;
    let identity_addr = identity.local_addr();
    tokio::spawn(identity.run(std::future::pending()));

    let mut property_common = common("property")?;
    let database = if postgres {
        let database = estospaces_storage::testing::TestDatabase::postgres(&[
            estospaces_property::store::MIGRATIONS,
        ])
        .await?;
        property_common.database_url = Some(database.url.clone().into());
        Some(database)
    } else {
        None
    };
    let key = SigningKey::generate();
    let keys = KeySet::new(&[key.public_jwk().clone()])?;
    let issuer = TokenIssuer::new(
        key,
        &property_common.auth.issuer,
        &property_common.auth.audience,
        Duration::from_secs(3600),
    );
    let property = estospaces_property::build_with_keys(
        PropertyConfig {
            common: property_common,
            service: PropertySettings::default(),
        },
        keys,
    )
    .await?;
    let property_addr = property.local_addr();
    tokio::spawn(property.run(std::future::pending()));

    let host = issuer.issue(&uuid::Uuid::now_v7().to_string(), &[Role::Host]);
    let listing = seed_listing(property_addr, &host.token).await?;
    Ok(Upstream {
        identity: identity_addr,
        property: property_addr,
        listing,
        _database: database,
    })
}

/// Creates and publishes a complete short stay; returns its name.
async fn seed_listing(property: std::net::SocketAddr, token: &str) -> anyhow::Result<String> {
    let mut client = PropertyServiceClient::connect(format!("http://{property}")).await?;
    let created = client
        .create_property(authorized(
            property::CreatePropertyRequest {
                property: Some(short_stay()),
                request_id: String::new(),
            },
            token,
        )?)
        .await?
        .into_inner()
        .property
        .ok_or_else(|| anyhow::anyhow!("no listing in the response"))?;
    client
        .publish_property(authorized(
            property::PublishPropertyRequest {
                name: created.name.clone(),
                etag: String::new(),
            },
            token,
        )?)
        .await?;
    Ok(created.name)
}

fn authorized<T>(message: T, token: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(request)
}

fn short_stay() -> property::Property {
    let date = |year, month, day| property::Date { year, month, day };
    property::Property {
        kind: property::ListingKind::ShortStay as i32,
        property_type: property::PropertyType::Apartment as i32,
        title: "Bright flat by the river".to_owned(),
        description: "Two rooms, a balcony and the river below.".to_owned(),
        address: Some(property::Address {
            street: "Rua das Flores 12".to_owned(),
            locality: "Porto".to_owned(),
            region: String::new(),
            postal_code: "4050-262".to_owned(),
            country_code: "PT".to_owned(),
            location: Some(property::GeoPoint {
                latitude: 41.1456,
                longitude: -8.6139,
            }),
        }),
        bedrooms: 2,
        bathrooms: 1,
        beds: 2,
        max_guests: 4,
        amenities: vec![
            property::Amenity::Wifi as i32,
            property::Amenity::Kitchen as i32,
        ],
        photos: vec![property::Photo {
            media_id: "media-1".to_owned(),
            caption: "The living room".to_owned(),
            cover: true,
        }],
        cancellation_policy: property::CancellationPolicy::Moderate as i32,
        booking_mode: property::BookingMode::Instant as i32,
        min_nights: 1,
        currency_code: "EUR".to_owned(),
        short_stay_pricing: Some(property::ShortStayPricing {
            base_nightly_price: 10_000,
            weekend_nightly_price: 12_000,
            seasonal_prices: vec![property::SeasonalPrice {
                label: "Summer".to_owned(),
                start_date: Some(date(2027, 7, 1)),
                end_date: Some(date(2027, 8, 31)),
                nightly_price: 15_000,
            }],
            weekly_discount_basis_points: 1_000,
            monthly_discount_basis_points: 2_000,
            cleaning_fee: 5_000,
            included_guests: 2,
            extra_guest_fee: 1_000,
            tax_basis_points: 725,
        }),
        ..Default::default()
    }
}

async fn start_gateway(upstream: &Upstream) -> anyhow::Result<std::net::SocketAddr> {
    let gateway = estospaces_gateway::Application::build(GatewayConfig {
        common: CommonConfig {
            listen: "127.0.0.1:0".parse()?,
            ..CommonConfig::default()
        },
        service: GatewaySettings {
            upstreams: BTreeMap::from([
                (
                    "identity".to_owned(),
                    format!("http://{}", upstream.identity),
                ),
                (
                    "property".to_owned(),
                    format!("http://{}", upstream.property),
                ),
            ]),
            rate_limits: RateLimitSettings {
                enabled: false,
                ..RateLimitSettings::default()
            },
            ..GatewaySettings::default()
        },
    })
    .await?;
    let addr = gateway.local_addr();
    tokio::spawn(gateway.run(std::future::pending()));
    Ok(addr)
}

/// The four ways to make one RPC.
struct Modes {
    rpc: String,
    calls: Vec<(&'static str, Call)>,
}

async fn modes(upstream: &Upstream, gateway: std::net::SocketAddr) -> anyhow::Result<Vec<Modes>> {
    let connect = |addr: std::net::SocketAddr| async move {
        Channel::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(anyhow::Error::from)
    };
    let direct_identity = connect(upstream.identity).await?;
    let direct_property = connect(upstream.property).await?;
    let through_gateway = connect(gateway).await?;
    // HTTP/1.1 with keep-alive, as browsers and most REST clients call.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .build()?;

    let jwks = {
        let grpc = |channel: Channel| -> Call {
            let client = IdentityServiceClient::new(channel);
            Arc::new(move || {
                let mut client = client.clone();
                Box::pin(async move { client.get_jwks(GetJwksRequest {}).await.is_ok() })
            })
        };
        Modes {
            rpc: "identity GetJwks (no database)".to_owned(),
            calls: vec![
                ("direct gRPC", grpc(direct_identity)),
                ("gateway gRPC", grpc(through_gateway.clone())),
                (
                    "gateway REST/JSON",
                    rest(&http, format!("http://{gateway}/.well-known/jwks.json")),
                ),
                (
                    "gateway grpc-web",
                    grpc_web(
                        &http,
                        format!("http://{gateway}/estospaces.identity.v1.IdentityService/GetJwks"),
                        &GetJwksRequest {},
                    ),
                ),
            ],
        }
    };
    let listing = {
        let request = property::GetPropertyRequest {
            name: upstream.listing.clone(),
        };
        let grpc = |channel: Channel| -> Call {
            let client = PropertyServiceClient::new(channel);
            let request = request.clone();
            Arc::new(move || {
                let mut client = client.clone();
                let request = request.clone();
                Box::pin(async move {
                    client
                        .get_property(request)
                        .await
                        .is_ok_and(|response| response.get_ref().property.is_some())
                })
            })
        };
        Modes {
            rpc: "property GetProperty (one database read)".to_owned(),
            calls: vec![
                ("direct gRPC", grpc(direct_property)),
                ("gateway gRPC", grpc(through_gateway)),
                (
                    "gateway REST/JSON",
                    rest(&http, format!("http://{gateway}/v1/{}", upstream.listing)),
                ),
                (
                    "gateway grpc-web",
                    grpc_web(
                        &http,
                        format!(
                            "http://{gateway}/estospaces.property.v1.PropertyService/GetProperty"
                        ),
                        &request,
                    ),
                ),
            ],
        }
    };
    Ok(vec![jwks, listing])
}

fn rest(http: &reqwest::Client, url: String) -> Call {
    let http = http.clone();
    Arc::new(move || {
        let request = http.get(&url);
        Box::pin(async move {
            match request.send().await {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            }
        })
    })
}

fn grpc_web(http: &reqwest::Client, url: String, message: &impl Message) -> Call {
    let http = http.clone();
    let body = bytes::Bytes::from(frame(&message.encode_to_vec()));
    Arc::new(move || {
        let request = http
            .post(&url)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .body(body.clone());
        Box::pin(async move {
            match request.send().await {
                Ok(response) => {
                    let header_ok = response
                        .headers()
                        .get("grpc-status")
                        .is_none_or(|status| status == "0");
                    match response.bytes().await {
                        Ok(body) => header_ok && trailer_ok(&body),
                        Err(_) => false,
                    }
                }
                Err(_) => false,
            }
        })
    })
}

async fn run(
    upstream: &Upstream,
    gateway: std::net::SocketAddr,
    postgres: bool,
) -> anyhow::Result<()> {
    let concurrency = env_number("BENCH_CONCURRENCY", 16) as usize;
    let closed_seconds = env_number("BENCH_SECONDS", 5);
    let open_seconds = env_number("BENCH_OPEN_SECONDS", 5);
    let rates: Vec<u64> = std::env::var("BENCH_RATES")
        .unwrap_or_else(|_| "500,2000".to_owned())
        .split(',')
        .filter_map(|rate| rate.trim().parse().ok())
        .collect();
    let skip_closed = std::env::var_os("BENCH_SKIP_CLOSED").is_some();
    let only = std::env::var("BENCH_ONLY").ok();

    println!(
        "Loopback, one process, separate runtimes for services, gateway and load generator; \
         property on {}; load average at start: {}\n",
        if postgres { "PostgreSQL" } else { "SQLite" },
        load_average()
    );
    for modes in modes(upstream, gateway).await? {
        if only
            .as_deref()
            .is_some_and(|only| !modes.rpc.to_lowercase().contains(&only.to_lowercase()))
        {
            continue;
        }
        for &rate in &rates {
            println!(
                "### {}: open loop, {rate} calls/s for {open_seconds} s\n",
                modes.rpc
            );
            let mut rows = Vec::new();
            for (name, call) in &modes.calls {
                rows.push((
                    *name,
                    open_loop(call.clone(), rate as f64, Duration::from_secs(open_seconds)).await,
                ));
            }
            print_open(&rows, rate);
        }
        if !skip_closed {
            println!(
                "### {}: closed loop, {concurrency} callers for {closed_seconds} s\n",
                modes.rpc
            );
            let mut rows = Vec::new();
            for (name, call) in &modes.calls {
                rows.push((
                    *name,
                    closed_loop(
                        call.clone(),
                        concurrency,
                        Duration::from_secs(closed_seconds),
                    )
                    .await,
                ));
            }
            print_closed(&rows);
        }
    }
    println!("Load average at the end: {}", load_average());
    Ok(())
}

// === Measuring ===

/// Latencies of the calls that succeeded, and how many failed.
#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    errors: u64,
}

impl Samples {
    fn percentile(&self, p: f64) -> Duration {
        // Sorted by the caller.
        let last = self.latencies.len().saturating_sub(1);
        self.latencies
            .get(((self.latencies.len() as f64 * p) as usize).min(last))
            .copied()
            .unwrap_or_default()
    }
}

struct OpenRow {
    achieved: f64,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
    /// How late the pacer started calls (its own scheduling noise), at the 99th percentile.
    pacer_lag_p99: Duration,
    errors: u64,
}

/// Open loop: calls start at `rate` per second on a schedule, independent of completions;
/// latency runs from each call's scheduled start.
async fn open_loop(call: Call, rate: f64, duration: Duration) -> OpenRow {
    // Warm-up at the same rate: connections open, pools fill.
    open_loop_once(call.clone(), rate, WARM_UP).await;
    let (samples, lags, elapsed) = open_loop_once(call, rate, duration).await;
    let mut lags = lags;
    lags.sort_unstable();
    let lag_p99 = lags
        .get((lags.len() as f64 * 0.99) as usize)
        .copied()
        .unwrap_or_default();
    OpenRow {
        achieved: samples.latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: samples.percentile(0.50),
        p99: samples.percentile(0.99),
        p999: samples.percentile(0.999),
        max: samples.latencies.last().copied().unwrap_or_default(),
        pacer_lag_p99: lag_p99,
        errors: samples.errors,
    }
}

async fn open_loop_once(
    call: Call,
    rate: f64,
    duration: Duration,
) -> (Samples, Vec<Duration>, Duration) {
    let runtime = tokio::runtime::Handle::current();
    let total = (rate * duration.as_secs_f64()) as u64;
    let interval_nanos = 1e9 / rate;
    let started = Instant::now() + Duration::from_millis(1);
    // A plain thread sleeping to each scheduled time: tokio's timer ticks in milliseconds, too
    // coarse for a call every 500 µs.
    let pacer = std::thread::Builder::new()
        .name("load-pacer".to_owned())
        .spawn(move || {
            let mut tasks = Vec::with_capacity(total as usize);
            let mut lags = Vec::with_capacity(total as usize);
            for index in 0..total {
                let scheduled =
                    started + Duration::from_nanos((index as f64 * interval_nanos) as u64);
                let now = Instant::now();
                if scheduled > now {
                    std::thread::sleep(scheduled - now);
                }
                lags.push(Instant::now().saturating_duration_since(scheduled));
                let call = call.clone();
                tasks.push(runtime.spawn(async move {
                    let ok = call().await;
                    (ok, scheduled.elapsed())
                }));
            }
            (tasks, lags)
        })
        .expect("a pacer thread");
    let (tasks, lags) = tokio::task::spawn_blocking(move || pacer.join())
        .await
        .expect("the pacer finishes")
        .expect("the pacer does not panic");
    let mut samples = Samples::default();
    for task in tasks {
        match task.await {
            Ok((true, latency)) => samples.latencies.push(latency),
            _ => samples.errors += 1,
        }
    }
    let elapsed = started.elapsed();
    samples.latencies.sort_unstable();
    (samples, lags, elapsed)
}

struct ClosedRow {
    throughput: f64,
    p50: Duration,
    p99: Duration,
    /// CPU time per call by role: load generator, gateway, services.
    cpu_per_call: Option<[Duration; 3]>,
    errors: u64,
}

/// Closed loop: `concurrency` callers each repeat the call until the time is up.
async fn closed_loop(call: Call, concurrency: usize, duration: Duration) -> ClosedRow {
    // Warm-up: connections open, caches fill.
    closed_loop_once(call.clone(), concurrency, WARM_UP).await;
    let cpu_before = cpu_by_role();
    let started = Instant::now();
    let mut samples = closed_loop_once(call, concurrency, duration).await;
    let elapsed = started.elapsed();
    let cpu_after = cpu_by_role();
    samples.latencies.sort_unstable();
    let calls = samples.latencies.len() as u32;
    let cpu_per_call = cpu_before.zip(cpu_after).map(|(before, after)| {
        [0, 1, 2].map(|role| after[role].saturating_sub(before[role]) / calls.max(1))
    });
    ClosedRow {
        throughput: samples.latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: samples.percentile(0.50),
        p99: samples.percentile(0.99),
        cpu_per_call,
        errors: samples.errors,
    }
}

async fn closed_loop_once(call: Call, concurrency: usize, duration: Duration) -> Samples {
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut samples = Samples::default();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    if call().await {
                        samples.latencies.push(started.elapsed());
                    } else {
                        samples.errors += 1;
                    }
                }
                samples
            })
        })
        .collect();
    let mut all = Samples::default();
    for worker in workers {
        if let Ok(mut samples) = worker.await {
            all.latencies.append(&mut samples.latencies);
            all.errors += samples.errors;
        }
    }
    all
}

/// CPU time used so far by this process's threads, by role: `[load, gateway, services]`.
/// Services include SQLite's worker threads; `None` where `/proc` has no `schedstat`.
fn cpu_by_role() -> Option<[Duration; 3]> {
    let mut totals = [Duration::ZERO; 3];
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
            continue; // The thread ended meanwhile.
        };
        let Ok(schedstat) = std::fs::read_to_string(path.join("schedstat")) else {
            continue;
        };
        let nanos: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
        let role = if name.starts_with("load") {
            0
        } else if name.starts_with("gw") {
            1
        } else if name.starts_with("svc") || name.starts_with("sqlx") {
            2
        } else {
            continue; // The main thread only waits.
        };
        totals[role] += Duration::from_nanos(nanos);
    }
    Some(totals)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

// === Printing ===

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn added(value: Duration, direct: Duration) -> String {
    let delta = value.as_secs_f64() - direct.as_secs_f64();
    format!("{:+.2} ms", delta * 1000.0)
}

fn print_open(rows: &[(&str, OpenRow)], rate: u64) {
    let Some((_, direct)) = rows.first() else {
        return;
    };
    println!(
        "| mode | target/s | achieved/s | p50 | p99 | p99.9 | max | added p50 | added p99 | pacer lag p99 | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, row) in rows {
        println!(
            "| {name} | {rate} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.achieved,
            ms(row.p50),
            ms(row.p99),
            ms(row.p999),
            ms(row.max),
            added(row.p50, direct.p50),
            added(row.p99, direct.p99),
            ms(row.pacer_lag_p99),
            row.errors
        );
    }
    println!("\nload average: {}\n", load_average());
}

fn print_closed(rows: &[(&str, ClosedRow)]) {
    let Some((_, direct)) = rows.first() else {
        return;
    };
    println!(
        "| mode | calls/s | vs direct | p50 | p99 | CPU/call: load gen | gateway | services | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, row) in rows {
        let [load, gateway, services] = row
            .cpu_per_call
            .map(|cpu| cpu.map(|d| format!("{} µs", d.as_micros())))
            .unwrap_or_else(|| ["n/a".to_owned(), "n/a".to_owned(), "n/a".to_owned()]);
        println!(
            "| {name} | {:.0} | {:.0} % | {} | {} | {load} | {gateway} | {services} | {} |",
            row.throughput,
            100.0 * row.throughput / direct.throughput,
            ms(row.p50),
            ms(row.p99),
            row.errors
        );
    }
    println!("\nload average: {}\n", load_average());
}

// === grpc-web framing ===

fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// Whether a grpc-web body's trailer frame (if any) says `grpc-status: 0`.
fn trailer_ok(mut body: &[u8]) -> bool {
    while body.len() >= 5 {
        let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        if body.len() < 5 + length {
            return false;
        }
        if body[0] & 0x80 != 0 {
            return String::from_utf8_lossy(&body[5..5 + length]).contains("grpc-status:0");
        }
        body = &body[5 + length..];
    }
    true
}
