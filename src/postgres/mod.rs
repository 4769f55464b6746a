//! Postgres: connection (with a `statement_timeout` on every session, TLS as
//! `sslmode` says: see `crate::tls`) and the catalog overview. The classifier, retention and person graph build on it.
//!
//! Nothing waits for ever: the whole connection (TCP, TLS, startup and
//! authentication) is bounded by `connect_timeout_ms`, and every query the
//! engine sends by `statement_timeout_ms` on the server and by a
//! client-side bound as well ([`query`]). Errors name the step and the table
//! and never carry a value ([`query::describe`]).

pub mod catalog;
pub mod classify;
pub mod coverage;
pub mod graph;
pub mod init;
pub mod overview;
pub mod query;
pub mod retention;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::tls::SslMode;

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
    // libpq's TLS parameters leave the URL here (tokio-postgres knows only
    // some of them); the errors name options and files, never the URL.
    let (url, tls) = crate::tls::pg_split(conn.url.expose(), conn.tls.as_ref())
        .with_context(|| format!("Postgres connection {:?} ({})", conn.name, conn.url))?;
    let mut config = tokio_postgres::Config::from_str(&url)
        .map_err(|e| anyhow::anyhow!("invalid Postgres URL {}: {e}", conn.url))?;
    config
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .application_name(&settings.application_name)
        .options(format!(
            "-c statement_timeout={} -c default_transaction_read_only={}",
            settings.statement_timeout_ms,
            if read_only { "on" } else { "off" }
        ))
        .ssl_mode(match tls.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
    let rustls = tls
        .client_config()
        .with_context(|| format!("Postgres connection {:?}", conn.name))?;
    // `connect_timeout` bounds each TCP connect only: a listener that
    // accepts and never answers would hold the TLS and startup handshake
    // for ever. The whole of it gets the same time, per host tried.
    let hosts = u32::try_from(config.get_hosts().len().max(1)).unwrap_or(u32::MAX);
    let bound = Duration::from_millis(settings.connect_timeout_ms).saturating_mul(hosts);
    let dialled = tokio::time::timeout(bound, async {
        match rustls {
            None => dial(&config, NoTls, &conn.name).await,
            Some(c) => dial(&config, MakeRustlsConnect::new(c), &conn.name).await,
        }
    })
    .await;
    let failure = match dialled {
        Ok(Ok(client)) => {
            query::note_session(settings);
            return Ok(client);
        }
        Ok(Err(e)) => query::describe(&e),
        Err(_) => format!(
            "no answer within {} ms (postgres.connect_timeout_ms): the connection, TLS and \
             startup handshake did not finish (a server, proxy or firewall that accepts \
             connections and never answers)",
            bound.as_millis()
        ),
    };
    Err(match tls.mode {
        SslMode::Disable => {
            anyhow::anyhow!("cannot connect to Postgres at {}: {failure}", conn.url)
        }
        _ => anyhow::anyhow!(
            "cannot connect to Postgres at {} ({}): {failure}",
            conn.url,
            tls.describe()
        ),
    })
}

/// Connect and spawn the connection task; its end is logged, never printed.
async fn dial<T>(
    config: &tokio_postgres::Config,
    tls: T,
    name: &str,
) -> Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    let name = name.to_string();
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(connection = %name, error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}
