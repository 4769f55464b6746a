//! Reading keys and values for the browser and the census's sample,
//! always bounded: a page of key names by `SCAN MATCH`, and a value read
//! in elements and in bytes ([`PAGE_BYTES`] a page, [`ELEMENT_BYTES`] an
//! element): `GETRANGE`, and windows of `LRANGE`, `ZRANGE`, `SSCAN`,
//! `HSCAN`, `XRANGE … COUNT` sized by the bytes an element takes; a small
//! hash's values measured (`HSTRLEN`) before they are read.
//! Every line comes with the spans of the personal data in it — in its
//! text, its label, and in both columns of a hex dump — so the screen can
//! mask them until a person asks to reveal.

use std::io::Read;
use std::ops::Range;

use redis::aio::MultiplexedConnection;
use redis::Value;

use crate::pii::{self, Detector, Kind};
use crate::show::{printable, printable_bytes};

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

/// Bytes a page of a collection asks the server for, about, and keeps at
/// most: the window of each read (`LRANGE`, `ZRANGE`, `SSCAN`, `HSCAN`,
/// `XRANGE … COUNT`) is what is left of this budget over the bytes an
/// element takes (`MEMORY USAGE` over the length at first, then what the
/// reads received), so a page of big elements holds fewer of them.
pub const PAGE_BYTES: usize = 256 * 1024;

/// Bytes kept of one element (a list item, a hash value, a set member, a
/// field name…): a longer one is cut as soon as it arrives and says its
/// size. Only a hash value can be measured before it is read (`HSTRLEN`):
/// one bigger than a page is not read at all. Every other element arrives
/// whole, so a read always asks for at least one and no more than the
/// budget allows with the average size.
pub const ELEMENT_BYTES: usize = 16 * 1024;

/// How much of an element a line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extent {
    #[default]
    Whole,
    /// Its first bytes only (the element budget); `stored` is its size.
    Cut { stored: u64 },
    /// Not read: a hash value larger than a page's budget.
    NotRead { stored: u64 },
}

/// One line of a value as shown, with the spans to mask.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValueLine {
    /// Hash field, list index, stream entry id…: shown before the text.
    pub label: Option<String>,
    /// Spans of personal data in the label (a field named by an e-mail).
    pub label_hits: Vec<(Kind, Range<usize>)>,
    pub text: String,
    pub hits: Vec<(Kind, Range<usize>)>,
    /// A hex dump: a masked part keeps its width (`** **`, `***`), so the
    /// columns stay in line.
    pub dump: bool,
    pub extent: Extent,
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

/// Limits of a value read: the bytes of a string read (`GETRANGE`), which
/// also caps one element ([`ELEMENT_BYTES`] at most), and the elements of
/// a page. A page of a collection receives about [`PAGE_BYTES`].
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    pub max_bytes: usize,
    pub max_elements: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_bytes: PAGE_BYTES,
            max_elements: 200,
        }
    }
}

/// The bounds of one page of a collection.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Bytes the page receives, about (see [`PAGE_BYTES`]).
    pub page: usize,
    /// Bytes kept of one element.
    pub element: usize,
    /// Elements (stream entries) read at most.
    pub elements: usize,
}

impl From<ReadLimits> for Budget {
    fn from(l: ReadLimits) -> Budget {
        Budget {
            page: PAGE_BYTES,
            element: l.max_bytes.clamp(1, ELEMENT_BYTES),
            elements: l.max_elements.max(1),
        }
    }
}

/// One element of a collection as read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// A list index, a sorted-set score, a stream entry id.
    pub id: Option<String>,
    /// A hash or stream field, cut to the element budget.
    pub field: Option<Vec<u8>>,
    /// The element, cut to the element budget.
    pub bytes: Vec<u8>,
    pub extent: Extent,
}

/// Where to cut `b` at `max` bytes at most, not in the middle of a UTF-8
/// character when what comes before is text.
fn cut_at(b: &[u8], max: usize) -> usize {
    let max = max.min(b.len());
    match std::str::from_utf8(&b[..max]) {
        Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => e.valid_up_to(),
        _ => max,
    }
}

/// `b` cut to `max` bytes ([`cut_at`]): a copy, so that the big
/// allocation goes now (`truncate` would keep it).
fn cut(b: Vec<u8>, max: usize) -> (Vec<u8>, Extent) {
    if b.len() <= max {
        return (b, Extent::Whole);
    }
    let stored = b.len() as u64;
    (b[..cut_at(&b, max)].to_vec(), Extent::Cut { stored })
}

fn bulk(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.into_bytes()),
        Value::VerbatimString { text, .. } => Some(text.into_bytes()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        Value::Double(d) => Some(d.to_string().into_bytes()),
        _ => None,
    }
}

/// The items of an array reply; pairs given as two-element arrays
/// (RESP3 `ZRANGE … WITHSCORES`) are flattened.
fn items(v: Value) -> Vec<Value> {
    let Value::Array(items) = v else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Array(pair) if pair.len() == 2 => out.extend(pair),
            other => out.push(other),
        }
    }
    out
}

