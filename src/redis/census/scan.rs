//! The walk: `SCAN` batches within the load budget, pipelined `TYPE`,
//! `PTTL`, `MEMORY USAGE`, key names folded and searched, progress.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use redis::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::model::*;
use super::sample::sample_values;
use crate::pii::{self, Detector, Kind};
use crate::redis::wire::{Reply, Wire};

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

/// The census's connections to one node: the general client (the first
/// commands, value sampling) and, when the URL allows, a plain connection
/// of its own for the batches ([`super::wire`]).
pub struct Links {
    pub con: MultiplexedConnection,
    pub wire: Option<Wire>,
}

impl Links {
    /// What the next batch is fetched with: the own connection if there is
    /// one (it is lent until [`Links::put_back`]), else the general client.
    fn fetcher(&mut self) -> Fetcher {
        match self.wire.take() {
            Some(w) => Fetcher::Wire(Box::new(w)),
            None => Fetcher::Client(self.con.clone()),
        }
    }

    fn put_back(&mut self, f: Fetcher) {
        if let Fetcher::Wire(w) = f {
            self.wire = Some(*w);
        }
    }
}

/// Opens a node's [`Links`] again after a fault (a connection that went
/// away, or one that a timeout left with replies in flight).
pub type Reopen = dyn Fn() -> BoxFuture<'static, anyhow::Result<Links>> + Send + Sync;

/// Why a step failed, and whether it is worth waiting out.
#[derive(Debug)]
struct Fault {
    text: String,
    transient: bool,
}

/// Error codes of a server that is there but cannot answer yet.
fn busy_code(code: &str) -> bool {
    matches!(
        code,
        "LOADING" | "BUSY" | "TRYAGAIN" | "MASTERDOWN" | "CLUSTERDOWN"
    )
}

impl From<redis::RedisError> for Fault {
    fn from(e: redis::RedisError) -> Fault {
        if e.is_timeout() {
            return Fault {
                text: "Redis did not answer within the command timeout".into(),
                transient: true,
            };
        }
        Fault {
            transient: e.is_io_error()
                || e.is_connection_dropped()
                || e.is_connection_refusal()
                || e.code().is_some_and(busy_code),
            text: e.to_string(),
        }
    }
}

impl From<anyhow::Error> for Fault {
    /// The census's own connection, or opening the connections again:
    /// whatever failed there, a new connection may not.
    fn from(e: anyhow::Error) -> Fault {
        Fault {
            text: format!("{e:#}"),
            transient: true,
        }
    }
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

/// A fetched batch, or why not, with the fetcher that fetched it.
type Fetched = (Fetcher, Result<Option<Batch>, Fault>);

/// What every batch of a census is fetched with: its size, the load
/// budget (shared with value sampling), the cancellation token.
#[derive(Clone)]
struct Batches {
    scan_count: u32,
    budget: std::sync::Arc<std::sync::Mutex<Budget>>,
    cancel: CancellationToken,
}

impl Batches {
    /// Fetch the batch at `cursor` in a task of its own; the fetcher comes
    /// back with the result, for the next batch.
    fn spawn(&self, mut fetcher: Fetcher, cursor: u64, memory: bool) -> JoinHandle<Fetched> {
        let me = self.clone();
        tokio::spawn(async move {
            let r = me.fetch(&mut fetcher, cursor, memory).await;
            (fetcher, r)
        })
    }

    /// Fetch on the links' fetcher, which is kept when it worked.
    async fn fetch_on(
        &self,
        links: &mut Links,
        cursor: u64,
        memory: bool,
    ) -> Result<Option<Batch>, Fault> {
        let mut f = links.fetcher();
        let r = self.fetch(&mut f, cursor, memory).await;
        if r.is_ok() {
            links.put_back(f);
        }
        r
    }

    /// `SCAN` from `cursor`, then one pipeline for its keys within the
    /// budget. `None` when cancelled while waiting for the budget.
    async fn fetch(
        &self,
        fetcher: &mut Fetcher,
        cursor: u64,
        memory: bool,
    ) -> Result<Option<Batch>, Fault> {
        let (scan_count, budget, cancel) = (self.scan_count, &self.budget, &self.cancel);
        let (next, keys): (u64, Vec<Vec<u8>>) = match fetcher {
            Fetcher::Client(con) => {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(scan_count)
                    .query_async(con)
                    .await?
            }
            Fetcher::Wire(w) => w.scan(cursor, scan_count).await?,
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
                w.exchange(batch.keys.len() * per_key).await?
            }
        };
        // A server busy with a script, or loading, answers every command with
        // an error: the batch is fetched again, not counted as vanished keys.
        let busy = batch.replies.iter().find_map(|r| match r {
            Reply::Error(code) if busy_code(code) => Some(code.clone()),
            _ => None,
        });
        if let Some(code) = busy {
            return Err(Fault {
                text: format!("the server answered {code}"),
                transient: true,
            });
        }
        batch.commands += (batch.keys.len() * per_key) as u64;
        Ok(Some(batch))
    }
}

