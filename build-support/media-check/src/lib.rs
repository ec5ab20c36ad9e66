//! For services that show what a user uploaded (listing photos, profile pictures, message
//! attachments): a check that each is the user's own public upload to the media service, not
//! rejected, of the right kind and, where it must be shown at once, ready.

#![forbid(unsafe_code)]

use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::media_v1 as media;
use estospaces_proto::media_v1::media_service_client::MediaServiceClient;
use estospaces_status::{ApiError, FieldViolation, violation};
use estospaces_telemetry::{TracedChannel, traced};

/// Checks media ids against the media service; without one configured, every id passes (a
/// service tested on its own).
#[derive(Debug, Clone)]
pub struct OwnMedia {
    client: Option<MediaServiceClient<TracedChannel>>,
    /// The `ErrorInfo` domain of the calling service's errors.
    domain: &'static str,
}

impl OwnMedia {
    /// A check against the media service at `url` (over TLS when `https://`); connects on
    /// first use.
    pub fn connect_lazy(
        url: &str,
        tls: &GrpcTlsConfig,
        domain: &'static str,
    ) -> anyhow::Result<Self> {
        let channel = estospaces_grpc_tls::channel(url, tls)?;
        Ok(Self {
            client: Some(MediaServiceClient::new(traced(channel))),
            domain,
        })
    }

    /// A check that lets every id pass.
    pub fn unchecked(domain: &'static str) -> Self {
        Self {
            client: None,
            domain,
        }
    }

    /// Whether every `(field, media id)` in `images` names a public image `owner` (a user id)
    /// uploaded: INVALID_ARGUMENT naming each that does not; with `need_ready`,
    /// FAILED_PRECONDITION (`MEDIA_NOT_READY`) while any is still being processed.
    pub async fn check_images(
        &self,
        owner: &str,
        images: &[(String, &str)],
        need_ready: bool,
    ) -> Result<(), ApiError> {
        self.check(owner, images, Some(media::MediaKind::Image), need_ready)
            .await
    }

    /// Whether every `(field, media id)` in `files` names a public upload of `owner` of any
    /// kind that was not rejected: INVALID_ARGUMENT naming each that does not.
    pub async fn check_files(&self, owner: &str, files: &[(String, &str)]) -> Result<(), ApiError> {
        self.check(owner, files, None, false).await
    }

    async fn check(
        &self,
        owner: &str,
        images: &[(String, &str)],
        kind: Option<media::MediaKind>,
        need_ready: bool,
    ) -> Result<(), ApiError> {
        let Some(client) = &self.client else {
            return Ok(());
        };
        if images.is_empty() {
            return Ok(());
        }
        let mut violations: Vec<FieldViolation> = Vec::new();
        let mut names = Vec::new();
        for (field, id) in images {
            match uuid::Uuid::parse_str(id) {
                Ok(parsed) if parsed.to_string() == *id => names.push(format!("media/{id}")),
                _ => violations.push(violation(field, "is not a media id (a UUID)")),
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(self.domain, violations));
        }
        let found = client
            .clone()
            .batch_get_media(media::BatchGetMediaRequest {
                names: names.clone(),
            })
            .await
            .map_err(|status| {
                ApiError::unavailable(
                    self.domain,
                    anyhow::anyhow!("the media service: {}", status.message()),
                )
            })?
            .into_inner()
            .media;
        let owner_name = format!("users/{owner}");
        let mut processing = Vec::new();
        for ((field, _), name) in images.iter().zip(&names) {
            let Some(found) = found.iter().find(|media| &media.name == name) else {
                violations.push(violation(field, "is not a public upload"));
                continue;
            };
            if found.owner != owner_name {
                violations.push(violation(field, "was uploaded by someone else"));
            } else if kind.is_some_and(|kind| found.kind != kind as i32) {
                violations.push(violation(field, "is not an image"));
            } else if found.state == media::media::State::Rejected as i32 {
                violations.push(violation(
                    field,
                    format!("was rejected: {}", found.rejection_reason),
                ));
            } else if found.state != media::media::State::Ready as i32 {
                processing.push(violation(field, "is still being processed"));
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(self.domain, violations));
        }
        if need_ready && !processing.is_empty() {
            return Err(ApiError::failed_precondition(
                self.domain,
                "MEDIA_NOT_READY",
                "some images are still being processed; try again in a moment",
            )
            .with_field_violations(processing));
        }
        Ok(())
    }
}
