//! Building and running the search service: the gRPC server, the indexer and the outbox relay.
//!
//! Access tokens are verified against identity's key set (see the property service); saved
//! searches need one, searching does not.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use estospaces_auth::{AuthInterceptor, IdentityKeys, KeySet, TokenVerifier};
use estospaces_events::{Relay, RelayConfig, topic_for};
use estospaces_kafka::{BusSink, EventBus};
use estospaces_proto::search_v1::search_service_server::SearchServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::SERVICE_NAME;
use crate::alerts::Alerts;
use crate::config::SearchConfig;
use crate::index::{SearchIndex, index_dir};
use crate::indexer::{Indexer, IndexerConfig, IndexerError, consumer_group};
use crate::service::SearchHandlers;
use crate::store::{MIGRATIONS, SearchStore};

/// The search service, migrated, its index open and its server bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    relay: Relay<BusSink>,
    indexer: IndexerTask,
    index: Arc<SearchIndex>,
    background: Vec<JoinHandle<()>>,
}

/// What the indexer needs to (re)start.
#[derive(Debug)]
struct IndexerTask {
    bus: EventBus,
    index: Arc<SearchIndex>,
    replica: String,
    config: IndexerConfig,
    alerts: Alerts,
}

impl Application {
    /// Builds the service trusting the keys of the identity service at `auth.identity_url`.
    pub async fn build(config: SearchConfig) -> anyhow::Result<Self> {
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

    /// Builds the service trusting exactly the keys in `keys`.
    pub async fn build_with_keys(config: SearchConfig, keys: KeySet) -> anyhow::Result<Self> {
        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        let store = SearchStore::new(db.clone());

        let dir = index_dir(&config.common.data_dir);
        if config.service.rebuild_on_start {
            tracing::info!(dir = %dir.display(), "deleting the index to rebuild it from the topics");
            SearchIndex::destroy(&dir)?;
        }
        let index = Arc::new(SearchIndex::open_or_create(&dir)?);

        let bus = EventBus::from_config(&config.common).await?;
        let relay = Relay::new(
            db.clone(),
            bus.sink()?,
            SERVICE_NAME,
            RelayConfig::default(),
        );
        let settings = &config.service;
        let indexer = IndexerTask {
            bus,
            index: index.clone(),
            replica: settings.replica(),
            config: IndexerConfig {
                commit_interval: settings.commit_interval,
                commit_max_events: settings.commit_max_events.max(1),
                writer_memory_bytes: settings.writer_memory_bytes,
            },
            alerts: Alerts::new(store.clone(), settings.alert_throttle),
        };

        let auth = &config.common.auth;
        let verifier = TokenVerifier::new(keys, &auth.issuer, &auth.audience);
        let handlers = SearchHandlers::new(index.clone(), store);
        let server = GrpcServer::new(&config.common)
            .add_service(SearchServiceServer::with_interceptor(
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
            indexer,
            index,
            background: Vec::new(),
        })
    }

    /// Where gRPC is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The index this replica serves from.
    pub fn index(&self) -> Arc<SearchIndex> {
        self.index.clone()
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run(estospaces_server::shutdown_signal()).await
    }

    /// Serves, indexes and relays until `shutdown` completes; then drains the server, commits
    /// the indexer's last batch and lets the relay finish its round.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let indexer = tokio::spawn(self.indexer.run(stopped.clone()));
        let (stop_relay, relay_stopped) = tokio::sync::oneshot::channel::<()>();
        let relay = tokio::spawn(self.relay.run(async {
            let _ = relay_stopped.await;
        }));
        let result = self.server.run(shutdown).await;
        for task in &self.background {
            task.abort();
        }
        let _ = stop.send(true);
        let _ = indexer.await;
        let _ = stop_relay.send(());
        let _ = relay.await;
        Ok(result?)
    }
}

impl IndexerTask {
    /// Indexes until `stop`, starting over from the last commit after any failure.
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let topic = topic_for("property");
        loop {
            if *stop.borrow() {
                return;
            }
            match self.run_once(&topic, stop.clone()).await {
                Ok(()) => return,
                Err(err) => {
                    tracing::error!("the indexer stopped: {err}; restarting from the last commit");
                    metrics::counter!("search_indexer_restarts_total").increment(1);
                    let _ = tokio::time::timeout(Duration::from_secs(1), stop.changed()).await;
                }
            }
        }
    }

    async fn run_once(&self, topic: &str, stop: watch::Receiver<bool>) -> Result<(), IndexerError> {
        let generation = self.index.positions()?.generation;
        let group = consumer_group(&self.replica, &generation);
        tracing::info!(%group, "indexing");
        let source = self.bus.subscribe(&group, &[topic]).await?;
        Indexer::new(
            self.index.clone(),
            source,
            self.config,
            Some(self.alerts.clone()),
            None,
        )?
        .run(stop)
        .await
    }
}
