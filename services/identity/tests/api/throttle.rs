use std::time::Duration;

use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{PASSWORD, on_both_backends, reason, retry_delay, spawn_app_with};

fn login(email: &str, password: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
    }
}

fn from_address(email: &str, password: &str, address: &str) -> tonic::Request<pb::LoginRequest> {
    let mut request = tonic::Request::new(login(email, password));
    request.metadata_mut().insert(
        "x-forwarded-for",
        format!("198.51.100.9, {address}").parse().expect("ascii"),
    );
    request
}

on_both_backends! {
    async fn repeated_wrong_passwords_lock_the_account_even_against_the_right_one(backend: Backend) {
        let mut app = spawn_app_with(backend, |settings| {
            settings.login_throttle.account_max_failures = 3;
        })
        .await;
        app.register("ann@example.com").await;

        for _ in 0..3 {
            let status = app.client.login(login("ann@example.com", "a wrong password")).await.expect_err("wrong");
            assert_eq!(status.code(), Code::Unauthenticated);
        }
        let status = app.client.login(login("ann@example.com", PASSWORD)).await.expect_err("locked");

        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(reason(&status), "TOO_MANY_FAILED_SIGN_INS");
        let delay = retry_delay(&status).expect("a RetryInfo");
        assert!(delay > Duration::from_secs(50) && delay <= Duration::from_secs(60), "{delay:?}");
    }

    async fn an_unknown_email_is_throttled_exactly_like_a_registered_one(backend: Backend) {
        let mut app = spawn_app_with(backend, |settings| {
            settings.login_throttle.account_max_failures = 2;
        })
        .await;
        app.register("ann@example.com").await;

        let mut outcomes = Vec::new();
        for email in ["ann@example.com", "nobody@example.com"] {
            let mut codes = Vec::new();
            for _ in 0..3 {
                let status = app.client.login(login(email, "a wrong password")).await.expect_err("refused");
                codes.push((status.code(), reason(&status), status.message().to_owned()));
            }
            outcomes.push(codes);
        }

        assert_eq!(outcomes[0], outcomes[1]);
        assert_eq!(outcomes[0][2].0, Code::ResourceExhausted);
    }

    async fn failures_from_one_address_throttle_every_email_signed_in_from_it(backend: Backend) {
        let mut app = spawn_app_with(backend, |settings| {
            settings.login_throttle.address_max_failures = 3;
        })
        .await;
        app.register("zed@example.com").await;

        for n in 0..3 {
            app.client
                .login(login(&format!("guess{n}@example.com"), "a wrong password"))
                .await
                .expect_err("wrong");
        }
        let status = app.client.login(login("zed@example.com", PASSWORD)).await.expect_err("address locked");

        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(retry_delay(&status).is_some());
    }

    async fn the_forwarded_client_address_counts_only_when_the_proxy_is_trusted(backend: Backend) {
        for trusted in [true, false] {
            let mut app = spawn_app_with(backend, |settings| {
                settings.trust_forwarded_for = trusted;
                settings.login_throttle.address_max_failures = 2;
            })
            .await;
            app.register("zed@example.com").await;
            for n in 0..2 {
                app.client
                    .login(from_address(&format!("guess{n}@example.com"), "wrong password", "203.0.113.1"))
                    .await
                    .expect_err("wrong");
            }

            let other_client = app
                .client
                .login(from_address("zed@example.com", PASSWORD, "203.0.113.2"))
                .await;

            if trusted {
                let login = other_client.expect("another client address is not throttled");
                let sessions = app
                    .client
                    .list_sessions(crate::helpers::authorized(
                        pb::ListSessionsRequest { parent: login.get_ref().user.clone() },
                        &login.get_ref().access_token,
                    ))
                    .await
                    .expect("the owner lists")
                    .into_inner()
                    .sessions;
                assert_eq!(sessions[0].client_address, "203.0.113.2");
            } else {
                let status = other_client.expect_err("the header is ignored: one address");
                assert_eq!(status.code(), Code::ResourceExhausted);
            }
        }
    }
}
