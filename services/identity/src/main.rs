//! `estospaces-identity`: the identity service on its own.
//!
//! - `estospaces-identity` serves.
//! - `estospaces-identity grant-admin EMAIL` makes an existing account an admin and exits (see
//!   [`estospaces_identity::admin`]).

use estospaces_identity::{Application, IdentityConfig, SERVICE_NAME, admin};

const USAGE: &str = "usage: estospaces-identity [grant-admin EMAIL]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let grant_admin_to = match args.as_slice() {
        [] => None,
        [command, email] if command == "grant-admin" => Some(email.clone()),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(estospaces_config::EXIT_CONFIG);
        }
    };
    let config: IdentityConfig = estospaces_config::load_or_exit();
    let _telemetry = estospaces_telemetry::init(SERVICE_NAME, &config.common.telemetry)?;

    if let Some(email) = grant_admin_to {
        let user = admin::grant_admin(&config, &email).await?;
        println!("{} is now an admin", user.id.name());
        return Ok(());
    }

    tracing::info!(?config, "starting");
    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), "serving gRPC");
    app.run_until_stopped().await?;
    Ok(())
}
