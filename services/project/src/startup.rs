//! The project service declared to the service host: its database, the outbox, the consumer
//! of the payment service's events, the reservation sweeper and the gRPC service.

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_config::ConfigError;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_media_check::OwnMedia;
use estospaces_proto::project_v1::project_service_server::ProjectServiceServer;

use crate::config::ProjectConfig;
use crate::listings::Listings;
use crate::saga::{PAYMENT_TOPIC, PaymentEventsHandler, Sweeper};
use crate::service::ProjectHandlers;
use crate::store::{MIGRATIONS, ProjectStore};
use crate::{DOMAIN, SERVICE_NAME};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: ProjectConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(config: ProjectConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: ProjectConfig) -> anyhow::Result<Application> {
    let settings = config.service.clone();
    let property_url = settings.property_url.clone().ok_or_else(|| {
        ConfigError::missing(
            "project.property_url",
            "units' sale listings are checked with the property service",
        )
    })?;
    if settings.reservation_hold.is_zero() {
        return Err(ConfigError::invalid("project.reservation_hold", "must be positive").into());
    }
    if settings.sweep_interval.is_zero() {
        return Err(ConfigError::invalid("project.sweep_interval", "must be positive").into());
    }
    let listings = Listings::connect_lazy(&property_url, &config.common.tls)
        .context("project.property_url")?;
    let media = match &settings.media_url {
        Some(url) => {
            OwnMedia::connect_lazy(url, &config.common.tls, DOMAIN).context("project.media_url")?
        }
        None => {
            tracing::warn!(
                "project.media_url is not set: progress update media and documents are not checked"
            );
            OwnMedia::unchecked(DOMAIN)
        }
    };
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = ProjectStore::new(db);
    host.relay_outbox().await?;
    host.consume(
        ConsumerConfig::new(settings.payment_events_group.clone()),
        &[&topic_for(PAYMENT_TOPIC)],
        PaymentEventsHandler,
    )
    .await?;
    host.task(
        "reservation sweeper",
        Sweeper::new(store.clone()).run(settings.sweep_interval),
    );
    host.add_service(ProjectServiceServer::with_interceptor(
        ProjectHandlers::new(store, listings, media, settings.reservation_hold),
        auth,
    ));
    host.bind().await
}
