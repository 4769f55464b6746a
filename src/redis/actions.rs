//! Remediation, for write mode only: give keys a TTL, or remove them with
//! `UNLINK` (never `DEL`), for one key or every key of a namespace. Each
//! change is made by a command that re-checks its condition on the server
//! (`EXPIRE … NX` only sets a TTL where there is none, `EXPIRE … LT` only
//! shortens one), so a key that changed since it was counted is left alone.
//! Namespaces are walked with `SCAN MATCH … COUNT`, in pipelined batches,
//! within the load budget, cancellable; of the keys the glob finds, only
//! those that fold to the namespace exactly are changed ([`Target`]), so
//! `user:{int}:cart` leaves `user:a:b:cart` alone, and the census's
//! `{other}` bucket is no target at all. A dry run ([`plan_namespace`])
//! counts what a change would do first. The report holds counts, never
//! key names.

use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::Value;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::keypattern::{KeyPattern, BUCKET};

/// The namespace a change acts on: its glob finds the candidates, and a
/// key is changed only if it belongs to the namespace (it folds to it
/// with the census's delimiters).
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pattern: KeyPattern<'a>,
    glob: Vec<u8>,
    delimiters: Vec<u8>,
}

/// Why a pattern is no [`Target`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The census's `{other}` bucket.
    Bucket,
    /// Not a pattern the census writes: no key folds to it. (What it
    /// folds to is a pattern, which holds no personal data.)
    NotANamespace { folds_to: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Bucket => write!(
                f,
                "{BUCKET} is where the census put the namespaces past its limit, not a namespace: act on one of them"
            ),
            Refusal::NotANamespace { folds_to } => write!(
                f,
                "that is not a namespace as the census writes them (it folds to {folds_to})"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

impl<'a> Target<'a> {
    /// The namespace `pattern`, with the census's `delimiters` (empty:
    /// `:`); refused if it is the `{other}` bucket or not a namespace.
    pub fn new(pattern: &'a str, delimiters: &[u8]) -> Result<Target<'a>, Refusal> {
        let ns = KeyPattern::namespace(pattern);
        if ns.is_bucket() {
            return Err(Refusal::Bucket);
        }
        let folds_to = crate::pii::keys::pattern(pattern.as_bytes(), delimiters);
        if folds_to != pattern {
            return Err(Refusal::NotANamespace { folds_to });
        }
        Ok(Target {
            pattern: ns,
            glob: ns.glob(),
            delimiters: delimiters.to_vec(),
        })
    }

    pub fn pattern(&self) -> &'a str {
        self.pattern.as_str()
    }

    /// The `SCAN MATCH` glob that finds its keys (and maybe others).
    pub fn glob(&self) -> &[u8] {
        &self.glob
    }

    pub fn belongs(&self, key: &[u8]) -> bool {
        self.pattern.belongs(key, &self.delimiters)
    }
}

/// Which keys of a namespace get the new TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TtlScope {
    /// Only keys with no TTL (`EXPIRE … NX`).
    NoTtl,
    /// Keys with no TTL, and keys whose TTL is longer than the new one
    /// (`EXPIRE … NX`, then `EXPIRE … LT`).
    NoTtlOrLonger,
}

/// What a remediation did, or with `dry_run` would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub action: String,
    pub pattern: String,
    /// Keys the namespace's glob found.
    pub scanned: u64,
    /// Of those, keys of other namespaces, left alone.
    pub outside: u64,
    /// Keys of the namespace changed (with `dry_run`: that would change).
    pub changed: u64,
    /// Keys of the namespace that already satisfied the condition, or vanished.
    pub unchanged: u64,
    pub complete: bool,
    pub elapsed_ms: u64,
    /// Counted, nothing changed ([`plan_namespace`]).
    pub dry_run: bool,
}

impl Report {
    /// Keys of the namespace itself.
    pub fn in_namespace(&self) -> u64 {
        self.scanned.saturating_sub(self.outside)
    }
}

/// Progress while a namespace is being changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub scanned: u64,
    pub changed: u64,
}

/// Commands per second at most; a pause between batches keeps to it.
pub async fn pace(ops: usize, per_sec: u32, cancel: &CancellationToken) -> bool {
    if per_sec == 0 {
        return !cancel.is_cancelled();
    }
    let wait = Duration::from_secs_f64(ops as f64 / f64::from(per_sec));
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(wait) => true,
    }
}

fn ones(replies: &[Value]) -> u64 {
    replies
        .iter()
        .filter(|v| matches!(v, Value::Int(1)))
        .count() as u64
}

/// A namespace change, as [`change_namespace`] and [`plan_namespace`] take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Give keys a TTL (see [`TtlScope`]).
    Expire { ttl: Duration, scope: TtlScope },
    /// `UNLINK` them.
    Unlink,
}

impl Change {
    fn action(self) -> String {
        match self {
            Change::Expire { ttl, scope } => format!(
                "expire {}s ({})",
                secs(ttl),
                match scope {
                    TtlScope::NoTtl => "keys without TTL",
                    TtlScope::NoTtlOrLonger => "keys without TTL or with a longer one",
                }
            ),
            Change::Unlink => "unlink".into(),
        }
    }
}

