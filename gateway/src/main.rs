//! `estospaces-gateway`: REST, grpc-web and gRPC in front of every EstoSpaces service.

use estospaces_gateway::{Application, GatewayConfig, SERVICE_NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: GatewayConfig = estospaces_config::load_or_exit();
    let _telemetry = estospaces_telemetry::init(SERVICE_NAME, &config.common.telemetry)?;
    tracing::info!(?config, "starting");

    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), "serving REST, gRPC and grpc-web");
    app.run_until_stopped().await?;
    Ok(())
}
