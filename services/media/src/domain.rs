//! What an upload is, decided from its bytes: the sniffed type, the checks every upload passes
//! before anything is stored, and the names of media and their variants.

use estospaces_proto::media_v1 as pb;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Limits;

/// The kinds of file the platform takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Document,
    Video,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Video => "video",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Image, Self::Document, Self::Video]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    pub fn to_pb(self) -> pb::MediaKind {
        match self {
            Self::Image => pb::MediaKind::Image,
            Self::Document => pb::MediaKind::Document,
            Self::Video => pb::MediaKind::Video,
        }
    }
}

/// Who may read an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "public" => Some(Self::Public),
            "private" => Some(Self::Private),
            _ => None,
        }
    }

    /// Unset means public.
    pub fn from_pb(value: i32) -> Option<Self> {
        match pb::Visibility::try_from(value).ok()? {
            pb::Visibility::Unspecified | pb::Visibility::Public => Some(Self::Public),
            pb::Visibility::Private => Some(Self::Private),
        }
    }

    pub fn to_pb(self) -> pb::Visibility {
        match self {
            Self::Public => pb::Visibility::Public,
            Self::Private => pb::Visibility::Private,
        }
    }
}

/// Where an upload is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Processing,
    Ready,
    Rejected,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Rejected => "rejected",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Processing, Self::Ready, Self::Rejected]
            .into_iter()
            .find(|state| state.as_str() == name)
    }

    pub fn to_pb(self) -> pb::media::State {
        match self {
            Self::Processing => pb::media::State::Processing,
            Self::Ready => pb::media::State::Ready,
            Self::Rejected => pb::media::State::Rejected,
        }
    }
}

/// A type the platform accepts, recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    pub content_type: &'static str,
    pub kind: Kind,
    /// File name extensions that may carry it, lowercase; the first is the usual one.
    pub extensions: &'static [&'static str],
}

const JPEG: FileType = FileType {
    content_type: "image/jpeg",
    kind: Kind::Image,
    extensions: &["jpg", "jpeg"],
};
const PNG: FileType = FileType {
    content_type: "image/png",
    kind: Kind::Image,
    extensions: &["png"],
};
const WEBP: FileType = FileType {
    content_type: "image/webp",
    kind: Kind::Image,
    extensions: &["webp"],
};
const PDF: FileType = FileType {
    content_type: "application/pdf",
    kind: Kind::Document,
    extensions: &["pdf"],
};
const MP4: FileType = FileType {
    content_type: "video/mp4",
    kind: Kind::Video,
    extensions: &["mp4", "m4v", "mov"],
};
const WEBM: FileType = FileType {
    content_type: "video/webm",
    kind: Kind::Video,
    extensions: &["webm"],
};

/// How many first bytes [`sniff`] needs to recognise every accepted type.
pub const SNIFF_BYTES: usize = 12;

/// What the types the platform accepts are called in errors.
pub const ACCEPTED: &str = "JPEG, PNG, WebP, PDF, MP4 or WebM";

/// The type of `bytes` from their signature, if it is one the platform accepts. The name and
/// the declared type are never trusted: they are only checked against this.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(JPEG)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(PNG)
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(WEBP)
    } else if starts(b"%PDF-") {
        Some(PDF)
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some(MP4)
    } else if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(WEBM)
    } else {
        None
    }
}

/// Why an upload is refused, as a field and a sentence for `BadRequest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {description}")]
pub struct Refusal {
    pub field: &'static str,
    pub description: String,
    /// The `ErrorInfo` reason.
    pub reason: &'static str,
}

impl Refusal {
    fn new(field: &'static str, reason: &'static str, description: impl Into<String>) -> Self {
        Self {
            field,
            description: description.into(),
            reason,
        }
    }
}

/// A file name: 1 to 255 characters, no path, no control characters.
pub fn check_filename(filename: &str) -> Result<(), Refusal> {
    let bad = |why: &str| Err(Refusal::new("filename", "INVALID_FILENAME", why));
    if filename.trim().is_empty() {
        return bad("is required");
    }
    if filename.chars().count() > 255 {
        return bad("must be at most 255 characters");
    }
    if filename.contains(['/', '\\']) || filename.chars().any(char::is_control) {
        return bad("must be a bare file name, without a path or control characters");
    }
    Ok(())
}

