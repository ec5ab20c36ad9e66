//! The property service declared to the service host: its database, the outbox, the consumers
//! of booking's events (booked nights), review's (ratings) and moderation's (held listings),
//! the view counter and the gRPC service.

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_media_check::OwnMedia;
use estospaces_proto::property_v1::property_service_server::PropertyServiceServer;

use crate::bookings::{self, BookingEventsHandler};
use crate::config::PropertyConfig;
use crate::moderation::ModerationEventsHandler;
use crate::ratings::{self, ReviewEventsHandler};
use crate::service::PropertyHandlers;
use crate::store::{MIGRATIONS, PropertyStore};
use crate::views::{self, ViewCounter};
use crate::{DOMAIN, SERVICE_NAME};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: PropertyConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace): for
/// tests, which sign their own tokens.
pub async fn build_with_keys(config: PropertyConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: PropertyConfig) -> anyhow::Result<Application> {
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = PropertyStore::new(db);
    host.relay_outbox().await?;
    host.consume(
        ConsumerConfig::new(bookings::CONSUMER_GROUP),
        &[&topic_for("booking")],
        BookingEventsHandler,
    )
    .await?;
    host.consume(
        ConsumerConfig::new(ratings::CONSUMER_GROUP),
        &[&topic_for("review")],
        ReviewEventsHandler,
    )
    .await?;
    host.consume(
        ConsumerConfig::new(config.service.moderation_events_group.clone()),
        &[&topic_for("moderation")],
        ModerationEventsHandler,
    )
    .await?;
    // View counts are kept in memory and written now and then; the last ones at shutdown.
    let views = ViewCounter::default();
    let (counter, flushed) = (views.clone(), store.clone());
    let every = config.service.view_flush_interval;
    host.worker("view counts", move |stopping| async move {
        tokio::select! {
            () = views::flush_periodically(counter.clone(), flushed.clone(), every) => {}
            () = stopping.wait() => {}
        }
        if let Err(err) = counter.flush(&flushed).await {
            tracing::warn!("flushing view counts at shutdown: {err}");
        }
    });
    let photos = match &config.service.media_url {
        Some(url) => {
            OwnMedia::connect_lazy(url, &config.common.tls, DOMAIN).context("property.media_url")?
        }
        None => {
            tracing::warn!("property.media_url is not set: listing photos are not checked");
            OwnMedia::unchecked(DOMAIN)
        }
    };
    host.add_service(PropertyServiceServer::with_interceptor(
        PropertyHandlers::new(store, views, photos, config.service.listing_review),
        auth,
    ));
    host.bind().await
}
