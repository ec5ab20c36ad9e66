//! `estospaces-booking`: the booking service on its own.

use estospaces_booking::{Application, BookingConfig, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: BookingConfig = estospaces_config::load_or_exit();
    // Like any other unusable configuration: exit 64 before doing anything.
    if config.common.auth.identity_url.is_none() {
        eprintln!(
            "invalid configuration; key `auth.identity_url`: required, the identity service \
             whose keys verify access tokens (ESTOSPACES_AUTH__IDENTITY_URL)"
        );
        std::process::exit(estospaces_config::EXIT_CONFIG);
    }
    if config.service.property_url.is_none() {
        eprintln!(
            "invalid configuration; key `property_url`: required, the property service that \
             prices and describes listings (ESTOSPACES_PROPERTY_URL)"
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
