//! `estospaces-leads`: the leads service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_leads::{LeadsSettings, SERVICE_NAME};

/// The leads service: inquiries become leads agents work, with viewings and scores.
/// Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url`,
/// `leads.property_url` and `leads.profile_url` are required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, LeadsSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_leads::build(config).await?.into()) },
    )
}
