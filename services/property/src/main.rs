//! `estospaces-property`: the property service on its own.

use estospaces_property::{Application, PropertyConfig, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: PropertyConfig = estospaces_config::load_or_exit();
    let _telemetry = estospaces_telemetry::init(SERVICE_NAME, &config.common.telemetry)?;
    tracing::info!(?config, "starting");

    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), "serving gRPC");
    app.run_until_stopped().await?;
    Ok(())
}
