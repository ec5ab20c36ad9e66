//! `estospaces-review`: the review service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_review::{ReviewSettings, SERVICE_NAME};

/// The review service: reviews and ratings, wishlists and comparisons.
/// Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url` and
/// `review.property_url` are required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, ReviewSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_review::build(config).await?.into()) },
    )
}
