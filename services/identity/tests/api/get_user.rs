use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{authorized, bad_fields, on_both_backends, reason, spawn_app};

fn get(name: &str) -> pb::GetUserRequest {
    pb::GetUserRequest {
        name: name.to_owned(),
    }
}

on_both_backends! {
    async fn a_user_reads_their_own_account(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (user, token) = app.signed_in_user("ann@example.com").await;

        let read = app
            .client
            .get_user(authorized(get(&user.name), &token))
            .await
            .expect("the owner may read")
            .into_inner()
            .user
            .expect("a user");

        assert_eq!(read, user);
    }

    async fn another_user_is_denied_whether_or_not_the_account_exists(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (ann, _) = app.signed_in_user("ann@example.com").await;
        let (_, bob_token) = app.signed_in_user("bob@example.com").await;
        let missing = "users/0190f5c6-0000-7000-8000-000000000000";

        for name in [ann.name.as_str(), missing] {
            let status = app
                .client
                .get_user(authorized(get(name), &bob_token))
                .await
                .expect_err("not bob's account");
            assert_eq!(status.code(), Code::PermissionDenied, "{name}");
        }
    }

    async fn an_anonymous_caller_is_unauthenticated(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;

        let status = app.client.get_user(get(&user.name)).await.expect_err("anonymous");

        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), "TOKEN_MISSING");
    }

    async fn a_tampered_token_is_unauthenticated(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (user, token) = app.signed_in_user("ann@example.com").await;
        // Flip one character of the signature.
        let mut tampered = token.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");

        let status = app
            .client
            .get_user(authorized(get(&user.name), &tampered))
            .await
            .expect_err("tampered");

        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), "TOKEN_SIGNATURE_INVALID");
    }

    async fn a_malformed_name_is_invalid_argument(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, token) = app.signed_in_user("ann@example.com").await;

        let status = app
            .client
            .get_user(authorized(get("accounts/42"), &token))
            .await
            .expect_err("malformed");

        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&status), ["name"]);
    }
}
