//! The writer's side: open the trail with its keys, append entries, and
//! seal each command with a signed checkpoint, anchored in Postgres when
//! one is configured.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};

use super::checkpoint::Checkpoint;
use super::config::{AuditConfig, KeySource};
use super::entry::{Event, Record, Subject, Who};
use super::file::{self, Lock, CHECKPOINTS_FILE, MAX_LINE, TRAIL_FILE};
use super::keys::{read_secret, PublicKey, SigningKey};
use super::merkle::{self, leaf_hash};
use super::pg::PgAnchor;
use super::subject::SubjectKey;
use super::verify::{analyse, parse_lines, Evidence, Head, PgEvidence};
use super::{Digest, Seq};

/// An open trail, ready to append to. Holds both keys; shows neither.
#[derive(Debug)]
pub struct Trail {
    dir: PathBuf,
    origin: String,
    subject_key: SubjectKey,
    signing: Arc<SigningKey>,
    pg: Option<PgAnchor>,
}

/// What sealing a command gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    /// Print it on the command's report.
    pub checkpoint: Checkpoint,
    /// `false` when the trail had not grown since its last checkpoint,
    /// which is given again.
    pub signed: bool,
    pub anchoring: Anchoring,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Anchoring {
    /// No Postgres anchor configured: the checkpoint is in the file only.
    FileOnly,
    /// Entries copied and checkpoints anchored by this call.
    Anchored { entries: u64, checkpoints: u64 },
    /// The anchor could not be reached or refused; the file checkpoint
    /// stands and the next checkpoint catches up.
    Failed(String),
}

/// Refuse a key file kept inside the trail's directory.
fn keep_apart(dir: &Path, sources: [&KeySource; 2]) -> anyhow::Result<()> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    for s in sources {
        if let KeySource::File(p) = s {
            let inside = p
                .canonicalize()
                .ok()
                .and_then(|p| p.parent().map(|d| d.starts_with(&dir)))
                .unwrap_or(false);
            if inside {
                bail!(
                    "keep the audit keys apart from the trail: {} is inside {}",
                    p.display(),
                    dir.display()
                );
            }
        }
    }
    Ok(())
}

impl Trail {
    /// Open the trail in `config.dir` (created 0700) with both secret keys.
    /// No Postgres anchor: see [`Trail::connect`] and [`Trail::with_postgres`].
    pub fn open(config: &AuditConfig) -> anyhow::Result<Trail> {
        file::ensure_dir(&config.dir)?;
        keep_apart(&config.dir, [&config.hmac_key, &config.signing_key])?;
        let hmac = read_secret(&config.hmac_key, "the audit HMAC key")?;
        let seed = read_secret(&config.signing_key, "the audit signing key")?;
        Ok(Trail {
            dir: config.dir.clone(),
            origin: config.origin.clone(),
            subject_key: SubjectKey::from_bytes(&hmac)?,
            signing: Arc::new(SigningKey::from_seed(&seed)?),
            pg: None,
        })
    }

    /// [`Trail::open`], then connect the Postgres anchor if one is configured.
    pub async fn connect(config: &AuditConfig) -> anyhow::Result<Trail> {
        let trail = Trail::open(config)?;
        Ok(match &config.postgres {
            Some(url) => trail.with_postgres(PgAnchor::connect(url, &config.origin).await?),
            None => trail,
        })
    }

