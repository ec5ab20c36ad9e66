//! `estospaces seed`: demo data, loaded through the running platform's gateway like any client
//! would, so every listing goes through validation, the outbox and the event log.
//!
//! Hosts and agents need their roles granted by an admin. The seed's operator account becomes
//! admin the way `estospaces-identity grant-admin` makes one: directly in identity's database,
//! which whoever runs the platform's binary can write anyway.
//!
//! Seeding twice changes nothing: accounts that exist are logged into, and listings are created
//! with fixed request ids, so identity and property recognise them.

mod agents;
mod catalog;
mod conversations;
mod leads;
mod moderation;
mod photos;
mod projects;
mod reviews;

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use estospaces_config::Config;
use estospaces_proto::identity_v1::{
    self as identity, identity_service_client::IdentityServiceClient,
};
use estospaces_proto::media_v1::media_service_client::MediaServiceClient;
use estospaces_proto::notification_v1::{
    self as notification, notification_service_client::NotificationServiceClient,
};
use estospaces_proto::property_v1::{
    self as property, property_service_client::PropertyServiceClient,
};
use futures::{StreamExt as _, TryStreamExt as _};
use indicatif::{ProgressBar, ProgressStyle};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt as _;

use crate::PlatformConfig;

/// The password of every demo account: they are demo accounts.
pub const DEMO_PASSWORD: &str = "estospaces-demo";
/// Hosts own the short stays and rentals.
const HOSTS: usize = 12;
/// Agents list the homes for sale.
const AGENTS: usize = 3;
/// Guests have accounts to log into.
const GUESTS: usize = 10;
/// Guests who ask an owner something, so inboxes are not empty.
const TALKING_GUESTS: usize = 4;
/// Short stays with reviews of past stays, so ratings show and "best rated" has an order.
const REVIEWED_LISTINGS: usize = 8;
/// Each reviewed listing's guests' ratings, in turn: some many and high, some few.
const RATINGS: [&[i32]; 4] = [&[5, 5, 4, 5], &[5], &[4, 3, 4], &[3, 2]];

/// What `estospaces seed` loads.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// How many listings.
    pub listings: usize,
    /// Whether to draw a progress bar (off when the output is not a terminal).
    pub progress: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            listings: 300,
            progress: true,
        }
    }
}

/// What the seed left in place.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// Listings published (new or already there).
    pub listings: usize,
    /// Demo accounts, new or already there: the operator, hosts, agents and guests.
    pub accounts: usize,
}

/// The email of demo account `role`-`index`.
pub fn demo_email(role: &str, index: usize) -> String {
    format!("{role}{index}@demo.estospaces.dev")
}

