//! The media service declared to the service host: its database and object store, the
//! outbox, the consumers of its own `media.uploaded` and of property's events, the processing
//! worker, the sweeper and the gRPC service.

use std::sync::Arc;

use base64::Engine as _;
use estospaces_auth::KeySet;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::media_v1::media_service_server::MediaServiceServer;
use tokio::sync::Notify;

use crate::SERVICE_NAME;
use crate::accounts::{DeletedAccountsHandler, IDENTITY_TOPIC};
use crate::config::MediaConfig;
use crate::library::Library;
use crate::listings::{ListingUsesHandler, PROPERTY_TOPIC};
use crate::objects::Objects;
use crate::processing::{Processor, Sweeper, UploadedHandler};
use crate::service::MediaHandlers;
use crate::signing::UrlSigner;
use crate::store::{MIGRATIONS, MediaStore};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: MediaConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(config: MediaConfig, keys: KeySet) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

async fn assemble(mut host: ServiceHost, config: MediaConfig) -> anyhow::Result<Application> {
    let settings = config.service.clone();
    let objects = Objects::from_settings(&settings, &config.common.data_dir)?;
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = MediaStore::new(db);
    host.relay_outbox().await?;

    let engine = base64::engine::general_purpose::STANDARD;
    let key = store
        .signing_key(|| engine.encode(rand::random::<[u8; 32]>()))
        .await?;
    let signer = UrlSigner::new(engine.decode(key)?, settings.signed_url_ttl);
    let library = Library {
        store,
        objects: objects.clone(),
        signer,
        limits: Arc::new(settings.limits.clone()),
    };

    let wake = Arc::new(Notify::new());
    let media_topic = topic_for(SERVICE_NAME);
    host.consume(
        ConsumerConfig::new(settings.processing_group.clone()),
        &[&media_topic],
        UploadedHandler::new(wake.clone()),
    )
    .await?;
    let property_topic = topic_for(PROPERTY_TOPIC);
    host.consume(
        ConsumerConfig::new(settings.property_events_group.clone()),
        &[&property_topic],
        ListingUsesHandler,
    )
    .await?;
    let identity_topic = topic_for(IDENTITY_TOPIC);
    host.consume(
        ConsumerConfig::new(settings.identity_events_group.clone()),
        &[&identity_topic],
        DeletedAccountsHandler,
    )
    .await?;
    let processor = Processor::new(library.clone(), wake, settings.processing_concurrency);
    host.worker("image processing", move |stopping| processor.run(stopping));
    host.task(
        "upload sweeper",
        Sweeper {
            library: library.clone(),
            interval: settings.sweep_interval,
        }
        .run(),
    );
    host.readiness_check("object store", move || {
        let objects = objects.clone();
        async move { objects.check().await }
    });

    let max_message = usize::try_from(settings.max_message_bytes).unwrap_or(usize::MAX);
    let server = MediaServiceServer::new(MediaHandlers::new(
        library,
        settings.max_message_bytes,
        settings.upload_ttl,
    ))
    // A whole upload or a piece of one, plus the message around it.
    .max_decoding_message_size(max_message + 64 * 1024)
    .max_encoding_message_size(max_message + 64 * 1024);
    host.add_service(tonic::service::interceptor::InterceptedService::new(
        server, auth,
    ));
    host.bind().await
}
