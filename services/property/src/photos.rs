//! A listing's photos checked with the media service: each must be an image its owner uploaded,
//! public and not rejected, and ready before the listing is published.

use std::time::Duration;

use estospaces_proto::media_v1 as media;
use estospaces_proto::media_v1::media_service_client::MediaServiceClient;
use estospaces_proto::property_v1 as pb;
use estospaces_status::{ApiError, FieldViolation, violation};
use tonic::transport::{Channel, Endpoint};

use crate::DOMAIN;

/// Checks photos against the media service; without one configured, photos are taken as
/// they come (services tested on their own).
#[derive(Debug, Clone, Default)]
pub struct PhotoCheck {
    client: Option<MediaServiceClient<Channel>>,
}

impl PhotoCheck {
    /// A check against the media service at `url`; connects on first use.
    pub fn connect_lazy(url: &str) -> anyhow::Result<Self> {
        let channel = Endpoint::from_shared(url.to_owned())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .connect_lazy();
        Ok(Self {
            client: Some(MediaServiceClient::new(channel)),
        })
    }

    /// Whether `photos` may be shown on a listing of `owner` (a user id): INVALID_ARGUMENT
    /// naming each photo that is not one of the owner's public images; with `need_ready`,
    /// FAILED_PRECONDITION while any is still being processed.
    pub async fn check(
        &self,
        owner: &str,
        photos: &[pb::Photo],
        need_ready: bool,
        field_prefix: &str,
    ) -> Result<(), ApiError> {
        let Some(client) = &self.client else {
            return Ok(());
        };
        if photos.is_empty() {
            return Ok(());
        }
        let mut violations: Vec<FieldViolation> = Vec::new();
        let field = |i: usize| format!("{field_prefix}photos[{i}].media_id");
        let mut names = Vec::new();
        for (i, photo) in photos.iter().enumerate() {
            match uuid::Uuid::parse_str(&photo.media_id) {
                Ok(id) if id.to_string() == photo.media_id => names.push(format!("media/{id}")),
                _ => violations.push(violation(field(i), "is not a media id (a UUID)")),
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations));
        }
        let found = client
            .clone()
            .batch_get_media(media::BatchGetMediaRequest {
                names: names.clone(),
            })
            .await
            .map_err(|status| {
                ApiError::unavailable(
                    DOMAIN,
                    anyhow::anyhow!("the media service: {}", status.message()),
                )
            })?
            .into_inner()
            .media;
        let owner_name = format!("users/{owner}");
        let mut processing = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let Some(found) = found.iter().find(|media| &media.name == name) else {
                violations.push(violation(field(i), "is not an uploaded public image"));
                continue;
            };
            if found.owner != owner_name {
                violations.push(violation(field(i), "was uploaded by someone else"));
            } else if found.kind != media::MediaKind::Image as i32 {
                violations.push(violation(field(i), "is not an image"));
            } else if found.state == media::media::State::Rejected as i32 {
                violations.push(violation(
                    field(i),
                    format!("was rejected: {}", found.rejection_reason),
                ));
            } else if found.state != media::media::State::Ready as i32 {
                processing.push(field(i));
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations));
        }
        if need_ready && !processing.is_empty() {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "PHOTOS_NOT_READY",
                "some photos are still being processed; publish again in a moment",
            )
            .with_field_violations(
                processing
                    .into_iter()
                    .map(|field| violation(field, "is still being processed"))
                    .collect(),
            ));
        }
        Ok(())
    }
}
