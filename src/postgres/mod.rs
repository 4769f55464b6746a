//! Postgres: connection (with a `statement_timeout` on every session) and the
//! catalog overview. The classifier, retention and person graph build on it.

pub mod catalog;
pub mod classify;
pub mod coverage;
pub mod graph;
pub mod init;
pub mod overview;
pub mod retention;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use tokio_postgres::{Client, NoTls};

use crate::register::settings::PostgresSettings;
use crate::register::ResolvedConnection;

pub use coverage::{findings, survey, Survey};
pub use overview::{PgOverview, TableStat};

/// Connect read-only, with `statement_timeout` and `application_name` set for the
/// whole session so no query oubli sends can run away. The connection task
/// is spawned; its end is logged, never printed.
pub async fn connect(
    conn: &ResolvedConnection,
    settings: &PostgresSettings,
) -> anyhow::Result<Client> {
    open(conn, settings, true).await
}

/// A session that may write (demo seeding, and erasure once it exists).
pub async fn connect_writable(
    conn: &ResolvedConnection,
    settings: &PostgresSettings,
) -> anyhow::Result<Client> {
    open(conn, settings, false).await
}

async fn open(
    conn: &ResolvedConnection,
    settings: &PostgresSettings,
    read_only: bool,
) -> anyhow::Result<Client> {
    let mut config = tokio_postgres::Config::from_str(conn.url.expose())
        .map_err(|e| anyhow::anyhow!("invalid Postgres URL {}: {e}", conn.url))?;
    config
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .application_name(&settings.application_name)
        .options(format!(
            "-c statement_timeout={} -c default_transaction_read_only={}",
            settings.statement_timeout_ms,
            if read_only { "on" } else { "off" }
        ));
    let (client, connection) = config
        .connect(NoTls)
        .await
        .with_context(|| format!("cannot connect to Postgres at {}", conn.url))?;
    let name = conn.name.clone();
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(connection = %name, error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}
