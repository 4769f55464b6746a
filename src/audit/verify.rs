//! `audit verify`: read everything the trail left (its entries, its
//! checkpoints, the Postgres copy and anchor, anchors printed on reports)
//! and name the first break. The checks run in this order and the first
//! that fails is the verdict:
//!
//! 1. the entries' chain, line by line (altered, removed, inserted,
//!    reordered, head truncated);
//! 2. every checkpoint's signature, in the file and in Postgres;
//! 3. every checkpoint and `--anchor` against the Merkle root of the
//!    entries at its size (tail truncated, rewritten);
//! 4. the Postgres copy of the entries: its own chain, and the file against
//!    it;
//! 5. coverage: a checkpoint anchored in Postgres but gone from the file,
//!    entries that no checkpoint covers, checkpoints not yet anchored.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::checkpoint::{Anchor, Checkpoint};
use super::config::AuditConfig;
use super::file::{self, Lock};
use super::keys::PublicKey;
use super::merkle::{leaf_hash, Frontier};
use super::{Digest, Seq};

/// What can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// An entry's bytes changed (or a line is not an entry).
    EntryAltered,
    /// Entries missing from the middle.
    EntryRemoved,
    /// A line that does not belong (forged, or a copy of an earlier entry).
    EntryInserted,
    /// Entries out of order.
    EntriesReordered,
    /// The first entries are gone.
    HeadTruncated,
    /// The trail is shorter than a checkpoint or its Postgres copy says.
    TailTruncated,
    /// The chain holds together but is not the one that was signed.
    Rewritten,
    /// Entries no checkpoint covers, or a checkpoint gone from one store.
    CheckpointMissing,
    /// A checkpoint that does not verify under the trail's public key.
    SignatureInvalid,
}

impl BreakKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::EntryAltered => "entry_altered",
            BreakKind::EntryRemoved => "entry_removed",
            BreakKind::EntryInserted => "entry_inserted",
            BreakKind::EntriesReordered => "entries_reordered",
            BreakKind::HeadTruncated => "head_truncated",
            BreakKind::TailTruncated => "tail_truncated",
            BreakKind::Rewritten => "rewritten",
            BreakKind::CheckpointMissing => "checkpoint_missing",
            BreakKind::SignatureInvalid => "signature_invalid",
        }
    }
}

/// Where a break was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Store {
    /// `trail.jsonl`.
    Trail,
    /// `checkpoints.jsonl`.
    Checkpoints,
    /// The Postgres copy and anchor.
    Postgres,
    /// An `--anchor SIZE:ROOT` from a printed report.
    Anchor,
}

impl Store {
    fn name(self) -> &'static str {
        match self {
            Store::Trail => super::TRAIL_FILE,
            Store::Checkpoints => super::CHECKPOINTS_FILE,
            Store::Postgres => "the Postgres anchor",
            Store::Anchor => "--anchor",
        }
    }
}

/// The first break: its kind, where, and a sentence that says it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Break {
    pub kind: BreakKind,
    pub store: Store,
    /// The entry concerned, when one is.
    pub seq: Option<Seq>,
    /// The line (or Postgres row, in sequence order) concerned, from 1.
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Break {
    fn new(
        kind: BreakKind,
        store: Store,
        seq: Option<Seq>,
        line: Option<u64>,
        message: String,
    ) -> Break {
        Break {
            kind,
            store,
            seq,
            line,
            message,
        }
    }

    fn at(kind: BreakKind, store: Store, seq: Seq, line: u64, what: &str) -> Break {
        let message = format!("entry {seq} {what} (line {line} of {})", store.name());
        Break::new(kind, store, Some(seq), Some(line), message)
    }

    /// A checkpoint whose entries this trail (or its copy) can still
    /// produce: `checkpoint` fixes it by signing and anchoring.
    pub(crate) fn healable(&self) -> bool {
        self.kind == BreakKind::CheckpointMissing && self.store != Store::Checkpoints
    }
}

/// What the Postgres anchor holds for this trail.
#[derive(Debug, Clone, Default)]
pub struct PgEvidence {
    /// The copy of the entries, by sequence (not read when only the
    /// checkpoints are needed).
    pub entries: Option<Vec<PgRow>>,
    /// The anchored checkpoints' JSON lines, by size.
    pub checkpoints: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PgRow {
    pub seq: i64,
    pub leaf: Vec<u8>,
    pub body: Vec<u8>,
}

/// Everything verification looks at.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub trail: Vec<u8>,
    pub checkpoints: Vec<u8>,
    pub postgres: Option<PgEvidence>,
    /// Sizes and roots printed on reports, given back on the command line.
    pub anchors: Vec<Anchor>,
}

