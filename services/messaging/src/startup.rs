//! The messaging service declared to the service host: its database, the outbox, the
//! consumer of the booking service's events, the reminder worker and the gRPC service.

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_config::{ConfigError, ExposeSecret as _};
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_media_check::OwnMedia;
use estospaces_proto::messaging_v1::messaging_service_server::MessagingServiceServer;
use estospaces_storage::Backend;

use crate::bookings::{BOOKING_TOPIC, BookingMessagesHandler};
use crate::config::MessagingConfig;
use crate::hub::Hub;
use crate::listings::Listings;
use crate::reminders::Reminders;
use crate::service::MessagingHandlers;
use crate::store::{MIGRATIONS, MessagingStore};
use crate::{DOMAIN, SERVICE_NAME};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: MessagingConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(config: MessagingConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: MessagingConfig) -> anyhow::Result<Application> {
    let settings = config.service.clone();
    let property_url = settings.property_url.clone().ok_or_else(|| {
        ConfigError::missing(
            "messaging.property_url",
            "inquiries are about the property service's listings",
        )
    })?;
    let listings = Listings::connect_lazy(&property_url, &config.common.tls)
        .context("messaging.property_url")?;
    let attachments = match &settings.media_url {
        Some(url) => OwnMedia::connect_lazy(url, &config.common.tls, DOMAIN)
            .context("messaging.media_url")?,
        None => {
            tracing::warn!("messaging.media_url is not set: attachments are not checked");
            OwnMedia::unchecked(DOMAIN)
        }
    };
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = MessagingStore::new(db);
    host.relay_outbox().await?;

    // On PostgreSQL, replicas share signals: a message stored by one wakes streams on all.
    let hub = match (&config.common.database_url, store.database().backend()) {
        (Some(url), Backend::Postgres) => {
            let (hub, bridge) = Hub::default()
                .bridge(url.expose_secret())
                .await
                .context("listening for the other replicas on PostgreSQL")?;
            host.task("replica signals", bridge);
            hub
        }
        _ => Hub::default(),
    };
    let booking_topic = topic_for(BOOKING_TOPIC);
    host.consume(
        ConsumerConfig::new(settings.booking_events_group.clone()),
        &[&booking_topic],
        BookingMessagesHandler::new(hub.clone()),
    )
    .await?;
    host.task(
        "unread reminders",
        Reminders {
            store: store.clone(),
            delay: settings.reminder_delay,
            interval: settings.reminder_interval,
            check_interval: settings.reminder_check_interval,
        }
        .run(),
    );

    let draining = host.draining();
    host.add_service(MessagingServiceServer::with_interceptor(
        MessagingHandlers::new(store, hub, listings, attachments, settings, draining),
        auth,
    ));
    host.bind().await
}