/// A `[cursor, [items…]]` reply of `HSCAN` and `SSCAN`.
fn scan_reply(v: Value) -> (u64, Vec<Value>) {
    let Value::Array(mut parts) = v else {
        return (0, Vec::new());
    };
    let list = if parts.len() == 2 {
        parts.pop().map(items).unwrap_or_default()
    } else {
        Vec::new()
    };
    let cursor = parts
        .pop()
        .and_then(bulk)
        .and_then(|c| String::from_utf8_lossy(&c).parse().ok())
        .unwrap_or(0);
    (cursor, list)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    List,
    Hash,
    Set,
    Zset,
    Stream,
}

impl Collection {
    fn of(ty: &str) -> Option<Collection> {
        Some(match ty {
            "list" => Collection::List,
            "hash" => Collection::Hash,
            "set" => Collection::Set,
            "zset" => Collection::Zset,
            "stream" => Collection::Stream,
            _ => return None,
        })
    }

    /// The command that counts its elements.
    fn length(self) -> &'static str {
        match self {
            Collection::List => "LLEN",
            Collection::Hash => "HLEN",
            Collection::Set => "SCARD",
            Collection::Zset => "ZCARD",
            Collection::Stream => "XLEN",
        }
    }
}

/// The length command and `MEMORY USAGE` of a collection, for a pipeline.
pub(crate) fn size_commands(pipe: &mut redis::Pipeline, ty: &str, key: &[u8]) {
    if let Some(c) = Collection::of(ty) {
        pipe.cmd(c.length()).arg(key);
        pipe.cmd("MEMORY").arg("USAGE").arg(key);
    }
}

/// Their replies: the length and, when the server gave it, the memory.
pub(crate) fn sizes(len: &Value, memory: &Value) -> (u64, Option<u64>) {
    let int = |v: &Value| match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        _ => None,
    };
    (int(len).unwrap_or(0), int(memory))
}

/// A hash field listed for a page: its index in the sorted names, whether
/// its value is read, and its size.
#[derive(Debug, Clone, Copy)]
struct Planned {
    at: usize,
    read: bool,
    size: u64,
}

/// Where a page of a collection is.
#[derive(Debug, Clone)]
enum Step {
    /// `LRANGE` / `ZRANGE` from this index.
    Index(u64),
    /// `HSCAN` / `SSCAN` from this cursor.
    Cursor(u64),
    /// `XRANGE` after this entry id (from the start when none).
    After(Option<String>),
    /// A hash of at most a page's elements: its field names (one
    /// `HRANDFIELD` with its length lists them all), sorted; the page
    /// starts at `at`; then each value's size (`HSTRLEN`), and only the
    /// values that fit are read (`HMGET`).
    Fields {
        names: Option<Vec<Vec<u8>>>,
        at: usize,
        plan: Option<Vec<Planned>>,
    },
}

/// One page of a collection, read in windows that keep to a [`Budget`]:
/// [`Reader::next_read`] gives the commands of the next read (none once
/// the page is complete), [`Reader::take`] their replies. The reads of
/// several readers can share a pipeline ([`run_readers`]).
#[derive(Debug)]
pub struct Reader {
    key: Vec<u8>,
    ty: Collection,
    budget: Budget,
    len: u64,
    /// Bytes an element takes, about.
    avg: usize,
    step: Step,
    /// Elements asked for by the last read; each read asks for at most
    /// twice as many as the one before.
    asked: usize,
    received: usize,
    /// Elements (stream entries) read on this page.
    units: usize,
    pub items: Vec<Element>,
    end: bool,
    page_done: bool,
    error: Option<redis::RedisError>,
}

impl Reader {
    /// A reader of one page of `key` (a `ty` of `len` elements taking
    /// `memory` bytes, as `MEMORY USAGE` says, when it does), from the
    /// start or from the `next` token of the page before; `None` when `ty`
    /// is not a collection.
    pub fn new(
        key: &[u8],
        ty: &str,
        len: u64,
        memory: Option<u64>,
        from: Option<&str>,
        budget: Budget,
    ) -> Option<Reader> {
        let ty = Collection::of(ty)?;
        let number = |s: &str| s.parse::<u64>().unwrap_or(0);
        let step = match (ty, from) {
            (Collection::Hash, Some(f)) if f.starts_with('i') && len <= budget.elements as u64 => {
                Step::Fields {
                    names: None,
                    at: number(&f[1..]) as usize,
                    plan: None,
                }
            }
            (Collection::Hash, None) if len <= budget.elements as u64 => Step::Fields {
                names: None,
                at: 0,
                plan: None,
            },
            // A token of a page listed by fields, the hash having grown since.
            (Collection::Hash | Collection::Set, Some(f)) if f.starts_with('i') => Step::Cursor(0),
            (Collection::Hash | Collection::Set, f) => Step::Cursor(f.map_or(0, number)),
            (Collection::List | Collection::Zset, f) => Step::Index(f.map_or(0, number)),
            (Collection::Stream, f) => Step::After(f.map(str::to_string)),
        };
        // Unknown (MEMORY USAGE refused): an element may take a whole page.
        let avg = memory.map_or(budget.page, |m| (m / len.max(1)) as usize);
        Some(Reader {
            key: key.to_vec(),
            ty,
            budget,
            len,
            avg: avg.max(1),
            step,
            asked: 0,
            received: 0,
            units: 0,
            items: Vec::new(),
            end: len == 0,
            page_done: false,
            error: None,
        })
    }

