//! A Redis `dump.rdb` read with no server: every key with its type, its
//! TTL at snapshot time and its size, folded into the census's namespaces;
//! every value searched by the detector (not a sample).
//!
//! The file is decoded by the `rdb` crate (see Cargo.toml for why), which
//! yields strings, hashes, sets, lists and sorted sets whole; streams and
//! module values are walked but not decoded: their keys are counted
//! through the decoder's filter (which sees every key name and type), their
//! values are not searched and their TTL is not read, and the report says
//! so.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::pii::{self, Detector, Kind};
use crate::redis::census::{Census, CensusOptions, Namespace};

/// Bytes of one element (a string, a field's value, a member) the
/// detector reads; the rest of a bigger element is not searched, and the
/// report counts such elements.
pub const ELEMENT_BYTES: usize = 1024 * 1024;

/// What an RDB file holds, by logical database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RdbReport {
    /// The file's name (printable), never its directory.
    pub file: String,
    pub file_bytes: u64,
    pub rdb_version: u32,
    /// `redis-ver` of the server that wrote it.
    pub redis_version: Option<String>,
    /// `ctime`: when the snapshot was taken (UTC, RFC 3339); TTLs are
    /// counted from it.
    pub snapshot_at: Option<String>,
    /// One census per logical database, as `oubli scan redis` writes it
    /// (`bytes` is the payload read from the file, not `MEMORY USAGE`).
    pub dbs: Vec<Census>,
    pub keys: u64,
    /// Elements searched (string values, fields, members, items), and
    /// those cut at [`ELEMENT_BYTES`].
    pub elements: u64,
    pub elements_cut: u64,
    /// Stream and module keys: counted, values not searched.
    pub not_decoded: u64,
    pub elapsed_ms: u64,
    pub complete: bool,
    pub stopped: Option<String>,
    pub warnings: Vec<String>,
}

impl RdbReport {
    pub fn total(&self, f: impl Fn(&Namespace) -> u64) -> u64 {
        self.dbs.iter().map(|c| c.total(&f)).sum()
    }
}

/// Progress of a file scan.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileProgress {
    pub bytes_read: u64,
    pub file_bytes: u64,
    pub records: u64,
}

/// Counts the bytes the decoder takes, for progress.
struct Counting<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// The decoder's filter: takes every key, and remembers the name and type
/// of the last one, so that a key the decoder walks without yielding it
/// (a stream, a module value) is still counted.
#[derive(Default)]
struct Seen {
    db: RefCell<u32>,
    /// The key being read: taken by the loop when the decoder yields it.
    last: RefCell<Option<Walked>>,
    /// Keys the decoder walked past without yielding them.
    walked: RefCell<Vec<Walked>>,
}

/// A key's database, name and RDB type byte.
type Walked = (u32, Vec<u8>, u8);

/// [`Seen`] lent to the decoder.
struct Watch<'a>(&'a Seen);

impl rdb::Filter for Watch<'_> {
    fn matches_db(&self, db: u32) -> bool {
        *self.0.db.borrow_mut() = db;
        true
    }
    fn matches_type(&self, enc_type: u8) -> bool {
        let db = *self.0.db.borrow();
        if let Some(prev) = self.0.last.borrow_mut().replace((db, Vec::new(), enc_type)) {
            self.0.walked.borrow_mut().push(prev);
        }
        true
    }
    fn matches_key(&self, key: &[u8]) -> bool {
        if let Some(last) = self.0.last.borrow_mut().as_mut() {
            last.1 = key.to_vec();
        }
        true
    }
}

/// RDB encodings of values the decoder does not yield (`rdb`'s constants:
/// streams 15, 19, 21, 23; modules 6, 7).
fn not_decoded_type(enc: u8) -> Option<&'static str> {
    match enc {
        15 | 19 | 21 | 23 => Some("stream"),
        6 | 7 => Some("module"),
        _ => None,
    }
}

