//! Redis: connection and the server overview. The census scanner, namespaces,
//! value reader and actions build on this module.

pub mod actions;
pub mod census;
pub mod findings;
pub mod init;
pub mod overview;
pub mod values;

use std::time::Duration;

use anyhow::Context;
use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;

use crate::register::settings::RedisSettings;
use crate::register::ResolvedConnection;

pub use overview::{DbStat, RedisOverview};

/// Open a multiplexed connection with the register's timeouts. Errors name
/// the redacted URL, never the password.
pub async fn connect(
    conn: &ResolvedConnection,
    settings: &RedisSettings,
) -> anyhow::Result<MultiplexedConnection> {
    let client = redis::Client::open(conn.url.expose())
        .with_context(|| format!("invalid Redis URL {}", conn.url))?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(settings.connect_timeout_ms)))
        .set_response_timeout(Some(Duration::from_millis(settings.command_timeout_ms)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .with_context(|| format!("cannot connect to Redis at {}", conn.url))
}
