//! Building and running the property service.
//!
//! Access tokens are issued by the identity service; this service only verifies them, against
//! a key set fetched from identity's `GetJwks` at `auth.identity_url` and fetched again every
//! `jwks_refresh_interval` so rotated keys are trusted here too. Until the first fetch succeeds
//! every token is rejected (anonymous reads still work). [`Application::build_with_keys`] takes
//! the key set from the caller instead: for tests, which sign their own tokens.

use std::future::Future;
use std::net::SocketAddr;

use estospaces_auth::{AuthInterceptor, IdentityKeys, KeySet, TokenVerifier};
use estospaces_events::{Consumer, ConsumerConfig, Relay, RelayConfig, topic_for};
use estospaces_kafka::{BusSink, EventBus};
use estospaces_proto::property_v1::property_service_server::PropertyServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;
use tokio::task::JoinHandle;

use crate::SERVICE_NAME;
use crate::bookings::{BookingEventsHandler, CONSUMER_GROUP};
use crate::config::PropertyConfig;
use crate::service::PropertyHandlers;
use crate::store::{MIGRATIONS, PropertyStore};
use crate::views::{self, ViewCounter};

/// The property service, migrated and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    /// Publishes the outbox to Kafka, or to the embedded event log.
    relay: Relay<BusSink>,
    views: ViewCounter,
    store: PropertyStore,
    /// Marks booked nights from the booking service's events; stopped after the server drained.
    bookings: (tokio::sync::watch::Sender<bool>, JoinHandle<()>),
    background: Vec<JoinHandle<()>>,
}

impl Application {
    /// Builds the service trusting the keys of the identity service at `auth.identity_url`.
    pub async fn build(config: PropertyConfig) -> anyhow::Result<Self> {
        let url = config.common.auth.identity_url.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "auth.identity_url must name the identity service (ESTOSPACES_AUTH__IDENTITY_URL)"
            )
        })?;
        let keys = IdentityKeys::new(&url)?;
        let refresher = tokio::spawn(
            keys.clone()
                .refresh_every(config.service.jwks_refresh_interval),
        );
        let mut app = Self::build_with_keys(config, keys.key_set()).await?;
        app.background.push(refresher);
        Ok(app)
    }

    /// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
    pub async fn build_with_keys(config: PropertyConfig, keys: KeySet) -> anyhow::Result<Self> {
        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        let store = PropertyStore::new(db.clone());

        let bus = EventBus::from_config(&config.common).await?;
        let relay = Relay::new(
            db.clone(),
            bus.sink()?,
            SERVICE_NAME,
            RelayConfig::default(),
        );

        let consumer = Consumer::new(
            db.clone(),
            bus.subscribe(CONSUMER_GROUP, &[&topic_for("booking")])
                .await?,
            bus.sink()?,
            BookingEventsHandler,
            ConsumerConfig::new(CONSUMER_GROUP),
        );
        let (stop_bookings, bookings_stopped) = tokio::sync::watch::channel(false);
        let bookings = tokio::spawn(async move {
            let mut stopped = bookings_stopped;
            if let Err(err) = consumer
                .run(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
            {
                tracing::error!("booking events consumer stopped: {err}");
            }
        });

        let views = ViewCounter::default();
        let flusher = tokio::spawn(views::flush_periodically(
            views.clone(),
            store.clone(),
            config.service.view_flush_interval,
        ));
        let auth = &config.common.auth;
        let verifier = TokenVerifier::new(keys, &auth.issuer, &auth.audience);
        let handlers = PropertyHandlers::new(store.clone(), views.clone());
        let server = GrpcServer::new(&config.common)
            .add_service(PropertyServiceServer::with_interceptor(
                handlers,
                AuthInterceptor::new(verifier),
            ))
            .reflect(estospaces_proto::FILE_DESCRIPTOR_SET)
            .readiness_check("database", move || {
                let db = db.clone();
                async move { db.ping().await }
            })
            .bind()
            .await?;
        Ok(Self {
            server,
            relay,
            views,
            store,
            bookings: (stop_bookings, bookings),
            background: vec![flusher],
        })
    }

    /// Where gRPC is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run(estospaces_server::shutdown_signal()).await
    }

    /// Serves, relays and consumes events until `shutdown` completes, then drains, stops the
    /// booking events consumer, flushes the view counts and lets the relay finish its round.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let (stop_relay, relay_stopped) = tokio::sync::oneshot::channel::<()>();
        let until_stopped = async {
            let _ = relay_stopped.await;
        };
        let relay = tokio::spawn(self.relay.run(until_stopped));
        let result = self.server.run(shutdown).await;
        for task in &self.background {
            task.abort();
        }
        // The consumer finishes the event in hand and commits its position.
        let (stop_bookings, bookings) = self.bookings;
        let _ = stop_bookings.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), bookings).await;
        if let Err(err) = self.views.flush(&self.store).await {
            tracing::warn!("flushing view counts at shutdown: {err}");
        }
        let _ = stop_relay.send(());
        let _ = relay.await;
        Ok(result?)
    }
}
