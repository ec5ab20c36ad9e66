//! `estospaces-notification`: the notification service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_notification::{NotificationSettings, SERVICE_NAME};

/// The notification service: the in-app inbox, email, SMS, preferences and the delivery log.
/// Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url` is required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, NotificationSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_notification::build(config).await?.into()) },
    )
}
