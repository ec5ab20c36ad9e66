//! Variants, made off the request path.
//!
//! `media.uploaded` is consumed like any event (exactly once, through the inbox) and becomes a
//! row in `media_jobs`. The [`Processor`] worker claims due jobs, decodes and encodes on
//! blocking threads, writes the variants (fixed names, so a retry overwrites), then records
//! `ready` or `rejected` with its event and deletes the job in one transaction. A crash
//! anywhere leaves the job for the next claim; a claim expires after [`LEASE`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_host::Stopping;
use estospaces_proto::media_v1 as pb;
use sqlx::AnyConnection;
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

use crate::domain::{Kind, State, parse_media_name};
use crate::images::{self, Processed};
use crate::library::{Library, event};
use crate::objects;
use crate::store::{Job, MediaStore};

/// How long a claimed job is left to its worker before another may take it: after a crash,
/// how long an image waits. Far longer than processing the largest image takes.
pub const LEASE: Duration = Duration::from_secs(60);

/// Jobs looked at per pass.
const BATCH: i64 = 16;

/// Queues processing for each uploaded image.
#[derive(Debug, Clone)]
pub struct UploadedHandler {
    wake: Arc<Notify>,
}

impl UploadedHandler {
    pub fn new(wake: Arc<Notify>) -> Self {
        Self { wake }
    }
}

impl EventHandler for UploadedHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<pb::MediaUploaded>() {
            return Ok(());
        }
        let uploaded: pb::MediaUploaded = event.payload().map_err(HandlerError::permanent)?;
        let Some(media) = uploaded.media else {
            return Ok(());
        };
        if media.kind != pb::MediaKind::Image as i32 {
            return Ok(());
        }
        let id = parse_media_name(&media.name)
            .ok_or_else(|| HandlerError::permanent(format!("not a media name: {}", media.name)))?;
        MediaStore::queue_job(tx, &id.to_string(), SystemTime::now()).await?;
        self.wake.notify_one();
        Ok(())
    }
}

/// The worker that makes variants.
#[derive(Debug, Clone)]
pub struct Processor {
    library: Library,
    wake: Arc<Notify>,
    permits: Arc<Semaphore>,
    poll: Duration,
}

impl Processor {
    /// Processes up to `concurrency` images at once (0: one per CPU).
    pub fn new(library: Library, wake: Arc<Notify>, concurrency: usize) -> Self {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            concurrency
        };
        Self {
            library,
            wake,
            permits: Arc::new(Semaphore::new(concurrency)),
            poll: Duration::from_secs(1),
        }
    }

    /// Runs until stopped: woken by new jobs, and every second for retries.
    pub async fn run(self, stopping: Stopping) {
        let mut stopping = stopping.into_receiver();
        let mut running = tokio::task::JoinSet::new();
        loop {
            if *stopping.borrow() {
                break;
            }
            match self.library.store.due_jobs(SystemTime::now(), BATCH).await {
                Ok(jobs) => {
                    for job in jobs {
                        let Ok(permit) = self.permits.clone().acquire_owned().await else {
                            break;
                        };
                        let processor = self.clone();
                        running.spawn(async move {
                            processor.take(job).await;
                            drop(permit);
                        });
                    }
                }
                Err(err) => tracing::warn!("reading media jobs: {err}"),
            }
            while running.try_join_next().is_some() {}
            tokio::select! {
                _ = stopping.changed() => {}
                () = self.wake.notified() => {
                    // Woken from inside the consumer's transaction: let it commit.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                () = tokio::time::sleep(self.poll) => {}
            }
        }
        // Images in hand are finished (seconds at most); what the host cuts short stays
        // claimed and is taken again after the lease.
        while running.join_next().await.is_some() {}
    }

    async fn take(&self, job: Job) {
        let store = &self.library.store;
        match store.claim_job(&job, SystemTime::now(), LEASE).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(media = %job.media, "claiming a media job: {err}");
                return;
            }
        }
        if let Err(err) = self.process(job.media).await {
            let delay = backoff(job.attempts);
            tracing::warn!(media = %job.media, attempt = job.attempts + 1, "processing failed, retrying in {delay:?}: {err:#}");
            if let Err(err) = store
                .retry_job(job.media, SystemTime::now() + delay, &format!("{err:#}"))
                .await
            {
                tracing::warn!(media = %job.media, "rescheduling a media job: {err}");
            }
        }
    }

    /// Makes the variants of `id` and records the outcome. An error is transient (storage,
    /// database); an unusable image is an outcome, not an error.
    pub async fn process(&self, id: Uuid) -> anyhow::Result<()> {
        let library = &self.library;
        let Some(mut media) = library.store.media(id).await? else {
            library.store.drop_job(id).await?;
            return Ok(());
        };
        if media.state != State::Processing || media.kind != Kind::Image {
            library.store.drop_job(id).await?;
            return Ok(());
        }
        let started = std::time::Instant::now();
        let bytes = library.objects.get(&objects::original(id)).await?;
        let limits = library.limits.clone();
        let outcome = tokio::task::spawn_blocking(move || images::process(&bytes, &limits)).await?;
        let recorded = match outcome {
            Ok(Processed {
                width,
                height,
                blurhash,
                variants,
            }) => {
                for (variant, bytes) in &variants {
                    library
                        .objects
                        .put(&objects::variant(id, &variant.file), bytes.clone().into())
                        .await?;
                }
                media.state = State::Ready;
                media.width = width;
                media.height = height;
                media.blurhash = blurhash;
                media.variants = variants.into_iter().map(|(variant, _)| variant).collect();
                media.ready_at = Some(SystemTime::now());
                let ready = event("media.ready", &media, |media| pb::MediaReady { media });
                library.store.finish_processing(&media, ready).await?
            }
            Err(unusable) => {
                media.state = State::Rejected;
                media.rejection_reason = unusable.0;
                let rejected = event("media.rejected", &media, |media| pb::MediaRejected {
                    media,
                });
                let recorded = library.store.finish_processing(&media, rejected).await?;
                if recorded {
                    library.objects.delete(&objects::original(id)).await?;
                    library
                        .objects
                        .delete_prefix(&objects::variants(id))
                        .await?;
                }
                recorded
            }
        };
        if recorded {
            metrics::histogram!("estospaces_media_processing_duration_seconds")
                .record(started.elapsed());
            metrics::counter!("estospaces_media_processed_total", "state" => media.state.as_str())
                .increment(1);
        }
        Ok(())
    }
}

