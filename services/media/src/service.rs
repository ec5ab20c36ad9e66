//! `estospaces.media.v1.MediaService`.

use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use estospaces_auth::{Caller, policy};
use estospaces_proto::media_v1 as pb;
use estospaces_proto::media_v1::media_service_server::MediaService;
use estospaces_status::{ApiError, violation};
use tokio_stream::StreamExt as _;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use crate::DOMAIN;
use crate::domain::{self, State, Visibility, parse_media_name, parse_upload_name, too_large};
use crate::library::{Library, object_error, owns, refused, storage_error, timestamp};
use crate::objects;
use crate::signing::unix_seconds;
use crate::store::{DeleteError, MediaRecord, UploadRecord};

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct MediaHandlers {
    library: Library,
    max_message_bytes: u64,
    upload_ttl: Duration,
}

impl MediaHandlers {
    pub fn new(library: Library, max_message_bytes: u64, upload_ttl: Duration) -> Self {
        Self {
            library,
            max_message_bytes,
            upload_ttl,
        }
    }
}

fn invalid(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn media_id(field: &str, name: &str) -> Result<Uuid, ApiError> {
    parse_media_name(name).ok_or_else(|| invalid(field, "must be a name like media/{media}"))
}

fn upload_id(name: &str) -> Result<Uuid, ApiError> {
    parse_upload_name(name).ok_or_else(|| invalid("name", "must be a name like uploads/{upload}"))
}

fn visibility(value: i32) -> Result<Visibility, ApiError> {
    Visibility::from_pb(value).ok_or_else(|| invalid("visibility", "is not a visibility"))
}

fn owner_of(caller: &Caller) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&caller.user_id)
        .map_err(|_| ApiError::unauthenticated(DOMAIN, "UNKNOWN_SUBJECT"))
}

fn upload_pb(upload: &UploadRecord) -> pb::Upload {
    pb::Upload {
        name: format!("uploads/{}", upload.id),
        owner: format!("users/{}", upload.owner),
        filename: upload.filename.clone(),
        size_bytes: i64::try_from(upload.size_bytes).unwrap_or(i64::MAX),
        visibility: upload.visibility.to_pb() as i32,
        received_bytes: i64::try_from(upload.received_bytes).unwrap_or(i64::MAX),
        expire_time: Some(timestamp(upload.expires_at)),
    }
}

impl MediaHandlers {
    /// The upload `name`, if the caller started it (or is an admin).
    async fn own_upload(&self, caller: &Caller, name: &str) -> Result<UploadRecord, ApiError> {
        let id = upload_id(name)?;
        let upload = self
            .library
            .store
            .upload(id)
            .await
            .map_err(storage_error)?
            .filter(|upload| upload.expires_at > SystemTime::now())
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))?;
        if !caller.is_admin() && caller.user_id != upload.owner.to_string() {
            return Err(ApiError::permission_denied(DOMAIN, "owner"));
        }
        Ok(upload)
    }
}

