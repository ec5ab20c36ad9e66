//! `estospaces-search`: the search service on its own.
//!
//! `estospaces-search rebuild` deletes the index and exits; the next start builds it again
//! from the beginning of the property topic (as does `ESTOSPACES_REBUILD_ON_START=true`).

use estospaces_search::{Application, SERVICE_NAME, SearchConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: SearchConfig = estospaces_config::load_or_exit();
    if std::env::args().nth(1).as_deref() == Some("rebuild") {
        let dir = estospaces_search::index::index_dir(&config.common.data_dir);
        estospaces_search::index::SearchIndex::destroy(&dir)?;
        println!(
            "deleted {}; the next start rebuilds it from the topics",
            dir.display()
        );
        return Ok(());
    }
    if config.common.auth.identity_url.is_none() {
        eprintln!(
            "invalid configuration; key `auth.identity_url`: required, the identity service \
             whose keys verify access tokens (ESTOSPACES_AUTH__IDENTITY_URL)"
        );
        std::process::exit(64);
    }
    let _telemetry = estospaces_telemetry::init(SERVICE_NAME, &config.common.telemetry)?;
    tracing::info!(?config, "starting");

    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), "serving gRPC");
    app.run_until_stopped().await?;
    Ok(())
}
