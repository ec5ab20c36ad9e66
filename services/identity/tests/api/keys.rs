use std::time::{Duration, Instant};

use estospaces_auth::{AuthError, KeySet, SigningKey, TokenVerifier};
use estospaces_config::AuthConfig;
use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{authorized, on_both_backends, reason, spawn_app, spawn_app_with};

fn get(name: &str) -> pb::GetUserRequest {
    pb::GetUserRequest {
        name: name.to_owned(),
    }
}

on_both_backends! {
    async fn after_a_rotation_the_new_key_signs_and_tokens_from_the_old_key_still_verify(backend: Backend) {
        // No pre-publication window: the new key signs at once.
        let mut app = spawn_app_with(backend, |settings| {
            settings.signing_key_pre_publication = Duration::ZERO;
        })
        .await;
        let (_, admin_token) = app.signed_in_admin().await;
        let (ann, old_token) = app.signed_in_user("ann@example.com").await;
        let old_kids: Vec<String> = app.published_keys().await.into_iter().map(|k| k.kid).collect();
        assert_eq!(old_kids.len(), 1);

        let rotated = app
            .client
            .rotate_signing_key(authorized(pb::RotateSigningKeyRequest {}, &admin_token))
            .await
            .expect("admins rotate")
            .into_inner();

        assert_ne!(rotated.kid, old_kids[0]);
        let kids: Vec<String> = app.published_keys().await.into_iter().map(|k| k.kid).collect();
        assert_eq!(kids, [rotated.kid.clone(), old_kids[0].clone()], "newest first");
        // The old token is still accepted by the service itself...
        app.client
            .get_user(authorized(get(&ann.name), &old_token))
            .await
            .expect("the old key still verifies");
        // ...and a new login is signed by the new key alone.
        let new_token = app.login("ann@example.com").await;
        let new_key_only = app
            .published_keys()
            .await
            .into_iter()
            .filter(|key| key.kid == rotated.kid)
            .collect::<Vec<_>>();
        let auth = AuthConfig::default();
        let verifier = TokenVerifier::new(KeySet::new(&new_key_only).expect("key"), &auth.issuer, &auth.audience);
        verifier.verify(&new_token).expect("signed by the new key");
        assert_eq!(verifier.verify(&old_token), Err(AuthError::UnknownKey));
    }

    async fn a_user_who_is_not_an_admin_cannot_rotate_the_signing_key(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, token) = app.signed_in_user("ann@example.com").await;

        let status = app
            .client
            .rotate_signing_key(authorized(pb::RotateSigningKeyRequest {}, &token))
            .await
            .expect_err("not an admin");

        assert_eq!(status.code(), Code::PermissionDenied);
    }

    async fn a_retired_key_leaves_the_key_set_once_its_tokens_have_expired(backend: Backend) {
        let mut app = spawn_app_with(backend, |settings| {
            settings.access_token_ttl = Duration::from_secs(1);
            settings.key_refresh_interval = Duration::from_millis(200);
            settings.signing_key_pre_publication = Duration::from_millis(200);
        })
        .await;
        let (_, admin_token) = app.signed_in_admin().await;
        let rotated = app
            .client
            .rotate_signing_key(authorized(pb::RotateSigningKeyRequest {}, &admin_token))
            .await
            .expect("admins rotate")
            .into_inner();
        assert_eq!(app.published_keys().await.len(), 2);

        // The old key retires once the new one signs (0.2 s), then stays for its retention: 1 s
        // token lifetime + 0.2 s refresh interval + 5 s verifier leeway.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let kids: Vec<String> = app.published_keys().await.into_iter().map(|k| k.kid).collect();
            if kids == [rotated.kid.clone()] {
                break;
            }
            assert!(Instant::now() < deadline, "the old key is still published: {kids:?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn a_configured_signing_key_signs_every_token_and_refuses_rotation(backend: Backend) {
        let key = SigningKey::generate();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("signing-key.pem");
        std::fs::write(&path, estospaces_identity::keys::to_pem(&key)).expect("written");
        let mut app = spawn_app_with(backend, |settings| {
            settings.signing_key_file = Some(path.clone());
        })
        .await;
        let (_, admin_token) = app.signed_in_admin().await;

        let kids: Vec<String> = app.published_keys().await.into_iter().map(|k| k.kid).collect();
        assert_eq!(kids, [key.kid().to_owned()]);
        let auth = AuthConfig::default();
        let verifier = TokenVerifier::new(
            KeySet::new(&[key.public_jwk().clone()]).expect("key"),
            &auth.issuer,
            &auth.audience,
        );
        verifier.verify(&admin_token).expect("signed by the configured key");

        let status = app
            .client
            .rotate_signing_key(authorized(pb::RotateSigningKeyRequest {}, &admin_token))
            .await
            .expect_err("the key is configured");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "SIGNING_KEY_CONFIGURED");
    }
}