/// What a census says when it was cancelled.
pub const CANCELLED: &str = "cancelled";

/// The faults of one census: how often the step at hand failed, since
/// when, and how many tries were made again in all.
struct Retry<'a> {
    policy: RetryPolicy,
    reopen: Option<&'a Reopen>,
    failures: u32,
    since: Option<Instant>,
    retries: u64,
}

impl<'a> Retry<'a> {
    fn new(policy: RetryPolicy, reopen: Option<&'a Reopen>) -> Self {
        Retry {
            policy,
            reopen,
            failures: 0,
            since: None,
            retries: 0,
        }
    }

    /// The step was answered: the next fault starts a new count.
    fn ok(&mut self) {
        self.failures = 0;
        self.since = None;
    }

    /// After `fault` in the step `what`: wait (cancellable), open the
    /// connections again, and return so that the step is tried once more;
    /// or say why the census stops (a lasting fault, the bound reached,
    /// or cancelled). `notify` hears of each wait.
    async fn wait_out(
        &mut self,
        what: &str,
        mut fault: Fault,
        links: &mut Links,
        cancel: &CancellationToken,
        notify: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), String> {
        loop {
            if !fault.transient {
                return Err(format!("{what}: {}", fault.text));
            }
            self.failures += 1;
            let since = *self.since.get_or_insert_with(Instant::now);
            let wait = self.policy.wait(self.failures);
            if self.failures >= self.policy.tries.max(1)
                || since.elapsed() + wait > self.policy.within
            {
                return Err(format!(
                    "{what}: {} (gave up after {} {} in {:.1}s)",
                    fault.text,
                    self.failures,
                    if self.failures == 1 { "try" } else { "tries" },
                    since.elapsed().as_secs_f64()
                ));
            }
            self.retries += 1;
            tracing::warn!(step = what, error = %fault.text, failures = self.failures, wait_ms = wait.as_millis() as u64, "census: a fault, trying again");
            notify(format!(
                "{what}: {} · try {} of {} in {}",
                fault.text,
                self.failures + 1,
                self.policy.tries,
                crate::show::ttl_text(wait.as_millis() as i64)
            ));
            tokio::select! {
                _ = cancel.cancelled() => return Err(CANCELLED.into()),
                _ = tokio::time::sleep(wait) => {}
            }
            let Some(reopen) = self.reopen else {
                // The same connections again; the own one, if it was lent
                // out when the fault came, is not: the general client
                // fetches the batches from now on.
                return Ok(());
            };
            match reopen().await {
                Ok(l) => {
                    *links = l;
                    return Ok(());
                }
                Err(e) => fault = e.into(),
            }
        }
    }
}

/// A key to sample at the end of the scan: its order, name and type.
type Candidate = (u64, Vec<u8>, String);

/// Values sampled in one pipeline at most.
const SAMPLE_CHUNK: usize = 500;

/// Fold one batch into the namespaces; returns the keys to sample.
fn absorb(
    batch: &Batch,
    opts: &CensusOptions,
    keys: &mut pii::keys::KeyAnalyzer,
    memory: &mut bool,
    census: &mut Census,
    spaces: &mut HashMap<String, Namespace>,
    smallest: &mut HashMap<String, Vec<Candidate>>,
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
        // Which keys are sampled depends on their names only, never on the
        // order SCAN returns them (which changes with the server's hash
        // seed): the same data gives the same sample, so two censuses of it
        // compare equal. A share by hash now; each namespace's keys of
        // smallest hash at the end of the scan.
        if let Some(s) = &opts.sample {
            let h = key_hash(key);
            if h % 1000 < s.per_mille {
                to_sample.push((pattern, key.clone(), ty.to_string()));
            } else if s.first_per_namespace > 0 {
                let slot = smallest.entry(pattern).or_default();
                // Ordered by other bits than the share's, so the two pick apart.
                let order = u64::from(h.rotate_left(16));
                keep_smallest(
                    slot,
                    (order, key.clone(), ty.to_string()),
                    s.first_per_namespace as usize,
                );
            }
        }
    }
    to_sample
}

