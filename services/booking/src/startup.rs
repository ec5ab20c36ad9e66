//! The booking service declared to the service host: its database, the outbox, two consumers
//! (the payment service's events drive the saga; the property service's mirror blocked
//! nights), the saga's timer and the gRPC service.

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_config::ConfigError;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::booking_v1::booking_service_server::BookingServiceServer;

use crate::SERVICE_NAME;
use crate::config::BookingConfig;
use crate::listings::{Listings, PropertyEventsHandler};
use crate::saga::PaymentEventsHandler;
use crate::service::BookingHandlers;
use crate::store::{BookingStore, MIGRATIONS};
use crate::timer::Timer;

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: BookingConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(config: BookingConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: BookingConfig) -> anyhow::Result<Application> {
    let settings = config.service;
    let property_url = settings.property_url.clone().ok_or_else(|| {
        ConfigError::missing(
            "booking.property_url",
            "the property service's gRPC URL, which prices and describes listings",
        )
    })?;
    let listings = Listings::connect_lazy(&property_url, &config.common.tls)
        .context("booking.property_url")?;
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = BookingStore::new(db);
    host.relay_outbox().await?;
    host.consume(
        ConsumerConfig::new(settings.payment_events_group.clone()),
        &[&topic_for("payment")],
        PaymentEventsHandler {
            capture_at: settings.capture_at,
        },
    )
    .await?;
    host.consume(
        ConsumerConfig::new(settings.property_events_group.clone()),
        &[&topic_for("property")],
        PropertyEventsHandler,
    )
    .await?;
    host.task(
        "saga timer",
        Timer::new(store.clone(), &settings).run(settings.timer_interval),
    );
    host.add_service(BookingServiceServer::with_interceptor(
        BookingHandlers::new(store, listings, settings),
        auth,
    ));
    host.bind().await
}
