//! The keyspace census: every key of a logical database accounted for, safely.
//!
//! `SCAN … COUNT n` (never `KEYS`), then for each batch one pipeline of
//! `TYPE`, `PTTL` and `MEMORY USAGE`; key names folded into namespace
//! patterns and searched for personal data by the detector; optional,
//! bounded value sampling per namespace. Results are aggregated per pattern
//! in bounded memory and streamed as progress. A load budget caps the
//! commands per second and pauses while other clients keep the server busy.
//! Cancellable between batches. What the server refuses (e.g. `MEMORY
//! USAGE` for an ACL user) becomes a warning, not a failure; the server's
//! other logical databases that hold keys are named ([`Census::other_dbs`]).
//!
//! The next batch is fetched by its own task while this one is folded, on
//! the census's own plain connection when the URL allows ([`super::wire`]).
//!
//! Two server-side routes were measured and not taken (`cargo bench --bench
//! census` prints both): one `EVAL` per batch doing the per-key commands in
//! Lua costs the server more CPU per key than the pipeline on Redis 7.0
//! (each `redis.call` runs the command machinery again and converts its
//! reply), and a whole RDB by diskless `SYNC` forks the server, waits
//! `repl-diskless-sync-delay` (5 s by default) and serialises every value.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::Value;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::wire::{Reply, Wire};
use crate::pii::{self, Detector, Kind};

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
}

impl CensusOptions {
    /// The register's settings and the retention of the storage that
    /// carries the connection `conn`.
    pub fn for_connection(reg: &crate::register::Register, conn: &str) -> Self {
        let retention = reg
            .storage_of_connection(conn)
            .and_then(|s| s.effective_retention())
            .and_then(|r| r.period().map(|p| p.as_duration()));
        Self::from_settings(&reg.redis, retention)
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
        }
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

fn ttl_bucket(pttl_ms: i64) -> usize {
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
    /// A snapshot of the namespaces so far (sorted by keys, descending).
    pub partial: Census,
}

/// A token bucket for the commands a census sends.
struct Budget {
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl Budget {
    fn new(per_sec: u32) -> Budget {
        Budget {
            per_sec: f64::from(per_sec),
            tokens: f64::from(per_sec) / 10.0,
            last: Instant::now(),
        }
    }

    /// How long to wait before sending `n` commands.
    fn take(&mut self, n: usize) -> Duration {
        if self.per_sec <= 0.0 {
            return Duration::ZERO;
        }
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.per_sec)
            .min(self.per_sec / 10.0 + n as f64);
        self.last = now;
        self.tokens -= n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_sec)
        }
    }
}

/// A Redis glob (`*`, `?`, `\\x`) matched against a key, in O(len²) at worst
/// (the classic two-pointer walk with one backtrack point).
pub fn glob_match(pattern: &[u8], key: &[u8]) -> bool {
    let (mut p, mut k) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while k < key.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, k));
                p += 1;
                continue;
            }
            Some(b'?') => {
                p += 1;
                k += 1;
                continue;
            }
            Some(b'\\') if pattern.get(p + 1) == Some(&key[k]) => {
                p += 2;
                k += 1;
                continue;
            }
            Some(&c) if c != b'\\' && c == key[k] => {
                p += 1;
                k += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sk)) => {
                p = sp + 1;
                k = sk + 1;
                star = Some((sp, sk + 1));
            }
            None => return false,
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// A person-model pattern (`user:{user_id}:*`) as a glob (`user:*:*`).
pub fn person_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_brace = false;
    for c in pattern.chars() {
        match (c, in_brace) {
            ('{', false) => {
                in_brace = true;
                out.push('*');
            }
            ('}', true) => in_brace = false,
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

/// Deterministic per-key choice for sampling (FNV-1a).
fn key_hash(key: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// One SCAN batch with its pipelined `TYPE`, `PTTL` (and `MEMORY USAGE`)
/// replies.
struct Batch {
    next: u64,
    keys: Vec<Vec<u8>>,
    replies: Vec<Reply>,
    /// Whether `MEMORY USAGE` was asked (three replies per key, else two).
    memory: bool,
    commands: u64,
    paused_ms: u64,
}

/// How batches are fetched: through the general client, or on the
/// census's own plain connection (see [`super::wire`]).
enum Fetcher {
    Client(MultiplexedConnection),
    Wire(Box<Wire>),
}

fn wire_error(e: anyhow::Error) -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Io, "census connection", format!("{e:#}")))
}

