use estospaces_proto::media_v1 as pb;
use tonic::Code;

use crate::helpers::{
    Store, authorized, bad_fields, has_metadata, jpeg, jpeg_with_exif_gps, on_both_backends, pdf,
    png, png_bomb, reason, spawn_app,
};

fn content(name: &str, file: &str) -> pb::GetMediaContentRequest {
    pb::GetMediaContentRequest {
        name: name.to_owned(),
        file: file.to_owned(),
        ..Default::default()
    }
}

on_both_backends! {
    async fn a_photo_uploaded_in_a_stream_gets_every_variant_at_its_size(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let uploaded = app
            .upload(&ann, "Living room.JPG", pb::Visibility::Public, &jpeg(2000, 1000))
            .await
            .expect("a JPEG is accepted");
        assert_eq!(uploaded.state, pb::media::State::Processing as i32);
        assert_eq!(uploaded.owner, ann.name);
        assert_eq!(uploaded.content_type, "image/jpeg");

        let media = app.processed(&ann, &uploaded.name).await;
        assert_eq!(media.state, pb::media::State::Ready as i32, "{}", media.rejection_reason);
        assert_eq!((media.width, media.height), (2000, 1000));
        assert_eq!(media.blurhash.len(), 28, "a 4×3 BlurHash");
        let sizes: Vec<(&str, &str, i32, i32)> = media
            .variants
            .iter()
            .map(|v| (v.name.as_str(), v.content_type.as_str(), v.width, v.height))
            .collect();
        assert_eq!(
            sizes,
            [
                ("thumbnail", "image/webp", 320, 160),
                ("thumbnail", "image/jpeg", 320, 160),
                ("card", "image/webp", 800, 400),
                ("card", "image/jpeg", 800, 400),
                ("large", "image/webp", 1600, 800),
                ("large", "image/jpeg", 1600, 800),
            ]
        );
        for variant in &media.variants {
            let file = variant.uri.rsplit('/').next().expect("a file");
            assert_eq!(variant.uri, format!("/v1/{}/content/{file}", media.name), "public URLs are stable");
            let (bytes, headers) = app
                .content(content(&media.name, file), None, &[])
                .await
                .expect("public media is anyone's to read");
            assert_eq!(bytes.len() as i64, variant.size_bytes);
            let decoded = image::load_from_memory(&bytes).expect("a variant decodes");
            assert_eq!((decoded.width() as i32, decoded.height() as i32), (variant.width, variant.height));
            assert_eq!(
                headers.get("cache-control").and_then(|v| v.to_str().ok()),
                Some("public, max-age=31536000, immutable")
            );
        }
    }

    async fn a_phone_photo_loses_its_exif_and_gps_in_every_variant_and_stands_upright(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let original = jpeg_with_exif_gps(400, 200);
        assert!(has_metadata(&original), "the test photo carries EXIF");
        let uploaded = app
            .upload(&ann, "IMG_0001.jpeg", pb::Visibility::Public, &original)
            .await
            .expect("accepted");
        let media = app.processed(&ann, &uploaded.name).await;
        assert_eq!(media.state, pb::media::State::Ready as i32, "{}", media.rejection_reason);
        // Orientation 6: stored landscape, shown portrait.
        assert_eq!((media.width, media.height), (200, 400));
        assert_eq!(media.variants.len(), 6);
        for variant in &media.variants {
            assert_eq!(variant.height, variant.width * 2, "{} stands upright", variant.uri);
            let file = variant.uri.rsplit('/').next().expect("a file");
            let (bytes, _) = app.content(content(&media.name, file), None, &[]).await.expect("served");
            assert!(!has_metadata(&bytes), "{file} carries metadata");
        }
        let original_file = app
            .content(content(&media.name, "original"), None, &[])
            .await
            .expect_err("an image's upload itself is never served");
        assert_eq!(original_file.code(), Code::NotFound);
    }

    async fn a_png_named_jpg_is_refused_and_leaves_nothing_behind(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let err = app
            .upload(&ann, "photo.jpg", pb::Visibility::Public, &png(64, 64))
            .await
            .expect_err("the name lies about the bytes");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(reason(&err), "TYPE_MISMATCH");
        assert_eq!(bad_fields(&err), ["filename"]);
        assert!(err.message().contains("image/png"), "{}", err.message());
        assert_nothing_stored(&mut app, &ann).await;
    }

    async fn a_decompression_bomb_is_refused_before_it_is_decoded(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let bomb = png_bomb(10_000, 10_000);
        assert!(bomb.len() < 1024, "a hundred megapixels in {} bytes", bomb.len());
        let err = app
            .upload(&ann, "bomb.png", pb::Visibility::Public, &bomb)
            .await
            .expect_err("100 megapixels");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(reason(&err), "IMAGE_TOO_LARGE");
        assert_nothing_stored(&mut app, &ann).await;
    }

    async fn a_truncated_photo_is_refused(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let whole = jpeg(600, 400);
        let err = app
            .upload(&ann, "cut.jpg", pb::Visibility::Public, &whole[..whole.len() / 2])
            .await
            .expect_err("cut in half");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(reason(&err), "TRUNCATED");
        assert_nothing_stored(&mut app, &ann).await;
    }

    async fn an_executable_is_refused_whatever_it_is_called(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let mut elf = b"\x7FELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
        elf.extend(vec![0x90; 4096]);
        for name in ["holiday.jpg", "contract.pdf", "run.exe"] {
            let err = app
                .upload(&ann, name, pb::Visibility::Public, &elf)
                .await
                .expect_err("not a type the platform takes");
            assert_eq!(err.code(), Code::InvalidArgument);
            assert_eq!(reason(&err), "UNSUPPORTED_TYPE");
            assert_eq!(bad_fields(&err), ["content"]);
        }
        assert_nothing_stored(&mut app, &ann).await;
    }

    async fn an_upload_over_its_kinds_limit_is_refused(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |settings| {
            settings.limits.max_image_bytes = 10_000;
        })
        .await;
        let ann = app.user("ann@example.com").await;
        let err = app
            .upload(&ann, "big.jpg", pb::Visibility::Public, &jpeg(800, 800))
            .await
            .expect_err("over 10 kB");
        assert_eq!(reason(&err), "FILE_TOO_LARGE");
        assert_nothing_stored(&mut app, &ann).await;
    }

    async fn a_document_is_ready_at_once_and_served_as_sent(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let media = app
            .upload(&ann, "floor plan.pdf", pb::Visibility::Public, &pdf())
            .await
            .expect("a PDF is accepted");
        assert_eq!(media.kind, pb::MediaKind::Document as i32);
        assert_eq!(media.state, pb::media::State::Ready as i32);
        let (bytes, headers) = app
            .content(content(&media.name, "original"), None, &[])
            .await
            .expect("served");
        assert_eq!(bytes, pdf());
        let etag = headers.get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned();

        let (bytes, headers) = app
            .content(content(&media.name, "original"), None, &[("if-none-match", &etag)])
            .await
            .expect("revalidated");
        assert!(bytes.is_empty());
        assert_eq!(headers.get("x-http-status").and_then(|v| v.to_str().ok()), Some("304"));

        let (bytes, headers) = app
            .content(content(&media.name, "original"), None, &[("range", "bytes=0-7")])
            .await
            .expect("a range");
        assert_eq!(bytes, b"%PDF-1.4");
        assert_eq!(headers.get("x-http-status").and_then(|v| v.to_str().ok()), Some("206"));
        let total = pdf().len();
        assert_eq!(
            headers.get("content-range").and_then(|v| v.to_str().ok()),
            Some(format!("bytes 0-7/{total}").as_str())
        );
        let err = app
            .content(content(&media.name, "original"), None, &[("range", "bytes=99999-")])
            .await
            .expect_err("past the end");
        assert_eq!(err.code(), Code::OutOfRange);
    }

    async fn a_resumable_upload_sent_in_pieces_becomes_media(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let photo = jpeg(900, 600);
        let upload = app
            .media
            .create_upload(authorized(
                pb::CreateUploadRequest {
                    upload: Some(pb::Upload {
                        filename: "garden.jpg".to_owned(),
                        size_bytes: photo.len() as i64,
                        ..Default::default()
                    }),
                },
                &ann.token,
            ))
            .await
            .expect("started")
            .into_inner()
            .upload
            .expect("the upload");
        assert_eq!(upload.received_bytes, 0);
        let piece = |offset: usize, end: usize| pb::AppendUploadRequest {
            name: upload.name.clone(),
            offset: offset as i64,
            body: Some(estospaces_proto::google::api::HttpBody {
                content_type: String::new(),
                data: photo[offset..end].to_vec(),
                extensions: Vec::new(),
            }),
        };
        let half = photo.len() / 2;
        app.media
            .append_upload(authorized(piece(0, half), &ann.token))
            .await
            .expect("the first half");
        let err = app
            .media
            .append_upload(authorized(piece(0, half), &ann.token))
            .await
            .expect_err("the first half again");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), "WRONG_OFFSET");
        let err = app
            .media
            .complete_upload(authorized(pb::CompleteUploadRequest { name: upload.name.clone() }, &ann.token))
            .await
            .expect_err("half is missing");
        assert_eq!(reason(&err), "UPLOAD_INCOMPLETE");

        let resumed = app
            .media
            .get_upload(authorized(pb::GetUploadRequest { name: upload.name.clone() }, &ann.token))
            .await
            .expect("read")
            .into_inner()
            .upload
            .expect("the upload");
        assert_eq!(resumed.received_bytes, half as i64, "where to resume");
        app.media
            .append_upload(authorized(piece(half, photo.len()), &ann.token))
            .await
            .expect("the second half");
        let media = app
            .media
            .complete_upload(authorized(pb::CompleteUploadRequest { name: upload.name.clone() }, &ann.token))
            .await
            .expect("completed")
            .into_inner()
            .media
            .expect("the media");
        let media = app.processed(&ann, &media.name).await;
        assert_eq!(media.state, pb::media::State::Ready as i32);
        assert_eq!((media.width, media.height), (900, 600));
        assert!(
            !app.stored_files().iter().any(|path| path.to_string_lossy().contains("/uploads/")),
            "the pieces are gone"
        );
        let err = app
            .media
            .get_upload(authorized(pb::GetUploadRequest { name: upload.name.clone() }, &ann.token))
            .await
            .expect_err("completed uploads are gone");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// The user has no media and the store holds no bytes.
