use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{PASSWORD, bad_fields, on_both_backends, reason, spawn_app};

on_both_backends! {
    async fn registering_returns_the_account_with_a_normalized_email_and_the_guest_role(backend: Backend) {
        let mut app = spawn_app(backend).await;

        let user = app.register("  Ann.Lee@Example.COM ").await;

        assert_eq!(user.email, "ann.lee@example.com");
        assert!(user.name.starts_with("users/"), "{}", user.name);
        assert_eq!(user.roles, [pb::Role::Guest as i32]);
        assert!(!user.email_verified);
        assert!(user.create_time.is_some());
    }

    async fn registering_an_email_already_taken_fails_with_already_exists(backend: Backend) {
        let mut app = spawn_app(backend).await;
        app.register("ann@example.com").await;

        let status = app
            .client
            .register_user(pb::RegisterUserRequest {
                email: "ANN@example.com".to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect_err("the email is taken");

        assert_eq!(status.code(), Code::AlreadyExists);
        assert_eq!(reason(&status), "EMAIL_ALREADY_REGISTERED");
    }

    async fn a_bad_email_and_a_weak_password_fail_with_invalid_argument_naming_both_and_store_nothing(backend: Backend) {
        let mut app = spawn_app(backend).await;

        let status = app
            .client
            .register_user(pb::RegisterUserRequest {
                email: "ann@@example".to_owned(),
                password: "short".to_owned(),
            })
            .await
            .expect_err("invalid input");

        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(reason(&status), "INVALID_ARGUMENT");
        assert_eq!(bad_fields(&status), ["email", "password"]);
        let weak = app
            .client
            .register_user(pb::RegisterUserRequest {
                email: "ann@example.com".to_owned(),
                password: "short".to_owned(),
            })
            .await
            .expect_err("weak password");
        assert_eq!(bad_fields(&weak), ["password"]);
        // Nothing was half-written: the email is still free.
        app.register("ann@example.com").await;
    }
}
