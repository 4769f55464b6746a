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
//! `{hex}` `{int}` `{ts}` `{date}` `{token}` `{bin}` (bytes that are not
//! UTF-8 text). The pattern of a pattern is itself.

use std::net::{IpAddr, Ipv6Addr};

use super::text::looks_like_name;
use super::{is_first_name, Detector, Hit, Kind};

/// The default delimiter.
pub const DEFAULT_DELIMITERS: &[u8] = b":";

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
fn merge_colon_runs(key: &[u8], segs: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    // Every address, not just the first: `a::1:x:b::2` holds two.
    let mut out = Vec::with_capacity(segs.len());
    let mut i = 0;
    while i < segs.len() {
        match timestamp_run(key, &segs, i).or_else(|| ipv6_run(key, &segs, i)) {
            Some(j) => {
                out.push(segs[i].start..segs[j].end);
                i = j + 1;
            }
            None => {
                out.push(segs[i].clone());
                i += 1;
            }
        }
    }
    out
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
    let delims = if delimiters.is_empty() {
        DEFAULT_DELIMITERS
    } else {
        delimiters
    };
    let segs = segments(key, delims);
    let mut out = String::with_capacity(key.len());
    let mut prev_end: Option<usize> = None;
    for r in segs {
        if let Some(pe) = prev_end {
            // The delimiter(s) between segments, verbatim.
            for &b in &key[pe..r.start] {
                out.push(char::from(b));
            }
        }
        prev_end = Some(r.end);
        let seg = &key[r];
        match std::str::from_utf8(seg) {
            Ok(s) => out.push_str(&segment_pattern(s)),
            Err(_) => out.push_str("{bin}"),
        }
    }
    out
}

/// A whole segment's placeholder, or the segment with its parts folded.
fn segment_pattern(s: &str) -> String {
    segment_pattern_with(s, whole_placeholder(s))
}

/// [`segment_pattern`] when `whole_placeholder(s)` is already known.
fn segment_pattern_with(s: &str, whole: Option<&'static str>) -> String {
    if let Some(p) = whole {
        return p.to_string();
    }
    if s.contains('/') {
        return s
            .split('/')
            .map(|part| whole_placeholder(part).map_or_else(|| fold_parts(part), str::to_string))
            .collect::<Vec<_>>()
            .join("/");
    }
    fold_parts(s)
}

/// Inside a segment such as `export-rdv-3fa2b1.csv` or `page_12`: digit
/// runs and long hex runs between `-`, `_`, `.` become placeholders.
fn fold_parts(s: &str) -> String {
    if s.bytes().any(|b| b.is_ascii_control()) {
        return "{bin}".to_string();
    }
    let mut out = String::with_capacity(s.len());
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
            push_part(&mut out, &s[part_start..i]);
            out.push(c);
            part_start = i + c.len_utf8();
        }
    }
    push_part(&mut out, &s[part_start..]);
    out
}

fn whole_placeholder(s: &str) -> Option<&'static str> {
    if s.is_empty() || (s.starts_with('{') && s.ends_with('}')) {
        return None;
    }
    let b = s.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        return Some(if is_epoch(s) {
            "{ts}"
        } else if is_bare_fr_phone(s) {
            "{phone}"
        } else {
            "{int}"
        });
    }
    if is_uuid(b) {
        return Some("{uuid}");
    }
    if b.len() >= 16 && b.iter().all(u8::is_ascii_hexdigit) {
        return Some("{hex}");
    }
    if s.parse::<IpAddr>().is_ok() && (s.contains('.') || s.matches(':').count() >= 2) {
        return Some("{ip}");
    }
    if is_iso_date(b) {
        return Some(if b.len() > 10 { "{ts}" } else { "{date}" });
    }
    let det = Detector::global();
    let hits = det.scan_text(s, None);
    let whole = |h: &Hit| h.span.start <= 2 && h.span.end + 2 >= s.len();
    if let Some(h) = hits.iter().find(|h| whole(h)) {
        match h.kind {
            Kind::Email => return Some("{email}"),
            Kind::Phone => return Some("{phone}"),
            Kind::IpAddress => return Some("{ip}"),
            Kind::PostalAddress => return Some("{address}"),
            Kind::PersonName => return Some("{name}"),
            _ => {}
        }
    }
    // "12 rue de la Paix 75002 Paris appartement 4": an address covering
    // most of the segment.
    if let Some(h) = hits.iter().find(|h| h.kind == Kind::PostalAddress) {
        if h.span.start <= 2 && (h.span.end - h.span.start) * 2 >= s.len() {
            return Some("{address}");
        }
    }
    if is_dotted_name(s) {
        return Some("{name}");
    }
    if is_token(b) {
        return Some("{token}");
    }
    None
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

