//! The identity service declared to the service host: its database, the outbox, the consumer of
//! the notification service's delivery keys, the signing
//! key ring (reloaded so rotations by other replicas apply here too), the purge of expired rows
//! and the gRPC service. Identity trusts its own ring rather than fetching a key set.

use std::sync::Arc;
use std::time::Duration;

use estospaces_auth::KeySet;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::identity_v1::identity_service_server::IdentityServiceServer;

use crate::SERVICE_NAME;
use crate::config::IdentityConfig;
use crate::delivery::{ThroughEvents, TokenDelivery};
use crate::delivery_keys;
use crate::keys::{self, KeyRing};
use crate::service::IdentityHandlers;
use crate::store::{IdentityStore, MIGRATIONS};

/// Opens and migrates the database, loads (or creates) the signing keys and binds the port.
pub async fn build(config: IdentityConfig) -> anyhow::Result<Application> {
    build_with_delivery(config, Arc::new(ThroughEvents)).await
}

/// Like [`build`], handing one-time tokens to `delivery` as well as to their events. Tests use
/// it to read the tokens a user would receive by mail; see [`crate::delivery`].
pub async fn build_with_delivery(
    config: IdentityConfig,
    delivery: Arc<dyn TokenDelivery>,
) -> anyhow::Result<Application> {
    let settings = config.service;
    let configured_key = settings
        .signing_key_file
        .as_deref()
        .map(keys::read_pem_file)
        .transpose()?;
    let key_set = KeySet::default();
    let mut host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(key_set.clone());
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = IdentityStore::new(db);
    host.relay_outbox().await?;
    host.consume(
        ConsumerConfig::new(delivery_keys::CONSUMER_GROUP),
        &[&topic_for("notification")],
        delivery_keys::DeliveryKeysHandler,
    )
    .await?;

    let retention = keys::retention(settings.access_token_ttl, settings.key_refresh_interval);
    let ring = KeyRing::initialize(&store, configured_key, retention).await?;
    let key_refresh_interval = settings.key_refresh_interval;
    let throttle_window = settings.login_throttle.window;
    let revocation_refresh_interval = config.common.auth.revocation_refresh_interval;
    let handlers = IdentityHandlers::new(
        store.clone(),
        settings,
        config.common.auth.clone(),
        ring,
        key_set,
        delivery,
    )?;
    // Before the first call: a suspended account's tokens are refused from the start.
    handlers.load_revocations().await?;
    host.task("purge", purge_expired(store.clone(), throttle_window));
    host.task(
        "token revocations",
        load_revocations(handlers.clone(), revocation_refresh_interval),
    );
    host.task(
        "signing key reload",
        refresh_keys(store, handlers.clone(), key_refresh_interval, retention),
    );
    host.add_service(IdentityServiceServer::with_interceptor(handlers, auth));
    host.bind().await
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

/// Keeps this service's own verifier refusing what every replica revoked, as the other
/// services' verifiers do through `ListTokenRevocations`: identity trusts its own ring
/// (`KeyTrust::Fixed`), so nothing polls for it. The replica that suspends refuses at once.
async fn load_revocations(handlers: IdentityHandlers, every: Duration) {
    let every = every.max(estospaces_auth::remote::MIN_FETCH_GAP);
    loop {
        tokio::time::sleep(every).await;
        if let Err(err) = handlers.load_revocations().await {
            tracing::warn!("loading token revocations: {err:#}");
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
