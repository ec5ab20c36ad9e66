//! `estospaces-property`: the property service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_property::{PropertySettings, SERVICE_NAME};

/// The property service: listings and their lifecycle, pricing and quotes, the availability
/// calendar. Settings are ESTOSPACES_* variables (docs/configuration.md);
/// `auth.identity_url` is required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, PropertySettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_property::build(config).await?.into()) },
    )
}
