//! `estospaces-booking`: the booking service on its own.

use std::process::ExitCode;

use estospaces_booking::{BookingSettings, SERVICE_NAME};
use estospaces_host::Placement;

/// The booking service: holds nights, runs the payment saga, cancels and refunds. Settings are
/// ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url` and
/// `booking.property_url` are required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, BookingSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_booking::build(config).await?.into()) },
    )
}
