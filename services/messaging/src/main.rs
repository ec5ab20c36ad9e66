//! `estospaces-messaging`: the messaging service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_messaging::{MessagingSettings, SERVICE_NAME};

/// The messaging service: conversations about listings, live over a stream.
/// Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url` and
/// `messaging.property_url` are required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, MessagingSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_messaging::build(config).await?.into()) },
    )
}
