//! The profile service declared to the service host: its database, the consumer of identity's
//! events and the gRPC service.

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_media_check::OwnMedia;
use estospaces_proto::profile_v1::profile_service_server::ProfileServiceServer;

use crate::config::ProfileConfig;
use crate::events::{CONSUMER_GROUP, IdentityEventsHandler};
use crate::service::ProfileHandlers;
use crate::store::{MIGRATIONS, ProfileStore};
use crate::{DOMAIN, SERVICE_NAME};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: ProfileConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(config: ProfileConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: ProfileConfig) -> anyhow::Result<Application> {
    let avatars = match &config.service.media_url {
        Some(url) => {
            OwnMedia::connect_lazy(url, &config.common.tls, DOMAIN).context("profile.media_url")?
        }
        None => {
            tracing::warn!("profile.media_url is not set: profile pictures are not checked");
            OwnMedia::unchecked(DOMAIN)
        }
    };
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    host.consume(
        ConsumerConfig::new(CONSUMER_GROUP),
        &[&topic_for("identity")],
        IdentityEventsHandler,
    )
    .await?;
    host.add_service(ProfileServiceServer::with_interceptor(
        ProfileHandlers::new(ProfileStore::new(db), avatars),
        auth,
    ));
    host.bind().await
}
