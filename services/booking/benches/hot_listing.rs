//! CreateBooking under contention, on PostgreSQL: 50 concurrent clients booking one hot listing,
//! the same clients spread over many listings, and confirmed bookings per second end to end.
//!
//! ```text
//! cargo bench -p estospaces-booking --bench hot_listing
//! BENCH_SECONDS=20 BENCH_CONCURRENCY=50 cargo bench -p estospaces-booking --bench hot_listing
//! ```
//!
//! Everything runs in this process on loopback: the property service (quotes, listings,
//! availability; every CreateBooking calls it three times), the booking service, both on
//! fresh PostgreSQL databases (`ESTOSPACES_TEST_DATABASE_URL`), and the load generator. Each
//! client books random stays of 1–3 nights within the next year, in a closed loop for
//! `BENCH_SECONDS`; an attempt either holds its nights or is refused with NIGHTS_UNAVAILABLE,
//! anything else counts as an error. The end-to-end phase starts the real payment service
//! (sandbox provider) beside them on the embedded event log, creates bookings of distinct
//! nights and counts bookings confirmed per second: CreateBooking, `booking.requested` through
//! the relay, the payment service authorizing, `payment.authorized` back, the booking
//! confirmed. Prints Markdown tables.

#[allow(dead_code, unused_imports)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use estospaces_auth::Role;
use estospaces_proto::property_v1 as property;
use helpers::{Backend, TestStack, authorized, in_days, reason};
use rand::Rng as _;
use sqlx::Row;

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

/// What one load phase saw.
#[derive(Debug, Default)]
struct Phase {
    latencies: Vec<Duration>,
    held: usize,
    conflicts: usize,
    errors: usize,
    elapsed: Duration,
}

impl Phase {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    }

    fn row(&self, name: &str) -> String {
        let attempts = self.latencies.len();
        format!(
            "| {name} | {attempts} | {:.0} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
            attempts as f64 / self.elapsed.as_secs_f64(),
            self.held,
            self.conflicts,
            self.errors,
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.percentile(1.0).as_secs_f64() * 1e3,
        )
    }
}

/// `clients` closed loops of CreateBooking for `seconds` over `listings`.
async fn load(stack: &TestStack, listings: &[String], clients: usize, seconds: u64) -> Phase {
    let listings = Arc::new(listings.to_vec());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let mut client = stack.bookings.clone();
            let guest = stack.token(&[Role::Guest]);
            let listings = listings.clone();
            tokio::spawn(async move {
                let mut phase = Phase::default();
                while Instant::now() < deadline {
                    let (listing, start, nights) = {
                        let mut rng = rand::thread_rng();
                        (
                            listings[rng.gen_range(0..listings.len())].clone(),
                            rng.gen_range(1..=365),
                            rng.gen_range(1..=3),
                        )
                    };
                    let request =
                        TestStack::request(&listing, in_days(start), in_days(start + nights));
                    let sent = Instant::now();
                    let result = client.create_booking(authorized(request, &guest)).await;
                    phase.latencies.push(sent.elapsed());
                    match result {
                        Ok(_) => phase.held += 1,
                        Err(status) if reason(&status) == "NIGHTS_UNAVAILABLE" => {
                            phase.conflicts += 1;
                        }
                        Err(status) => {
                            if phase.errors == 0 {
                                eprintln!("error: {status:?}");
                            }
                            phase.errors += 1;
                        }
                    }
                }
                phase
            })
        })
        .collect();
    let mut total = Phase::default();
    for task in tasks {
        let phase = task.await.expect("a client ran");
        total.latencies.extend(phase.latencies);
        total.held += phase.held;
        total.conflicts += phase.conflicts;
        total.errors += phase.errors;
    }
    total.elapsed = started.elapsed();
    total
}

async fn listings(stack: &mut TestStack, host: &str, count: usize) -> Vec<String> {
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        names.push(stack.listing(host, property::BookingMode::Instant).await);
    }
    names
}

async fn run() -> anyhow::Result<()> {
    let seconds = env_number("BENCH_SECONDS", 10);
    let clients = usize::try_from(env_number("BENCH_CONCURRENCY", 50))?;
    let confirmations = usize::try_from(env_number("BENCH_CONFIRMATIONS", 500))?;

    let mut stack = helpers::spawn_stack(Backend::Postgres).await;
    let host = stack.token(&[Role::Host]);
    let hot = listings(&mut stack, &host, 1).await;
    let many = listings(&mut stack, &host, 100).await;

    println!("| load | attempts | attempts/s | held | conflicts | errors | p50 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let phase = load(&stack, &hot, clients, seconds).await;
    println!(
        "{}",
        phase.row(&format!("{clients} clients, 1 hot listing"))
    );
    let phase = load(&stack, &many, clients, seconds).await;
    println!("{}", phase.row(&format!("{clients} clients, 100 listings")));

    // End to end, with the real payment service (sandbox provider) on the event log: create,
    // booking.requested, authorize, payment.authorized, confirmed.
    drop(stack);
    let mut stack = helpers::spawn_stack_with(
        Backend::Postgres,
        helpers::Options {
            kafka: false,
            payment: true,
            ..helpers::Options::default()
        },
        |_| {},
    )
    .await;
    let host = stack.token(&[Role::Host]);
    let fresh = listings(&mut stack, &host, 50).await;
    let started = Instant::now();
    let stack = Arc::new(stack);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(clients));
    let tasks: Vec<_> = (0..confirmations)
        .map(|i| {
            let stack = stack.clone();
            let semaphore = semaphore.clone();
            let listing = fresh[i % fresh.len()].clone();
            let guest = stack.token(&[Role::Guest]);
            // Distinct nights per listing: none of these conflict.
            let start = i64::try_from(i / fresh.len()).unwrap_or(0) * 2 + 1;
            tokio::spawn(async move {
                let _permit = semaphore.acquire().await.expect("open");
                let mut client = stack.bookings.clone();
                let request = TestStack::request(&listing, in_days(start), in_days(start + 1));
                client
                    .create_booking(authorized(request, &guest))
                    .await
                    .expect("distinct nights are held");
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let created = started.elapsed();
    let pool = stack.database.database.pool();
    loop {
        let confirmed: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM bookings WHERE state = 'confirmed'")
                .fetch_one(pool)
                .await?
                .try_get("n")?;
        if usize::try_from(confirmed)? >= confirmations {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "only {confirmed} of {confirmations} bookings confirmed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    println!();
    println!("| end to end | bookings | created in | all confirmed in | confirmed/s |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| create → payment service authorizes → confirmed, {clients} clients | {confirmations} | {:.2} s | {:.2} s | {:.0} |",
        created.as_secs_f64(),
        elapsed.as_secs_f64(),
        confirmations as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