    /// Whether the page is complete: the budget spent, the elements read,
    /// or the collection at its end.
    pub fn done(&self) -> bool {
        self.end
            || self.page_done
            || self.error.is_some()
            || self.units >= self.budget.elements
            || self.received >= self.budget.page
    }

    /// Where the next page starts, when there is one.
    pub fn next(&self) -> Option<String> {
        if self.end || self.error.is_some() {
            return None;
        }
        match &self.step {
            Step::Index(i) => Some(i.to_string()),
            Step::Cursor(c) => Some(c.to_string()),
            Step::After(id) => id.clone(),
            Step::Fields { at, .. } => Some(format!("i{at}")),
        }
    }

    /// Bytes received by this page's reads.
    pub fn received(&self) -> usize {
        self.received
    }

    /// The error a read of this page met, if one did.
    pub fn take_error(&mut self) -> Option<redis::RedisError> {
        self.error.take()
    }

    /// The elements of the next read: what is left of the budget over the
    /// average element, at least one, at most twice the last read.
    fn window(&self) -> usize {
        let left = self.budget.page.saturating_sub(self.received);
        let grow = if self.asked == 0 {
            usize::MAX
        } else {
            self.asked.saturating_mul(2)
        };
        (left / self.avg)
            .min(grow)
            .min(self.budget.elements.saturating_sub(self.units))
            .max(1)
    }

    /// The commands of the next read and the bytes expected back; none
    /// when the page is complete.
    pub fn next_read(&mut self) -> (Vec<redis::Cmd>, usize) {
        if self.done() {
            return (Vec::new(), 0);
        }
        let w = self.window();
        self.asked = w;
        let key = self.key.as_slice();
        let one = |name: &str| {
            let mut c = redis::cmd(name);
            c.arg(key);
            c
        };
        let cmd = match (&self.step, self.ty) {
            (Step::Index(i), Collection::List) => {
                let mut c = one("LRANGE");
                c.arg(*i).arg(i.saturating_add(w as u64 - 1));
                c
            }
            (Step::Index(i), _) => {
                let mut c = one("ZRANGE");
                c.arg(*i)
                    .arg(i.saturating_add(w as u64 - 1))
                    .arg("WITHSCORES");
                c
            }
            (Step::Cursor(cursor), ty) => {
                let mut c = one(if ty == Collection::Hash {
                    "HSCAN"
                } else {
                    "SSCAN"
                });
                c.arg(*cursor).arg("COUNT").arg(w);
                c
            }
            (Step::After(id), _) => {
                let mut c = one("XRANGE");
                c.arg(
                    id.as_ref()
                        .map_or_else(|| "-".to_string(), |id| format!("({id}")),
                )
                .arg("+")
                .arg("COUNT")
                .arg(w);
                c
            }
            (Step::Fields { names: None, .. }, _) => {
                let mut c = one("HRANDFIELD");
                c.arg(self.len);
                return (vec![c], self.len as usize * 64);
            }
            (
                Step::Fields {
                    names: Some(names),
                    at,
                    plan: None,
                },
                _,
            ) => {
                let end = names.len().min(at.saturating_add(self.budget.elements));
                let cmds = names
                    .get(*at..end)
                    .unwrap_or_default()
                    .iter()
                    .map(|f| {
                        let mut c = one("HSTRLEN");
                        c.arg(f);
                        c
                    })
                    .collect::<Vec<_>>();
                let n = cmds.len();
                return (cmds, n * 16);
            }
            (
                Step::Fields {
                    names: Some(names),
                    plan: Some(plan),
                    ..
                },
                _,
            ) => {
                let mut c = one("HMGET");
                let mut expect = 0;
                for p in plan.iter().filter(|p| p.read) {
                    c.arg(&names[p.at]);
                    expect += p.size as usize;
                }
                return (vec![c], expect);
            }
        };
        (vec![cmd], w.saturating_mul(self.avg))
    }

