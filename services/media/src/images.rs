//! A photo made into what is served: decoded within limits, turned upright from its EXIF
//! orientation, then re-encoded from the pixels alone at each size in [`IMAGE_SIZES`], as WebP
//! and as JPEG. Re-encoding is what strips EXIF, XMP and GPS: no byte of the upload's metadata
//! is copied into a variant.
//!
//! CPU-bound: call from a blocking thread.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder as _, ImageReader, Limits as DecodeLimits, RgbImage};
use sha2::{Digest as _, Sha256};

use crate::config::Limits;
use crate::domain::{IMAGE_SIZES, StoredVariant};

/// JPEG quality of every variant.
const JPEG_QUALITY: u8 = 82;
/// WebP quality of every variant (libwebp's 0–100 scale).
const WEBP_QUALITY: f32 = 78.0;

/// A photo's variants and what was learnt decoding it.
#[derive(Debug)]
pub struct Processed {
    /// Upright width and height.
    pub width: u32,
    pub height: u32,
    pub blurhash: String,
    /// Each variant with its bytes.
    pub variants: Vec<(StoredVariant, Vec<u8>)>,
}

/// Why a photo that passed the upload checks cannot be used after all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub String);

/// Decodes `bytes` and makes every variant.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, Unusable> {
    let image = decode_upright(bytes, limits)?;
    let (width, height) = (image.width(), image.height());
    let mut rgb = image.into_rgb8();

    // Largest first, each made from the one before: cheaper than from the original each time.
    let mut variants = Vec::new();
    for (name, longest) in IMAGE_SIZES.iter().rev() {
        rgb = shrink_to(rgb, *longest);
        let (w, h) = rgb.dimensions();
        // Pushed in reverse too: WebP comes before its JPEG fallback in the end.
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(|err| Unusable(format!("the image cannot be encoded: {err}")))?;
        variants.push((stored(name, "jpg", "image/jpeg", w, h, &jpeg), jpeg));
        let webp = webp::Encoder::from_rgb(rgb.as_raw(), w, h)
            .encode(WEBP_QUALITY)
            .to_vec();
        variants.push((stored(name, "webp", "image/webp", w, h, &webp), webp));
    }
    variants.reverse();
    let blurhash = placeholder(&rgb);
    Ok(Processed {
        width,
        height,
        blurhash,
        variants,
    })
}

/// The image decoded and turned the way its EXIF orientation says, refusing anything larger
/// than the limits allow before allocating for it.
fn decode_upright(bytes: &[u8], limits: &Limits) -> Result<DynamicImage, Unusable> {
    let unreadable = |err: image::ImageError| Unusable(format!("the image cannot be read: {err}"));
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|err| Unusable(format!("the image cannot be read: {err}")))?;
    let mut decode_limits = DecodeLimits::default();
    decode_limits.max_image_width = Some(limits.max_image_side);
    decode_limits.max_image_height = Some(limits.max_image_side);
    // RGBA at 4 bytes a pixel, plus room for the decoder's own buffers.
    decode_limits.max_alloc = Some(limits.max_image_pixels.saturating_mul(4) + (64 << 20));
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// `image` scaled down so its longest side is at most `longest` (never up).
fn shrink_to(image: RgbImage, longest: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if w.max(h) <= longest {
        return image;
    }
    let scale = f64::from(longest) / f64::from(w.max(h));
    let (nw, nh) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    image::imageops::resize(&image, nw, nh, FilterType::CatmullRom)
}

fn stored(
    name: &str,
    extension: &str,
    content_type: &str,
    width: u32,
    height: u32,
    bytes: &[u8],
) -> StoredVariant {
    StoredVariant {
        name: name.to_owned(),
        file: format!("{name}.{extension}"),
        content_type: content_type.to_owned(),
        width,
        height,
        size_bytes: bytes.len() as u64,
        etag: etag_of(bytes),
    }
}

/// A strong ETag value for `bytes`: the first 32 hex digits of their SHA-256.
pub fn etag_of(bytes: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(bytes));
    digest[..32].to_owned()
}

/// The BlurHash of a small copy of the image (4×3 components, the usual choice).
fn placeholder(image: &RgbImage) -> String {
    let small = shrink_to(image.clone(), 32);
    let rgba = DynamicImage::ImageRgb8(small).into_rgba8();
    blurhash::encode(4, 3, rgba.width(), rgba.height(), rgba.as_raw()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&image)
            .expect("works");
        out
    }

    #[test]
    fn variants_keep_the_aspect_ratio_and_never_grow() {
        let processed = process(&jpeg(2000, 1000), &Limits::default()).expect("works");
        let sizes: Vec<(String, u32, u32)> = processed
            .variants
            .iter()
            .map(|(variant, _)| (variant.file.clone(), variant.width, variant.height))
            .collect();
        assert_eq!(
            sizes,
            [
                ("thumbnail.webp".to_owned(), 320, 160),
                ("thumbnail.jpg".to_owned(), 320, 160),
                ("card.webp".to_owned(), 800, 400),
                ("card.jpg".to_owned(), 800, 400),
                ("large.webp".to_owned(), 1600, 800),
                ("large.jpg".to_owned(), 1600, 800),
            ]
        );
        let small = process(&jpeg(200, 100), &Limits::default()).expect("works");
        assert!(small.variants.iter().all(|(v, _)| v.width == 200));
        assert_eq!(processed.blurhash.len(), 4 + 2 * 4 * 3);
    }

    #[test]
    fn an_image_over_the_pixel_limit_is_not_decoded() {
        let limits = Limits {
            max_image_side: 100,
            ..Limits::default()
        };
        assert!(process(&jpeg(200, 50), &limits).is_err());
    }
}
