//! Logs go to a file under the XDG state dir (`~/.local/state/oubli/oubli.log`),
//! never to the terminal. `OUBLI_LOG` sets the filter (default `info`).
//! Nothing logged may hold personal data: log counts and ids, not values.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where oubli keeps what must outlive a run (the last census):
/// `OUBLI_STATE_DIR`, else `$XDG_STATE_HOME/oubli`.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("OUBLI_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().map(|d| d.join("oubli")))
        .or_else(|| dirs::cache_dir().map(|d| d.join("oubli")))
}

/// Where the log file goes.
pub fn log_dir() -> Option<PathBuf> {
    std::env::var_os("OUBLI_LOG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().map(|d| d.join("oubli")))
        .or_else(|| dirs::cache_dir().map(|d| d.join("oubli")))
}

/// Start file logging. Returns the guard that flushes on drop, or `None`
/// when no directory is writable (oubli then runs without a log rather
/// than writing to the screen).
pub fn init() -> Option<WorkerGuard> {
    let dir = log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("oubli")
        .filename_suffix("log")
        .max_log_files(14)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("OUBLI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
