//! A demo development: agent 1 builds "Marvila Riverside" in Lisbon, twelve units over six
//! floors, a timeline half done, a progress update with a photo, a floor plan, and two buyers'
//! reservations: one whose deposit goes through (the unit reserved) and one whose card is
//! declined (the unit released again). What the README tour opens.
//!
//! Seeding again finds the project, its units, timeline and documents by their labels, and the
//! reservations by their request ids: nothing is added twice.

use anyhow::Context as _;
use estospaces_proto::project_v1::{self as project, project_service_client::ProjectServiceClient};
use estospaces_proto::property_v1 as property;
use tonic::Code;
use tonic::transport::Channel;

use super::{LoggedIn, patiently};

/// The demo project's name.
pub const PROJECT: &str = "Marvila Riverside";

/// Floors of two units each, the ground floor a shop and a flat, the top floor penthouses.
const FLOORS: i32 = 6;

/// The timeline: what, when planned, whether reached.
const MILESTONES: [(&str, (i32, i32, i32), bool); 4] = [
    ("Building permit granted", (2025, 11, 14), true),
    ("Foundations complete", (2026, 6, 30), true),
    ("Structure topped out", (2027, 3, 31), false),
    ("Keys handed over", (2028, 6, 30), false),
];

/// Buyers' reservations: the unit, the card, the request id (fixed, so seeding again finds
/// them). Stripe's test card 4242… pays; 4000…0002 is declined, and the unit comes back.
const RESERVATIONS: [(&str, &str, &str); 2] = [
    (
        "A-302",
        "4242424242424242",
        "4f1d3b2a-7c15-4a8e-9d3f-0a6b1c2d3e41",
    ),
    (
        "A-402",
        "4000000000000002",
        "4f1d3b2a-7c15-4a8e-9d3f-0a6b1c2d3e42",
    ),
];

/// Creates the project as `developer`, its units (the first linked to `listing`, a sale listing
/// of the developer's), timeline, progress and floor plan, then the buyers' reservations.
pub(super) async fn seed(
    channel: Channel,
    developer: &LoggedIn,
    listing: Option<&str>,
    buyers: &[&LoggedIn],
) -> anyhow::Result<()> {
    let client = ProjectServiceClient::new(channel);
    let name = find_or_create_project(&client, developer).await?;
    let units = units(&client, developer, &name, listing).await?;
    timeline(&client, developer, &name).await?;
    progress_and_documents(&client, developer, &name, &units).await?;
    for ((label, card, request_id), buyer) in RESERVATIONS.iter().zip(buyers) {
        let Some((_, unit)) = units.iter().find(|(l, _)| l == label) else {
            continue;
        };
        patiently(|| {
            let mut client = client.clone();
            let request = buyer.session.authorize(project::CreateReservationRequest {
                parent: name.clone(),
                unit: unit.clone(),
                payment_method: (*card).to_owned(),
                request_id: (*request_id).to_owned(),
            });
            async move { client.create_reservation(request).await }
        })
        .await
        .or_else(|status| match status.code() {
            // Reserved by someone else since (a demo user trying the tour): leave it.
            Code::FailedPrecondition => Ok(tonic::Response::new(Default::default())),
            _ => Err(status),
        })
        .with_context(|| format!("reserving {label}"))?;
    }
    Ok(())
}