/// The checks made on every upload before it is stored: a type the platform accepts, agreeing
/// with the name and the declared type, within its kind's limits, whole, and for images of a
/// size that may safely be decoded. Returns the type, and an image's width and height.
pub fn check_upload(
    filename: &str,
    declared_type: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(FileType, (u32, u32)), Refusal> {
    check_filename(filename)?;
    if bytes.is_empty() {
        return Err(Refusal::new("content", "EMPTY_UPLOAD", "the file is empty"));
    }
    let file_type = sniff(bytes).ok_or_else(|| {
        Refusal::new(
            "content",
            "UNSUPPORTED_TYPE",
            format!("the bytes are not a {ACCEPTED} file"),
        )
    })?;
    let extension = filename
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    if !file_type.extensions.contains(&extension.as_str()) {
        return Err(Refusal::new(
            "filename",
            "TYPE_MISMATCH",
            format!(
                "the bytes are {} but the name ends in `.{extension}`; expected .{}",
                file_type.content_type,
                file_type.extensions.join(" or .")
            ),
        ));
    }
    let declared = declared_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let declared = if declared == "image/jpg" {
        "image/jpeg".to_owned()
    } else {
        declared
    };
    if !declared.is_empty()
        && declared != "application/octet-stream"
        && declared != file_type.content_type
    {
        return Err(Refusal::new(
            "content_type",
            "TYPE_MISMATCH",
            format!(
                "the bytes are {} but were declared {declared}",
                file_type.content_type
            ),
        ));
    }
    let max = limits.max_bytes(file_type.kind);
    if bytes.len() as u64 > max {
        return Err(too_large(file_type.kind, max));
    }
    if !is_whole(bytes, file_type) {
        return Err(Refusal::new(
            "content",
            "TRUNCATED",
            format!("the {} file is cut short", file_type.content_type),
        ));
    }
    let mut size = (0, 0);
    if file_type.kind == Kind::Image {
        let (width, height) = dimensions(bytes).map_err(|err| {
            Refusal::new(
                "content",
                "UNREADABLE_IMAGE",
                format!("the image header cannot be read: {err}"),
            )
        })?;
        let pixels = u64::from(width) * u64::from(height);
        if pixels > limits.max_image_pixels || width.max(height) > limits.max_image_side {
            return Err(Refusal::new(
                "content",
                "IMAGE_TOO_LARGE",
                format!(
                    "the image is {width}×{height} pixels; at most {} megapixels and {} \
                     pixels a side are accepted",
                    limits.max_image_pixels / 1_000_000,
                    limits.max_image_side
                ),
            ));
        }
        size = (width, height);
    }
    Ok((file_type, size))
}

/// The refusal of a file of `kind` over `max` bytes.
pub fn too_large(kind: Kind, max: u64) -> Refusal {
    Refusal::new(
        "content",
        "FILE_TOO_LARGE",
        format!(
            "{} files may be at most {} bytes ({} MiB)",
            kind.as_str(),
            max,
            max / (1024 * 1024)
        ),
    )
}

/// Whether the file ends where its format says it does: a cut-off upload is refused here
/// rather than half-decoded later. Videos are stored as sent.
fn is_whole(bytes: &[u8], file_type: FileType) -> bool {
    let trimmed = {
        // Some cameras pad after the end marker.
        let end = bytes
            .iter()
            .rposition(|byte| *byte != 0)
            .map_or(0, |i| i + 1);
        &bytes[..end]
    };
    match file_type {
        JPEG => trimmed.ends_with(&[0xFF, 0xD9]),
        PNG => bytes.ends_with(b"IEND\xAE\x42\x60\x82"),
        WEBP => bytes
            .get(4..8)
            .map(|size| u32::from_le_bytes([size[0], size[1], size[2], size[3]]))
            .is_some_and(|size| bytes.len() as u64 >= u64::from(size) + 8),
        PDF => {
            let tail = &trimmed[trimmed.len().saturating_sub(1024)..];
            tail.windows(5).any(|window| window == b"%%EOF")
        }
        _ => true,
    }
}

/// An image's width and height from its header, without decoding it.
pub fn dimensions(bytes: &[u8]) -> image::ImageResult<(u32, u32)> {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()?
        .into_dimensions()
}

/// A media id from `media/{media}`.
pub fn parse_media_name(name: &str) -> Option<Uuid> {
    name.strip_prefix("media/")
        .and_then(|id| Uuid::parse_str(id).ok())
        .filter(|id| name == format!("media/{id}"))
}

/// An upload id from `uploads/{upload}`.
pub fn parse_upload_name(name: &str) -> Option<Uuid> {
    name.strip_prefix("uploads/")
        .and_then(|id| Uuid::parse_str(id).ok())
        .filter(|id| name == format!("uploads/{id}"))
}

/// A user id from `users/{user}`.
pub fn parse_user_name(name: &str) -> Option<Uuid> {
    name.strip_prefix("users/")
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// One servable form of an upload, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVariant {
    /// `thumbnail`, `card`, `large` or `original`.
    pub name: String,
    /// The file name in URLs and in storage: `card.webp`, `card.jpg`, `original`.
    pub file: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size_bytes: u64,
    /// A strong validator: the first 32 hex digits of the bytes' SHA-256.
    pub etag: String,
}

/// The image variants made of every photo: a name and the longest side in pixels.
pub const IMAGE_SIZES: &[(&str, u32)] = &[("thumbnail", 320), ("card", 800), ("large", 1600)];

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn types_are_recognised_by_their_bytes_not_their_names() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(JPEG));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(PNG));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(WEBP));
        assert_eq!(sniff(b"%PDF-1.7"), Some(PDF));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(MP4));
        assert_eq!(sniff(b"\x7FELF\x02\x01\x01"), None, "an executable");
        assert_eq!(sniff(b"MZ\x90\0"), None, "a Windows executable");
        assert_eq!(sniff(b"<svg xmlns"), None, "SVG can carry scripts");
    }

    #[test]
    fn a_name_that_disagrees_with_the_bytes_is_refused() {
        let png = b"\x89PNG\r\n\x1a\n....IEND\xAE\x42\x60\x82";
        let refusal = check_upload("photo.jpg", "", png, &limits()).expect_err("refused");
        assert_eq!(refusal.reason, "TYPE_MISMATCH");
        assert_eq!(refusal.field, "filename");
        let refusal = check_upload("photo.png", "image/jpeg", png, &limits()).expect_err("refused");
        assert_eq!(refusal.field, "content_type");
    }

    #[test]
    fn file_names_with_paths_or_control_characters_are_refused() {
        assert!(check_filename("../etc/passwd.jpg").is_err());
        assert!(check_filename("a\nb.jpg").is_err());
        assert!(check_filename(" ").is_err());
        assert!(check_filename(&"a".repeat(256)).is_err());
        assert!(check_filename("Living room (2).jpg").is_ok());
    }

    #[test]
    fn cut_off_files_are_refused() {
        let refusal = check_upload("a.jpg", "", b"\xFF\xD8\xFF\xE0\0\x10JFIF", &limits());
        assert_eq!(refusal.expect_err("refused").reason, "TRUNCATED");
        let refusal = check_upload("a.pdf", "", b"%PDF-1.4\n1 0 obj", &limits());
        assert_eq!(refusal.expect_err("refused").reason, "TRUNCATED");
    }

    #[test]
    fn names_parse_only_in_their_canonical_form() {
        let id = Uuid::now_v7();
        assert_eq!(parse_media_name(&format!("media/{id}")), Some(id));
        assert_eq!(parse_media_name(&format!("media/{id}/x")), None);
        assert_eq!(parse_media_name(&format!("uploads/{id}")), None);
        assert_eq!(
            parse_media_name(&format!("media/{}", id.simple())),
            None,
            "one spelling per id"
        );
    }
}
