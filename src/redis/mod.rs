//! Redis: connection and the server overview. The census scanner, namespaces,
//! value reader and actions build on this module.

pub mod actions;
pub mod census;
pub mod cluster;
pub mod findings;
pub mod init;
pub mod keyspace;
pub mod namespaces;
pub mod overview;
pub mod search;
pub mod values;
pub mod wire;

use std::time::Duration;

use anyhow::Context;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ClientTlsConfig, TlsCertificates};

use crate::register::settings::RedisSettings;
use crate::register::ResolvedConnection;

pub use overview::{DbStat, RedisOverview};

/// Open a multiplexed connection with the register's timeouts. Errors name
/// the redacted URL, never the password.
///
/// `rediss://` (and `valkeys://`) connect over rustls: the server certificate
/// is verified against `tls.ca_file` when given (it replaces the system
/// trust store), else against the system trust store; `client_cert_file` and
/// `client_key_file` give mutual TLS. `#insecure` is refused.
pub async fn connect(
    conn: &ResolvedConnection,
    settings: &RedisSettings,
) -> anyhow::Result<MultiplexedConnection> {
    let (client, tls) = client(conn)?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(settings.connect_timeout_ms)))
        .set_response_timeout(Some(Duration::from_millis(settings.command_timeout_ms)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| {
            // The crate's message already carries its cause: one line, not a
            // chain that repeats it.
            match &tls {
                Some(how) => anyhow::anyhow!(
                    "cannot connect to Redis at {} over TLS ({how}): {e}",
                    conn.url
                ),
                None => anyhow::anyhow!("cannot connect to Redis at {}: {e}", conn.url),
            }
        })
}

/// The client for a connection, and for TLS a description of how the server
/// is verified (for error messages).
fn client(conn: &ResolvedConnection) -> anyhow::Result<(redis::Client, Option<String>)> {
    let parsed = url::Url::parse(conn.url.expose()).ok();
    let secure = parsed
        .as_ref()
        .is_some_and(|u| matches!(u.scheme(), "rediss" | "valkeys"));
    let tls = conn.tls.as_ref();
    if !secure {
        if tls.is_some_and(|t| {
            t.ca_file.is_some() || t.client_cert_file.is_some() || t.client_key_file.is_some()
        }) {
            anyhow::bail!(
                "connection {:?} has TLS files but its URL {} is not rediss://: \
                 use rediss:// (oubli does not silently connect without TLS)",
                conn.name,
                conn.url
            );
        }
        let client = redis::Client::open(conn.url.expose())
            .with_context(|| format!("invalid Redis URL {}", conn.url))?;
        return Ok((client, None));
    }
    if parsed.as_ref().and_then(|u| u.fragment()) == Some("insecure") {
        anyhow::bail!(
            "connection {:?}: {} asks for #insecure (no certificate check), which oubli \
             does not offer: give the server's CA as tls.ca_file",
            conn.name,
            conn.url
        );
    }
    if let Some(mode) = tls.and_then(|t| t.mode.as_deref()) {
        if !matches!(mode, "require" | "verify-full") {
            anyhow::bail!(
                "connection {:?}: tls.mode = {mode:?} does not apply to Redis, which always \
                 verifies the chain and the host name (leave it out, or use \"verify-full\")",
                conn.name
            );
        }
    }
    let with_context = |e: anyhow::Error| e.context(format!("connection {:?}", conn.name));
    let ca_file = tls.and_then(|t| t.ca_file.as_deref());
    let root_cert = ca_file
        .map(|path| crate::tls::read_ca("tls.ca_file", path))
        .transpose()
        .map_err(with_context)?;
    let identity = crate::tls::read_client_identity(
        "tls.client_cert_file",
        tls.and_then(|t| t.client_cert_file.as_deref()),
        "tls.client_key_file",
        tls.and_then(|t| t.client_key_file.as_deref()),
    )
    .map_err(with_context)?;
    let how = format!(
        "server certificate checked against {}{}",
        ca_file.map_or_else(
            || "the system trust store; a private CA goes in tls.ca_file".to_string(),
            |p| format!("tls.ca_file {p}")
        ),
        if identity.is_some() {
            ", with a client certificate"
        } else {
            ""
        }
    );
    crate::tls::install_default_provider();
    let certs = TlsCertificates {
        client_tls: identity.map(|id| ClientTlsConfig {
            client_cert: id.cert_pem,
            client_key: id.key_pem,
        }),
        root_cert,
    };
    let client = redis::Client::build_with_tls(conn.url.expose(), certs)
        .with_context(|| format!("invalid Redis URL {}", conn.url))?;
    Ok((client, Some(how)))
}

/// The server (host, port) a connection reads, and the logical database its
/// URL names (`/N`, else 0): to tell which databases of a server the
/// register's connections cover.
pub fn server_and_db(c: &ResolvedConnection) -> Option<((String, u16), u32)> {
    let u = url::Url::parse(c.url.expose()).ok()?;
    let db = u.path().trim_start_matches('/').parse::<u32>().unwrap_or(0);
    Some(((u.host_str()?.to_string(), u.port().unwrap_or(6379)), db))
}
