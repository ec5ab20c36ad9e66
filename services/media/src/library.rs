//! What every way in shares: accepting an upload (checked, stored, recorded with its event),
//! deciding who may read what, and the media as callers see it.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use estospaces_auth::Caller;
use estospaces_events::NewEvent;
use estospaces_proto::media_v1 as pb;
use estospaces_status::{ApiError, violation};
use sha2::{Digest as _, Sha256};
use tonic::Code;
use uuid::Uuid;

use crate::DOMAIN;
use crate::config::Limits;
use crate::domain::{self, Kind, Refusal, State, StoredVariant, Visibility};
use crate::images::etag_of;
use crate::objects::{self, Objects};
use crate::signing::UrlSigner;
use crate::store::{MediaRecord, MediaStore};

/// The uploads, their bytes and their URLs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Library {
    pub store: MediaStore,
    pub objects: Objects,
    pub signer: UrlSigner,
    pub limits: Arc<Limits>,
}

/// An upload refused, as a `BadRequest`.
pub fn refused(refusal: Refusal) -> ApiError {
    ApiError::new(
        Code::InvalidArgument,
        DOMAIN,
        refusal.reason,
        format!("the upload was refused: {}", refusal.description),
    )
    .with_field_violations(vec![violation(refusal.field, refusal.description)])
}

