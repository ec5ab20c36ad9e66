//! Building and running the identity service.

use std::future::Future;
use std::net::SocketAddr;

use estospaces_auth::{AuthInterceptor, KeySet, TokenIssuer, TokenVerifier};
use estospaces_proto::identity_v1::identity_service_server::IdentityServiceServer;
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::Database;

use crate::SERVICE_NAME;
use crate::config::IdentityConfig;
use crate::keys::KeyRing;
use crate::service::IdentityHandlers;
use crate::store::{IdentityStore, MIGRATIONS};

/// The identity service, migrated and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: BoundServer,
    refresher: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Opens and migrates the database, loads (or creates) the signing keys and binds the port.
    pub async fn build(config: IdentityConfig) -> anyhow::Result<Self> {
        let db = Database::open(&config.common, SERVICE_NAME).await?;
        db.migrate(MIGRATIONS).await?;
        let store = IdentityStore::new(db.clone());

        let ring = KeyRing::load_or_create(&store).await?;
        let auth = &config.common.auth;
        let key_set = KeySet::new(&ring.public)?;
        let issuer = TokenIssuer::new(
            ring.current,
            &auth.issuer,
            &auth.audience,
            config.service.access_token_ttl,
        );
        let verifier = TokenVerifier::new(key_set.clone(), &auth.issuer, &auth.audience);
        let handlers = IdentityHandlers::new(store.clone(), issuer, key_set, ring.public);
        let refresher = tokio::spawn(refresh_keys(
            store,
            handlers.clone(),
            config.service.key_refresh_interval,
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
        Ok(Self { server, refresher })
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
        Ok(result?)
    }
}

/// Keeps the published and trusted keys in step with the store.
async fn refresh_keys(
    store: IdentityStore,
    handlers: IdentityHandlers,
    every: std::time::Duration,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await; // the first tick is immediate; the keys were just loaded
    loop {
        ticker.tick().await;
        match KeyRing::load(&store).await {
            Ok(Some(ring)) => {
                if let Err(err) = handlers.set_public_keys(ring.public) {
                    tracing::warn!("refreshing signing keys: {err:#}");
                }
            }
            Ok(None) => tracing::warn!("no active signing keys in the store"),
            Err(err) => tracing::warn!("refreshing signing keys: {err:#}"),
        }
    }
}
