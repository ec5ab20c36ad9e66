use estospaces_proto::profile_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{authorized, bad_fields, on_both_backends, spawn_app};

fn get(name: &str) -> pb::GetProfileRequest {
    pb::GetProfileRequest {
        name: name.to_owned(),
    }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn full_profile(name: &str) -> pb::Profile {
    pb::Profile {
        name: name.to_owned(),
        display_name: "Ann Lee".to_owned(),
        avatar_media_id: "media-42".to_owned(),
        bio: "Loves old houses.".to_owned(),
        phone: "+44 7700 900123".to_owned(),
        languages: vec!["en".to_owned(), "pt-BR".to_owned()],
        city: "Lisbon".to_owned(),
        preferences: Some(pb::Preferences {
            currency: "eur".to_owned(),
            language: "en-GB".to_owned(),
            notification_channels: vec![
                pb::NotificationChannel::Email as i32,
                pb::NotificationChannel::Push as i32,
            ],
        }),
        update_time: None,
    }
}

const ALL: &[&str] = &[
    "display_name",
    "avatar_media_id",
    "bio",
    "phone",
    "languages",
    "city",
    "preferences",
];

on_both_backends! {
    async fn the_owner_and_admins_see_every_field_and_everyone_else_only_the_public_view(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let ann = app.user("ann@example.com").await;
        let bob = app.user("bob@example.com").await;
        let updated = app
            .profile
            .update_profile(authorized(
                pb::UpdateProfileRequest { profile: Some(full_profile(&ann.profile())), update_mask: mask(ALL) },
                &ann.token,
            ))
            .await
            .expect("the owner updates")
            .into_inner()
            .profile
            .expect("a profile");
        assert_eq!(updated.phone, "+447700900123");
        assert_eq!(updated.preferences.as_ref().map(|p| p.currency.as_str()), Some("EUR"));

        for token in [&ann.token, &admin.token] {
            let seen = app.profile.get_profile(authorized(get(&ann.profile()), token)).await.expect("readable").into_inner().profile.expect("a profile");
            assert_eq!(seen, updated);
        }
        let by_bob = app.profile.get_profile(authorized(get(&ann.profile()), &bob.token)).await.expect("public").into_inner().profile.expect("a profile");
        let anonymous = app.profile.get_profile(get(&ann.profile())).await.expect("public").into_inner().profile.expect("a profile");
        for public in [by_bob, anonymous] {
            assert_eq!(public.display_name, "Ann Lee");
            assert_eq!(public.languages, ["en", "pt-BR"]);
            assert_eq!(public.phone, "", "the phone is private");
            assert_eq!(public.preferences, None, "preferences are private");
        }
    }

    async fn only_the_owner_or_an_admin_changes_a_profile(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let ann = app.user("ann@example.com").await;
        let bob = app.user("bob@example.com").await;
        let request = || pb::UpdateProfileRequest {
            profile: Some(pb::Profile { name: ann.profile(), display_name: "Hacked".to_owned(), ..Default::default() }),
            update_mask: mask(&["display_name"]),
        };

        let by_bob = app.profile.update_profile(authorized(request(), &bob.token)).await.expect_err("not bob's");
        let anonymous = app.profile.update_profile(request()).await.expect_err("anonymous");
        assert_eq!(by_bob.code(), Code::PermissionDenied);
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        let unchanged = app.profile.get_profile(get(&ann.profile())).await.expect("public").into_inner().profile.expect("a profile");
        assert_eq!(unchanged.display_name, "");

        app.profile.update_profile(authorized(request(), &admin.token)).await.expect("admins moderate");
    }

    async fn an_update_changes_only_the_fields_in_its_mask(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;
        app.profile
            .update_profile(authorized(
                pb::UpdateProfileRequest { profile: Some(full_profile(&ann.profile())), update_mask: mask(ALL) },
                &ann.token,
            ))
            .await
            .expect("the owner updates");

        let mut change = pb::Profile { name: ann.profile(), bio: "New bio.".to_owned(), ..Default::default() };
        change.preferences = Some(pb::Preferences { currency: "GBP".to_owned(), ..Default::default() });
        let updated = app
            .profile
            .update_profile(authorized(
                pb::UpdateProfileRequest { profile: Some(change), update_mask: mask(&["bio", "preferences.currency"]) },
                &ann.token,
            ))
            .await
            .expect("the owner updates")
            .into_inner()
            .profile
            .expect("a profile");

        assert_eq!(updated.bio, "New bio.");
        assert_eq!(updated.display_name, "Ann Lee");
        assert_eq!(updated.phone, "+447700900123");
        let preferences = updated.preferences.expect("private view");
        assert_eq!(preferences.currency, "GBP");
        assert_eq!(preferences.language, "en-GB");
        assert_eq!(preferences.notification_channels.len(), 2);
    }

    async fn every_invalid_field_is_reported_and_nothing_is_stored(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;
        let mut bad = full_profile(&ann.profile());
        bad.phone = "0770".to_owned();
        bad.languages = vec!["en".to_owned(), "not a tag".to_owned()];
        bad.preferences = Some(pb::Preferences {
            currency: "EURO".to_owned(),
            language: "en".to_owned(),
            notification_channels: vec![pb::NotificationChannel::Unspecified as i32],
        });

        let status = app
            .profile
            .update_profile(authorized(pb::UpdateProfileRequest { profile: Some(bad), update_mask: mask(ALL) }, &ann.token))
            .await
            .expect_err("invalid");

        assert_eq!(status.code(), Code::InvalidArgument);
        let mut fields = bad_fields(&status);
        fields.sort();
        assert_eq!(fields, [
            "profile.languages[1]",
            "profile.phone",
            "profile.preferences.currency",
            "profile.preferences.notification_channels[0]",
        ]);
        let stored = app.profile.get_profile(authorized(get(&ann.profile()), &ann.token)).await.expect("readable").into_inner().profile.expect("a profile");
        assert_eq!(stored.display_name, "");

        let unknown = app
            .profile
            .update_profile(authorized(
                pb::UpdateProfileRequest { profile: Some(full_profile(&ann.profile())), update_mask: mask(&["email"]) },
                &ann.token,
            ))
            .await
            .expect_err("no such field");
        assert_eq!(bad_fields(&unknown), ["update_mask"]);
    }

    async fn an_account_without_a_profile_yet_reads_as_an_empty_profile(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;

        let profile = app.profile.get_profile(authorized(get(&ann.profile()), &ann.token)).await.expect("readable").into_inner().profile.expect("a profile");

        assert_eq!(profile.name, ann.profile());
        assert_eq!(profile.display_name, "");
    }

    async fn a_token_signed_after_identity_rotates_its_key_is_accepted_at_once(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let ann = app.user("ann@example.com").await;
        // Profile has loaded the first key set.
        app.profile.get_profile(authorized(get(&ann.profile()), &ann.token)).await.expect("the first key verifies");

        app.identity
            .rotate_signing_key(authorized(estospaces_proto::identity_v1::RotateSigningKeyRequest {}, &admin.token))
            .await
            .expect("admins rotate");
        let fresh = app.login("ann@example.com").await;

        let seen = app.profile.get_profile(authorized(get(&ann.profile()), &fresh)).await.expect("the new key is fetched on first sight");
        assert!(seen.into_inner().profile.expect("a profile").preferences.is_some(), "the owner's view");
        app.profile.get_profile(authorized(get(&ann.profile()), &ann.token)).await.expect("the old key still verifies");
    }
}
