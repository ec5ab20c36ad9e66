use estospaces_proto::identity_v1::Role;
use estospaces_proto::profile_v1 as pb;
use tonic::Code;

use crate::helpers::{TestApp, User, authorized, bad_fields, on_both_backends, reason, spawn_app};

async fn create_agency(app: &mut TestApp, owner: &User) -> pb::Agency {
    app.profile
        .create_agency(authorized(
            pb::CreateAgencyRequest {
                agency: Some(pb::Agency {
                    display_name: "Casa Lisboa".to_owned(),
                    description: "Homes in Lisbon.".to_owned(),
                    ..Default::default()
                }),
            },
            &owner.token,
        ))
        .await
        .expect("agents create agencies")
        .into_inner()
        .agency
        .expect("an agency")
}

fn add(agency: &pb::Agency, user: &User, role: pb::MemberRole) -> pb::CreateAgencyMemberRequest {
    pb::CreateAgencyMemberRequest {
        parent: agency.name.clone(),
        member: Some(pb::AgencyMember {
            user: user.name.clone(),
            role: role as i32,
            ..Default::default()
        }),
    }
}

async fn members(app: &mut TestApp, agency: &pb::Agency) -> Vec<(String, i32)> {
    app.profile
        .list_agency_members(pb::ListAgencyMembersRequest {
            parent: agency.name.clone(),
            ..Default::default()
        })
        .await
        .expect("public")
        .into_inner()
        .members
        .into_iter()
        .map(|member| (member.user, member.role))
        .collect()
}

/// `user`'s memberships across agencies (`agencies/-`): each one's name and role.
async fn memberships(app: &mut TestApp, user: &User) -> Vec<(String, i32)> {
    app.profile
        .list_agency_members(pb::ListAgencyMembersRequest {
            parent: "agencies/-".to_owned(),
            user: user.name.clone(),
        })
        .await
        .expect("public")
        .into_inner()
        .members
        .into_iter()
        .map(|member| (member.name, member.role))
        .collect()
}

