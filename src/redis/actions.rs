//! Remediation, for write mode only: give keys a TTL, or remove them with
//! `UNLINK` (never `DEL`), for one key or every key of a namespace. Each
//! change is made by a command that re-checks its condition on the server
//! (`EXPIRE … NX` only sets a TTL where there is none, `EXPIRE … LT` only
//! shortens one), so a key that changed since it was counted is left alone.
//! Namespaces are walked with `SCAN MATCH … COUNT`, in pipelined batches,
//! within the load budget, cancellable; the report holds counts, never key
//! names.

use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::Value;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

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

/// What a remediation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub action: String,
    pub pattern: String,
    pub scanned: u64,
    pub changed: u64,
    /// Keys that matched but already satisfied the condition, or vanished.
    pub unchanged: u64,
    pub complete: bool,
    pub elapsed_ms: u64,
}

/// Progress while a namespace is being changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub scanned: u64,
    pub changed: u64,
}

/// Commands per second at most; a pause between batches keeps to it.
async fn pace(ops: usize, per_sec: u32, cancel: &CancellationToken) -> bool {
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

/// Give every key of `glob` a TTL of `ttl` (see [`TtlScope`]).
#[allow(clippy::too_many_arguments)]
pub async fn expire_namespace(
    con: &mut MultiplexedConnection,
    glob: &[u8],
    pattern: &str,
    ttl: Duration,
    scope: TtlScope,
    scan_count: u32,
    max_ops_per_sec: u32,
    cancel: &CancellationToken,
    mut progress: impl FnMut(Step),
) -> redis::RedisResult<Report> {
    let secs = ttl.as_secs().max(1);
    let mut report = Report {
        action: format!(
            "expire {}s ({})",
            secs,
            match scope {
                TtlScope::NoTtl => "keys without TTL",
                TtlScope::NoTtlOrLonger => "keys without TTL or with a longer one",
            }
        ),
        pattern: pattern.to_string(),
        ..Report::default()
    };
    walk(
        con,
        glob,
        scan_count,
        max_ops_per_sec,
        cancel,
        &mut report,
        &mut progress,
        |pipe, key| {
            pipe.cmd("EXPIRE").arg(key).arg(secs).arg("NX");
            if scope == TtlScope::NoTtlOrLonger {
                pipe.cmd("EXPIRE").arg(key).arg(secs).arg("LT");
            }
        },
    )
    .await?;
    Ok(report)
}

/// `UNLINK` every key of `glob`.
pub async fn unlink_namespace(
    con: &mut MultiplexedConnection,
    glob: &[u8],
    pattern: &str,
    scan_count: u32,
    max_ops_per_sec: u32,
    cancel: &CancellationToken,
    mut progress: impl FnMut(Step),
) -> redis::RedisResult<Report> {
    let mut report = Report {
        action: "unlink".into(),
        pattern: pattern.to_string(),
        ..Report::default()
    };
    walk(
        con,
        glob,
        scan_count,
        max_ops_per_sec,
        cancel,
        &mut report,
        &mut progress,
        |pipe, key| {
            pipe.cmd("UNLINK").arg(key);
        },
    )
    .await?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn walk(
    con: &mut MultiplexedConnection,
    glob: &[u8],
    scan_count: u32,
    max_ops_per_sec: u32,
    cancel: &CancellationToken,
    report: &mut Report,
    progress: &mut impl FnMut(Step),
    add: impl Fn(&mut redis::Pipeline, &[u8]),
) -> redis::RedisResult<()> {
    let started = Instant::now();
    let mut cursor = 0u64;
    loop {
        if cancel.is_cancelled() {
            break;
        }
        let (next, keys) = super::values::scan_match(con, cursor, glob, scan_count).await?;
        cursor = next;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for k in &keys {
                add(&mut pipe, k);
            }
            let replies: Vec<Value> = pipe.query_async(con).await?;
            let changed = ones(&replies);
            report.scanned += keys.len() as u64;
            report.changed += changed;
            if !pace(replies.len() + 1, max_ops_per_sec, cancel).await {
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
    report.unchanged = report.scanned.saturating_sub(report.changed);
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(())
}

/// One key: `UNLINK`.
pub async fn unlink_key(con: &mut MultiplexedConnection, key: &[u8]) -> redis::RedisResult<bool> {
    let n: i64 = redis::cmd("UNLINK").arg(key).query_async(con).await?;
    Ok(n == 1)
}
