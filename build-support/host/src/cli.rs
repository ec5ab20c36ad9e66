//! Every binary's `main`, so each starts, reports bad configuration and stops the same way.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;

use estospaces_config::{Config, ConfigError, Placement};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;

/// Something that serves until told to stop: a service, the gateway, the whole platform.
pub trait Serve: Send {
    /// Where it listens.
    fn local_addr(&self) -> SocketAddr;

    /// Serves until `shutdown` completes, then stops in order.
    fn serve(
        self: Box<Self>,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, anyhow::Result<()>>;
}

impl Serve for crate::Application {
    fn local_addr(&self) -> SocketAddr {
        crate::Application::local_addr(self)
    }

    fn serve(
        self: Box<Self>,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(self.run(shutdown))
    }
}

/// What a binary's work ended in.
#[must_use]
pub enum Outcome {
    /// Serve this until SIGTERM or SIGINT.
    Serve(Box<dyn Serve>),
    /// A subcommand did its work; exit 0.
    Done,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Serve(app) => write!(f, "Serve({})", app.local_addr()),
            Self::Done => f.write_str("Done"),
        }
    }
}

impl<T: Serve + 'static> From<T> for Outcome {
    fn from(app: T) -> Self {
        Self::Serve(Box::new(app))
    }
}

/// A binary's whole `main`: parses the command line `C` (so `--help` and `--version` print
/// and exit 0 before anything starts; a bad command line exits 64), loads the configuration with its own settings `S` at
/// `placement` (exit 64 naming a bad, missing or unknown key), starts telemetry, then runs
/// `work` on a multi-threaded runtime and serves what it returns until SIGTERM or SIGINT.
/// Before anything, glibc's malloc is told to give large freed blocks back, and once started,
/// what starting freed and, from then on, what work freed whenever the process goes quiet
/// ([`estospaces_allocator`]).
///
/// A [`ConfigError`] from `work` also exits 64; any other error is printed and exits 1.
pub fn main<C, S, F, Fut>(name: &'static str, placement: Placement, work: F) -> ExitCode
where
    C: clap::Parser,
    S: DeserializeOwned + std::fmt::Debug,
    F: FnOnce(C, Config<S>) -> Fut,
    Fut: Future<Output = anyhow::Result<Outcome>>,
{
    estospaces_allocator::return_large_blocks_to_the_os();
    // `--help` and `--version` print and exit 0; a bad command line exits 64, like bad settings.
    let cli = match C::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            std::process::exit(if err.use_stderr() {
                estospaces_config::EXIT_CONFIG
            } else {
                0
            });
        }
    };
    let config: Config<S> = estospaces_config::load_or_exit(placement);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    // The OTLP exporter's channel is built inside the runtime.
    let entered = runtime.enter();
    let _telemetry = match estospaces_telemetry::init(name, &config.common.telemetry) {
        Ok(guard) => guard,
        Err(err) => estospaces_config::exit_with(&ConfigError::invalid("telemetry", err)),
    };
    // The recorder goes in before anything records, so metrics registered at start are kept.
    let _ = estospaces_telemetry::metrics_handle();
    drop(entered);
    let result = runtime.block_on(async move {
        // Listening from the start: a SIGTERM while the service starts stops it cleanly.
        let mut shutdown: BoxFuture<'static, ()> =
            Box::pin(estospaces_server::shutdown_signal_from_now());
        tracing::info!(?config, "starting");
        let outcome = tokio::select! {
            outcome = work(cli, config) => outcome?,
            () = &mut shutdown => {
                tracing::info!("{name} stopped before it served");
                return Ok(());
            }
        };
        match outcome {
            Outcome::Serve(app) => {
                // Starting freed most of what it allocated: hand it back before serving.
                estospaces_allocator::give_back_free_memory();
                estospaces_allocator::trim_when_quiet();
                tracing::info!(addr = %app.local_addr(), "{name} listening");
                app.serve(shutdown).await
            }
            Outcome::Done => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => match err.downcast_ref::<ConfigError>() {
            Some(err) => estospaces_config::exit_with(err),
            None => {
                tracing::error!("{name} stopped: {err:#}");
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}