/// A reply of the general client as the census reads it.
fn reply_of(v: Value) -> Reply {
    match v {
        Value::SimpleString(s) => Reply::Status(s.into()),
        Value::Okay => Reply::Status("OK".into()),
        Value::Int(i) => Reply::Int(i),
        Value::BulkString(b) => Reply::Bulk(b),
        Value::ServerError(e) => Reply::Error(e.code().to_string()),
        Value::Array(items) => Reply::Array(items.into_iter().map(reply_of).collect()),
        _ => Reply::Nil,
    }
}

/// `SCAN` from `cursor`, then one pipeline for its keys within the budget.
/// `None` when cancelled while waiting for the budget. The fetcher comes
/// back with the result, for the next batch.
async fn fetch_batch(
    mut fetcher: Fetcher,
    cursor: u64,
    scan_count: u32,
    memory: bool,
    budget: std::sync::Arc<std::sync::Mutex<Budget>>,
    cancel: CancellationToken,
) -> (Fetcher, redis::RedisResult<Option<Batch>>) {
    let r = fetch_with(&mut fetcher, cursor, scan_count, memory, &budget, &cancel).await;
    (fetcher, r)
}

async fn fetch_with(
    fetcher: &mut Fetcher,
    cursor: u64,
    scan_count: u32,
    memory: bool,
    budget: &std::sync::Mutex<Budget>,
    cancel: &CancellationToken,
) -> redis::RedisResult<Option<Batch>> {
    let (next, keys): (u64, Vec<Vec<u8>>) = match fetcher {
        Fetcher::Client(con) => {
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(scan_count)
                .query_async(con)
                .await?
        }
        Fetcher::Wire(w) => w.scan(cursor, scan_count).await.map_err(wire_error)?,
    };
    let mut batch = Batch {
        next,
        keys,
        replies: Vec::new(),
        memory,
        commands: 1,
        paused_ms: 0,
    };
    if batch.keys.is_empty() {
        return Ok(Some(batch));
    }
    let per_key = if memory { 3 } else { 2 };
    let wait = budget
        .lock()
        .map(|mut b| b.take(batch.keys.len() * per_key))
        .unwrap_or_default();
    if !wait.is_zero() {
        let t = Instant::now();
        tokio::select! {
            _ = cancel.cancelled() => return Ok(None),
            _ = tokio::time::sleep(wait) => {}
        }
        batch.paused_ms += t.elapsed().as_millis() as u64;
    }
    batch.replies = match fetcher {
        Fetcher::Client(con) => {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for k in &batch.keys {
                pipe.cmd("TYPE").arg(k).cmd("PTTL").arg(k);
                if memory {
                    pipe.cmd("MEMORY").arg("USAGE").arg(k);
                }
            }
            let replies: Vec<Value> = pipe.query_async(con).await?;
            replies.into_iter().map(reply_of).collect()
        }
        Fetcher::Wire(w) => {
            for k in &batch.keys {
                w.command(&[b"TYPE", k]);
                w.command(&[b"PTTL", k]);
                if memory {
                    w.command(&[b"MEMORY", b"USAGE", k]);
                }
            }
            w.exchange(batch.keys.len() * per_key)
                .await
                .map_err(wire_error)?
        }
    };
    batch.commands += (batch.keys.len() * per_key) as u64;
    Ok(Some(batch))
}