/// Read the trail's files (under a shared lock, so a checkpoint is read
/// with its entries) and, when given, the Postgres anchor.
pub async fn gather(
    config: &AuditConfig,
    pg: Option<&mut super::pg::PgAnchor>,
    anchors: Vec<Anchor>,
) -> anyhow::Result<Evidence> {
    anyhow::ensure!(
        config.dir.is_dir(),
        "no audit trail at {} (set OUBLI_AUDIT_DIR, or run oubli audit init)",
        config.dir.display()
    );
    let postgres = match pg {
        Some(pg) => Some(pg.evidence(true).await?),
        None => None,
    };
    let trail_path = config.trail_path();
    let (trail, checkpoints) = match std::fs::File::open(&trail_path) {
        Ok(f) => {
            let _lock = Lock::shared(&f)?;
            (
                file::read_or_empty(&trail_path)?,
                file::read_or_empty(&config.checkpoints_path())?,
            )
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (Vec::new(), file::read_or_empty(&config.checkpoints_path())?)
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("cannot read {}", trail_path.display()))
            )
        }
    };
    Ok(Evidence {
        trail,
        checkpoints,
        postgres,
        anchors,
    })
}

/// The outcome of `audit verify`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub ok: bool,
    pub entries: u64,
    /// Well-signed checkpoints in `checkpoints.jsonl`.
    pub checkpoints: usize,
    /// Entries and checkpoints in the Postgres anchor, when configured.
    pub postgres: Option<PgCounts>,
    /// The largest well-signed checkpoint.
    pub latest: Option<Checkpoint>,
    /// The id of the key checkpoints were checked with.
    pub key: String,
    pub first_break: Option<Break>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PgCounts {
    pub entries: Option<u64>,
    pub checkpoints: usize,
}

/// The part of an entry the chain needs; the rest is not read here, so a
/// trail written by a later version still verifies.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct Head {
    pub(crate) seq: Seq,
    pub(crate) prev: Digest,
}

#[derive(Debug, Clone)]
pub(crate) struct Line<'a> {
    /// From 1.
    pub(crate) no: u64,
    pub(crate) bytes: &'a [u8],
    pub(crate) leaf: Digest,
    pub(crate) head: Option<Head>,
}

impl<'a> Line<'a> {
    pub(crate) fn new(no: u64, bytes: &'a [u8]) -> Line<'a> {
        Line {
            no,
            bytes,
            leaf: leaf_hash(bytes),
            head: serde_json::from_slice(bytes).ok(),
        }
    }
}

pub(crate) fn parse_lines(bytes: &[u8]) -> Vec<Line<'_>> {
    file::lines(bytes)
        .into_iter()
        .enumerate()
        .map(|(i, l)| Line::new(i as u64 + 1, l))
        .collect()
}

/// The first break in the chain, and how it is best explained.
pub(crate) fn chain(lines: &[Line], store: Store) -> Option<Break> {
    let (mut due, mut prev) = (1u64, Digest::ZERO);
    for (i, l) in lines.iter().enumerate() {
        let next = lines.get(i + 1).and_then(|n| n.head);
        // The next line continues from the last good one: this one is extra.
        let next_fits_here = next.is_some_and(|n| n.seq == due && n.prev == prev);
        let Some(h) = l.head else {
            return Some(if next_fits_here {
                Break::new(
                    BreakKind::EntryInserted,
                    store,
                    None,
                    Some(l.no),
                    format!(
                        "a line that is not an entry was inserted (line {} of {})",
                        l.no,
                        store.name()
                    ),
                )
            } else {
                Break::at(
                    BreakKind::EntryAltered,
                    store,
                    due,
                    l.no,
                    "altered: the line is not a well-formed entry",
                )
            });
        };
        if h.seq == due && h.prev == prev {
            due += 1;
            prev = l.leaf;
            continue;
        }
        return Some(explain(lines, i, h, due, prev, next, next_fits_here, store));
    }
    None
}

