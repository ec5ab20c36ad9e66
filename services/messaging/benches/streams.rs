//! Live delivery under load: `BENCH_STREAMS` users each follow their conversations on a stream
//! while messages are sent at `BENCH_RATE` a second; the figure is the time from sending a
//! message to its recipient's stream carrying it.
//!
//! ```text
//! cargo bench -p estospaces-messaging --bench streams
//! BENCH_BACKEND=postgres BENCH_STREAMS=1000 BENCH_RATE=500 BENCH_SECONDS=20 \
//!   cargo bench -p estospaces-messaging --bench streams
//! ```
//!
//! Everything runs in this process on loopback: the property service (the listings asked
//! about), the messaging service on SQLite (the embedded default) or on a fresh PostgreSQL
//! database (`BENCH_BACKEND=postgres`, `ESTOSPACES_TEST_DATABASE_URL`), and the clients.
//!
//! 1. Half the users are hosts with a listing each, half are guests; each guest asks one host
//!    (`CreateInquiry`), so there are `BENCH_STREAMS / 2` conversations.
//! 2. Every user opens `StreamConversationEvents`, over 16 HTTP/2 connections.
//! 3. Messages go out on a fixed schedule (open loop: a slow answer does not slow the sender),
//!    round-robin over the conversations, guest and host in turn, for `BENCH_SECONDS`. Each
//!    carries the time it was sent; the recipient's stream notes when it arrived.
//!
//! The per-sender rate limit is lifted: each user sends one message a second here, which is
//! over the default 30 a minute, and the limit is not what is measured.

#[allow(dead_code, unused_imports)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use estospaces_proto::messaging_v1 as pb;
use estospaces_proto::messaging_v1::messaging_service_client::MessagingServiceClient;
use futures::StreamExt as _;
use helpers::{Backend, TestApp, User, authorized, spawn_app_with};
use pb::stream_conversation_events_response::Event;
use tonic::transport::Channel;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

struct Pair {
    guest: User,
    host: User,
    conversation: String,
}

async fn run() -> anyhow::Result<()> {
    let streams = env_number("BENCH_STREAMS", 1000).max(2) as usize;
    let rate = env_number("BENCH_RATE", 500).max(1);
    let seconds = env_number("BENCH_SECONDS", 20).max(1);
    let backend = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let app = spawn_app_with(backend, false, |settings| {
        settings.messages_per_minute = 1_000_000;
    })
    .await;
    let channels = connections(&app, 16).await?;

    // 1. The conversations, asked through the API as guests would.
    let started = Instant::now();
    let pairs = streams / 2;
    let app = Arc::new(tokio::sync::Mutex::new(app));
    let made: Vec<Pair> = futures::stream::iter(0..pairs)
        .map(|index| {
            let app = app.clone();
            async move {
                let (host, listing, guest) = {
                    let mut app = app.lock().await;
                    let (host, listing) = app.listing().await;
                    (host, listing, app.user())
                };
                let mut client = app.lock().await.messaging.clone();
                let asked = client
                    .create_inquiry(authorized(
                        pb::CreateInquiryRequest {
                            listing,
                            message: Some(helpers::text(&format!("Question {index}"))),
                        },
                        &guest.token,
                    ))
                    .await
                    .expect("the inquiry is made")
                    .into_inner();
                Pair {
                    guest,
                    host,
                    conversation: asked.conversation.expect("a conversation").name,
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    println!(
        "{pairs} conversations between {} users made in {:.1} s",
        pairs * 2,
        started.elapsed().as_secs_f64()
    );

    // 2. Every user's stream.
    let base = Instant::now();
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let mut readers = Vec::new();
    for (index, user) in made
        .iter()
        .flat_map(|pair| [&pair.guest, &pair.host])
        .enumerate()
    {
        let mut client = MessagingServiceClient::new(channels[index % channels.len()].clone());
        let mut events = client
            .stream_conversation_events(authorized(
                pb::StreamConversationEventsRequest {
                    parent: user.name.clone(),
                    after_cursor: String::new(),
                },
                &user.token,
            ))
            .await?
            .into_inner();
        let me = user.name.clone();
        let latencies = latencies.clone();
        readers.push(tokio::spawn(async move {
            while let Ok(Some(event)) = events.message().await {
                let Some(Event::MessageSent(message)) = event.event else {
                    continue;
                };
                if message.sender == me {
                    continue; // one's own message, on one's other devices
                }
                // The request id says when it was sent: "bench-<micros since base>" (the text
                // would have a long number masked as a phone number).
                if let Some(sent) = message
                    .request_id
                    .strip_prefix("bench-")
                    .and_then(|micros| micros.parse::<u64>().ok())
                {
                    let arrived = base.elapsed();
                    let latency = arrived.saturating_sub(Duration::from_micros(sent));
                    latencies.lock().expect("not poisoned").push(latency);
                }
            }
        }));
    }
    println!("{} streams open", readers.len());
    tokio::time::sleep(Duration::from_secs(1)).await;

    // 3. Messages on a fixed schedule.
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let failures = Arc::new(Mutex::new(HashMap::<String, u64>::new()));
    let send_start = Instant::now();
    let mut sends = Vec::with_capacity(total as usize);
    for k in 0..total {
        tokio::time::sleep_until((send_start + interval * k as u32).into()).await;
        let pair = &made[k as usize % made.len()];
        let sender = if (k as usize / made.len()).is_multiple_of(2) {
            &pair.guest
        } else {
            &pair.host
        };
        let mut client = MessagingServiceClient::new(channels[k as usize % channels.len()].clone());
        let request = authorized(
            pb::SendMessageRequest {
                parent: pair.conversation.clone(),
                message: Some(pb::Message {
                    text: "Is the flat free next week?".to_owned(),
                    request_id: format!("bench-{}", base.elapsed().as_micros()),
                    ..Default::default()
                }),
            },
            &sender.token,
        );
        let failures = failures.clone();
        sends.push(tokio::spawn(async move {
            if let Err(status) = client.send_message(request).await {
                *failures
                    .lock()
                    .expect("not poisoned")
                    .entry(format!("{:?}", status.code()))
                    .or_default() += 1;
            }
        }));
    }
    for send in sends {
        send.await?;
    }
    let sent_in = send_start.elapsed();
    let failed: u64 = failures.lock().expect("not poisoned").values().sum();
    let expected = (total - failed) as usize;
    let deadline = Instant::now() + Duration::from_secs(10);
    while latencies.lock().expect("not poisoned").len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for reader in &readers {
        reader.abort();
    }
    let mut latencies = latencies.lock().expect("not poisoned").clone();
    latencies.sort();

    println!();
    println!("| {streams} streams, {rate} messages/s for {seconds} s ({backend:?}) | value |");
    println!("|---|---|");
    println!(
        "| messages sent | {total} in {:.1} s ({:.0}/s), {failed} refused {:?} |",
        sent_in.as_secs_f64(),
        total as f64 / sent_in.as_secs_f64(),
        failures.lock().expect("not poisoned")
    );
    println!(
        "| delivered to the recipient's stream | {} of {expected} |",
        latencies.len()
    );
    if !latencies.is_empty() {
        println!(
            "| delivery p50 / p90 / p99 / max | {} / {} / {} / {} |",
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.90)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().expect("not empty"))
        );
    }
    Ok(())
}

/// `count` HTTP/2 connections to the messaging service.
async fn connections(app: &TestApp, count: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        channels.push(
            Channel::from_shared(app.messaging_url.clone())?
                .http2_adaptive_window(true)
                .connect()
                .await?,
        );
    }
    Ok(channels)
}
