//! The same flows with the bytes on an S3-compatible server (moto), as in production.

use estospaces_proto::media_v1 as pb;
use tonic::Code;

use crate::helpers::{Backend, Store, authorized, has_metadata, jpeg_with_exif_gps, spawn_app};

#[tokio::test]
async fn on_s3_a_photo_is_stored_processed_served_and_deleted() {
    let mut app = spawn_app(Backend::Postgres, Store::S3, |_| {}).await;
    assert!(app.on_s3());
    let ann = app.user("ann@example.com").await;
    let uploaded = app
        .upload(
            &ann,
            "terrace.jpg",
            pb::Visibility::Public,
            &jpeg_with_exif_gps(1200, 800),
        )
        .await
        .expect("accepted");
    let media = app.processed(&ann, &uploaded.name).await;
    assert_eq!(
        media.state,
        pb::media::State::Ready as i32,
        "{}",
        media.rejection_reason
    );
    assert_eq!((media.width, media.height), (800, 1200));
    for variant in &media.variants {
        let file = variant.uri.rsplit('/').next().expect("a file");
        let (bytes, _) = app
            .content(
                pb::GetMediaContentRequest {
                    name: media.name.clone(),
                    file: file.to_owned(),
                    ..Default::default()
                },
                None,
                &[],
            )
            .await
            .expect("served from S3");
        assert_eq!(bytes.len() as i64, variant.size_bytes);
        assert!(!has_metadata(&bytes));
    }
    assert!(app.stored_files().is_empty(), "nothing on local disk");
    let keys = app.s3_keys().await;
    assert_eq!(keys.len(), 7, "the upload and six variants: {keys:?}");

    app.media
        .delete_media(authorized(
            pb::DeleteMediaRequest {
                name: media.name.clone(),
            },
            &ann.token,
        ))
        .await
        .expect("deleted");
    let err = app
        .content(
            pb::GetMediaContentRequest {
                name: media.name.clone(),
                file: "card.jpg".to_owned(),
                ..Default::default()
            },
            None,
            &[],
        )
        .await
        .expect_err("gone");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        app.s3_keys().await,
        Vec::<String>::new(),
        "its objects are gone"
    );
}

#[tokio::test]
async fn on_s3_a_refused_upload_leaves_no_object() {
    let mut app = spawn_app(Backend::Sqlite, Store::S3, |_| {}).await;
    let ann = app.user("ann@example.com").await;
    let err = app
        .upload(
            &ann,
            "photo.png",
            pb::Visibility::Public,
            b"\x7FELF\x02\x01\x01\0",
        )
        .await
        .expect_err("an executable");
    assert_eq!(err.code(), Code::InvalidArgument);
    let listed = app
        .media
        .list_media(authorized(
            pb::ListMediaRequest {
                parent: ann.name.clone(),
                ..Default::default()
            },
            &ann.token,
        ))
        .await
        .expect("listed")
        .into_inner();
    assert!(listed.media.is_empty());
    assert_eq!(app.s3_keys().await, Vec::<String>::new());
}
