//! `estospaces-payment`: the payment service on its own.

use std::process::ExitCode;

use estospaces_host::Placement;
use estospaces_payment::{PaymentSettings, SERVICE_NAME};

/// The payment service: payments through the sandbox or Stripe, idempotency keys, the ledger,
/// payouts. Settings are ESTOSPACES_* variables (docs/configuration.md); `auth.identity_url`
/// is required, and `payment.stripe_secret_key` with the Stripe provider.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, PaymentSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |_, config| async { Ok(estospaces_payment::build(config).await?.into()) },
    )
}
