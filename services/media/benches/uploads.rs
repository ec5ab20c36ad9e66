//! Uploads per second and the time from an upload to all its variants, for 12-megapixel
//! photos, on PostgreSQL with the bytes in a local directory.
//!
//! ```text
//! cargo bench -p estospaces-media --bench uploads
//! BENCH_SECONDS=20 BENCH_CONCURRENCY=8 cargo bench -p estospaces-media --bench uploads
//! ```
//!
//! Everything runs in this process on loopback: the identity service (tokens), the media
//! service on a fresh PostgreSQL database (`ESTOSPACES_TEST_DATABASE_URL`) and the clients.
//! The photo is a 4000×3000 JPEG (quality 90) with noise, so it compresses like a camera's.
//!
//! 1. **Time to all variants**: one photo at a time; the clock runs from sending the upload
//!    to `GetMedia` saying READY (polled every 5 ms), for `BENCH_PHOTOS` photos.
//! 2. **Uploads per second**: `BENCH_CONCURRENCY` clients upload in a closed loop for
//!    `BENCH_SECONDS`; an upload counts once the service acknowledged it (stored and recorded;
//!    variants are made behind). Then the clock runs on until every variant is made, which
//!    gives how many photos a second the processing keeps up with.

#[allow(dead_code, unused_imports)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use estospaces_proto::media_v1 as pb;
use helpers::{Backend, Store, spawn_app};
use image::{Rgb, RgbImage};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A 12-megapixel photo: gradients and noise, so it is as hard to compress as a real one.
fn twelve_megapixels() -> Vec<u8> {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let image = RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed % 24) as u8;
        Rgb([
            ((x / 16) % 200) as u8 + noise,
            ((y / 12) % 200) as u8 + noise,
            (((x + y) / 20) % 200) as u8 + noise,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .expect("encodes");
    out
}

fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1e3)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let seconds = env_number("BENCH_SECONDS", 10);
    let concurrency = env_number("BENCH_CONCURRENCY", 8) as usize;
    let photos = env_number("BENCH_PHOTOS", 5) as usize;
    let photo = twelve_megapixels();
    println!(
        "photo: 4000×3000 JPEG, {:.1} MB; {} CPUs",
        photo.len() as f64 / 1e6,
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let mut app = spawn_app(Backend::Postgres, Store::Directory, |_| {}).await;
    let user = app.user("bench@example.com").await;

    // 1. One at a time: upload to all variants.
    let mut acknowledged = Vec::new();
    let mut ready = Vec::new();
    for i in 0..photos {
        let started = Instant::now();
        let media = app
            .upload(
                &user,
                &format!("photo-{i}.jpg"),
                pb::Visibility::Public,
                &photo,
            )
            .await?;
        acknowledged.push(started.elapsed());
        loop {
            let current = app
                .media
                .get_media(helpers::authorized(
                    pb::GetMediaRequest {
                        name: media.name.clone(),
                    },
                    &user.token,
                ))
                .await?
                .into_inner()
                .media
                .expect("media");
            if current.state == pb::media::State::Ready as i32 {
                break;
            }
            anyhow::ensure!(
                current.state == pb::media::State::Processing as i32,
                "rejected: {}",
                current.rejection_reason
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ready.push(started.elapsed());
    }
    println!("\n| 12 MP photo, one at a time | p50 | max |");
    println!("|---|---|---|");
    println!(
        "| upload acknowledged (sniffed, checked, stored, recorded) | {} | {} |",
        ms(percentile(&acknowledged, 0.5)),
        ms(percentile(&acknowledged, 1.0))
    );
    println!(
        "| all six variants ready | {} | {} |",
        ms(percentile(&ready, 0.5)),
        ms(percentile(&ready, 1.0))
    );

    // 2. Closed loop: uploads per second, then the processing backlog drained.
    let before = app.store.waiting_jobs().await?;
    anyhow::ensure!(before == 0, "jobs left from phase 1");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..concurrency {
        let mut media = app.media.clone();
        let photo = photo.clone();
        let token = user.token.clone();
        clients.spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let messages = std::iter::once(pb::UploadMediaRequest {
                    part: Some(pb::upload_media_request::Part::Metadata(
                        pb::UploadMetadata {
                            filename: format!("load-{client}-{n}.jpg"),
                            ..Default::default()
                        },
                    )),
                })
                .chain(
                    photo
                        .chunks(256 * 1024)
                        .map(|chunk| pb::UploadMediaRequest {
                            part: Some(pb::upload_media_request::Part::Chunk(chunk.to_vec())),
                        }),
                )
                .collect::<Vec<_>>();
                let sent = Instant::now();
                media
                    .upload_media(helpers::authorized(tokio_stream::iter(messages), &token))
                    .await
                    .expect("accepted");
                latencies.push(sent.elapsed());
                n += 1;
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = clients.join_next().await {
        latencies.extend(done?);
    }
    let upload_time = started.elapsed();
    loop {
        if app.store.waiting_jobs().await? == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = started.elapsed();
    let uploads = latencies.len();
    println!("\n| {concurrency} clients for {seconds} s | value |");
    println!("|---|---|");
    println!(
        "| uploads acknowledged | {uploads} ({:.1}/s, {:.0} MB/s) |",
        uploads as f64 / upload_time.as_secs_f64(),
        (uploads * photo.len()) as f64 / 1e6 / upload_time.as_secs_f64()
    );
    println!(
        "| upload latency p50 / p99 | {} / {} |",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99))
    );
    println!(
        "| every variant made after | {:.1} s ({:.2} photos/s processed) |",
        drained.as_secs_f64(),
        uploads as f64 / drained.as_secs_f64()
    );
    Ok(())
}