#[tonic::async_trait]
impl MediaService for MediaHandlers {
    async fn upload_media(
        &self,
        request: Request<Streaming<pb::UploadMediaRequest>>,
    ) -> Result<Response<pb::UploadMediaResponse>, Status> {
        let owner = owner_of(policy::authenticated(&request)?)?;
        let mut stream = request.into_inner();
        let metadata = match stream.next().await {
            Some(Ok(pb::UploadMediaRequest {
                part: Some(pb::upload_media_request::Part::Metadata(metadata)),
            })) => metadata,
            Some(Err(status)) => return Err(status),
            _ => {
                return Err(
                    invalid("metadata", "the first message must carry the metadata").into(),
                );
            }
        };
        let visibility = visibility(metadata.visibility)?;
        domain::check_filename(&metadata.filename).map_err(refused)?;
        let limits = &self.library.limits;
        let mut bytes = BytesMut::new();
        let mut max = limits.max_any();
        while let Some(message) = stream.next().await {
            match message?.part {
                Some(pb::upload_media_request::Part::Chunk(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    // Once the type shows, its own limit applies; bytes of no accepted type
                    // are refused without reading the rest.
                    match domain::sniff(&bytes) {
                        Some(file_type) => {
                            max = limits.max_bytes(file_type.kind);
                            if bytes.len() as u64 > max {
                                return Err(refused(too_large(file_type.kind, max)).into());
                            }
                        }
                        None if bytes.len() >= domain::SNIFF_BYTES || bytes.len() as u64 > max => {
                            break;
                        }
                        None => {}
                    }
                }
                _ => {
                    return Err(
                        invalid("metadata", "only the first message carries metadata").into(),
                    );
                }
            }
        }
        let media = self
            .library
            .accept(
                owner,
                &metadata.filename,
                &metadata.content_type,
                visibility,
                bytes.freeze(),
            )
            .await?;
        Ok(Response::new(pb::UploadMediaResponse {
            media: Some(self.library.to_pb(&media)),
        }))
    }

    async fn upload_media_body(
        &self,
        request: Request<pb::UploadMediaBodyRequest>,
    ) -> Result<Response<pb::UploadMediaBodyResponse>, Status> {
        let owner = owner_of(policy::authenticated(&request)?)?;
        let request = request.into_inner();
        let visibility = visibility(request.visibility)?;
        let body = request.body.unwrap_or_default();
        let media = self
            .library
            .accept(
                owner,
                &request.filename,
                &body.content_type,
                visibility,
                Bytes::from(body.data),
            )
            .await?;
        Ok(Response::new(pb::UploadMediaBodyResponse {
            media: Some(self.library.to_pb(&media)),
        }))
    }

    async fn create_upload(
        &self,
        request: Request<pb::CreateUploadRequest>,
    ) -> Result<Response<pb::CreateUploadResponse>, Status> {
        let owner = owner_of(policy::authenticated(&request)?)?;
        let upload = request
            .into_inner()
            .upload
            .ok_or_else(|| invalid("upload", "is required"))?;
        domain::check_filename(&upload.filename).map_err(|refusal| {
            invalid(&format!("upload.{}", refusal.field), refusal.description)
        })?;
        let max = self.library.limits.max_any();
        let size = u64::try_from(upload.size_bytes).unwrap_or(0);
        if size == 0 || size > max {
            return Err(invalid(
                "upload.size_bytes",
                format!("must be between 1 and {max} bytes"),
            )
            .into());
        }
        let now = SystemTime::now();
        let record = UploadRecord {
            id: Uuid::now_v7(),
            owner,
            filename: upload.filename,
            visibility: visibility(upload.visibility)?,
            size_bytes: size,
            received_bytes: 0,
            expires_at: now + self.upload_ttl,
        };
        self.library
            .store
            .insert_upload(&record, now)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::CreateUploadResponse {
            upload: Some(upload_pb(&record)),
        }))
    }

    async fn get_upload(
        &self,
        request: Request<pb::GetUploadRequest>,
    ) -> Result<Response<pb::GetUploadResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let upload = self.own_upload(caller, &request.get_ref().name).await?;
        Ok(Response::new(pb::GetUploadResponse {
            upload: Some(upload_pb(&upload)),
        }))
    }

    async fn append_upload(
        &self,
        request: Request<pb::AppendUploadRequest>,
    ) -> Result<Response<pb::AppendUploadResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let mut upload = self.own_upload(caller, &request.get_ref().name).await?;
        let request = request.into_inner();
        let piece = Bytes::from(request.body.unwrap_or_default().data);
        if piece.is_empty() {
            return Err(invalid("body", "the piece is empty").into());
        }
        let offset = u64::try_from(request.offset).unwrap_or(u64::MAX);
        if offset != upload.received_bytes {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "WRONG_OFFSET",
                format!(
                    "the upload has {} bytes; the next piece starts there",
                    upload.received_bytes
                ),
            )
            .with_metadata("expected_offset", upload.received_bytes.to_string())
            .into());
        }
        let end = offset + piece.len() as u64;
        if end > upload.size_bytes {
            return Err(invalid(
                "body",
                format!(
                    "the piece ends at byte {end}, past the announced size {}",
                    upload.size_bytes
                ),
            )
            .into());
        }
        // The offset is taken first, so two pieces racing for it cannot both be written.
        let store = &self.library.store;
        if !store
            .advance_upload(upload.id, offset, end)
            .await
            .map_err(storage_error)?
        {
            return Err(ApiError::aborted(
                DOMAIN,
                "CONCURRENT_APPEND",
                "another piece was appended at this offset; read the upload and resume",
            )
            .into());
        }
        if let Err(err) = self
            .library
            .objects
            .put(&objects::upload_piece(upload.id, offset), piece)
            .await
        {
            // Give the offset back, so the piece can be sent again.
            let _ = store.advance_upload(upload.id, end, offset).await;
            return Err(object_error(err).into());
        }
        upload.received_bytes = end;
        Ok(Response::new(pb::AppendUploadResponse {
            upload: Some(upload_pb(&upload)),
        }))
    }

    async fn complete_upload(
        &self,
        request: Request<pb::CompleteUploadRequest>,
    ) -> Result<Response<pb::CompleteUploadResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let upload = self.own_upload(caller, &request.get_ref().name).await?;
        if upload.received_bytes != upload.size_bytes {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "UPLOAD_INCOMPLETE",
                format!(
                    "{} of {} bytes have arrived",
                    upload.received_bytes, upload.size_bytes
                ),
            )
            .with_metadata("expected_offset", upload.received_bytes.to_string())
            .into());
        }
        let objects = &self.library.objects;
        let prefix = objects::upload_pieces(upload.id);
        let mut bytes = BytesMut::with_capacity(usize::try_from(upload.size_bytes).unwrap_or(0));
        for path in objects.list(&prefix).await.map_err(object_error)? {
            bytes.extend_from_slice(&objects.get(&path).await.map_err(object_error)?);
        }
        if bytes.len() as u64 != upload.size_bytes {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "UPLOAD_INCOMPLETE",
                "a piece of the upload was lost; start a new upload",
            )
            .into());
        }
        // One completion wins; the upload is gone whatever the checks say of its bytes.
        if !self
            .library
            .store
            .delete_upload(upload.id)
            .await
            .map_err(storage_error)?
        {
            return Err(ApiError::not_found(DOMAIN, &format!("uploads/{}", upload.id)).into());
        }
        let accepted = self
            .library
            .accept(
                upload.owner,
                &upload.filename,
                "",
                upload.visibility,
                bytes.freeze(),
            )
            .await;
        if let Err(err) = objects.delete_prefix(&prefix).await {
            tracing::warn!(upload = %upload.id, "deleting the pieces of a completed upload: {err}");
        }
        Ok(Response::new(pb::CompleteUploadResponse {
            media: Some(self.library.to_pb(&accepted?)),
        }))
    }

    async fn get_media(
        &self,
        request: Request<pb::GetMediaRequest>,
    ) -> Result<Response<pb::GetMediaResponse>, Status> {
        let name = &request.get_ref().name;
        let id = media_id("name", name)?;
        let media = self
            .library
            .readable(policy::caller(&request), id, name)
            .await?;
        Ok(Response::new(pb::GetMediaResponse {
            media: Some(self.library.to_pb(&media)),
        }))
    }

    async fn batch_get_media(
        &self,
        request: Request<pb::BatchGetMediaRequest>,
    ) -> Result<Response<pb::BatchGetMediaResponse>, Status> {
        let names = &request.get_ref().names;
        if names.len() > 100 {
            return Err(invalid("names", "at most 100 names at once").into());
        }
        let ids = names
            .iter()
            .enumerate()
            .map(|(i, name)| media_id(&format!("names[{i}]"), name))
            .collect::<Result<Vec<_>, _>>()?;
        let caller = policy::caller(&request);
        let mut media = Vec::new();
        for (id, name) in ids.into_iter().zip(names) {
            match self.library.readable(caller, id, name).await {
                Ok(found) => media.push(self.library.to_pb(&found)),
                // Left out: what does not exist or is not the caller's to read.
                Err(err)
                    if matches!(
                        err.code(),
                        tonic::Code::NotFound | tonic::Code::PermissionDenied
                    ) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(Response::new(pb::BatchGetMediaResponse { media }))
    }

    async fn list_media(
        &self,
        request: Request<pb::ListMediaRequest>,
    ) -> Result<Response<pb::ListMediaResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let request = request.get_ref();
        let owner = domain::parse_user_name(&request.parent)
            .ok_or_else(|| invalid("parent", "must be a name like users/{user}"))?;
        if !caller.is_admin() && caller.user_id != owner.to_string() {
            return Err(ApiError::permission_denied(DOMAIN, "owner").into());
        }
        let size = match request.page_size {
            0 => 50,
            size if (1..=200).contains(&size) => i64::from(size),
            _ => return Err(invalid("page_size", "must be between 1 and 200").into()),
        };
        let offset: i64 = if request.page_token.is_empty() {
            0
        } else {
            request
                .page_token
                .parse()
                .ok()
                .filter(|offset| *offset >= 0)
                .ok_or_else(|| invalid("page_token", "is not a token this service gave"))?
        };
        let mut found = self
            .library
            .store
            .list_media(owner, offset, size + 1)
            .await
            .map_err(storage_error)?;
        let next_page_token = if found.len() as i64 > size {
            found.truncate(usize::try_from(size).unwrap_or(0));
            (offset + size).to_string()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListMediaResponse {
            media: found
                .iter()
                .map(|media| self.library.to_pb(media))
                .collect(),
            next_page_token,
        }))
    }

    async fn delete_media(
        &self,
        request: Request<pb::DeleteMediaRequest>,
    ) -> Result<Response<pb::DeleteMediaResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let name = &request.get_ref().name;
        let id = media_id("name", name)?;
        let media = self
            .library
            .store
            .media(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))?;
        if !owns(Some(caller), &media) {
            return Err(ApiError::permission_denied(DOMAIN, "owner").into());
        }
        let deleted = estospaces_events::NewEvent::new(
            "media.deleted",
            "media",
            id.to_string(),
            &pb::MediaDeleted {
                name: name.clone(),
                owner: format!("users/{}", media.owner),
            },
        );
        match self.library.store.delete_media(id, deleted).await {
            Ok(()) => {}
            Err(DeleteError::InUse(property)) => {
                return Err(ApiError::failed_precondition(
                    DOMAIN,
                    "MEDIA_IN_USE",
                    format!("{property} shows it; take it off the listing first"),
                )
                .with_metadata("property", property)
                .into());
            }
            Err(DeleteError::NotFound) => return Err(ApiError::not_found(DOMAIN, name).into()),
            Err(DeleteError::Database(err)) => return Err(storage_error(err).into()),
        }
        // The row is gone, so nothing serves these any more; the sweeper removes what a
        // failure here leaves.
        let objects = &self.library.objects;
        for result in [
            objects.delete(&objects::original(id)).await,
            objects.delete_prefix(&objects::variants(id)).await,
        ] {
            if let Err(err) = result {
                tracing::warn!(media = %id, "deleting the bytes of deleted media: {err}");
            }
        }
        Ok(Response::new(pb::DeleteMediaResponse {}))
    }

    async fn get_media_content(
        &self,
        request: Request<pb::GetMediaContentRequest>,
    ) -> Result<Response<estospaces_proto::google::api::HttpBody>, Status> {
        let media_name = &request.get_ref().name;
        let file = &request.get_ref().file;
        let id = media_id("name", media_name)?;
        // What a signed URL signs.
        let content = &format!("{media_name}/content/{file}");
        let library = &self.library;
        let media = library
            .store
            .media(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, media_name))?;
        let now = SystemTime::now();
        let cache_control = match media.visibility {
            Visibility::Public => "public, max-age=31536000, immutable".to_owned(),
            Visibility::Private if owns(policy::caller(&request), &media) => {
                "private, no-store".to_owned()
            }
            Visibility::Private => {
                let asked = request.get_ref();
                library
                    .signer
                    .verify(content, asked.expires, &asked.signature, now)
                    .map_err(|err| {
                        ApiError::new(
                            tonic::Code::PermissionDenied,
                            DOMAIN,
                            err.reason(),
                            format!("{err}; ask GetMedia for a fresh URL"),
                        )
                    })?;
                format!(
                    "private, max-age={}",
                    (asked.expires - unix_seconds(now)).max(0)
                )
            }
        };
        if media.state != State::Ready {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "MEDIA_NOT_READY",
                format!("{media_name} is {}", media.state.as_str()),
            )
            .into());
        }
        let variant = media
            .variants
            .iter()
            .find(|variant| &variant.file == file)
            .ok_or_else(|| ApiError::not_found(DOMAIN, content))?;
        self.serve(&media, variant, cache_control, request.metadata())
            .await
    }
}

