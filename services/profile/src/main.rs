//! `estospaces-profile`: the profile service on its own.

use estospaces_profile::{Application, ProfileConfig, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: ProfileConfig = estospaces_config::load_or_exit();
    if config.common.auth.identity_url.is_none() {
        // Without identity's key set no token verifies: a configuration error, not a crash.
        eprintln!(
            "error: invalid configuration; key `auth.identity_url` (ESTOSPACES_AUTH__IDENTITY_URL) \
             is required: tokens are verified against the identity service's key set"
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