struct Tally<'a> {
    opts: &'a CensusOptions,
    detector: &'a Detector,
    keys: pii::keys::KeyAnalyzer,
    snapshot_ms: Option<i64>,
    dbs: BTreeMap<u32, HashMap<String, Namespace>>,
    report: RdbReport,
}

impl Tally<'_> {
    /// One key: its namespace, type, TTL at snapshot time, payload size,
    /// and the kinds found in its name and in `elements` (field, bytes).
    fn key(
        &mut self,
        db: u32,
        key: &[u8],
        ty: &str,
        expiry_ms: Option<i64>,
        elements: &[(Option<&[u8]>, &[u8])],
    ) {
        self.report.keys += 1;
        let (mut pattern, hits) = self.keys.analyze(key);
        let spaces = self.dbs.entry(db).or_default();
        if !spaces.contains_key(&pattern) && spaces.len() >= self.opts.max_namespaces {
            pattern = "{other}".to_string();
        }
        let ns = spaces.entry(pattern.clone()).or_insert_with(|| Namespace {
            pattern,
            sample_key: key.to_vec(),
            ..Namespace::default()
        });
        ns.keys += 1;
        *ns.types.entry(ty.to_string()).or_default() += 1;
        let payload: usize = key.len()
            + elements
                .iter()
                .map(|(f, v)| f.map_or(0, |f| f.len()) + v.len())
                .sum::<usize>();
        ns.bytes += payload as u64;
        // TTL as the server saw it when it wrote the file; a key already
        // past its expiry is still in the file until it is loaded.
        let pttl = match (expiry_ms, self.snapshot_ms) {
            (None, _) => -1,
            (Some(at), Some(now)) => (at - now).max(0),
            (Some(at), None) => at.max(0),
        };
        ns.ttl_histogram[ttl_bucket(pttl)] += 1;
        if pttl < 0 {
            ns.no_ttl += 1;
        } else {
            ns.max_ttl_ms = ns.max_ttl_ms.max(pttl);
            let retention = self.opts.retention.map(|d| d.as_millis() as i64);
            if retention.is_some_and(|r| pttl > r) {
                ns.ttl_beyond_retention += 1;
            }
        }
        if !hits.is_empty() {
            let shown = crate::redis::values::masked_key(
                key,
                &hits
                    .iter()
                    .map(|h| (h.kind, h.span.clone()))
                    .collect::<Vec<_>>(),
            );
            let mut kinds: Vec<Kind> = hits.iter().map(|h| h.kind).collect();
            kinds.sort();
            kinds.dedup();
            for k in kinds {
                *ns.key_pii.entry(k).or_default() += 1;
                ns.examples.entry(k).or_insert_with(|| shown.clone());
            }
        }
        if elements.is_empty() {
            return;
        }
        ns.sampled += 1;
        let mut here: Vec<Kind> = Vec::new();
        for (field, value) in elements {
            self.report.elements += 1;
            let value = if value.len() > ELEMENT_BYTES {
                self.report.elements_cut += 1;
                &value[..ELEMENT_BYTES]
            } else {
                value
            };
            let context = field.map(String::from_utf8_lossy);
            let scan = self.detector.scan_value(value, context.as_deref());
            for fh in scan.hits {
                if !here.contains(&fh.hit.kind) {
                    here.push(fh.hit.kind);
                }
                ns.examples
                    .entry(fh.hit.kind)
                    .or_insert_with(|| crate::show::printable(&fh.masked).into_owned());
                let place = match (&context, fh.path.is_empty()) {
                    (Some(f), true) => crate::show::printable(f).into_owned(),
                    (Some(f), false) => format!(
                        "{}{}",
                        crate::show::printable(f),
                        fh.path.trim_start_matches('$')
                    ),
                    (None, false) => fh.path.clone(),
                    (None, true) => String::new(),
                };
                if !place.is_empty()
                    && ns.value_fields.len() < 8
                    && !ns.value_fields.contains(&place)
                {
                    ns.value_fields.push(place);
                }
            }
        }
        for k in here {
            *ns.value_pii.entry(k).or_default() += 1;
        }
    }

    fn not_decoded(&mut self, db: u32, key: &[u8], ty: &str) {
        self.report.not_decoded += 1;
        // Counted without TTL information: not in `no_ttl`, bucket 0.
        self.report.keys += 1;
        let (pattern, hits) = self.keys.analyze(key);
        let spaces = self.dbs.entry(db).or_default();
        let pattern = if !spaces.contains_key(&pattern) && spaces.len() >= self.opts.max_namespaces
        {
            "{other}".to_string()
        } else {
            pattern
        };
        let ns = spaces.entry(pattern.clone()).or_insert_with(|| Namespace {
            pattern,
            sample_key: key.to_vec(),
            ..Namespace::default()
        });
        ns.keys += 1;
        ns.bytes += key.len() as u64;
        *ns.types.entry(ty.to_string()).or_default() += 1;
        let mut kinds: Vec<Kind> = hits.iter().map(|h| h.kind).collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            *ns.key_pii.entry(k).or_default() += 1;
        }
    }
}

