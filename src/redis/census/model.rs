//! What a census is: its options, its namespaces, its result.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::pii::Kind;

/// How a census runs.
#[derive(Debug, Clone)]
pub struct CensusOptions {
    pub scan_count: u32,
    /// Commands per second at most (the load budget); 0 for none.
    pub max_ops_per_sec: u32,
    /// Pause while the server reports more operations per second than this
    /// from other clients; 0 never pauses.
    pub pause_above_ops_per_sec: u32,
    pub delimiters: Vec<u8>,
    /// The storage's declared retention, to count TTLs beyond it.
    pub retention: Option<Duration>,
    /// Ask `MEMORY USAGE` for every key.
    pub memory: bool,
    /// Read a bounded sample of values and search them.
    pub sample: Option<SampleOptions>,
    /// At most this many namespaces are kept; the rest fold into `{other}`.
    pub max_namespaces: usize,
    /// How a step that meets a fault (a timeout, a dropped connection,
    /// `LOADING`, `BUSY`) is tried again before the census stops.
    pub retry: RetryPolicy,
}

impl CensusOptions {
    /// The register's settings and the retention of the storage that
    /// carries the connection `conn`.
    pub fn for_connection(reg: &crate::register::Register, conn: &str) -> Self {
        let retention = reg
            .storage_of_connection(conn)
            .and_then(|s| s.effective_retention())
            .and_then(|r| r.period().map(|p| p.as_duration()));
        Self {
            retry: RetryPolicy::from_settings(&reg.retry),
            ..Self::from_settings(&reg.redis, retention)
        }
    }

    pub fn from_settings(
        s: &crate::register::settings::RedisSettings,
        retention: Option<Duration>,
    ) -> Self {
        CensusOptions {
            scan_count: s.scan_count.max(10),
            max_ops_per_sec: s.max_ops_per_sec,
            pause_above_ops_per_sec: s.pause_above_ops_per_sec,
            delimiters: s.delimiters.iter().flat_map(|d| d.bytes()).collect(),
            retention,
            memory: true,
            sample: None,
            max_namespaces: 5_000,
            retry: RetryPolicy::default(),
        }
    }
}

/// How a census waits out a fault: a step (`DBSIZE`, one batch, one
/// sampling pipeline) is tried at most `tries` times, waiting `first_wait`,
/// then twice as long each time up to `max_wait`, and never longer than
/// `within` from its first failure. The connections are opened again
/// before each new try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub tries: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
    pub within: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            tries: 5,
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
            within: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The register's `[retry]` waits, with the default bounds.
    pub fn from_settings(r: &crate::register::settings::RetrySettings) -> Self {
        RetryPolicy {
            first_wait: Duration::from_secs(r.initial_secs.max(1)),
            max_wait: Duration::from_secs(r.max_secs.max(1)),
            ..RetryPolicy::default()
        }
    }

    /// The wait after failure number `failures` (1-based).
    pub fn wait(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(16);
        self.first_wait
            .saturating_mul(1u32 << exp)
            .min(self.max_wait.max(self.first_wait))
    }
}

/// Bounded value sampling: the first keys of each namespace, then a share
/// of the rest chosen by a hash of the key (the same keys every run).
#[derive(Debug, Clone, Copy)]
pub struct SampleOptions {
    pub first_per_namespace: u32,
    /// Share of the other keys, per thousand.
    pub per_mille: u32,
    /// Bytes read from a string value at most (`GETRANGE`).
    pub max_bytes: usize,
    /// Elements read from a hash, list, set, sorted set or stream at most.
    pub max_elements: usize,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            first_per_namespace: 3,
            per_mille: 10,
            max_bytes: 4096,
            max_elements: 32,
        }
    }
}

/// TTL buckets: none, < 1 h, < 1 day, < 7 days, < 30 days, < 1 year, ≥ 1 year.
pub const TTL_BUCKETS: [&str; 7] = ["no TTL", "<1h", "<1d", "<7d", "<30d", "<1y", "≥1y"];

pub(super) fn ttl_bucket(pttl_ms: i64) -> usize {
    if pttl_ms < 0 {
        return 0;
    }
    let s = pttl_ms / 1000;
    match s {
        s if s < 3_600 => 1,
        s if s < 86_400 => 2,
        s if s < 7 * 86_400 => 3,
        s if s < 30 * 86_400 => 4,
        s if s < 365 * 86_400 => 5,
        _ => 6,
    }
}

