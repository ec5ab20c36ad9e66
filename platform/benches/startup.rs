//! How long `estospaces` takes from start to ready: every service migrated and bound, and the
//! gateway's `/readyz` answering 200 (every upstream SERVING). Measured on a fresh data directory
//! (first start: databases created, migrations applied, identity's first signing key made) and
//! again on the same directory (a restart).
//!
//! ```sh
//! cargo bench -p estospaces --bench startup        # BENCH_RUNS=5 by default
//! ```

use std::time::{Duration, Instant};

use estospaces::{Platform, PlatformConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(5);
    let http = reqwest::Client::new();
    let mut first = Vec::new();
    let mut restart = Vec::new();
    for _ in 0..runs {
        let data = tempfile::tempdir()?;
        first.push(start_until_ready(&http, data.path()).await?);
        restart.push(start_until_ready(&http, data.path()).await?);
    }
    println!("start to ready over {runs} runs (min / median / max):");
    for (label, mut times) in [
        ("fresh data directory", first),
        ("restart on existing data", restart),
    ] {
        times.sort();
        println!(
            "  {label:<26} {:>7.0} ms / {:>7.0} ms / {:>7.0} ms",
            millis(times[0]),
            millis(times[times.len() / 2]),
            millis(times[times.len() - 1]),
        );
    }
    Ok(())
}

/// Starts the platform on `data_dir`, waits for `/readyz`, stops it; returns the time to ready.
async fn start_until_ready(
    http: &reqwest::Client,
    data_dir: &std::path::Path,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut config = PlatformConfig::default();
    config.common.listen = "127.0.0.1:0".parse()?;
    config.common.data_dir = data_dir.to_owned();
    config.common.shutdown_grace = Duration::from_secs(1);
    let platform = Platform::build(config).await?;
    let ready = format!("http://{}/readyz", platform.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(platform.run(async {
        let _ = stopped.await;
    }));
    loop {
        if let Ok(response) = http.get(&ready).send().await
            && response.status().is_success()
        {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "not ready within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    running.await??;
    Ok(elapsed)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}
