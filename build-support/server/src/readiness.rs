//! Health that means "ready": SERVING only while every dependency answers.

use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// A named check of one dependency (the database answers `SELECT 1`, say).
pub struct ReadinessCheck {
    name: &'static str,
    check: Box<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>,
}

impl std::fmt::Debug for ReadinessCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadinessCheck")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ReadinessCheck {
    pub(crate) fn new<F, Fut, E>(name: &'static str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        Self {
            name,
            check: Box::new(move || {
                let fut = check();
                Box::pin(async move { fut.await.map_err(|err| err.to_string()) })
            }),
        }
    }
}

/// Runs every check now and then every `interval`, and reports the result for the server
/// ("") and each named service. Changes are logged once, not on every round.
pub(crate) fn spawn_loop(
    checks: Vec<ReadinessCheck>,
    reporter: HealthReporter,
    services: Vec<&'static str>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: Option<ServingStatus> = None;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let mut status = ServingStatus::Serving;
            for check in &checks {
                // A check that hangs counts as failing, and must not stall the loop.
                let outcome = tokio::time::timeout(interval, (check.check)()).await;
                let failure = match outcome {
                    Ok(Ok(())) => continue,
                    Ok(Err(err)) => err,
                    Err(_) => "timed out".to_owned(),
                };
                status = ServingStatus::NotServing;
                if last != Some(ServingStatus::NotServing) {
                    tracing::warn!(check = check.name, "not ready: {failure}");
                }
            }
            if last != Some(status) {
                reporter.set_service_status("", status).await;
                for service in &services {
                    reporter.set_service_status(*service, status).await;
                }
                tracing::info!(?status, "health changed");
                last = Some(status);
            }
        }
    })
}