/// Fold one batch into the namespaces; returns the keys to sample.
fn absorb(
    batch: &Batch,
    opts: &CensusOptions,
    keys: &mut pii::keys::KeyAnalyzer,
    memory: &mut bool,
    census: &mut Census,
    spaces: &mut HashMap<String, Namespace>,
) -> Vec<(String, Vec<u8>, String)> {
    let retention_ms = opts.retention.map(|d| d.as_millis() as i64);
    let per_key = if batch.memory { 3 } else { 2 };
    let mut to_sample = Vec::new();
    for (i, key) in batch.keys.iter().enumerate() {
        let base = i * per_key;
        let ty = batch
            .replies
            .get(base)
            .and_then(Reply::as_str)
            .unwrap_or_default();
        if ty == "none" || ty.is_empty() {
            census.vanished += 1;
            continue;
        }
        let pttl = batch
            .replies
            .get(base + 1)
            .and_then(Reply::as_i64)
            .unwrap_or(-1);
        let bytes = if batch.memory {
            match batch.replies.get(base + 2) {
                Some(Reply::Error(code)) => {
                    if *memory {
                        *memory = false;
                        census.warnings.push(format!(
                            "MEMORY USAGE refused by the server ({code}): sizes are not measured"
                        ));
                    }
                    0
                }
                Some(v) => v.as_i64().unwrap_or(0).max(0) as u64,
                None => 0,
            }
        } else {
            0
        };
        census.scanned += 1;
        let (mut pattern, hits) = keys.analyze(key);
        if !spaces.contains_key(&pattern) && spaces.len() >= opts.max_namespaces {
            pattern = "{other}".to_string();
        }
        let ns = match spaces.get_mut(&pattern) {
            Some(ns) => ns,
            None => spaces.entry(pattern.clone()).or_insert_with(|| Namespace {
                pattern: pattern.clone(),
                sample_key: key.clone(),
                ..Namespace::default()
            }),
        };
        ns.keys += 1;
        ns.bytes += bytes;
        match ns.types.get_mut(ty) {
            Some(n) => *n += 1,
            None => {
                ns.types.insert(ty.to_string(), 1);
            }
        }
        ns.ttl_histogram[ttl_bucket(pttl)] += 1;
        if pttl < 0 {
            ns.no_ttl += 1;
        } else {
            ns.max_ttl_ms = ns.max_ttl_ms.max(pttl);
            if retention_ms.is_some_and(|r| pttl > r) {
                ns.ttl_beyond_retention += 1;
            }
        }
        if !hits.is_empty() {
            let text = String::from_utf8_lossy(key);
            let mut kinds: Vec<Kind> = hits.iter().map(|h| h.kind).collect();
            kinds.dedup();
            for h in &hits {
                ns.examples
                    .entry(h.kind)
                    .or_insert_with(|| masked_key(&text, &hits));
            }
            for k in kinds {
                *ns.key_pii.entry(k).or_default() += 1;
            }
        }
        if let Some(s) = &opts.sample {
            let first = ns.keys <= u64::from(s.first_per_namespace);
            if first || key_hash(key) % 1000 < s.per_mille {
                to_sample.push((pattern, key.clone(), ty.to_string()));
            }
        }
    }
    to_sample
}

/// Run a census of the connection's current database.
///
/// The next batch (`SCAN` and its pipeline) is in flight while this one is
/// folded and its values searched, so the server and the detector work at
/// the same time.
pub async fn run(
    con: &mut MultiplexedConnection,
    monitor: Option<MultiplexedConnection>,
    node: &str,
    opts: &CensusOptions,
    cancel: &CancellationToken,
    progress: impl FnMut(Progress),
) -> redis::RedisResult<Census> {
    run_with(con, None, monitor, node, opts, cancel, progress).await
}

