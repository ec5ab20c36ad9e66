//! `estospaces-project`: the project service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_project::{ProjectSettings, SERVICE_NAME};

/// The project service: development projects, their units, timeline and documents, and
/// reservations of units against a deposit. Settings are ESTOSPACES_* variables
/// (docs/configuration.md); `auth.identity_url` and `project.property_url` are required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, ProjectSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_project::build(config).await?.into()) },
    )
}
