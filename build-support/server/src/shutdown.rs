//! Waiting for the signal to stop.

/// Completes on SIGTERM (how Kubernetes stops a pod) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for SIGINT: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => tracing::info!("received SIGINT"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}

/// Like [`shutdown_signal`], but listening from the moment it is called rather than from its
/// first poll, so a SIGTERM that arrives while a service is still starting is not lost (and
/// does not kill the process outright). Call it inside the runtime.
pub fn shutdown_signal_from_now() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listening = signal(SignalKind::terminate())
            .and_then(|terminate| Ok((terminate, signal(SignalKind::interrupt())?)));
        async move {
            match listening {
                Ok((mut terminate, mut interrupt)) => tokio::select! {
                    _ = terminate.recv() => tracing::info!("received SIGTERM"),
                    _ = interrupt.recv() => tracing::info!("received SIGINT"),
                },
                Err(err) => {
                    tracing::error!("cannot listen for signals now: {err}");
                    shutdown_signal().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    shutdown_signal()
}