async fn find_or_create_project(
    client: &ProjectServiceClient<Channel>,
    developer: &LoggedIn,
) -> anyhow::Result<String> {
    let existing = patiently(|| {
        let mut client = client.clone();
        let request = project::ListProjectsRequest {
            developer: developer.user.clone(),
            page_size: 100,
            ..Default::default()
        };
        async move { client.list_projects(request).await }
    })
    .await
    .context("listing the developer's projects")?
    .into_inner();
    if let Some(found) = existing
        .projects
        .into_iter()
        .find(|p| p.display_name == PROJECT)
    {
        return Ok(found.name);
    }
    let created = patiently(|| {
        let mut client = client.clone();
        let request = developer.session.authorize(project::CreateProjectRequest {
            project: Some(project::Project {
                display_name: PROJECT.to_owned(),
                description: "Sixty homes by the Tagus in Marvila, Lisbon's old warehouse \
                              quarter: river views, a shared garden and bike storage. Sold off \
                              plan with a deposit to reserve."
                    .to_owned(),
                address: "Rua do Açúcar 80".to_owned(),
                city: "Lisbon".to_owned(),
                country_code: "PT".to_owned(),
                currency_code: "EUR".to_owned(),
                stage: project::project::Stage::UnderConstruction as i32,
                expected_completion_date: Some(property::Date {
                    year: 2028,
                    month: 6,
                    day: 30,
                }),
                ..Default::default()
            }),
        });
        async move { client.create_project(request).await }
    })
    .await
    .context("creating the demo project")?
    .into_inner();
    created
        .project
        .map(|p| p.name)
        .context("the project service answered without the project")
}

/// The units by label, created where missing.
async fn units(
    client: &ProjectServiceClient<Channel>,
    developer: &LoggedIn,
    project_name: &str,
    listing: Option<&str>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut existing = list_units(client, project_name).await?;
    for floor in 0..FLOORS {
        for door in 1..=2 {
            let label = format!("A-{floor}0{door}");
            if existing.iter().any(|(l, _)| *l == label) {
                continue;
            }
            let unit_type = match (floor, door) {
                (0, 1) => project::unit::UnitType::Commercial,
                (f, _) if f == FLOORS - 1 => project::unit::UnitType::Penthouse,
                (_, 2) => project::unit::UnitType::Studio,
                _ => project::unit::UnitType::Apartment,
            };
            let bedrooms = match unit_type {
                project::unit::UnitType::Penthouse => 3,
                project::unit::UnitType::Apartment => 2,
                _ => 0,
            };
            let area = match unit_type {
                project::unit::UnitType::Penthouse => 142.5,
                project::unit::UnitType::Apartment => 88.0,
                project::unit::UnitType::Commercial => 120.0,
                _ => 41.5,
            };
            // Higher floors cost more: €4,800 a square metre, plus 3% a floor.
            let price = (area * 4_800.0 * (1.0 + 0.03 * f64::from(floor))).round() as i64 * 100;
            let unit = project::Unit {
                display_name: label.clone(),
                unit_type: unit_type as i32,
                floor,
                area_square_meters: area,
                bedrooms,
                bathrooms: bedrooms.clamp(1, 2),
                price,
                deposit_amount: 1_000_000,
                listing: if floor == 1 && door == 1 {
                    listing.unwrap_or_default().to_owned()
                } else {
                    String::new()
                },
                ..Default::default()
            };
            let created = patiently(|| {
                let mut client = client.clone();
                let request = developer.session.authorize(project::CreateUnitRequest {
                    parent: project_name.to_owned(),
                    unit: Some(unit.clone()),
                });
                async move { client.create_unit(request).await }
            })
            .await
            .with_context(|| format!("creating unit {label}"))?
            .into_inner();
            if let Some(unit) = created.unit {
                existing.push((label, unit.name));
            }
        }
    }
    Ok(existing)
}

async fn list_units(
    client: &ProjectServiceClient<Channel>,
    project_name: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let listed = patiently(|| {
        let mut client = client.clone();
        let request = project::ListUnitsRequest {
            parent: project_name.to_owned(),
            page_size: 500,
            ..Default::default()
        };
        async move { client.list_units(request).await }
    })
    .await
    .context("listing the demo project's units")?
    .into_inner();
    Ok(listed
        .units
        .into_iter()
        .map(|unit| (unit.display_name, unit.name))
        .collect())
}

