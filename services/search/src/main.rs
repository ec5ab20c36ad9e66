//! `estospaces-search`: the search service on its own.

use std::process::ExitCode;

use estospaces_host::{Outcome, Placement};
use estospaces_search::index::{SearchIndex, index_dir};
use estospaces_search::{SERVICE_NAME, SearchSettings};

/// The search service: a full-text, filtered, geographic index of listings fed by the property
/// service's events, saved searches and alerts. Settings are ESTOSPACES_* variables
/// (docs/configuration.md); `auth.identity_url` is required.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Delete the index under the data directory and exit; the next start builds it again from
    /// the beginning of the property topic.
    Rebuild {
        /// Really delete it.
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> ExitCode {
    estospaces_host::main::<Cli, SearchSettings, _, _>(
        SERVICE_NAME,
        Placement::Section(SERVICE_NAME),
        |cli, config| async move {
            if let Some(Command::Rebuild { yes }) = cli.command {
                let dir = index_dir(&config.common.data_dir);
                if !yes {
                    anyhow::bail!(
                        "this deletes the index at {}; run again with --yes to do it",
                        dir.display()
                    );
                }
                SearchIndex::destroy(&dir)?;
                println!(
                    "deleted {}; the next start rebuilds it from the topics",
                    dir.display()
                );
                return Ok(Outcome::Done);
            }
            Ok(estospaces_search::build(config).await?.into())
        },
    )
}
