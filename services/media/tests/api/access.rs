use std::time::Duration;

use estospaces_media::store::MediaStore;
use estospaces_proto::media_v1 as pb;
use tonic::Code;

use crate::helpers::{Store, authorized, jpeg, on_both_backends, pdf, reason, spawn_app};

fn get(name: &str) -> pb::GetMediaRequest {
    pb::GetMediaRequest {
        name: name.to_owned(),
    }
}

/// `uri`'s name, expiry and signature, as `GetMediaContent` takes them.
fn signed_request(uri: &str) -> pb::GetMediaContentRequest {
    let (path, query) = uri.split_once('?').expect("a signed URL has a query");
    let (name, file) = path
        .trim_start_matches("/v1/")
        .split_once("/content/")
        .expect("a content URL");
    let mut request = pb::GetMediaContentRequest {
        name: name.to_owned(),
        file: file.to_owned(),
        ..Default::default()
    };
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("expires", value)) => request.expires = value.parse().expect("seconds"),
            Some(("signature", value)) => request.signature = value.to_owned(),
            _ => {}
        }
    }
    request
}

on_both_backends! {
    async fn private_media_is_refused_to_everyone_but_its_owner(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let bob = app.user("bob@example.com").await;
        let passport = app
            .upload(&ann, "passport.pdf", pb::Visibility::Private, &pdf())
            .await
            .expect("uploaded");

        let err = app.media.get_media(authorized(get(&passport.name), &bob.token)).await.expect_err("bob");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = app.media.get_media(get(&passport.name)).await.expect_err("anonymous");
        assert_eq!(err.code(), Code::PermissionDenied);
        let content = pb::GetMediaContentRequest {
            name: passport.name.clone(),
            file: "original".to_owned(),
            ..Default::default()
        };
        let err = app.content(content.clone(), Some(&bob.token), &[]).await.expect_err("bob reads");
        assert_eq!(err.code(), Code::PermissionDenied);
        assert_eq!(reason(&err), "SIGNATURE_REQUIRED");
        let batch = app
            .media
            .batch_get_media(authorized(
                pb::BatchGetMediaRequest { names: vec![passport.name.clone()] },
                &bob.token,
            ))
            .await
            .expect("batch reads answer")
            .into_inner();
        assert!(batch.media.is_empty(), "private media is left out for others");
        let err = app
            .media
            .list_media(authorized(
                pb::ListMediaRequest { parent: ann.name.clone(), ..Default::default() },
                &bob.token,
            ))
            .await
            .expect_err("bob lists ann's");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = app
            .media
            .delete_media(authorized(pb::DeleteMediaRequest { name: passport.name.clone() }, &bob.token))
            .await
            .expect_err("bob deletes ann's");
        assert_eq!(err.code(), Code::PermissionDenied);

        let (bytes, _) = app.content(content, Some(&ann.token), &[]).await.expect("ann reads her own");
        assert_eq!(bytes, pdf());
        let mine = app
            .media
            .get_media(authorized(get(&passport.name), &ann.token))
            .await
            .expect("ann")
            .into_inner()
            .media
            .expect("media");
        assert!(mine.variants[0].uri.contains("signature="), "{}", mine.variants[0].uri);
    }

    async fn a_signed_url_works_until_it_expires_and_only_for_its_file(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |settings| {
            settings.signed_url_ttl = Duration::from_secs(2);
        })
        .await;
        let ann = app.user("ann@example.com").await;
        let photo = app
            .upload(&ann, "id-card.jpg", pb::Visibility::Private, &jpeg(640, 400))
            .await
            .expect("uploaded");
        let media = app.processed(&ann, &photo.name).await;
        assert_eq!(media.state, pb::media::State::Ready as i32);
        let card = media.variants.iter().find(|v| v.uri.contains("/card.jpg")).expect("a card");
        let thumbnail = media.variants.iter().find(|v| v.uri.contains("/thumbnail.jpg")).expect("a thumbnail");

        let (bytes, headers) = app
            .content(signed_request(&card.uri), None, &[])
            .await
            .expect("a fresh signed URL works without a token");
        assert_eq!(bytes.len() as i64, card.size_bytes);
        assert!(
            headers.get("cache-control").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("private")),
            "private media is not cached by shared caches"
        );

        let mut swapped = signed_request(&card.uri);
        swapped.file = signed_request(&thumbnail.uri).file;
        let err = app.content(swapped, None, &[]).await.expect_err("another file's signature");
        assert_eq!(reason(&err), "SIGNATURE_INVALID");
        let mut extended = signed_request(&card.uri);
        extended.expires += 3600;
        let err = app.content(extended, None, &[]).await.expect_err("a later expiry written in");
        assert_eq!(reason(&err), "SIGNATURE_INVALID");

        tokio::time::sleep(Duration::from_secs(3)).await;
        let err = app.content(signed_request(&card.uri), None, &[]).await.expect_err("expired");
        assert_eq!(err.code(), Code::PermissionDenied);
        assert_eq!(reason(&err), "SIGNATURE_EXPIRED");
    }

    async fn another_user_cannot_touch_your_resumable_upload(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let bob = app.user("bob@example.com").await;
        let upload = app
            .media
            .create_upload(authorized(
                pb::CreateUploadRequest {
                    upload: Some(pb::Upload { filename: "tour.mp4".to_owned(), size_bytes: 10, ..Default::default() }),
                },
                &ann.token,
            ))
            .await
            .expect("started")
            .into_inner()
            .upload
            .expect("upload");
        let err = app
            .media
            .get_upload(authorized(pb::GetUploadRequest { name: upload.name.clone() }, &bob.token))
            .await
            .expect_err("bob reads");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = app
            .media
            .append_upload(authorized(
                pb::AppendUploadRequest {
                    name: upload.name.clone(),
                    offset: 0,
                    body: Some(estospaces_proto::google::api::HttpBody { data: vec![0; 10], ..Default::default() }),
                },
                &bob.token,
            ))
            .await
            .expect_err("bob appends");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = app
            .media
            .complete_upload(authorized(pb::CompleteUploadRequest { name: upload.name.clone() }, &bob.token))
            .await
            .expect_err("bob completes");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = app
            .media
            .create_upload(pb::CreateUploadRequest {
                upload: Some(pb::Upload { filename: "x.mp4".to_owned(), size_bytes: 10, ..Default::default() }),
            })
            .await
            .expect_err("anonymous");
        assert_eq!(err.code(), Code::Unauthenticated);
    }

    async fn media_a_published_listing_shows_cannot_be_deleted(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let photo = app.upload(&ann, "front.jpg", pb::Visibility::Public, &jpeg(320, 240)).await.expect("uploaded");
        let id = photo.name.trim_start_matches("media/").to_owned();
        let listing = "properties/0190b6a0-0000-7000-8000-000000000001";
        {
            let mut conn = app.store.database().pool().acquire().await.expect("a connection");
            MediaStore::replace_uses(&mut conn, listing, std::slice::from_ref(&id)).await.expect("recorded");
        }
        let delete = pb::DeleteMediaRequest { name: photo.name.clone() };
        let err = app
            .media
            .delete_media(authorized(delete.clone(), &ann.token))
            .await
            .expect_err("in use");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), "MEDIA_IN_USE");

        {
            let mut conn = app.store.database().pool().acquire().await.expect("a connection");
            MediaStore::replace_uses(&mut conn, listing, &[]).await.expect("unlisted");
        }
        app.processed(&ann, &photo.name).await;
        app.media.delete_media(authorized(delete, &ann.token)).await.expect("deleted once unused");
        let err = app.media.get_media(authorized(get(&photo.name), &ann.token)).await.expect_err("gone");
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(app.stored_files(), Vec::<std::path::PathBuf>::new(), "its bytes are gone too");
    }

    async fn a_deleted_accounts_uploads_are_erased(backend: Backend) {
        let mut app = spawn_app(backend, Store::Directory, |_| {}).await;
        let ann = app.user("ann@example.com").await;
        let bob = app.user("bob@example.com").await;
        let hers = app.upload(&ann, "plan.pdf", pb::Visibility::Public, &pdf()).await.expect("uploaded");
        let his = app.upload(&bob, "plan.pdf", pb::Visibility::Public, &pdf()).await.expect("uploaded");
        app.identity
            .delete_user(authorized(
                estospaces_proto::identity_v1::DeleteUserRequest { name: ann.name.clone() },
                &ann.token,
            ))
            .await
            .expect("ann deletes her account");
        let mut erased = false;
        for _ in 0..100 {
            if app.media.get_media(get(&hers.name)).await.is_err_and(|err| err.code() == Code::NotFound) {
                erased = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(erased, "ann's upload is gone within 10 s");
        app.media.get_media(get(&his.name)).await.expect("bob's stays");
    }
}
