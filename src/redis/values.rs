//! Reading keys and values for the browser, always bounded: a page of key
//! names by `SCAN MATCH`, and a value read with ranges and caps
//! (`GETRANGE`, `HSCAN`, `LRANGE`, `SSCAN`, `ZRANGE`, `XRANGE … COUNT`).
//! Every line comes with the spans of the personal data in it, so the
//! screen can mask them until a person asks to reveal.

use std::io::Read;
use std::ops::Range;

use redis::aio::MultiplexedConnection;
use redis::Value;

use crate::pii::{self, Detector, Kind};

/// One key of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub key: Vec<u8>,
    pub ty: String,
    pub pttl_ms: i64,
    /// Spans of personal data in the key name (bytes of `key`).
    pub hits: Vec<(Kind, Range<usize>)>,
}

/// A page of keys matching a glob, from a SCAN cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPage {
    pub rows: Vec<KeyRow>,
    /// 0 when the scan is complete.
    pub next_cursor: u64,
}

/// One `SCAN cursor MATCH glob COUNT n`: the next cursor and the keys.
pub async fn scan_match(
    con: &mut MultiplexedConnection,
    cursor: u64,
    glob: &[u8],
    count: u32,
) -> redis::RedisResult<(u64, Vec<Vec<u8>>)> {
    redis::cmd("SCAN")
        .arg(cursor)
        .arg("MATCH")
        .arg(glob)
        .arg("COUNT")
        .arg(count)
        .query_async(con)
        .await
}

/// At least `want` keys matching `glob` (fewer at the end), starting at `cursor`.
pub async fn key_page(
    con: &mut MultiplexedConnection,
    glob: &[u8],
    cursor: u64,
    want: usize,
    scan_count: u32,
    delimiters: &[u8],
) -> redis::RedisResult<KeyPage> {
    let mut rows = Vec::new();
    let mut cursor = cursor;
    // Bounded: at most 50 SCAN calls per page, so a rare pattern on a huge
    // keyspace returns what it found and lets the person ask for more.
    for _ in 0..50 {
        let (next, keys) = scan_match(con, cursor, glob, scan_count).await?;
        cursor = next;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for k in &keys {
                pipe.cmd("TYPE").arg(k).cmd("PTTL").arg(k);
            }
            let replies: Vec<Value> = pipe.query_async(con).await?;
            for (i, key) in keys.into_iter().enumerate() {
                let ty = match replies.get(2 * i) {
                    Some(Value::SimpleString(s)) => s.clone(),
                    Some(Value::Okay) => "string".into(),
                    _ => "?".into(),
                };
                if ty == "none" {
                    continue;
                }
                let pttl_ms = match replies.get(2 * i + 1) {
                    Some(Value::Int(v)) => *v,
                    _ => -1,
                };
                let hits = pii::keys::key_hits(&key, delimiters)
                    .into_iter()
                    .map(|h| (h.kind, h.span))
                    .collect();
                rows.push(KeyRow {
                    key,
                    ty,
                    pttl_ms,
                    hits,
                });
            }
        }
        if cursor == 0 || rows.len() >= want {
            break;
        }
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(KeyPage {
        rows,
        next_cursor: cursor,
    })
}

/// One line of a value as shown, with the spans to mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueLine {
    /// Hash field, list index, stream entry id…: shown before the text.
    pub label: Option<String>,
    pub text: String,
    pub hits: Vec<(Kind, Range<usize>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueView {
    pub ty: String,
    pub pttl_ms: i64,
    /// Total elements or bytes, as the server counts them.
    pub length: Option<u64>,
    /// How the value was read: text, json, gzip+json, hex (binary)…
    pub encoding: String,
    pub lines: Vec<ValueLine>,
    /// More exists than was read.
    pub truncated: bool,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

/// Limits of a value read.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    pub max_bytes: usize,
    pub max_elements: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_bytes: 64 * 1024,
            max_elements: 200,
        }
    }
}

fn bulk(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.clone().into_bytes()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        Value::Double(d) => Some(d.to_string().into_bytes()),
        _ => None,
    }
}

