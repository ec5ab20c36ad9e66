use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{authorized, on_both_backends, reason, spawn_app};

fn list(parent: &str) -> pb::ListSessionsRequest {
    pb::ListSessionsRequest {
        parent: parent.to_owned(),
    }
}

on_both_backends! {
    async fn login_returns_a_refresh_token_that_a_refresh_exchanges_for_new_tokens(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;
        let login = app.login_session("ann@example.com").await;
        assert!(!login.refresh_token.is_empty());
        assert!(login.session.starts_with(&format!("{}/sessions/", user.name)), "{}", login.session);
        assert!(login.mfa_challenge.is_none());

        let refreshed = app.refresh(&login.refresh_token).await.expect("the token is live");

        assert_eq!(refreshed.user, user.name);
        assert_eq!(refreshed.session, login.session);
        assert_ne!(refreshed.refresh_token, login.refresh_token);
        assert_eq!(refreshed.refresh_token_expire_time, login.refresh_token_expire_time);
        let caller = app.verify(&refreshed.access_token).await.expect("a valid access token");
        assert_eq!(format!("users/{}", caller.user_id), user.name);
        // And the new refresh token is live in turn.
        app.refresh(&refreshed.refresh_token).await.expect("the next token is live");
    }

    async fn presenting_a_rotated_refresh_token_revokes_the_whole_session(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (user, _) = app.signed_in_user("ann@example.com").await;
        let login = app.login_session("ann@example.com").await;
        let stolen = login.refresh_token.clone();
        let rotated = app.refresh(&login.refresh_token).await.expect("live");

        let reused = app.refresh(&stolen).await.expect_err("already exchanged");
        assert_eq!(reused.code(), Code::Unauthenticated);
        assert_eq!(reason(&reused), "REFRESH_TOKEN_REUSED");

        // The legitimate holder's newer token dies with the family.
        let descendant = app.refresh(&rotated.refresh_token).await.expect_err("family revoked");
        assert_eq!(descendant.code(), Code::Unauthenticated);
        assert_eq!(reason(&descendant), "REFRESH_TOKEN_INVALID");
        let sessions = app
            .client
            .list_sessions(authorized(list(&user.name), &rotated.access_token))
            .await
            .expect("the owner lists")
            .into_inner()
            .sessions;
        assert!(sessions.iter().all(|s| s.name != login.session), "{sessions:?}");
    }

    async fn an_unknown_refresh_token_is_unauthenticated(backend: Backend) {
        let mut app = spawn_app(backend).await;

        let status = app.refresh("not-a-token").await.expect_err("unknown");

        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), "REFRESH_TOKEN_INVALID");
    }

    async fn logout_ends_the_session_and_logging_out_twice_is_harmless(backend: Backend) {
        let mut app = spawn_app(backend).await;
        app.register("ann@example.com").await;
        let login = app.login_session("ann@example.com").await;

        for _ in 0..2 {
            app.client
                .logout(pb::LogoutRequest { refresh_token: login.refresh_token.clone() })
                .await
                .expect("logout succeeds");
        }

        let status = app.refresh(&login.refresh_token).await.expect_err("logged out");
        assert_eq!(status.code(), Code::Unauthenticated);
    }

    async fn a_user_lists_their_devices_newest_first_and_revokes_one(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;
        let laptop = app.login_session("ann@example.com").await;
        let phone = app.login_session("ann@example.com").await;

        let sessions = app
            .client
            .list_sessions(authorized(list(&user.name), &phone.access_token))
            .await
            .expect("the owner lists")
            .into_inner()
            .sessions;
        let names: Vec<&str> = sessions.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [phone.session.as_str(), laptop.session.as_str()]);
        assert_eq!(sessions[0].client_address, "127.0.0.1");
        assert!(sessions[0].user_agent.contains("tonic"), "{}", sessions[0].user_agent);
        assert!(sessions[0].create_time.is_some() && sessions[0].expire_time.is_some());

        app.client
            .revoke_session(authorized(
                pb::RevokeSessionRequest { name: laptop.session.clone() },
                &phone.access_token,
            ))
            .await
            .expect("the owner revokes");

        assert_eq!(app.refresh(&laptop.refresh_token).await.expect_err("revoked").code(), Code::Unauthenticated);
        let phone = app.refresh(&phone.refresh_token).await.expect("the other device stays signed in");
        let remaining = app
            .client
            .list_sessions(authorized(list(&user.name), &phone.access_token))
            .await
            .expect("the owner lists")
            .into_inner()
            .sessions;
        assert_eq!(remaining.len(), 1);
        assert_eq!(remaining[0].name, phone.session);
    }

    async fn another_user_can_neither_list_nor_revoke_someone_elses_sessions(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.register("ann@example.com").await;
        let ann_session = app.login_session("ann@example.com").await;
        let (_, bob_token) = app.signed_in_user("bob@example.com").await;

        let listed = app
            .client
            .list_sessions(authorized(list(&ann.name), &bob_token))
            .await
            .expect_err("not bob's");
        let revoked = app
            .client
            .revoke_session(authorized(
                pb::RevokeSessionRequest { name: ann_session.session.clone() },
                &bob_token,
            ))
            .await
            .expect_err("not bob's");

        assert_eq!(listed.code(), Code::PermissionDenied);
        assert_eq!(revoked.code(), Code::PermissionDenied);
        app.refresh(&ann_session.refresh_token).await.expect("ann is still signed in");
    }

    async fn revoking_a_session_that_does_not_exist_is_not_found(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (user, token) = app.signed_in_user("ann@example.com").await;
        let name = format!("{}/sessions/0190f5c6-0000-7000-8000-000000000000", user.name);

        let status = app
            .client
            .revoke_session(authorized(pb::RevokeSessionRequest { name }, &token))
            .await
            .expect_err("no such session");

        assert_eq!(status.code(), Code::NotFound);
    }
}

/// PostgreSQL only: SQLite runs one writer at a time, so its loser fails with a busy error
/// instead of racing.
#[tokio::test]
async fn two_concurrent_refreshes_of_one_token_rotate_it_once_and_revoke_the_session() {
    let mut app = spawn_app(crate::helpers::Backend::Postgres).await;
    app.register("ann@example.com").await;
    let login = app.login_session("ann@example.com").await;

    let mut first = app.client.clone();
    let mut second = app.client.clone();
    let request = || pb::RefreshSessionRequest {
        refresh_token: login.refresh_token.clone(),
    };
    let (a, b) = tokio::join!(
        first.refresh_session(request()),
        second.refresh_session(request())
    );

    let outcomes = [a, b];
    let winners: Vec<_> = outcomes.iter().filter_map(|r| r.as_ref().ok()).collect();
    let losers: Vec<_> = outcomes.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert_eq!(reason(losers[0]), "REFRESH_TOKEN_REUSED");
    let winner_token = winners[0].get_ref().refresh_token.clone();
    let after = app
        .refresh(&winner_token)
        .await
        .expect_err("the family is revoked");
    assert_eq!(reason(&after), "REFRESH_TOKEN_INVALID");
}
