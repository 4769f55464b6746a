//! The last census of each server, kept on disk: the console opens with
//! it and compares its next census with it, and `oubli scan redis` says
//! how a new census compares. Both faces read and write it here.
//!
//! Layout: `<state dir>/census/<digest>.json`. The state dir is
//! `OUBLI_STATE_DIR`, else `$XDG_STATE_HOME/oubli`
//! ([`crate::logging::state_dir`]); the digest is a hash of where the
//! census was taken: the server's `host:port/db` as the connection names
//! it, the ACL user, and whether it is a whole cluster
//! ([`ServerId::same_place`]). The file holds the census (patterns, counts,
//! masked examples; never a value or a whole key name) with its
//! [`ServerId`] and the time it was kept. The directory is made 0700 and
//! each file 0600, written whole to a temporary file that is then renamed.
//!
//! Loading checks the identity stored inside: a census of another place is
//! refused. One of an earlier run of the server (its `run_id` changed: it
//! restarted, or another server took its address; for a cluster, its
//! nodes' ids changed) is returned marked [`Origin::EarlierRun`]: shown as
//! such, never compared with a new census.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

use super::model::{Census, ServerId};

/// The layout of a kept census; another is not read.
const FORMAT: u32 = 1;

/// A kept census is not read past this size.
const MAX_BYTES: u64 = 256 << 20;

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    saved_at: DateTime<Utc>,
    census: Census,
}

/// Which run of the server a previous census was taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The run that answers now.
    SameRun,
    /// An earlier run at the same address: shown, not compared.
    EarlierRun,
}

/// A census taken before this one, with when and on which run.
#[derive(Debug, Clone)]
pub struct Previous {
    pub census: Census,
    pub saved_at: DateTime<Utc>,
    pub origin: Origin,
}

impl Previous {
    /// A census of this session, which the next one is compared with.
    pub fn from_session(census: Census, at: DateTime<Utc>) -> Previous {
        Previous {
            census,
            saved_at: at,
            origin: Origin::SameRun,
        }
    }

    /// Whether `c` may be compared with this census: both complete, of the
    /// same place and the same run of the server.
    pub fn comparable_with(&self, c: &Census) -> bool {
        self.origin == Origin::SameRun
            && self.census.complete
            && c.complete
            && match (&self.census.server, &c.server) {
                (Some(a), Some(b)) => a.same_run(b),
                _ => false,
            }
    }

    /// Its age, time and origin: `2h 5m ago (14/05 10:02), of
    /// 127.0.0.1:6379/0`, and for an earlier run that it is one.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        let age = (now - self.saved_at).num_milliseconds().max(0);
        let local: DateTime<Local> = self.saved_at.into();
        let server = self.census.server.as_ref();
        let mut text = format!(
            "{} ago ({}), of {}",
            crate::show::ttl_text(age),
            local.format("%d/%m %H:%M"),
            server.map_or_else(|| "an unnamed server".to_string(), ServerId::label)
        );
        if self.origin == Origin::EarlierRun {
            text.push_str(if server.is_some_and(|s| s.cluster) {
                ", before its nodes changed (not compared)"
            } else {
                ", before a restart of the server (not compared)"
            });
        }
        text
    }
}

/// Where kept censuses go: `<state dir>/census`.
pub fn dir() -> Option<PathBuf> {
    crate::logging::state_dir().map(|d| d.join("census"))
}

/// A short stable digest of `parts` (FNV-1a, 64 bits, in hex): a file
/// name, not a secret.
pub fn digest(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.as_bytes().iter().chain(b"\0") {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The file name of the census of `id`'s place (any run).
pub fn file_name(id: &ServerId) -> String {
    let kind = if id.cluster { "cluster" } else { "server" };
    let user = id.user.as_deref().unwrap_or("");
    format!("{}.json", digest(&[kind, &id.address, user]))
}

/// Keep a complete census in `dir`, stamped `at`; returns the file.
pub fn save_in(dir: &Path, census: &Census, at: DateTime<Utc>) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(census.complete, "an incomplete census is not kept");
    let id = census
        .server
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the census does not say which server it counted"))?;
    let stored = Stored {
        format: FORMAT,
        saved_at: at,
        census: census.clone(),
    };
    let path = dir.join(file_name(id));
    write_private(&path, &serde_json::to_vec(&stored)?)?;
    Ok(path)
}

/// The census kept in `dir` for `id`'s place, if any: `None` when there
/// is none, or it is of another place.
pub fn load_in(dir: &Path, id: &ServerId) -> anyhow::Result<Option<Previous>> {
    let path = dir.join(file_name(id));
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::Error::from(e).context(path.display().to_string())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_BYTES).read_to_end(&mut bytes)?;
    let stored: Stored = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("{} is not a kept census: {e}", path.display()))?;
    anyhow::ensure!(
        stored.format == FORMAT,
        "{} has layout {}, not {FORMAT}",
        path.display(),
        stored.format
    );
    let Some(kept) = stored.census.server.as_ref() else {
        return Ok(None);
    };
    if !kept.same_place(id) {
        tracing::warn!(file = %path.display(), "a kept census of another server was refused");
        return Ok(None);
    }
    let origin = if kept.run == id.run {
        Origin::SameRun
    } else {
        Origin::EarlierRun
    };
    Ok(Some(Previous {
        census: stored.census,
        saved_at: stored.saved_at,
        origin,
    }))
}