/// Personal data in the key name: e-mails, phones, IPs, addresses, names
/// (and anything else the text detector finds in a segment). The name of
/// the previous segment is the context. Spans are byte ranges into `key`.
pub fn key_hits(key: &[u8], delimiters: &[u8]) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut context: Option<&str> = None;
    for r in segments(key, delimiters) {
        let Ok(seg) = std::str::from_utf8(&key[r.clone()]) else {
            context = None;
            continue;
        };
        for h in segment_hits(seg, whole_placeholder(seg), context) {
            out.push(Hit::new(
                h.kind,
                h.confidence,
                r.start + h.span.start..r.start + h.span.end,
            ));
        }
        context = segment_context(seg);
    }
    out
}

/// What a segment gives the next one as context: its last `/` part.
fn segment_context(seg: &str) -> Option<&str> {
    seg.rsplit('/').next().filter(|s| !s.is_empty())
}

/// The hits of one segment (spans relative to it), given its
/// `whole_placeholder` and the previous segment's context.
fn segment_hits(seg: &str, whole: Option<&'static str>, context: Option<&str>) -> Vec<Hit> {
    // What the pattern folds into a personal placeholder is that kind of
    // hit, whatever the context suggests (`otp:{phone}` is a phone, not a
    // one-time code), so the census's counts agree with its namespaces.
    let placeholder = match whole {
        Some("{phone}") => Some(Kind::Phone),
        Some("{email}") => Some(Kind::Email),
        Some("{ip}") => Some(Kind::IpAddress),
        Some("{address}") => Some(Kind::PostalAddress),
        Some("{name}") => Some(Kind::PersonName),
        _ => None,
    };
    if let Some(kind) = placeholder {
        return vec![Hit::new(kind, 0.8, 0..seg.len())];
    }
    // "req/ip" → sub-segments "req" and "ip": the last one is context.
    let mut out: Vec<Hit> = Detector::global()
        .scan_text(seg, context)
        .into_iter()
        .filter(|h| h.kind != Kind::FreeText)
        .collect();
    if out.is_empty() && (is_dotted_name(seg) || is_first_last(seg)) {
        out.push(Hit::new(Kind::PersonName, 0.7, 0..seg.len()));
    }
    out
}

/// [`pattern`] and [`key_hits`] of many keys at once, for a census: each
/// key is split once, and what depends only on a segment and its context
/// is remembered for the segments that are literal (no placeholder), such
/// as `app`, `production`, `user_session_domain`, which repeat across a
/// million keys. Results are exactly those of the two functions.
pub struct KeyAnalyzer {
    delimiters: Vec<u8>,
    memo: std::collections::HashMap<Box<[u8]>, Vec<Hit>>,
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
            memo: std::collections::HashMap::new(),
            lookup: Vec::new(),
        }
    }

    /// `(pattern(key), key_hits(key))`.
    pub fn analyze(&mut self, key: &[u8]) -> (String, Vec<Hit>) {
        let segs = segments(key, &self.delimiters);
        let mut pattern = String::with_capacity(key.len());
        let mut hits = Vec::new();
        let mut prev_end: Option<usize> = None;
        let mut context: Option<&str> = None;
        for r in segs {
            if let Some(pe) = prev_end {
                for &b in &key[pe..r.start] {
                    pattern.push(char::from(b));
                }
            }
            prev_end = Some(r.end);
            let Ok(seg) = std::str::from_utf8(&key[r.clone()]) else {
                pattern.push_str("{bin}");
                context = None;
                continue;
            };
            let memoable = seg.len() <= MEMO_MAX_LEN;
            if memoable {
                // Context, then a byte that UTF-8 never holds, then the segment.
                self.lookup.clear();
                self.lookup
                    .extend_from_slice(context.unwrap_or_default().as_bytes());
                self.lookup.push(0xff);
                self.lookup.extend_from_slice(seg.as_bytes());
            }
            let remembered = if memoable {
                self.memo.get(self.lookup.as_slice())
            } else {
                None
            };
            match remembered {
                Some(seg_hits) => {
                    pattern.push_str(seg);
                    hits.extend(seg_hits.iter().map(|h| shifted(h, r.start)));
                }
                None => {
                    let whole = whole_placeholder(seg);
                    let seg_pattern = segment_pattern_with(seg, whole);
                    let seg_hits = segment_hits(seg, whole, context);
                    hits.extend(seg_hits.iter().map(|h| shifted(h, r.start)));
                    if memoable && seg_pattern == seg && self.memo.len() < MEMO_CAP {
                        self.memo
                            .insert(self.lookup.clone().into_boxed_slice(), seg_hits);
                    }
                    pattern.push_str(&seg_pattern);
                }
            }
            context = segment_context(seg);
        }
        (pattern, hits)
    }
}

fn shifted(h: &Hit, by: usize) -> Hit {
    Hit {
        span: h.span.start + by..h.span.end + by,
        ..h.clone()
    }
}

/// "Jean Dupont" as a whole segment.
fn is_first_last(s: &str) -> bool {
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
