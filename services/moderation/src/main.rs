//! `estospaces-moderation`: the moderation service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_moderation::{ModerationSettings, SERVICE_NAME};

/// The moderation service: reports, the queue, automatic checks, the audit trail, metrics.
/// Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url`,
/// `moderation.property_url` and `moderation.review_url` are required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, ModerationSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_moderation::build(config).await?.into()) },
    )
}