fn line(label: Option<String>, text: String, context: Option<&str>) -> ValueLine {
    let hits = Detector::global()
        .scan_text(&text, context.or(label.as_deref()))
        .into_iter()
        .filter(|h| h.kind != Kind::FreeText)
        .map(|h| (h.kind, h.span))
        .collect();
    ValueLine { label, text, hits }
}

/// Decode bytes for display: gzip/zlib (bounded), JSON pretty-printed,
/// text as is, anything else as a hex dump. Returns (encoding, lines).
pub fn decode_for_display(bytes: &[u8], max_bytes: usize) -> (String, Vec<String>) {
    let (prefix, data) = match bytes {
        [0x1f, 0x8b, ..] => (
            "gzip+",
            inflate(flate2::read::GzDecoder::new(bytes), max_bytes),
        ),
        [0x78, 0x01 | 0x5e | 0x9c | 0xda, ..] => (
            "zlib+",
            inflate(flate2::read::ZlibDecoder::new(bytes), max_bytes),
        ),
        _ => ("", None),
    };
    let data = data.unwrap_or_else(|| bytes.to_vec());
    let prefix = if data.as_slice() == bytes { "" } else { prefix };
    if let Ok(text) = std::str::from_utf8(&data) {
        let printable = text
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t' || c == '\r');
        if printable {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
                if json.is_object() || json.is_array() {
                    let pretty =
                        serde_json::to_string_pretty(&json).unwrap_or_else(|_| text.to_string());
                    return (
                        format!("{prefix}json"),
                        pretty.lines().map(String::from).collect(),
                    );
                }
            }
            return (
                format!("{prefix}text"),
                text.lines().map(String::from).collect(),
            );
        }
    }
    let lines = data
        .chunks(16)
        .enumerate()
        .map(|(i, c)| {
            let hex: Vec<String> = c.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = c
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:08x}  {:<47}  {ascii}", i * 16, hex.join(" "))
        })
        .collect();
    (format!("{prefix}hex"), lines)
}

fn inflate(mut r: impl Read, max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut limited = (&mut r).take(max as u64);
    limited.read_to_end(&mut out).ok()?;
    (!out.is_empty()).then_some(out)
}