    /// The replies of the commands [`Reader::next_read`] gave, in order.
    pub fn take(&mut self, mut replies: Vec<Value>) {
        if let Some(pos) = replies
            .iter()
            .position(|r| matches!(r, Value::ServerError(_)))
        {
            let Value::ServerError(e) = replies.swap_remove(pos) else {
                return;
            };
            if let Step::Fields { names: None, .. } = self.step {
                // HRANDFIELD is Redis 6.2: page by cursor instead.
                self.step = Step::Cursor(0);
                self.asked = 0;
            } else {
                self.error = Some(e.into());
            }
            return;
        }
        if let Step::Fields { .. } = self.step {
            self.take_fields(replies);
            return;
        }
        let before = self.received;
        let first = replies.into_iter().next().unwrap_or(Value::Nil);
        let got = match self.step {
            Step::Index(i) => self.take_range(i, first),
            Step::Cursor(_) => self.take_scan(first),
            _ => self.take_stream(first),
        };
        self.units += got;
        // What was received tells the size of the next elements.
        if let Some(avg) = (self.received - before).checked_div(got) {
            self.avg = avg.max(1);
        }
    }

    /// An element received: counted, then cut to the element budget.
    fn push(&mut self, id: Option<String>, field: Option<Vec<u8>>, value: Vec<u8>) {
        self.received += value.len() + field.as_ref().map_or(0, Vec::len);
        let (bytes, extent) = cut(value, self.budget.element);
        let field = field.map(|f| cut(f, self.budget.element).0);
        self.items.push(Element {
            id,
            field,
            bytes,
            extent,
        });
    }

    /// `LRANGE` or `ZRANGE … WITHSCORES` from index `i`.
    fn take_range(&mut self, i: u64, reply: Value) -> usize {
        let zset = self.ty == Collection::Zset;
        let mut got = 0usize;
        let mut it = items(reply).into_iter();
        while let Some(v) = it.next() {
            let id = if zset {
                it.next().and_then(bulk).map(|s| lossy(&s))
            } else {
                Some(i.saturating_add(got as u64).to_string())
            };
            self.push(id, None, bulk(v).unwrap_or_default());
            got += 1;
        }
        let at = i.saturating_add(got as u64);
        self.step = Step::Index(at);
        self.end = got < self.asked || at >= self.len;
        got
    }

    /// `HSCAN` or `SSCAN`.
    fn take_scan(&mut self, reply: Value) -> usize {
        let hash = self.ty == Collection::Hash;
        let (next, list) = scan_reply(reply);
        let mut got = 0usize;
        let mut it = list.into_iter();
        while let Some(v) = it.next() {
            if hash {
                let value = it.next().and_then(bulk).unwrap_or_default();
                self.push(None, bulk(v), value);
            } else {
                self.push(None, None, bulk(v).unwrap_or_default());
            }
            got += 1;
        }
        self.step = Step::Cursor(next);
        self.end = next == 0;
        got
    }

    /// `XRANGE`: every field of every entry, labelled by the entry's id.
    fn take_stream(&mut self, reply: Value) -> usize {
        let Value::Array(entries) = reply else {
            self.end = true;
            return 0;
        };
        let mut got = 0usize;
        for e in entries {
            let Value::Array(parts) = e else { continue };
            let mut parts = parts.into_iter();
            let id = parts.next().and_then(bulk).map(|b| lossy(&b));
            let mut kv = parts.next().map(items).unwrap_or_default().into_iter();
            while let (Some(f), Some(v)) = (kv.next(), kv.next()) {
                self.push(id.clone(), bulk(f), bulk(v).unwrap_or_default());
            }
            if id.is_some() {
                self.step = Step::After(id);
            }
            got += 1;
        }
        self.end = got < self.asked;
        got
    }

    /// The three reads of a hash listed by fields: its names, the sizes of
    /// a page's values, those values.
    fn take_fields(&mut self, replies: Vec<Value>) {
        let Step::Fields { names, at, plan } = std::mem::replace(&mut self.step, Step::Index(0))
        else {
            return;
        };
        let (names, at, plan) = match (names, plan) {
            (None, _) => {
                let mut list: Vec<Vec<u8>> = replies
                    .into_iter()
                    .next()
                    .map(items)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(bulk)
                    .collect();
                self.received += list.iter().map(Vec::len).sum::<usize>();
                list.sort();
                self.end = at >= list.len();
                (list, at, None)
            }
            (Some(list), None) => {
                let chosen = self.plan(at, &replies);
                if chosen.is_empty() {
                    // Not even the first fits what is left: the next page.
                    self.page_done = true;
                    (list, at, None)
                } else if chosen.iter().any(|p| p.read) {
                    (list, at, Some(chosen))
                } else {
                    let next = self.take_values(&list, &chosen, Vec::new());
                    (list, next, None)
                }
            }
            (Some(list), Some(chosen)) => {
                let values = replies.into_iter().next().map(items).unwrap_or_default();
                let next = self.take_values(&list, &chosen, values);
                (list, next, None)
            }
        };
        self.step = Step::Fields {
            names: Some(names),
            at,
            plan,
        };
    }

