//! Redis key names: personal data in the name itself, and the key's
//! *pattern*, where variable segments become typed placeholders so that a
//! million keys fold into a few dozen namespaces:
//!
//! ```
//! use oubli::pii::keys::pattern;
//! assert_eq!(
//!     pattern(b"app:production:user_session_domain:jane@x.fr", b":"),
//!     "app:production:user_session_domain:{email}"
//! );
//! assert_eq!(
//!     pattern(b"rack::attack:28541234:req/ip:203.0.113.7", b":"),
//!     "rack::attack:{int}:req/ip:{ip}"
//! );
//! ```
//!
//! Placeholders: `{email}` `{phone}` `{ip}` `{address}` `{name}` `{uuid}`
//! `{hex}` `{int}` `{ts}` `{date}` `{token}` `{version}` `{bin}` (bytes
//! that are not UTF-8 text), and for the rarer kinds of hit `{iban}`
//! `{card}` `{nir}` `{siren}` `{siret}` `{id}` `{geo}`, and `{long}` for
//! what is too long to read (below). The pattern of a pattern is itself;
//! how a pattern is read back (its glob, whether a key belongs to it) is
//! [`crate::keypattern`]'s.
//!
//! The pattern is shown unmasked, so **no hit's text is ever in it**: a
//! segment that is a hit becomes its kind's placeholder, or, when only
//! part of it is, that part does (`log:contact {email}`). Besides:
//!
//! - the previous segment is the context: `prenom:Camille` →
//!   `prenom:{name}`; `order:0612345678` → `order:{int}` (no phone);
//!   `ver:1.2.3.4` → `ver:{version}` (no IP). The context is read from the
//!   previous segment's *pattern*, without its placeholders;
//! - URL-encoded segments (`%40`, `+` for spaces) are decoded before
//!   detection: `search:jean.dupont%40gmail.com` → `search:{email}`;
//! - Redis Cluster hash tags keep their braces around what they hold, so
//!   `user:{42}:cart` → `user:{{int}}:cart` and `{user:42}:cart` →
//!   `{user:{int}}:cart`;
//! - IPv6 addresses and ISO-8601 date-times cut by `:` are put back
//!   together: `lock:2024-01-15T10:00:00+01:00` → `lock:{ts}`.
//!
//! Work is linear in the key's length, and bounded whatever the key: a
//! segment longer than [`MAX_SEGMENT`] bytes folds into `{long}` (its hits
//! are looked for in its first [`MAX_SEGMENT`] bytes), and past
//! [`MAX_KEY_WORK`] bytes of the key, or once the pattern holds
//! [`PATTERN_CUT`] bytes, the rest of the key is one `{long}`. So a pattern
//! is at most [`MAX_PATTERN_LEN`] bytes, and a 1 MB key name costs what a
//! 17 KB one does. (1 KB keeps whole the long segments that are worth
//! reading: addresses, URL paths, JWTs; no key name that tells namespaces
//! apart needs more than 16 KB.)

use std::net::{IpAddr, Ipv6Addr};

use super::names::{classify_tokens, negative_tokens, tokens, NameClass};
use super::text::looks_like_name;
use super::{is_first_name, Detector, Hit, Kind};

/// The default delimiter.
pub const DEFAULT_DELIMITERS: &[u8] = b":";

/// Longer segments fold into `{long}` unread (see the module docs).
pub const MAX_SEGMENT: usize = 1024;
/// Past this many bytes of a key name, the rest is `{long}`.
pub const MAX_KEY_WORK: usize = 16 << 10;
/// Once a pattern holds this many bytes, the rest of the key is `{long}`.
pub const PATTERN_CUT: usize = 1024;
/// The longest pattern: under [`PATTERN_CUT`], then a delimiter, a segment
/// of at most [`MAX_SEGMENT`], a delimiter and `{long}`.
pub const MAX_PATTERN_LEN: usize = PATTERN_CUT + MAX_SEGMENT + 8;
/// The placeholder of what is too long to read.
const LONG: &str = "{long}";

/// Splits `key` on any of `delimiters` (empty: `:`), keeping empty segments
/// so `rack::attack` stays distinct. Byte ranges into `key`.
pub fn segments(key: &[u8], delimiters: &[u8]) -> Vec<std::ops::Range<usize>> {
    let delims = if delimiters.is_empty() {
        DEFAULT_DELIMITERS
    } else {
        delimiters
    };
    // memchr finds up to three delimiters.
    let out = match *delims {
        [a] => split_at(key, memchr::memchr_iter(a, key)),
        [a, b] => split_at(key, memchr::memchr2_iter(a, b, key)),
        [a, b, c] => split_at(key, memchr::memchr3_iter(a, b, c, key)),
        _ => split_at(
            key,
            key.iter()
                .enumerate()
                .filter(|(_, b)| delims.contains(b))
                .map(|(i, _)| i),
        ),
    };
    // IPv6 addresses and ISO-8601 times split on ':' are put back together.
    if delims.contains(&b':') {
        merge_colon_runs(key, out)
    } else {
        out
    }
}

/// The ranges between the delimiters at `positions` (ascending).
fn split_at(key: &[u8], positions: impl Iterator<Item = usize>) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in positions {
        out.push(start..i);
        start = i + 1;
    }
    out.push(start..key.len());
    out
}

/// The longest textual IPv6 address (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`).
const IPV6_MAX_LEN: usize = 45;
/// The most segments an IPv6 address splits into on ':' (seven groups and
/// the two empty pieces of a leading or trailing `::`).
const IPV6_MAX_SEGMENTS: usize = 9;