pub fn storage_error(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

pub fn object_error(err: object_store::Error) -> ApiError {
    ApiError::unavailable(DOMAIN, err)
}

impl Library {
    /// Checks an upload, stores its bytes and records it with `media.uploaded` (and, for
    /// kinds without variants, `media.ready`). A refused upload leaves nothing behind; so does
    /// one whose record fails after its bytes were stored.
    pub async fn accept(
        &self,
        owner: Uuid,
        filename: &str,
        declared_type: &str,
        visibility: Visibility,
        bytes: Bytes,
    ) -> Result<MediaRecord, ApiError> {
        let (file_type, (width, height)) =
            domain::check_upload(filename, declared_type, &bytes, &self.limits).map_err(refused)?;
        let id = Uuid::now_v7();
        let now = SystemTime::now();
        // Images wait for their variants; other kinds are served as they are.
        let (state, variants, ready_at) = match file_type.kind {
            Kind::Image => (State::Processing, Vec::new(), None),
            Kind::Document | Kind::Video => (
                State::Ready,
                vec![StoredVariant {
                    name: "original".to_owned(),
                    file: "original".to_owned(),
                    content_type: file_type.content_type.to_owned(),
                    width: 0,
                    height: 0,
                    size_bytes: bytes.len() as u64,
                    etag: etag_of(&bytes),
                }],
                Some(now),
            ),
        };
        let record = MediaRecord {
            id,
            owner,
            kind: file_type.kind,
            visibility,
            state,
            content_type: file_type.content_type.to_owned(),
            size_bytes: bytes.len() as u64,
            filename: filename.to_owned(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            width,
            height,
            blurhash: String::new(),
            variants,
            rejection_reason: String::new(),
            created_at: now,
            ready_at,
        };

        let path = match file_type.kind {
            Kind::Image => objects::original(id),
            Kind::Document | Kind::Video => objects::variant(id, "original"),
        };
        self.objects.put(&path, bytes).await.map_err(object_error)?;
        let mut events = vec![event("media.uploaded", &record, |media| {
            pb::MediaUploaded { media }
        })];
        if state == State::Ready {
            events.push(event("media.ready", &record, |media| pb::MediaReady {
                media,
            }));
        }
        if let Err(err) = self.store.insert_media(&record, events).await {
            // Not recorded: the bytes would be reachable by nothing.
            if let Err(cleanup) = self.objects.delete(&path).await {
                tracing::warn!(media = %id, "removing the bytes of an unrecorded upload: {cleanup}");
            }
            return Err(storage_error(err));
        }
        metrics::counter!("estospaces_media_uploads_total", "kind" => file_type.kind.as_str())
            .increment(1);
        Ok(record)
    }

    /// The media `id`, if `caller` may see it: public media is everyone's to see; private
    /// media its owner's and admins'. PERMISSION_DENIED comes before NOT_FOUND.
    pub async fn readable(
        &self,
        caller: Option<&Caller>,
        id: Uuid,
        name: &str,
    ) -> Result<MediaRecord, ApiError> {
        let media = self.store.media(id).await.map_err(storage_error)?;
        match media {
            Some(media) if media.visibility == Visibility::Public || owns(caller, &media) => {
                Ok(media)
            }
            Some(_) => Err(ApiError::permission_denied(DOMAIN, "owner")),
            None => Err(ApiError::not_found(DOMAIN, name)),
        }
    }

    /// The media as a reader allowed to see it sees it: private variants come with URLs
    /// signed for them.
    pub fn to_pb(&self, media: &MediaRecord) -> pb::Media {
        let mut view = public_view(media);
        if media.visibility == Visibility::Private {
            let now = SystemTime::now();
            for variant in &mut view.variants {
                let content = variant.uri.trim_start_matches("/v1/");
                let (expires, signature) = self.signer.sign(content, now);
                variant.uri = format!("{}?expires={expires}&signature={signature}", variant.uri);
                variant.expire_time = Some(prost_types::Timestamp {
                    seconds: expires,
                    nanos: 0,
                });
            }
        }
        view
    }
}

/// Whether `caller` owns `media` or is an admin.
pub fn owns(caller: Option<&Caller>, media: &MediaRecord) -> bool {
    caller.is_some_and(|caller| caller.is_admin() || caller.user_id == media.owner.to_string())
}

/// The media with unsigned variant URLs: what events carry.
pub fn public_view(media: &MediaRecord) -> pb::Media {
    pb::Media {
        name: format!("media/{}", media.id),
        owner: format!("users/{}", media.owner),
        kind: media.kind.to_pb() as i32,
        visibility: media.visibility.to_pb() as i32,
        state: media.state.to_pb() as i32,
        content_type: media.content_type.clone(),
        size_bytes: i64::try_from(media.size_bytes).unwrap_or(i64::MAX),
        filename: media.filename.clone(),
        width: i32::try_from(media.width).unwrap_or(0),
        height: i32::try_from(media.height).unwrap_or(0),
        blurhash: media.blurhash.clone(),
        variants: if media.state == State::Ready {
            media
                .variants
                .iter()
                .map(|variant| pb::Variant {
                    name: variant.name.clone(),
                    content_type: variant.content_type.clone(),
                    width: i32::try_from(variant.width).unwrap_or(0),
                    height: i32::try_from(variant.height).unwrap_or(0),
                    size_bytes: i64::try_from(variant.size_bytes).unwrap_or(0),
                    uri: format!("/v1/media/{}/content/{}", media.id, variant.file),
                    expire_time: None,
                })
                .collect()
        } else {
            Vec::new()
        },
        rejection_reason: media.rejection_reason.clone(),
        sha256: media.sha256.clone(),
        create_time: Some(timestamp(media.created_at)),
        ready_time: media.ready_at.map(timestamp),
    }
}

/// `time` to the microsecond, as the database keeps it: a fresh record reads back the same.
pub fn timestamp(time: SystemTime) -> prost_types::Timestamp {
    let micros = estospaces_storage::unix_micros(time);
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: i32::try_from(micros.rem_euclid(1_000_000) * 1000).unwrap_or(0),
    }
}

/// A media event, keyed by the media's id.
pub fn event<P: prost::Name>(
    event_type: &str,
    media: &MediaRecord,
    payload: impl FnOnce(Option<pb::Media>) -> P,
) -> NewEvent {
    NewEvent::new(
        event_type,
        "media",
        media.id.to_string(),
        &payload(Some(public_view(media))),
    )
}
