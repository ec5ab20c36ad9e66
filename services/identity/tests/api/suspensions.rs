//! Operators find accounts, suspend and ban them; a barred account's tokens stop working, at
//! identity at once and at every verifier polling the revocations within seconds.

use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime};

use estospaces_auth::{AuthError, IdentityKeys, TokenVerifier};
use estospaces_config::AuthConfig;
use estospaces_proto::identity_v1 as pb;
use prost_types::Timestamp;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{
    PASSWORD, TestApp, authorized, bad_fields, on_both_backends, permission, reason, spawn_app,
    spawn_app_with,
};

fn suspend(name: &str, for_: Duration) -> pb::SuspendUserRequest {
    pb::SuspendUserRequest {
        name: name.to_owned(),
        end_time: Some((SystemTime::now() + for_).into()),
        reason: "Spam in messages.".to_owned(),
    }
}

fn ban(name: &str) -> pb::BanUserRequest {
    pb::BanUserRequest {
        name: name.to_owned(),
        reason: "Fraud.".to_owned(),
    }
}

fn reinstate(name: &str) -> pb::ReinstateUserRequest {
    pb::ReinstateUserRequest {
        name: name.to_owned(),
        reason: "Appeal upheld.".to_owned(),
    }
}

fn login_request(email: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
    }
}

/// The emails of the accounts `ListUsers` returns for `request`, in order.
async fn emails(app: &mut TestApp, request: pb::ListUsersRequest, token: &str) -> Vec<String> {
    app.client
        .list_users(authorized(request, token))
        .await
        .expect("staff list accounts")
        .into_inner()
        .users
        .into_iter()
        .map(|user| user.email)
        .collect()
}

/// A verifier that trusts identity the way every other service does: its key set and its token
/// revocations fetched over gRPC.
async fn remote_verifier(app: &TestApp) -> (IdentityKeys, TokenVerifier) {
    let keys = IdentityKeys::from_channel(app.channel.clone());
    keys.fetch().await.expect("the key set");
    keys.fetch_revocations().await.expect("the revocations");
    let auth = AuthConfig::default();
    let verifier = TokenVerifier::new(keys.key_set(), &auth.issuer, &auth.audience);
    (keys, verifier)
}

