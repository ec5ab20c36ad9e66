//! `estospaces.profile.v1.ProfileService`.

use std::time::SystemTime;

use estospaces_auth::{Caller, Role, policy};
use estospaces_media_check::OwnMedia;
use estospaces_proto::profile_v1 as pb;
use estospaces_proto::profile_v1::profile_service_server::ProfileService;
use estospaces_status::{ApiError, FieldViolation, violation};
use prost_types::{FieldMask, Timestamp};
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::domain::{
    self, AgencyId, AgencyParent, Channel, MemberRole, ProfileFields, UserId, Verification,
};
use crate::store::{
    AgentRecord, DirectoryEntry, DirectoryKey, HostRecord, MemberRecord, ProfileRecord,
    ProfileStore, StoreError,
};

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct ProfileHandlers {
    store: ProfileStore,
    avatars: OwnMedia,
}

impl ProfileHandlers {
    pub fn new(store: ProfileStore, avatars: OwnMedia) -> Self {
        Self { store, avatars }
    }
}

fn storage_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Database(err) => estospaces_storage::api_error(DOMAIN, err),
        other => ApiError::internal(DOMAIN, anyhow::Error::from(other)),
    }
}

fn invalid(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn user_from(field: &str, name: &str, suffix: &str) -> Result<UserId, ApiError> {
    UserId::from_name(name, suffix).map_err(|_| {
        invalid(
            field,
            format!("must be a resource name like users/{{user}}{suffix}"),
        )
    })
}

/// The resource's owner holding `role`, or an admin.
fn owner_with_role_or_admin<T>(
    request: &Request<T>,
    owner: UserId,
    role: Role,
) -> Result<&Caller, ApiError> {
    let caller = policy::authenticated(request)?;
    let is_owner = caller.user_id == owner.to_string();
    if caller.is_admin() || (is_owner && caller.has_role(role)) {
        Ok(caller)
    } else if is_owner {
        Err(ApiError::permission_denied(
            DOMAIN,
            &format!("role:{}", role.as_str()),
        ))
    } else {
        Err(ApiError::permission_denied(DOMAIN, "owner"))
    }
}

/// The field paths of a mask, or why it is unusable.
fn mask_paths(mask: Option<&FieldMask>, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let paths = mask.map(|mask| mask.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(invalid("update_mask", "must name at least one field"));
    }
    if let Some(unknown) = paths.iter().find(|path| !allowed.contains(&path.as_str())) {
        return Err(invalid(
            "update_mask",
            format!("`{unknown}` is not one of: {}", allowed.join(", ")),
        ));
    }
    Ok(paths)
}

const PROFILE_PATHS: &[&str] = &[
    "display_name",
    "avatar_media_id",
    "bio",
    "phone",
    "languages",
    "city",
    "preferences",
    "preferences.currency",
    "preferences.language",
    "preferences.notification_channels",
];

/// The masked fields of `profile`, checked; every bad one is reported.
fn parse_profile(profile: &pb::Profile, paths: &[String]) -> Result<ProfileFields, ApiError> {
    let mut fields = ProfileFields::default();
    let mut violations: Vec<FieldViolation> = Vec::new();
    let mut check = |field: &str, result: Result<String, String>, into: &mut String| match result {
        Ok(value) => *into = value,
        Err(why) => violations.push(violation(format!("profile.{field}"), why)),
    };
    let has = |path: &str| {
        paths
            .iter()
            .any(|p| p == path || p.starts_with(&format!("{path}.")))
    };
    let preferences = profile.preferences.clone().unwrap_or_default();
    let wants = |path: &str| paths.iter().any(|p| p == path || p == "preferences");

    if has("display_name") {
        check(
            "display_name",
            domain::text(&profile.display_name, 100),
            &mut fields.display_name,
        );
    }
    if has("avatar_media_id") {
        check(
            "avatar_media_id",
            domain::media_id(&profile.avatar_media_id).map_err(str::to_owned),
            &mut fields.avatar_media_id,
        );
    }
    if has("bio") {
        check("bio", domain::text(&profile.bio, 2000), &mut fields.bio);
    }
    if has("phone") {
        check(
            "phone",
            domain::phone(&profile.phone).map_err(str::to_owned),
            &mut fields.phone,
        );
    }
    if has("city") {
        check("city", domain::text(&profile.city, 100), &mut fields.city);
    }
    if wants("preferences.currency") {
        check(
            "preferences.currency",
            domain::currency(&preferences.currency).map_err(str::to_owned),
            &mut fields.currency,
        );
    }
    if wants("preferences.language") {
        check(
            "preferences.language",
            domain::language_tag(&preferences.language).map_err(str::to_owned),
            &mut fields.language,
        );
    }
    if has("languages") {
        if profile.languages.len() > 10 {
            violations.push(violation(
                "profile.languages",
                "must list at most 10 languages",
            ));
        }
        for (i, tag) in profile.languages.iter().enumerate() {
            match domain::language_tag(tag) {
                Ok(tag) if !tag.is_empty() && !fields.languages.contains(&tag) => {
                    fields.languages.push(tag);
                }
                Ok(_) => {}
                Err(why) => violations.push(violation(format!("profile.languages[{i}]"), why)),
            }
        }
    }
    if wants("preferences.notification_channels") {
        for (i, channel) in preferences.notification_channels.iter().enumerate() {
            let channel = match pb::NotificationChannel::try_from(*channel) {
                Ok(pb::NotificationChannel::Email) => Channel::Email,
                Ok(pb::NotificationChannel::Sms) => Channel::Sms,
                Ok(pb::NotificationChannel::Push) => Channel::Push,
                _ => {
                    violations.push(violation(
                        format!("profile.preferences.notification_channels[{i}]"),
                        "must be a channel other than NOTIFICATION_CHANNEL_UNSPECIFIED",
                    ));
                    continue;
                }
            };
            if !fields.notification_channels.contains(&channel) {
                fields.notification_channels.push(channel);
            }
        }
    }
    if violations.is_empty() {
        Ok(fields)
    } else {
        Err(ApiError::invalid_argument(DOMAIN, violations))
    }
}

/// Copies the masked fields of `incoming` onto `stored`.
fn apply_profile(stored: &mut ProfileFields, incoming: ProfileFields, paths: &[String]) {
    let wants = |path: &str| {
        paths
            .iter()
            .any(|p| p == path || (path.starts_with("preferences.") && p == "preferences"))
    };
    if wants("display_name") {
        stored.display_name = incoming.display_name;
    }
    if wants("avatar_media_id") {
        stored.avatar_media_id = incoming.avatar_media_id;
    }
    if wants("bio") {
        stored.bio = incoming.bio;
    }
    if wants("phone") {
        stored.phone = incoming.phone;
    }
    if wants("languages") {
        stored.languages = incoming.languages;
    }
    if wants("city") {
        stored.city = incoming.city;
    }
    if wants("preferences.currency") {
        stored.currency = incoming.currency;
    }
    if wants("preferences.language") {
        stored.language = incoming.language;
    }
    if wants("preferences.notification_channels") {
        stored.notification_channels = incoming.notification_channels;
    }
}

/// The profile as `private` or public viewers see it: the public view has no phone and no
/// preferences.
fn profile_to_proto(user: UserId, record: Option<ProfileRecord>, private: bool) -> pb::Profile {
    let (fields, updated_at) = record
        .map(|record| (record.fields, record.updated_at))
        .unwrap_or_default();
    let mut profile = pb::Profile {
        name: format!("{}/profile", user.name()),
        display_name: fields.display_name,
        avatar_media_id: fields.avatar_media_id,
        bio: fields.bio,
        phone: String::new(),
        languages: fields.languages,
        city: fields.city,
        preferences: None,
        update_time: updated_at.map(Timestamp::from),
    };
    if private {
        profile.phone = fields.phone;
        profile.preferences = Some(pb::Preferences {
            currency: fields.currency,
            language: fields.language,
            notification_channels: fields
                .notification_channels
                .iter()
                .map(|channel| match channel {
                    Channel::Email => pb::NotificationChannel::Email as i32,
                    Channel::Sms => pb::NotificationChannel::Sms as i32,
                    Channel::Push => pb::NotificationChannel::Push as i32,
                })
                .collect(),
        });
    }
    profile
}

fn host_to_proto(user: UserId, host: HostRecord) -> pb::HostProfile {
    pb::HostProfile {
        name: format!("{}/hostProfile", user.name()),
        about: host.about,
        response_time_minutes: host.response_time_minutes,
        create_time: host.created_at.map(Timestamp::from),
    }
}

fn status_to_proto(verification: Verification) -> pb::VerificationStatus {
    match verification {
        Verification::Pending => pb::VerificationStatus::Pending,
        Verification::Verified => pb::VerificationStatus::Verified,
        Verification::Rejected => pb::VerificationStatus::Rejected,
    }
}

fn agent_to_proto(user: UserId, agent: AgentRecord) -> pb::AgentProfile {
    pb::AgentProfile {
        name: format!("{}/agentProfile", user.name()),
        licence_number: agent.licence_number,
        verification_status: status_to_proto(agent.verification) as i32,
        verify_time: agent.verified_at.map(Timestamp::from),
    }
}

/// The directory's view of an agent: public profile fields and the licence's status, never the
/// phone, the preferences or the licence number.
fn directory_entry_to_proto(entry: DirectoryEntry) -> pb::AgentDirectoryEntry {
    pb::AgentDirectoryEntry {
        user: entry.user.name(),
        display_name: entry.display_name,
        avatar_media_id: entry.avatar_media_id,
        city: entry.city,
        languages: entry.languages,
        verification_status: status_to_proto(entry.verification) as i32,
    }
}

/// Agents per directory page unless asked otherwise, and at most.
const DIRECTORY_PAGE: i64 = 20;
const DIRECTORY_PAGE_MAX: i64 = 100;

/// A directory page token: the last entry's place in the order and the filters it was listed
/// with (a token is refused with other filters), as base64url JSON.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct DirectoryToken {
    /// 0: verified, 1: not.
    r: u8,
    n: String,
    u: String,
    c: Option<String>,
    l: Option<String>,
}

