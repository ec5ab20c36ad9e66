//! Building and running the payment service.
//!
//! Access tokens are issued by the identity service; this service only verifies them, against
//! a key set fetched from identity's `GetJwks` at `auth.identity_url` and fetched again every
//! `jwks_refresh_interval`. [`Application::build_with_keys`] takes the key set from the caller
//! instead, and [`Application::build_with`] also the payment provider: for tests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use estospaces_auth::{AuthInterceptor, IdentityKeys, KeySet, TokenVerifier};
use estospaces_events::{Consumer, ConsumerConfig, Relay, RelayConfig, topic_for};
use estospaces_kafka::{BusSink, EventBus};
use estospaces_proto::payment_v1::payment_service_server::PaymentServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;
use tokio::task::JoinHandle;

use crate::SERVICE_NAME;
use crate::config::{PaymentConfig, PaymentSettings, ProviderKind};
use crate::events::{BOOKING_SERVICE, BookingEventsHandler};
use crate::payments::Payments;
use crate::provider::{PaymentProvider, SandboxProvider};
use crate::service::PaymentHandlers;
use crate::store::MIGRATIONS;
use crate::stripe::StripeProvider;
use crate::{idempotency, payouts};

/// The provider `settings` select.
pub fn provider_from(settings: &PaymentSettings) -> anyhow::Result<Arc<dyn PaymentProvider>> {
    Ok(match settings.provider {
        ProviderKind::Sandbox => Arc::new(SandboxProvider::new()),
        ProviderKind::Stripe => {
            let key = settings.stripe_secret_key.clone().context(
                "provider = \"stripe\" needs stripe_secret_key (ESTOSPACES_STRIPE_SECRET_KEY)",
            )?;
            Arc::new(StripeProvider::new(
                &settings.stripe_base_url,
                key,
                settings.provider_timeout,
            )?)
        }
    })
}

/// The payment service, migrated and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    /// Publishes the outbox to Kafka, or to the embedded event log.
    relay: Relay<BusSink>,
    /// Reacts to booking events; stopped after the server drained.
    consumer: (tokio::sync::watch::Sender<bool>, JoinHandle<()>),
    /// The key refresher, the payout job and the key sweeper.
    background: Vec<JoinHandle<()>>,
}

impl Application {
    /// Builds the service trusting the keys of the identity service at `auth.identity_url`,
    /// with the configured provider.
    pub async fn build(config: PaymentConfig) -> anyhow::Result<Self> {
        let url = config.common.auth.identity_url.clone().context(
            "auth.identity_url must name the identity service (ESTOSPACES_AUTH__IDENTITY_URL)",
        )?;
        let keys = IdentityKeys::new(&url)?;
        let refresher = tokio::spawn(
            keys.clone()
                .refresh_every(config.service.jwks_refresh_interval),
        );
        let provider = provider_from(&config.service)?;
        let mut app = Self::build_with(config, keys.key_set(), provider).await?;
        app.background.push(refresher);
        Ok(app)
    }

    /// Builds the service trusting exactly the keys in `keys`, with the configured provider.
    pub async fn build_with_keys(config: PaymentConfig, keys: KeySet) -> anyhow::Result<Self> {
        let provider = provider_from(&config.service)?;
        Self::build_with(config, keys, provider).await
    }

    /// Builds the service trusting `keys` and moving money through `provider`.
    pub async fn build_with(
        config: PaymentConfig,
        keys: KeySet,
        provider: Arc<dyn PaymentProvider>,
    ) -> anyhow::Result<Self> {
        let settings = &config.service;
        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        let payments = Payments::new(provider, settings.provider_timeout);

        let bus = EventBus::from_config(&config.common).await?;
        let relay = Relay::new(
            db.clone(),
            bus.sink()?,
            SERVICE_NAME,
            RelayConfig::default(),
        );
        let booking_topic = topic_for(BOOKING_SERVICE);
        let group = &settings.booking_events_group;
        let consumer = Consumer::new(
            db.clone(),
            bus.subscribe(group, &[&booking_topic]).await?,
            bus.sink()?,
            BookingEventsHandler::new(payments.clone(), settings.payout_delay),
            ConsumerConfig {
                // More patient than the default with a provider that is down (about 13 s of
                // retries): a dead-lettered payment step waits for someone to replay it.
                max_attempts: 8,
                max_backoff: std::time::Duration::from_secs(10),
                ..ConsumerConfig::new(group.clone())
            },
        );
        let (stop_consumer, consumer_stopped) = tokio::sync::watch::channel(false);
        let consumer = tokio::spawn(async move {
            let mut stopped = consumer_stopped;
            if let Err(err) = consumer
                .run(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
            {
                tracing::error!("booking events consumer stopped: {err}");
            }
        });

        let background = vec![
            tokio::spawn(payouts::pay_periodically(
                db.clone(),
                settings.payout_interval,
            )),
            tokio::spawn(idempotency::sweep_periodically(
                db.pool().clone(),
                settings.idempotency_key_ttl,
                settings.idempotency_sweep_interval,
            )),
        ];

        let auth = &config.common.auth;
        let verifier = TokenVerifier::new(keys, &auth.issuer, &auth.audience);
        let handlers = PaymentHandlers::new(db.clone(), payments, settings.idempotency_key_ttl);
        let server = GrpcServer::new(&config.common)
            .add_service(PaymentServiceServer::with_interceptor(
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
            consumer: (stop_consumer, consumer),
            background,
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

    /// Serves, consumes and relays until `shutdown` completes, then drains: the consumer
    /// finishes the event in hand and the relay publishes what that recorded.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let (stop_relay, relay_stopped) = tokio::sync::oneshot::channel::<()>();
        let relay = tokio::spawn(self.relay.run(async {
            let _ = relay_stopped.await;
        }));
        let result = self.server.run(shutdown).await;
        for task in &self.background {
            task.abort();
        }
        let (stop_consumer, consumer) = self.consumer;
        let _ = stop_consumer.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), consumer).await;
        let _ = stop_relay.send(());
        let _ = relay.await;
        Ok(result?)
    }
}
