use std::time::Duration;

use estospaces_identity::delivery::Mail;
use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{
    PASSWORD, authorized, bad_fields, on_both_backends, reason, spawn_app, spawn_app_with,
};

const NEW_PASSWORD: &str = "a brand new passphrase";

on_both_backends! {
    async fn registration_mails_a_token_that_verifies_the_email_exactly_once(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;
        let mail = app.mailbox.mail();
        assert_eq!(mail.len(), 1);
        let Mail::EmailVerification(mail) = &mail[0] else { panic!("{mail:?}") };
        assert_eq!((mail.user.as_str(), mail.email.as_str()), (user.name.as_str(), "ann@example.com"));
        assert!(mail.expire_time.is_some());

        let verified = app
            .client
            .verify_email(pb::VerifyEmailRequest { token: mail.token.clone() })
            .await
            .expect("the token verifies")
            .into_inner()
            .user
            .expect("a user");
        assert!(verified.email_verified);

        let again = app
            .client
            .verify_email(pb::VerifyEmailRequest { token: mail.token.clone() })
            .await
            .expect_err("single use");
        assert_eq!(again.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&again), ["token"]);
    }

    async fn an_expired_verification_token_is_refused(backend: Backend) {
        let mut app = spawn_app_with(backend, |settings| {
            settings.email_verification_ttl = Duration::from_millis(300);
        })
        .await;
        let user = app.register("ann@example.com").await;
        let token = app.mailbox.verification_token(&user.name);
        tokio::time::sleep(Duration::from_millis(400)).await;

        let status = app
            .client
            .verify_email(pb::VerifyEmailRequest { token })
            .await
            .expect_err("expired");

        assert_eq!(status.code(), Code::InvalidArgument);
    }

    async fn the_owner_asks_for_a_new_verification_mail_until_the_email_is_verified(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (user, token) = app.signed_in_user("ann@example.com").await;
        let (_, bob_token) = app.signed_in_user("bob@example.com").await;
        let request = || pb::RequestEmailVerificationRequest { name: user.name.clone() };

        let stranger = app
            .client
            .request_email_verification(authorized(request(), &bob_token))
            .await
            .expect_err("not bob's");
        assert_eq!(stranger.code(), Code::PermissionDenied);

        let first = app.mailbox.verification_token(&user.name);
        app.client
            .request_email_verification(authorized(request(), &token))
            .await
            .expect("the owner asks");
        let second = app.mailbox.verification_token(&user.name);
        assert_ne!(first, second);
        app.verify_email(&user).await;

        let done = app
            .client
            .request_email_verification(authorized(request(), &token))
            .await
            .expect_err("verified already");
        assert_eq!(done.code(), Code::FailedPrecondition);
        assert_eq!(reason(&done), "EMAIL_ALREADY_VERIFIED");
    }

    async fn a_password_reset_sets_the_new_password_and_revokes_every_session(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;
        let session = app.login_session("ann@example.com").await;

        app.client
            .request_password_reset(pb::RequestPasswordResetRequest { email: "ANN@example.com".to_owned() })
            .await
            .expect("always succeeds");
        let token = app.mailbox.reset_token(&user.name).await;
        app.client
            .reset_password(pb::ResetPasswordRequest {
                token: token.clone(),
                new_password: NEW_PASSWORD.to_owned(),
            })
            .await
            .expect("the mailed token resets");

        let refreshed = app.refresh(&session.refresh_token).await.expect_err("every session revoked");
        assert_eq!(refreshed.code(), Code::Unauthenticated);
        let old = app
            .client
            .login(pb::LoginRequest { email: "ann@example.com".to_owned(), password: PASSWORD.to_owned() })
            .await
            .expect_err("the old password is gone");
        assert_eq!(old.code(), Code::Unauthenticated);
        app.client
            .login(pb::LoginRequest { email: "ann@example.com".to_owned(), password: NEW_PASSWORD.to_owned() })
            .await
            .expect("the new password works");
        let reused = app
            .client
            .reset_password(pb::ResetPasswordRequest { token, new_password: NEW_PASSWORD.to_owned() })
            .await
            .expect_err("single use");
        assert_eq!(bad_fields(&reused), ["token"]);
    }

    async fn a_reset_for_an_unknown_email_succeeds_and_mails_nothing(backend: Backend) {
        let mut app = spawn_app(backend).await;

        app.client
            .request_password_reset(pb::RequestPasswordResetRequest { email: "nobody@example.com".to_owned() })
            .await
            .expect("the same answer as for a registered email");

        // Issued after the response: give it time to (not) arrive.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(app.mailbox.mail().is_empty());
    }

    async fn a_weak_new_password_is_refused_and_keeps_the_token_usable(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;
        app.client
            .request_password_reset(pb::RequestPasswordResetRequest { email: "ann@example.com".to_owned() })
            .await
            .expect("always succeeds");
        let token = app.mailbox.reset_token(&user.name).await;

        let weak = app
            .client
            .reset_password(pb::ResetPasswordRequest { token: token.clone(), new_password: "short".to_owned() })
            .await
            .expect_err("weak");

        assert_eq!(bad_fields(&weak), ["new_password"]);
        app.client
            .reset_password(pb::ResetPasswordRequest { token, new_password: NEW_PASSWORD.to_owned() })
            .await
            .expect("still usable");
    }
}
