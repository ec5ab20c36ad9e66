//! `estospaces-media`: the media service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_media::{MediaSettings, SERVICE_NAME};

/// The media service: uploads, image variants, signed URLs for private media, object storage.
/// Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url` is required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, MediaSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_media::build(config).await?.into()) },
    )
}
