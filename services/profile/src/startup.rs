//! Building and running the profile service.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use estospaces_auth::{AuthInterceptor, IdentityKeys, RefreshOnUnknownKeyLayer, TokenVerifier};
use estospaces_events::{Consumer, ConsumerConfig, topic_for};
use estospaces_kafka::EventBus;
use estospaces_proto::profile_v1::profile_service_server::ProfileServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;
use tower::Layer;

use crate::SERVICE_NAME;
use crate::config::ProfileConfig;
use crate::events::{CONSUMER_GROUP, IdentityEventsHandler};
use crate::service::ProfileHandlers;
use crate::store::{MIGRATIONS, ProfileStore};

/// The profile service, migrated and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    refresher: tokio::task::JoinHandle<()>,
    /// Applies identity's events; stopped after the server drained.
    consumer: (
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    ),
}

impl Application {
    /// Opens and migrates the database and binds the port. Identity's key set is fetched by the
    /// readiness check: the service reports SERVING once it can verify tokens.
    pub async fn build(config: ProfileConfig) -> anyhow::Result<Self> {
        let auth = &config.common.auth;
        let identity_url = auth
            .identity_url
            .as_deref()
            .context("auth.identity_url (ESTOSPACES_AUTH__IDENTITY_URL) is required: tokens are verified against identity's key set")?;
        let keys = IdentityKeys::new(identity_url)?;

        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        let store = ProfileStore::new(db.clone());

        let bus = EventBus::from_config(&config.common).await?;
        let identity_topic = topic_for("identity");
        let consumer = Consumer::new(
            db.clone(),
            bus.subscribe(CONSUMER_GROUP, &[&identity_topic]).await?,
            bus.sink()?,
            IdentityEventsHandler,
            ConsumerConfig::new(CONSUMER_GROUP),
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
                tracing::error!("identity events consumer stopped: {err}");
            }
        });

        let verifier = TokenVerifier::new(keys.key_set(), &auth.issuer, &auth.audience);
        let service = ProfileServiceServer::with_interceptor(
            ProfileHandlers::new(store),
            AuthInterceptor::new(verifier),
        );
        let refresher = tokio::spawn(
            keys.clone()
                .refresh_every(config.service.jwks_refresh_interval),
        );
        let readiness_keys = keys.clone();
        let server = GrpcServer::new(&config.common)
            // Outside the interceptor: a token naming a new key fetches the key set first.
            .add_service(RefreshOnUnknownKeyLayer::new(keys).layer(service))
            .reflect(estospaces_proto::FILE_DESCRIPTOR_SET)
            .readiness_check("database", move || {
                let db = db.clone();
                async move { db.ping().await }
            })
            .readiness_check("identity key set", move || {
                let keys = readiness_keys.clone();
                async move { keys.ensure_loaded().await.map_err(|err| format!("{err:#}")) }
            })
            .bind()
            .await?;
        Ok(Self {
            server,
            refresher,
            consumer: (stop_consumer, consumer),
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

    /// Serves until `shutdown` completes, then drains.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let result = self.server.run(shutdown).await;
        self.refresher.abort();
        // The consumer finishes the event in hand and commits its position.
        let (stop_consumer, consumer) = self.consumer;
        let _ = stop_consumer.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), consumer).await;
        Ok(result?)
    }
}
