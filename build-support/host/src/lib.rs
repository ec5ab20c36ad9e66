//! The service host: what every EstoSpaces service needs, assembled once.
//!
//! A service declares what is its own — its migrations, its gRPC services, the events it
//! consumes, its background work — and the host provides the rest:
//!
//! ```ignore
//! let mut host = ServiceHost::new(SERVICE_NAME, &config.common);
//! let db = host.database(MIGRATIONS).await?;          // opened, migrated, checked for readiness
//! host.relay_outbox().await?;                          // the outbox goes to Kafka or the log
//! host.consume(ConsumerConfig::new("booking.payment-events"), &[&topic_for("payment")], handler).await?;
//! host.task("timer", Timer::new(store.clone()).run(interval));
//! let auth = host.auth()?;                              // identity's key set, kept fresh
//! host.add_service(BookingServiceServer::with_interceptor(handlers, auth));
//! let app = host.bind().await?;                         // port bound; `app.run(stop)` serves
//! ```
//!
//! **Key trust** is the same everywhere: identity's key set is fetched before the service
//! reports SERVING, again before a call whose token names a key not in the set (at most twice
//! a second), and every `auth.jwks_refresh_interval`; identity's token revocations (suspended
//! and banned accounts) every `auth.revocation_refresh_interval`.
//!
//! **Shutdown** happens in one order, within `shutdown_grace` of the signal: the server stops
//! accepting and drains its calls; background tasks stop; consumers and workers finish the
//! event in hand and commit their position; the relay publishes what they recorded; the
//! database pool closes.
//!
//! [`main`] is every binary's `main`: the command line (`--help` and `--version` start
//! nothing), the configuration (a bad or unknown key exits 64 naming it), telemetry, then
//! serving until SIGTERM.

#![forbid(unsafe_code)]

mod cli;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use estospaces_auth::{AuthInterceptor, IdentityKeys, KeySet, KeyTrust, TokenVerifier};
use estospaces_config::{CommonConfig, ConfigError};
use estospaces_events::{Consumer, ConsumerConfig, EventHandler, Relay, RelayConfig};
use estospaces_idempotency::IdempotencyLayer;
use estospaces_kafka::{BusSink, EventBus};
use estospaces_server::{BoundServer, GrpcServer};
use estospaces_storage::{Database, Migrations};
use futures::future::BoxFuture;
use tokio::sync::watch;
use tonic::body::Body;
use tonic::server::NamedService;
use tower::Layer as _;

pub use cli::{Outcome, Serve, main};
pub use estospaces_config::Placement;

/// The least time a consumer or worker gets to finish and commit, even when the grace period
/// was spent draining calls: stopping without committing means processing again on restart.
const MIN_WORKER_STOP: Duration = Duration::from_secs(2);

/// How much longer than the request timeout an unfinished call holds its idempotency key.
const IDEMPOTENCY_LEASE_MARGIN: Duration = Duration::from_secs(5);

/// Turns true when the service is stopping; what consumers and workers wait on.
#[derive(Debug, Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    /// Completes once the service is stopping.
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// The underlying channel, for loops that `select!` on changes.
    pub fn into_receiver(self) -> watch::Receiver<bool> {
        self.0
    }
}

type Worker = Box<dyn FnOnce(Stopping) -> BoxFuture<'static, ()> + Send>;

/// A service being assembled. See the crate documentation.
#[must_use]
pub struct ServiceHost {
    name: &'static str,
    common: CommonConfig,
    keys: Option<KeyTrust>,
    server: GrpcServer,
    db: Option<Database>,
    bus: Option<EventBus>,
    relay: Option<Relay<BusSink>>,
    /// Told to stop after the server drained, and awaited: consumers, workers.
    workers: Vec<(String, Worker)>,
    /// Aborted after the server drained.
    tasks: Vec<(&'static str, BoxFuture<'static, ()>)>,
    /// Turns true when the server starts draining: long-lived streams end then.
    draining: watch::Sender<bool>,
    idempotency: Option<IdempotencyLayer>,
}

