//! Building and running the property service.
//!
//! Access tokens are issued by the identity service; this service only verifies them, against
//! a key set fetched from identity's `GetJwks` at `auth.identity_url` and fetched again every
//! `jwks_refresh_interval` so rotated keys are trusted here too. Until the first fetch succeeds
//! every token is rejected (anonymous reads still work). [`Application::build_with_keys`] takes
//! the key set from the caller instead: for tests, which sign their own tokens.

use std::future::Future;
use std::net::SocketAddr;

use estospaces_auth::{AuthInterceptor, KeySet, PublicJwk, TokenVerifier};
use estospaces_events::{EventLog, Relay, RelayConfig};
use estospaces_kafka::{KafkaConfig, KafkaSink};
use estospaces_proto::identity_v1::GetJwksRequest;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_proto::property_v1::property_service_server::PropertyServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;
use tokio::task::JoinHandle;

use crate::SERVICE_NAME;
use crate::config::PropertyConfig;
use crate::service::PropertyHandlers;
use crate::store::{MIGRATIONS, PropertyStore};
use crate::views::{self, ViewCounter};

/// The outbox relay, to Kafka when brokers are configured, else to the embedded event log.
#[derive(Debug)]
enum OutboxRelay {
    Kafka(Relay<KafkaSink>),
    Log(Relay<EventLog>),
}

/// The property service, migrated and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    relay: OutboxRelay,
    views: ViewCounter,
    store: PropertyStore,
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
        let keys = KeySet::default();
        let refresher = tokio::spawn(refresh_keys(
            url,
            keys.clone(),
            config.service.jwks_refresh_interval,
        ));
        let mut app = Self::build_with_keys(config, keys).await?;
        app.background.push(refresher);
        Ok(app)
    }

    /// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
    pub async fn build_with_keys(config: PropertyConfig, keys: KeySet) -> anyhow::Result<Self> {
        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        let store = PropertyStore::new(db.clone());

        let relay = match &config.common.kafka_brokers {
            Some(brokers) => OutboxRelay::Kafka(Relay::new(
                db.clone(),
                KafkaSink::new(KafkaConfig::new(brokers.clone()))?,
                SERVICE_NAME,
                RelayConfig::default(),
            )),
            None => {
                std::fs::create_dir_all(&config.common.data_dir)?;
                let log = EventLog::open(&config.common.data_dir.join("events.db")).await?;
                OutboxRelay::Log(Relay::new(
                    db.clone(),
                    log,
                    SERVICE_NAME,
                    RelayConfig::default(),
                ))
            }
        };

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

    /// Serves and relays events until `shutdown` completes, then drains, flushes the view
    /// counts and lets the relay finish its round.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let (stop_relay, relay_stopped) = tokio::sync::oneshot::channel::<()>();
        let until_stopped = async {
            let _ = relay_stopped.await;
        };
        let relay = match self.relay {
            OutboxRelay::Kafka(relay) => tokio::spawn(relay.run(until_stopped)),
            OutboxRelay::Log(relay) => tokio::spawn(relay.run(until_stopped)),
        };
        let result = self.server.run(shutdown).await;
        for task in &self.background {
            task.abort();
        }
        if let Err(err) = self.views.flush(&self.store).await {
            tracing::warn!("flushing view counts at shutdown: {err}");
        }
        let _ = stop_relay.send(());
        let _ = relay.await;
        Ok(result?)
    }
}

/// Keeps `keys` equal to the identity service's published key set.
async fn refresh_keys(url: String, keys: KeySet, every: std::time::Duration) {
    let channel = match tonic::transport::Endpoint::from_shared(url) {
        Ok(endpoint) => endpoint.connect_lazy(),
        Err(err) => {
            tracing::error!("auth.identity_url is not a URL: {err}");
            return;
        }
    };
    let mut client = IdentityServiceClient::new(channel);
    let retry = every.min(std::time::Duration::from_secs(2));
    loop {
        let pause = match client.get_jwks(GetJwksRequest {}).await {
            Ok(response) => {
                let jwks: Vec<PublicJwk> = response
                    .into_inner()
                    .keys
                    .into_iter()
                    .map(|key| PublicJwk {
                        kty: key.kty,
                        crv: key.crv,
                        x: key.x,
                        kid: key.kid,
                        alg: key.alg,
                        use_: key.r#use,
                    })
                    .collect();
                match keys.replace(&jwks) {
                    Ok(()) => every,
                    Err(err) => {
                        tracing::warn!("identity published an unusable key: {err}");
                        retry
                    }
                }
            }
            Err(status) => {
                tracing::warn!(code = ?status.code(), "fetching the key set from identity failed");
                retry
            }
        };
        tokio::time::sleep(pause).await;
    }
}