async fn assert_nothing_stored(app: &mut crate::helpers::TestApp, user: &crate::helpers::User) {
    let listed = app
        .media
        .list_media(authorized(
            pb::ListMediaRequest {
                parent: user.name.clone(),
                ..Default::default()
            },
            &user.token,
        ))
        .await
        .expect("listed")
        .into_inner();
    assert!(listed.media.is_empty(), "{:?}", listed.media);
    assert_eq!(app.stored_files(), Vec::<std::path::PathBuf>::new());
}

on_both_backends! {
    async fn objects_nothing_records_are_swept_and_recorded_ones_kept(backend: Backend) {
        use estospaces_media::library::Library;
        use estospaces_media::objects::{self, Objects};
        use estospaces_media::processing::Sweeper;

        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let kept = app
            .upload(&ann, "kept.pdf", pb::Visibility::Public, &pdf())
            .await
            .expect("uploaded");
        let objects = Objects::from_settings(&Default::default(), app.media_dir.parent().expect("the data dir"))
            .expect("the directory store");
        // What a crash between storing bytes and recording them leaves.
        let stray = uuid::Uuid::now_v7();
        objects
            .put(&objects::original(stray), bytes::Bytes::from_static(b"stray"))
            .await
            .expect("written");
        objects
            .put(&objects::upload_piece(stray, 0), bytes::Bytes::from_static(b"piece"))
            .await
            .expect("written");
        let sweeper = Sweeper {
            library: Library {
                store: app.store.clone(),
                objects,
                signer: estospaces_media::signing::UrlSigner::new(vec![0; 32], std::time::Duration::from_secs(60)),
                limits: Default::default(),
            },
            interval: std::time::Duration::from_secs(60),
        };
        let young = sweeper
            .sweep_orphans(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .await
            .expect("swept");
        assert_eq!(young, 0, "objects younger than an hour may still be being recorded");
        let swept = sweeper
            .sweep_orphans(std::time::SystemTime::now() + std::time::Duration::from_secs(1))
            .await
            .expect("swept");
        assert_eq!(swept, 2);
        let left = app.stored_files();
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(left[0].to_string_lossy().contains(kept.name.trim_start_matches("media/")));
    }
}