impl std::fmt::Debug for ServiceHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHost")
            .field("name", &self.name)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl ServiceHost {
    /// A host for the service `name`, configured by the shared settings.
    pub fn new(name: &'static str, common: &CommonConfig) -> Self {
        Self {
            name,
            common: common.clone(),
            keys: None,
            server: GrpcServer::new(common).reflect(estospaces_proto::FILE_DESCRIPTOR_SET),
            db: None,
            bus: None,
            relay: None,
            workers: Vec::new(),
            tasks: Vec::new(),
            draining: watch::channel(false).0,
            idempotency: None,
        }
    }

    /// Turns true as soon as the service starts shutting down, before in-flight calls drain:
    /// server-streaming handlers that would otherwise stream forever end their streams on it,
    /// so draining does not wait out the grace period.
    pub fn draining(&self) -> Stopping {
        Stopping(self.draining.subscribe())
    }

    /// Trusts exactly `keys` instead of identity's key set: identity's own ring, or a test's.
    pub fn trust_keys(mut self, keys: KeySet) -> Self {
        self.keys = Some(KeyTrust::Fixed(keys));
        self
    }

    /// The keys this service trusts: those given to [`ServiceHost::trust_keys`], or identity's
    /// at `auth.identity_url` (which must then be set).
    fn key_trust(&mut self) -> anyhow::Result<KeyTrust> {
        if let Some(keys) = &self.keys {
            return Ok(keys.clone());
        }
        let url = self.common.auth.identity_url.as_deref().ok_or_else(|| {
            ConfigError::missing(
                "auth.identity_url",
                "the identity service's gRPC URL, whose key set verifies access tokens",
            )
        })?;
        let keys = KeyTrust::Identity(IdentityKeys::new(url, &self.common.tls)?);
        self.keys = Some(keys.clone());
        Ok(keys)
    }

    /// An interceptor that verifies bearer tokens against the trusted keys and puts the caller
    /// in each request's extensions.
    pub fn auth(&mut self) -> anyhow::Result<AuthInterceptor> {
        let keys = self.key_trust()?;
        let auth = &self.common.auth;
        Ok(AuthInterceptor::new(TokenVerifier::new(
            keys.key_set(),
            &auth.issuer,
            &auth.audience,
        )))
    }

    /// Opens the service's database (SQLite under the data directory, or its own PostgreSQL
    /// database), applies its migrations and the event tables', and reports NOT_SERVING while
    /// it does not answer.
    pub async fn database(&mut self, migrations: Migrations) -> anyhow::Result<Database> {
        let db = Database::open(&self.common, self.name).await?;
        db.migrate(migrations).await?;
        db.migrate(estospaces_events::MIGRATIONS).await?;
        db.migrate(estospaces_idempotency::MIGRATIONS).await?;
        let check = db.clone();
        self.readiness_check("database", move || {
            let db = check.clone();
            async move { db.ping().await }
        });
        self.db = Some(db.clone());
        Ok(db)
    }

    /// The event bus: Kafka when `kafka_brokers` is set, the embedded log otherwise.
    pub async fn event_bus(&mut self) -> anyhow::Result<EventBus> {
        if let Some(bus) = &self.bus {
            return Ok(bus.clone());
        }
        let bus = EventBus::from_config(&self.common).await?;
        self.bus = Some(bus.clone());
        Ok(bus)
    }

    /// Publishes the service's outbox; it finishes its round at shutdown, after the consumers
    /// have committed what they wrote.
    pub async fn relay_outbox(&mut self) -> anyhow::Result<()> {
        let db = self.opened_database()?;
        let sink = self.event_bus().await?.sink()?;
        self.relay = Some(Relay::new(db, sink, self.name, RelayConfig::default()));
        Ok(())
    }

    /// Consumes `topics` as `config.group` with `handler`, exactly once per event through the
    /// database's inbox; dead letters go to the bus.
    pub async fn consume<H: EventHandler>(
        &mut self,
        config: ConsumerConfig,
        topics: &[&str],
        handler: H,
    ) -> anyhow::Result<()> {
        let db = self.opened_database()?;
        let bus = self.event_bus().await?;
        let group = config.group.clone();
        let consumer = Consumer::new(
            db,
            bus.subscribe(&group, topics).await?,
            bus.sink()?,
            handler,
            config,
        );
        let name = format!("consumer {group}");
        self.worker(name, move |stopping| async move {
            if let Err(err) = consumer.run(stopping.wait()).await {
                tracing::error!(%group, "consumer stopped: {err}");
            }
        });
        Ok(())
    }

    /// Runs `work` beside the server until the service stops; `work` is told through
    /// [`Stopping`] and awaited, so it can finish what it holds (commit, flush).
    pub fn worker<F, Fut>(&mut self, name: impl Into<String>, work: F)
    where
        F: FnOnce(Stopping) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.workers.push((
            name.into(),
            Box::new(move |stopping| Box::pin(work(stopping))),
        ));
    }

    /// Runs `task` beside the server; it is dropped once the server drained, so it must hold
    /// nothing that needs finishing (periodic sweeps, timers).
    pub fn task(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.push((name, Box::pin(task)));
    }

    /// Reports NOT_SERVING while `check` fails.
    pub fn readiness_check<F, Fut, E>(&mut self, name: &'static str, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        self.map_server(|server| server.readiness_check(name, check));
    }

    /// Serves `service`. With identity's key set, a call whose token names a key not in the set
    /// fetches the set before the service's interceptor sees the token.
    pub fn add_service<S, B>(&mut self, service: S)
    where
        S: tower::Service<
                http::Request<Body>,
                Response = http::Response<B>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<tonic::codegen::StdError>,
    {
        let Some(idempotency) = self.idempotency() else {
            // No database or no token check: nothing to keep keys in, or no owner for them.
            return self.add_refreshing_keys(service);
        };
        self.add_refreshing_keys(idempotency.layer(service));
    }

    fn add_refreshing_keys<S>(&mut self, service: S)
    where
        S: tower::Service<http::Request<Body>, Error = std::convert::Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        match self.keys.clone() {
            Some(keys @ KeyTrust::Identity(_)) => {
                let service = estospaces_auth::RefreshOnUnknownKeyLayer::new(keys).layer(service);
                self.map_server(|server| server.add_service(service));
            }
            _ => self.map_server(|server| server.add_service(service)),
        }
    }

    /// Idempotency keys for the service's calls, kept in its database, once both the database
    /// and the token check exist.
    fn idempotency(&mut self) -> Option<IdempotencyLayer> {
        if self.idempotency.is_none() && self.keys.is_some() {
            let db = self.db.clone()?;
            let auth = self.auth().ok()?;
            // Longer than any call may run, so a live call's key is never taken over.
            let lease = self.common.request_timeout + IDEMPOTENCY_LEASE_MARGIN;
            let layer = IdempotencyLayer::new(db, auth, lease);
            self.tasks
                .push(("idempotency key sweep", Box::pin(layer.sweep_expired())));
            self.idempotency = Some(layer);
        }
        self.idempotency.clone()
    }

    fn map_server(&mut self, f: impl FnOnce(GrpcServer) -> GrpcServer) {
        let server = std::mem::replace(&mut self.server, GrpcServer::new(&self.common));
        self.server = f(server);
    }

    fn opened_database(&self) -> anyhow::Result<Database> {
        self.db
            .clone()
            .context("open the database (ServiceHost::database) before the outbox or consumers")
    }

    /// Binds the port (port 0 in tests: read [`Application::local_addr`]). With identity's key
    /// set, the service reports SERVING only once the set is loaded, and keeps it fresh.
    pub async fn bind(mut self) -> anyhow::Result<Application> {
        if let Some(KeyTrust::Identity(keys)) = self.keys.clone() {
            let check = keys.clone();
            self.readiness_check("identity key set", move || {
                let keys = check.clone();
                async move { keys.ensure_loaded().await.map_err(|err| format!("{err:#}")) }
            });
            // The key set and the token revocations, polled side by side.
            let auth = &self.common.auth;
            let refresh =
                keys.refresh_every(auth.jwks_refresh_interval, auth.revocation_refresh_interval);
            self.task("key set refresh", refresh);
        }
        let server = self.server.bind().await?;
        Ok(Application {
            name: self.name,
            server,
            grace: self.common.shutdown_grace,
            db: self.db,
            relay: self.relay,
            workers: self.workers,
            tasks: self.tasks,
            draining: self.draining,
        })
    }
}