impl MediaHandlers {
    /// A variant's bytes, or the range asked for, or nothing when the caller's copy is current.
    async fn serve(
        &self,
        media: &MediaRecord,
        variant: &domain::StoredVariant,
        cache_control: String,
        asked: &MetadataMap,
    ) -> Result<Response<estospaces_proto::google::api::HttpBody>, Status> {
        let etag = format!("\"{}\"", variant.etag);
        let mut headers = MetadataMap::new();
        let mut set = |key: &'static str, value: &str| {
            if let Ok(value) = MetadataValue::try_from(value) {
                headers.insert(key, value);
            }
        };
        set("etag", &etag);
        set("cache-control", &cache_control);
        set("accept-ranges", "bytes");
        set("x-content-type-options", "nosniff");
        let header = |key: &str| asked.get(key).and_then(|value| value.to_str().ok());

        let not_modified = header("if-none-match").is_some_and(|values| {
            values
                .split(',')
                .any(|value| value.trim().trim_start_matches("W/") == etag || value.trim() == "*")
        });
        let total = variant.size_bytes;
        let (status, range) = if not_modified {
            ("304", None)
        } else {
            match header("range").map(|value| parse_range(value, total)) {
                None => ("200", Some(0..total)),
                Some(Ok(range)) => ("206", Some(range)),
                Some(Err(())) => {
                    return Err(ApiError::new(
                        tonic::Code::OutOfRange,
                        DOMAIN,
                        "RANGE_NOT_SATISFIABLE",
                        format!("the range is outside the {total} bytes"),
                    )
                    .with_metadata("size", total.to_string())
                    .into());
                }
            }
        };
        let range = match range {
            Some(range) if range.end - range.start > self.max_message_bytes => {
                if status == "200" {
                    return Err(ApiError::failed_precondition(
                        DOMAIN,
                        "RANGE_REQUIRED",
                        format!(
                            "the file is {total} bytes; ask for byte ranges of at most {}",
                            self.max_message_bytes
                        ),
                    )
                    .into());
                }
                // A shorter answer than asked is allowed: the client asks for the rest.
                Some(range.start..range.start + self.max_message_bytes)
            }
            other => other,
        };
        let data = match &range {
            None => Bytes::new(),
            Some(range) => {
                let path = objects::variant(media.id, &variant.file);
                self.library
                    .objects
                    .get_range(&path, range.clone())
                    .await
                    .map_err(object_error)?
            }
        };
        if let (Some(range), "206") = (&range, status) {
            set(
                "content-range",
                &format!("bytes {}-{}/{total}", range.start, range.end - 1),
            );
        }
        set("x-http-status", status);
        let mut response = Response::new(estospaces_proto::google::api::HttpBody {
            content_type: variant.content_type.clone(),
            data: data.to_vec(),
            extensions: Vec::new(),
        });
        *response.metadata_mut() = headers;
        Ok(response)
    }
}

