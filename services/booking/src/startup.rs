//! Building and running the booking service.
//!
//! Access tokens are verified against the identity service's key set (`auth.identity_url`,
//! fetched again every `jwks_refresh_interval`); [`Application::build_with_keys`] takes the key
//! set from the caller instead, for tests. Beside the gRPC server run the outbox relay, two
//! consumers (the payment service's events drive the saga; the property service's mirror
//! blocked nights) and the saga's timer.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context as _;
use estospaces_auth::{AuthInterceptor, IdentityKeys, KeySet, TokenVerifier};
use estospaces_events::{Consumer, ConsumerConfig, EventHandler, Relay, RelayConfig, topic_for};
use estospaces_kafka::{BusSink, EventBus};
use estospaces_proto::booking_v1::booking_service_server::BookingServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::SERVICE_NAME;
use crate::config::BookingConfig;
use crate::listings::{Listings, PropertyEventsHandler};
use crate::saga::PaymentEventsHandler;
use crate::service::BookingHandlers;
use crate::store::{BookingStore, MIGRATIONS};
use crate::timer::Timer;

/// The booking service, migrated and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    /// Publishes the outbox to Kafka, or to the embedded event log.
    relay: Relay<BusSink>,
    /// Stops the consumers once the server drained.
    stop_consumers: watch::Sender<bool>,
    consumers: Vec<JoinHandle<()>>,
    /// Tasks aborted at shutdown: the timer, the key set refresher.
    background: Vec<JoinHandle<()>>,
}

impl Application {
    /// Builds the service trusting the keys of the identity service at `auth.identity_url`.
    pub async fn build(config: BookingConfig) -> anyhow::Result<Self> {
        let url = config.common.auth.identity_url.clone().context(
            "auth.identity_url must name the identity service (ESTOSPACES_AUTH__IDENTITY_URL)",
        )?;
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
    pub async fn build_with_keys(config: BookingConfig, keys: KeySet) -> anyhow::Result<Self> {
        let property_url = config
            .service
            .property_url
            .clone()
            .context("property_url must name the property service (ESTOSPACES_PROPERTY_URL)")?;
        let listings = Listings::connect_lazy(&property_url)?;
        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        let store = BookingStore::new(db.clone());

        let bus = EventBus::from_config(&config.common).await?;
        let relay = Relay::new(
            db.clone(),
            bus.sink()?,
            SERVICE_NAME,
            RelayConfig::default(),
        );
        let (stop_consumers, consumers_stopped) = watch::channel(false);
        let settings = &config.service;
        let consumers = vec![
            spawn_consumer(
                &db,
                &bus,
                &settings.payment_events_group,
                &topic_for("payment"),
                PaymentEventsHandler {
                    capture_at: settings.capture_at,
                },
                consumers_stopped.clone(),
            )
            .await?,
            spawn_consumer(
                &db,
                &bus,
                &settings.property_events_group,
                &topic_for("property"),
                PropertyEventsHandler,
                consumers_stopped,
            )
            .await?,
        ];
        let timer = tokio::spawn(Timer::new(store.clone(), settings).run(settings.timer_interval));

        let auth = &config.common.auth;
        let verifier = TokenVerifier::new(keys, &auth.issuer, &auth.audience);
        let handlers = BookingHandlers::new(store, listings, config.service.clone());
        let server = GrpcServer::new(&config.common)
            .add_service(BookingServiceServer::with_interceptor(
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
            stop_consumers,
            consumers,
            background: vec![timer],
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

    /// Serves, relays and consumes until `shutdown` completes, then drains, stops the
    /// consumers (each finishes the event in hand and commits its position) and lets the relay
    /// finish its round.
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
        let _ = self.stop_consumers.send(true);
        for consumer in self.consumers {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), consumer).await;
        }
        let _ = stop_relay.send(());
        let _ = relay.await;
        Ok(result?)
    }
}

/// Starts a consumer of `topic` as `group`, stopping when `stopped` turns true.
async fn spawn_consumer<H: EventHandler>(
    db: &Database,
    bus: &EventBus,
    group: &str,
    topic: &str,
    handler: H,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<()>> {
    let consumer = Consumer::new(
        db.clone(),
        bus.subscribe(group, &[topic]).await?,
        bus.sink()?,
        handler,
        ConsumerConfig::new(group),
    );
    let group = group.to_owned();
    Ok(tokio::spawn(async move {
        let result = consumer
            .run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(err) = result {
            tracing::error!(%group, "consumer stopped: {err}");
        }
    }))
}