on_both_backends! {
    async fn staff_find_accounts_by_email_role_state_and_creation_time_newest_first(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let (_, mo) = app.signed_in_moderator("mo@example.com", &admin).await;
        let ann = app.register("ann_lee@example.com").await;
        let bob = app.register("bob@example.org").await;
        let cy = app.register("annlee@example.net").await;

        let all = emails(&mut app, pb::ListUsersRequest::default(), &mo).await;
        assert_eq!(
            all,
            ["annlee@example.net", "bob@example.org", "ann_lee@example.com", "mo@example.com", "admin@example.com"],
            "newest first"
        );
        let by_text = pb::ListUsersRequest { query: " EXAMPLE.ORG ".to_owned(), ..Default::default() };
        assert_eq!(emails(&mut app, by_text, &mo).await, ["bob@example.org"], "case-insensitive");
        let literal = pb::ListUsersRequest { query: "ann_".to_owned(), ..Default::default() };
        assert_eq!(emails(&mut app, literal, &mo).await, ["ann_lee@example.com"], "`_` is no wildcard");
        let by_role = pb::ListUsersRequest { role: pb::Role::Moderator as i32, ..Default::default() };
        assert_eq!(emails(&mut app, by_role, &admin).await, ["mo@example.com"]);

        app.client.suspend_user(authorized(suspend(&ann.name, Duration::from_secs(60)), &mo)).await.expect("suspended");
        app.client.ban_user(authorized(ban(&bob.name), &mo)).await.expect("banned");
        let state = |state: pb::user::State| pb::ListUsersRequest { state: state as i32, ..Default::default() };
        assert_eq!(emails(&mut app, state(pb::user::State::Suspended), &mo).await, ["ann_lee@example.com"]);
        assert_eq!(emails(&mut app, state(pb::user::State::Banned), &mo).await, ["bob@example.org"]);
        assert_eq!(
            emails(&mut app, state(pb::user::State::Active), &mo).await,
            ["annlee@example.net", "mo@example.com", "admin@example.com"]
        );
        let listed = app
            .client
            .list_users(authorized(pb::ListUsersRequest { query: "ann_".to_owned(), ..Default::default() }, &mo))
            .await
            .expect("listed")
            .into_inner()
            .users;
        assert_eq!(listed[0].state, pb::user::State::Suspended as i32);
        assert_eq!(listed[0].state_reason, "Spam in messages.");
        assert!(listed[0].suspend_end_time.is_some());

        let after_cy = pb::ListUsersRequest { create_time_after: cy.create_time, ..Default::default() };
        assert_eq!(emails(&mut app, after_cy, &mo).await, ["annlee@example.net"], "at or after");
        let before_cy = pb::ListUsersRequest { create_time_before: cy.create_time, page_size: 1, ..Default::default() };
        assert_eq!(emails(&mut app, before_cy, &mo).await, ["bob@example.org"], "before");

        let mut pages = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = app
                .client
                .list_users(authorized(pb::ListUsersRequest { page_size: 2, page_token, ..Default::default() }, &admin))
                .await
                .expect("a page")
                .into_inner();
            assert!(page.users.len() <= 2);
            pages.extend(page.users.into_iter().map(|user| user.email));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert_eq!(pages, all, "the pages together list every account once");

        let negative = app
            .client
            .list_users(authorized(pb::ListUsersRequest { page_size: -1, ..Default::default() }, &admin))
            .await
            .expect_err("a negative page size");
        assert_eq!(bad_fields(&negative), ["page_size"]);
        let forged = app
            .client
            .list_users(authorized(pb::ListUsersRequest { page_token: "nonsense".to_owned(), ..Default::default() }, &admin))
            .await
            .expect_err("a made-up page token");
        assert_eq!(bad_fields(&forged), ["page_token"]);
    }

    async fn a_guest_cannot_list_suspend_ban_or_reinstate_accounts(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (ann, _) = app.signed_in_user("ann@example.com").await;
        let (_, guest) = app.signed_in_user("bob@example.com").await;
        // PERMISSION_DENIED comes before NOT_FOUND: strangers cannot probe for accounts.
        let missing = format!("users/{}", uuid::Uuid::now_v7());

        for name in [&ann.name, &missing] {
            let c = &mut app.client;
            let denied = [
                c.list_users(authorized(pb::ListUsersRequest::default(), &guest)).await.map(drop),
                c.suspend_user(authorized(suspend(name, Duration::from_secs(60)), &guest)).await.map(drop),
                c.ban_user(authorized(ban(name), &guest)).await.map(drop),
                c.reinstate_user(authorized(reinstate(name), &guest)).await.map(drop),
            ];
            for result in denied {
                let status = result.expect_err("a guest");
                assert_eq!(permission(&status), "role:moderator");
            }
        }
        let anonymous = app
            .client
            .list_users(pb::ListUsersRequest::default())
            .await
            .expect_err("no token");
        assert_eq!(anonymous.code(), Code::Unauthenticated);
    }

    async fn a_suspended_account_loses_its_sessions_and_tokens_and_signs_in_again_when_it_ends(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let (_, mo) = app.signed_in_moderator("mo@example.com", &admin).await;
        let ann = app.register("ann@example.com").await;
        let session = app.login_session("ann@example.com").await;

        let suspended = app
            .client
            .suspend_user(authorized(suspend(&ann.name, Duration::from_secs(2)), &mo))
            .await
            .expect("a moderator suspends")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(suspended.state, pb::user::State::Suspended as i32);
        assert_eq!(suspended.state_reason, "Spam in messages.");
        let end = suspended.suspend_end_time.expect("an end");

        // Identity refuses the access token at once (the others within a poll of the revocations).
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

        // Every session is gone, and no new one starts.
        let sessions = app
            .client
            .list_sessions(authorized(pb::ListSessionsRequest { parent: ann.name.clone() }, &admin))
            .await
            .expect("an admin lists them")
            .into_inner()
            .sessions;
        assert!(sessions.is_empty(), "{sessions:?}");
        let refresh = app.refresh(&session.refresh_token).await.expect_err("a revoked session");
        assert_eq!(refresh.code(), Code::Unauthenticated);
        let login = app.client.login(login_request("ann@example.com")).await.expect_err("suspended");
        assert_eq!(login.code(), Code::PermissionDenied);
        assert_eq!(reason(&login), "ACCOUNT_SUSPENDED");
        let details = login.get_error_details();
        let until = &details.error_info().expect("an ErrorInfo").metadata["suspend_end_time"];
        assert_eq!(Timestamp::from_str(until).expect("RFC 3339"), end);

        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let token = app.login("ann@example.com").await;
        let user = app
            .client
            .get_user(authorized(pb::GetUserRequest { name: ann.name.clone() }, &token))
            .await
            .expect("a token issued after the suspension works")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(user.state, pb::user::State::Active as i32);
        assert!(user.suspend_end_time.is_none());
        assert!(user.state_reason.is_empty());
    }

    async fn a_banned_accounts_sessions_stay_ended_after_it_is_reinstated(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;
        let session = app.login_session("ann@example.com").await;
        // Banned, then reinstated: the session ended with the ban and stays ended.
        app.client.ban_user(authorized(ban(&ann.name), &admin)).await.expect("banned");
        let refused = app.refresh(&session.refresh_token).await.expect_err("revoked with the ban");
        assert_eq!(refused.code(), Code::Unauthenticated);
        app.client.reinstate_user(authorized(reinstate(&ann.name), &admin)).await.expect("reinstated");
        let refused = app.refresh(&session.refresh_token).await.expect_err("still revoked");
        assert_eq!(refused.code(), Code::Unauthenticated);
    }

    async fn a_moderator_suspends_and_lifts_a_suspension_but_cannot_lift_or_shorten_a_ban(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let (_, mo) = app.signed_in_moderator("mo@example.com", &admin).await;
        let ann = app.register("ann@example.com").await;
        let bob = app.register("bob@example.com").await;

        app.client.suspend_user(authorized(suspend(&ann.name, Duration::from_secs(600)), &mo)).await.expect("suspends");
        let lifted = app
            .client
            .reinstate_user(authorized(reinstate(&ann.name), &mo))
            .await
            .expect("a moderator lifts a suspension")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(lifted.state, pb::user::State::Active as i32);

        let banned = app
            .client
            .ban_user(authorized(ban(&bob.name), &mo))
            .await
            .expect("a moderator bans")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(banned.state, pb::user::State::Banned as i32);
        let login = app.client.login(login_request("bob@example.com")).await.expect_err("banned");
        assert_eq!(login.code(), Code::PermissionDenied);
        assert_eq!(reason(&login), "ACCOUNT_BANNED");

        let lift = app
            .client
            .reinstate_user(authorized(reinstate(&bob.name), &mo))
            .await
            .expect_err("only admins lift a ban");
        assert_eq!(permission(&lift), "role:admin");
        let shorten = app
            .client
            .suspend_user(authorized(suspend(&bob.name, Duration::from_secs(60)), &mo))
            .await
            .expect_err("a suspension would end the ban");
        assert_eq!(permission(&shorten), "role:admin");

        let reinstated = app
            .client
            .reinstate_user(authorized(reinstate(&bob.name), &admin))
            .await
            .expect("an admin lifts the ban")
            .into_inner()
            .user
            .expect("a user");
        assert_eq!(reinstated.state, pb::user::State::Active as i32);
        app.login("bob@example.com").await;
    }

    async fn nobody_suspends_or_bans_themselves_or_an_admin(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (admin_user, admin) = app.signed_in_admin().await;
        let (mo_user, mo) = app.signed_in_moderator("mo@example.com", &admin).await;

        let c = &mut app.client;
        let refused = [
            (c.ban_user(authorized(ban(&admin_user.name), &mo)).await.map(drop), "not:admin"),
            (c.suspend_user(authorized(suspend(&admin_user.name, Duration::from_secs(60)), &mo)).await.map(drop), "not:admin"),
            (c.ban_user(authorized(ban(&mo_user.name), &mo)).await.map(drop), "not:self"),
            (c.suspend_user(authorized(suspend(&mo_user.name, Duration::from_secs(60)), &mo)).await.map(drop), "not:self"),
            (c.ban_user(authorized(ban(&admin_user.name), &admin)).await.map(drop), "not:self"),
        ];
        for (result, lacking) in refused {
            assert_eq!(permission(&result.expect_err("refused")), lacking);
        }
        // Moderators have no such protection.
        app.client.ban_user(authorized(ban(&mo_user.name), &admin)).await.expect("an admin bans a moderator");
    }

    async fn a_fresh_sign_in_right_after_a_reinstatement_works_everywhere_while_older_tokens_stay_refused(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;
        let old = app.login("ann@example.com").await;

        // All within the same second, as often as not: tokens count whole seconds.
        app.client.ban_user(authorized(ban(&ann.name), &admin)).await.expect("banned");
        app.client.reinstate_user(authorized(reinstate(&ann.name), &admin)).await.expect("reinstated");
        let fresh = app.login("ann@example.com").await;

        let get = |token: &str| authorized(pb::GetUserRequest { name: ann.name.clone() }, token);
        app.client.get_user(get(&fresh)).await.expect("identity accepts the new token");
        let refused = app.client.get_user(get(&old)).await.expect_err("the old one stays refused");
        assert_eq!(reason(&refused), "TOKEN_REVOKED");

        let (_, verifier) = remote_verifier(&app).await;
        assert!(verifier.verify(&fresh).is_ok(), "other services accept the new token");
        assert_eq!(verifier.verify(&old).map(drop), Err(AuthError::Revoked));
    }

    async fn every_verifier_polling_the_revocations_refuses_a_suspended_accounts_token_within_seconds(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let (ann, token) = app.signed_in_user("ann@example.com").await;
        let (keys, verifier) = remote_verifier(&app).await;
        assert!(verifier.verify(&token).is_ok());
        // As the service host and the gateway run it.
        let refresh = tokio::spawn(keys.refresh_every(Duration::from_secs(60), Duration::from_millis(500)));

        app.client.suspend_user(authorized(suspend(&ann.name, Duration::from_secs(600)), &admin)).await.expect("suspended");
        let deadline = Instant::now() + Duration::from_secs(5);
        while verifier.verify(&token).is_ok() {
            assert!(Instant::now() < deadline, "the revocation did not arrive");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(verifier.verify(&token).map(drop), Err(AuthError::Revoked));
        let other = app.login(crate::helpers::ADMIN_EMAIL).await;
        assert!(verifier.verify(&other).is_ok(), "other accounts are untouched");
        refresh.abort();
    }

    async fn revocations_older_than_an_access_token_are_no_longer_listed(backend: Backend) {
        let mut app = spawn_app_with(backend, |settings| settings.access_token_ttl = Duration::from_secs(2)).await;
        let (_, admin) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;
        app.client.ban_user(authorized(ban(&ann.name), &admin)).await.expect("banned");
        let listed = || pb::ListTokenRevocationsRequest {};
        let revocations = app.client.list_token_revocations(listed()).await.expect("public").into_inner().revocations;
        assert_eq!(revocations.len(), 1);
        assert!(revocations[0].revoke_time.is_some());

        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let revocations = app.client.list_token_revocations(listed()).await.expect("public").into_inner().revocations;
        assert!(revocations.is_empty(), "every token it covered has expired: {revocations:?}");
    }

    async fn a_suspension_needs_a_future_end_at_most_a_year_away_and_a_reason(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, admin) = app.signed_in_admin().await;
        let ann = app.register("ann@example.com").await;
        let year = Duration::from_secs(366 * 86_400);
        for end_time in [
            None,
            Some((SystemTime::now() - Duration::from_secs(5)).into()),
            Some((SystemTime::now() + year + Duration::from_secs(60)).into()),
        ] {
            let request = pb::SuspendUserRequest { end_time, ..suspend(&ann.name, Duration::ZERO) };
            let refused = app.client.suspend_user(authorized(request, &admin)).await.expect_err("a bad end");
            assert_eq!(bad_fields(&refused), ["end_time"]);
        }
        for reason in [" ".to_owned(), "x".repeat(1_001)] {
            let request = pb::SuspendUserRequest { reason, ..suspend(&ann.name, Duration::from_secs(60)) };
            let refused = app.client.suspend_user(authorized(request, &admin)).await.expect_err("a bad reason");
            assert_eq!(bad_fields(&refused), ["reason"]);
        }
        let no_reason = app
            .client
            .ban_user(authorized(pb::BanUserRequest { name: ann.name.clone(), reason: String::new() }, &admin))
            .await
            .expect_err("no reason");
        assert_eq!(bad_fields(&no_reason), ["reason"]);
        let missing = app
            .client
            .suspend_user(authorized(suspend(&format!("users/{}", uuid::Uuid::now_v7()), Duration::from_secs(60)), &admin))
            .await
            .expect_err("no such account");
        assert_eq!(missing.code(), Code::NotFound);
        let unchanged = app.client.get_user(authorized(pb::GetUserRequest { name: ann.name.clone() }, &admin)).await.expect("read");
        assert_eq!(unchanged.into_inner().user.expect("a user").state, pb::user::State::Active as i32);
    }

    async fn each_state_change_records_who_did_it_and_why(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (admin_user, admin) = app.signed_in_admin().await;
        let (mo_user, mo) = app.signed_in_moderator("mo@example.com", &admin).await;
        let ann = app.register("ann@example.com").await;

        let suspended = app
            .client
            .suspend_user(authorized(suspend(&ann.name, Duration::from_secs(600)), &mo))
            .await
            .expect("suspended")
            .into_inner()
            .user
            .expect("a user");
        app.client.ban_user(authorized(ban(&ann.name), &mo)).await.expect("banned");
        app.client.ban_user(authorized(ban(&ann.name), &admin)).await.expect("banned again: nothing changes");
        app.client.reinstate_user(authorized(reinstate(&ann.name), &admin)).await.expect("reinstated");
        app.client.reinstate_user(authorized(reinstate(&ann.name), &admin)).await.expect("again: nothing changes");

        let events = app.outbox().await;
        let changes: Vec<pb::UserStateChanged> = events
            .iter()
            .filter(|event| event.event_type() == "identity.user_state_changed")
            .map(|event| event.payload().expect("UserStateChanged"))
            .collect();
        let states: Vec<(i32, i32, &str, &str)> = changes
            .iter()
            .map(|c| (c.previous_state, c.state, c.actor.as_str(), c.reason.as_str()))
            .collect();
        use pb::user::State::{Active, Banned, Suspended};
        assert_eq!(
            states,
            [
                (Active as i32, Suspended as i32, mo_user.name.as_str(), "Spam in messages."),
                (Suspended as i32, Banned as i32, mo_user.name.as_str(), "Fraud."),
                (Banned as i32, Active as i32, admin_user.name.as_str(), "Appeal upheld."),
            ]
        );
        assert!(changes.iter().all(|c| c.user == ann.name && c.change_time.is_some()));
        assert_eq!(changes[0].suspend_end_time, suspended.suspend_end_time);
        assert!(changes[1].suspend_end_time.is_none());
        assert!(events.iter().filter(|e| e.event_type() == "identity.user_state_changed").all(|e| e.aggregate_id() == ann.name));

        // Roles changed by an admin name them; the bootstrap admin's own grant names nobody.
        let roles: Vec<pb::RolesChanged> = events
            .iter()
            .filter(|event| event.event_type() == "identity.roles_changed")
            .map(|event| event.payload().expect("RolesChanged"))
            .collect();
        assert_eq!(
            roles.iter().map(|r| (r.user.as_str(), r.actor.as_str())).collect::<Vec<_>>(),
            [(admin_user.name.as_str(), ""), (mo_user.name.as_str(), admin_user.name.as_str())]
        );
        assert!(roles[1].roles.contains(&(pb::Role::Moderator as i32)));
    }
}
