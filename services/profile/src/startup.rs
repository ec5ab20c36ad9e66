//! The profile service declared to the service host: its database, the consumer of identity's
//! events and the gRPC service.

use estospaces_auth::KeySet;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::profile_v1::profile_service_server::ProfileServiceServer;

use crate::SERVICE_NAME;
use crate::config::ProfileConfig;
use crate::events::{CONSUMER_GROUP, IdentityEventsHandler};
use crate::service::ProfileHandlers;
use crate::store::{MIGRATIONS, ProfileStore};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: ProfileConfig) -> anyhow::Result<Application> {
    assemble(ServiceHost::new(SERVICE_NAME, &config.common)).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(config: ProfileConfig, keys: KeySet) -> anyhow::Result<Application> {
    assemble(ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys)).await
}

async fn assemble(mut host: ServiceHost) -> anyhow::Result<Application> {
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    host.consume(
        ConsumerConfig::new(CONSUMER_GROUP),
        &[&topic_for("identity")],
        IdentityEventsHandler,
    )
    .await?;
    host.add_service(ProfileServiceServer::with_interceptor(
        ProfileHandlers::new(ProfileStore::new(db)),
        auth,
    ));
    host.bind().await
}
