//! The review service declared to the service host: its database, the outbox, the consumers
//! of the booking and messaging services' events, the release of reviews whose window closed,
//! and the two gRPC services.

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_config::ConfigError;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::review_v1::collection_service_server::CollectionServiceServer;
use estospaces_proto::review_v1::review_service_server::ReviewServiceServer;

use crate::SERVICE_NAME;
use crate::collections::CollectionHandlers;
use crate::config::ReviewConfig;
use crate::eligibility::{BOOKING_TOPIC, MESSAGING_TOPIC, ReviewableHandler};
use crate::held::{HeldReviewHandler, MODERATION_TOPIC};
use crate::listings::Listings;
use crate::release::Release;
use crate::service::ReviewHandlers;
use crate::store::{MIGRATIONS, ReviewStore};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: ReviewConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(config: ReviewConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: ReviewConfig) -> anyhow::Result<Application> {
    let settings = config.service.clone();
    let property_url = settings.property_url.clone().ok_or_else(|| {
        ConfigError::missing(
            "review.property_url",
            "wishlists and comparisons hold the property service's listings",
        )
    })?;
    let listings =
        Listings::connect_lazy(&property_url, &config.common.tls).context("review.property_url")?;
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = ReviewStore::new(db.clone());
    host.relay_outbox().await?;

    // One group per producer: each keeps its own position.
    host.consume(
        ConsumerConfig::new(settings.booking_events_group.clone()),
        &[&topic_for(BOOKING_TOPIC)],
        ReviewableHandler,
    )
    .await?;
    host.consume(
        ConsumerConfig::new(settings.messaging_events_group.clone()),
        &[&topic_for(MESSAGING_TOPIC)],
        ReviewableHandler,
    )
    .await?;
    host.consume(
        ConsumerConfig::new(settings.moderation_events_group.clone()),
        &[&topic_for(MODERATION_TOPIC)],
        HeldReviewHandler,
    )
    .await?;
    host.task(
        "review window releases",
        Release {
            store: store.clone(),
            every: settings.release_check_interval,
        }
        .run(),
    );

    host.add_service(ReviewServiceServer::with_interceptor(
        ReviewHandlers::new(store.clone(), settings.review_window),
        auth.clone(),
    ));
    host.add_service(CollectionServiceServer::with_interceptor(
        CollectionHandlers::new(db, store, listings),
        auth,
    ));
    host.bind().await
}
