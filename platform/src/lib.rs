//! `estospaces`: the whole platform in one process.
//!
//! Every service and the gateway run side by side in one tokio runtime, each exactly as its own
//! binary would run it: its own database (a SQLite file under the data directory, or its own
//! PostgreSQL database), its own gRPC server on a loopback port, its own relay and consumers.
//! Events travel through the embedded log (`<data_dir>/events.db`) unless Kafka is configured.
//! The gateway is the front door at `listen`: REST/JSON, grpc-web and native gRPC for every
//! service.
//!
//! - [`config`]: the platform's configuration, one table per service.
//! - [`seed`]: `estospaces seed`, demo data loaded through the gateway.

#![forbid(unsafe_code)]

pub mod config;
mod databases;
pub mod seed;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;

use estospaces_config::{CommonConfig, Config};

pub use config::{PlatformConfig, PlatformSettings};

/// A future that completes when a part should stop.
type Stop = Pin<Box<dyn Future<Output = ()> + Send>>;
type Running = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// A service, built and bound, waiting to run.
struct Part {
    name: &'static str,
    addr: SocketAddr,
    run: Box<dyn FnOnce(Stop) -> Running + Send>,
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Boxes an application's `run` so every service can be started the same way.
macro_rules! part {
    ($name:expr, $app:expr) => {{
        let app = $app;
        Part {
            name: $name,
            addr: app.local_addr(),
            run: Box::new(move |stop: Stop| -> Running { Box::pin(app.run(stop)) }),
        }
    }};
}

/// The platform, every part migrated and bound, ready to run.
#[derive(Debug)]
pub struct Platform {
    gateway: estospaces_gateway::Application,
    services: Vec<Part>,
}

impl Platform {
    /// Builds every service, then the gateway in front of them. Identity comes first: the
    /// others verify tokens against its key set.
    pub async fn build(config: PlatformConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.common.data_dir)?;
        let parts = Parts::for_platform(&config);

        let identity = estospaces_identity::Application::build(Config {
            common: parts.common_for(estospaces_identity::SERVICE_NAME).await?,
            service: config.service.identity.clone(),
        })
        .await?;
        let identity = part!(estospaces_identity::SERVICE_NAME, identity);
        let identity_url = format!("http://{}", identity.addr);
        let with_identity = |mut common: CommonConfig| {
            common.auth.identity_url = Some(identity_url.clone());
            common
        };

        let profile = estospaces_profile::Application::build(Config {
            common: with_identity(parts.common_for(estospaces_profile::SERVICE_NAME).await?),
            service: config.service.profile.clone(),
        })
        .await?;
        let property = estospaces_property::Application::build(Config {
            common: with_identity(parts.common_for(estospaces_property::SERVICE_NAME).await?),
            service: config.service.property.clone(),
        })
        .await?;
        let payment = estospaces_payment::Application::build(Config {
            common: with_identity(parts.common_for(estospaces_payment::SERVICE_NAME).await?),
            service: config.service.payment.clone(),
        })
        .await?;
        let property_url = format!("http://{}", property.local_addr());
        let booking = estospaces_booking::Application::build(Config {
            common: with_identity(parts.common_for(estospaces_booking::SERVICE_NAME).await?),
            service: estospaces_booking::BookingSettings {
                property_url: Some(property_url),
                ..config.service.booking.clone()
            },
        })
        .await?;
        let search = estospaces_search::Application::build(Config {
            common: with_identity(parts.common_for(estospaces_search::SERVICE_NAME).await?),
            service: config.service.search.clone(),
        })
        .await?;
        let services = vec![
            identity,
            part!(estospaces_profile::SERVICE_NAME, profile),
            part!(estospaces_property::SERVICE_NAME, property),
            part!(estospaces_payment::SERVICE_NAME, payment),
            part!(estospaces_booking::SERVICE_NAME, booking),
            part!(estospaces_search::SERVICE_NAME, search),
        ];

        let mut gateway_settings = config.service.gateway.clone();
        for part in &services {
            gateway_settings
                .upstreams
                .insert(part.name.to_owned(), format!("http://{}", part.addr));
        }
        let gateway = estospaces_gateway::Application::build(Config {
            common: with_identity(config.common.clone()),
            service: gateway_settings,
        })
        .await?;
        Ok(Self { gateway, services })
    }

    /// Where the gateway serves REST, grpc-web and gRPC for every service.
    pub fn local_addr(&self) -> SocketAddr {
        self.gateway.local_addr()
    }

    /// Each service's own gRPC address, by name.
    pub fn service_addrs(&self) -> BTreeMap<&'static str, SocketAddr> {
        self.services
            .iter()
            .map(|part| (part.name, part.addr))
            .collect()
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run(estospaces_server::shutdown_signal()).await
    }

    /// Serves until `shutdown` completes. The gateway stops taking calls first and drains;
    /// then the services drain, flush and let their relays and consumers finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_services, services_stopping) = tokio::sync::watch::channel(false);
        let mut running = tokio::task::JoinSet::new();
        for part in self.services {
            let mut stopping = services_stopping.clone();
            let stop: Stop = Box::pin(async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            });
            let name = part.name;
            let run = (part.run)(stop);
            running.spawn(async move { (name, run.await) });
        }

        let gateway = self.gateway.run(shutdown).await;
        let _ = stop_services.send(true);
        let mut failed = gateway.err();
        while let Some(joined) = running.join_next().await {
            match joined {
                Ok((_, Ok(()))) => {}
                Ok((name, Err(err))) => {
                    tracing::error!(service = name, "stopped with an error: {err:#}");
                    failed.get_or_insert(err);
                }
                Err(err) => {
                    failed.get_or_insert(err.into());
                }
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

/// How each service's shared settings derive from the platform's.
pub(crate) struct Parts<'a> {
    common: &'a CommonConfig,
    databases: &'a BTreeMap<String, estospaces_config::SecretString>,
}

impl<'a> Parts<'a> {
    pub(crate) fn for_platform(config: &'a PlatformConfig) -> Self {
        Self {
            common: &config.common,
            databases: &config.service.databases,
        }
    }

    /// The platform's shared settings for `service`: a loopback port of its own, its own
    /// database, the platform's data directory (so one event log), broker and cache. Metrics
    /// are served once, by the gateway, for the whole process.
    pub(crate) async fn common_for(&self, service: &str) -> anyhow::Result<CommonConfig> {
        Ok(CommonConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            database_url: databases::database_for(
                service,
                self.common.database_url.as_ref(),
                self.databases,
            )
            .await?,
            metrics_listen: None,
            ..self.common.clone()
        })
    }
}
