//! `estospaces-identity`: the identity service on its own.

use std::process::ExitCode;

use estospaces_host::{Outcome, Placement};
use estospaces_identity::{IdentitySettings, SERVICE_NAME, admin};

/// The identity service: accounts, sessions, roles, second factors and the signing keys every
/// other service trusts. Settings are ESTOSPACES_* variables (docs/configuration.md).
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Make the account registered with EMAIL an admin, then exit (same configuration as the
    /// service).
    GrantAdmin { email: String },
}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, IdentitySettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |cli, config| async move {
            if let Some(Command::GrantAdmin { email }) = cli.command {
                let user = admin::grant_admin(&config, &email).await?;
                println!("{} is now an admin", user.id.name());
                return Ok(Outcome::Done);
            }
            Ok(estospaces_identity::build(config).await?.into())
        },
    )
}
