use estospaces_auth::Role;
use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{
    ADMIN_EMAIL, authorized, bad_fields, on_both_backends, permission, spawn_app,
};

fn grant(name: &str, role: pb::Role) -> pb::GrantRoleRequest {
    pb::GrantRoleRequest {
        name: name.to_owned(),
        role: role as i32,
    }
}

fn revoke(name: &str, role: pb::Role) -> pb::RevokeRoleRequest {
    pb::RevokeRoleRequest {
        name: name.to_owned(),
        role: role as i32,
    }
}

on_both_backends! {
    async fn the_bootstrap_admin_becomes_an_admin_only_once_their_email_is_verified(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.register(ADMIN_EMAIL).await;
        assert_eq!(admin.roles, [pb::Role::Guest as i32]);
        let unverified = app.login(ADMIN_EMAIL).await;
        assert_eq!(app.verify(&unverified).await.expect("valid").roles, [Role::Guest]);

        let verified = app.verify_email(&admin).await;

        assert!(verified.email_verified);
        assert!(verified.roles.contains(&(pb::Role::Admin as i32)), "{:?}", verified.roles);
        let token = app.login(ADMIN_EMAIL).await;
        assert!(app.verify(&token).await.expect("valid").is_admin());
    }

    async fn an_admin_grants_and_revokes_roles_and_the_next_refresh_carries_them(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin_token) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;
        let session = app.login_session("ann@example.com").await;

        let granted = app
            .client
            .grant_role(authorized(grant(&ann.name, pb::Role::Host), &admin_token))
            .await
            .expect("admins grant")
            .into_inner()
            .user
            .expect("a user");
        assert!(granted.roles.contains(&(pb::Role::Host as i32)));
        let refreshed = app.refresh(&session.refresh_token).await.expect("live");
        let caller = app.verify(&refreshed.access_token).await.expect("valid");
        assert!(caller.has_role(Role::Host), "{caller:?}");

        let revoked = app
            .client
            .revoke_role(authorized(revoke(&ann.name, pb::Role::Host), &admin_token))
            .await
            .expect("admins revoke")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(revoked.roles, [pb::Role::Guest as i32]);
        let refreshed = app.refresh(&refreshed.refresh_token).await.expect("live");
        assert!(!app.verify(&refreshed.access_token).await.expect("valid").has_role(Role::Host));
    }

    async fn a_user_who_is_not_an_admin_cannot_grant_or_revoke_roles(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (ann, ann_token) = app.signed_in_user("ann@example.com").await;

        let granted = app
            .client
            .grant_role(authorized(grant(&ann.name, pb::Role::Admin), &ann_token))
            .await
            .expect_err("not an admin");
        let revoked = app
            .client
            .revoke_role(authorized(revoke(&ann.name, pb::Role::Host), &ann_token))
            .await
            .expect_err("not an admin");

        assert_eq!(granted.code(), Code::PermissionDenied);
        assert_eq!(revoked.code(), Code::PermissionDenied);
    }

    async fn a_moderator_cannot_grant_roles(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin_token) = app.signed_in_admin().await;
        let (mo, mo_token) = app.signed_in_moderator("mo@example.com", &admin_token).await;
        let ann = app.register("ann@example.com").await;

        let c = &mut app.client;
        let refused = [
            c.grant_role(authorized(grant(&mo.name, pb::Role::Admin), &mo_token)).await.map(drop),
            c.grant_role(authorized(grant(&ann.name, pb::Role::Moderator), &mo_token)).await.map(drop),
            c.revoke_role(authorized(revoke(&mo.name, pb::Role::Moderator), &mo_token)).await.map(drop),
        ];
        for result in refused {
            let status = result.expect_err("admins only");
            assert_eq!(permission(&status), "role:admin");
        }
        assert!(app.verify(&mo_token).await.expect("valid").has_role(Role::Moderator));
    }

    async fn the_guest_role_cannot_be_revoked_and_an_unspecified_role_is_invalid(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin_token) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;

        let guest = app
            .client
            .revoke_role(authorized(revoke(&ann.name, pb::Role::Guest), &admin_token))
            .await
            .expect_err("guest stays");
        let unspecified = app
            .client
            .grant_role(authorized(grant(&ann.name, pb::Role::Unspecified), &admin_token))
            .await
            .expect_err("no such role");

        for status in [guest, unspecified] {
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(bad_fields(&status), ["role"]);
        }
    }

    async fn granting_a_role_to_an_account_that_does_not_exist_is_not_found(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin_token) = app.signed_in_admin().await;

        let status = app
            .client
            .grant_role(authorized(
                grant("users/0190f5c6-0000-7000-8000-000000000000", pb::Role::Host),
                &admin_token,
            ))
            .await
            .expect_err("no such account");

        assert_eq!(status.code(), Code::NotFound);
    }
}