fn secs(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}

/// The load budget and the batch size of a walk.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub scan_count: u32,
    /// Commands per second at most; 0 for none.
    pub max_ops_per_sec: u32,
}

/// Make `change` to every key of `target`.
pub async fn change_namespace(
    con: &mut MultiplexedConnection,
    target: &Target<'_>,
    change: Change,
    pace: Pace,
    cancel: &CancellationToken,
    mut progress: impl FnMut(Step),
) -> redis::RedisResult<Report> {
    let mut report = Report {
        action: change.action(),
        pattern: target.pattern().to_string(),
        ..Report::default()
    };
    let add = |pipe: &mut redis::Pipeline, key: &[u8]| match change {
        Change::Expire { ttl, scope } => {
            pipe.cmd("EXPIRE").arg(key).arg(secs(ttl)).arg("NX");
            if scope == TtlScope::NoTtlOrLonger {
                pipe.cmd("EXPIRE").arg(key).arg(secs(ttl)).arg("LT");
            }
        }
        Change::Unlink => {
            pipe.cmd("UNLINK").arg(key);
        }
    };
    let tally = |replies: &[Value], _: usize| ones(replies);
    walk(
        con,
        target,
        pace,
        cancel,
        &mut report,
        &mut progress,
        add,
        tally,
    )
    .await?;
    Ok(report)
}

/// Count what [`change_namespace`] would change, changing nothing: the
/// keys of the namespace, and for a TTL those whose `PTTL` qualifies.
pub async fn plan_namespace(
    con: &mut MultiplexedConnection,
    target: &Target<'_>,
    change: Change,
    pace: Pace,
    cancel: &CancellationToken,
) -> redis::RedisResult<Report> {
    let mut report = Report {
        action: change.action(),
        pattern: target.pattern().to_string(),
        dry_run: true,
        ..Report::default()
    };
    // Unlink: every key of the namespace; a TTL: those whose PTTL
    // qualifies (-1: no TTL; -2: gone).
    let add = |pipe: &mut redis::Pipeline, key: &[u8]| {
        if let Change::Expire { .. } = change {
            pipe.cmd("PTTL").arg(key);
        }
    };
    let tally = |replies: &[Value], keys: usize| match change {
        Change::Expire { ttl, scope } => {
            let ttl_ms = i64::try_from(secs(ttl).saturating_mul(1000)).unwrap_or(i64::MAX);
            replies
                .iter()
                .filter(|v| match v {
                    Value::Int(-1) => true,
                    Value::Int(ms) => scope == TtlScope::NoTtlOrLonger && *ms > ttl_ms,
                    _ => false,
                })
                .count() as u64
        }
        Change::Unlink => keys as u64,
    };
    walk(
        con,
        target,
        pace,
        cancel,
        &mut report,
        &mut |_| {},
        add,
        tally,
    )
    .await?;
    Ok(report)
}

/// The `SCAN MATCH` walk of `target`: each batch's keys that belong to
/// the namespace get `add`'s commands, in one pipeline; `tally` counts
/// the changes in its replies (given the number of keys).
#[allow(clippy::too_many_arguments)]
async fn walk(
    con: &mut MultiplexedConnection,
    target: &Target<'_>,
    pace_with: Pace,
    cancel: &CancellationToken,
    report: &mut Report,
    progress: &mut impl FnMut(Step),
    add: impl Fn(&mut redis::Pipeline, &[u8]),
    tally: impl Fn(&[Value], usize) -> u64,
) -> redis::RedisResult<()> {
    let started = Instant::now();
    let mut cursor = 0u64;
    loop {
        if cancel.is_cancelled() {
            break;
        }
        let (next, keys) =
            super::values::scan_match(con, cursor, target.glob(), pace_with.scan_count).await?;
        cursor = next;
        if !keys.is_empty() {
            let mine: Vec<&[u8]> = keys
                .iter()
                .map(Vec::as_slice)
                .filter(|k| target.belongs(k))
                .collect();
            report.scanned += keys.len() as u64;
            report.outside += (keys.len() - mine.len()) as u64;
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for k in &mine {
                add(&mut pipe, k);
            }
            let replies: Vec<Value> = if pipe.cmd_iter().next().is_some() {
                pipe.query_async(con).await?
            } else {
                Vec::new()
            };
            report.changed += tally(&replies, mine.len());
            if !pace(replies.len() + 1, pace_with.max_ops_per_sec, cancel).await {
                break;
            }
            progress(Step {
                scanned: report.scanned,
                changed: report.changed,
            });
        }
        if cursor == 0 {
            report.complete = true;
            break;
        }
    }
    report.unchanged = report.in_namespace().saturating_sub(report.changed);
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(())
}

/// One key: `UNLINK`.
pub async fn unlink_key(con: &mut MultiplexedConnection, key: &[u8]) -> redis::RedisResult<bool> {
    let n: i64 = redis::cmd("UNLINK").arg(key).query_async(con).await?;
    Ok(n == 1)
}