// The bytes the merges of `segments` look at, so that a test can prove
// they stay linear in the key's length.
#[cfg(test)]
thread_local! {
    static WORK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[inline]
fn count_work(bytes: usize) {
    #[cfg(test)]
    WORK.with(|w| w.set(w.get() + bytes));
    #[cfg(not(test))]
    let _ = bytes;
}

/// Puts IPv6 addresses and ISO-8601 date-times back together, left to
/// right: at each segment, the longest run that is a date-time
/// ([`timestamp_run`]) or else an IPv6 address ([`ipv6_run`]). Each segment
/// is the start of a bounded number of bounded tries, so the work is
/// linear in the key.
fn merge_colon_runs(
    key: &[u8],
    mut segs: Vec<std::ops::Range<usize>>,
) -> Vec<std::ops::Range<usize>> {
    // Every address, not just the first: `a::1:x:b::2` holds two. In
    // place: segments are read at `i` and written at `w <= i`.
    let (mut i, mut w) = (0, 0);
    while i < segs.len() {
        let last = timestamp_run(key, &segs, i)
            .or_else(|| ipv6_run(key, &segs, i))
            .unwrap_or(i);
        segs[w] = segs[i].start..segs[last].end;
        w += 1;
        i = last + 1;
    }
    segs.truncate(w);
    segs
}

/// The last segment of the run from `segs[i]` that is an ISO-8601 date-time
/// cut by ':' (`2024-01-15T10` `00` `00.123+01` `00`), if any: `segs[i]` is
/// the date and hour, then minutes, optional seconds, fraction and zone
/// (`Z`, `+01`, `+0100`, `+01:00`). The longest such time that ends where
/// a segment ends.
fn timestamp_run(key: &[u8], segs: &[std::ops::Range<usize>], i: usize) -> Option<usize> {
    let head = &key[segs[i].clone()];
    if head.len() != 13 || !is_iso_date(head) || !head[11..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let two_digits = |p: usize| {
        key.get(p..p + 2)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    // Where the time could end, in increasing order.
    let mut ends = [0usize; 6];
    let mut n = 0;
    let mut p = segs[i].end;
    // :MM
    if key.get(p) != Some(&b':') || !two_digits(p + 1) {
        return None;
    }
    p += 3;
    ends[n] = p;
    n += 1;
    // :SS, then .fff (at most nanoseconds)
    if key.get(p) == Some(&b':') && two_digits(p + 1) {
        p += 3;
        ends[n] = p;
        n += 1;
        if matches!(key.get(p), Some(b'.' | b',')) && key.get(p + 1).is_some_and(u8::is_ascii_digit)
        {
            p += 1;
            let digits = key[p..]
                .iter()
                .take(9)
                .take_while(|b| b.is_ascii_digit())
                .count();
            p += digits;
            ends[n] = p;
            n += 1;
        }
    }
    // Z, ±HH, ±HHMM, ±HH:MM
    match key.get(p) {
        Some(b'Z') => {
            ends[n] = p + 1;
            n += 1;
        }
        Some(b'+' | b'-') if two_digits(p + 1) => {
            p += 3;
            ends[n] = p;
            n += 1;
            if key.get(p) == Some(&b':') && two_digits(p + 1) {
                ends[n] = p + 3;
                n += 1;
            } else if two_digits(p) {
                ends[n] = p + 2;
                n += 1;
            }
        }
        _ => {}
    }
    count_work(ends[n - 1] - segs[i].start);
    // The segments the time spans: a handful, since it is at most 39 bytes.
    let mut best = None;
    for (j, seg) in segs.iter().enumerate().skip(i + 1) {
        if seg.end > ends[n - 1] {
            break;
        }
        if ends[..n].contains(&seg.end) {
            best = Some(j);
        }
    }
    best
}

/// The last segment of the longest run from `segs[i]` (three segments at
/// least) that is an IPv6 address.
fn ipv6_run(key: &[u8], segs: &[std::ops::Range<usize>], i: usize) -> Option<usize> {
    let first = &key[segs[i].clone()];
    if first.len() > 4 || !first.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let start = segs[i].start;
    let stop = segs.len().min(i + IPV6_MAX_SEGMENTS);
    (i + 2..stop).rev().find(|&j| {
        let span = start..segs[j].end;
        if span.len() > IPV6_MAX_LEN {
            return false;
        }
        count_work(span.len());
        let Ok(s) = std::str::from_utf8(&key[span]) else {
            return false;
        };
        if s.contains(['.', '/', ' ']) && !s.contains("::ffff:") {
            return false;
        }
        let groups = s.split(':').filter(|g| !g.is_empty()).count();
        groups >= 2 && s.parse::<Ipv6Addr>().is_ok()
    })
}

/// The key's namespace pattern (see the module docs). Deterministic; never
/// panics; `pattern(pattern(k)) == pattern(k)`.
pub fn pattern(key: &[u8], delimiters: &[u8]) -> String {
    walk(key, delimiters, None, false).0
}

/// Personal data in the key name: e-mails, phones, IPs, addresses, names
/// (and anything else the text detector finds in a segment). The previous
/// segment is the context. Spans are byte ranges into `key`.
pub fn key_hits(key: &[u8], delimiters: &[u8]) -> Vec<Hit> {
    walk(key, delimiters, None, true).1
}

/// [`pattern`] and [`key_hits`] of many keys at once, for a census: each
/// key is split once, and what depends only on a segment and its context
/// is remembered for the segments that are literal (no placeholder), such
/// as `app`, `production`, `user_session_domain`, which repeat across a
/// million keys. Results are exactly those of the two functions (the
/// three share one walk over the segments).
pub struct KeyAnalyzer {
    delimiters: Vec<u8>,
    memo: Memo,
}

/// Hits of literal segments by context and segment.
#[derive(Default)]
struct Memo {
    map: std::collections::HashMap<Box<[u8]>, Vec<Hit>>,
    lookup: Vec<u8>,
}

/// At most this many remembered segments (a few MB at worst).
const MEMO_CAP: usize = 50_000;
/// Longer segments are not remembered.
const MEMO_MAX_LEN: usize = 96;

impl KeyAnalyzer {
    pub fn new(delimiters: &[u8]) -> KeyAnalyzer {
        let delimiters = if delimiters.is_empty() {
            DEFAULT_DELIMITERS.to_vec()
        } else {
            delimiters.to_vec()
        };
        KeyAnalyzer {
            delimiters,
            memo: Memo::default(),
        }
    }

    /// `(pattern(key), key_hits(key))`.
    pub fn analyze(&mut self, key: &[u8]) -> (String, Vec<Hit>) {
        walk(key, &self.delimiters, Some(&mut self.memo), true)
    }
}

/// The pattern and the hits of `key`, segment by segment, each segment
/// with the context its predecessor gives ([`next_context`]). Without
/// `all_hits`, only the hits the pattern needs are looked for (not those
/// of a segment that is a placeholder as a whole).
fn walk(
    key: &[u8],
    delimiters: &[u8],
    mut memo: Option<&mut Memo>,
    all_hits: bool,
) -> (String, Vec<Hit>) {
    let mut pattern = String::with_capacity(key.len().min(MAX_PATTERN_LEN));
    let mut hits = Vec::new();
    let mut context = String::new();
    let mut prev_end: Option<usize> = None;
    // Only the head of a huge key is split: whatever starts past
    // MAX_KEY_WORK is cut below, and a segment that reaches the end of the
    // head is longer than MAX_SEGMENT either way.
    let head = &key[..key.len().min(MAX_KEY_WORK + MAX_SEGMENT + 64)];
    for r in segments(head, delimiters) {
        if let Some(pe) = prev_end {
            // The delimiter(s) between segments, verbatim.
            for &b in &key[pe..r.start] {
                pattern.push(char::from(b));
            }
            if r.start >= MAX_KEY_WORK || pattern.len() >= PATTERN_CUT {
                pattern.push_str(LONG);
                break;
            }
        }
        prev_end = Some(r.end);
        if r.len() > MAX_SEGMENT {
            if all_hits {
                let found = long_segment_hits(&key[r.clone()], &context);
                hits.extend(found.iter().map(|h| shifted(h, r.start)));
            }
            pattern.push_str(LONG);
            context.clear();
            continue;
        }
        let Ok(seg) = std::str::from_utf8(&key[r.clone()]) else {
            pattern.push_str("{bin}");
            context.clear();
            continue;
        };
        let memo_key = match memo.as_deref_mut() {
            Some(m) if seg.len() <= MEMO_MAX_LEN => {
                // Context, then a byte that UTF-8 never holds, then the segment.
                m.lookup.clear();
                m.lookup.extend_from_slice(context.as_bytes());
                m.lookup.push(0xff);
                m.lookup.extend_from_slice(seg.as_bytes());
                Some(m)
            }
            _ => None,
        };
        if let Some(seg_hits) = memo_key
            .as_ref()
            .and_then(|m| m.map.get(m.lookup.as_slice()))
        {
            pattern.push_str(seg);
            hits.extend(seg_hits.iter().map(|h| shifted(h, r.start)));
            next_context(seg, &mut context);
            continue;
        }
        let ctx = Context::of((!context.is_empty()).then_some(context.as_str()));
        let (mut seg_pattern, seg_hits) = analyze_segment(seg, &ctx, all_hits);
        if seg_pattern.len() > MAX_SEGMENT {
            // `1-2-3-…` grows as it folds.
            seg_pattern = LONG.to_string();
        }
        hits.extend(seg_hits.iter().map(|h| shifted(h, r.start)));
        if let Some(m) = memo_key {
            if seg_pattern == seg && m.map.len() < MEMO_CAP {
                m.map.insert(m.lookup.clone().into_boxed_slice(), seg_hits);
            }
        }
        pattern.push_str(&seg_pattern);
        next_context(&seg_pattern, &mut context);
    }
    (pattern, hits)
}

/// The hits of a segment too long to read, in its first [`MAX_SEGMENT`]
/// bytes (none when they are not UTF-8 text).
fn long_segment_hits(seg: &[u8], context: &str) -> Vec<Hit> {
    let window = &seg[..seg.len().min(MAX_SEGMENT)];
    let text = match std::str::from_utf8(window) {
        Ok(t) => t,
        // Cut inside a character: what comes before it.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&window[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return Vec::new(),
    };
    let ctx = Context::of((!context.is_empty()).then_some(context));
    analyze_segment(text, &ctx, true).1
}

/// The first `x` in `b` (segments are short: a plain loop beats memchr's
/// set-up there).
fn find_byte(x: u8, b: &[u8]) -> Option<usize> {
    if b.len() < 64 {
        b.iter().position(|&c| c == x)
    } else {
        memchr::memchr(x, b)
    }
}

fn shifted(h: &Hit, by: usize) -> Hit {
    Hit {
        span: h.span.start + by..h.span.end + by,
        ..h.clone()
    }
}

/// Sets `context` to what a segment whose pattern is `seg_pattern` tells
/// the next one: its last `/` part (`req/ip` → `ip`), without its
/// placeholders (a value is no context), or nothing. Taken from the
/// pattern, not the key, so that a pattern's pattern sees the same
/// contexts as the key did.
fn next_context(seg_pattern: &str, context: &mut String) {
    context.clear();
    let b = seg_pattern.as_bytes();
    let last = b
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(seg_pattern, |at| &seg_pattern[at + 1..]);
    if find_byte(b'{', last.as_bytes()).is_none() {
        if last.bytes().any(|c| c.is_ascii_alphanumeric() || c >= 0x80) {
            context.push_str(last);
        }
        return;
    }
    let mut rest = last;
    while let Some(at) = find_byte(b'{', rest.as_bytes()) {
        context.push_str(&rest[..at]);
        rest = &rest[at..];
        match placeholder_len(rest) {
            Some(n) => {
                context.push(' ');
                rest = &rest[n..];
            }
            None => {
                context.push('{');
                rest = &rest[1..];
            }
        }
    }
    context.push_str(rest);
    if !context.chars().any(char::is_alphanumeric) {
        context.clear();
    }
}

/// The names of the placeholders this fold writes (`{int}` …); `{other}`
/// is the census's bucket. The grammar ([`crate::keypattern`]) reads any
/// `{lowercase}` as a placeholder; the fold keeps only these as they are,
/// and peels the braces of others as a hash tag's.
const PLACEHOLDERS: &[&str] = &[
    "email", "phone", "ip", "address", "name", "uuid", "hex", "int", "ts", "date", "token", "bin",
    "version", "iban", "card", "nir", "siren", "siret", "id", "geo", "long", "other",
];

/// The length of the placeholder `s` starts with, if it starts with one.
fn placeholder_len(s: &str) -> Option<usize> {
    crate::keypattern::placeholder_at(s, crate::keypattern::Family::Namespace)
        .filter(|(name, _)| PLACEHOLDERS.contains(name))
        .map(|(_, len)| len)
}

fn is_placeholder(s: &str) -> bool {
    placeholder_len(s) == Some(s.len())
}

fn ends_with_placeholder(s: &str) -> bool {
    s.ends_with('}')
        && s.as_bytes()
            .iter()
            .rev()
            .take(10)
            .position(|&b| b == b'{')
            .is_some_and(|back| is_placeholder(&s[s.len() - back - 1..]))
}

/// A Redis Cluster hash tag's braces around a segment, or around the first
/// or last segment of a tag that holds delimiters (`{user:42}`): the
/// braces stay, what they hold is analysed, so `user:{42}:cart` folds into
/// `user:{{int}}:cart` and `{user:42}:cart` into `{user:{int}}:cart`.
/// Braces that belong to a placeholder are not peeled.
fn peel_hash_tag(seg: &str) -> (&str, &str, &str) {
    let open = usize::from(seg.starts_with('{') && placeholder_len(seg).is_none());
    let core = &seg[open..];
    let close = usize::from(core.ends_with('}') && !ends_with_placeholder(core));
    let core = &core[..core.len() - close];
    (&seg[..open], core, &seg[seg.len() - close..])
}

/// What the previous segment says about a segment: its name class (`nom`,
/// `email`, `ip`), whether it names something that is not personal
/// (`order`, `id`, `ref`), and whether it names a version. Read from the
/// text when first asked (most segments never ask).
struct Context<'a> {
    text: Option<&'a str>,
    info: std::cell::OnceCell<ContextInfo>,
}

impl<'a> Context<'a> {
    fn of(text: Option<&'a str>) -> Context<'a> {
        Context {
            text,
            info: std::cell::OnceCell::new(),
        }
    }

    fn info(&self) -> ContextInfo {
        *self
            .info
            .get_or_init(|| self.text.map_or((None, false, false), context_info))
    }

    /// The detector finds the same with this context as with none: it
    /// reads a context only through its class and negativity.
    fn neutral(&self) -> bool {
        self.text.is_none() || matches!(self.info(), (None, false, _))
    }

    fn negative(&self) -> bool {
        self.text.is_some() && self.info().1
    }

    fn version(&self) -> bool {
        self.text.is_some() && self.info().2
    }
}

/// A context's name class, negativity and version-ness.
type ContextInfo = (Option<NameClass>, bool, bool);
/// A context's text and its [`ContextInfo`].
type CachedContext = (Box<str>, ContextInfo);

/// Contexts seen lately and their [`ContextInfo`], by a hash of their text
/// (contexts repeat across keys: `app`, `production`, `sessions`).
const CONTEXT_CACHE: usize = 64;
/// Longer contexts are not remembered.
const CONTEXT_CACHE_MAX_LEN: usize = 48;

thread_local! {
    static CONTEXTS: std::cell::RefCell<Vec<Option<CachedContext>>> =
        std::cell::RefCell::new(vec![None; CONTEXT_CACHE]);
}

/// [`ContextInfo`] of `t`, from the cache when it is there.
fn context_info(t: &str) -> ContextInfo {
    if t.len() > CONTEXT_CACHE_MAX_LEN {
        return classify_context(t);
    }
    // FNV-1a.
    let hash = t.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let slot = (hash % CONTEXT_CACHE as u64) as usize;
    CONTEXTS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(Some((text, info))) = cache.get(slot) {
            if &**text == t {
                return *info;
            }
        }
        let info = classify_context(t);
        if let Some(entry) = cache.get_mut(slot) {
            *entry = Some((t.into(), info));
        }
        info
    })
}

fn classify_context(t: &str) -> ContextInfo {
    // Most contexts are lowercase ASCII (`app`, `user_session_domain`):
    // their tokens are their words, found without allocating. (`tokens`
    // reads at most 128 characters.)
    let mut words = [""; 12];
    let owned: Vec<String>;
    let refs: Vec<&str>;
    let mut n = 0;
    let simple = t.len() <= 128
        && !t.bytes().any(|b| b >= 0x80 || b.is_ascii_uppercase())
        && t.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .all(|w| {
                let room = n < words.len();
                if room {
                    words[n] = w;
                    n += 1;
                }
                room
            });
    let toks: &[&str] = if simple {
        &words[..n]
    } else {
        owned = tokens(t);
        refs = owned.iter().map(String::as_str).collect();
        &refs
    };
    let class = classify_tokens(toks);
    let version = toks.iter().any(|t| {
        matches!(
            *t,
            "v" | "ver" | "version" | "versions" | "release" | "build" | "rev"
        )
    });
    (class, class.is_none() && negative_tokens(toks), version)
}

/// The pattern of one segment and its hits (spans relative to it), given
/// the previous segment's context. Every hit's text is hidden in the
/// pattern: by a placeholder for the whole segment, or in its place.
fn analyze_segment(seg: &str, ctx: &Context, all_hits: bool) -> (String, Vec<Hit>) {
    let (pattern, hits, partial) = analyze_once(seg, ctx, all_hits);
    if !partial {
        return (pattern, hits);
    }
    // A pattern's pattern is itself, but text left between placeholders
    // may read differently without what they replaced (`12+rue+de+la+` is
    // the start of an address once `Paixjean.dupont%40gmail.com` is
    // `{email}`): the segment's pattern is analysed again until it
    // settles, a few times at most, and then the whole segment goes.
    let mut pattern = pattern;
    for _ in 0..3 {
        let again = analyze_once(&pattern, ctx, false).0;
        if again == pattern {
            return (pattern, hits);
        }
        pattern = again;
    }
    let (open, _, close) = peel_hash_tag(seg);
    let placeholder = hits.first().map_or("{token}", |h| kind_placeholder(h.kind));
    (format!("{open}{placeholder}{close}"), hits)
}

/// [`analyze_segment`] in one pass, and whether the segment's pattern is
/// neither the segment nor one placeholder.
fn analyze_once(seg: &str, ctx: &Context, all_hits: bool) -> (String, Vec<Hit>, bool) {
    count_work(seg.len());
    // Numbers, UUIDs and digests (a third of all segments) hold nothing
    // that the tests below look for.
    let marks = if structural(seg.as_bytes()) {
        Marks::NONE
    } else {
        Marks::of(seg.as_bytes())
    };
    let (open, core, close) = if marks.brace {
        peel_hash_tag(seg)
    } else {
        ("", seg, "")
    };
    if marks.brace && is_placeholder(core) {
        return (seg.to_string(), Vec::new(), false);
    }
    // `12+rue+de+la+Paix`, `jean.dupont%40gmail.com`: detection reads the
    // decoded text; spans are mapped back to the raw bytes.
    let decoded = if marks.escape {
        url_decoded(core)
    } else {
        None
    };
    let (text, marks) = match &decoded {
        Some((d, _)) => (d.as_str(), Marks::of(d.as_bytes())),
        None => (core, marks),
    };
    // Placeholders are no text to the detector (`{int}` holds no letters).
    let masked = if marks.brace {
        masked_placeholders(text)
    } else {
        None
    };
    let text = masked.as_deref().unwrap_or(text);
    let (whole, free_hits) = whole_placeholder_marked(text, ctx, marks);
    let mut hits = if whole.is_none() || all_hits {
        segment_hits(text, whole, ctx, free_hits, marks)
    } else {
        // The pattern needs no hit to hide this segment.
        Vec::new()
    };
    widen(text, &mut hits);
    if let Some((_, map)) = &decoded {
        for h in &mut hits {
            h.span = map[h.span.start]..map[h.span.end];
        }
    }
    let mut out = String::with_capacity(seg.len().max(8));
    out.push_str(open);
    match whole {
        Some(p) => out.push_str(p),
        None if hits.is_empty() && !marks.slash => fold_parts(core, &mut out),
        None if hits.is_empty() => gap_pattern(core, &mut out),
        None => render(core, &hits, &mut out),
    };
    out.push_str(close);
    // Hidden in part, or folded where the detector could read the folded
    // text differently: the pattern is text the detector has not read as
    // such. (Once every number is folded, without spaces, '@', escapes,
    // braces nor context, nothing is left that it could find.)
    let partial = whole.is_none()
        && (!hits.is_empty()
            || (out != seg
                && (marks.space
                    || marks.at
                    || marks.escape
                    || marks.brace
                    || decoded.is_some()
                    || !ctx.neutral()
                    || out.bytes().any(|b| b.is_ascii_digit()))));
    for h in &mut hits {
        h.span = h.span.start + open.len()..h.span.end + open.len();
    }
    (out, hits, partial)
}

/// Which of the bytes that some tests look for a segment holds, found in
/// one pass so that those tests are skipped for most segments.
#[derive(Clone, Copy)]
struct Marks {
    at: bool,
    slash: bool,
    brace: bool,
    space: bool,
    /// `%` or `+`: maybe URL-encoded.
    escape: bool,
}

impl Marks {
    const NONE: Marks = Marks {
        at: false,
        slash: false,
        brace: false,
        space: false,
        escape: false,
    };
    const ALL: Marks = Marks {
        at: true,
        slash: true,
        brace: true,
        space: true,
        escape: true,
    };

    fn of(b: &[u8]) -> Marks {
        let mut m = 0u8;
        for &c in b {
            m |= match c {
                b'@' => 1,
                b'/' => 2,
                b'{' | b'}' => 4,
                b' ' => 8,
                b'%' | b'+' => 16,
                _ => 0,
            };
        }
        Marks {
            at: m & 1 != 0,
            slash: m & 2 != 0,
            brace: m & 4 != 0,
            space: m & 8 != 0,
            escape: m & 16 != 0,
        }
    }
}

/// `core` with every hit replaced by its kind's placeholder (overlapping
/// hits share one) and the text between folded by [`gap_pattern`].
fn render(core: &str, hits: &[Hit], out: &mut String) {
    let mut at = 0;
    for h in hits {
        if h.span.start >= at {
            gap_pattern(&core[at..h.span.start], out);
            out.push_str(kind_placeholder(h.kind));
        }
        at = at.max(h.span.end);
    }
    gap_pattern(&core[at..], out);
}

/// The placeholder that stands for a hit of `kind` in a pattern.
fn kind_placeholder(kind: Kind) -> &'static str {
    match kind {
        Kind::Email => "{email}",
        Kind::Phone => "{phone}",
        Kind::IpAddress => "{ip}",
        Kind::PostalAddress => "{address}",
        Kind::PersonName => "{name}",
        Kind::Iban => "{iban}",
        Kind::PaymentCard => "{card}",
        Kind::Nir => "{nir}",
        Kind::Siren => "{siren}",
        Kind::Siret => "{siret}",
        Kind::DateOfBirth => "{date}",
        Kind::Secret | Kind::FreeText => "{token}",
        Kind::OnlineId => "{id}",
        Kind::Geolocation => "{geo}",
    }
}

