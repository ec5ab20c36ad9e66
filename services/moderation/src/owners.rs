//! The services that own what is moderated: who is behind a target, and carrying a decision
//! out.
//!
//! Decisions are carried out with the moderator's own token, so the owning service decides
//! whether this moderator may do it (a moderator cannot ban an admin, say) and records who did.

use std::time::SystemTime;

use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_proto::moderation_v1 as pb;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_proto::review_v1 as review;
use estospaces_proto::review_v1::review_service_client::ReviewServiceClient;
use estospaces_status::ApiError;
use estospaces_telemetry::{TracedChannel, traced};
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::{Code, Status};

use crate::DOMAIN;
use crate::domain::{Target, TargetKind};
use crate::store::CaseRecord;

/// A traced client channel to `url` (over TLS when `https://`): calls carry the caller's trace.
fn channel(url: &str, tls: &GrpcTlsConfig) -> anyhow::Result<TracedChannel> {
    Ok(traced(estospaces_grpc_tls::channel(url, tls)?))
}

/// Clients of identity, property and review. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Owners {
    identity: IdentityServiceClient<TracedChannel>,
    property: PropertyServiceClient<TracedChannel>,
    review: ReviewServiceClient<TracedChannel>,
}

/// The moderator's bearer token, passed on to the owning service.
#[derive(Debug, Clone)]
pub struct Credentials(Option<AsciiMetadataValue>);

impl Credentials {
    /// The `authorization` of the moderator's request.
    pub fn of(metadata: &MetadataMap) -> Self {
        Self(metadata.get("authorization").cloned())
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(token) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", token.clone());
        }
        request
    }
}

/// A failed call to an owning service: its own answer when it refused (the moderator reads
/// why), UNAVAILABLE when it could not be reached.
fn passed_on(status: Status) -> Status {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Unknown | Code::Internal => {
            tracing::warn!(code = ?status.code(), "an owning service failed: {}", status.message());
            ApiError::new(
                Code::Unavailable,
                DOMAIN,
                "OWNER_UNAVAILABLE",
                "the service owning the content could not be reached; try again",
            )
            .into()
        }
        _ => status,
    }
}

fn user_id(name: &str) -> String {
    name.strip_prefix("users/").unwrap_or_default().to_owned()
}

