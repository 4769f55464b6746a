//! Bounded reads of values, a few per namespace, searched by the detector:
//! a string's first bytes (`GETRANGE`), a collection's first page read
//! within a byte budget ([`values::Reader`]: windows sized by `MEMORY
//! USAGE` over the length, each element cut as it arrives), the reads of
//! many keys pipelined together within a budget of their own.

use std::collections::HashMap;

use redis::aio::MultiplexedConnection;
use redis::Value;

use super::model::*;
use crate::pii::{Detector, Kind};
use crate::redis::values::{self, Budget, Extent, Reader};

/// Bytes the page of one sampled collection receives, about.
pub const SAMPLE_KEY_BYTES: usize = 64 * 1024;

/// Bytes expected back from one pipeline of sample reads, about: keys
/// with big elements are read a few at a time, one alone when its
/// elements are bigger than this.
pub const SAMPLE_ROUND_BYTES: usize = 1024 * 1024;

pub(super) async fn sample_values(
    con: &mut MultiplexedConnection,
    detector: &Detector,
    s: &SampleOptions,
    keys: &[(String, Vec<u8>, String)],
    spaces: &mut HashMap<String, Namespace>,
    census: &mut Census,
) -> redis::RedisResult<()> {
    // One pipeline: a string's first bytes, a collection's length and
    // memory; nothing for another type.
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    let mut sent = 0usize;
    for (_, key, ty) in keys {
        let before = pipe.cmd_iter().count();
        if ty == "string" {
            pipe.cmd("GETRANGE")
                .arg(key)
                .arg(0)
                .arg(s.max_bytes.saturating_sub(1));
        } else {
            values::size_commands(&mut pipe, ty, key);
        }
        sent += pipe.cmd_iter().count() - before;
    }
    let replies: Vec<Value> = if sent == 0 {
        Vec::new()
    } else {
        pipe.query_async(con).await?
    };
    census.commands += sent as u64;
    let budget = Budget {
        page: SAMPLE_KEY_BYTES,
        element: s.max_bytes.max(1),
        elements: s.max_elements.max(1),
    };
    let mut fields: Vec<Vec<(Option<String>, Vec<u8>)>> = vec![Vec::new(); keys.len()];
    let mut readers = Vec::new();
    let mut owners = Vec::new();
    let mut replies = replies.into_iter();
    for (i, (_, key, ty)) in keys.iter().enumerate() {
        if ty == "string" {
            if let Some(Value::BulkString(b)) = replies.next() {
                fields[i].push((None, b));
            }
            continue;
        }
        let (Some(len), Some(memory)) = (replies.next(), replies.next()) else {
            continue;
        };
        let (len, memory) = values::sizes(&len, &memory);
        if let Some(r) = Reader::new(key, ty, len, memory, None, budget) {
            readers.push(r);
            owners.push(i);
        }
    }
    census.commands += values::run_readers(con, &mut readers, SAMPLE_ROUND_BYTES).await?;
    for (i, r) in owners.into_iter().zip(readers) {
        for e in r.items {
            if !matches!(e.extent, Extent::NotRead { .. }) {
                let field = e.field.map(|f| String::from_utf8_lossy(&f).into_owned());
                fields[i].push((field, e.bytes));
            }
        }
    }
    for ((pattern, _, _), fields) in keys.iter().zip(fields) {
        let Some(ns) = spaces.get_mut(pattern) else {
            continue;
        };
        ns.sampled += 1;
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
