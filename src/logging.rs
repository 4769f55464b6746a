//! Logs go to a file under the XDG state dir
//! (`~/.local/state/oubli/oubli.<yyyy-mm-dd>.log`, a file a day in UTC, the
//! last 14 kept), never to the terminal. `OUBLI_LOG` sets the filter
//! (default `info`). Nothing logged may hold personal data: log counts and
//! ids, not values.
//!
//! Everything oubli writes is private, whatever the umask: files 0600 in
//! directories 0700 (`private_dir`, `write_private`, `open_private_append`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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

/// Where the log files go.
pub fn log_dir() -> Option<PathBuf> {
    std::env::var_os("OUBLI_LOG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().map(|d| d.join("oubli")))
        .or_else(|| dirs::cache_dir().map(|d| d.join("oubli")))
}

/// The mode of every directory oubli makes.
pub const DIR_MODE: u32 = 0o700;
/// The mode of every file oubli writes.
pub const FILE_MODE: u32 = 0o600;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Make `dir` a directory only its owner can enter. Missing directories
/// (the parents too) are created 0700; an existing `dir` that the current
/// user owns is tightened to 0700 unless it is shared on purpose (sticky,
/// like `/tmp`). Its parents, when they exist, are left as they are.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut p = dir;
    while !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err() {
        missing.push(p);
        match p.parent() {
            Some(parent) => p = parent,
            None => break,
        }
    }
    if missing.is_empty() {
        return tighten_dir(dir);
    }
    for d in missing.into_iter().rev() {
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
        match builder.create(d) {
            Ok(()) => set_mode(d, DIR_MODE)?,
            // Made by another process meanwhile: treat it as existing.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => tighten_dir(d)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn tighten_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is not a directory", dir.display()),
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let sticky = meta.mode() & 0o1000 != 0;
    if meta.uid() == me && !sticky && meta.mode() & 0o077 != 0 {
        set_mode(dir, DIR_MODE)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_dir(dir: &Path) -> io::Result<()> {
    fs::metadata(dir).map(|_| ())
}

/// Open `path` to append to it, created 0600 (an existing file is
/// tightened to 0600), in a `private_dir`.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    let file = options.open(path)?;
    set_mode(path, FILE_MODE)?;
    Ok(file)
}

/// Write `bytes` to `path` whole or not at all: into a temporary file
/// created 0600 beside it, synced, then renamed over `path`; the directory
/// is a `private_dir`. A reader sees the old file or the new one.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    private_dir(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    // Unique to this write: two writers of one file never share a temporary.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tmp_name.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
        let mut f = options.open(&tmp)?;
        // A stale temporary file of an earlier run kept its own mode.
        set_mode(&tmp, FILE_MODE)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// How many daily log files are kept.
const KEEP_LOG_FILES: usize = 14;

fn is_log_file(name: &str) -> bool {
    name.starts_with("oubli.") && name.ends_with(".log")
}

/// The log: one file a day, each opened with `open_private_append`.
struct DailyLog {
    dir: PathBuf,
    day: String,
    file: Option<File>,
}

impl DailyLog {
    fn today() -> String {
        chrono::Utc::now().format("%Y-%m-%d").to_string()
    }

    /// Open today's file, and remove the oldest beyond `KEEP_LOG_FILES`.
    fn roll(&mut self, day: String) -> io::Result<&mut File> {
        let file = open_private_append(&self.dir.join(format!("oubli.{day}.log")))?;
        self.day = day;
        let mut old: Vec<String> = fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| is_log_file(n))
            .collect();
        old.sort();
        let excess = old.len().saturating_sub(KEEP_LOG_FILES);
        for name in &old[..excess] {
            let _ = fs::remove_file(self.dir.join(name));
        }
        Ok(self.file.insert(file))
    }
}

impl Write for DailyLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let today = Self::today();
        let file = match &mut self.file {
            Some(f) if today == self.day => f,
            _ => self.roll(today)?,
        };
        file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

/// Start file logging. Returns the guard that flushes on drop, or `None`
/// when no directory is writable (oubli then runs without a log rather
/// than writing to the screen).
pub fn init() -> Option<WorkerGuard> {
    let dir = log_dir()?;
    private_dir(&dir).ok()?;
    // Files of an earlier version were made with the umask's mode.
    for entry in fs::read_dir(&dir).ok()?.flatten() {
        if entry.file_name().to_str().is_some_and(is_log_file) {
            let _ = set_mode(&entry.path(), FILE_MODE);
        }
    }
    let mut log = DailyLog {
        dir,
        day: String::new(),
        file: None,
    };
    log.roll(DailyLog::today()).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(log);
    let filter = EnvFilter::try_from_env("OUBLI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "oubli started");
    Some(guard)
}
