//! `estospaces-property`: the property service on its own.

use estospaces_property::{Application, PropertyConfig, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: PropertyConfig = estospaces_config::load_or_exit();
    if config.common.auth.identity_url.is_none() {
        // Like any other unusable configuration: exit 64 before doing anything.
        eprintln!(
            "invalid configuration; key `auth.identity_url`: required, the identity service \
             whose keys verify access tokens (ESTOSPACES_AUTH__IDENTITY_URL)"
        );
        std::process::exit(64);
    }
    let _telemetry = estospaces_telemetry::init(SERVICE_NAME, &config.common.telemetry)?;
    tracing::info!(?config, "starting");

    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), "serving gRPC");
    app.run_until_stopped().await?;
    Ok(())
}