/// One byte range of `bytes=a-b`, `bytes=a-` or `bytes=-n` within `total` bytes.
fn parse_range(value: &str, total: u64) -> Result<std::ops::Range<u64>, ()> {
    let spec = value.trim().strip_prefix("bytes=").ok_or(())?;
    if spec.contains(',') {
        // Several ranges would need a multipart answer; one is what players and browsers ask.
        return Err(());
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            total.saturating_sub(n)..total
        }
        (start, "") => start.parse().map_err(|_| ())?..total,
        (start, end) => {
            let start: u64 = start.parse().map_err(|_| ())?;
            let end: u64 = end.parse().map_err(|_| ())?;
            start..end.saturating_add(1).min(total)
        }
    };
    if range.start >= range.end || range.start >= total {
        return Err(());
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_parse_in_their_three_forms() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok(0..100));
        assert_eq!(parse_range("bytes=900-", 1000), Ok(900..1000));
        assert_eq!(parse_range("bytes=-100", 1000), Ok(900..1000));
        assert_eq!(parse_range("bytes=990-2000", 1000), Ok(990..1000));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(()));
        assert_eq!(parse_range("bytes=5-1", 1000), Err(()));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Err(()));
        assert_eq!(parse_range("items=0-1", 1000), Err(()));
    }
}