/// Loads the demo data into the platform whose gateway is at `gateway` and whose configuration
/// (identity's database in particular) is `config`.
pub async fn seed(
    config: &PlatformConfig,
    gateway: &str,
    options: &SeedOptions,
) -> anyhow::Result<SeedReport> {
    let channel = Channel::from_shared(gateway.to_owned())?
        .connect()
        .await
        .with_context(|| {
            format!(
                "no platform answers at {gateway}; start it first (`cargo run --release -p estospaces`)"
            )
        })?;
    let accounts = Accounts {
        identity: IdentityServiceClient::new(channel.clone()),
    };
    let media = MediaServiceClient::new(channel.clone());
    let progress = progress_bar(
        options,
        (1 + HOSTS + AGENTS + GUESTS + options.listings) as u64,
    );

    progress.set_message("operator");
    let operator_email = demo_email("operator", 0);
    accounts.register(&operator_email).await?;
    grant_admin(config, &operator_email).await?;
    let operator = accounts.login(&operator_email).await?;
    progress.inc(1);

    progress.set_message("hosts, agents, photos, guests");
    let mut owners = Vec::new();
    for (role, count, grant) in [
        ("host", HOSTS, Some(identity::Role::Host)),
        ("agent", AGENTS, Some(identity::Role::Agent)),
        ("guest", GUESTS, None),
    ] {
        for index in 0..count {
            let email = demo_email(role, index);
            let user = accounts.register(&email).await?;
            // Guests only need to exist; owners log in again to carry their new role.
            if let Some(grant) = grant {
                accounts.grant(&operator, &user, grant).await?;
                let mut owner = accounts.login(&email).await?;
                owner.photos = photos::upload(&media, &owner, owners.len()).await?;
                owners.push((role, owner));
            }
            progress.inc(1);
        }
    }
    let photos: Vec<String> = owners
        .iter()
        .flat_map(|(_, owner)| owner.photos.clone())
        .collect();
    photos::wait_until_ready(&media, &photos).await?;
    for (_, owner) in &mut owners {
        for photo in &mut owner.photos {
            *photo = photo.trim_start_matches("media/").to_owned();
        }
    }

    progress.set_message("listings");
    let hosts: Vec<&LoggedIn> = owners
        .iter()
        .filter(|(role, _)| *role == "host")
        .map(|(_, s)| s)
        .collect();
    let agents: Vec<&LoggedIn> = owners
        .iter()
        .filter(|(role, _)| *role == "agent")
        .map(|(_, s)| s)
        .collect();
    // Hosts hear about bookings in the inbox, by email and by text (the sandbox keeps the texts
    // in the delivery log), but not at night in Lisbon.
    let notifications = NotificationServiceClient::new(channel.clone());
    for host in &hosts {
        set_host_notifications(&notifications, host).await?;
    }
    let properties = PropertyServiceClient::new(channel.clone());
    let owner_of = |index: usize| match catalog::kind_of(index) {
        property::ListingKind::Sale => agents[index % agents.len()],
        _ => hosts[index % hosts.len()],
    };
    // A few owners at a time: each has a rate limit of its own at the gateway.
    let mut listed: Vec<(usize, String)> = futures::stream::iter(0..options.listings)
        .map(|index| {
            let properties = properties.clone();
            let progress = progress.clone();
            let owner = owner_of(index);
            async move {
                let name = list(properties, owner, index).await?;
                progress.inc(1);
                anyhow::Ok((index, name))
            }
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    listed.sort();

    progress.set_message("conversations");
    for (guest_index, (index, listing)) in listed.iter().take(TALKING_GUESTS).enumerate() {
        let guest = accounts.login(&demo_email("guest", guest_index)).await?;
        conversations::talk(
            channel.clone(),
            &guest,
            owner_of(*index),
            listing,
            guest_index,
        )
        .await?;
    }

    progress.set_message("reviews");
    let mut guests = Vec::new();
    for index in 0..GUESTS {
        guests.push(accounts.login(&demo_email("guest", index)).await?);
    }
    let short_stays: Vec<&(usize, String)> = listed
        .iter()
        .filter(|(index, _)| catalog::kind_of(*index) == property::ListingKind::ShortStay)
        .take(REVIEWED_LISTINGS)
        .collect();
    let mut stays = Vec::new();
    for (position, (index, listing)) in short_stays.iter().enumerate() {
        for (turn, rating) in RATINGS[position % RATINGS.len()].iter().enumerate() {
            stays.push(reviews::PastStay {
                listing,
                host: owner_of(*index),
                guest: &guests[(position + turn) % guests.len()],
                rating: *rating,
                number: stays.len(),
            });
        }
    }
    reviews::write(config, channel.clone(), &stays).await?;

    progress.set_message("moderation");
    if let Some((_, reported)) = listed.last() {
        moderation::seed(channel.clone(), &accounts, &operator, &guests, reported).await?;
    }

    progress.set_message("leads");
    let sales: Vec<(&str, &LoggedIn)> = listed
        .iter()
        .filter(|(index, _)| catalog::kind_of(*index) == property::ListingKind::Sale)
        .map(|(index, listing)| (listing.as_str(), owner_of(*index)))
        .collect();
    leads::seed(channel.clone(), &agents, &sales, &guests).await?;

    progress.set_message("agents");
    agents::seed(channel.clone(), &operator, &agents).await?;

    progress.set_message("projects");
    if let Some(developer) = agents.get(1) {
        let listing = sales
            .iter()
            .find(|(_, agent)| agent.user == developer.user)
            .map(|(listing, _)| *listing);
        let buyers: Vec<&LoggedIn> = guests.iter().skip(7).collect();
        projects::seed(channel.clone(), developer, listing, &buyers).await?;
    }
    progress.finish_with_message("done");
    Ok(SeedReport {
        listings: listed.len(),
        // The operator and the moderator, hosts, agents and guests.
        accounts: 2 + HOSTS + AGENTS + GUESTS,
    })
}

fn progress_bar(options: &SeedOptions, steps: u64) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding {msg:<24} [{bar:40}] {pos}/{len} ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// Makes `email` an admin in identity's database, as `estospaces-identity grant-admin` does.
async fn grant_admin(config: &PlatformConfig, email: &str) -> anyhow::Result<()> {
    let identity = Config {
        common: crate::Parts::for_platform(config)
            .common_for(estospaces_identity::SERVICE_NAME)
            .await?,
        service: config.service.identity.clone(),
    };
    estospaces_identity::admin::grant_admin(&identity, email).await?;
    Ok(())
}

/// A demo host's notification preferences (the same on every run).
async fn set_host_notifications(
    notifications: &NotificationServiceClient<Channel>,
    host: &LoggedIn,
) -> anyhow::Result<()> {
    let preferences = notification::NotificationPreferences {
        name: format!("{}/notificationPreferences", host.user),
        categories: vec![notification::CategoryChannels {
            category: notification::Category::Bookings as i32,
            channels: [
                notification::Channel::InApp,
                notification::Channel::Email,
                notification::Channel::Sms,
            ]
            .map(|channel| channel as i32)
            .to_vec(),
        }],
        time_zone: "Europe/Lisbon".to_owned(),
        quiet_hours: Some(notification::QuietHours {
            start_minute: 22 * 60,
            end_minute: 7 * 60,
        }),
        phone_number: "+351910000000".to_owned(),
        ..Default::default()
    };
    let paths = ["categories", "time_zone", "quiet_hours", "phone_number"];
    notifications
        .clone()
        .update_notification_preferences(host.session.authorize(
            notification::UpdateNotificationPreferencesRequest {
                preferences: Some(preferences),
                update_mask: Some(prost_types::FieldMask {
                    paths: paths.map(str::to_owned).to_vec(),
                }),
            },
        ))
        .await
        .with_context(|| format!("setting {}'s notification preferences", host.user))?;
    Ok(())
}

/// A logged-in demo account.
#[derive(Debug, Clone)]
struct Session {
    access_token: String,
}

impl Session {
    fn authorize<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Ok(value) = format!("Bearer {}", self.access_token).parse() {
            request.metadata_mut().insert("authorization", value);
        }
        request
    }
}

struct Accounts {
    identity: IdentityServiceClient<Channel>,
}

impl Accounts {
    /// Registers `email`, or finds it registered already; returns the account's name.
    async fn register(&self, email: &str) -> anyhow::Result<String> {
        let registered = patiently(|| {
            let mut identity = self.identity.clone();
            async move {
                identity
                    .register_user(identity::RegisterUserRequest {
                        email: email.to_owned(),
                        password: DEMO_PASSWORD.to_owned(),
                    })
                    .await
            }
        })
        .await;
        match registered {
            Ok(response) => Ok(response
                .into_inner()
                .user
                .context("identity answered without the account")?
                .name),
            Err(status) if status.code() == Code::AlreadyExists => {
                Ok(self.login(email).await?.user)
            }
            Err(status) => Err(status).with_context(|| format!("registering {email}")),
        }
    }

    async fn login(&self, email: &str) -> anyhow::Result<LoggedIn> {
        let response = patiently(|| {
            let mut identity = self.identity.clone();
            async move {
                identity
                    .login(identity::LoginRequest {
                        email: email.to_owned(),
                        password: DEMO_PASSWORD.to_owned(),
                    })
                    .await
            }
        })
        .await
        .with_context(|| {
            format!("logging in as {email} (was it registered with another password?)")
        })?
        .into_inner();
        Ok(LoggedIn {
            user: response.user,
            session: Session {
                access_token: response.access_token,
            },
            photos: Vec::new(),
        })
    }

    async fn grant(
        &self,
        admin: &LoggedIn,
        user: &str,
        role: identity::Role,
    ) -> anyhow::Result<()> {
        patiently(|| {
            let mut identity = self.identity.clone();
            async move {
                identity
                    .grant_role(admin.session.authorize(identity::GrantRoleRequest {
                        name: user.to_owned(),
                        role: role as i32,
                    }))
                    .await
            }
        })
        .await
        .with_context(|| format!("granting {} to {user}", role.as_str_name()))?;
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct LoggedIn {
    user: String,
    session: Session,
    /// An owner's demo photos (media ids); empty for guests.
    photos: Vec<String>,
}

/// Creates and publishes the `index`th listing as `owner`; a listing already there (same
/// request id) is found instead, and one already published stays as it is. Its name.
async fn list(
    properties: PropertyServiceClient<Channel>,
    owner: &LoggedIn,
    index: usize,
) -> anyhow::Result<String> {
    let created = patiently(|| {
        let mut properties = properties.clone();
        async move {
            properties
                .create_property(owner.session.authorize(property::CreatePropertyRequest {
                    property: Some(catalog::listing(index, &owner.photos)),
                    request_id: request_id(index),
                }))
                .await
        }
    })
    .await
    .with_context(|| format!("creating demo listing {index}"))?;
    let replayed = created.metadata().contains_key("idempotent-replayed");
    let mut created = created
        .into_inner()
        .property
        .context("property answered without the listing")?;
    if replayed {
        // An earlier seed created it: the replay is the listing as first created (a draft),
        // so ask for it as it is now.
        created = patiently(|| {
            let mut properties = properties.clone();
            let name = created.name.clone();
            async move {
                properties
                    .get_property(
                        owner
                            .session
                            .authorize(property::GetPropertyRequest { name }),
                    )
                    .await
            }
        })
        .await
        .with_context(|| format!("reading demo listing {index}"))?
        .into_inner()
        .property
        .context("property answered without the listing")?;
    }
    if created.state == property::property::State::Draft as i32 {
        patiently(|| {
            let mut properties = properties.clone();
            let name = created.name.clone();
            async move {
                properties
                    .publish_property(owner.session.authorize(property::PublishPropertyRequest {
                        name,
                        etag: String::new(),
                    }))
                    .await
            }
        })
        .await
        .with_context(|| format!("publishing demo listing {index}"))?;
    }
    Ok(created.name)
}

/// The fixed request id of the `index`th listing's creation.
fn request_id(index: usize) -> String {
    let bytes = ((0xE570_5EED_u128 << 64) | index as u128).to_be_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Calls `call`, waiting out the gateway's rate limit (RESOURCE_EXHAUSTED with a retry delay)
/// as often as it asks.
async fn patiently<T, F, Fut>(mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    loop {
        match call().await {
            Err(status) if status.code() == Code::ResourceExhausted => {
                let delay = status
                    .get_error_details()
                    .retry_info()
                    .and_then(|info| info.retry_delay)
                    .unwrap_or(Duration::from_secs(1));
                tokio::time::sleep(delay.min(Duration::from_secs(30))).await;
            }
            result => return result,
        }
    }
}