/// The most characters [`widen`] adds on each side of a hit (the longest
/// local part of an e-mail address).
const WIDEN_MAX: usize = 64;

/// Hits grown to the whole words they cut (`ois.dupont@gmail.com` in
/// `françois.dupont@gmail.com`), so that no part of a word that is
/// personal data is left in the pattern; by [`WIDEN_MAX`] characters at
/// most on each side, so the work stays linear.
fn widen(text: &str, hits: &mut [Hit]) {
    for h in hits.iter_mut() {
        let local = h.kind == Kind::Email;
        let grows = |c: char| c.is_alphanumeric() || (local && matches!(c, '.' | '_' | '-' | '+'));
        let mut start = h.span.start;
        for c in text[..start].chars().rev().take(WIDEN_MAX) {
            if !grows(c) {
                break;
            }
            start -= c.len_utf8();
        }
        let mut end = h.span.end;
        for c in text[end..].chars().take(WIDEN_MAX) {
            if !c.is_alphanumeric() {
                break;
            }
            end += c.len_utf8();
        }
        h.span = start..end;
    }
}

/// Text without hits: `/` parts that are placeholders as a whole, other
/// parts with their digit and hex runs folded ([`fold_parts`]).
fn gap_pattern(s: &str, out: &mut String) {
    if find_byte(b'/', s.as_bytes()).is_none() {
        return fold_parts(s, out);
    }
    for (i, part) in s.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match whole_placeholder(part, &Context::of(None)).0 {
            Some(p) => out.push_str(p),
            None => fold_parts(part, out),
        }
    }
}

