//! Reactions to identity's events: through the event log end to end, and the handlers called
//! directly for redelivery and malformed events.

use estospaces_profile::events::{EventError, on_user_deleted, on_user_registered};
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::identity_v1::Role;
use estospaces_proto::profile_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{authorized, on_both_backends, spawn_app};

fn registered(user: &str) -> identity::UserRegistered {
    identity::UserRegistered {
        user: user.to_owned(),
        email: "ann@example.com".to_owned(),
        ..Default::default()
    }
}

fn deleted(user: &str) -> identity::UserDeleted {
    identity::UserDeleted {
        user: user.to_owned(),
        delete_time: None,
    }
}

on_both_backends! {
    async fn registering_at_identity_creates_the_profile_through_the_event_log(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;
        let user = estospaces_profile::domain::UserId::from_name(&ann.name, "").expect("name");

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app.store.profile(user).await.expect("readable").is_none() {
            assert!(std::time::Instant::now() < deadline, "no profile row 10 s after registration");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn a_registration_creates_a_profile_once_and_redelivery_keeps_its_contents(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;

        on_user_registered(&mut app.store.connection().await.expect("connection"), &registered(&ann.name)).await.expect("handled");
        let created = app.store.profile(estospaces_profile::domain::UserId::from_name(&ann.name, "").expect("name")).await.expect("readable");
        assert!(created.is_some(), "a profile row exists");
        app.profile
            .update_profile(authorized(
                pb::UpdateProfileRequest {
                    profile: Some(pb::Profile { name: ann.profile(), display_name: "Ann".to_owned(), ..Default::default() }),
                    update_mask: Some(FieldMask { paths: vec!["display_name".to_owned()] }),
                },
                &ann.token,
            ))
            .await
            .expect("the owner updates");

        on_user_registered(&mut app.store.connection().await.expect("connection"), &registered(&ann.name)).await.expect("redelivery is harmless");

        let profile = app.profile.get_profile(pb::GetProfileRequest { name: ann.profile() }).await.expect("public").into_inner().profile.expect("a profile");
        assert_eq!(profile.display_name, "Ann");
    }

    async fn a_deletion_erases_the_profile_host_and_agent_profiles_and_memberships(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let ann = app.user_with_role("ann@example.com", Role::Agent, &admin).await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        on_user_registered(&mut app.store.connection().await.expect("connection"), &registered(&ann.name)).await.expect("handled");
        app.profile
            .update_profile(authorized(
                pb::UpdateProfileRequest {
                    profile: Some(pb::Profile { name: ann.profile(), phone: "+447700900123".to_owned(), ..Default::default() }),
                    update_mask: Some(FieldMask { paths: vec!["phone".to_owned()] }),
                },
                &ann.token,
            ))
            .await
            .expect("updated");
        app.profile
            .update_agent_profile(authorized(
                pb::UpdateAgentProfileRequest {
                    agent_profile: Some(pb::AgentProfile { name: format!("{}/agentProfile", ann.name), licence_number: "RE-1".to_owned(), ..Default::default() }),
                    update_mask: Some(FieldMask { paths: vec!["licence_number".to_owned()] }),
                },
                &ann.token,
            ))
            .await
            .expect("agent profile");
        app.profile
            .update_host_profile(authorized(
                pb::UpdateHostProfileRequest {
                    host_profile: Some(pb::HostProfile { name: format!("{}/hostProfile", ann.name), about: "Hi".to_owned(), ..Default::default() }),
                    update_mask: Some(FieldMask { paths: vec!["about".to_owned()] }),
                },
                &admin.token,
            ))
            .await
            .expect("host profile");
        let agency = app
            .profile
            .create_agency(authorized(pb::CreateAgencyRequest { agency: Some(pb::Agency { display_name: "Olga & Co".to_owned(), ..Default::default() }) }, &olga.token))
            .await
            .expect("created")
            .into_inner()
            .agency
            .expect("an agency");
        app.profile
            .create_agency_member(authorized(
                pb::CreateAgencyMemberRequest {
                    parent: agency.name.clone(),
                    member: Some(pb::AgencyMember { user: ann.name.clone(), role: pb::MemberRole::Agent as i32, ..Default::default() }),
                },
                &olga.token,
            ))
            .await
            .expect("added");

        for _ in 0..2 {
            on_user_deleted(&mut app.store.connection().await.expect("connection"), &deleted(&ann.name)).await.expect("handled, and harmless again");
        }

        let profile = app.profile.get_profile(authorized(pb::GetProfileRequest { name: ann.profile() }, &admin.token)).await.expect("readable").into_inner().profile.expect("a profile");
        assert_eq!(profile.phone, "", "erased");
        assert_eq!(profile.update_time, None, "no row left");
        let agent = app.profile.get_agent_profile(pb::GetAgentProfileRequest { name: format!("{}/agentProfile", ann.name) }).await.expect_err("erased");
        let host = app.profile.get_host_profile(pb::GetHostProfileRequest { name: format!("{}/hostProfile", ann.name) }).await.expect_err("erased");
        assert_eq!(agent.code(), Code::NotFound);
        assert_eq!(host.code(), Code::NotFound);
        let members = app.profile.list_agency_members(pb::ListAgencyMembersRequest { parent: agency.name.clone(), ..Default::default() }).await.expect("public").into_inner().members;
        assert_eq!(members.len(), 1, "only olga is left");
    }

    async fn an_event_naming_no_valid_user_is_refused_as_malformed(backend: Backend) {
        let app = spawn_app(backend).await;

        let registered = on_user_registered(&mut app.store.connection().await.expect("connection"), &registered("accounts/42")).await;
        let deleted = on_user_deleted(&mut app.store.connection().await.expect("connection"), &deleted("users/not-a-uuid")).await;

        assert!(matches!(registered, Err(EventError::Malformed(_))), "{registered:?}");
        assert!(matches!(deleted, Err(EventError::Malformed(_))), "{deleted:?}");
    }

    async fn an_agency_whose_last_owner_is_deleted_passes_to_a_manager_or_goes(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let olga = app.user_with_role("olga@example.com", Role::Agent, &admin).await;
        let abe = app.user_with_role("abe@example.com", Role::Agent, &admin).await;
        let mia = app.user_with_role("mia@example.com", Role::Agent, &admin).await;
        let create = |name: &str| pb::CreateAgencyRequest { agency: Some(pb::Agency { display_name: name.to_owned(), ..Default::default() }) };
        let staffed = app.profile.create_agency(authorized(create("Staffed"), &olga.token)).await.expect("created").into_inner().agency.expect("an agency");
        let solo = app.profile.create_agency(authorized(create("Solo"), &olga.token)).await.expect("created").into_inner().agency.expect("an agency");
        for (user, role) in [(&abe, pb::MemberRole::Agent), (&mia, pb::MemberRole::Manager)] {
            app.profile
                .create_agency_member(authorized(
                    pb::CreateAgencyMemberRequest {
                        parent: staffed.name.clone(),
                        member: Some(pb::AgencyMember { user: user.name.clone(), role: role as i32, ..Default::default() }),
                    },
                    &olga.token,
                ))
                .await
                .expect("added");
        }

        on_user_deleted(&mut app.store.connection().await.expect("connection"), &deleted(&olga.name)).await.expect("handled");

        let members = app.profile.list_agency_members(pb::ListAgencyMembersRequest { parent: staffed.name.clone(), ..Default::default() }).await.expect("public").into_inner().members;
        let roles: Vec<(String, i32)> = members.into_iter().map(|m| (m.user, m.role)).collect();
        assert_eq!(roles, [(mia.name.clone(), pb::MemberRole::Owner as i32), (abe.name.clone(), pb::MemberRole::Agent as i32)]);
        let gone = app.profile.get_agency(pb::GetAgencyRequest { name: solo.name.clone() }).await.expect_err("no members left");
        assert_eq!(gone.code(), Code::NotFound);
    }
}
