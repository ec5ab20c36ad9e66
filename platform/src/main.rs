//! `estospaces`: the whole platform in one process.
//!
//! - `estospaces` serves: every service behind the gateway at `ESTOSPACES_LISTEN`.
//! - `estospaces seed [--listings N]` loads demo data into the platform running with the same
//!   configuration.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use estospaces::seed::{self, SeedOptions};
use estospaces::{Platform, PlatformSettings};
use estospaces_host::{Outcome, Placement};

/// The EstoSpaces platform in one process: SQLite files under ESTOSPACES_DATA_DIR, the
/// in-process event log and in-memory rate limits unless ESTOSPACES_DATABASE_URL,
/// ESTOSPACES_KAFKA_BROKERS or ESTOSPACES_REDIS_URL say otherwise.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load demo hosts, listings and guests into the running platform (idempotent).
    Seed {
        /// How many listings.
        #[arg(long, default_value_t = SeedOptions::default().listings)]
        listings: usize,
    },
}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, PlatformSettings, _, _>(
        "estospaces",
        Placement::Root,
        |cli, config| async move {
            if let Some(Command::Seed { listings }) = cli.command {
                let gateway = format!("http://{}", config.common.listen);
                let options = SeedOptions {
                    listings,
                    progress: std::io::stderr().is_terminal(),
                };
                let report = seed::seed(&config, &gateway, &options).await?;
                println!(
                    "seeded {} listings and {} accounts (password `{}`, e.g. {})",
                    report.listings,
                    report.accounts,
                    seed::DEMO_PASSWORD,
                    seed::demo_email("guest", 0),
                );
                return Ok(Outcome::Done);
            }
            let platform = Platform::build(config).await?;
            for (service, addr) in platform.service_addrs() {
                tracing::info!(service, %addr, "service listening");
            }
            let addr = platform.local_addr();
            println!(
                "EstoSpaces is listening on http://{addr} (REST/JSON, grpc-web and gRPC; API docs at http://{addr}/docs)"
            );
            Ok(platform.into())
        },
    )
}
