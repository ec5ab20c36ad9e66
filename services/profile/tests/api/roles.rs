//! Host and agent profiles: who may set them up, and licence verification.

use estospaces_proto::identity_v1::Role;
use estospaces_proto::profile_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{authorized, on_both_backends, reason, spawn_app};

fn mask(path: &str) -> Option<FieldMask> {
    Some(FieldMask {
        paths: vec![path.to_owned()],
    })
}

fn host_update(user: &str, about: &str) -> pb::UpdateHostProfileRequest {
    pb::UpdateHostProfileRequest {
        host_profile: Some(pb::HostProfile {
            name: format!("{user}/hostProfile"),
            about: about.to_owned(),
            ..Default::default()
        }),
        update_mask: mask("about"),
    }
}

fn licence(user: &str, number: &str) -> pb::UpdateAgentProfileRequest {
    pb::UpdateAgentProfileRequest {
        agent_profile: Some(pb::AgentProfile {
            name: format!("{user}/agentProfile"),
            licence_number: number.to_owned(),
            ..Default::default()
        }),
        update_mask: mask("licence_number"),
    }
}

fn verify(user: &str, status: pb::VerificationStatus) -> pb::VerifyAgentProfileRequest {
    pb::VerifyAgentProfileRequest {
        name: format!("{user}/agentProfile"),
        verification_status: status as i32,
    }
}

on_both_backends! {
    async fn a_host_profile_needs_the_host_role_and_is_public(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let guest = app.user("gus@example.com").await;
        let host = app.user_with_role("hana@example.com", Role::Host, &admin).await;

        let refused = app.profile.update_host_profile(authorized(host_update(&guest.name, "Hi"), &guest.token)).await.expect_err("no host role");
        assert_eq!(refused.code(), Code::PermissionDenied);
        let stranger = app.profile.update_host_profile(authorized(host_update(&guest.name, "Hi"), &host.token)).await.expect_err("not hana's");
        assert_eq!(stranger.code(), Code::PermissionDenied);

        app.profile.update_host_profile(authorized(host_update(&host.name, "Sea views."), &host.token)).await.expect("hosts set theirs up");
        let public = app
            .profile
            .get_host_profile(pb::GetHostProfileRequest { name: format!("{}/hostProfile", host.name) })
            .await
            .expect("public")
            .into_inner()
            .host_profile
            .expect("a host profile");
        assert_eq!(public.about, "Sea views.");
        let missing = app.profile.get_host_profile(pb::GetHostProfileRequest { name: format!("{}/hostProfile", guest.name) }).await.expect_err("none");
        assert_eq!(missing.code(), Code::NotFound);
    }

    async fn only_admins_verify_a_licence_and_a_new_number_needs_verifying_again(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let agent = app.user_with_role("alex@example.com", Role::Agent, &admin).await;

        let pending = app.profile.update_agent_profile(authorized(licence(&agent.name, "RE-1234"), &agent.token)).await.expect("agents set theirs up").into_inner().agent_profile.expect("a profile");
        assert_eq!(pending.verification_status, pb::VerificationStatus::Pending as i32);

        let self_verified = app.profile.verify_agent_profile(authorized(verify(&agent.name, pb::VerificationStatus::Verified), &agent.token)).await.expect_err("not an admin");
        assert_eq!(self_verified.code(), Code::PermissionDenied);
        let verified = app.profile.verify_agent_profile(authorized(verify(&agent.name, pb::VerificationStatus::Verified), &admin.token)).await.expect("admins verify").into_inner().agent_profile.expect("a profile");
        assert_eq!(verified.verification_status, pb::VerificationStatus::Verified as i32);
        assert!(verified.verify_time.is_some());

        let public = app.profile.get_agent_profile(pb::GetAgentProfileRequest { name: format!("{}/agentProfile", agent.name) }).await.expect("public").into_inner().agent_profile.expect("a profile");
        assert_eq!(public, verified);

        let changed = app.profile.update_agent_profile(authorized(licence(&agent.name, "RE-9999"), &agent.token)).await.expect("agents update").into_inner().agent_profile.expect("a profile");
        assert_eq!(changed.verification_status, pb::VerificationStatus::Pending as i32);
        assert_eq!(changed.verify_time, None);
    }

    async fn a_licence_decision_needs_a_licence_and_a_real_decision(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let agent = app.user_with_role("alex@example.com", Role::Agent, &admin).await;

        let missing = app.profile.verify_agent_profile(authorized(verify(&agent.name, pb::VerificationStatus::Verified), &admin.token)).await.expect_err("no agent profile");
        assert_eq!(missing.code(), Code::NotFound);
        app.profile.update_agent_profile(authorized(licence(&agent.name, "RE-1"), &agent.token)).await.expect("set up");
        let unspecified = app.profile.verify_agent_profile(authorized(verify(&agent.name, pb::VerificationStatus::Pending), &admin.token)).await.expect_err("not a decision");
        assert_eq!(unspecified.code(), Code::InvalidArgument);
        let guest = app.user("gus@example.com").await;
        let no_role = app.profile.update_agent_profile(authorized(licence(&guest.name, "RE-2"), &guest.token)).await.expect_err("no agent role");
        assert_eq!(no_role.code(), Code::PermissionDenied);
        assert_eq!(reason(&no_role), "PERMISSION_DENIED");
    }
}