/// Keep in `slot` the `n` candidates of smallest (hash, key), each key once.
fn keep_smallest(slot: &mut Vec<Candidate>, c: Candidate, n: usize) {
    if slot.iter().any(|s| s.1 == c.1) {
        return;
    }
    if slot.len() < n {
        slot.push(c);
        return;
    }
    if let Some((i, max)) = slot
        .iter()
        .enumerate()
        .max_by(|a, b| (a.1 .0, &a.1 .1).cmp(&(b.1 .0, &b.1 .1)))
    {
        if (c.0, &c.1) < (max.0, &max.1) {
            slot[i] = c;
        }
    }
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
    progress: impl FnMut(Progress) + Send,
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
    progress: impl FnMut(Progress) + Send,
) -> redis::RedisResult<Census> {
    let links = Links {
        con: con.clone(),
        wire,
    };
    run_node(links, None, monitor, node, opts, cancel, progress).await
}

/// [`run_with`] on `links`, which `reopen` (when given) opens again after
/// a fault.
///
/// A step that meets a fault worth waiting out (a timeout, a dropped
/// connection, `LOADING`, `BUSY`) is tried again within
/// [`CensusOptions::retry`], on new connections, from the same `SCAN`
/// cursor (a cursor is the server's position, not the connection's). When
/// the census stops all the same, or is cancelled, what was counted comes
/// back with `complete: false` and the reason in [`Census::stopped`]. An
/// error only when `DBSIZE`, the first command, is never answered.
pub async fn run_node(
    mut links: Links,
    reopen: Option<&Reopen>,
    monitor: Option<MultiplexedConnection>,
    node: &str,
    opts: &CensusOptions,
    cancel: &CancellationToken,
    mut progress: impl FnMut(Progress) + Send,
) -> redis::RedisResult<Census> {
    let started = Instant::now();
    let detector = Detector::global();
    let mut retry = Retry::new(opts.retry, reopen);
    let mut census = Census {
        node: node.to_string(),
        started_at: chrono::Utc::now().to_rfc3339(),
        ..Census::default()
    };
    let mut spaces: HashMap<String, Namespace> = HashMap::new();
    let dbsize: u64 = loop {
        let fault = match redis::cmd("DBSIZE").query_async(&mut links.con).await {
            Ok(n) => break n,
            Err(e) => e.into(),
        };
        match retry
            .wait_out("DBSIZE", fault, &mut links, cancel, &mut |_| {})
            .await
        {
            Ok(()) => {}
            Err(why) if why == CANCELLED => {
                return Ok(finish(census, spaces, started, &retry, Some(why)))
            }
            Err(why) => return Err(std::io::Error::other(why).into()),
        }
    };
    retry.ok();
    let db = current_db(&mut links.con).await.unwrap_or(0);
    census.dbsize = dbsize;
    census.db = db;
    match redis::cmd("INFO")
        .arg("keyspace")
        .query_async::<String>(&mut links.con)
        .await
    {
        Ok(info) => {
            census.other_dbs = crate::redis::overview::parse_info(&info)
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
    let batches = Batches {
        scan_count: opts.scan_count,
        budget: std::sync::Arc::new(std::sync::Mutex::new(Budget::new(opts.max_ops_per_sec))),
        cancel: cancel.clone(),
    };
    census.route = if links.wire.is_some() {
        "own connection"
    } else {
        "general client"
    }
    .to_string();
    let mut memory = opts.memory;
    let mut last_report = Instant::now();
    let mut busy = BusyWatch::new(monitor, opts.pause_above_ops_per_sec);
    let mut analyzer = pii::keys::KeyAnalyzer::new(&opts.delimiters);
    let mut smallest: HashMap<String, Vec<Candidate>> = HashMap::new();
    // The batch at `cursor` is fetched by its own task while the one
    // before is folded (`ahead`), so that the server works through its
    // pipeline meanwhile (a future joined here would wait for the folding
    // to be polled again).
    let mut ahead: Option<JoinHandle<Fetched>> = None;
    let mut cursor = 0u64;
    loop {
        let mut fetched = match ahead.take() {
            Some(task) => match task.await {
                Ok((f, Ok(b))) => {
                    links.put_back(f);
                    Ok(b)
                }
                Ok((_failed, Err(fault))) => Err(fault),
                Err(e) => Err(Fault {
                    text: format!("census batch task failed: {e}"),
                    transient: false,
                }),
            },
            None => {
                if cancel.is_cancelled() {
                    Ok(None)
                } else {
                    batches.fetch_on(&mut links, cursor, memory).await
                }
            }
        };
        let batch = loop {
            let fault = match fetched {
                Ok(Some(b)) => break b,
                Ok(None) => return Ok(cancelled(census, spaces, started, &retry)),
                Err(fault) => fault,
            };
            let mut notify = |f: String| progress(progress_of(&census, &spaces, false, Some(f)));
            if let Err(why) = retry
                .wait_out("a SCAN batch", fault, &mut links, cancel, &mut notify)
                .await
            {
                return Ok(finish(census, spaces, started, &retry, Some(why)));
            }
            fetched = batches.fetch_on(&mut links, cursor, memory).await;
        };
        retry.ok();
        census.commands += batch.commands;
        census.paused_ms += batch.paused_ms;
        // Pause while others keep the server busy; stop when asked.
        while batch.next != 0 && busy.should_pause(census.commands, started).await {
            let t = Instant::now();
            progress(progress_of(&census, &spaces, true, None));
            tokio::select! {
                _ = cancel.cancelled() => return Ok(cancelled(census, spaces, started, &retry)),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            census.paused_ms += t.elapsed().as_millis() as u64;
        }
        if cancel.is_cancelled() {
            return Ok(cancelled(census, spaces, started, &retry));
        }
        cursor = batch.next;
        if cursor != 0 {
            ahead = Some(batches.spawn(links.fetcher(), cursor, memory));
        }
        let mut to_sample = absorb(
            &batch,
            opts,
            &mut analyzer,
            &mut memory,
            &mut census,
            &mut spaces,
            &mut smallest,
        );
        if cursor == 0 {
            // The whole keyspace is seen: each namespace's keys of smallest hash.
            let mut end: Vec<(String, Vec<u8>, String)> = smallest
                .drain()
                .flat_map(|(p, keys)| keys.into_iter().map(move |(_, k, t)| (p.clone(), k, t)))
                .collect();
            end.sort();
            to_sample.extend(end);
        }
        for to_sample in to_sample.chunks(SAMPLE_CHUNK) {
            if let (Some(s), false) = (&opts.sample, to_sample.is_empty()) {
                let wait = batches
                    .budget
                    .lock()
                    .map(|mut b| b.take(to_sample.len()))
                    .unwrap_or_default();
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                // Nothing is counted before the whole pipeline is answered, so
                // trying it again counts each value once.
                loop {
                    let fault = match sample_values(
                        &mut links.con,
                        detector,
                        s,
                        to_sample,
                        &mut spaces,
                        &mut census,
                    )
                    .await
                    {
                        Ok(()) => break,
                        Err(e) => e.into(),
                    };
                    let mut notify =
                        |f: String| progress(progress_of(&census, &spaces, false, Some(f)));
                    if let Err(why) = retry
                        .wait_out("value sampling", fault, &mut links, cancel, &mut notify)
                        .await
                    {
                        if let Some(task) = ahead.take() {
                            task.abort();
                        }
                        return Ok(finish(census, spaces, started, &retry, Some(why)));
                    }
                }
                retry.ok();
            }
        }
        if last_report.elapsed() >= Duration::from_millis(200) {
            last_report = Instant::now();
            progress(progress_of(&census, &spaces, false, None));
        }
        if cursor == 0 {
            break;
        }
    }
    let done = finish(census, spaces, started, &retry, None);
    progress(Progress {
        scanned: done.scanned,
        dbsize,
        paused: false,
        fault: None,
        partial: done.clone(),
    });
    Ok(done)
}

/// Progress so far: paused by the load watch, or waiting out a fault.
fn progress_of(
    census: &Census,
    spaces: &HashMap<String, Namespace>,
    paused: bool,
    fault: Option<String>,
) -> Progress {
    Progress {
        scanned: census.scanned,
        dbsize: census.dbsize,
        paused,
        fault,
        partial: snapshot(census, spaces),
    }
}

/// The census as it stands when cancelled.
fn cancelled(
    census: Census,
    spaces: HashMap<String, Namespace>,
    started: Instant,
    retry: &Retry,
) -> Census {
    finish(census, spaces, started, retry, Some(CANCELLED.into()))
}

/// The key with its personal parts masked, for an example.
fn masked_key(text: &str, hits: &[pii::Hit]) -> String {
    let spans: Vec<(Kind, std::ops::Range<usize>)> =
        hits.iter().map(|h| (h.kind, h.span.clone())).collect();
    crate::redis::values::masked(text, &spans)
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

/// The census as it stands: complete unless `stopped` says why not.
fn finish(
    mut census: Census,
    spaces: HashMap<String, Namespace>,
    started: Instant,
    retry: &Retry,
    stopped: Option<String>,
) -> Census {
    census.namespaces = sorted(&spaces);
    census.elapsed_ms = started.elapsed().as_millis() as u64;
    census.retries = retry.retries;
    census.complete = stopped.is_none();
    census.stopped = stopped;
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