on_both_backends! {
    async fn an_agent_creates_an_agency_and_becomes_its_owner_but_a_guest_cannot(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        let guest = app.user("gus@example.com").await;

        let agency = create_agency(&mut app, &olga).await;

        assert!(agency.name.starts_with("agencies/"));
        assert_eq!(members(&mut app, &agency).await, [(olga.name.clone(), pb::MemberRole::Owner as i32)]);
        let read = app.profile.get_agency(pb::GetAgencyRequest { name: agency.name.clone() }).await.expect("public").into_inner().agency.expect("an agency");
        assert_eq!(read, agency);
        let refused = app
            .profile
            .create_agency(authorized(pb::CreateAgencyRequest { agency: Some(pb::Agency { display_name: "Nope".to_owned(), ..Default::default() }) }, &guest.token))
            .await
            .expect_err("guests cannot");
        assert_eq!(refused.code(), Code::PermissionDenied);
    }

    async fn owners_add_anyone_managers_add_agents_and_strangers_nobody(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        let mia = app.user_with_role("mia@example.com", Role::Agent, &admin).await;
        let abe = app.user_with_role("abe@example.com", Role::Agent, &admin).await;
        let stranger = app.user("sam@example.com").await;
        let agency = create_agency(&mut app, &olga).await;

        app.profile.create_agency_member(authorized(add(&agency, &mia, pb::MemberRole::Manager), &olga.token)).await.expect("owners add managers");
        let promoted = app.profile.create_agency_member(authorized(add(&agency, &abe, pb::MemberRole::Owner), &mia.token)).await.expect_err("managers cannot add owners");
        assert_eq!(promoted.code(), Code::PermissionDenied);
        app.profile.create_agency_member(authorized(add(&agency, &abe, pb::MemberRole::Agent), &mia.token)).await.expect("managers add agents");
        let intruder = app.profile.create_agency_member(authorized(add(&agency, &stranger, pb::MemberRole::Owner), &stranger.token)).await.expect_err("strangers cannot");
        assert_eq!(intruder.code(), Code::PermissionDenied);

        assert_eq!(members(&mut app, &agency).await, [
            (olga.name.clone(), pb::MemberRole::Owner as i32),
            (mia.name.clone(), pb::MemberRole::Manager as i32),
            (abe.name.clone(), pb::MemberRole::Agent as i32),
        ]);
    }

    async fn a_member_may_leave_but_the_last_owner_stays(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        let abe = app.user_with_role("abe@example.com", Role::Agent, &admin).await;
        let agency = create_agency(&mut app, &olga).await;
        app.profile.create_agency_member(authorized(add(&agency, &abe, pb::MemberRole::Agent), &olga.token)).await.expect("owners add");
        let membership = |user: &User| format!("{}/members/{}", agency.name, user.name.trim_start_matches("users/"));

        let kicked = app.profile.delete_agency_member(authorized(pb::DeleteAgencyMemberRequest { name: membership(&olga) }, &abe.token)).await.expect_err("agents cannot remove owners");
        assert_eq!(kicked.code(), Code::PermissionDenied);
        let alone = app.profile.delete_agency_member(authorized(pb::DeleteAgencyMemberRequest { name: membership(&olga) }, &olga.token)).await.expect_err("the last owner");
        assert_eq!(alone.code(), Code::FailedPrecondition);
        assert_eq!(reason(&alone), "AGENCY_NEEDS_AN_OWNER");
        let demoted = app.profile.create_agency_member(authorized(add(&agency, &olga, pb::MemberRole::Agent), &olga.token)).await.expect_err("the last owner cannot step down");
        assert_eq!(demoted.code(), Code::FailedPrecondition);

        app.profile.delete_agency_member(authorized(pb::DeleteAgencyMemberRequest { name: membership(&abe) }, &abe.token)).await.expect("members leave");
        assert_eq!(members(&mut app, &agency).await.len(), 1);
    }

    async fn an_agency_that_does_not_exist_is_not_found_for_admins_and_denied_to_others(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        let ghost = pb::Agency { name: "agencies/0190f5c6-0000-7000-8000-000000000000".to_owned(), ..Default::default() };

        let denied = app.profile.create_agency_member(authorized(add(&ghost, &olga, pb::MemberRole::Agent), &olga.token)).await.expect_err("not a member");
        let missing = app.profile.create_agency_member(authorized(add(&ghost, &olga, pb::MemberRole::Agent), &admin.token)).await.expect_err("no such agency");
        let listed = app.profile.list_agency_members(pb::ListAgencyMembersRequest { parent: ghost.name.clone(), ..Default::default() }).await.expect_err("no such agency");

        assert_eq!(denied.code(), Code::PermissionDenied);
        assert_eq!(missing.code(), Code::NotFound);
        assert_eq!(listed.code(), Code::NotFound);
    }

    async fn a_users_memberships_across_two_agencies_are_listed_with_agencies_dash(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        let mia = app.user_with_role("mia@example.com", Role::Agent, &admin).await;
        let abe = app.user_with_role("abe@example.com", Role::Agent, &admin).await;
        let first = create_agency(&mut app, &olga).await;
        let second = create_agency(&mut app, &mia).await;
        let elsewhere = create_agency(&mut app, &olga).await;
        app.profile.create_agency_member(authorized(add(&first, &abe, pb::MemberRole::Agent), &olga.token)).await.expect("owners add");
        app.profile.create_agency_member(authorized(add(&second, &abe, pb::MemberRole::Manager), &mia.token)).await.expect("owners add");
        let membership = |agency: &pb::Agency| format!("{}/members/{}", agency.name, abe.name.trim_start_matches("users/"));

        let listed = memberships(&mut app, &abe).await;

        // By agency (UUIDv7 ids: the first created first), and nothing from the agency abe is
        // not in.
        assert_eq!(listed, [
            (membership(&first), pb::MemberRole::Agent as i32),
            (membership(&second), pb::MemberRole::Manager as i32),
        ]);
        assert!(listed.iter().all(|(name, _)| !name.starts_with(&elsewhere.name)));
        let in_one = app
            .profile
            .list_agency_members(pb::ListAgencyMembersRequest { parent: second.name.clone(), user: abe.name.clone() })
            .await
            .expect("public")
            .into_inner()
            .members;
        assert_eq!(in_one.iter().map(|member| member.user.as_str()).collect::<Vec<_>>(), [abe.name.as_str()]);
    }

    async fn agencies_dash_without_user_is_invalid_argument(backend: Backend) {
        let mut app = spawn_app(backend).await;

        let refused = app
            .profile
            .list_agency_members(pb::ListAgencyMembersRequest { parent: "agencies/-".to_owned(), ..Default::default() })
            .await
            .expect_err("every member of every agency is not listed");

        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&refused), ["user"]);
    }

    async fn a_user_in_no_agency_gets_an_empty_list(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        let loner = app.user("lou@example.com").await;
        create_agency(&mut app, &olga).await;

        assert_eq!(memberships(&mut app, &loner).await, []);
    }
}
