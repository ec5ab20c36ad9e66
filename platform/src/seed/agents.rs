//! The demo agents' public faces, so the agent directory (`GET /v1/agents:search`) has someone
//! to find: each agent works in Lisbon or Porto, speaks two or three languages and has a
//! licence on file, which the operator checked for agent 0. Setting the same fields again
//! changes nothing.

use anyhow::Context as _;
use estospaces_proto::profile_v1::{self as profile, profile_service_client::ProfileServiceClient};
use tonic::transport::Channel;

use super::{LoggedIn, patiently};

/// Agent `n`'s name, city and languages, in turn.
const AGENTS: [(&str, &str, &[&str]); 3] = [
    ("Marta Sousa", "Lisbon", &["pt", "en", "es"]),
    ("João Ferreira", "Lisbon", &["pt-BR", "en"]),
    ("Claire Dubois", "Porto", &["fr", "en", "pt"]),
];

pub(super) async fn seed(
    channel: Channel,
    operator: &LoggedIn,
    agents: &[&LoggedIn],
) -> anyhow::Result<()> {
    let client = ProfileServiceClient::new(channel);
    for (n, agent) in agents.iter().enumerate() {
        let (display_name, city, languages) = AGENTS[n % AGENTS.len()];
        let request = profile::UpdateProfileRequest {
            profile: Some(profile::Profile {
                name: format!("{}/profile", agent.user),
                display_name: display_name.to_owned(),
                city: city.to_owned(),
                languages: languages.iter().map(|l| (*l).to_owned()).collect(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: ["display_name", "city", "languages"]
                    .map(str::to_owned)
                    .to_vec(),
            }),
        };
        patiently(|| {
            let mut client = client.clone();
            let request = agent.session.authorize(request.clone());
            async move { client.update_profile(request).await }
        })
        .await
        .with_context(|| format!("setting {}'s profile", agent.user))?;
        let request = profile::UpdateAgentProfileRequest {
            agent_profile: Some(profile::AgentProfile {
                name: format!("{}/agentProfile", agent.user),
                licence_number: format!("AMI-{}", 18_000 + n),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["licence_number".to_owned()],
            }),
        };
        patiently(|| {
            let mut client = client.clone();
            let request = agent.session.authorize(request.clone());
            async move { client.update_agent_profile(request).await }
        })
        .await
        .with_context(|| format!("setting {}'s agent profile", agent.user))?;
    }
    if let Some(agent) = agents.first() {
        let request = profile::VerifyAgentProfileRequest {
            name: format!("{}/agentProfile", agent.user),
            verification_status: profile::VerificationStatus::Verified as i32,
        };
        patiently(|| {
            let mut client = client.clone();
            let request = operator.session.authorize(request.clone());
            async move { client.verify_agent_profile(request).await }
        })
        .await
        .with_context(|| format!("verifying {}'s licence", agent.user))?;
    }
    Ok(())
}