fn ttl_bucket(pttl_ms: i64) -> usize {
    if pttl_ms < 0 {
        return 0;
    }
    match pttl_ms / 1000 {
        s if s < 3_600 => 1,
        s if s < 86_400 => 2,
        s if s < 7 * 86_400 => 3,
        s if s < 30 * 86_400 => 4,
        s if s < 365 * 86_400 => 5,
        _ => 6,
    }
}

/// Read the RDB file at `path`. `opts` gives the key delimiters, the
/// retention TTLs are compared with, and the namespace limit. Cancellable
/// between keys; a file that ends early or does not decode returns what
/// was read with `complete: false` and the reason (the decoder's words,
/// which carry no value).
pub fn scan(
    path: &Path,
    opts: &CensusOptions,
    cancel: &CancellationToken,
    mut progress: impl FnMut(FileProgress),
) -> anyhow::Result<RdbReport> {
    let started = Instant::now();
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot open: {e}", super::shown_name(path)))?;
    let file_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let reader = std::io::BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: file,
            read: read.clone(),
        },
    );
    let seen = Seen::default();
    let decoder = rdb::RdbDecoder::new(reader, Watch(&seen))
        .map_err(|e| anyhow::anyhow!("{}: not an RDB file ({e})", super::shown_name(path)))?;
    let mut tally = Tally {
        opts,
        detector: Detector::global(),
        keys: pii::keys::KeyAnalyzer::new(&opts.delimiters),
        snapshot_ms: None,
        dbs: BTreeMap::new(),
        report: RdbReport {
            file: super::shown_name(path),
            file_bytes,
            rdb_version: decoder.version(),
            complete: true,
            ..RdbReport::default()
        },
    };
    let mut db = 0u32;
    let walked = |tally: &mut Tally, last: Option<Walked>| {
        let mut all = std::mem::take(&mut *seen.walked.borrow_mut());
        all.extend(last);
        for (db, key, enc) in all {
            if let Some(ty) = not_decoded_type(enc) {
                tally.not_decoded(db, &key, ty);
            }
        }
    };
    for item in decoder {
        let item = match item {
            Ok(v) => v,
            Err(e) => {
                let last = seen.last.borrow_mut().take();
                walked(&mut tally, last);
                tally.report.complete = false;
                tally.report.stopped = Some(format!(
                    "the file does not decode past byte {}: {}",
                    read.get(),
                    crate::show::fit(&crate::show::printable(&e.to_string()), 160)
                ));
                break;
            }
        };
        use rdb::RdbValue as V;
        let is_key = matches!(
            item,
            V::String { .. }
                | V::Hash { .. }
                | V::Set { .. }
                | V::List { .. }
                | V::SortedSet { .. }
        );
        // The filter's last key is this item's when the item is a key;
        // before any other item, it is one the decoder walked past.
        let last = seen.last.borrow_mut().take();
        walked(&mut tally, if is_key { None } else { last });
        let expiry = |e: &Option<u64>| e.map(|ms| ms.min(i64::MAX as u64) as i64);
        match &item {
            V::SelectDb(n) => db = *n,
            V::AuxField { key, value } => match key.as_slice() {
                b"redis-ver" => {
                    tally.report.redis_version =
                        Some(crate::show::printable_bytes(value).into_owned())
                }
                b"ctime" => {
                    let secs = std::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.trim().parse::<i64>().ok());
                    if let Some(s) = secs {
                        tally.snapshot_ms = Some(s.saturating_mul(1000));
                        tally.report.snapshot_at = chrono::DateTime::from_timestamp(s, 0)
                            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                    }
                }
                _ => {}
            },
            V::String {
                key,
                value,
                expiry: e,
            } => {
                tally.key(db, key, "string", expiry(e), &[(None, value)]);
            }
            V::Hash {
                key,
                values,
                expiry: e,
            } => {
                let els: Vec<(Option<&[u8]>, &[u8])> = values
                    .iter()
                    .map(|(f, v)| (Some(f.as_slice()), v.as_slice()))
                    .collect();
                tally.key(db, key, "hash", expiry(e), &els);
            }
            V::Set {
                key,
                members,
                expiry: e,
            } => {
                let els: Vec<(Option<&[u8]>, &[u8])> =
                    members.iter().map(|m| (None, m.as_slice())).collect();
                tally.key(db, key, "set", expiry(e), &els);
            }
            V::List {
                key,
                values,
                expiry: e,
            } => {
                let els: Vec<(Option<&[u8]>, &[u8])> =
                    values.iter().map(|m| (None, m.as_slice())).collect();
                tally.key(db, key, "list", expiry(e), &els);
            }
            V::SortedSet {
                key,
                values,
                expiry: e,
            } => {
                let els: Vec<(Option<&[u8]>, &[u8])> =
                    values.iter().map(|(_, m)| (None, m.as_slice())).collect();
                tally.key(db, key, "zset", expiry(e), &els);
            }
            _ => {}
        }
        if tally.report.keys.is_multiple_of(4096) {
            progress(FileProgress {
                bytes_read: read.get(),
                file_bytes,
                records: tally.report.keys,
            });
            if cancel.is_cancelled() {
                tally.report.complete = false;
                tally.report.stopped = Some("cancelled".into());
                break;
            }
        }
    }
    // A stream or module value that was the last key of the file.
    let last = seen.last.borrow_mut().take();
    walked(&mut tally, last);
    progress(FileProgress {
        bytes_read: read.get(),
        file_bytes,
        records: tally.report.keys,
    });
    let Tally {
        dbs, mut report, ..
    } = tally;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    if report.not_decoded > 0 {
        report.warnings.push(format!(
            "{} stream or module keys are counted by name and type; their values are not searched and their TTL is not read",
            report.not_decoded
        ));
    }
    if report.elements_cut > 0 {
        report.warnings.push(format!(
            "{} elements larger than {} were searched in their first {} only",
            report.elements_cut,
            crate::show::bytes(ELEMENT_BYTES as u64),
            crate::show::bytes(ELEMENT_BYTES as u64)
        ));
    }
    report.dbs = dbs
        .into_iter()
        .map(|(db, spaces)| {
            let mut namespaces: Vec<Namespace> = spaces.into_values().collect();
            namespaces.sort_by(|a, b| b.keys.cmp(&a.keys).then_with(|| a.pattern.cmp(&b.pattern)));
            let scanned = namespaces.iter().map(|n| n.keys).sum();
            Census {
                node: report.file.clone(),
                db,
                dbsize: scanned,
                scanned,
                namespaces,
                complete: report.complete,
                stopped: report.stopped.clone(),
                route: "rdb file".into(),
                started_at: report.snapshot_at.clone().unwrap_or_default(),
                ..Census::default()
            }
        })
        .collect();
    Ok(report)
}