    /// Which values of the fields from `at` a page reads, from their sizes
    /// (`HSTRLEN` replies), in order: one that fits what is left of the
    /// budget is read, one larger than a whole page never is; the page
    /// stops before the first that would fit only another page.
    fn plan(&self, at: usize, sizes: &[Value]) -> Vec<Planned> {
        let mut left = self.budget.page.saturating_sub(self.received) as u64;
        let mut chosen = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            let size = match size {
                Value::Int(n) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            };
            // The first of a page is read if it fits a page at all.
            let read = size <= left || (chosen.is_empty() && size <= self.budget.page as u64);
            if !read && size <= self.budget.page as u64 {
                break;
            }
            if read {
                left -= size;
            }
            chosen.push(Planned {
                at: at + i,
                read,
                size,
            });
        }
        chosen
    }

    /// The page's fields, in order: the values read, and those too big to
    /// be; returns where the next page starts.
    fn take_values(&mut self, names: &[Vec<u8>], chosen: &[Planned], values: Vec<Value>) -> usize {
        let mut values = values.into_iter();
        for p in chosen {
            let field = names.get(p.at).cloned();
            if p.read {
                let value = values.next().and_then(bulk).unwrap_or_default();
                self.push(None, field, value);
            } else {
                self.received += field.as_ref().map_or(0, Vec::len);
                self.items.push(Element {
                    id: None,
                    field: field.map(|f| cut(f, self.budget.element).0),
                    bytes: Vec::new(),
                    extent: Extent::NotRead { stored: p.size },
                });
            }
        }
        let next = chosen.last().map_or(0, |p| p.at + 1);
        self.units += chosen.len();
        self.page_done = true;
        self.end = next >= names.len();
        next
    }
}

/// Bytes as text, invalid UTF-8 replaced.
fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run every reader to the end of its page. Their reads go out together,
/// in pipelines of about `round_bytes` expected back (one reader's read
/// alone when it expects more); returns the commands sent.
pub async fn run_readers(
    con: &mut MultiplexedConnection,
    readers: &mut [Reader],
    round_bytes: usize,
) -> redis::RedisResult<u64> {
    let mut sent = 0u64;
    loop {
        let mut group: Vec<(usize, Vec<redis::Cmd>)> = Vec::new();
        let mut expected = 0usize;
        let mut any = false;
        for i in 0..readers.len() {
            let (cmds, expect) = readers[i].next_read();
            if cmds.is_empty() {
                continue;
            }
            if !group.is_empty() && expected.saturating_add(expect) > round_bytes {
                sent += flush(con, std::mem::take(&mut group), readers).await?;
                expected = 0;
            }
            group.push((i, cmds));
            expected = expected.saturating_add(expect);
            any = true;
        }
        if !group.is_empty() {
            sent += flush(con, group, readers).await?;
        }
        if !any {
            return Ok(sent);
        }
    }
}

/// Send one pipeline of reads and give each reader its replies.
async fn flush(
    con: &mut MultiplexedConnection,
    group: Vec<(usize, Vec<redis::Cmd>)>,
    readers: &mut [Reader],
) -> redis::RedisResult<u64> {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    let mut counts = Vec::with_capacity(group.len());
    for (i, cmds) in group {
        counts.push((i, cmds.len()));
        for c in cmds {
            pipe.add_command(c);
        }
    }
    let replies: Vec<Value> = pipe.query_async(con).await?;
    let mut replies = replies.into_iter();
    let mut sent = 0u64;
    for (i, n) in counts {
        readers[i].take(replies.by_ref().take(n).collect());
        sent += n as u64;
    }
    Ok(sent)
}

/// Read one key, bounded, and find the personal data in what was read:
/// one page of the value, from the start, or from the `next` token of the
/// previous page (an index for lists and sorted sets, a cursor for hashes
/// and sets, `i` and an index for a hash listed by its fields, the last
/// entry id for streams). A string is read up to `limits.max_bytes`
/// (`GETRANGE`); a collection's page receives about [`PAGE_BYTES`] and keeps
/// at most `limits.max_bytes` (and [`ELEMENT_BYTES`]) of each element.
pub async fn read_value_page(
    con: &mut MultiplexedConnection,
    key: &[u8],
    limits: ReadLimits,
    from: Option<&str>,
) -> redis::RedisResult<ValueView> {
    let (ty, pttl_ms): (String, i64) = redis::pipe()
        .cmd("TYPE")
        .arg(key)
        .cmd("PTTL")
        .arg(key)
        .query_async(con)
        .await?;
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
            let max = limits.max_bytes.max(1);
            let (len, bytes): (u64, Vec<u8>) = redis::pipe()
                .cmd("STRLEN")
                .arg(key)
                .cmd("GETRANGE")
                .arg(key)
                .arg(0)
                .arg(max - 1)
                .query_async(con)
                .await?;
            let mut bytes = bytes;
            view.truncated = len > bytes.len() as u64;
            if view.truncated {
                bytes.truncate(cut_at(&bytes, max));
            }
            let (encoding, lines) = string_lines(&bytes, max);
            view.length = Some(len);
            view.encoding = encoding;
            view.lines = lines;
        }
        "hash" | "list" | "set" | "zset" | "stream" => {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            size_commands(&mut pipe, &ty, key);
            let replies: Vec<Value> = pipe.query_async(con).await?;
            let (len, memory) = match replies.as_slice() {
                [Value::ServerError(e), _] => return Err(e.clone().into()),
                [len, memory] => sizes(len, memory),
                _ => (0, None),
            };
            let budget = Budget::from(limits);
            let Some(reader) = Reader::new(key, &ty, len, memory, from, budget) else {
                return Ok(view);
            };
            let mut readers = [reader];
            run_readers(con, &mut readers, PAGE_BYTES).await?;
            let [mut reader] = readers;
            if let Some(e) = reader.take_error() {
                return Err(e);
            }
            view.length = Some(len);
            view.encoding = ty.clone();
            view.next = reader.next();
            view.truncated = view.next.is_some();
            view.lines = element_lines(&reader.items, budget.element);
        }
        "none" => view.encoding = "gone (expired or deleted)".into(),
        other => view.encoding = format!("{other} (not shown)"),
    }
    Ok(view)
}

