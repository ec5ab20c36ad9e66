use std::time::Duration;

use estospaces_auth::{KeySet, PublicJwk, Role, TokenVerifier};
use estospaces_config::AuthConfig;
use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{PASSWORD, on_both_backends, reason, spawn_app};

on_both_backends! {
    async fn a_login_token_verifies_against_the_published_key_set_and_names_the_user(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;

        let login = app
            .client
            .login(pb::LoginRequest {
                email: "Ann@Example.com".to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("login succeeds")
            .into_inner();
        let jwks = app
            .client
            .get_jwks(pb::GetJwksRequest {})
            .await
            .expect("the key set is public")
            .into_inner();

        assert_eq!(login.user, user.name);
        let keys: Vec<PublicJwk> = jwks
            .keys
            .into_iter()
            .map(PublicJwk::from)
            .collect();
        assert_eq!(keys.len(), 1);
        let defaults = AuthConfig::default();
        let verifier = TokenVerifier::new(
            KeySet::new(&keys).expect("Ed25519 keys"),
            &defaults.issuer,
            &defaults.audience,
        );
        let caller = verifier.verify(&login.access_token).expect("the token verifies");
        assert_eq!(format!("users/{}", caller.user_id), user.name);
        assert_eq!(caller.roles, [Role::Guest]);

        let expires = login.access_token_expire_time.expect("an expiry");
        let now = prost_types_now();
        let ttl = Duration::from_secs((expires.seconds - now).max(0) as u64);
        assert!(ttl > Duration::from_secs(14 * 60) && ttl <= Duration::from_secs(15 * 60), "{ttl:?}");
    }

    async fn a_wrong_password_and_an_unknown_email_fail_alike(backend: Backend) {
        let mut app = spawn_app(backend).await;
        app.register("ann@example.com").await;

        let mut failures = Vec::new();
        for (email, password) in [
            ("ann@example.com", "not the right password"),
            ("nobody@example.com", PASSWORD),
            ("not an email", PASSWORD),
        ] {
            let status = app
                .client
                .login(pb::LoginRequest { email: email.to_owned(), password: password.to_owned() })
                .await
                .expect_err("refused");
            failures.push((status.code(), reason(&status), status.message().to_owned()));
        }

        assert_eq!(failures[0].0, Code::Unauthenticated);
        assert_eq!(failures[0].1, "INVALID_CREDENTIALS");
        assert!(failures.iter().all(|failure| failure == &failures[0]), "{failures:?}");
    }
}

fn prost_types_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}