/// Why line `i` (head `h`) does not follow: `due` was the sequence number
/// expected and `prev` the last good leaf.
#[allow(clippy::too_many_arguments)]
fn explain(
    lines: &[Line],
    i: usize,
    h: Head,
    due: Seq,
    prev: Digest,
    next: Option<Head>,
    next_fits_here: bool,
    store: Store,
) -> Break {
    let l = &lines[i];
    if h.prev == prev {
        return Break::at(
            BreakKind::EntryAltered,
            store,
            due,
            l.no,
            &format!("altered: it says it is entry {}", h.seq),
        );
    }
    // Its predecessor is elsewhere in the file, intact: it was moved.
    let linked = h.seq > due
        && lines
            .iter()
            .any(|m| m.head.is_some_and(|mh| mh.seq + 1 == h.seq) && m.leaf == h.prev);
    if linked {
        return Break::new(
            BreakKind::EntriesReordered,
            store,
            Some(h.seq),
            Some(l.no),
            format!(
                "entries reordered: entry {} is at line {} of {}, where entry {due} was due",
                h.seq,
                l.no,
                store.name()
            ),
        );
    }
    if next_fits_here {
        return Break::new(
            BreakKind::EntryInserted,
            store,
            Some(h.seq),
            Some(l.no),
            format!("an entry was inserted at line {} of {}", l.no, store.name()),
        );
    }
    // Two lines claim the same place: the one the next line points to is
    // the original.
    let before = i.checked_sub(1).map(|j| &lines[j]);
    if let Some(b) = before.filter(|b| {
        b.head
            .is_some_and(|bh| bh.seq == h.seq && bh.prev == h.prev)
    }) {
        let forged = if next.is_some_and(|n| n.prev == l.leaf) {
            b
        } else {
            l
        };
        return Break::new(
            BreakKind::EntryInserted,
            store,
            Some(h.seq),
            Some(forged.no),
            format!(
                "an entry was inserted at line {} of {} (a second entry {})",
                forged.no,
                store.name(),
                h.seq
            ),
        );
    }
    if h.seq > due {
        let gone = if h.seq - 1 == due {
            format!("entry {due}")
        } else {
            format!("entries {due}..={}", h.seq - 1)
        };
        return if i == 0 {
            Break::new(
                BreakKind::HeadTruncated,
                store,
                Some(due),
                Some(l.no),
                format!(
                    "head truncated: {} starts at entry {} ({gone} gone)",
                    store.name(),
                    h.seq
                ),
            )
        } else {
            Break::new(
                BreakKind::EntryRemoved,
                store,
                Some(due),
                Some(l.no),
                format!("{gone} removed (before line {} of {})", l.no, store.name()),
            )
        };
    }
    if h.seq == due {
        // Its own bytes changed when the next line does not point to it
        // either; otherwise the line before was edited.
        let own = i == 0 || next.is_some_and(|n| n.seq == h.seq + 1 && n.prev != l.leaf);
        return match before.filter(|_| !own) {
            Some(b) => Break::at(BreakKind::EntryAltered, store, due - 1, b.no, "altered"),
            None => Break::at(BreakKind::EntryAltered, store, due, l.no, "altered"),
        };
    }
    Break::new(
        BreakKind::EntryInserted,
        store,
        Some(h.seq),
        Some(l.no),
        format!(
            "an entry was inserted at line {} of {} (a copy of entry {})",
            l.no,
            store.name(),
            h.seq
        ),
    )
}

/// A claim about the trail's size and root.
struct Claim {
    store: Store,
    line: Option<u64>,
    anchor: Anchor,
    /// "the checkpoint of <time>" or "the anchor given".
    what: String,
}

