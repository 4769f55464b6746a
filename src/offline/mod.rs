//! Offline copies: what a file holds, with no server at all.
//!
//! The most common leak is a copy: a Redis `dump.rdb`, a `pg_dump`, a CSV
//! export. `oubli scan file PATH` runs the census's folding and the
//! detector over it: for an RDB every key with its type, TTL at snapshot
//! time and size, and every value searched ([`rdb`]); for a dump or a
//! CSV, every value of every column ([`dump`]). It also answers "what do
//! our backups hold about this person".
//!
//! This engine knows nothing of the terminal; reports hold masked
//! examples and counts, never a value in clear.

pub mod dump;
pub mod rdb;

use std::io::Read;
use std::path::Path;

pub use dump::{DumpReport, TableFormat};
pub use rdb::{FileProgress, RdbReport};

/// What a file is, by its first bytes (and a directory by its `toc.dat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Rdb,
    PgDumpPlain,
    /// `pg_dump -Fc` (or `-Fd`, a directory).
    PgDumpArchive,
    Csv,
}

impl std::str::FromStr for FileKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "rdb" => FileKind::Rdb,
            "sql" | "pg-dump" | "plain" => FileKind::PgDumpPlain,
            "custom" | "archive" | "pg-archive" => FileKind::PgDumpArchive,
            "csv" => FileKind::Csv,
            other => {
                return Err(format!(
                    "unknown file kind {other:?}: expected rdb, sql, custom or csv"
                ))
            }
        })
    }
}

/// The file's name (not its directory), printable: what reports show.
pub fn shown_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned());
    crate::show::printable(&name).into_owned()
}

/// Tell what `path` holds from its first bytes: `REDIS` is an RDB,
/// `PGDMP` (or a directory with `toc.dat`) a pg_dump archive, a text
/// with `COPY`/`INSERT` or pg_dump's banner a plain dump; a file ending
/// in `.csv` or `.tsv` a CSV. Anything else is refused with the reason.
pub fn sniff(path: &Path) -> anyhow::Result<FileKind> {
    let name = shown_name(path);
    if path.is_dir() {
        if path.join("toc.dat").is_file() {
            return Ok(FileKind::PgDumpArchive);
        }
        anyhow::bail!("{name}: a directory, and not a pg_dump directory (no toc.dat)");
    }
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("{name}: cannot open: {e}"))?
        .take(8192)
        .read_to_end(&mut head)
        .map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
    if head.starts_with(b"REDIS") {
        return Ok(FileKind::Rdb);
    }
    match dump::sniff_table_format(&head) {
        Some(TableFormat::ArchiveDump) => return Ok(FileKind::PgDumpArchive),
        Some(TableFormat::PlainDump) => return Ok(FileKind::PgDumpPlain),
        _ => {}
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("csv" | "tsv")) {
        return Ok(FileKind::Csv);
    }
    anyhow::bail!(
        "{name}: not a file oubli can read (an RDB starts with REDIS, a pg_dump archive with PGDMP, a plain dump holds COPY or INSERT statements, a CSV ends in .csv); say which with --kind"
    )
}

/// What a file holds.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileReport {
    Rdb(RdbReport),
    Tables(DumpReport),
}

impl FileReport {
    pub fn complete(&self) -> bool {
        match self {
            FileReport::Rdb(r) => r.complete,
            FileReport::Tables(r) => r.complete,
        }
    }

    pub fn stopped(&self) -> Option<&str> {
        match self {
            FileReport::Rdb(r) => r.stopped.as_deref(),
            FileReport::Tables(r) => r.stopped.as_deref(),
        }
    }
}

/// Read `path` as `kind` (sniffed when `None`). Runs on the calling
/// thread (it reads and searches; call it from a blocking task).
pub fn scan(
    path: &Path,
    kind: Option<FileKind>,
    opts: &crate::redis::census::CensusOptions,
    cancel: &tokio_util::sync::CancellationToken,
    progress: impl FnMut(FileProgress),
) -> anyhow::Result<FileReport> {
    let kind = match kind {
        Some(k) => k,
        None => sniff(path)?,
    };
    Ok(match kind {
        FileKind::Rdb => FileReport::Rdb(rdb::scan(path, opts, cancel, progress)?),
        FileKind::PgDumpPlain => {
            FileReport::Tables(dump::scan(path, TableFormat::PlainDump, cancel, progress)?)
        }
        FileKind::PgDumpArchive => FileReport::Tables(dump::scan(
            path,
            TableFormat::ArchiveDump,
            cancel,
            progress,
        )?),
        FileKind::Csv => FileReport::Tables(dump::scan(path, TableFormat::Csv, cancel, progress)?),
    })
}
