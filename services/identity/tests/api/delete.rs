use estospaces_proto::identity_v1 as pb;
use tonic::Code;

use crate::helpers::{PASSWORD, authorized, on_both_backends, spawn_app};

fn delete(name: &str) -> pb::DeleteUserRequest {
    pb::DeleteUserRequest {
        name: name.to_owned(),
    }
}

on_both_backends! {
    async fn a_deleted_account_can_no_longer_sign_in_or_refresh_and_its_email_is_free(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.register("ann@example.com").await;
        let session = app.login_session("ann@example.com").await;

        app.client
            .delete_user(authorized(delete(&user.name), &session.access_token))
            .await
            .expect("the owner deletes");

        let login = app
            .client
            .login(pb::LoginRequest { email: "ann@example.com".to_owned(), password: PASSWORD.to_owned() })
            .await
            .expect_err("gone");
        assert_eq!(login.code(), Code::Unauthenticated);
        assert_eq!(app.refresh(&session.refresh_token).await.expect_err("gone").code(), Code::Unauthenticated);
        let again = app.register("ann@example.com").await;
        assert_ne!(again.name, user.name);
    }

    async fn only_the_owner_or_an_admin_deletes_an_account(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin_token) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;
        let (_, bob_token) = app.signed_in_user("bob@example.com").await;

        let stranger = app
            .client
            .delete_user(authorized(delete(&ann.name), &bob_token))
            .await
            .expect_err("not bob's");
        assert_eq!(stranger.code(), Code::PermissionDenied);

        app.client
            .delete_user(authorized(delete(&ann.name), &admin_token))
            .await
            .expect("admins delete");
        let missing = app
            .client
            .get_user(authorized(pb::GetUserRequest { name: ann.name.clone() }, &admin_token))
            .await
            .expect_err("deleted");
        assert_eq!(missing.code(), Code::NotFound);
        let twice = app
            .client
            .delete_user(authorized(delete(&ann.name), &admin_token))
            .await
            .expect_err("deleted already");
        assert_eq!(twice.code(), Code::NotFound);
    }
}
