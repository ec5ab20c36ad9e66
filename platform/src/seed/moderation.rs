//! A moderator, and a listing two guests reported: the queue the README tour opens.

use anyhow::Context as _;
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::moderation_v1 as moderation;
use estospaces_proto::moderation_v1::moderation_service_client::ModerationServiceClient;
use tonic::transport::Channel;

use super::{Accounts, LoggedIn, demo_email};

/// What the two guests say about the reported listing.
const REPORTS: [(moderation::ReportReason, &str); 2] = [
    (
        moderation::ReportReason::Misleading,
        "The photos look like another flat.",
    ),
    (
        moderation::ReportReason::Scam,
        "The host asked me to pay the deposit outside the platform.",
    ),
];

/// Makes `moderator0@demo.estospaces.dev` a moderator and has two guests report `listing`. A
/// guest's second report in the same open case is the first one, so seeding twice adds nothing
/// while the case is open.
pub(super) async fn seed(
    channel: Channel,
    accounts: &Accounts,
    operator: &LoggedIn,
    guests: &[LoggedIn],
    listing: &str,
) -> anyhow::Result<()> {
    let moderator = accounts.register(&demo_email("moderator", 0)).await?;
    accounts
        .grant(operator, &moderator, identity::Role::Moderator)
        .await?;
    let mut client = ModerationServiceClient::new(channel);
    for (guest, (reason, details)) in guests.iter().zip(REPORTS) {
        client
            .create_report(guest.session.authorize(moderation::CreateReportRequest {
                report: Some(moderation::Report {
                    target: listing.to_owned(),
                    reason: reason as i32,
                    details: details.to_owned(),
                    ..Default::default()
                }),
            }))
            .await
            .with_context(|| format!("{} reporting {listing}", guest.user))?;
    }
    Ok(())
}