/// The wait before retry `attempts + 1`: 1 s doubling, at most 5 min.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.min(9)).min(Duration::from_secs(300))
}

/// Sweeps what nothing will finish or serve: resumable uploads past their expiry, and objects
/// no row names (a crash between storing bytes and recording them, or between deleting a
/// row and its bytes) once they are older than [`ORPHAN_AGE`]. Also reports how many images
/// wait for their variants.
#[derive(Debug, Clone)]
pub struct Sweeper {
    pub library: Library,
    pub interval: Duration,
}

/// How old an object no row names must be before it is swept: older than any upload that is
/// still being recorded.
pub const ORPHAN_AGE: Duration = Duration::from_secs(3600);

impl Sweeper {
    /// One sweep; how many uploads and objects went.
    pub async fn sweep_once(&self) -> anyhow::Result<usize> {
        let library = &self.library;
        let expired = library.store.expired_uploads(SystemTime::now()).await?;
        for id in &expired {
            library
                .objects
                .delete_prefix(&objects::upload_pieces(*id))
                .await?;
            library.store.delete_upload(*id).await?;
        }
        if !expired.is_empty() {
            tracing::info!(count = expired.len(), "swept expired uploads");
        }
        let orphans = self.sweep_orphans(SystemTime::now() - ORPHAN_AGE).await?;
        metrics::gauge!("estospaces_media_jobs_waiting")
            .set(library.store.waiting_jobs().await? as f64);
        Ok(expired.len() + orphans)
    }

    /// Deletes objects last written before `before` whose media or upload has no row.
    pub async fn sweep_orphans(&self, before: SystemTime) -> anyhow::Result<usize> {
        let library = &self.library;
        let mut swept = 0;
        for (prefix, is_upload) in [("originals", false), ("variants", false), ("uploads", true)] {
            for (path, written) in library.objects.list_with_times(prefix).await? {
                if written >= before {
                    continue;
                }
                // `<prefix>/<id>` or `<prefix>/<id>/<file>`.
                let Some(id) = path
                    .parts()
                    .nth(1)
                    .and_then(|part| Uuid::parse_str(part.as_ref()).ok())
                else {
                    continue;
                };
                let known = if is_upload {
                    library.store.upload(id).await?.is_some()
                } else {
                    library.store.media(id).await?.is_some()
                };
                if !known {
                    library.objects.delete(&path).await?;
                    swept += 1;
                }
            }
        }
        if swept > 0 {
            tracing::info!(count = swept, "swept objects nothing records");
        }
        Ok(swept)
    }

    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = self.sweep_once().await {
                tracing::warn!("sweeping uploads and orphaned objects: {err:#}");
            }
        }
    }
}