/// The hits of `text` the screen masks (not free text: the whole note).
fn scan(text: &str, context: Option<&str>) -> Spans {
    Detector::global()
        .scan_text(text, context)
        .into_iter()
        .filter(|h| h.kind != Kind::FreeText)
        .map(|h| (h.kind, h.span))
        .collect()
}

/// Spans to mask in one line, and lines with theirs.
type Spans = Vec<(Kind, Range<usize>)>;
type Lines = Vec<(String, Spans)>;

/// Lines of text, each with its spans: those the detector finds in the
/// line, and the parts of those it finds in the whole text (an address
/// over two lines), so masking never depends on where a line breaks.
fn text_lines(lines: Vec<String>, context: Option<&str>) -> Lines {
    let whole = lines.join("\n");
    let across = scan(&whole, context);
    let mut start = 0;
    lines
        .into_iter()
        .map(|line| {
            let end = start + line.len();
            let mut hits = scan(&line, context);
            for (k, r) in &across {
                let (s, e) = (r.start.max(start), r.end.min(end));
                if s < e {
                    hits.push((*k, s - start..e - start));
                }
            }
            start = end + 1;
            (line, hits)
        })
        .collect()
}

/// `data` as the detector reads a dump: every byte one character, text
/// as it is, every other byte (a control, invalid UTF-8) `filler`. The
/// same length as `data`, so a span is a range of bytes.
fn dump_text(data: &[u8], filler: char) -> String {
    let mut out = String::with_capacity(data.len());
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(std::iter::repeat_n(filler, c.len_utf8()));
            } else {
                out.push(c);
            }
        }
        out.extend(std::iter::repeat_n(filler, chunk.invalid().len()));
    }
    out
}

/// Where the hex of a dump line starts, and its ASCII gutter.
const DUMP_HEX: usize = 10;
const DUMP_GUTTER: usize = DUMP_HEX + 47 + 2;

/// A hex dump, 16 bytes a line, with spans to mask: the detector reads
/// the bytes as text (with `.` for the bytes that are not, as the gutter
/// shows them, and again with spaces), and every byte of a hit is masked
/// in both the hex columns and the gutter, on every line it is on.
fn dump_lines(data: &[u8]) -> Lines {
    let mut kinds: Vec<Option<Kind>> = vec![None; data.len()];
    for filler in ['.', ' '] {
        let text = dump_text(data, filler);
        for (k, r) in scan(&text, None) {
            for slot in kinds.get_mut(safe_span(&text, &r)).unwrap_or_default() {
                slot.get_or_insert(k);
            }
        }
    }
    data.chunks(16)
        .zip(kinds.chunks(16))
        .enumerate()
        .map(|(i, (c, kinds))| {
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
            let text = format!("{:08x}  {:<47}  {ascii}", i * 16, hex.join(" "));
            let mut hits = Vec::new();
            let mut j = 0;
            while j < kinds.len() {
                let Some(k) = kinds[j] else {
                    j += 1;
                    continue;
                };
                let run = kinds[j..].iter().take_while(|x| **x == Some(k)).count();
                hits.push((k, DUMP_HEX + 3 * j..DUMP_HEX + 3 * (j + run) - 1));
                hits.push((k, DUMP_GUTTER + j..DUMP_GUTTER + j + run));
                j += run;
            }
            (text, hits)
        })
        .collect()
}

/// Bytes as shown: gzip/zlib inflated (to `max_bytes`), JSON
/// pretty-printed, text as is, anything else a hex dump; each line with
/// its spans to mask. Returns (encoding, lines, whether a dump).
type Shown = (String, Lines, bool);

fn shown(bytes: &[u8], max_bytes: usize, context: Option<&str>) -> Shown {
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
        let readable = text
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t' || c == '\r');
        if readable {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
                if json.is_object() || json.is_array() {
                    let pretty =
                        serde_json::to_string_pretty(&json).unwrap_or_else(|_| text.to_string());
                    let lines = pretty.lines().map(String::from).collect();
                    return (format!("{prefix}json"), text_lines(lines, context), false);
                }
            }
            let lines = text.lines().map(String::from).collect();
            return (format!("{prefix}text"), text_lines(lines, context), false);
        }
    }
    (format!("{prefix}hex"), dump_lines(&data), true)
}