fn directory_token(key: &DirectoryKey, filter: &domain::AgentFilter) -> String {
    use base64::Engine as _;
    let token = DirectoryToken {
        r: u8::from(key.unverified),
        n: key.display_name.clone(),
        u: key.user.to_string(),
        c: filter.city.clone(),
        l: filter.language.clone(),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&token).unwrap_or_default())
}

fn directory_after(
    token: &str,
    filter: &domain::AgentFilter,
) -> Result<Option<DirectoryKey>, ApiError> {
    use base64::Engine as _;
    if token.is_empty() {
        return Ok(None);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<DirectoryToken>(&bytes).ok())
        .filter(|token| token.c == filter.city && token.l == filter.language && token.r <= 1)
        .and_then(|token| {
            Some(DirectoryKey {
                unverified: token.r == 1,
                display_name: token.n,
                user: UserId::parse(&token.u).ok()?,
            })
        })
        .map(Some)
        .ok_or_else(|| {
            invalid(
                "page_token",
                "not a token this search returned (with these filters)",
            )
        })
}

fn member_to_proto(member: &MemberRecord) -> pb::AgencyMember {
    let role = match member.role {
        MemberRole::Owner => pb::MemberRole::Owner,
        MemberRole::Manager => pb::MemberRole::Manager,
        MemberRole::Agent => pb::MemberRole::Agent,
    };
    pb::AgencyMember {
        name: member.agency.member_name(member.user),
        user: member.user.name(),
        role: role as i32,
        create_time: Some(Timestamp::from(member.created_at)),
    }
}

