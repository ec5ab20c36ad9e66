//! `estospaces-payment`: the payment service on its own.

use estospaces_payment::{Application, PaymentConfig, ProviderKind, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: PaymentConfig = estospaces_config::load_or_exit();
    // Like any other unusable configuration: exit 64 before doing anything.
    if config.common.auth.identity_url.is_none() {
        eprintln!(
            "invalid configuration; key `auth.identity_url`: required, the identity service \
             whose keys verify access tokens (ESTOSPACES_AUTH__IDENTITY_URL)"
        );
        std::process::exit(estospaces_config::EXIT_CONFIG);
    }
    if config.service.provider == ProviderKind::Stripe && config.service.stripe_secret_key.is_none()
    {
        eprintln!(
            "invalid configuration; key `stripe_secret_key`: required with provider = \"stripe\" \
             (ESTOSPACES_STRIPE_SECRET_KEY)"
        );
        std::process::exit(estospaces_config::EXIT_CONFIG);
    }
    let _telemetry = estospaces_telemetry::init(SERVICE_NAME, &config.common.telemetry)?;
    tracing::info!(?config, "starting");

    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), "serving gRPC");
    app.run_until_stopped().await?;
    Ok(())
}