/// One namespace: every key whose name folds into `pattern`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Namespace {
    pub pattern: String,
    pub keys: u64,
    /// Sum of `MEMORY USAGE`, when the server answered it.
    pub bytes: u64,
    pub no_ttl: u64,
    pub ttl_beyond_retention: u64,
    pub ttl_histogram: [u64; 7],
    /// Longest TTL seen, in ms.
    pub max_ttl_ms: i64,
    pub types: BTreeMap<String, u64>,
    /// Keys whose *name* holds personal data, by kind.
    pub key_pii: BTreeMap<Kind, u64>,
    /// Sampled values holding personal data, by kind.
    pub value_pii: BTreeMap<Kind, u64>,
    /// One masked example per kind (key names and values).
    pub examples: BTreeMap<Kind, String>,
    /// Where value hits were found (hash fields, JSON paths), a few.
    pub value_fields: Vec<String>,
    pub sampled: u64,
    /// A real key of this namespace, to test coverage by the person model.
    /// Never serialised, never shown.
    #[serde(skip)]
    pub sample_key: Vec<u8>,
}

impl Namespace {
    pub fn has_pii(&self) -> bool {
        !self.key_pii.is_empty() || !self.value_pii.is_empty()
    }
}

/// The result of a census of one logical database of one server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Census {
    /// Redacted address of the node, and the logical database.
    pub node: String,
    pub db: u32,
    /// `DBSIZE` when the census started, and keys seen by SCAN.
    pub dbsize: u64,
    pub scanned: u64,
    /// Keys that expired between SCAN and TYPE.
    pub vanished: u64,
    pub namespaces: Vec<Namespace>,
    pub warnings: Vec<String>,
    pub elapsed_ms: u64,
    pub started_at: String,
    pub complete: bool,
    /// Commands sent and time spent paused by the load budget.
    pub commands: u64,
    pub paused_ms: u64,
    /// The server's other logical databases that hold keys (`INFO
    /// keyspace`): this census does not count them; a connection to each
    /// (`redis://…/N`) does.
    #[serde(default)]
    pub other_dbs: Vec<OtherDb>,
    /// How the batches were read: `own connection` (see
    /// [`super::wire`]) or `general client`.
    #[serde(default)]
    pub route: String,
    /// Which server (and which run of it) was counted; the key of the
    /// census kept on disk ([`super::cache`]).
    #[serde(default)]
    pub server: Option<ServerId>,
    /// Why the census stopped before the end of the keyspace (`complete`
    /// is then false): cancelled, or a fault that outlasted the retries.
    #[serde(default)]
    pub stopped: Option<String>,
    /// Steps tried again after a fault (and then answered, or not).
    #[serde(default)]
    pub retries: u64,
}

/// Who a census counted. `address` and `user` say where (the file of the
/// census kept on disk is named after them); `run` says which run: the
/// server's `run_id`, which changes when it restarts, or for a cluster a
/// hash of its nodes' ids, which change when nodes are replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerId {
    /// `host:port/db` as the connection names it (no password).
    pub address: String,
    /// The ACL user the census logged in as (it sees what that user may).
    #[serde(default)]
    pub user: Option<String>,
    /// Every primary of a Redis Cluster, reached through `address`.
    #[serde(default)]
    pub cluster: bool,
    pub run: String,
}

impl ServerId {
    /// The same server and database, as the same user (any run).
    pub fn same_place(&self, other: &ServerId) -> bool {
        self.address == other.address && self.user == other.user && self.cluster == other.cluster
    }

    /// The same place and the same run of the server: two censuses of it
    /// can be compared.
    pub fn same_run(&self, other: &ServerId) -> bool {
        self.same_place(other) && self.run == other.run
    }

    /// `127.0.0.1:6379/0`, or `127.0.0.1:7000/0 (cluster)`.
    pub fn label(&self) -> String {
        format!(
            "{}{}",
            crate::show::printable(&self.address),
            if self.cluster { " (cluster)" } else { "" }
        )
    }
}

/// A logical database that a census saw but did not count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherDb {
    pub db: u32,
    pub keys: u64,
}

impl Census {
    pub fn total(&self, f: impl Fn(&Namespace) -> u64) -> u64 {
        self.namespaces.iter().map(f).sum()
    }
}

/// What the census reports while it runs.
#[derive(Debug, Clone)]
pub struct Progress {
    pub scanned: u64,
    pub dbsize: u64,
    pub paused: bool,
    /// A fault being waited out (what failed, and the try), if any.
    pub fault: Option<String>,
    /// A snapshot of the namespaces so far (sorted by keys, descending).
    pub partial: Census,
}