impl Owners {
    /// Clients of the services at these URLs; they connect on first use.
    pub fn connect_lazy(
        identity: &str,
        property: &str,
        review: &str,
        tls: &GrpcTlsConfig,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            identity: IdentityServiceClient::new(channel(identity, tls)?),
            property: PropertyServiceClient::new(channel(property, tls)?),
            review: ReviewServiceClient::new(channel(review, tls)?),
        })
    }

    /// The account behind `target` as the reporter can see it (a listing's owner, a review's
    /// author), or empty when this service cannot tell. NOT_FOUND when a listing or review the
    /// reporter names does not exist for them.
    pub async fn subject(&self, caller: &Credentials, target: &Target) -> Result<String, Status> {
        match target.kind {
            TargetKind::User => Ok(target.id().to_owned()),
            TargetKind::Listing => {
                let found = self
                    .property
                    .clone()
                    .get_property(caller.request(property::GetPropertyRequest {
                        name: target.name.clone(),
                    }))
                    .await
                    .map_err(passed_on)?;
                Ok(found
                    .into_inner()
                    .property
                    .map_or_else(String::new, |p| user_id(&p.owner)))
            }
            TargetKind::Review => {
                let found = self
                    .review
                    .clone()
                    .get_review(caller.request(review::GetReviewRequest {
                        name: target.name.clone(),
                    }))
                    .await
                    .map_err(passed_on)?;
                Ok(found
                    .into_inner()
                    .review
                    .map_or_else(String::new, |r| user_id(&r.author)))
            }
            TargetKind::Conversation | TargetKind::Media => Ok(String::new()),
        }
    }

    /// Carries out `decision` on `case` as the moderator behind `caller`.
    pub async fn carry_out(
        &self,
        caller: &Credentials,
        case: &CaseRecord,
        decision: pb::Decision,
        reason: &str,
        suspend_end: Option<SystemTime>,
    ) -> Result<(), Status> {
        let target = Target::parse(&case.target)
            .ok_or_else(|| Status::internal("a case about an unknown target"))?;
        let subject = if case.subject.is_empty() {
            None
        } else {
            Some(format!("users/{}", case.subject))
        };
        let precondition = |reason: &'static str, message: &str| -> Status {
            ApiError::failed_precondition(DOMAIN, reason, message).into()
        };
        match (decision, target.kind) {
            // The content stays: a listing waiting for review or held comes back, whatever
            // opened the case (a report may be joined by a hold), and so does a review held
            // in this case (a hold records its score on the case).
            (pb::Decision::Dismiss | pb::Decision::Warn, TargetKind::Listing) => {
                self.approve_listing(caller, &target, reason).await
            }
            (pb::Decision::Dismiss | pb::Decision::Warn, TargetKind::Review) if case.score > 0 => {
                self.review
                    .clone()
                    .restore_review(caller.request(review::RestoreReviewRequest {
                        name: target.name.clone(),
                    }))
                    .await
                    .map(drop)
                    .map_err(passed_on)
            }
            (pb::Decision::Dismiss | pb::Decision::Warn, _) => Ok(()),
            (pb::Decision::RemoveContent, TargetKind::Listing) => {
                self.remove_listing(caller, &target, reason).await
            }
            (pb::Decision::RemoveContent, TargetKind::Review) => self
                .review
                .clone()
                .hide_review(caller.request(review::HideReviewRequest {
                    name: target.name.clone(),
                    reason: reason.to_owned(),
                }))
                .await
                .map(drop)
                .map_err(passed_on),
            (pb::Decision::RemoveContent, _) => Err(precondition(
                "NOTHING_TO_REMOVE",
                "only listings and reviews can be removed; warn, suspend or ban the account instead",
            )),
            (pb::Decision::SuspendUser | pb::Decision::BanUser, _) => {
                let Some(user) = subject else {
                    return Err(precondition(
                        "SUBJECT_UNKNOWN",
                        "nobody is known to be behind this target; decide on the account's own case",
                    ));
                };
                if decision == pb::Decision::BanUser {
                    self.identity
                        .clone()
                        .ban_user(caller.request(identity::BanUserRequest {
                            name: user,
                            reason: reason.to_owned(),
                        }))
                        .await
                        .map(drop)
                        .map_err(passed_on)
                } else {
                    self.identity
                        .clone()
                        .suspend_user(caller.request(identity::SuspendUserRequest {
                            name: user,
                            end_time: suspend_end.map(prost_types::Timestamp::from),
                            reason: reason.to_owned(),
                        }))
                        .await
                        .map(drop)
                        .map_err(passed_on)
                }
            }
            (pb::Decision::Unspecified, _) => Err(ApiError::invalid_argument(
                DOMAIN,
                vec![estospaces_status::violation("decision", "required")],
            )
            .into()),
        }
    }

    async fn current_state(
        &self,
        caller: &Credentials,
        target: &Target,
    ) -> Result<Option<property::property::State>, Status> {
        let found = self
            .property
            .clone()
            .get_property(caller.request(property::GetPropertyRequest {
                name: target.name.clone(),
            }))
            .await
            .map_err(passed_on)?;
        Ok(found
            .into_inner()
            .property
            .and_then(|p| property::property::State::try_from(p.state).ok()))
    }

    async fn approve_listing(
        &self,
        caller: &Credentials,
        target: &Target,
        reason: &str,
    ) -> Result<(), Status> {
        // Released already (approved elsewhere, or the owner paused it), or taken down by an
        // earlier decision, which dismissing a later report does not undo: nothing to approve.
        if self.current_state(caller, target).await?
            != Some(property::property::State::PendingReview)
        {
            return Ok(());
        }
        self.property
            .clone()
            .approve_property(caller.request(property::ApprovePropertyRequest {
                name: target.name.clone(),
                reason: reason.to_owned(),
            }))
            .await
            .map(drop)
            .map_err(passed_on)
    }

    async fn remove_listing(
        &self,
        caller: &Credentials,
        target: &Target,
        reason: &str,
    ) -> Result<(), Status> {
        use property::property::State;
        let mut client = self.property.clone();
        let result = if self.current_state(caller, target).await? == Some(State::PendingReview) {
            client
                .reject_property(caller.request(property::RejectPropertyRequest {
                    name: target.name.clone(),
                    reason: reason.to_owned(),
                }))
                .await
                .map(drop)
        } else {
            client
                .take_down_property(caller.request(property::TakeDownPropertyRequest {
                    name: target.name.clone(),
                    reason: reason.to_owned(),
                }))
                .await
                .map(drop)
        };
        result.map_err(passed_on)
    }
}
