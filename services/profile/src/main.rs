//! `estospaces-profile`: the profile service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_profile::{ProfileSettings, SERVICE_NAME};

/// The profile service: public profiles, private fields, host and agent profiles, agencies.
/// Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url` is required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, ProfileSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_profile::build(config).await?.into()) },
    )
}