/// `s` with its placeholders' bytes replaced by U+0001 (same length, so
/// that spans still fit; no pattern of the detector takes that byte), or
/// `None` when it holds none.
fn masked_placeholders(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while let Some(at) = find_byte(b'{', &b[i..]) {
        let at = i + at;
        match s.get(at..).and_then(placeholder_len) {
            Some(n) => {
                out.get_or_insert_with(|| b.to_vec())[at..at + n].fill(1);
                i = at + n;
            }
            None => i = at + 1,
        }
    }
    // Only ASCII bytes were replaced, whole characters: still UTF-8.
    out.and_then(|v| String::from_utf8(v).ok())
}

/// The text of a URL-encoded segment (`%XX` escapes, or `+` between words
/// for spaces) and, for every byte of it and its end, where it starts in
/// `s`; `None` when `s` holds nothing encoded or decodes to bytes that are
/// not UTF-8.
fn url_decoded(s: &str) -> Option<(String, Vec<usize>)> {
    let b = s.as_bytes();
    if !b.iter().any(|&c| c == b'%' || c == b'+') {
        return None;
    }
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    let escape = |i: usize| b[i] == b'%' && hex(i + 1) && hex(i + 2);
    let word = |i: Option<usize>| {
        i.and_then(|i| b.get(i))
            .is_some_and(u8::is_ascii_alphanumeric)
    };
    let plus = |i: usize| b[i] == b'+' && word(i.checked_sub(1)) && word(Some(i + 1));
    let form = (0..b.len()).any(plus);
    if !form && !(0..b.len()).any(escape) {
        return None;
    }
    let (mut out, mut map) = (Vec::with_capacity(b.len()), Vec::with_capacity(b.len() + 1));
    let mut i = 0;
    while i < b.len() {
        map.push(i);
        if escape(i) {
            let v = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())?;
            out.push(v);
            i += 3;
        } else {
            out.push(if form && b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    map.push(b.len());
    Some((String::from_utf8(out).ok()?, map))
}

/// Inside a segment such as `export-rdv-3fa2b1.csv` or `page_12`: digit
/// runs and long hex runs between `-`, `_`, `.` become placeholders.
fn fold_parts(s: &str, out: &mut String) {
    if s.bytes().any(|b| b.is_ascii_control()) {
        return out.push_str("{bin}");
    }
    let mut part_start = 0;
    let push_part = |out: &mut String, part: &str| {
        let all_digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        let hexy = part.len() >= 6
            && part.bytes().all(|b| b.is_ascii_hexdigit())
            && part.bytes().any(|b| b.is_ascii_digit())
            && part.bytes().any(|b| b.is_ascii_alphabetic());
        if all_digits {
            out.push_str("{int}");
        } else if hexy {
            out.push_str("{hex}");
        } else {
            out.push_str(part);
        }
    };
    for (i, c) in s.char_indices() {
        if matches!(c, '-' | '_' | '.' | ' ' | ',' | '=' | '@' | '#' | '|') {
            push_part(out, &s[part_start..i]);
            out.push(c);
            part_start = i + c.len_utf8();
        }
    }
    push_part(out, &s[part_start..]);
}

/// The placeholder for the whole segment `s`, if any, and the hits the
/// detector found in `s` without context when it was asked.
fn whole_placeholder(s: &str, ctx: &Context) -> (Option<&'static str>, Option<Vec<Hit>>) {
    whole_placeholder_marked(s, ctx, Marks::ALL)
}

/// [`whole_placeholder`] when the [`Marks`] of `s` are known.
fn whole_placeholder_marked(
    s: &str,
    ctx: &Context,
    marks: Marks,
) -> (Option<&'static str>, Option<Vec<Hit>>) {
    if s.is_empty() || (s.starts_with('{') && s.ends_with('}')) {
        return (None, None);
    }
    let b = s.as_bytes();
    if is_number(b) {
        let p = if is_epoch(s) {
            "{ts}"
        } else if (is_bare_fr_phone(s) || is_bare_intl_fr_mobile(s)) && !ctx.negative() {
            // `order:0612345678` is an order number.
            "{phone}"
        } else {
            "{int}"
        };
        return (Some(p), None);
    }
    if is_uuid(b) {
        return (Some("{uuid}"), None);
    }
    if is_digest(b) {
        return (Some("{hex}"), None);
    }
    if is_version(b) && ctx.version() {
        return (Some("{version}"), None);
    }
    if s.parse::<IpAddr>().is_ok() && (s.contains('.') || s.matches(':').count() >= 2) {
        return (Some("{ip}"), None);
    }
    if is_iso_date(b) {
        return (Some(if b.len() > 10 { "{ts}" } else { "{date}" }), None);
    }
    if marks.at && is_email(s) {
        return (Some("{email}"), None);
    }
    let hits = Detector::global().scan_text(s, None);
    let whole = |h: &Hit| h.span.start <= 2 && h.span.end + 2 >= s.len();
    let mut found = hits.iter().find(|h| whole(h)).and_then(|h| match h.kind {
        Kind::Email => Some("{email}"),
        Kind::Phone => Some("{phone}"),
        Kind::IpAddress => Some("{ip}"),
        Kind::PostalAddress => Some("{address}"),
        Kind::PersonName => Some("{name}"),
        _ => None,
    });
    // "12 rue de la Paix 75002 Paris appartement 4": an address covering
    // most of the segment.
    if found.is_none()
        && hits.iter().any(|h| {
            h.kind == Kind::PostalAddress
                && h.span.start <= 2
                && (h.span.end - h.span.start) * 2 >= s.len()
        })
    {
        found = Some("{address}");
    }
    if found.is_none() && is_dotted_name(s) {
        found = Some("{name}");
    }
    if found.is_none() && is_token(b) {
        found = Some("{token}");
    }
    (found, Some(hits))
}

fn is_number(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

fn is_digest(b: &[u8]) -> bool {
    b.len() >= 16 && b.iter().all(u8::is_ascii_hexdigit)
}

/// A number, a UUID or a digest: a segment that `whole_placeholder` folds
/// by its shape alone.
fn structural(b: &[u8]) -> bool {
    is_number(b) || is_uuid(b) || is_digest(b)
}

fn is_epoch(s: &str) -> bool {
    let Ok(v) = s.parse::<u64>() else {
        return false;
    };
    (s.len() == 10 && (946_684_800..=4_102_444_800).contains(&v))
        || (s.len() == 13 && (946_684_800_000..=4_102_444_800_000).contains(&v))
}

fn is_bare_fr_phone(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[0] == b'0' && b[1] != b'0'
}

/// `33612345678`: a French mobile number in international form without
/// its `+` (how SMS gateways and OTP keys often write it).
fn is_bare_intl_fr_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b.starts_with(b"33") && matches!(b[2], b'6' | b'7')
}

/// `1.2.3`, `10.0.1.4`, `v2.1`: two to four dot-separated numbers.
fn is_version(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"v").unwrap_or(b);
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut parts = 0;
    for part in b.split(|&c| c == b'.') {
        if part.is_empty() || part.len() > 6 || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        parts += 1;
    }
    (2..=4).contains(&parts)
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_iso_date(b: &[u8]) -> bool {
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || matches!(b[10], b'T' | b' ' | b'_'))
}

/// A whole segment that is an e-mail address, letters of any script
/// included (`françois.dupont@gmail.com`, which the text detector, ASCII
/// only, cuts).
fn is_email(s: &str) -> bool {
    let Some(at) = find_byte(b'@', s.as_bytes()) else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().any(char::is_alphanumeric)
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '\''));
    if !local_ok || domain.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut tld = "";
    for label in domain.split('.') {
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
        {
            return false;
        }
        labels += 1;
        tld = label;
    }
    labels >= 2
        && tld.chars().count() >= 2
        && tld.chars().all(char::is_alphabetic)
        && !matches!(
            tld.to_ascii_lowercase().as_str(),
            "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "ico" | "css" | "js" | "map"
        )
}

