//! The moderation service declared to the service host: its database, the outbox, one consumer
//! per producer whose events it reads, and the gRPC service.

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_config::ConfigError;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::moderation_v1::moderation_service_server::ModerationServiceServer;

use crate::SERVICE_NAME;
use crate::config::ModerationConfig;
use crate::events::{ModerationEvents, SOURCES};
use crate::owners::Owners;
use crate::service::ModerationHandlers;
use crate::store::{MIGRATIONS, ModerationStore};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: ModerationConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(
    config: ModerationConfig,
    keys: KeySet,
) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: ModerationConfig) -> anyhow::Result<Application> {
    let settings = config.service.clone();
    let required = |value: &Option<String>, key: &'static str, why: &'static str| {
        value.clone().ok_or_else(|| ConfigError::missing(key, why))
    };
    let identity_url = required(
        &config.common.auth.identity_url,
        "auth.identity_url",
        "suspensions and bans are carried out by the identity service",
    )?;
    let property_url = required(
        &settings.property_url,
        "moderation.property_url",
        "listing decisions are carried out by the property service",
    )?;
    let review_url = required(
        &settings.review_url,
        "moderation.review_url",
        "review decisions are carried out by the review service",
    )?;
    anyhow::ensure!(
        (1..=1000).contains(&settings.hold_threshold),
        "moderation.hold_threshold must be 1 to 1000, not {}",
        settings.hold_threshold
    );
    let owners = Owners::connect_lazy(
        &identity_url,
        &property_url,
        &review_url,
        &config.common.tls,
    )
    .context("moderation's service URLs")?;
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = ModerationStore::new(db);
    host.relay_outbox().await?;

    // One group for every producer: it keeps a position per topic and partition all the same.
    let topics: Vec<String> = SOURCES.iter().map(|source| topic_for(source)).collect();
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    host.consume(
        ConsumerConfig::new(settings.events_group.clone()),
        &topics,
        ModerationEvents {
            hold_threshold: i64::from(settings.hold_threshold),
        },
    )
    .await?;

    host.add_service(ModerationServiceServer::with_interceptor(
        ModerationHandlers::new(store, owners),
        auth,
    ));
    host.bind().await
}