/// The milestones, when the project has none yet.
async fn timeline(
    client: &ProjectServiceClient<Channel>,
    developer: &LoggedIn,
    project_name: &str,
) -> anyhow::Result<()> {
    let listed = patiently(|| {
        let mut client = client.clone();
        let request = project::ListMilestonesRequest {
            parent: project_name.to_owned(),
            ..Default::default()
        };
        async move { client.list_milestones(request).await }
    })
    .await
    .context("listing the demo project's milestones")?
    .into_inner();
    if !listed.milestones.is_empty() {
        return Ok(());
    }
    for (title, (year, month, day), reached) in MILESTONES {
        let created = patiently(|| {
            let mut client = client.clone();
            let request = developer
                .session
                .authorize(project::CreateMilestoneRequest {
                    parent: project_name.to_owned(),
                    milestone: Some(project::Milestone {
                        display_name: title.to_owned(),
                        planned_date: Some(property::Date { year, month, day }),
                        ..Default::default()
                    }),
                });
            async move { client.create_milestone(request).await }
        })
        .await
        .with_context(|| format!("creating milestone {title:?}"))?
        .into_inner();
        if let (true, Some(milestone)) = (reached, created.milestone) {
            patiently(|| {
                let mut client = client.clone();
                let request = developer
                    .session
                    .authorize(project::CompleteMilestoneRequest {
                        name: milestone.name.clone(),
                    });
                async move { client.complete_milestone(request).await }
            })
            .await
            .with_context(|| format!("completing milestone {title:?}"))?;
        }
    }
    Ok(())
}

/// A progress update with one of the developer's photos and a floor plan of the first unit,
/// when the project has none yet.
async fn progress_and_documents(
    client: &ProjectServiceClient<Channel>,
    developer: &LoggedIn,
    project_name: &str,
    units: &[(String, String)],
) -> anyhow::Result<()> {
    let photo = |n: usize| {
        developer
            .photos
            .get(n % developer.photos.len().max(1))
            .map(|id| format!("media/{id}"))
    };
    let updates = patiently(|| {
        let mut client = client.clone();
        let request = project::ListProgressUpdatesRequest {
            parent: project_name.to_owned(),
            ..Default::default()
        };
        async move { client.list_progress_updates(request).await }
    })
    .await
    .context("listing the demo project's progress")?
    .into_inner();
    if updates.progress_updates.is_empty() {
        patiently(|| {
            let mut client = client.clone();
            let request = developer
                .session
                .authorize(project::CreateProgressUpdateRequest {
                    parent: project_name.to_owned(),
                    progress_update: Some(project::ProgressUpdate {
                        text: "The foundations are done and the structure reached the fourth \
                               floor. The show flat opens in spring."
                            .to_owned(),
                        progress_percent: 45,
                        media: photo(0).into_iter().collect(),
                        ..Default::default()
                    }),
                });
            async move { client.create_progress_update(request).await }
        })
        .await
        .context("posting the demo project's progress")?;
    }
    let documents = patiently(|| {
        let mut client = client.clone();
        let request = project::ListProjectDocumentsRequest {
            parent: project_name.to_owned(),
            ..Default::default()
        };
        async move { client.list_project_documents(request).await }
    })
    .await
    .context("listing the demo project's documents")?
    .into_inner();
    if let (true, Some(media), Some((label, unit))) = (
        documents.project_documents.is_empty(),
        photo(1),
        units.iter().find(|(label, _)| label == "A-101"),
    ) {
        patiently(|| {
            let mut client = client.clone();
            let request = developer
                .session
                .authorize(project::CreateProjectDocumentRequest {
                    parent: project_name.to_owned(),
                    project_document: Some(project::ProjectDocument {
                        kind: project::project_document::Kind::FloorPlan as i32,
                        title: format!("Floor plan of {label}"),
                        media: media.clone(),
                        unit: unit.clone(),
                        ..Default::default()
                    }),
                });
            async move { client.create_project_document(request).await }
        })
        .await
        .context("attaching the demo floor plan")?;
    }
    Ok(())
}