    pub fn with_postgres(mut self, pg: PgAnchor) -> Trail {
        self.pg = Some(pg);
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn public_key(&self) -> PublicKey {
        self.signing.public()
    }

    /// The keyed hash that names this person in the trail.
    pub fn subject(&self, kind: &str, identifier: &str) -> Subject {
        self.subject_key.subject(kind, identifier)
    }

    /// Append one entry; returns its sequence number. Safe against other
    /// writers, in this process or another (exclusive `flock`).
    pub fn append(&self, event: &Event) -> anyhow::Result<Seq> {
        event.check()?;
        let path = self.dir.join(TRAIL_FILE);
        let file = file::open_append(&path)?;
        let _lock =
            Lock::exclusive(&file).with_context(|| format!("cannot lock {}", path.display()))?;
        let (seq, prev) = match file::last_line(&file, &path)? {
            None => (1, Digest::ZERO),
            Some(line) => {
                let Ok(head) = serde_json::from_slice::<Head>(&line) else {
                    bail!(
                        "the last line of {} is not an entry: run oubli audit verify",
                        path.display()
                    );
                };
                (head.seq + 1, leaf_hash(&line))
            }
        };
        let record = Record::new(seq, prev, event, Who::current());
        let line = serde_json::to_vec(&record).context("audit: cannot encode the entry")?;
        if line.len() > MAX_LINE {
            bail!("audit: the entry is too long ({} bytes)", line.len());
        }
        file::append_line(&file, &path, &line)?;
        Ok(seq)
    }

    /// Seal what was appended: sign a checkpoint of the whole trail (after
    /// checking it is intact and consistent with every earlier checkpoint),
    /// append it to `checkpoints.jsonl`, then copy the new entries and
    /// checkpoints to the Postgres anchor. Refuses to sign a broken trail.
    pub async fn checkpoint(&mut self) -> anyhow::Result<Sealed> {
        let mut pg_failure = None;
        let pg_evidence = match self.pg.as_mut() {
            Some(pg) => match pg.evidence(false).await {
                Ok(e) => Some(e),
                Err(e) => {
                    pg_failure = Some(format!("{e:#}"));
                    None
                }
            },
            None => None,
        };
        let (dir, origin, key) = (
            self.dir.clone(),
            self.origin.clone(),
            Arc::clone(&self.signing),
        );
        let (checkpoint, signed, trail, file_checkpoints) =
            tokio::task::spawn_blocking(move || seal(&dir, &origin, &key, pg_evidence))
                .await
                .context("the audit checkpoint task stopped")??;
        let anchoring = match (self.pg.as_mut(), pg_failure) {
            (None, _) => Anchoring::FileOnly,
            (Some(_), Some(failure)) => Anchoring::Failed(failure),
            (Some(pg), None) => {
                let lines = parse_lines(&trail);
                let copied = match pg.mirror(&lines).await {
                    Ok(entries) => pg.anchor(&file_checkpoints).await.map(|c| (entries, c)),
                    Err(e) => Err(e),
                };
                match copied {
                    Ok((entries, checkpoints)) => Anchoring::Anchored {
                        entries,
                        checkpoints,
                    },
                    Err(e) => Anchoring::Failed(format!("{e:#}")),
                }
            }
        };
        tracing::info!(
            target: "audit",
            size = checkpoint.size,
            root = %checkpoint.root,
            signed,
            anchored = matches!(anchoring, Anchoring::Anchored { .. }),
            "audit checkpoint"
        );
        Ok(Sealed {
            checkpoint,
            signed,
            anchoring,
        })
    }
}

/// The file half of [`Trail::checkpoint`], under the trail's exclusive lock.
fn seal(
    dir: &Path,
    origin: &str,
    key: &SigningKey,
    postgres: Option<PgEvidence>,
) -> anyhow::Result<(Checkpoint, bool, Vec<u8>, Vec<Checkpoint>)> {
    let trail_path = dir.join(TRAIL_FILE);
    let cps_path = dir.join(CHECKPOINTS_FILE);
    let trail = file::open_append(&trail_path)?;
    let _lock =
        Lock::exclusive(&trail).with_context(|| format!("cannot lock {}", trail_path.display()))?;
    let ev = Evidence {
        trail: file::read_or_empty(&trail_path)?,
        checkpoints: file::read_or_empty(&cps_path)?,
        postgres,
        anchors: Vec::new(),
    };
    let a = analyse(&ev, &key.public(), origin);
    if let Some(b) = a.verdict.first_break.filter(|b| !b.healable()) {
        bail!(
            "the audit trail is broken, so no checkpoint was signed: {b} (run oubli audit verify)"
        );
    }
    let n = a.leaves.len() as u64;
    if n == 0 {
        bail!("the audit trail is empty: nothing to checkpoint");
    }
    let root = merkle::root(&a.leaves);
    let mut file_checkpoints = a.file_checkpoints;
    if let Some(cp) = file_checkpoints
        .iter()
        .find(|cp| cp.size == n && cp.root == root)
    {
        return Ok((cp.clone(), false, ev.trail, file_checkpoints));
    }
    let cp = Checkpoint::sign(key, origin, n, root);
    let cps = file::open_append(&cps_path)?;
    file::append_line(&cps, &cps_path, cp.to_line().as_bytes())?;
    file_checkpoints.push(cp.clone());
    Ok((cp, true, ev.trail, file_checkpoints))
}

/// Every entry of the trail in `dir` that parses, and the line numbers of
/// those that do not (`audit verify` says why).
pub fn read_records(dir: &Path) -> anyhow::Result<(Vec<Record>, Vec<u64>)> {
    let path = dir.join(TRAIL_FILE);
    let bytes = match std::fs::File::open(&path) {
        Ok(f) => {
            let _lock =
                Lock::shared(&f).with_context(|| format!("cannot lock {}", path.display()))?;
            file::read_or_empty(&path)?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display())))
        }
    };
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for (i, line) in file::lines(&bytes).into_iter().enumerate() {
        match serde_json::from_slice::<Record>(line) {
            Ok(r) => records.push(r),
            Err(_) => unreadable.push(i as u64 + 1),
        }
    }
    Ok((records, unreadable))
}
