//! `estospaces-gateway`: REST, grpc-web and gRPC in front of every EstoSpaces service.

use std::process::ExitCode;

use estospaces_gateway::{GatewaySettings, SERVICE_NAME};
use estospaces_host::Placement;

/// The gateway: REST/JSON transcoded from the contracts' HTTP annotations, grpc-web and native
/// gRPC in front of every service, with token checks, rate limits and OpenAPI. Settings are
/// ESTOSPACES_* variables (docs/configuration.md); `gateway.upstreams.<service>` names each
/// service's URL.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, GatewaySettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_gateway::Application::build(config).await?.into()) },
    )
}
