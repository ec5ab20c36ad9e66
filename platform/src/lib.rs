//! `estospaces`: the whole platform in one process.
//!
//! Every service and the gateway run side by side in one tokio runtime, each exactly as its own
//! binary would run it: its own database (a SQLite file under the data directory, or its own
//! PostgreSQL database), its own gRPC server on a loopback port, its own relay and consumers.
//! Events travel through the embedded log (`<data_dir>/events.db`) unless Kafka is configured.
//! The gateway is the front door at `listen`: REST/JSON, grpc-web and native gRPC for every
//! service. The `[tls]` settings do not apply: the services call each other in plaintext over
//! loopback, inside the one process.
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

use estospaces_config::{CommonConfig, Config};
use estospaces_host::Application;

pub use config::{PlatformConfig, PlatformSettings};

/// The services the platform runs, each with a database of its own (on PostgreSQL, one database
/// per service; see `databases`).
pub const SERVICES: [&str; 13] = [
    "identity",
    "profile",
    "property",
    "payment",
    "booking",
    "search",
    "notification",
    "media",
    "messaging",
    "review",
    "moderation",
    "leads",
    "project",
];

/// The platform, every service migrated and bound, ready to run.
#[derive(Debug)]
pub struct Platform {
    gateway: estospaces_gateway::Application,
    services: Vec<Application>,
}

impl Platform {
    /// Builds every service, then the gateway in front of them. Identity comes first: the
    /// others verify tokens against its key set.
    pub async fn build(config: PlatformConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.common.data_dir)?;
        if config.common.tls.cert_file.is_some() {
            tracing::warn!(
                "tls.cert_file is ignored: the single binary's services talk over loopback in \
                 plaintext; TLS between services is for services run as their own binaries"
            );
        }
        let parts = Parts::for_platform(&config);
        let settings = &config.service;

        let identity = estospaces_identity::build(Config {
            common: parts.common_for(estospaces_identity::SERVICE_NAME).await?,
            service: settings.identity.clone(),
        })
        .await?;
        let identity_url = format!("http://{}", identity.local_addr());
        let common_for = |service: &'static str| {
            let identity_url = identity_url.clone();
            let parts = &parts;
            async move {
                let mut common = parts.common_for(service).await?;
                common.auth.identity_url = Some(identity_url);
                anyhow::Ok(common)
            }
        };

        let media = estospaces_media::build(Config {
            common: common_for(estospaces_media::SERVICE_NAME).await?,
            service: settings.media.clone(),
        })
        .await?;
        let media_url = format!("http://{}", media.local_addr());
        let mut profile_settings = settings.profile.clone();
        profile_settings.media_url = Some(media_url.clone());
        let profile = estospaces_profile::build(Config {
            common: common_for(estospaces_profile::SERVICE_NAME).await?,
            service: profile_settings,
        })
        .await?;
        let property = estospaces_property::build(Config {
            common: common_for(estospaces_property::SERVICE_NAME).await?,
            service: estospaces_property::PropertySettings {
                media_url: Some(media_url),
                ..settings.property.clone()
            },
        })
        .await?;
        let payment = estospaces_payment::build(Config {
            common: common_for(estospaces_payment::SERVICE_NAME).await?,
            service: settings.payment.clone(),
        })
        .await?;
        let booking = estospaces_booking::build(Config {
            common: common_for(estospaces_booking::SERVICE_NAME).await?,
            service: estospaces_booking::BookingSettings {
                property_url: Some(format!("http://{}", property.local_addr())),
                ..settings.booking.clone()
            },
        })
        .await?;
        let search = estospaces_search::build(Config {
            common: common_for(estospaces_search::SERVICE_NAME).await?,
            service: settings.search.clone(),
        })
        .await?;
        let notification = estospaces_notification::build(Config {
            common: common_for(estospaces_notification::SERVICE_NAME).await?,
            service: estospaces_notification::NotificationSettings {
                public_base_url: settings
                    .notification
                    .public_base_url
                    .clone()
                    .or_else(|| Some(format!("http://{}", config.common.listen))),
                ..settings.notification.clone()
            },
        })
        .await?;
        let messaging = estospaces_messaging::build(Config {
            common: common_for(estospaces_messaging::SERVICE_NAME).await?,
            service: estospaces_messaging::MessagingSettings {
                property_url: Some(format!("http://{}", property.local_addr())),
                media_url: Some(format!("http://{}", media.local_addr())),
                ..settings.messaging.clone()
            },
        })
        .await?;
        let review = estospaces_review::build(Config {
            common: common_for(estospaces_review::SERVICE_NAME).await?,
            service: estospaces_review::ReviewSettings {
                property_url: Some(format!("http://{}", property.local_addr())),
                ..settings.review.clone()
            },
        })
        .await?;
        let moderation = estospaces_moderation::build(Config {
            common: common_for(estospaces_moderation::SERVICE_NAME).await?,
            service: estospaces_moderation::ModerationSettings {
                property_url: Some(format!("http://{}", property.local_addr())),
                review_url: Some(format!("http://{}", review.local_addr())),
                ..settings.moderation.clone()
            },
        })
        .await?;
        let leads = estospaces_leads::build(Config {
            common: common_for(estospaces_leads::SERVICE_NAME).await?,
            service: estospaces_leads::LeadsSettings {
                property_url: Some(format!("http://{}", property.local_addr())),
                profile_url: Some(format!("http://{}", profile.local_addr())),
                ..settings.leads.clone()
            },
        })
        .await?;
        let project = estospaces_project::build(Config {
            common: common_for(estospaces_project::SERVICE_NAME).await?,
            service: estospaces_project::ProjectSettings {
                property_url: Some(format!("http://{}", property.local_addr())),
                media_url: Some(format!("http://{}", media.local_addr())),
                ..settings.project.clone()
            },
        })
        .await?;
        let services = vec![
            identity,
            media,
            profile,
            property,
            payment,
            booking,
            search,
            notification,
            messaging,
            review,
            moderation,
            leads,
            project,
        ];

        let mut gateway_settings = settings.gateway.clone();
        for service in &services {
            gateway_settings.upstreams.insert(
                service.name().to_owned(),
                format!("http://{}", service.local_addr()),
            );
        }
        let mut common = config.common.clone();
        common.auth.identity_url = Some(identity_url);
        let gateway = estospaces_gateway::Application::build(Config {
            common,
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
            .map(|service| (service.name(), service.local_addr()))
            .collect()
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run(estospaces_server::shutdown_signal()).await
    }

    /// Serves until `shutdown` completes. The gateway stops taking calls first and drains;
    /// then every service stops in its host's order.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_services, services_stopping) = tokio::sync::watch::channel(false);
        let mut running = tokio::task::JoinSet::new();
        for service in self.services {
            let mut stopping = services_stopping.clone();
            let name = service.name();
            running.spawn(async move {
                let stop = async move {
                    let _ = stopping.wait_for(|stop| *stop).await;
                };
                (name, service.run(stop).await)
            });
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

impl estospaces_host::Serve for Platform {
    fn local_addr(&self) -> SocketAddr {
        self.gateway.local_addr()
    }

    fn serve(
        self: Box<Self>,
        shutdown: futures::future::BoxFuture<'static, ()>,
    ) -> futures::future::BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(self.run(shutdown))
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
    /// are served once, by the gateway, for the whole process. No TLS: the services' URLs are
    /// `http://` loopback ones, so a TLS port would answer none of them.
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
            tls: estospaces_config::GrpcTlsConfig::default(),
            ..self.common.clone()
        })
    }
}