/// Read one key, bounded, and find the personal data in what was read:
/// one page of the value, from the start, or from the `next` token of the
/// previous page (an index for lists and sorted sets, a cursor for hashes
/// and sets, the last entry id for streams).
pub async fn read_value_page(
    con: &mut MultiplexedConnection,
    key: &[u8],
    limits: ReadLimits,
    from: Option<&str>,
) -> redis::RedisResult<ValueView> {
    let start: u64 = from.and_then(|f| f.parse().ok()).unwrap_or(0);
    let (ty, pttl_ms): (String, i64) = redis::pipe()
        .cmd("TYPE")
        .arg(key)
        .cmd("PTTL")
        .arg(key)
        .query_async(con)
        .await?;
    let n = limits.max_elements as i64;
    let mut view = ValueView {
        ty: ty.clone(),
        pttl_ms,
        length: None,
        encoding: String::new(),
        lines: Vec::new(),
        truncated: false,
        next: None,
    };
    match ty.as_str() {
        "string" => {
            let (len, bytes): (u64, Vec<u8>) = redis::pipe()
                .cmd("STRLEN")
                .arg(key)
                .cmd("GETRANGE")
                .arg(key)
                .arg(0)
                .arg(limits.max_bytes.saturating_sub(1))
                .query_async(con)
                .await?;
            let (encoding, lines) = decode_for_display(&bytes, limits.max_bytes);
            view.length = Some(len);
            view.truncated = len as usize > limits.max_bytes;
            view.encoding = encoding;
            view.lines = lines.into_iter().map(|l| line(None, l, None)).collect();
        }
        "hash" => {
            let (len, (cursor, items)): (u64, (u64, Vec<Vec<u8>>)) = redis::pipe()
                .cmd("HLEN")
                .arg(key)
                .cmd("HSCAN")
                .arg(key)
                .arg(start)
                .arg("COUNT")
                .arg(n)
                .query_async(con)
                .await?;
            view.length = Some(len);
            view.encoding = "hash".into();
            for pair in items.chunks(2).take(limits.max_elements) {
                if let [f, v] = pair {
                    let field = String::from_utf8_lossy(f).into_owned();
                    let (_, text) = decode_for_display(v, limits.max_bytes);
                    view.lines
                        .push(line(Some(field.clone()), text.join(" "), Some(&field)));
                }
            }
            view.next = (cursor != 0).then(|| cursor.to_string());
            view.truncated = view.next.is_some();
        }
        "list" | "zset" | "set" => {
            let (len, items): (u64, Value) = match ty.as_str() {
                "list" => {
                    redis::pipe()
                        .cmd("LLEN")
                        .arg(key)
                        .cmd("LRANGE")
                        .arg(key)
                        .arg(start)
                        .arg(start as i64 + n - 1)
                        .query_async(con)
                        .await?
                }
                "zset" => {
                    redis::pipe()
                        .cmd("ZCARD")
                        .arg(key)
                        .cmd("ZRANGE")
                        .arg(key)
                        .arg(start)
                        .arg(start as i64 + n - 1)
                        .arg("WITHSCORES")
                        .query_async(con)
                        .await?
                }
                _ => {
                    let (len, (cursor, members)): (u64, (u64, Value)) = redis::pipe()
                        .cmd("SCARD")
                        .arg(key)
                        .cmd("SSCAN")
                        .arg(key)
                        .arg(start)
                        .arg("COUNT")
                        .arg(n)
                        .query_async(con)
                        .await?;
                    view.next = (cursor != 0).then(|| cursor.to_string());
                    (len, members)
                }
            };
            view.length = Some(len);
            view.encoding = ty.clone();
            let items: Vec<Vec<u8>> = match items {
                Value::Array(v) => v.iter().filter_map(bulk).collect(),
                _ => Vec::new(),
            };
            let step = if ty == "zset" { 2 } else { 1 };
            for (i, chunk) in items.chunks(step).take(limits.max_elements).enumerate() {
                let label = if ty == "zset" {
                    chunk
                        .get(1)
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                } else if ty == "list" {
                    Some((start + i as u64).to_string())
                } else {
                    None
                };
                let (_, text) = decode_for_display(&chunk[0], limits.max_bytes);
                view.lines.push(line(label, text.join(" "), None));
            }
            if ty != "set" {
                let read = start + view.lines.len() as u64;
                view.next = (read < len).then(|| read.to_string());
            }
            view.truncated = view.next.is_some();
        }
        "stream" => {
            let (len, entries): (u64, Value) = redis::pipe()
                .cmd("XLEN")
                .arg(key)
                .cmd("XRANGE")
                .arg(key)
                .arg(from.map_or_else(|| "-".to_string(), |id| format!("({id}")))
                .arg("+")
                .arg("COUNT")
                .arg(n)
                .query_async(con)
                .await?;
            view.length = Some(len);
            view.encoding = "stream".into();
            if let Value::Array(entries) = entries {
                let count = entries.len();
                let mut last_id = None;
                for e in entries {
                    let Value::Array(parts) = e else { continue };
                    let id = parts
                        .first()
                        .and_then(bulk)
                        .map(|b| String::from_utf8_lossy(&b).into_owned());
                    last_id.clone_from(&id);
                    if let Some(Value::Array(kv)) = parts.get(1) {
                        for pair in kv.chunks(2) {
                            if let [f, v] = pair {
                                let field = bulk(f)
                                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                                    .unwrap_or_default();
                                let value = bulk(v)
                                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                                    .unwrap_or_default();
                                let label = format!("{} {field}", id.as_deref().unwrap_or(""));
                                view.lines.push(line(Some(label), value, Some(&field)));
                            }
                        }
                    }
                }
                if count as u64 >= n as u64 {
                    view.next = last_id;
                }
            }
            view.truncated = view.next.is_some();
        }
        "none" => view.encoding = "gone (expired or deleted)".into(),
        other => view.encoding = format!("{other} (not shown)"),
    }
    Ok(view)
}

