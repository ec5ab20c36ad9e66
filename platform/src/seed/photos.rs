//! The demo photos: drawn here (a house under a sky, in each owner's colours), uploaded through
//! the gateway like any client's, and waited for until their variants are ready.

use std::time::Duration;

use anyhow::Context as _;
use estospaces_proto::media_v1::{self as media, media_service_client::MediaServiceClient};
use image::{Rgb, RgbImage};
use tonic::transport::Channel;

use super::{LoggedIn, patiently};

/// Photos each owner uploads; their listings show some of them.
pub const PER_OWNER: usize = 4;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 640;

/// The `photo`th demo photo of owner `owner`, as a JPEG.
pub fn draw(owner: usize, photo: usize) -> Vec<u8> {
    let hue = |seed: usize, channel: usize| ((seed * 73 + channel * 41) % 160 + 60) as u8;
    let wall = Rgb([hue(owner, 0), hue(owner, 1), hue(owner, 2)]);
    let roof = Rgb([hue(owner + 3, 0) / 2 + 60, 40, 30]);
    let horizon = HEIGHT * 2 / 3;
    let house_left = 160 + (photo as u32 * 140) % 400;
    let (house_width, house_top): (u32, u32) = (300, horizon - 200);
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let roof_line = house_top.saturating_sub(
            (house_width / 2).saturating_sub(x.abs_diff(house_left + house_width / 2)) / 2,
        );
        let in_house = (house_left..house_left + house_width).contains(&x);
        if in_house && (house_top..horizon).contains(&y) {
            let window = (x - house_left) % 75 > 25 && (y - house_top) % 70 > 30;
            if window { Rgb([250, 240, 190]) } else { wall }
        } else if in_house && (roof_line..house_top).contains(&y) {
            roof
        } else if y >= horizon {
            Rgb([70, (120 + (x / 8) % 30) as u8, 60])
        } else {
            let light = (y * 120 / horizon) as u8;
            Rgb([90 + light, 150 + light / 2, 235])
        }
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&image)
        .expect("a drawn image encodes");
    jpeg
}

/// `owner`'s demo photos as media names, uploaded unless a former seed did; they may still be
/// processing ([`wait_until_ready`]).
pub async fn upload(
    client: &MediaServiceClient<Channel>,
    owner: &LoggedIn,
    index: usize,
) -> anyhow::Result<Vec<String>> {
    let filename = |photo: usize| format!("demo-photo-{photo}.jpg");
    let listed = patiently(|| {
        let mut client = client.clone();
        async move {
            client
                .list_media(owner.session.authorize(media::ListMediaRequest {
                    parent: owner.user.clone(),
                    page_size: 200,
                    page_token: String::new(),
                }))
                .await
        }
    })
    .await
    .with_context(|| format!("listing {}'s media", owner.user))?
    .into_inner()
    .media;
    let mut names = Vec::new();
    for photo in 0..PER_OWNER {
        let earlier = listed.iter().find(|media| {
            media.filename == filename(photo) && media.state != media::media::State::Rejected as i32
        });
        let name = match earlier {
            Some(media) => media.name.clone(),
            None => {
                let bytes = draw(index, photo);
                patiently(|| {
                    let mut client = client.clone();
                    let bytes = bytes.clone();
                    async move {
                        client
                            .upload_media_body(owner.session.authorize(
                                media::UploadMediaBodyRequest {
                                    body: Some(estospaces_proto::google::api::HttpBody {
                                        content_type: "image/jpeg".to_owned(),
                                        data: bytes,
                                        extensions: Vec::new(),
                                    }),
                                    filename: filename(photo),
                                    visibility: media::Visibility::Public as i32,
                                },
                            ))
                            .await
                    }
                })
                .await
                .with_context(|| format!("uploading a photo for {}", owner.user))?
                .into_inner()
                .media
                .context("media answered without the upload")?
                .name
            }
        };
        names.push(name);
    }
    Ok(names)
}

/// Waits for the variants of `names`: a listing is published only with ready photos.
pub async fn wait_until_ready(
    client: &MediaServiceClient<Channel>,
    names: &[String],
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let mut ready = 0;
        for batch in names.chunks(100) {
            let found = patiently(|| {
                let mut client = client.clone();
                async move {
                    client
                        .batch_get_media(media::BatchGetMediaRequest {
                            names: batch.to_vec(),
                        })
                        .await
                }
            })
            .await?
            .into_inner()
            .media;
            ready += found
                .iter()
                .filter(|media| media.state == media::media::State::Ready as i32)
                .count();
        }
        if ready == names.len() {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "demo photos were not ready within 3 minutes ({ready} of {})",
            names.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
