//! One database per service, even when they share a PostgreSQL server: services never share
//! tables (and every service has an `event_outbox` of its own).

use std::collections::BTreeMap;

use anyhow::Context as _;
use estospaces_config::{ExposeSecret as _, SecretString};
use sqlx::Connection as _;

/// The database `service` uses: its entry in `overrides`, else database `estospaces_<service>`
/// on the server `server_url` names (created if missing), else `None` for the embedded SQLite
/// file.
pub async fn database_for(
    service: &str,
    server_url: Option<&SecretString>,
    overrides: &BTreeMap<String, SecretString>,
) -> anyhow::Result<Option<SecretString>> {
    if let Some(url) = overrides.get(service) {
        return Ok(Some(url.clone()));
    }
    let Some(server_url) = server_url else {
        return Ok(None);
    };
    let name = format!("estospaces_{service}");
    create_if_missing(server_url.expose_secret(), &name)
        .await
        .with_context(|| format!("preparing database {name} for the {service} service"))?;
    Ok(Some(
        with_database(server_url.expose_secret(), &name).into(),
    ))
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

async fn create_if_missing(server_url: &str, name: &str) -> anyhow::Result<()> {
    let mut connection = sqlx::PgConnection::connect(server_url).await?;
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut connection)
        .await?
        .is_some();
    if !exists {
        // Identifiers cannot be bound; `name` is ours (`estospaces_<service>`), quoted anyway.
        let created = sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut connection)
            .await;
        // Two platforms starting at once: the loser finds it created.
        if let Err(err) = created
            && !is_duplicate_database(&err)
        {
            return Err(err.into());
        }
    }
    connection.close().await?;
    Ok(())
}

fn is_duplicate_database(err: &sqlx::Error) -> bool {
    // 42P04 duplicate_database; 23505 when the catalog's unique index catches the race.
    matches!(err, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("42P04" | "23505")))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_replaces_the_one_in_the_url() {
        assert_eq!(
            with_database(
                "postgres://postgres@127.0.0.1:5432/postgres",
                "estospaces_booking"
            ),
            "postgres://postgres@127.0.0.1:5432/estospaces_booking"
        );
    }

    #[test]
    fn a_url_without_a_database_gets_one_and_keeps_its_options() {
        assert_eq!(
            with_database("postgres://u:p@db?sslmode=require", "estospaces_identity"),
            "postgres://u:p@db/estospaces_identity?sslmode=require"
        );
    }
}