/// A span made safe to cut `text` with: clamped to its length and widened to
/// char boundaries. Masking fails closed: a span that does not fit masks
/// more, never less.
pub fn safe_span(text: &str, r: &Range<usize>) -> Range<usize> {
    let mut start = r.start.min(text.len());
    let mut end = r.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// `text` cut into plain parts and personal ones (with their kind), in
/// order: the one place hit spans are made safe to cut with. Masking fails
/// closed: overlapping or ill-fitting spans cover more, never less.
pub fn mask_parts<'a>(
    text: &'a str,
    hits: &[(Kind, Range<usize>)],
) -> Vec<(&'a str, Option<Kind>)> {
    let mut sorted: Vec<(Kind, Range<usize>)> =
        hits.iter().map(|(k, r)| (*k, safe_span(text, r))).collect();
    sorted.sort_by_key(|(_, r)| r.start);
    let mut parts = Vec::with_capacity(sorted.len() * 2 + 1);
    let mut at = 0;
    for (kind, r) in sorted {
        let start = r.start.max(at);
        if start >= r.end {
            continue;
        }
        parts.push((&text[at..start], None));
        parts.push((&text[start..r.end], Some(kind)));
        at = r.end;
    }
    parts.push((&text[at..], None));
    parts
}

/// Text with the personal spans replaced by their masked form.
pub fn masked(text: &str, hits: &[(Kind, Range<usize>)]) -> String {
    mask_parts(text, hits)
        .into_iter()
        .map(|(part, kind)| match kind {
            Some(k) => pii::mask(k, part),
            None => part.to_string(),
        })
        .collect()
}

/// A namespace pattern (`user:{int}:profile`) as a SCAN MATCH glob
/// (`user:*:profile`), with glob characters of the literal parts escaped:
/// [`crate::keypattern::KeyPattern::glob`] of the namespace.
pub fn pattern_glob(pattern: &str) -> Vec<u8> {
    crate::keypattern::KeyPattern::namespace(pattern).glob()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_keep_hash_tag_braces() {
        assert_eq!(pattern_glob("user:{{int}}:cart"), b"user:{*}:cart");
        assert_eq!(pattern_glob("{user:{int}}:x"), b"{user:*}:x");
        assert_eq!(pattern_glob("sess:{uuid}"), b"sess:*");
        assert_eq!(pattern_glob("a*b:{int}"), b"a\\*b:*");
        assert_eq!(pattern_glob("user:{int}:profile"), b"user:*:profile");
    }

    #[test]
    fn displays_json_text_gzip_and_binary() {
        let (enc, lines) = decode_for_display(br#"{"email":"a@b.fr","n":1}"#, 1024);
        assert_eq!(enc, "json");
        assert!(lines.len() > 2);
        let (enc, _) = decode_for_display(b"hello world", 1024);
        assert_eq!(enc, "text");
        let (enc, lines) = decode_for_display(&[0xff, 0x00, 0x10, b'a'], 1024);
        assert_eq!(enc, "hex");
        assert!(lines[0].starts_with("00000000  ff 00 10 61"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, br#"{"a":[1,2]}"#).unwrap();
        let (enc, _) = decode_for_display(&gz.finish().unwrap(), 1024);
        assert_eq!(enc, "gzip+json");
    }

    #[test]
    fn masks_only_the_spans() {
        let t = "mail jane.doe@example.fr now";
        let hits = vec![(Kind::Email, 5..24)];
        let m = masked(t, &hits);
        assert!(m.starts_with("mail ") && m.ends_with(" now"));
        assert!(!m.contains("jane.doe"));
    }

    #[test]
    fn masking_fails_closed_on_spans_that_do_not_fit() {
        let t = "user:jane@example.fr";
        let m = masked(t, &[(Kind::Email, 5..99)]);
        assert!(!m.contains("jane"), "{m}");
        let t = "é@é.fr";
        assert!(!masked(t, &[(Kind::Email, 1..3)]).contains("@é.fr"));
    }
}