/// `jean.dupont`, `marie-claire.martin`: a first name, a dot or dash, a
/// surname (letters only).
fn is_dotted_name(s: &str) -> bool {
    let Some((given, family)) = s.split_once(['.', '_']) else {
        return false;
    };
    // The cheap tests first.
    family.len() >= 2
        && family.chars().all(|c| c.is_alphabetic() || c == '-')
        && is_first_name(given.split('-').next().unwrap_or(""))
}

/// Random-looking tokens (sessions, API keys): ≥ 20 URL-safe characters
/// mixing digits and letters of both cases, or ≥ 24 of digits and letters.
fn is_token(b: &[u8]) -> bool {
    if b.len() < 20
        || !b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'=' | b'+'))
    {
        return false;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = b.iter().filter(|c| c.is_ascii_lowercase()).count();
    digits >= 2 && ((upper >= 2 && lower >= 2) || (b.len() >= 24 && upper + lower >= 2))
}

/// The hits of one segment's text (spans relative to it), given its
/// `whole_placeholder`, the previous segment's context and the hits found
/// without context (if `whole_placeholder` looked).
fn segment_hits(
    text: &str,
    whole: Option<&'static str>,
    ctx: &Context,
    free_hits: Option<Vec<Hit>>,
    marks: Marks,
) -> Vec<Hit> {
    // What the pattern folds into a personal placeholder is that kind of
    // hit, whatever the context suggests (`otp:{phone}` is a phone, not a
    // one-time code), so the census's counts agree with its namespaces.
    let placeholder = match whole {
        Some("{phone}") => Some(Kind::Phone),
        Some("{email}") => Some(Kind::Email),
        Some("{ip}") => Some(Kind::IpAddress),
        Some("{address}") => Some(Kind::PostalAddress),
        Some("{name}") => Some(Kind::PersonName),
        // `ver:1.2.3.4` is a version, not an address.
        Some("{version}") => return Vec::new(),
        _ => None,
    };
    if let Some(kind) = placeholder {
        return vec![Hit::new(kind, 0.8, 0..text.len())];
    }
    // "req/ip" → sub-segments "req" and "ip": the last one is context.
    let mut out = match free_hits {
        Some(hits) if ctx.neutral() => hits,
        _ => Detector::global().scan_text(text, ctx.text.filter(|_| !ctx.neutral())),
    };
    let number = text.bytes().all(|b| b.is_ascii_digit());
    out.retain(|h| match h.kind {
        Kind::FreeText => false,
        // A secret context (`otp`, `token`) says what a *value* holds; in a
        // key name, the segment after it is rather whose it is: only what
        // looks random is a secret there.
        Kind::Secret => text.get(h.span.clone()).is_some_and(looks_random),
        // `order:0612345678`: the context says it is a number.
        Kind::Phone => !(number && ctx.negative()),
        _ => true,
    });
    // (`whole_placeholder` found no dotted name when `whole` is not one.)
    if out.is_empty() && marks.space && is_first_last(text) {
        out.push(Hit::new(Kind::PersonName, 0.7, 0..text.len()));
    }
    out
}

