//! Demo leads: agent 0's agency with the other agents in it, and guests asking about the agents'
//! homes for sale, worked so that the pipeline has a lead in every stage: what the README tour
//! opens as agent 0.
//!
//! Seeding again finds the agency and the viewing slot, counts one more inquiry on each lead and
//! moves each to the stage it is in: no second agency, lead, slot, note or task.

use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use estospaces_proto::leads_v1::lead::{LostReason, Stage};
use estospaces_proto::leads_v1::{self as leads, lead_service_client::LeadServiceClient};
use estospaces_proto::profile_v1::{self as profile, profile_service_client::ProfileServiceClient};
use estospaces_proto::property_v1::{
    self as property, property_service_client::PropertyServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

use super::{LoggedIn, patiently};

/// One demo lead: the stage its agent takes it to, and the guest's inquiry (the budget as a
/// percentage of the asking price).
struct Demo {
    stage: Stage,
    name: &'static str,
    message: &'static str,
    budget_percent: i64,
    financing: leads::Financing,
}

/// The pipeline, a lead in each stage. Lead `n` is guest `n + 1`'s (guest 0 already talks with
/// agent 0 in messaging) about the `n`th home for sale, in turn: with enough listings agent 0
/// holds the viewing and the offer.
const PIPELINE: [Demo; 6] = [
    Demo {
        stage: Stage::ViewingScheduled,
        name: "Inês Carvalho",
        message: "Could we see it on a weekday morning? We have a mortgage agreed.",
        budget_percent: 100,
        financing: leads::Financing::MortgageApproved,
    },
    Demo {
        stage: Stage::Contacted,
        name: "Tom Becker",
        message: "Is the price negotiable? We are buying our first home.",
        budget_percent: 90,
        financing: leads::Financing::MortgageNeeded,
    },
    Demo {
        stage: Stage::Won,
        name: "Sofia Marques",
        message: "We would like to buy it: cash, nothing to sell first.",
        budget_percent: 100,
        financing: leads::Financing::Cash,
    },
    Demo {
        stage: Stage::Offer,
        name: "Daniel Okafor",
        message: "We loved the viewing. Would the owner take 95% of the asking price?",
        budget_percent: 95,
        financing: leads::Financing::MortgageApproved,
    },
    Demo {
        stage: Stage::New,
        name: "Chloé Martin",
        message: "Does the building have a lift?",
        budget_percent: 0,
        financing: leads::Financing::Unspecified,
    },
    Demo {
        stage: Stage::Lost,
        name: "Piotr Nowak",
        message: "Is a parking space included in the price?",
        budget_percent: 75,
        financing: leads::Financing::MortgageNeeded,
    },
];

/// Makes agent 0's agency, then the pipeline: each of `sales` (a home for sale and its agent)
/// in turn is asked about by a guest and worked by its agent.
pub(super) async fn seed(
    channel: Channel,
    agents: &[&LoggedIn],
    sales: &[(&str, &LoggedIn)],
    guests: &[LoggedIn],
) -> anyhow::Result<()> {
    if let Some((owner, members)) = agents.split_first() {
        agency(ProfileServiceClient::new(channel.clone()), owner, members).await?;
    }
    if sales.is_empty() {
        return Ok(());
    }
    let client = LeadServiceClient::new(channel.clone());
    let properties = PropertyServiceClient::new(channel);
    for (n, (demo, guest)) in PIPELINE.iter().zip(guests.iter().skip(1)).enumerate() {
        let (listing, agent) = sales[n % sales.len()];
        let price = asking_price(&properties, agent, listing).await?;
        let lead = inquire(&client, guest, listing, demo, price).await?;
        match demo.stage {
            Stage::New => continue,
            Stage::ViewingScheduled => {
                let slot = viewing_slot(&client, agent, listing).await?;
                patiently(|| {
                    let mut client = client.clone();
                    let request = guest.session.authorize(leads::BookViewingRequest {
                        lead: lead.clone(),
                        viewing_slot: slot.clone(),
                    });
                    async move { client.book_viewing(request).await }
                })
                .await
                .with_context(|| format!("booking {slot} for {lead}"))?;
            }
            Stage::Offer => note_and_task(&client, agent, &lead).await?,
            _ => {}
        }
        // The booking moved the viewing's lead already; moving it too puts back, on a second
        // seeding, whatever someone changed since.
        move_to(&client, agent, &lead, demo.stage).await?;
    }
    Ok(())
}

/// `guest` asks about `listing` (asking `price`) as `demo` says, signed in; their lead.
async fn inquire(
    client: &LeadServiceClient<Channel>,
    guest: &LoggedIn,
    listing: &str,
    demo: &Demo,
    price: i64,
) -> anyhow::Result<String> {
    let asked = patiently(|| {
        let mut client = client.clone();
        let request = guest.session.authorize(leads::CreateInquiryRequest {
            listing: listing.to_owned(),
            contact: Some(leads::Contact {
                display_name: demo.name.to_owned(),
                ..Default::default()
            }),
            message: demo.message.to_owned(),
            budget: price * demo.budget_percent / 100,
            financing: demo.financing as i32,
            captcha_token: String::new(),
        });
        async move { client.create_inquiry(request).await }
    })
    .await
    .with_context(|| format!("{} asking about {listing}", guest.user))?;
    Ok(asked.into_inner().lead)
}

/// `agent` moves `lead` to `stage`; a lost lead went elsewhere.
async fn move_to(
    client: &LeadServiceClient<Channel>,
    agent: &LoggedIn,
    lead: &str,
    stage: Stage,
) -> anyhow::Result<()> {
    let (lost_reason, lost_note) = match stage {
        Stage::Lost => (
            LostReason::WentElsewhere as i32,
            "Bought a flat closer to their work.",
        ),
        _ => (0, ""),
    };
    patiently(|| {
        let mut client = client.clone();
        let request = agent.session.authorize(leads::ChangeLeadStageRequest {
            name: lead.to_owned(),
            stage: stage as i32,
            lost_reason,
            lost_note: lost_note.to_owned(),
            etag: String::new(),
        });
        async move { client.change_lead_stage(request).await }
    })
    .await
    .with_context(|| format!("moving {lead} to {}", stage.as_str_name()))?;
    Ok(())
}

/// `owner`'s agency, "Lisbon Homes", unless they are in one already; `members` join it as
/// agents (joining again changes nothing).
async fn agency(
    profiles: ProfileServiceClient<Channel>,
    owner: &LoggedIn,
    members: &[&LoggedIn],
) -> anyhow::Result<()> {
    let memberships = patiently(|| {
        let mut profiles = profiles.clone();
        let request = profile::ListAgencyMembersRequest {
            parent: "agencies/-".to_owned(),
            user: owner.user.clone(),
        };
        async move { profiles.list_agency_members(request).await }
    })
    .await
    .with_context(|| format!("finding {}'s agency", owner.user))?
    .into_inner()
    .members;
    let agency = match memberships
        .iter()
        .find_map(|member| member.name.split_once("/members/"))
    {
        Some((agency, _)) => agency.to_owned(),
        None => {
            patiently(|| {
                let mut profiles = profiles.clone();
                let request = owner.session.authorize(profile::CreateAgencyRequest {
                    agency: Some(profile::Agency {
                        display_name: "Lisbon Homes".to_owned(),
                        description: "Homes for sale in Lisbon and along the coast.".to_owned(),
                        ..Default::default()
                    }),
                });
                async move { profiles.create_agency(request).await }
            })
            .await
            .with_context(|| format!("{} creating an agency", owner.user))?
            .into_inner()
            .agency
            .context("profile answered without the agency")?
            .name
        }
    };
    for member in members {
        patiently(|| {
            let mut profiles = profiles.clone();
            let request = owner.session.authorize(profile::CreateAgencyMemberRequest {
                parent: agency.clone(),
                member: Some(profile::AgencyMember {
                    user: member.user.clone(),
                    role: profile::MemberRole::Agent as i32,
                    ..Default::default()
                }),
            });
            async move { profiles.create_agency_member(request).await }
        })
        .await
        .with_context(|| format!("{} joining {agency}", member.user))?;
    }
    Ok(())
}

/// What `listing` asks, in minor units.
async fn asking_price(
    properties: &PropertyServiceClient<Channel>,
    agent: &LoggedIn,
    listing: &str,
) -> anyhow::Result<i64> {
    let found = patiently(|| {
        let mut properties = properties.clone();
        let request = agent.session.authorize(property::GetPropertyRequest {
            name: listing.to_owned(),
        });
        async move { properties.get_property(request).await }
    })
    .await
    .with_context(|| format!("reading {listing}"))?
    .into_inner()
    .property;
    Ok(found
        .and_then(|found| found.sale_pricing)
        .map_or(0, |pricing| pricing.asking_price))
}

/// Tomorrow 10:00–10:30 UTC in `agent`'s calendar, for `listing`; on a second seeding the same
/// day, the slot already there (ALREADY_EXISTS names it).
async fn viewing_slot(
    client: &LeadServiceClient<Channel>,
    agent: &LoggedIn,
    listing: &str,
) -> anyhow::Result<String> {
    let today = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
        / 86_400;
    let start = i64::try_from((today + 1) * 86_400 + 10 * 3_600).unwrap_or_default();
    let at = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let created = patiently(|| {
        let mut client = client.clone();
        let request = agent.session.authorize(leads::CreateViewingSlotRequest {
            parent: agent.user.clone(),
            viewing_slot: Some(leads::ViewingSlot {
                listing: listing.to_owned(),
                start_time: at(start),
                end_time: at(start + 30 * 60),
                ..Default::default()
            }),
        });
        async move { client.create_viewing_slot(request).await }
    })
    .await;
    match created {
        Ok(created) => Ok(created
            .into_inner()
            .viewing_slot
            .context("leads answered without the slot")?
            .name),
        Err(status) if status.code() == Code::AlreadyExists => status
            .get_error_details()
            .error_info()
            .and_then(|info| info.metadata.get("viewing_slot").cloned())
            .with_context(|| format!("a slot in the way, unnamed: {status:?}")),
        Err(status) => {
            Err(status).with_context(|| format!("{} opening a viewing slot", agent.user))
        }
    }
}

/// A note and a task on `lead`, unless it has them already.
async fn note_and_task(
    client: &LeadServiceClient<Channel>,
    agent: &LoggedIn,
    lead: &str,
) -> anyhow::Result<()> {
    let notes = patiently(|| {
        let mut client = client.clone();
        let request = agent.session.authorize(leads::ListLeadNotesRequest {
            parent: lead.to_owned(),
        });
        async move { client.list_lead_notes(request).await }
    })
    .await
    .with_context(|| format!("reading {lead}'s notes"))?
    .into_inner()
    .lead_notes;
    if notes.is_empty() {
        patiently(|| {
            let mut client = client.clone();
            let request = agent.session.authorize(leads::CreateLeadNoteRequest {
                parent: lead.to_owned(),
                lead_note: Some(leads::LeadNote {
                    text: "Offered 95% after the second viewing; the owner answers by Friday."
                        .to_owned(),
                    ..Default::default()
                }),
            });
            async move { client.create_lead_note(request).await }
        })
        .await
        .with_context(|| format!("writing a note on {lead}"))?;
    }
    let tasks = patiently(|| {
        let mut client = client.clone();
        let request = agent.session.authorize(leads::ListLeadTasksRequest {
            parent: lead.to_owned(),
        });
        async move { client.list_lead_tasks(request).await }
    })
    .await
    .with_context(|| format!("reading {lead}'s tasks"))?
    .into_inner()
    .lead_tasks;
    if tasks.is_empty() {
        let due = SystemTime::now() + Duration::from_secs(2 * 86_400);
        patiently(|| {
            let mut client = client.clone();
            let request = agent.session.authorize(leads::CreateLeadTaskRequest {
                parent: lead.to_owned(),
                lead_task: Some(leads::LeadTask {
                    title: "Call back with the owner's answer".to_owned(),
                    due_time: Some(due.into()),
                    ..Default::default()
                }),
            });
            async move { client.create_lead_task(request).await }
        })
        .await
        .with_context(|| format!("adding a task to {lead}"))?;
    }
    Ok(())
}
