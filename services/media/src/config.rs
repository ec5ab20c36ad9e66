//! The media service's configuration.

use std::time::Duration;

use estospaces_config::SecretString;
use serde::Deserialize;

use crate::domain::Kind;

/// The media service's configuration: the shared settings (including `auth.identity_url`,
/// which it requires) plus [`MediaSettings`].
pub type MediaConfig = estospaces_config::Config<MediaSettings>;

/// What an upload may be, per kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest image, in bytes.
    pub max_image_bytes: u64,
    /// Largest document, in bytes.
    pub max_document_bytes: u64,
    /// Largest video, in bytes; videos above `max_message_bytes` need a resumable upload.
    pub max_video_bytes: u64,
    /// Most pixels an image may have (width × height): what decoding it costs in memory.
    pub max_image_pixels: u64,
    /// Longest side of an image, in pixels.
    pub max_image_side: u32,
}

impl Limits {
    pub fn max_bytes(&self, kind: Kind) -> u64 {
        match kind {
            Kind::Image => self.max_image_bytes,
            Kind::Document => self.max_document_bytes,
            Kind::Video => self.max_video_bytes,
        }
    }

    /// The largest upload of any kind.
    pub fn max_any(&self) -> u64 {
        self.max_image_bytes
            .max(self.max_document_bytes)
            .max(self.max_video_bytes)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_image_bytes: 25 * 1024 * 1024,
            max_document_bytes: 25 * 1024 * 1024,
            max_video_bytes: 500 * 1024 * 1024,
            max_image_pixels: 50_000_000,
            max_image_side: 20_000,
        }
    }
}

/// Settings only the media service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MediaSettings {
    /// Where the bytes go: `s3://bucket` or `s3://bucket/prefix` for an S3-compatible store,
    /// `file:///path` for a directory. Unset: `<data_dir>/media`.
    pub store_url: Option<String>,
    /// The S3 endpoint, for stores other than AWS (`http://127.0.0.1:9000`).
    pub s3_endpoint: Option<String>,
    /// The S3 region.
    pub s3_region: String,
    /// The S3 access key id; unset, the usual AWS sources: the `AWS_*` environment variables
    /// (keys, or a web identity token file as on EKS), else the instance profile.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<SecretString>,
    /// Limits per kind of file.
    pub limits: Limits,
    /// The largest gRPC message: a whole upload through `UploadMediaBody`, one piece of a
    /// resumable upload, or one response of `GetMediaContent` (larger files are served in
    /// byte ranges).
    pub max_message_bytes: u64,
    /// How long a signed URL of private media works.
    #[serde(with = "humantime_serde")]
    pub signed_url_ttl: Duration,
    /// How long an unfinished resumable upload is kept.
    #[serde(with = "humantime_serde")]
    pub upload_ttl: Duration,
    /// Images processed at once; 0 means one per CPU.
    pub processing_concurrency: usize,
    /// How often expired uploads and objects no row names are swept, and waiting jobs counted.
    #[serde(with = "humantime_serde")]
    pub sweep_interval: Duration,
    /// The consumer group `media.uploaded` is read as to queue processing.
    pub processing_group: String,
    /// The consumer group the property service's events are read as.
    pub property_events_group: String,
    /// The consumer group the identity service's events (deleted accounts) are read as.
    pub identity_events_group: String,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            store_url: None,
            s3_endpoint: None,
            s3_region: "us-east-1".to_owned(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            limits: Limits::default(),
            max_message_bytes: 32 * 1024 * 1024,
            signed_url_ttl: Duration::from_secs(15 * 60),
            upload_ttl: Duration::from_secs(24 * 3600),
            processing_concurrency: 0,
            sweep_interval: Duration::from_secs(600),
            processing_group: "media.processing".to_owned(),
            property_events_group: "media.property-events".to_owned(),
            identity_events_group: "media.identity-events".to_owned(),
        }
    }
}