fn inflate(r: impl Read, max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    // A value cut at its budget ends in the middle of its stream: what
    // was inflated before that is kept.
    let _cut_short = r.take(max as u64).read_to_end(&mut out);
    (!out.is_empty()).then_some(out)
}

/// A string value as the screen shows it: one line per line of text or
/// JSON, or per 16 bytes of a dump. Returns (encoding, lines).
pub fn string_lines(bytes: &[u8], max_bytes: usize) -> (String, Vec<ValueLine>) {
    let (encoding, lines, dump) = shown(bytes, max_bytes, None);
    let lines = lines
        .into_iter()
        .map(|(text, hits)| ValueLine {
            text,
            hits,
            dump,
            ..ValueLine::default()
        })
        .collect();
    (encoding, lines)
}

/// The lines of a page of a collection, one per element: its label (the
/// id, then the field) and its text (lines joined by spaces), each with
/// the spans to mask.
pub fn element_lines(items: &[Element], element_bytes: usize) -> Vec<ValueLine> {
    items
        .iter()
        .map(|e| {
            let field = e.field.as_deref().map(field_text);
            let mut label_hits = Vec::new();
            let label = match (&e.id, &field) {
                (Some(id), Some(f)) => {
                    let at = id.len() + 1;
                    label_hits.extend(
                        scan(f, None)
                            .into_iter()
                            .map(|(k, r)| (k, r.start + at..r.end + at)),
                    );
                    Some(format!("{id} {f}"))
                }
                (None, Some(f)) => {
                    label_hits = scan(f, None);
                    Some(f.clone())
                }
                (Some(id), None) => Some(id.clone()),
                (None, None) => None,
            };
            let mut line = ValueLine {
                label,
                label_hits,
                extent: e.extent,
                ..ValueLine::default()
            };
            if matches!(e.extent, Extent::NotRead { .. }) {
                return line;
            }
            let (_, parts, dump) = shown(&e.bytes, element_bytes, field.as_deref());
            line.dump = dump;
            for (text, hits) in parts {
                if !line.text.is_empty() {
                    line.text.push(' ');
                }
                let at = line.text.len();
                line.text.push_str(&text);
                line.hits
                    .extend(hits.into_iter().map(|(k, r)| (k, r.start + at..r.end + at)));
            }
            line
        })
        .collect()
}

/// A field name as text: as it is when it is UTF-8 (made printable when
/// shown), each invalid byte as `\xNN` otherwise, so none is lost.
fn field_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => printable_bytes(b).into_owned(),
    }
}

/// A span made safe to cut `text` with: clamped to its length and widened to
/// char boundaries. Masking fails closed: a span that does not fit masks
/// more, never less.
pub fn safe_span(text: &str, r: &Range<usize>) -> Range<usize> {
    widen(text.len(), r, |i| text.is_char_boundary(i))
}

/// `r` clamped to `len` and widened until `boundary` holds at both ends
/// (it holds at 0 and at `len`).
fn widen(len: usize, r: &Range<usize>, boundary: impl Fn(usize) -> bool) -> Range<usize> {
    let mut start = r.start.min(len);
    let mut end = r.end.clamp(start, len);
    while !boundary(start) {
        start -= 1;
    }
    while !boundary(end) {
        end += 1;
    }
    start..end
}

/// The parts of something of `len` bytes, plain and personal (with their
/// kind), in order, the hits made safe by `safe`: overlapping or
/// ill-fitting spans cover more, never less.
fn parts(
    len: usize,
    hits: &[(Kind, Range<usize>)],
    safe: impl Fn(&Range<usize>) -> Range<usize>,
) -> Vec<(Range<usize>, Option<Kind>)> {
    let mut sorted: Vec<(Kind, Range<usize>)> = hits.iter().map(|(k, r)| (*k, safe(r))).collect();
    sorted.sort_by_key(|(_, r)| r.start);
    let mut out = Vec::with_capacity(sorted.len() * 2 + 1);
    let mut at = 0;
    for (kind, r) in sorted {
        let start = r.start.max(at);
        if start >= r.end {
            continue;
        }
        out.push((at..start, None));
        out.push((start..r.end, Some(kind)));
        at = r.end;
    }
    out.push((at..len, None));
    out
}

/// `text` cut into plain parts and personal ones (with their kind), in
/// order: the one place hit spans are made safe to cut with. Masking fails
/// closed: overlapping or ill-fitting spans cover more, never less.
pub fn mask_parts<'a>(
    text: &'a str,
    hits: &[(Kind, Range<usize>)],
) -> Vec<(&'a str, Option<Kind>)> {
    parts(text.len(), hits, |r| safe_span(text, r))
        .into_iter()
        .map(|(r, k)| (&text[r], k))
        .collect()
}