/// [`run`], with the batches fetched on `wire` when given (the census's
/// own plain connection to the same server and database as `con`).
pub async fn run_with(
    con: &mut MultiplexedConnection,
    wire: Option<Wire>,
    monitor: Option<MultiplexedConnection>,
    node: &str,
    opts: &CensusOptions,
    cancel: &CancellationToken,
    mut progress: impl FnMut(Progress),
) -> redis::RedisResult<Census> {
    let started = Instant::now();
    let detector = Detector::global();
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(con).await?;
    let db = current_db(con).await.unwrap_or(0);
    let mut census = Census {
        node: node.to_string(),
        db,
        dbsize,
        started_at: chrono::Utc::now().to_rfc3339(),
        ..Census::default()
    };
    match redis::cmd("INFO")
        .arg("keyspace")
        .query_async::<String>(con)
        .await
    {
        Ok(info) => {
            census.other_dbs = super::overview::parse_info(&info)
                .dbs
                .iter()
                .filter(|d| d.db != db && d.keys > 0)
                .map(|d| OtherDb {
                    db: d.db,
                    keys: d.keys,
                })
                .collect();
            for d in &census.other_dbs {
                census.warnings.push(format!(
                    "db{} holds {} keys that this census of db{db} does not count (a connection to …/{} does)",
                    d.db, d.keys, d.db
                ));
            }
        }
        Err(e) => census.warnings.push(format!(
            "INFO keyspace refused ({}): other logical databases not checked",
            e.code().unwrap_or("error")
        )),
    }
    let mut spaces: HashMap<String, Namespace> = HashMap::new();
    let budget = std::sync::Arc::new(std::sync::Mutex::new(Budget::new(opts.max_ops_per_sec)));
    let fetch = |fetcher: Fetcher, cursor: u64, memory: bool| {
        fetch_batch(
            fetcher,
            cursor,
            opts.scan_count,
            memory,
            budget.clone(),
            cancel.clone(),
        )
    };
    let fetcher = match wire {
        Some(w) => Fetcher::Wire(Box::new(w)),
        None => Fetcher::Client(con.clone()),
    };
    census.route = match fetcher {
        Fetcher::Wire(_) => "own connection",
        Fetcher::Client(_) => "general client",
    }
    .to_string();
    let mut memory = opts.memory;
    let mut last_report = Instant::now();
    let mut busy = BusyWatch::new(monitor, opts.pause_above_ops_per_sec);
    let mut analyzer = pii::keys::KeyAnalyzer::new(&opts.delimiters);

    if cancel.is_cancelled() {
        return Ok(finish(census, spaces, started, false));
    }
    let (fetcher, first) = fetch(fetcher, 0, memory).await;
    let mut fetcher = Some(fetcher);
    let Some(mut batch) = first? else {
        return Ok(finish(census, spaces, started, false));
    };
    loop {
        census.commands += batch.commands;
        census.paused_ms += batch.paused_ms;
        // Pause while others keep the server busy; stop when asked.
        while batch.next != 0 && busy.should_pause(census.commands, started).await {
            let t = Instant::now();
            progress(Progress {
                scanned: census.scanned,
                dbsize,
                paused: true,
                partial: snapshot(&census, &spaces),
            });
            tokio::select! {
                _ = cancel.cancelled() => return Ok(finish(census, spaces, started, false)),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            census.paused_ms += t.elapsed().as_millis() as u64;
        }
        if cancel.is_cancelled() {
            return Ok(finish(census, spaces, started, false));
        }
        // The next batch is fetched by its own task, so that the server
        // works through its pipeline while this one is folded (a future
        // joined here would wait for the folding to be polled again).
        let next_cursor = batch.next;
        let prefetch = match (next_cursor, fetcher.take()) {
            (0, f) => {
                fetcher = f;
                None
            }
            (_, Some(f)) => Some(tokio::spawn(fetch(f, next_cursor, memory))),
            (_, None) => None,
        };
        let work = async {
            let to_sample = absorb(
                &batch,
                opts,
                &mut analyzer,
                &mut memory,
                &mut census,
                &mut spaces,
            );
            if let (Some(s), false) = (&opts.sample, to_sample.is_empty()) {
                let wait = budget
                    .lock()
                    .map(|mut b| b.take(to_sample.len()))
                    .unwrap_or_default();
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                sample_values(con, detector, s, &to_sample, &mut spaces, &mut census).await?;
            }
            Ok::<(), redis::RedisError>(())
        };
        let done = work.await;
        let next = match prefetch {
            None => Ok(None),
            Some(task) => match task.await {
                Ok((f, r)) => {
                    fetcher = Some(f);
                    r
                }
                Err(e) => Err(redis::RedisError::from((
                    redis::ErrorKind::Client,
                    "census batch task failed",
                    e.to_string(),
                ))),
            },
        };
        done?;
        if last_report.elapsed() >= Duration::from_millis(200) {
            last_report = Instant::now();
            progress(Progress {
                scanned: census.scanned,
                dbsize,
                paused: false,
                partial: snapshot(&census, &spaces),
            });
        }
        match next? {
            Some(b) => batch = b,
            None if next_cursor == 0 => break,
            None => return Ok(finish(census, spaces, started, false)),
        }
    }
    let done = finish(census, spaces, started, true);
    progress(Progress {
        scanned: done.scanned,
        dbsize,
        paused: false,
        partial: done.clone(),
    });
    Ok(done)
}

/// The key with its personal parts masked, for an example.
fn masked_key(text: &str, hits: &[pii::Hit]) -> String {
    let spans: Vec<(Kind, std::ops::Range<usize>)> =
        hits.iter().map(|h| (h.kind, h.span.clone())).collect();
    super::values::masked(text, &spans)
}

async fn current_db(con: &mut MultiplexedConnection) -> Option<u32> {
    let info: String = redis::cmd("CLIENT")
        .arg("INFO")
        .query_async(con)
        .await
        .ok()?;
    info.split_whitespace()
        .find_map(|kv| kv.strip_prefix("db="))
        .and_then(|v| v.parse().ok())
}

/// Read a bounded part of each sampled value and search it.
async fn sample_values(
    con: &mut MultiplexedConnection,
    detector: &Detector,
    s: &SampleOptions,
    keys: &[(String, Vec<u8>, String)],
    spaces: &mut HashMap<String, Namespace>,
    census: &mut Census,
) -> redis::RedisResult<()> {
    let n = s.max_elements as i64;
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for (_, key, ty) in keys {
        match ty.as_str() {
            "string" => pipe
                .cmd("GETRANGE")
                .arg(key)
                .arg(0)
                .arg(s.max_bytes.saturating_sub(1)),
            "hash" => pipe.cmd("HSCAN").arg(key).arg(0).arg("COUNT").arg(n),
            "list" => pipe.cmd("LRANGE").arg(key).arg(0).arg(n - 1),
            "set" => pipe.cmd("SSCAN").arg(key).arg(0).arg("COUNT").arg(n),
            "zset" => pipe.cmd("ZRANGE").arg(key).arg(0).arg(n - 1),
            "stream" => pipe
                .cmd("XRANGE")
                .arg(key)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(n),
            _ => pipe.cmd("TYPE").arg(key),
        };
    }
    let replies: Vec<Value> = pipe.query_async(con).await?;
    census.commands += keys.len() as u64;
    for ((pattern, _, ty), reply) in keys.iter().zip(replies) {
        let Some(ns) = spaces.get_mut(pattern) else {
            continue;
        };
        ns.sampled += 1;
        let mut fields: Vec<(Option<String>, Vec<u8>)> = Vec::new();
        collect_fields(ty, reply, s, &mut fields);
        let mut kinds_here: Vec<Kind> = Vec::new();
        for (field, bytes) in fields {
            let scan = detector.scan_value(&bytes, field.as_deref());
            for fh in scan.hits {
                if !kinds_here.contains(&fh.hit.kind) {
                    kinds_here.push(fh.hit.kind);
                }
                ns.examples
                    .entry(fh.hit.kind)
                    .or_insert_with(|| fh.masked.clone());
                let place = match (&field, fh.path.is_empty()) {
                    (Some(f), true) => f.clone(),
                    (Some(f), false) => format!("{f}{}", fh.path.trim_start_matches('$')),
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
        for k in kinds_here {
            *ns.value_pii.entry(k).or_default() += 1;
        }
    }
    Ok(())
}

/// Turn a sampled reply into (field name, bytes) pairs for the detector.
fn collect_fields(
    ty: &str,
    reply: Value,
    s: &SampleOptions,
    out: &mut Vec<(Option<String>, Vec<u8>)>,
) {
    let bulk = |v: Value| match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(t) => Some(t.into_bytes()),
        _ => None,
    };
    match (ty, reply) {
        ("string", Value::BulkString(b)) => out.push((None, b)),
        ("hash", Value::Array(mut parts)) if parts.len() == 2 => {
            if let Some(Value::Array(items)) = parts.pop() {
                let mut it = items.into_iter();
                while let (Some(f), Some(v)) = (it.next(), it.next()) {
                    if let (Some(f), Some(v)) = (bulk(f), bulk(v)) {
                        out.push((
                            Some(String::from_utf8_lossy(&f).into_owned()),
                            truncate(v, s.max_bytes),
                        ));
                    }
                }
            }
        }
        ("set", Value::Array(mut parts)) if parts.len() == 2 => {
            if let Some(Value::Array(items)) = parts.pop() {
                out.extend(
                    items
                        .into_iter()
                        .filter_map(bulk)
                        .map(|b| (None, truncate(b, s.max_bytes))),
                );
            }
        }
        ("list" | "zset", Value::Array(items)) => {
            out.extend(
                items
                    .into_iter()
                    .filter_map(bulk)
                    .map(|b| (None, truncate(b, s.max_bytes))),
            );
        }
        ("stream", Value::Array(entries)) => {
            for e in entries {
                if let Value::Array(mut idf) = e {
                    if let Some(Value::Array(kv)) = idf.pop() {
                        let mut it = kv.into_iter();
                        while let (Some(f), Some(v)) = (it.next(), it.next()) {
                            if let (Some(f), Some(v)) = (bulk(f), bulk(v)) {
                                out.push((
                                    Some(String::from_utf8_lossy(&f).into_owned()),
                                    truncate(v, s.max_bytes),
                                ));
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn truncate(mut b: Vec<u8>, max: usize) -> Vec<u8> {
    b.truncate(max);
    b
}

fn sorted(spaces: &HashMap<String, Namespace>) -> Vec<Namespace> {
    let mut v: Vec<Namespace> = spaces.values().cloned().collect();
    v.sort_by(|a, b| b.keys.cmp(&a.keys).then_with(|| a.pattern.cmp(&b.pattern)));
    v
}

fn snapshot(census: &Census, spaces: &HashMap<String, Namespace>) -> Census {
    Census {
        namespaces: sorted(spaces),
        ..census.clone()
    }
}

fn finish(
    mut census: Census,
    spaces: HashMap<String, Namespace>,
    started: Instant,
    complete: bool,
) -> Census {
    census.namespaces = sorted(&spaces);
    census.elapsed_ms = started.elapsed().as_millis() as u64;
    census.complete = complete;
    census
}

/// Watches the server's load from another connection: a census pauses
/// while other clients send more than the threshold.
struct BusyWatch {
    con: Option<MultiplexedConnection>,
    threshold: u32,
    last_check: Option<Instant>,
    paused: bool,
}

impl BusyWatch {
    fn new(con: Option<MultiplexedConnection>, threshold: u32) -> BusyWatch {
        BusyWatch {
            con,
            threshold,
            last_check: None,
            paused: false,
        }
    }

    async fn should_pause(&mut self, our_commands: u64, started: Instant) -> bool {
        let Some(con) = self.con.as_mut() else {
            return false;
        };
        if self.threshold == 0 {
            return false;
        }
        if self
            .last_check
            .is_some_and(|t| t.elapsed() < Duration::from_millis(500))
            && !self.paused
        {
            return false;
        }
        self.last_check = Some(Instant::now());
        let info: String = match redis::cmd("INFO").arg("stats").query_async(con).await {
            Ok(i) => i,
            Err(_) => return false,
        };
        let ops: f64 = info
            .lines()
            .find_map(|l| l.trim().strip_prefix("instantaneous_ops_per_sec:"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let ours = our_commands as f64 / started.elapsed().as_secs_f64().max(0.001);
        self.paused = ops - ours > f64::from(self.threshold);
        self.paused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_redis() {
        assert!(glob_match(
            b"app:*:user_session_domain:*",
            b"app:production:user_session_domain:a@b.fr"
        ));
        assert!(glob_match(b"otp:*", b"otp:0612345678"));
        assert!(!glob_match(b"otp:*", b"xotp:1"));
        assert!(glob_match(b"u?er", b"user"));
        assert!(glob_match(b"a\\*b", b"a*b"));
        assert!(!glob_match(b"a\\*b", b"axb"));
        assert!(glob_match(
            b"**********x",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaax"
        ));
    }

    #[test]
    fn person_patterns_become_globs() {
        assert_eq!(person_glob("user:{user_id}:*"), "user:*:*");
        assert_eq!(
            person_glob("app:*:user_session_domain:{email}"),
            "app:*:user_session_domain:*"
        );
    }

    #[test]
    fn ttl_buckets() {
        assert_eq!(ttl_bucket(-1), 0);
        assert_eq!(ttl_bucket(59_000), 1);
        assert_eq!(ttl_bucket(2 * 86_400_000), 3);
        assert_eq!(ttl_bucket(8 * 86_400_000), 4);
        assert_eq!(ttl_bucket(400 * 86_400_000), 6);
    }

    #[test]
    fn the_budget_spreads_commands_over_time() {
        let mut b = Budget::new(1000);
        assert!(b.take(100).is_zero());
        let w = b.take(1000);
        assert!(
            w >= Duration::from_millis(900) && w <= Duration::from_millis(1100),
            "{w:?}"
        );
        assert!(Budget::new(0).take(1_000_000).is_zero());
    }
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
