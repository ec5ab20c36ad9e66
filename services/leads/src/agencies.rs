//! Agents' agencies as the profile service tells them. Membership is read when it matters (a
//! lead is created, assigned, or read by someone other than its agent), never copied: an agent
//! who leaves an agency stops being its to manage at once.

use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::profile_v1 as profile;
use estospaces_proto::profile_v1::profile_service_client::ProfileServiceClient;
use estospaces_status::ApiError;
use estospaces_telemetry::{TracedChannel, traced};
use tonic::Code;

use crate::DOMAIN;

/// A member's role, as far as leads care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Owners and managers see and assign every lead of the agency.
    Manager,
    /// Agents hold leads.
    Agent,
}

/// One member of an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub role: Role,
}

/// A client of the profile service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Agencies {
    client: ProfileServiceClient<TracedChannel>,
}

fn member(proto: &profile::AgencyMember) -> Option<Member> {
    let user_id = proto.user.strip_prefix("users/")?.to_owned();
    let role = match profile::MemberRole::try_from(proto.role) {
        Ok(profile::MemberRole::Owner | profile::MemberRole::Manager) => Role::Manager,
        Ok(profile::MemberRole::Agent) => Role::Agent,
        _ => return None,
    };
    Some(Member { user_id, role })
}

/// `agencies/{agency}` of a member's name `agencies/{agency}/members/{member}`.
fn agency_of_member(name: &str) -> Option<String> {
    let rest = name.strip_prefix("agencies/")?;
    let (agency, _) = rest.split_once('/')?;
    Some(format!("agencies/{agency}"))
}

fn unavailable(status: &tonic::Status) -> ApiError {
    ApiError::unavailable(
        DOMAIN,
        anyhow::anyhow!("the profile service: {}", status.message()),
    )
}

impl Agencies {
    /// A client of the profile service at `url` (over TLS when `https://`); connects on
    /// first use.
    pub fn connect_lazy(url: &str, tls: &GrpcTlsConfig) -> anyhow::Result<Self> {
        let channel = estospaces_grpc_tls::channel(url, tls)?;
        Ok(Self {
            client: ProfileServiceClient::new(traced(channel)),
        })
    }

    /// The agency `user_id` works for, `agencies/{agency}`; `None` for an independent agent.
    /// Of several, the first the profile service lists.
    pub async fn agency_of(&self, user_id: &str) -> Result<Option<String>, ApiError> {
        let response = self
            .client
            .clone()
            .list_agency_members(profile::ListAgencyMembersRequest {
                parent: "agencies/-".to_owned(),
                user: format!("users/{user_id}"),
            })
            .await
            .map_err(|status| unavailable(&status))?;
        Ok(response
            .into_inner()
            .members
            .iter()
            .find_map(|m| agency_of_member(&m.name)))
    }

    /// The members of `agency`; empty when there is no such agency.
    pub async fn members(&self, agency: &str) -> Result<Vec<Member>, ApiError> {
        match self
            .client
            .clone()
            .list_agency_members(profile::ListAgencyMembersRequest {
                parent: agency.to_owned(),
                user: String::new(),
            })
            .await
        {
            Ok(response) => Ok(response
                .into_inner()
                .members
                .iter()
                .filter_map(member)
                .collect()),
            Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
                Ok(Vec::new())
            }
            Err(status) => Err(unavailable(&status)),
        }
    }

    /// Whether `user_id` owns or manages `agency`.
    pub async fn manages(&self, agency: &str, user_id: &str) -> Result<bool, ApiError> {
        if agency.is_empty() {
            return Ok(false);
        }
        Ok(managed_by(&self.members(agency).await?, user_id))
    }
}

/// Whether `user_id` is an owner or manager among `members`.
pub fn managed_by(members: &[Member], user_id: &str) -> bool {
    members
        .iter()
        .any(|m| m.user_id == user_id && m.role == Role::Manager)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_members_name_gives_its_agency() {
        assert_eq!(
            agency_of_member("agencies/a1/members/u1").as_deref(),
            Some("agencies/a1")
        );
        assert_eq!(agency_of_member("users/u1"), None);
    }
}
