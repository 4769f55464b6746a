//! Bounded reads of values, a few per namespace, searched by the detector.

use std::collections::HashMap;

use redis::aio::MultiplexedConnection;
use redis::Value;

use super::model::*;
use crate::pii::{Detector, Kind};

pub(super) async fn sample_values(
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