/// Merge two censuses of disjoint keyspaces (two nodes of a cluster) into
/// one: namespaces summed by pattern, counts summed, warnings kept in
/// order. `node` and `db` stay those of `a`; the caller names the whole.
pub fn merge(mut a: Census, b: &Census) -> Census {
    let mut by_pattern: HashMap<String, Namespace> = a
        .namespaces
        .drain(..)
        .map(|n| (n.pattern.clone(), n))
        .collect();
    for n in &b.namespaces {
        match by_pattern.get_mut(&n.pattern) {
            Some(m) => merge_namespace(m, n),
            None => {
                by_pattern.insert(n.pattern.clone(), n.clone());
            }
        }
    }
    a.namespaces = sorted_owned(by_pattern);
    a.dbsize += b.dbsize;
    a.scanned += b.scanned;
    a.vanished += b.vanished;
    a.commands += b.commands;
    a.paused_ms += b.paused_ms;
    a.elapsed_ms = a.elapsed_ms.max(b.elapsed_ms);
    if a.started_at.is_empty() || (!b.started_at.is_empty() && b.started_at < a.started_at) {
        a.started_at = b.started_at.clone();
    }
    a.complete = a.complete && b.complete;
    a.retries += b.retries;
    a.stopped = match (a.stopped.take(), &b.stopped) {
        (Some(x), Some(y)) => Some(format!("{x}; {y}")),
        (x, y) => x.or_else(|| y.clone()),
    };
    a.warnings.extend(b.warnings.iter().cloned());
    a.other_dbs.extend(b.other_dbs.iter().copied());
    a
}

fn merge_namespace(m: &mut Namespace, n: &Namespace) {
    m.keys += n.keys;
    m.bytes += n.bytes;
    m.no_ttl += n.no_ttl;
    m.ttl_beyond_retention += n.ttl_beyond_retention;
    for (a, b) in m.ttl_histogram.iter_mut().zip(n.ttl_histogram) {
        *a += b;
    }
    m.max_ttl_ms = m.max_ttl_ms.max(n.max_ttl_ms);
    for (t, c) in &n.types {
        *m.types.entry(t.clone()).or_default() += c;
    }
    for (k, c) in &n.key_pii {
        *m.key_pii.entry(*k).or_default() += c;
    }
    for (k, c) in &n.value_pii {
        *m.value_pii.entry(*k).or_default() += c;
    }
    for (k, e) in &n.examples {
        m.examples.entry(*k).or_insert_with(|| e.clone());
    }
    for f in &n.value_fields {
        if m.value_fields.len() < 8 && !m.value_fields.contains(f) {
            m.value_fields.push(f.clone());
        }
    }
    m.sampled += n.sampled;
    if m.sample_key.is_empty() {
        m.sample_key = n.sample_key.clone();
    }
}

fn sorted_owned(spaces: HashMap<String, Namespace>) -> Vec<Namespace> {
    let mut v: Vec<Namespace> = spaces.into_values().collect();
    v.sort_by(|a, b| b.keys.cmp(&a.keys).then_with(|| a.pattern.cmp(&b.pattern)));
    v
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn ns(pattern: &str, keys: u64, no_ttl: u64, kind: Option<Kind>) -> Namespace {
        Namespace {
            pattern: pattern.into(),
            keys,
            bytes: keys * 100,
            no_ttl,
            ttl_histogram: [no_ttl, keys - no_ttl, 0, 0, 0, 0, 0],
            types: [("string".to_string(), keys)].into_iter().collect(),
            key_pii: kind.map(|k| (k, keys)).into_iter().collect(),
            examples: kind.map(|k| (k, "a***".to_string())).into_iter().collect(),
            ..Namespace::default()
        }
    }

    #[test]
    fn merging_sums_by_pattern() {
        let a = Census {
            node: "a".into(),
            dbsize: 10,
            scanned: 10,
            complete: true,
            started_at: "2026-01-02T00:00:00+00:00".into(),
            namespaces: vec![
                ns("otp:{phone}", 6, 6, Some(Kind::Phone)),
                ns("x", 4, 0, None),
            ],
            warnings: vec!["a: one".into()],
            ..Census::default()
        };
        let b = Census {
            node: "b".into(),
            dbsize: 9,
            scanned: 8,
            vanished: 1,
            complete: true,
            started_at: "2026-01-01T00:00:00+00:00".into(),
            namespaces: vec![
                ns("otp:{phone}", 5, 5, Some(Kind::Phone)),
                ns("y", 3, 1, None),
            ],
            warnings: vec!["b: two".into()],
            ..Census::default()
        };
        let m = merge(a, &b);
        assert_eq!(m.node, "a");
        assert_eq!((m.dbsize, m.scanned, m.vanished), (19, 18, 1));
        assert_eq!(m.total(|n| n.keys), 18);
        assert_eq!(m.namespaces[0].pattern, "otp:{phone}");
        assert_eq!(m.namespaces[0].keys, 11);
        assert_eq!(m.namespaces[0].no_ttl, 11);
        assert_eq!(m.namespaces[0].key_pii[&Kind::Phone], 11);
        assert_eq!(m.namespaces[0].types["string"], 11);
        assert_eq!(m.namespaces[0].ttl_histogram[0], 11);
        assert_eq!(m.namespaces.len(), 3);
        assert_eq!(m.warnings, vec!["a: one", "b: two"]);
        assert_eq!(m.started_at, "2026-01-01T00:00:00+00:00");
        assert!(m.complete);
        let incomplete = Census::default();
        assert!(!merge(m, &incomplete).complete);
    }
}
