//! The trail's files: a 0700 directory holding `trail.jsonl` and
//! `checkpoints.jsonl`, both mode 0600, only ever appended to (`O_APPEND`,
//! one `write` per line, `fsync`). Writers hold an exclusive `flock` on
//! `trail.jsonl` while they append an entry or a checkpoint; readers hold a
//! shared one, so they see whole lines and a checkpoint with its entries.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context};

pub const TRAIL_FILE: &str = "trail.jsonl";
pub const CHECKPOINTS_FILE: &str = "checkpoints.jsonl";

/// No entry or checkpoint line is longer (a writer refuses one that is).
pub(crate) const MAX_LINE: usize = 16 * 1024;

/// Create the directory (0700) or check that an existing one is closed to
/// group and others.
pub(crate) fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create the audit directory {}", dir.display()))?;
    }
    let meta = fs::metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    closed(dir, &meta, "the audit directory ", 0o700)
}

/// Refuse `path` when its group or others have any access to it.
pub(crate) fn closed(path: &Path, meta: &fs::Metadata, what: &str, fix: u32) -> anyhow::Result<()> {
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "{what}{} is open to its group or others (mode {mode:03o}): run chmod {fix:o} {}",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Open a trail file to append to (created 0600; an existing one must be
/// closed to group and others).
pub(crate) fn open_append(path: &Path) -> anyhow::Result<File> {
    let created = !path.exists();
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    closed(path, &meta, "", 0o600)?;
    if created {
        // The new name must survive a crash too.
        if let Some(dir) = path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("cannot sync the audit directory {}", dir.display()))?;
        }
    }
    Ok(file)
}

/// Append one line (a newline is added) in one write, then fsync.
pub(crate) fn append_line(file: &File, path: &Path, line: &[u8]) -> anyhow::Result<()> {
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line);
    buf.push(b'\n');
    let mut f = file;
    f.write_all(&buf)
        .and_then(|()| file.sync_data())
        .with_context(|| format!("cannot append to {}", path.display()))
}

/// An `flock` held until dropped.
pub(crate) struct Lock<'a>(&'a File);

impl<'a> Lock<'a> {
    pub(crate) fn exclusive(file: &'a File) -> io::Result<Lock<'a>> {
        flock(file, libc::LOCK_EX).map(|()| Lock(file))
    }

    pub(crate) fn shared(file: &'a File) -> io::Result<Lock<'a>> {
        flock(file, libc::LOCK_SH).map(|()| Lock(file))
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        // Closing the file releases the lock too; a failed unlock only
        // delays the next writer until then.
        if let Err(e) = flock(self.0, libc::LOCK_UN) {
            tracing::warn!(target: "audit", error = %e, "could not release the trail lock");
        }
    }
}

fn flock(file: &File, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock takes a file descriptor that `file` keeps open for
        // the duration of the call, and an operation constant.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// The last line of `file` (without its newline), `None` when the file is
/// empty. A file that does not end with a newline (an interrupted write)
/// is refused: nothing may be chained onto half an entry.
pub(crate) fn last_line(file: &File, path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let len = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len == 0 {
        return Ok(None);
    }
    let start = len.saturating_sub(MAX_LINE as u64 + 1);
    let mut buf = vec![0u8; (len - start) as usize];
    file.read_exact_at(&mut buf, start)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if buf.last() != Some(&b'\n') {
        bail!(
            "the last line of {} is incomplete (an interrupted write?): run oubli audit verify",
            path.display()
        );
    }
    buf.pop();
    let from = match buf.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None if start == 0 => 0,
        None => bail!(
            "the last line of {} is longer than any entry: run oubli audit verify",
            path.display()
        ),
    };
    Ok(Some(buf[from..].to_vec()))
}

/// A file's bytes, empty when it does not exist.
pub(crate) fn read_or_empty(path: &Path) -> anyhow::Result<Vec<u8>> {
    match fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Split on newlines; the final piece after the last newline is a line too
/// when not empty (an incomplete write, which verification reports).
pub(crate) fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_a_torn_tail_and_drop_the_final_newline() {
        assert!(lines(b"").is_empty());
        assert_eq!(lines(b"a\nb\n"), vec![&b"a"[..], b"b"]);
        assert_eq!(lines(b"a\nb"), vec![&b"a"[..], b"b"]);
        assert_eq!(lines(b"a\n\nb\n"), vec![&b"a"[..], b"", b"b"]);
    }

    #[test]
    fn the_last_line_is_found_and_a_torn_one_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("t");
        let f = open_append(&p).expect("open");
        assert_eq!(last_line(&f, &p).expect("empty"), None);
        append_line(&f, &p, b"one").expect("append");
        assert_eq!(
            last_line(&f, &p).expect("one").as_deref(),
            Some(&b"one"[..])
        );
        append_line(&f, &p, b"two").expect("append");
        assert_eq!(
            last_line(&f, &p).expect("two").as_deref(),
            Some(&b"two"[..])
        );
        let mut g = &f;
        g.write_all(b"thr").expect("torn write");
        assert!(last_line(&f, &p).is_err());
    }
}
