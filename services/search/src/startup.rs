//! The search service declared to the service host: its database (saved searches, alerts,
//! project links), the index, the indexer that feeds it from the property and project topics, the outbox (alerts) and the
//! gRPC service. Saved searches need a token; searching does not.

use std::sync::Arc;
use std::time::Duration;

use estospaces_auth::KeySet;
use estospaces_events::topic_for;
use estospaces_host::{Application, ServiceHost};
use estospaces_kafka::EventBus;
use estospaces_proto::search_v1::search_service_server::SearchServiceServer;
use tokio::sync::watch;

use crate::SERVICE_NAME;
use crate::alerts::Alerts;
use crate::config::SearchConfig;
use crate::index::{SearchIndex, index_dir};
use crate::indexer::{Indexer, IndexerConfig, IndexerError, consumer_group};
use crate::projects::ProjectLinks;
use crate::service::SearchHandlers;
use crate::store::{MIGRATIONS, SearchStore};

/// What the indexer needs to (re)start.
#[derive(Debug)]
struct IndexerTask {
    bus: EventBus,
    index: Arc<SearchIndex>,
    replica: String,
    config: IndexerConfig,
    alerts: Alerts,
    store: SearchStore,
}

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: SearchConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys`.
pub async fn build_with_keys(config: SearchConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: SearchConfig) -> anyhow::Result<Application> {
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = SearchStore::new(db);

    let dir = index_dir(&config.common.data_dir);
    let settings = &config.service;
    if settings.rebuild_on_start {
        tracing::info!(dir = %dir.display(), "deleting the index to rebuild it from the topics");
        SearchIndex::destroy(&dir)?;
    }
    let index = Arc::new(SearchIndex::open_or_create(&dir)?);

    host.relay_outbox().await?;
    let indexer = IndexerTask {
        bus: host.event_bus().await?,
        index: index.clone(),
        replica: settings.replica(),
        config: IndexerConfig::from(settings),
        alerts: Alerts::new(store.clone(), settings.alert_throttle),
        store: store.clone(),
    };
    // The indexer commits its last batch when told to stop.
    host.worker("indexer", move |stopping| {
        indexer.run(stopping.into_receiver())
    });
    host.add_service(SearchServiceServer::with_interceptor(
        SearchHandlers::new(index, store),
        auth,
    ));
    host.bind().await
}

impl IndexerTask {
    /// Indexes until `stop`, starting over from the last commit after any failure.
    async fn run(self, mut stop: watch::Receiver<bool>) {
        // Listings, and the development projects' units that sell them: one consumer group.
        let topics = [topic_for("property"), topic_for("project")];
        loop {
            if *stop.borrow() {
                return;
            }
            match self.run_once(&topics, stop.clone()).await {
                Ok(()) => return,
                Err(err) => {
                    tracing::error!("the indexer stopped: {err}; restarting from the last commit");
                    metrics::counter!("estospaces_search_indexer_restarts_total").increment(1);
                    let _ = tokio::time::timeout(Duration::from_secs(1), stop.changed()).await;
                }
            }
        }
    }

    async fn run_once(
        &self,
        topics: &[String],
        stop: watch::Receiver<bool>,
    ) -> Result<(), IndexerError> {
        let generation = self.index.positions()?.generation;
        let group = consumer_group(&self.replica, &generation);
        // Every link so far, however old: a rebuilt index takes them from here, not from the
        // project topic (which keeps a week).
        let links = ProjectLinks::new(self.store.unit_links().await?);
        tracing::info!(%group, "indexing");
        let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
        let source = self.bus.subscribe(&group, &topics).await?;
        Indexer::new(
            self.index.clone(),
            source,
            self.config,
            Some(self.alerts.clone()),
            None,
        )?
        .with_project_links(self.store.clone(), links)
        .run(stop)
        .await
    }
}
