//! Building and running the identity service.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use estospaces_auth::{AuthInterceptor, KeySet, TokenVerifier};
use estospaces_events::{Relay, RelayConfig};
use estospaces_kafka::EventBus;
use estospaces_proto::identity_v1::identity_service_server::IdentityServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;

use crate::SERVICE_NAME;
use crate::config::IdentityConfig;
use crate::delivery::{ThroughEvents, TokenDelivery};
use crate::keys::{self, KeyRing};
use crate::service::IdentityHandlers;
use crate::store::{IdentityStore, MIGRATIONS};

/// The identity service, migrated and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    refresher: tokio::task::JoinHandle<()>,
    purger: tokio::task::JoinHandle<()>,
    /// Publishes the outbox; stopped after the server drained.
    relay: (
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    ),
}

impl Application {
    /// Opens and migrates the database, loads (or creates) the signing keys and binds the port.
    pub async fn build(config: IdentityConfig) -> anyhow::Result<Self> {
        Self::build_with_delivery(config, Arc::new(ThroughEvents)).await
    }

    /// Like [`Application::build`], handing one-time tokens to `delivery` as well as to their
    /// events. Tests use it to read the tokens a user would receive by mail; see
    /// [`crate::delivery`].
    pub async fn build_with_delivery(
        config: IdentityConfig,
        delivery: Arc<dyn TokenDelivery>,
    ) -> anyhow::Result<Self> {
        let configured_key = config
            .service
            .signing_key_file
            .as_deref()
            .map(keys::read_pem_file)
            .transpose()?;
        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        let store = IdentityStore::new(db.clone());
        let bus = EventBus::from_config(&config.common).await?;
        let (stop_relay, relay_stopped) = tokio::sync::watch::channel(false);
        let relay = Relay::new(
            db.clone(),
            bus.sink()?,
            SERVICE_NAME,
            RelayConfig::default(),
        );
        let relay = tokio::spawn(relay.run(async move {
            let mut stopped = relay_stopped;
            let _ = stopped.wait_for(|stop| *stop).await;
        }));

        let retention = keys::retention(
            config.service.access_token_ttl,
            config.service.key_refresh_interval,
        );
        let ring = KeyRing::initialize(&store, configured_key, retention).await?;
        let auth = &config.common.auth;
        let key_set = KeySet::default();
        let verifier = TokenVerifier::new(key_set.clone(), &auth.issuer, &auth.audience);
        let key_refresh_interval = config.service.key_refresh_interval;
        let throttle_window = config.service.login_throttle.window;
        let handlers = IdentityHandlers::new(
            store.clone(),
            config.service,
            auth.clone(),
            ring,
            key_set,
            delivery,
        )?;
        let purger = tokio::spawn(purge_expired(store.clone(), throttle_window));
        let refresher = tokio::spawn(refresh_keys(
            store,
            handlers.clone(),
            key_refresh_interval,
            retention,
        ));

        let server = GrpcServer::new(&config.common)
            .add_service(IdentityServiceServer::with_interceptor(
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
            refresher,
            purger,
            relay: (stop_relay, relay),
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
        self.purger.abort();
        // The relay finishes its round, so nothing is published twice needlessly.
        let (stop_relay, relay) = self.relay;
        let _ = stop_relay.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), relay).await;
        Ok(result?)
    }
}

/// Keeps the signer and the published keys in step with the store: picks up rotations done by
/// other replicas and drops retired keys once their tokens have expired.
async fn refresh_keys(
    store: IdentityStore,
    handlers: IdentityHandlers,
    every: Duration,
    retention: Duration,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await; // the first tick is immediate; the keys were just loaded
    loop {
        ticker.tick().await;
        match KeyRing::load(&store, retention).await {
            Ok(Some(ring)) => {
                if let Err(err) = handlers.set_ring(ring) {
                    tracing::warn!("refreshing signing keys: {err:#}");
                }
            }
            Ok(None) => tracing::warn!("no signing key in the store"),
            Err(err) => tracing::warn!("refreshing signing keys: {err:#}"),
        }
    }
}

/// How often ended sessions, dead tokens and stale counters are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Deletes what no longer matters, every [`PURGE_INTERVAL`]. Every replica runs it; the deletes
/// are idempotent, so they only share the work.
async fn purge_expired(store: IdentityStore, throttle_window: Duration) {
    let mut ticker = tokio::time::interval(PURGE_INTERVAL);
    loop {
        ticker.tick().await;
        match store
            .purge_expired(throttle_window, std::time::SystemTime::now())
            .await
        {
            Ok(purged) => tracing::debug!(?purged, "purged expired rows"),
            Err(err) => tracing::warn!("purging expired rows: {err:#}"),
        }
    }
}