/// Well-signed checkpoints from JSON lines, and the first bad one.
fn signed<'a, I>(
    lines: I,
    store: Store,
    key: &PublicKey,
    origin: &str,
) -> (Vec<(u64, Checkpoint)>, Option<Break>)
where
    I: Iterator<Item = (u64, &'a [u8])>,
{
    let mut good = Vec::new();
    let mut bad = None;
    for (no, bytes) in lines {
        let why = match serde_json::from_slice::<Checkpoint>(bytes) {
            Ok(cp) => match cp.check(key, origin) {
                Ok(()) => {
                    good.push((no, cp));
                    continue;
                }
                Err(why) => why,
            },
            Err(_) => "it is not a well-formed checkpoint".to_string(),
        };
        bad.get_or_insert_with(|| {
            Break::new(
                BreakKind::SignatureInvalid,
                store,
                None,
                Some(no),
                format!(
                    "checkpoint badly signed (line {no} of {}): {why}",
                    store.name()
                ),
            )
        });
    }
    (good, bad)
}

/// Every claim against the roots of the entries at its size.
fn against(claims: &mut [Claim], leaves: &[Digest], first_copy_diff: Option<Seq>) -> Option<Break> {
    claims.sort_by_key(|c| c.anchor.size);
    let n = leaves.len() as u64;
    let mut frontier = Frontier::default();
    let mut matched = 0u64;
    for c in claims.iter() {
        let size = c.anchor.size;
        if size > n {
            return Some(Break::new(
                BreakKind::TailTruncated,
                c.store,
                Some(n + 1),
                c.line,
                format!(
                    "tail truncated: the trail has {n} entries, {} says {size}",
                    c.what
                ),
            ));
        }
        while frontier.size() < size {
            frontier.push(leaves[frontier.size() as usize]);
        }
        if frontier.root() == c.anchor.root {
            matched = size;
            continue;
        }
        let from = matched + 1;
        if from == size && size == n {
            return Some(Break::new(
                BreakKind::EntryAltered,
                Store::Trail,
                Some(size),
                Some(size),
                format!(
                    "entry {size} altered (line {size} of {}): it no longer matches {}",
                    super::TRAIL_FILE,
                    c.what
                ),
            ));
        }
        let first = first_copy_diff.filter(|d| (from..=size).contains(d));
        let message = match first {
            Some(d) => format!(
                "trail rewritten from entry {d} (the first that differs from its Postgres copy): entries {from}..={size} no longer match {}",
                c.what
            ),
            None => format!("trail rewritten: entries {from}..={size} no longer match {}", c.what),
        };
        return Some(Break::new(
            BreakKind::Rewritten,
            Store::Trail,
            Some(first.unwrap_or(from)),
            None,
            message,
        ));
    }
    None
}

fn checkpoint_name(cp: &Checkpoint) -> String {
    format!(
        "the checkpoint of {} ({} entries)",
        crate::show::printable(&cp.time),
        cp.size
    )
}

/// Everything [`verify`] found, for the trail's own use when it signs.
pub(crate) struct Analysis {
    pub(crate) verdict: Verdict,
    pub(crate) leaves: Vec<Digest>,
    pub(crate) file_checkpoints: Vec<Checkpoint>,
}

/// Name the first break of the trail in `evidence`, checking checkpoints
/// with `key` for `origin`.
pub fn verify(evidence: &Evidence, key: &PublicKey, origin: &str) -> Verdict {
    analyse(evidence, key, origin).verdict
}

pub(crate) fn analyse(ev: &Evidence, key: &PublicKey, origin: &str) -> Analysis {
    let lines = parse_lines(&ev.trail);
    let leaves: Vec<Digest> = lines.iter().map(|l| l.leaf).collect();
    let n = leaves.len() as u64;

    let cp_lines = file::lines(&ev.checkpoints);
    let (file_cps, file_bad) = signed(
        cp_lines.iter().enumerate().map(|(i, l)| (i as u64 + 1, *l)),
        Store::Checkpoints,
        key,
        origin,
    );
    let (pg_cps, pg_bad) = match &ev.postgres {
        Some(pg) => signed(
            pg.checkpoints
                .iter()
                .enumerate()
                .map(|(i, l)| (i as u64 + 1, l.as_bytes())),
            Store::Postgres,
            key,
            origin,
        ),
        None => (Vec::new(), None),
    };
    let pg_rows: Option<Vec<Line>> =
        ev.postgres
            .as_ref()
            .and_then(|pg| pg.entries.as_ref())
            .map(|rows| {
                rows.iter()
                    .enumerate()
                    .map(|(i, r)| Line::new(i as u64 + 1, &r.body))
                    .collect()
            });
    let first_copy_diff = pg_rows.as_ref().and_then(|rows| {
        rows.iter()
            .zip(&lines)
            .position(|(r, l)| r.leaf != l.leaf)
            .map(|i| i as u64 + 1)
    });

    let mut claims: Vec<Claim> = file_cps
        .iter()
        .map(|(no, cp)| Claim {
            store: Store::Checkpoints,
            line: Some(*no),
            anchor: cp.anchor(),
            what: checkpoint_name(cp),
        })
        .chain(pg_cps.iter().map(|(no, cp)| Claim {
            store: Store::Postgres,
            line: Some(*no),
            anchor: cp.anchor(),
            what: format!("{} anchored in Postgres", checkpoint_name(cp)),
        }))
        .chain(ev.anchors.iter().map(|a| Claim {
            store: Store::Anchor,
            line: None,
            anchor: *a,
            what: format!("the anchor {a} given"),
        }))
        .collect();

    let first_break = chain(&lines, Store::Trail)
        .or(file_bad)
        .or(pg_bad)
        .or_else(|| against(&mut claims, &leaves, first_copy_diff))
        .or_else(|| {
            let rows = pg_rows.as_ref()?;
            copy(ev.postgres.as_ref()?.entries.as_deref()?, rows, &lines)
        })
        .or_else(|| coverage(&file_cps, &pg_cps, ev.postgres.is_some(), n));

    let latest = file_cps
        .iter()
        .chain(&pg_cps)
        .map(|(_, cp)| cp)
        .max_by_key(|cp| cp.size)
        .cloned();
    let verdict = Verdict {
        ok: first_break.is_none(),
        entries: n,
        checkpoints: file_cps.len(),
        postgres: ev.postgres.as_ref().map(|pg| PgCounts {
            entries: pg.entries.as_ref().map(|e| e.len() as u64),
            checkpoints: pg_cps.len(),
        }),
        latest,
        key: key.id(),
        first_break,
    };
    Analysis {
        verdict,
        leaves,
        file_checkpoints: file_cps.into_iter().map(|(_, cp)| cp).collect(),
    }
}

/// The Postgres copy: its rows as stored, its own chain, then the file
/// against it.
fn copy(rows: &[PgRow], copied: &[Line], lines: &[Line]) -> Option<Break> {
    for (r, l) in rows.iter().zip(copied) {
        let seq_ok = l
            .head
            .is_some_and(|h| i64::try_from(h.seq).is_ok_and(|s| s == r.seq));
        if r.leaf != l.leaf.0 || !seq_ok {
            let seq = u64::try_from(r.seq).unwrap_or_default();
            return Some(Break::at(
                BreakKind::EntryAltered,
                Store::Postgres,
                seq,
                l.no,
                "altered in the Postgres copy: its stored hash or number does not match its bytes",
            ));
        }
    }
    if let Some(b) = chain(copied, Store::Postgres) {
        return Some(b);
    }
    if let Some(i) = copied.iter().zip(lines).position(|(c, l)| c.leaf != l.leaf) {
        let seq = i as u64 + 1;
        return Some(Break::at(
            BreakKind::EntryAltered,
            Store::Trail,
            seq,
            seq,
            "altered: it differs from its Postgres copy",
        ));
    }
    (copied.len() > lines.len()).then(|| {
        Break::new(
            BreakKind::TailTruncated,
            Store::Trail,
            Some(lines.len() as u64 + 1),
            None,
            format!(
                "tail truncated: the trail has {} entries, its Postgres copy {}",
                lines.len(),
                copied.len()
            ),
        )
    })
}

fn coverage(
    file_cps: &[(u64, Checkpoint)],
    pg_cps: &[(u64, Checkpoint)],
    anchored: bool,
    n: u64,
) -> Option<Break> {
    let key = |cp: &Checkpoint| (cp.size, cp.root);
    let in_file: BTreeSet<_> = file_cps.iter().map(|(_, cp)| key(cp)).collect();
    let in_pg: BTreeSet<_> = pg_cps.iter().map(|(_, cp)| key(cp)).collect();
    if let Some((no, cp)) = pg_cps.iter().find(|(_, cp)| !in_file.contains(&key(cp))) {
        return Some(Break::new(
            BreakKind::CheckpointMissing,
            Store::Checkpoints,
            None,
            Some(*no),
            format!(
                "checkpoint missing: {} anchored in Postgres is gone from {}",
                checkpoint_name(cp),
                super::CHECKPOINTS_FILE
            ),
        ));
    }
    let covered = file_cps
        .iter()
        .chain(pg_cps)
        .map(|(_, cp)| cp.size)
        .max()
        .unwrap_or(0);
    if covered < n {
        let message = if covered == 0 {
            format!("checkpoint missing: no signed checkpoint covers the trail's {n} entries")
        } else {
            format!(
                "checkpoint missing: entries {}..={n} are covered by no signed checkpoint (a command that did not finish, or entries added by hand)",
                covered + 1
            )
        };
        return Some(Break::new(
            BreakKind::CheckpointMissing,
            Store::Trail,
            Some(covered + 1),
            None,
            message,
        ));
    }
    if !anchored {
        return None;
    }
    file_cps
        .iter()
        .find(|(_, cp)| !in_pg.contains(&key(cp)))
        .map(|(no, cp)| {
            Break::new(
                BreakKind::CheckpointMissing,
                Store::Postgres,
                None,
                Some(*no),
                format!(
                    "checkpoint missing: {} is not anchored in Postgres",
                    checkpoint_name(cp)
                ),
            )
        })
}