fn last_owner() -> ApiError {
    ApiError::failed_precondition(
        DOMAIN,
        "AGENCY_NEEDS_AN_OWNER",
        "an agency keeps at least one owner: make someone else owner first",
    )
}

#[tonic::async_trait]
impl ProfileService for ProfileHandlers {
    async fn get_profile(
        &self,
        request: Request<pb::GetProfileRequest>,
    ) -> Result<Response<pb::GetProfileResponse>, Status> {
        // Public; who asks decides how much they see.
        let user = user_from("name", &request.get_ref().name, "/profile")?;
        let private = policy::caller(&request)
            .is_some_and(|caller| caller.user_id == user.to_string() || caller.is_admin());

        let record = self.store.profile(user).await.map_err(storage_error)?;
        Ok(Response::new(pb::GetProfileResponse {
            profile: Some(profile_to_proto(user, record, private)),
        }))
    }

    async fn update_profile(
        &self,
        request: Request<pb::UpdateProfileRequest>,
    ) -> Result<Response<pb::UpdateProfileResponse>, Status> {
        let profile = request
            .get_ref()
            .profile
            .clone()
            .ok_or_else(|| invalid("profile", "is required"))?;
        let user = user_from("profile.name", &profile.name, "/profile")?;
        policy::owner_or_admin(&request, &user.to_string())?;
        let paths = mask_paths(request.get_ref().update_mask.as_ref(), PROFILE_PATHS)?;
        let incoming = parse_profile(&profile, &paths)?;
        if paths.iter().any(|path| path == "avatar_media_id")
            && !incoming.avatar_media_id.is_empty()
        {
            // Shown as soon as its variants are made.
            self.avatars
                .check_images(
                    &user.to_string(),
                    &[(
                        "profile.avatar_media_id".to_owned(),
                        incoming.avatar_media_id.as_str(),
                    )],
                    false,
                )
                .await?;
        }

        let record = self
            .store
            .update_profile(
                user,
                |stored| apply_profile(stored, incoming, &paths),
                SystemTime::now(),
            )
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::UpdateProfileResponse {
            profile: Some(profile_to_proto(user, Some(record), true)),
        }))
    }

    async fn get_host_profile(
        &self,
        request: Request<pb::GetHostProfileRequest>,
    ) -> Result<Response<pb::GetHostProfileResponse>, Status> {
        // Public.
        let name = request.get_ref().name.clone();
        let user = user_from("name", &name, "/hostProfile")?;

        let host = self
            .store
            .host_profile(user)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &name))?;
        Ok(Response::new(pb::GetHostProfileResponse {
            host_profile: Some(host_to_proto(user, host)),
        }))
    }

    async fn update_host_profile(
        &self,
        request: Request<pb::UpdateHostProfileRequest>,
    ) -> Result<Response<pb::UpdateHostProfileResponse>, Status> {
        let host = request
            .get_ref()
            .host_profile
            .clone()
            .ok_or_else(|| invalid("host_profile", "is required"))?;
        let user = user_from("host_profile.name", &host.name, "/hostProfile")?;
        owner_with_role_or_admin(&request, user, Role::Host)?;
        let paths = mask_paths(
            request.get_ref().update_mask.as_ref(),
            &["about", "response_time_minutes"],
        )?;
        let about =
            domain::text(&host.about, 2000).map_err(|why| invalid("host_profile.about", why))?;
        if !(0..=7 * 24 * 60).contains(&host.response_time_minutes) {
            return Err(invalid(
                "host_profile.response_time_minutes",
                "must be between 0 and 10080 (a week)",
            )
            .into());
        }

        let stored = self
            .store
            .update_host_profile(
                user,
                |stored| {
                    if paths.iter().any(|p| p == "about") {
                        stored.about = about;
                    }
                    if paths.iter().any(|p| p == "response_time_minutes") {
                        stored.response_time_minutes = host.response_time_minutes;
                    }
                },
                SystemTime::now(),
            )
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::UpdateHostProfileResponse {
            host_profile: Some(host_to_proto(user, stored)),
        }))
    }

    async fn get_agent_profile(
        &self,
        request: Request<pb::GetAgentProfileRequest>,
    ) -> Result<Response<pb::GetAgentProfileResponse>, Status> {
        // Public: clients check an agent's licence.
        let name = request.get_ref().name.clone();
        let user = user_from("name", &name, "/agentProfile")?;

        let agent = self
            .store
            .agent_profile(user)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &name))?;
        Ok(Response::new(pb::GetAgentProfileResponse {
            agent_profile: Some(agent_to_proto(user, agent)),
        }))
    }

    async fn update_agent_profile(
        &self,
        request: Request<pb::UpdateAgentProfileRequest>,
    ) -> Result<Response<pb::UpdateAgentProfileResponse>, Status> {
        let agent = request
            .get_ref()
            .agent_profile
            .clone()
            .ok_or_else(|| invalid("agent_profile", "is required"))?;
        let user = user_from("agent_profile.name", &agent.name, "/agentProfile")?;
        owner_with_role_or_admin(&request, user, Role::Agent)?;
        mask_paths(request.get_ref().update_mask.as_ref(), &["licence_number"])?;
        let licence = agent.licence_number.trim();
        let plausible = !licence.is_empty()
            && licence.len() <= 64
            && licence
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | ' ' | '.'));
        if !plausible {
            return Err(invalid(
                "agent_profile.licence_number",
                "must be 1 to 64 letters, digits, spaces, '-', '/' or '.'",
            )
            .into());
        }

        let stored = self
            .store
            .set_licence_number(user, licence, SystemTime::now())
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::UpdateAgentProfileResponse {
            agent_profile: Some(agent_to_proto(user, stored)),
        }))
    }

    async fn verify_agent_profile(
        &self,
        request: Request<pb::VerifyAgentProfileRequest>,
    ) -> Result<Response<pb::VerifyAgentProfileResponse>, Status> {
        let admin = policy::role(&request, Role::Admin)?.user_id.clone();
        let name = request.get_ref().name.clone();
        let user = user_from("name", &name, "/agentProfile")?;
        let decision = match pb::VerificationStatus::try_from(request.get_ref().verification_status)
        {
            Ok(pb::VerificationStatus::Verified) => Verification::Verified,
            Ok(pb::VerificationStatus::Rejected) => Verification::Rejected,
            _ => {
                return Err(invalid(
                    "verification_status",
                    "must be VERIFICATION_STATUS_VERIFIED or VERIFICATION_STATUS_REJECTED",
                )
                .into());
            }
        };

        let agent = self
            .store
            .verify_agent(user, decision, &admin, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::NotFound => ApiError::not_found(DOMAIN, &name),
                StoreError::NoLicence => ApiError::failed_precondition(
                    DOMAIN,
                    "LICENCE_NUMBER_MISSING",
                    "the agent has not given a licence number",
                ),
                other => storage_error(other),
            })?;
        tracing::info!(%user, %admin, decision = decision.as_str(), "agent licence decided");
        Ok(Response::new(pb::VerifyAgentProfileResponse {
            agent_profile: Some(agent_to_proto(user, agent)),
        }))
    }

    async fn create_agency(
        &self,
        request: Request<pb::CreateAgencyRequest>,
    ) -> Result<Response<pb::CreateAgencyResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        if !(caller.has_role(Role::Agent) || caller.is_admin()) {
            return Err(ApiError::permission_denied(DOMAIN, "role:agent").into());
        }
        let owner = UserId::parse(&caller.user_id)
            .map_err(|err| ApiError::internal(DOMAIN, anyhow::Error::from(err)))?;
        let agency = request.get_ref().agency.clone().unwrap_or_default();
        let display_name = domain::text(&agency.display_name, 100)
            .map_err(|why| invalid("agency.display_name", why))?;
        if display_name.is_empty() {
            return Err(invalid("agency.display_name", "is required").into());
        }
        let description = domain::text(&agency.description, 2000)
            .map_err(|why| invalid("agency.description", why))?;

        let agency = self
            .store
            .create_agency(&display_name, &description, owner, SystemTime::now())
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::CreateAgencyResponse {
            agency: Some(pb::Agency {
                name: agency.id.name(),
                display_name: agency.display_name,
                description: agency.description,
                create_time: Some(Timestamp::from(agency.created_at)),
            }),
        }))
    }

    async fn get_agency(
        &self,
        request: Request<pb::GetAgencyRequest>,
    ) -> Result<Response<pb::GetAgencyResponse>, Status> {
        // Public.
        let name = request.get_ref().name.clone();
        let id = AgencyId::from_name(&name).map_err(|why| invalid("name", why))?;

        let agency = self
            .store
            .agency(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &name))?;
        Ok(Response::new(pb::GetAgencyResponse {
            agency: Some(pb::Agency {
                name: agency.id.name(),
                display_name: agency.display_name,
                description: agency.description,
                create_time: Some(Timestamp::from(agency.created_at)),
            }),
        }))
    }

    async fn create_agency_member(
        &self,
        request: Request<pb::CreateAgencyMemberRequest>,
    ) -> Result<Response<pb::CreateAgencyMemberResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let parent = request.get_ref().parent.clone();
        let agency = AgencyId::from_name(&parent).map_err(|why| invalid("parent", why))?;
        let member = request.get_ref().member.clone().unwrap_or_default();
        let role = match pb::MemberRole::try_from(member.role) {
            Ok(pb::MemberRole::Owner) => MemberRole::Owner,
            Ok(pb::MemberRole::Manager) => MemberRole::Manager,
            Ok(pb::MemberRole::Agent) => MemberRole::Agent,
            _ => {
                return Err(invalid(
                    "member.role",
                    "must be a role other than MEMBER_ROLE_UNSPECIFIED",
                )
                .into());
            }
        };
        // Owners add anyone, managers add agents; non-members are denied whether or not the
        // agency exists.
        let caller_role = self
            .store
            .member_role(agency, &caller.user_id)
            .await
            .map_err(storage_error)?;
        let allowed = caller.is_admin()
            || caller_role == Some(MemberRole::Owner)
            || (caller_role == Some(MemberRole::Manager) && role == MemberRole::Agent);
        if !allowed {
            return Err(ApiError::permission_denied(DOMAIN, "agency:owner").into());
        }
        let user = user_from("member.user", &member.user, "")?;

        let stored = self
            .store
            .put_member(agency, user, role, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::NotFound => ApiError::not_found(DOMAIN, &parent),
                StoreError::LastOwner => last_owner(),
                other => storage_error(other),
            })?;
        Ok(Response::new(pb::CreateAgencyMemberResponse {
            member: Some(member_to_proto(&stored)),
        }))
    }

    async fn search_agents(
        &self,
        request: Request<pb::SearchAgentsRequest>,
    ) -> Result<Response<pb::SearchAgentsResponse>, Status> {
        // Public: the directory shows what GetProfile and GetAgentProfile show anyone.
        let message = request.get_ref();
        let mut bad: Vec<FieldViolation> = Vec::new();
        let filter = domain::AgentFilter::parse(&message.city, &message.language).unwrap_or_else(
            |violations| {
                bad.extend(
                    violations
                        .into_iter()
                        .map(|(field, why)| violation(field, why)),
                );
                domain::AgentFilter::default()
            },
        );
        let limit = match i64::from(message.page_size) {
            ..0 => {
                bad.push(violation("page_size", "must not be negative"));
                DIRECTORY_PAGE
            }
            0 => DIRECTORY_PAGE,
            size => size.min(DIRECTORY_PAGE_MAX),
        };
        if !bad.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, bad).into());
        }
        let after = directory_after(&message.page_token, &filter)?;

        // One more than the page: whether there is a next one.
        let mut entries = self
            .store
            .agents(&filter, after.as_ref(), limit + 1)
            .await
            .map_err(storage_error)?;
        let next_page_token = if entries.len() > usize::try_from(limit).unwrap_or_default() {
            entries.truncate(usize::try_from(limit).unwrap_or_default());
            entries
                .last()
                .map(|last| directory_token(&last.key(), &filter))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::SearchAgentsResponse {
            agents: entries.into_iter().map(directory_entry_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn list_agency_members(
        &self,
        request: Request<pb::ListAgencyMembersRequest>,
    ) -> Result<Response<pb::ListAgencyMembersResponse>, Status> {
        // Public: who works for an agency is public, so a user's memberships are too.
        let name = request.get_ref().parent.as_str();
        let parent = AgencyParent::from_name(name).map_err(|why| invalid("parent", why))?;
        let user = match request.get_ref().user.as_str() {
            "" => None,
            user => Some(user_from("user", user, "")?),
        };

        let members = match (parent, user) {
            // AIP-159: reading across agencies is only for one user's memberships; every
            // member of every agency is not a list anyone needs.
            (AgencyParent::Every, None) => {
                return Err(invalid("user", "is required when parent is agencies/-").into());
            }
            // A user in no agency has no memberships: an empty list, not NOT_FOUND.
            (AgencyParent::Every, Some(user)) => {
                self.store.memberships(user).await.map_err(storage_error)?
            }
            (AgencyParent::One(agency), user) => {
                if self
                    .store
                    .agency(agency)
                    .await
                    .map_err(storage_error)?
                    .is_none()
                {
                    return Err(ApiError::not_found(DOMAIN, name).into());
                }
                let mut members = self.store.members(agency).await.map_err(storage_error)?;
                // Agencies are small: filtering here keeps one query and one order.
                if let Some(user) = user {
                    members.retain(|member| member.user == user);
                }
                members
            }
        };
        Ok(Response::new(pb::ListAgencyMembersResponse {
            members: members.iter().map(member_to_proto).collect(),
        }))
    }

    async fn delete_agency_member(
        &self,
        request: Request<pb::DeleteAgencyMemberRequest>,
    ) -> Result<Response<pb::DeleteAgencyMemberResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let name = request.get_ref().name.clone();
        let (agency, user) =
            AgencyId::member_from_name(&name).map_err(|why| invalid("name", why))?;
        let caller_role = self
            .store
            .member_role(agency, &caller.user_id)
            .await
            .map_err(storage_error)?;
        let allowed = caller.is_admin()
            || caller_role == Some(MemberRole::Owner)
            || caller.user_id == user.to_string();
        if !allowed {
            return Err(ApiError::permission_denied(DOMAIN, "agency:owner").into());
        }

        self.store
            .delete_member(agency, user)
            .await
            .map_err(|err| match err {
                StoreError::NotFound => ApiError::not_found(DOMAIN, &name),
                StoreError::LastOwner => last_owner(),
                other => storage_error(other),
            })?;
        Ok(Response::new(pb::DeleteAgencyMemberResponse {}))
    }
}
