//! One query of the engine: bounded on the client's side as well as by the
//! session's `statement_timeout`, and its failure told in words that name
//! the step, the table and the timeout in force, never a value.
//!
//! `statement_timeout` is the server's: a server (or a proxy in front of
//! it) that takes a query and never answers would hold oubli forever. Each
//! query therefore also has a client-side bound: the longest
//! `statement_timeout` of the sessions this process opened, plus their
//! connect timeout as a margin for the network. It is kept process-wide
//! because the engine's functions take a bare `tokio_postgres::Client`,
//! which carries no settings; the longest one keeps every session's bound
//! at or above its own server-side timeout.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::catalog::Table;
use crate::register::settings::PostgresSettings;

/// The bound before any session was opened: the default settings'
/// `statement_timeout_ms` (5000) and `connect_timeout_ms` (3000).
const DEFAULT_BOUND_MS: u64 = 8_000;

/// No bound (a session whose `statement_timeout` is 0, i.e. none).
const UNBOUNDED: u64 = u64::MAX;

/// 0 until a session is opened.
static QUERY_BOUND_MS: AtomicU64 = AtomicU64::new(0);

/// Diagnostic queries after a failure (the timeout in force, a lock
/// holder) get this long at most: the failure is reported either way.
const DIAGNOSTIC_BOUND: Duration = Duration::from_secs(2);

/// Record a session opened with `settings`: the client-side bound of every
/// query becomes at least its `statement_timeout` plus its connect timeout.
pub(crate) fn note_session(settings: &PostgresSettings) {
    let ms = if settings.statement_timeout_ms == 0 {
        UNBOUNDED
    } else {
        settings
            .statement_timeout_ms
            .saturating_add(settings.connect_timeout_ms.max(1_000))
    };
    QUERY_BOUND_MS.fetch_max(ms, Ordering::Relaxed);
}

/// The client-side bound of one query, if any.
pub fn query_bound() -> Option<Duration> {
    match QUERY_BOUND_MS.load(Ordering::Relaxed) {
        UNBOUNDED => None,
        0 => Some(Duration::from_millis(DEFAULT_BOUND_MS)),
        ms => Some(Duration::from_millis(ms)),
    }
}

/// What a query is for, as its error names it: `reading the catalog`,
/// `sampling table "Mixed"`.
#[derive(Clone, Copy)]
pub(crate) struct Step<'a> {
    what: &'a str,
    table: Option<&'a Table>,
}

impl<'a> Step<'a> {
    pub(crate) fn new(what: &'a str) -> Step<'a> {
        Step { what, table: None }
    }

    /// A step on one table: `{what} table {table}`.
    pub(crate) fn on(what: &'a str, table: &'a Table) -> Step<'a> {
        Step {
            what,
            table: Some(table),
        }
    }
}

impl fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.table {
            Some(t) => write!(f, "{} table {}", self.what, t.display_name()),
            None => f.write_str(self.what),
        }
    }
}

/// A failed query in words: the step, the table, the cause; never a value
/// (see [`describe`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// Reading a row (a column of an unexpected type): no value in it.
impl From<tokio_postgres::Error> for QueryError {
    fn from(e: tokio_postgres::Error) -> QueryError {
        QueryError(describe(&e))
    }
}

/// Run `query` (one call on `client`) within the client-side bound; on
/// failure, an error that names `step` and says why, without a value.
pub(crate) async fn run<T>(
    client: &Client,
    step: Step<'_>,
    query: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, QueryError> {
    let result = match query_bound() {
        Some(bound) => match tokio::time::timeout(bound, query).await {
            Ok(r) => r,
            Err(_) => {
                return Err(QueryError(format!(
                    "{step}: no answer from the server within {} ms (statement_timeout and a \
                     margin): the server or the network is not responding",
                    bound.as_millis()
                )))
            }
        },
        None => query.await,
    };
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(explain(client, step, &e).await),
    }
}

/// The error of a failed query, with the timeout in force and the likely
/// cause when the server cancelled it for `statement_timeout`.
async fn explain(client: &Client, step: Step<'_>, e: &tokio_postgres::Error) -> QueryError {
    let timed_out = e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::QUERY_CANCELED && db.message().contains("statement timeout")
    });
    if !timed_out {
        return QueryError(format!("{step}: {}", describe(e)));
    }
    let limit = match timeout_in_force(client).await {
        Some(ms) => format!(" ({ms} ms)"),
        None => String::new(),
    };
    let cause = match step.table {
        Some(t) => match lock_holder(client, t).await {
            Some(pid) => format!(
                "the table is locked: another session (pid {pid}) holds an ACCESS EXCLUSIVE \
                 lock on it; retry once it is released, or raise postgres.statement_timeout_ms"
            ),
            None => "the table is probably locked (another session holds a lock on it), or \
                     too slow to read within the timeout"
                .to_string(),
        },
        None => "the query did not finish within the timeout (a lock held by another \
                 session, or a slow server)"
            .to_string(),
    };
    QueryError(format!("{step}: statement timeout{limit} — {cause}"))
}

/// The session's `statement_timeout`, in ms.
async fn timeout_in_force(client: &Client) -> Option<String> {
    let q = "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'";
    let row = tokio::time::timeout(DIAGNOSTIC_BOUND, client.query_opt(q, &[]))
        .await
        .ok()?
        .ok()??;
    row.try_get(0).ok()
}

/// A lock another session holds on `t` that blocks a read (only `ACCESS
/// EXCLUSIVE` does): the holder's pid (0 for a prepared transaction).
async fn lock_holder(client: &Client, t: &Table) -> Option<i32> {
    let q = "SELECT pid FROM pg_locks \
             WHERE locktype = 'relation' AND relation = $1 AND granted \
               AND mode = 'AccessExclusiveLock' AND pid IS DISTINCT FROM pg_backend_pid() \
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             LIMIT 1";
    let row = tokio::time::timeout(DIAGNOSTIC_BOUND, client.query_opt(q, &[&t.oid]))
        .await
        .ok()?
        .ok()??;
    let pid: Option<i32> = row.try_get(0).ok()?;
    Some(pid.unwrap_or(0))
}

/// A Postgres error in words, without what could carry a value: no
/// `DETAIL` (a unique violation's key, a failing row), `HINT` or `WHERE`,
/// and for the errors whose message quotes the input (invalid input syntax,
/// values out of range: SQLSTATE class 22) or is written by a function or
/// trigger (class P0), only up to the first quoted part.
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let message = db.message();
        let message = if code.starts_with("22") || code.starts_with("P0") {
            message
                .split_once('"')
                .map_or(message, |(head, _)| head)
                .trim_end_matches([' ', ':'])
        } else {
            message
        };
        return format!("{message} (SQLSTATE {code})");
    }
    // Not the server's: the error and its causes (I/O, TLS, decoding),
    // none of which holds a value.
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        let mut s = crate::register::load::ad_hoc().register.postgres;
        s.statement_timeout_ms = 300;
        s.connect_timeout_ms = 2_000;
        note_session(&s);
        assert_eq!(query_bound(), Some(Duration::from_millis(2_300)));
        // The longest wins.
        s.statement_timeout_ms = 100;
        note_session(&s);
        assert_eq!(query_bound(), Some(Duration::from_millis(2_300)));
        s.statement_timeout_ms = 0;
        note_session(&s);
        assert_eq!(query_bound(), None);
    }
}
