//! The payment service declared to the service host: its database, the outbox, the consumers
//! of booking's events (the booking saga's payment steps) and of project's (reservations'
//! deposits), the steps worker that calls the provider,
//! the orphaned-authorization sweeper, the payout job, the idempotency key sweeper and the
//! gRPC service. [`build_with_keys`] takes the key set from the caller instead of
//! identity, and [`build_with`] also the payment provider: for tests.

use std::sync::Arc;

use estospaces_auth::KeySet;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::payment_v1::payment_service_server::PaymentServiceServer;
use estospaces_storage::Database;

use crate::SERVICE_NAME;
use crate::config::{PaymentConfig, PaymentSettings, ProviderKind};
use crate::events::{BOOKING_SERVICE, BookingEventsHandler, PROJECT_SERVICE, ProjectEventsHandler};
use crate::payments::Payments;
use crate::provider::{PaymentProvider, SandboxProvider};
use crate::service::PaymentHandlers;
use crate::steps::Steps;
use crate::store::MIGRATIONS;
use crate::stripe::StripeProvider;
use crate::{idempotency, payouts};

/// The name of the sandbox provider's store.
const SANDBOX_STORE: &str = "payment-sandbox";
use estospaces_config::ConfigError;

/// The provider `config` selects. The sandbox keeps its records in a store of its own
/// (`payment-sandbox`: a SQLite file beside payment's, or payment's PostgreSQL database).
pub async fn provider_from(config: &PaymentConfig) -> anyhow::Result<Arc<dyn PaymentProvider>> {
    let settings = &config.service;
    Ok(match settings.provider {
        ProviderKind::Sandbox => {
            let db = Database::open(&config.common, SANDBOX_STORE).await?;
            Arc::new(SandboxProvider::durable(db).await?)
        }
        ProviderKind::Stripe => {
            let key = settings.stripe_secret_key.clone().ok_or_else(|| {
                ConfigError::missing(
                    "payment.stripe_secret_key",
                    "the Stripe secret key, with payment.provider = \"stripe\"",
                )
            })?;
            Arc::new(StripeProvider::new(
                &settings.stripe_base_url,
                key,
                settings.provider_timeout,
            )?)
        }
    })
}

/// Builds the service trusting the keys of the identity service at `auth.identity_url`, with
/// the configured provider.
pub async fn build(config: PaymentConfig) -> anyhow::Result<Application> {
    let provider = provider_from(&config).await?;
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config.service, provider).await
}

/// Builds the service trusting exactly the keys in `keys`, with the configured provider.
pub async fn build_with_keys(config: PaymentConfig, keys: KeySet) -> anyhow::Result<Application> {
    let provider = provider_from(&config).await?;
    build_with(config, keys, provider).await
}

/// Builds the service trusting `keys` and moving money through `provider`.
pub async fn build_with(
    config: PaymentConfig,
    keys: KeySet,
    provider: Arc<dyn PaymentProvider>,
) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config.service, provider).await
}

async fn assemble(
    mut host: ServiceHost,
    settings: PaymentSettings,
    provider: Arc<dyn PaymentProvider>,
) -> anyhow::Result<Application> {
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let payments = Payments::new(provider, settings.provider_timeout);
    let steps = Steps::new(db.clone(), payments, settings.payout_delay);
    host.relay_outbox().await?;
    // More patient than the default with a provider that is down (about 13 s of retries): a
    // dead-lettered payment step waits for someone to replay it.
    let patient = |group: &str| ConsumerConfig {
        max_attempts: 8,
        max_backoff: std::time::Duration::from_secs(10),
        ..ConsumerConfig::new(group.to_owned())
    };
    host.consume(
        patient(&settings.booking_events_group),
        &[&topic_for(BOOKING_SERVICE)],
        BookingEventsHandler::new(steps.clone()),
    )
    .await?;
    host.consume(
        patient(&settings.project_events_group),
        &[&topic_for(PROJECT_SERVICE)],
        ProjectEventsHandler::new(steps.clone()),
    )
    .await?;
    let worker = steps.clone();
    host.worker("payment steps", move |stopping| worker.run_due(stopping));
    host.task(
        "orphaned authorizations",
        steps
            .clone()
            .sweep_periodically(settings.orphan_sweep_interval),
    );
    host.task(
        "payouts",
        payouts::pay_periodically(db.clone(), settings.payout_interval),
    );
    host.task(
        "idempotency key sweep",
        idempotency::sweep_periodically(
            db.pool().clone(),
            settings.idempotency_key_ttl,
            settings.idempotency_sweep_interval,
        ),
    );
    host.add_service(PaymentServiceServer::with_interceptor(
        PaymentHandlers::new(db, steps, settings.idempotency_key_ttl),
        auth,
    ));
    host.bind().await
}