/// At least 16 letters and digits, mixed (a session id, a reset token, a
/// hash), not a word nor a number.
fn looks_random(s: &str) -> bool {
    s.bytes().filter(u8::is_ascii_alphanumeric).count() >= 16
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

/// "Jean Dupont" as a whole segment.
fn is_first_last(s: &str) -> bool {
    if find_byte(b' ', s.as_bytes()).is_none() {
        return false;
    }
    let mut words = s.split(' ');
    let (Some(a), Some(b), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    looks_like_name(s) && is_first_name(a) && b.chars().next().is_some_and(char::is_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str) -> String {
        pattern(k.as_bytes(), b":")
    }

    #[test]
    fn patterns() {
        assert_eq!(
            p("app:production:user_session_domain:jane@x.fr"),
            "app:production:user_session_domain:{email}"
        );
        assert_eq!(
            p("rack::attack:28541234:req/ip:203.0.113.7"),
            "rack::attack:{int}:req/ip:{ip}"
        );
        assert_eq!(
            p("cache:api-adresse:12 rue de la Paix 75002 Paris"),
            "cache:api-adresse:{address}"
        );
        assert_eq!(
            p("rdv:sessions:0123456789abcdef0123456789abcdef"),
            "rdv:sessions:{hex}"
        );
        assert_eq!(
            p("exports:550e8400-e29b-41d4-a716-446655440000"),
            "exports:{uuid}"
        );
        assert_eq!(p("rate_limit:2001:db8::1"), "rate_limit:{ip}");
        assert_eq!(p("otp:0612345678"), "otp:{phone}");
        assert_eq!(p("user:42:notifications"), "user:{int}:notifications");
        assert_eq!(p("stats:1700000000"), "stats:{ts}");
        assert_eq!(p("daily:2024-01-15"), "daily:{date}");
        assert_eq!(
            p("cache:views/organisations/12/agenda/3fa2b1c4d5e6"),
            "cache:views/organisations/{int}/agenda/{hex}"
        );
        assert_eq!(p("export-rdv-3fa2b1.csv"), "export-rdv-{hex}.csv");
        assert_eq!(p("contact:jean.dupont"), "contact:{name}");
        assert_eq!(pattern(b"bin:\xff\xfe:x", b":"), "bin:{bin}:x");
        assert_eq!(p(""), "");
        for k in [
            "app:production:user_session_domain:jane@x.fr",
            "rack::attack:28541234:req/ip:203.0.113.7",
            "cache:api-adresse:12 rue de la Paix 75002 Paris",
        ] {
            let once = p(k);
            assert_eq!(p(&once), once);
        }
    }

    #[test]
    fn hits_in_keys() {
        let k = b"rack::attack:28541234:req/ip:203.0.113.7";
        let h = key_hits(k, b":");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].kind, Kind::IpAddress);
        assert_eq!(&k[h[0].span.clone()], b"203.0.113.7");
        let k = b"app:production:user_session_domain:jane@x.fr";
        assert_eq!(key_hits(k, b":")[0].kind, Kind::Email);
        let k = b"cache:api-adresse:12 rue de la Paix 75002 Paris";
        assert_eq!(key_hits(k, b":")[0].kind, Kind::PostalAddress);
        assert!(key_hits(b"rdv:sessions:0123456789abcdef", b":").is_empty());
        assert_eq!(
            key_hits(b"contact:jean.dupont", b":")[0].kind,
            Kind::PersonName
        );
    }
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn addresses_with_elided_articles_fold() {
        for k in [
            "cache:api-adresse:12 rue de l'Église 75002 Paris",
            "cache:api-adresse:3 bis rue de l'Église 51100 Reims",
            "cache:api-adresse:8 allée d'Orléans 69001 Lyon",
        ] {
            assert_eq!(
                pattern(k.as_bytes(), b":"),
                "cache:api-adresse:{address}",
                "{k}"
            );
        }
    }
}