/// A service, bound and ready to run.
#[must_use]
pub struct Application {
    name: &'static str,
    server: BoundServer,
    grace: Duration,
    db: Option<Database>,
    relay: Option<Relay<BusSink>>,
    workers: Vec<(String, Worker)>,
    tasks: Vec<(&'static str, BoxFuture<'static, ()>)>,
    draining: watch::Sender<bool>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("name", &self.name)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// The service's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where gRPC is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run(estospaces_server::shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then stops in order (see the crate documentation).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let name = self.name;
        let (stop_workers, stopping) = watch::channel(false);
        let (stop_relay, relay_stopping) = watch::channel(false);
        let relay = self
            .relay
            .map(|relay| tokio::spawn(relay.run(Stopping(relay_stopping).wait())));
        let workers: Vec<_> = self
            .workers
            .into_iter()
            .map(|(worker, work)| (worker, tokio::spawn(work(Stopping(stopping.clone())))))
            .collect();
        let tasks: Vec<_> = self
            .tasks
            .into_iter()
            .map(|(task, future)| (task, tokio::spawn(future)))
            .collect();

        let signalled = Arc::new(OnceLock::new());
        let mark = signalled.clone();
        let draining = self.draining;
        let result = self
            .server
            .run(async move {
                shutdown.await;
                let _ = mark.set(Instant::now());
                draining.send_replace(true);
            })
            .await;
        let deadline = signalled.get().copied().unwrap_or_else(Instant::now) + self.grace;
        let remaining = || {
            deadline
                .saturating_duration_since(Instant::now())
                .max(MIN_WORKER_STOP)
        };

        for (task, handle) in &tasks {
            tracing::debug!(service = name, task, "stopping");
            handle.abort();
        }
        let _ = stop_workers.send(true);
        for (worker, handle) in workers {
            if tokio::time::timeout(remaining(), handle).await.is_err() {
                tracing::warn!(service = name, %worker, "did not stop within the grace period");
            }
        }
        let _ = stop_relay.send(true);
        if let Some(relay) = relay
            && tokio::time::timeout(remaining(), relay).await.is_err()
        {
            tracing::warn!(
                service = name,
                "the outbox relay did not finish its round in time"
            );
        }
        if let Some(db) = self.db {
            db.close().await;
        }
        tracing::info!(service = name, "stopped");
        Ok(result?)
    }
}
