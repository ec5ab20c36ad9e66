//! Operators find accounts, suspend and ban them; a barred account's tokens stop working.

use std::time::{Duration, SystemTime};

use estospaces_auth::Role;
use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{TestApp, authorized, bad_fields, on_both_backends, reason, spawn_app};

/// Signs in a new moderator (granted by the admin, then signed in again to carry the role).
async fn moderator(app: &mut TestApp, admin_token: &str) -> (pb::User, String) {
    let user = app.register("mo@example.com").await;
    app.client
        .grant_role(authorized(
            pb::GrantRoleRequest {
                name: user.name.clone(),
                role: pb::Role::Moderator as i32,
            },
            admin_token,
        ))
        .await
        .expect("an admin grants ROLE_MODERATOR");
    let token = app.login("mo@example.com").await;
    (user, token)
}

fn suspend(name: &str, for_: Duration) -> pb::SuspendUserRequest {
    pb::SuspendUserRequest {
        name: name.to_owned(),
        end_time: Some((SystemTime::now() + for_).into()),
        reason: "Spam in messages.".to_owned(),
    }
}

on_both_backends! {
    async fn staff_find_accounts_by_email_role_and_state_and_guests_are_denied(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let (_, mo) = moderator(&mut app, &admin).await;
        let (ann, guest) = app.signed_in_user("ann@example.com").await;
        app.register("bob@example.org").await;

        let found = app
            .client
            .list_users(authorized(pb::ListUsersRequest { query: "EXAMPLE.ORG".to_owned(), ..Default::default() }, &mo))
            .await
            .expect("moderators search accounts")
            .into_inner()
            .users;
        assert_eq!(found.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["bob@example.org"]);
        let moderators = app
            .client
            .list_users(authorized(pb::ListUsersRequest { role: pb::Role::Moderator as i32, ..Default::default() }, &admin))
            .await
            .expect("by role")
            .into_inner()
            .users;
        assert_eq!(moderators.len(), 1);
        let page = app
            .client
            .list_users(authorized(pb::ListUsersRequest { page_size: 2, ..Default::default() }, &admin))
            .await
            .expect("a page")
            .into_inner();
        assert_eq!(page.users.len(), 2);
        let rest = app
            .client
            .list_users(authorized(pb::ListUsersRequest { page_token: page.next_page_token, ..Default::default() }, &admin))
            .await
            .expect("the next page")
            .into_inner()
            .users;
        assert_eq!(rest.len(), 2, "four accounts in all");

        let future = SystemTime::now() + Duration::from_secs(60);
        let later = app
            .client
            .list_users(authorized(pb::ListUsersRequest { create_time_after: Some(future.into()), ..Default::default() }, &admin))
            .await
            .expect("by creation time")
            .into_inner()
            .users;
        assert!(later.is_empty());

        let t = &guest;
        let c = &mut app.client;
        let denied = [
            c.list_users(authorized(pb::ListUsersRequest::default(), t)).await.map(drop),
            c.suspend_user(authorized(suspend(&ann.name, Duration::from_secs(60)), t)).await.map(drop),
            c.ban_user(authorized(pb::BanUserRequest { name: ann.name.clone(), reason: "x".to_owned() }, t)).await.map(drop),
            c.reinstate_user(authorized(pb::ReinstateUserRequest { name: ann.name.clone(), reason: "x".to_owned() }, t)).await.map(drop),
        ];
        for result in denied {
            assert_eq!(result.expect_err("a guest").code(), Code::PermissionDenied);
        }
    }

    async fn a_suspended_account_loses_its_sessions_and_tokens_and_signs_in_again_when_it_ends(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let (_, mo) = moderator(&mut app, &admin).await;
        let ann = app.register("ann@example.com").await;
        let session = app.login_session("ann@example.com").await;

        let suspended = app
            .client
            .suspend_user(authorized(suspend(&ann.name, Duration::from_secs(3)), &mo))
            .await
            .expect("a moderator suspends")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(suspended.state, pb::user::State::Suspended as i32);
        assert_eq!(suspended.state_reason, "Spam in messages.");

        // The access token is refused at once here (others within a poll of the revocations).
        let refused = app
            .client
            .get_user(authorized(pb::GetUserRequest { name: ann.name.clone() }, &session.access_token))
            .await
            .expect_err("a revoked token");
        assert_eq!(refused.code(), Code::Unauthenticated);
        assert_eq!(reason(&refused), "TOKEN_REVOKED");
        let revocations = app
            .client
            .list_token_revocations(pb::ListTokenRevocationsRequest {})
            .await
            .expect("public")
            .into_inner()
            .revocations;
        assert_eq!(revocations.iter().map(|r| r.user.as_str()).collect::<Vec<_>>(), [ann.name.as_str()]);
        // Sessions are gone, and new ones refused.
        let refresh = app.refresh(&session.refresh_token).await.expect_err("revoked session");
        assert_eq!(refresh.code(), Code::Unauthenticated);
        let login = app
            .client
            .login(pb::LoginRequest { email: "ann@example.com".to_owned(), password: crate::helpers::PASSWORD.to_owned() })
            .await
            .expect_err("suspended");
        assert_eq!(login.code(), Code::PermissionDenied);
        assert_eq!(reason(&login), "ACCOUNT_SUSPENDED");

        tokio::time::sleep(Duration::from_secs(4)).await;
        let token = app.login("ann@example.com").await;
        let caller = app
            .client
            .get_user(authorized(pb::GetUserRequest { name: ann.name.clone() }, &token))
            .await
            .expect("a token issued after the suspension works")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(caller.state, pb::user::State::Active as i32);
    }

    async fn a_moderator_bans_but_cannot_lift_a_ban_grant_roles_or_touch_an_admin(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (admin_user, admin) = app.signed_in_admin().await;
        let (mo_user, mo) = moderator(&mut app, &admin).await;
        let ann = app.register("ann@example.com").await;

        let banned = app
            .client
            .ban_user(authorized(pb::BanUserRequest { name: ann.name.clone(), reason: "Fraud.".to_owned() }, &mo))
            .await
            .expect("a moderator bans")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(banned.state, pb::user::State::Banned as i32);
        let login = app
            .client
            .login(pb::LoginRequest { email: "ann@example.com".to_owned(), password: crate::helpers::PASSWORD.to_owned() })
            .await
            .expect_err("banned");
        assert_eq!(reason(&login), "ACCOUNT_BANNED");

        let lift = app
            .client
            .reinstate_user(authorized(pb::ReinstateUserRequest { name: ann.name.clone(), reason: "Appeal.".to_owned() }, &mo))
            .await
            .expect_err("only admins lift a ban");
        assert_eq!(lift.code(), Code::PermissionDenied);
        let grant = app
            .client
            .grant_role(authorized(pb::GrantRoleRequest { name: mo_user.name.clone(), role: pb::Role::Admin as i32 }, &mo))
            .await
            .expect_err("a moderator cannot grant roles");
        assert_eq!(grant.code(), Code::PermissionDenied);
        let admin_target = app
            .client
            .ban_user(authorized(pb::BanUserRequest { name: admin_user.name.clone(), reason: "x".to_owned() }, &mo))
            .await
            .expect_err("nobody bans an admin");
        assert_eq!(admin_target.code(), Code::PermissionDenied);
        let own = app
            .client
            .ban_user(authorized(pb::BanUserRequest { name: mo_user.name.clone(), reason: "x".to_owned() }, &mo))
            .await
            .expect_err("nor themselves");
        assert_eq!(own.code(), Code::PermissionDenied);

        let reinstated = app
            .client
            .reinstate_user(authorized(pb::ReinstateUserRequest { name: ann.name.clone(), reason: "Appeal upheld.".to_owned() }, &admin))
            .await
            .expect("an admin lifts the ban")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(reinstated.state, pb::user::State::Active as i32);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let token = app.login("ann@example.com").await;
        assert!(app.verify(&token).await.expect("valid").has_role(Role::Guest));
    }

    async fn a_suspension_needs_a_future_end_and_a_reason(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;
        let past = pb::SuspendUserRequest {
            end_time: Some((SystemTime::now() - Duration::from_secs(5)).into()),
            ..suspend(&ann.name, Duration::ZERO)
        };
        let refused = app.client.suspend_user(authorized(past, &admin)).await.expect_err("in the past");
        assert_eq!(bad_fields(&refused), ["end_time"]);
        let no_reason = pb::SuspendUserRequest { reason: " ".to_owned(), ..suspend(&ann.name, Duration::from_secs(60)) };
        let refused = app.client.suspend_user(authorized(no_reason, &admin)).await.expect_err("no reason");
        assert_eq!(bad_fields(&refused), ["reason"]);
        let missing = app
            .client
            .suspend_user(authorized(suspend(&format!("users/{}", uuid::Uuid::now_v7()), Duration::from_secs(60)), &admin))
            .await
            .expect_err("no such account");
        assert_eq!(missing.code(), Code::NotFound);
    }
}