#[cfg(test)]
mod ipv6_tests {
    use super::*;

    #[test]
    fn every_ipv6_address_of_a_key_folds_once() {
        let k = b"2001:db8::1:06 12 34 56 782001:db8::12A";
        let p = pattern(k, b":");
        assert_eq!(pattern(p.as_bytes(), b":"), p, "{p}");
        assert_eq!(
            pattern(b"rl:2001:db8::1:x:2001:db8::2", b":"),
            "rl:{ip}:x:{ip}"
        );
    }
}

#[cfg(test)]
mod linear_tests {
    use super::*;

    /// The bytes [`segments`] looks at while merging, for `key`.
    fn work(key: &[u8]) -> usize {
        WORK.with(|w| w.set(0));
        let _ = segments(key, b":");
        WORK.with(std::cell::Cell::get)
    }

    /// Keys of `n` bytes made of `unit` repeated: the shapes that made the
    /// merge try (and parse) every run of segments.
    fn adversarial(n: usize) -> Vec<Vec<u8>> {
        [
            "1::",
            "1:",
            "::",
            "ffff:",
            "1::1:",
            "::ffff:1.2.3.4:",
            "2024-01-15T10:00:00.123+01:",
        ]
        .iter()
        .map(|unit| unit.bytes().cycle().take(n).collect())
        .collect()
    }

    #[test]
    fn merging_segments_is_linear_in_the_key() {
        // Up to 64 KB.
        const N: usize = 32 << 10;
        for (small, big) in adversarial(N).into_iter().zip(adversarial(2 * N)) {
            let (w1, w2) = (work(&small), work(&big));
            // At most 7 tries of at most 45 bytes per segment, whatever the
            // key: a constant per byte, and twice the key is twice the work.
            assert!(w1 <= 7 * IPV6_MAX_LEN * N, "{w1} bytes for {N}");
            assert!(w2 <= 2 * w1 + 2 * 7 * IPV6_MAX_LEN, "{w1} then {w2}");
        }
    }
}
