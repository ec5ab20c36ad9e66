//! One unary RPC (identity's `GetJwks`: public, no database) called four ways in one run:
//! directly over gRPC, and through the gateway over gRPC, REST and grpc-web.
//!
//! ```text
//! cargo bench -p estospaces-gateway --bench gateway
//! BENCH_SECONDS=10 BENCH_CONCURRENCY=32 cargo bench -p estospaces-gateway --bench gateway
//! ```
//!
//! Everything runs in this process on loopback: identity (SQLite in a temporary directory), the
//! gateway and the load generator share the machine's cores, as they would share a small node.
//! Each mode gets a warm-up, then `BENCH_SECONDS` of closed-loop load from `BENCH_CONCURRENCY`
//! callers. Prints a Markdown table.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use estospaces_config::CommonConfig;
use estospaces_gateway::config::RateLimitSettings;
use estospaces_gateway::{GatewayConfig, GatewaySettings};
use estospaces_identity::IdentityConfig;
use estospaces_proto::identity_v1::GetJwksRequest;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use prost::Message;
use tonic::transport::Channel;

const WARM_UP: Duration = Duration::from_secs(1);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let seconds = env_number("BENCH_SECONDS", 5);
    let concurrency = env_number("BENCH_CONCURRENCY", 16) as usize;
    let data = tempfile::tempdir()?;

    let identity = estospaces_identity::Application::build(IdentityConfig {
        common: CommonConfig {
            listen: "127.0.0.1:0".parse()?,
            data_dir: data.path().to_owned(),
            max_concurrent_requests: 100_000,
            ..CommonConfig::default()
        },
        service: Default::default(),
    })
    .await?;
    let identity_addr = identity.local_addr();
    tokio::spawn(identity.run(std::future::pending()));

    let gateway = estospaces_gateway::Application::build(GatewayConfig {
        common: CommonConfig {
            listen: "127.0.0.1:0".parse()?,
            ..CommonConfig::default()
        },
        service: GatewaySettings {
            upstreams: BTreeMap::from([("identity".to_owned(), format!("http://{identity_addr}"))]),
            rate_limits: RateLimitSettings {
                enabled: false,
                ..RateLimitSettings::default()
            },
            ..GatewaySettings::default()
        },
    })
    .await?;
    let gateway_addr = gateway.local_addr();
    tokio::spawn(gateway.run(std::future::pending()));

    let direct = Channel::from_shared(format!("http://{identity_addr}"))?
        .connect()
        .await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let duration = Duration::from_secs(seconds);

    let mut rows = Vec::new();
    {
        let client = IdentityServiceClient::new(direct);
        rows.push(
            measure("direct gRPC", concurrency, duration, move || {
                let mut client = client.clone();
                async move { client.get_jwks(GetJwksRequest {}).await.is_ok() }
            })
            .await,
        );
    }
    {
        let through_gateway = Channel::from_shared(format!("http://{gateway_addr}"))?
            .connect()
            .await?;
        let client = IdentityServiceClient::new(through_gateway);
        rows.push(
            measure("gateway gRPC", concurrency, duration, move || {
                let mut client = client.clone();
                async move { client.get_jwks(GetJwksRequest {}).await.is_ok() }
            })
            .await,
        );
    }
    {
        let http = http.clone();
        let url = format!("http://{gateway_addr}/.well-known/jwks.json");
        rows.push(
            measure("gateway REST/JSON", concurrency, duration, move || {
                let request = http.get(&url);
                async move {
                    match request.send().await {
                        Ok(response) => {
                            response.status().is_success() && response.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    }
                }
            })
            .await,
        );
    }
    {
        let http = http.clone();
        let url = format!("http://{gateway_addr}/estospaces.identity.v1.IdentityService/GetJwks");
        let body = bytes::Bytes::from(frame(&GetJwksRequest {}.encode_to_vec()));
        rows.push(
            measure("gateway grpc-web", concurrency, duration, move || {
                let request = http
                    .post(&url)
                    .header("content-type", "application/grpc-web+proto")
                    .header("x-grpc-web", "1")
                    .body(body.clone());
                async move {
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
                }
            })
            .await,
        );
    }

    let direct_rps = rows[0].throughput;
    println!(
        "GetJwks, {concurrency} concurrent callers, {seconds} s per mode, loopback, one process\n"
    );
    println!("| mode | calls/s | vs direct | p50 | p99 | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {:.0} | {:.0} % | {:.2} ms | {:.2} ms | {} |",
            row.name,
            row.throughput,
            100.0 * row.throughput / direct_rps,
            row.p50.as_secs_f64() * 1000.0,
            row.p99.as_secs_f64() * 1000.0,
            row.errors
        );
    }
    Ok(())
}

struct Row {
    name: &'static str,
    throughput: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

/// Closed-loop load: `concurrency` callers each repeat `call` until the time is up.
async fn measure<F, Fut>(name: &'static str, concurrency: usize, duration: Duration, call: F) -> Row
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    // Warm-up: connections open, caches fill.
    run_for(call.clone(), concurrency, WARM_UP).await;
    let started = Instant::now();
    let results = run_for(call, concurrency, duration).await;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut errors = 0;
    for (mut samples, failed) in results {
        latencies.append(&mut samples);
        errors += failed;
    }
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Row {
        name,
        throughput: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(0.50),
        p99: percentile(0.99),
        errors,
    }
}

async fn run_for<F, Fut>(
    call: Arc<F>,
    concurrency: usize,
    duration: Duration,
) -> Vec<(Vec<Duration>, u64)>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut errors = 0;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    if call().await {
                        samples.push(started.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (samples, errors)
            })
        })
        .collect();
    let mut results = Vec::new();
    for worker in workers {
        if let Ok(result) = worker.await {
            results.push(result);
        }
    }
    results
}

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