/// [`save_in`] the state dir, stamped now.
pub fn save(census: &Census) -> anyhow::Result<PathBuf> {
    let dir = dir().ok_or_else(|| anyhow::anyhow!("no state directory (set OUBLI_STATE_DIR)"))?;
    save_in(&dir, census, Utc::now())
}

/// [`load_in`] the state dir; a file that cannot be read is logged and
/// treated as absent.
pub fn load(id: &ServerId) -> Option<Previous> {
    match load_in(&dir()?, id) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "a kept census could not be read");
            None
        }
    }
}

/// Write `bytes` to `path` whole (0600 in a 0700 directory), as every
/// file oubli keeps is written ([`crate::logging::write_private`]).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::logging::write_private(path, bytes)
        .map_err(|e| anyhow::Error::from(e).context(format!("writing {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census(address: &str, run: &str, keys: u64) -> Census {
        Census {
            node: "n".into(),
            scanned: keys,
            complete: true,
            server: Some(ServerId {
                address: address.into(),
                user: None,
                cluster: false,
                run: run.into(),
            }),
            ..Census::default()
        }
    }

    fn id(address: &str, run: &str) -> ServerId {
        census(address, run, 0).server.unwrap()
    }

    #[test]
    fn a_census_comes_back_for_its_server_only() {
        let dir = tempfile::tempdir().unwrap();
        let at = Utc::now();
        save_in(dir.path(), &census("127.0.0.1:6379/0", "r1", 26), at).unwrap();
        save_in(dir.path(), &census("127.0.0.1:6380/0", "r2", 46_516), at).unwrap();

        let p = load_in(dir.path(), &id("127.0.0.1:6379/0", "r1"))
            .unwrap()
            .unwrap();
        assert_eq!((p.census.scanned, p.origin), (26, Origin::SameRun));
        assert_eq!(p.saved_at, at);
        assert!(p.comparable_with(&census("127.0.0.1:6379/0", "r1", 27)));
        assert!(!p.comparable_with(&census("127.0.0.1:6380/0", "r2", 27)));

        // Another database, another user, the whole cluster: other places.
        assert!(load_in(dir.path(), &id("127.0.0.1:6379/1", "r1"))
            .unwrap()
            .is_none());
        let mut other_user = id("127.0.0.1:6379/0", "r1");
        other_user.user = Some("auditor".into());
        assert!(load_in(dir.path(), &other_user).unwrap().is_none());
        let mut cluster = id("127.0.0.1:6379/0", "r1");
        cluster.cluster = true;
        assert!(load_in(dir.path(), &cluster).unwrap().is_none());
    }

    #[test]
    fn a_restarted_server_gets_its_census_marked_and_not_compared() {
        let dir = tempfile::tempdir().unwrap();
        let at = Utc::now() - chrono::Duration::minutes(125);
        save_in(dir.path(), &census("h:1/0", "before", 5), at).unwrap();
        let p = load_in(dir.path(), &id("h:1/0", "after")).unwrap().unwrap();
        assert_eq!(p.origin, Origin::EarlierRun);
        assert!(!p.comparable_with(&census("h:1/0", "after", 5)));
        let text = p.describe(Utc::now());
        assert!(text.starts_with("2h 5m ago ("), "{text}");
        assert!(text.contains("of h:1/0"), "{text}");
        assert!(
            text.ends_with("before a restart of the server (not compared)"),
            "{text}"
        );
    }

    #[test]
    fn a_file_naming_another_server_is_refused() {
        // A kept census copied over the file of another server.
        let dir = tempfile::tempdir().unwrap();
        let theirs = save_in(dir.path(), &census("a:1/0", "r", 9), Utc::now()).unwrap();
        let ours = dir.path().join(file_name(&id("b:2/0", "r")));
        std::fs::copy(theirs, &ours).unwrap();
        assert!(load_in(dir.path(), &id("b:2/0", "r")).unwrap().is_none());
        std::fs::write(&ours, b"{ not json").unwrap();
        assert!(load_in(dir.path(), &id("b:2/0", "r")).is_err());
    }

    #[test]
    fn incomplete_or_unnamed_censuses_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = census("h:1/0", "r", 3);
        c.complete = false;
        assert!(save_in(dir.path(), &c, Utc::now()).is_err());
        c.complete = true;
        c.server = None;
        assert!(save_in(dir.path(), &c, Utc::now()).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state").join("census");
        let path = save_in(&dir, &census("h:1/0", "r", 3), Utc::now()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("state")), 0o700);
        // Written again over a loosened directory: tightened, no leftovers.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        save_in(&dir, &census("h:1/0", "r", 4), Utc::now()).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn names_are_stable_and_distinct() {
        assert_eq!(digest(&["a", "b"]), digest(&["a", "b"]));
        assert_ne!(digest(&["ab", ""]), digest(&["a", "b"]));
        assert_eq!(file_name(&id("h:1/0", "x")), file_name(&id("h:1/0", "y")));
    }
}