/// The masked form of one personal part: the detector's mask, or in a
/// dump every character but spaces made `*`, so the columns stay.
pub fn mask_part(kind: Kind, part: &str, dump: bool) -> String {
    if dump {
        part.chars()
            .map(|c| if c == ' ' { ' ' } else { '*' })
            .collect()
    } else {
        pii::mask(kind, part)
    }
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

/// A key name as the screen shows it, from its bytes and the spans of
/// [`pii::keys::key_hits`] (byte ranges): each personal part masked, the
/// rest made printable (`\x1b`, `\xff`). Spans are widened to whole UTF-8
/// characters of the bytes.
pub fn masked_key(key: &[u8], hits: &[(Kind, Range<usize>)]) -> String {
    let continuation = |i: usize| key.get(i).is_some_and(|b| b & 0xc0 == 0x80);
    parts(key.len(), hits, |r| {
        widen(key.len(), r, |i| i == 0 || !continuation(i))
    })
    .into_iter()
    .map(|(r, kind)| match kind {
        None => printable_bytes(&key[r]).into_owned(),
        Some(k) => printable(&pii::mask(k, &String::from_utf8_lossy(&key[r]))).into_owned(),
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
        let (enc, lines) = string_lines(br#"{"email":"a@b.fr","n":1}"#, 1024);
        assert_eq!(enc, "json");
        assert!(lines.len() > 2);
        let (enc, _) = string_lines(b"hello world", 1024);
        assert_eq!(enc, "text");
        let (enc, lines) = string_lines(&[0xff, 0x00, 0x10, b'a'], 1024);
        assert_eq!(enc, "hex");
        assert!(lines[0].text.starts_with("00000000  ff 00 10 61"));
        assert!(lines[0].dump);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, br#"{"a":[1,2]}"#).unwrap();
        let (enc, _) = string_lines(&gz.finish().unwrap(), 1024);
        assert_eq!(enc, "gzip+json");
    }

    /// The dump of issue 12: the e-mail after binary bytes is masked in the
    /// hex columns and in the gutter, on both lines it is cut across.
    #[test]
    fn dumps_mask_both_columns_across_lines() {
        let value = b"\xff\xfe\xc3\x28 jane.doe@example.com";
        let (enc, lines) = string_lines(value, 1024);
        assert_eq!(enc, "hex");
        let shown: Vec<String> = lines
            .iter()
            .map(|l| {
                mask_parts(&l.text, &l.hits)
                    .into_iter()
                    .map(|(p, k)| k.map_or(p.to_string(), |k| mask_part(k, p, l.dump)))
                    .collect()
            })
            .collect();
        assert_eq!(shown.len(), 2);
        assert_eq!(
            shown[0],
            "00000000  ff fe c3 28 20 ** ** ** ** ** ** ** ** ** ** **  ...( ***********"
        );
        assert!(
            shown[1].starts_with("00000010  ** ** ** ** ** ** ** ** **"),
            "{}",
            shown[1]
        );
        assert!(shown[1].ends_with("  *********"), "{}", shown[1]);
        for s in &shown {
            assert!(
                !s.contains("jane") && !s.contains("ample") && !s.contains("6a 61"),
                "{s}"
            );
        }
    }

    /// A text cut at its budget ends on a whole character, so it stays
    /// text; a cut says how big the element was, and frees the rest.
    #[test]
    fn cuts_keep_text_whole() {
        let (b, extent) = cut("aé".as_bytes().to_vec(), 2);
        assert_eq!(
            (b.as_slice(), extent),
            (&b"a"[..], Extent::Cut { stored: 3 })
        );
        let big = vec![b'x'; 1 << 20];
        let (b, _) = cut(big, 16);
        assert!(b.capacity() < 1024);
        assert_eq!(cut(b"\xff\xfe\xfd".to_vec(), 2).0, b"\xff\xfe");
    }

    #[test]
    fn key_names_are_masked_on_their_bytes_then_made_printable() {
        let key = b"k:\xff\xfe:jane@example.fr:\x1b]0;PWNED\x07";
        let hits = pii::keys::key_hits(key, b":")
            .into_iter()
            .map(|h| (h.kind, h.span))
            .collect::<Vec<_>>();
        let shown = masked_key(key, &hits);
        assert!(!shown.contains("jane"), "{shown}");
        assert!(shown.starts_with("k:\\xff\\xfe:j***@e***.fr:"), "{shown}");
        assert!(shown.ends_with("\\x1b]0;PWNED\\x07"), "{shown}");
        assert!(!shown.chars().any(char::is_control));
    }

    /// A page token is the person's to give back: a huge one reads
    /// nothing, it does not overflow.
    #[test]
    fn huge_tokens_do_not_overflow() {
        let b = Budget::from(ReadLimits::default());
        for (ty, from) in [
            ("list", "18446744073709551615"),
            ("hash", "i18446744073709551615"),
        ] {
            let mut r = Reader::new(b"k", ty, 3, Some(300), Some(from), b).unwrap();
            let (cmds, _) = r.next_read();
            assert!(cmds.len() <= 1, "{ty}");
        }
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
