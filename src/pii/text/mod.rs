//! Detectors on text: linear-time regexes find candidates, validators and
//! context decide. Spans are byte ranges into the scanned text.
//!
//! This file drives a scan (the pre-scan, the detectors it lets run, the
//! field's name, overlaps) and holds what the detectors share: the regex
//! builders, the anchored searches, the tests of a match's boundaries and
//! of the words before it. Each family of detectors has its own file:
//!
//! - [`shape`]: the pre-scan, one pass over the bytes;
//! - [`numbers`]: phones, payment cards, SIRET and SIREN, NIRs, IBANs;
//! - [`internet`]: e-mail addresses, IPv4 and IPv6 addresses;
//! - [`secrets`]: hashes, tokens, keys and credential assignments;
//! - [`addresses`]: postal addresses and postcodes with a city;
//! - [`dates`]: dates of birth;
//! - [`persons`]: person names.

mod addresses;
mod dates;
mod internet;
mod numbers;
mod persons;
mod secrets;
mod shape;

use std::ops::Range;

use regex::{Regex, RegexBuilder};
use regex_automata::util::syntax;
use regex_automata::{meta, Anchored, Input, MatchKind};

use super::names::{
    classify_tokens, is_first_name, negative_tokens, tokens, LastTokens, NameClass,
};
use super::{Hit, Kind, MIN_CONFIDENCE};
use dates::compact_date;
use shape::Shape;

#[cfg(test)]
pub(crate) use addresses::STREET_TYPES;
pub(crate) use persons::looks_like_name;

/// Texts longer than this are scanned in their first `MAX_SCAN` bytes only
/// (callers already bound value reads; this keeps one call bounded too).
pub const MAX_SCAN: usize = 16 << 20;

pub(crate) struct TextDetector {
    email: Regex,
    /// Searched only within the runs of digits that can hold a phone.
    phone: meta::Regex,
    /// `numeric` anchored at its start, without its leading `\b` (checked
    /// by the caller): tried only where a match can start.
    numeric_at: Regex,
    /// Searched only within runs of thirteen digits or more.
    nir: meta::Regex,
    /// Tried, anchored, after two letters starting a word (see `ibans`).
    iban: meta::Regex,
    /// Searched only within runs of digits and dots.
    ipv4: meta::Regex,
    /// Tried, anchored, where a match can start (see `ipv6s`).
    ipv6: meta::Regex,
    secret: Regex,
    /// The length of `secret`'s shortest match.
    secret_min_len: usize,
    /// Tried, anchored, after short runs of digits (see `addresses`).
    address: meta::Regex,
    /// Tried, anchored, at five digits and a space.
    postcode_city: meta::Regex,
    /// Searched only within runs of digits and separators.
    date: meta::Regex,
    /// Tried, anchored, where a name can start (see `name_follows`).
    person: meta::Regex,
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants of this file: a failure is a programming
    // error caught by every test run.
    #[allow(clippy::expect_used)]
    RegexBuilder::new(pattern)
        .size_limit(32 << 20)
        .dfa_size_limit(16 << 20)
        .build()
        .expect("built-in PII pattern compiles")
}

/// `re` for the patterns searched within spans or anchored at chosen
/// positions: the same engine (`regex` is built on it) and settings, and
/// look-around still sees the bytes outside the span. No prefilter: the
/// spans are short runs of digits and the anchored searches start where
/// the match must, so a literal search would only add work.
fn meta_re(pattern: &str) -> meta::Regex {
    #[allow(clippy::expect_used)]
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(MatchKind::LeftmostFirst)
                .utf8_empty(true)
                .auto_prefilter(false)
                .nfa_size_limit(Some(32 << 20))
                .hybrid_cache_capacity(16 << 20),
        )
        .syntax(syntax::Config::new().utf8(true))
        .build(pattern)
        .expect("built-in PII pattern compiles")
}

/// The match of `re` starting exactly at `at`, if any.
fn match_at(re: &meta::Regex, text: &str, at: usize) -> Option<Range<usize>> {
    let input = Input::new(text).range(at..).anchored(Anchored::Yes);
    re.search(&input).map(|m| m.range())
}

/// The matches of `re` in `text`, left to right and without overlap, as
/// `find_iter` gives them, when every match starts at one of `starts`
/// (ascending) and none is empty: each start is tried, anchored, unless a
/// previous match covers it.
fn matches_at(re: &meta::Regex, text: &str, starts: &[usize]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for &s in starts {
        if out.last().is_some_and(|m| s < m.end) {
            continue;
        }
        if let Some(m) = match_at(re, text, s) {
            out.push(m);
        }
    }
    out
}

impl TextDetector {
    pub(crate) fn new() -> TextDetector {
        TextDetector {
            email: re(internet::EMAIL),
            phone: meta_re(numbers::PHONE),
            numeric_at: re(numbers::NUMERIC_AT),
            nir: meta_re(numbers::NIR),
            iban: meta_re(numbers::IBAN),
            ipv4: meta_re(internet::IPV4),
            ipv6: meta_re(internet::IPV6),
            secret: re(secrets::SECRET),
            secret_min_len: secrets::min_len(secrets::SECRET),
            address: meta_re(&addresses::address_pattern()),
            postcode_city: meta_re(addresses::POSTCODE_CITY),
            date: meta_re(dates::DATE),
            person: meta_re(persons::PERSON),
        }
    }

    pub(crate) fn scan(&self, text: &str, context: Option<&str>) -> Vec<Hit> {
        let text = truncate(text, MAX_SCAN);
        let ctx_tokens = context.map(tokens).unwrap_or_default();
        let ctx_class = classify_tokens(&ctx_tokens);
        let ctx_negative = ctx_class.is_none() && negative_tokens(&ctx_tokens);
        let mut hits: Vec<Hit> = Vec::new();
        // One pass over the bytes says which detectors can possibly match;
        // the others are skipped (each gate is conservative). The thread's
        // last `Shape` lends its lists (most values are short: allocating
        // them anew each time costs more than filling them).
        SHAPE.with(|cell| match cell.try_borrow_mut() {
            Ok(mut shape) => {
                shape.fill(text.as_bytes());
                self.detect(text, &shape, ctx_class, &mut hits);
            }
            Err(_) => self.detect(text, &Shape::of(text.as_bytes()), ctx_class, &mut hits),
        });
        for h in &mut hits {
            if let Some(c) = ctx_class {
                if c.kind == h.kind {
                    h.confidence = (h.confidence.max(c.confidence) + 0.1).min(1.0);
                }
            }
            if ctx_negative && weak_kind(h.kind) {
                h.confidence -= 0.4;
            }
        }
        hits.retain(|h| h.confidence >= MIN_CONFIDENCE);
        resolve(hits)
    }

    /// What the detectors find in `text`, whose shape is `shape`.
    fn detect(&self, text: &str, shape: &Shape, ctx_class: Option<NameClass>, hits: &mut Vec<Hit>) {
        let bytes = text.as_bytes();
        if shape.at {
            self.emails(text, hits);
        }
        // Phones, numbers and NIRs hold only bytes of a run, so each lies in
        // one run, and they need eight, nine and thirteen digits. Every
        // phone match also holds a '+' or ten digits in one run ("0X" and
        // four pairs, each after at most one separator).
        let long = |min: usize| {
            shape
                .long_runs
                .iter()
                .filter(move |(_, digits)| *digits >= min)
                .map(|(run, _)| run.clone())
        };
        if shape.max_digits >= 10 || memchr::memchr(b'+', bytes).is_some() {
            self.phones(text, long(8), hits);
        }
        self.numbers(text, long(9), hits);
        self.nirs(text, long(13), hits);
        self.ibans(text, &shape.iban_at, hits);
        self.ipv4s(text, &shape.dotted_runs, hits);
        if !shape.address_at.is_empty() {
            self.addresses(text, &shape.address_at, hits);
        }
        if shape.postcode {
            self.postcodes(text, &shape.postcode_at, hits);
        }
        if !shape.date_at.is_empty() {
            self.dates(text, &shape.date_at, ctx_class, hits);
        }
        // Every IPv6 match holds two colons.
        if let Some(colon) = memchr::memchr(b':', bytes) {
            self.ipv6s(text, colon, hits);
        }
        // Short texts (key segments, most field values) hold no secret.
        if text.len() >= self.secret_min_len {
            self.secrets(text, hits);
        }
        if shape.caps >= 2 {
            self.persons(text, &shape.person_at, hits);
        }
        whole_value(text, ctx_class, hits);
    }
}

/// Kinds whose bare forms are easily confused with ids and counters.
fn weak_kind(k: Kind) -> bool {
    matches!(
        k,
        Kind::Phone
            | Kind::PaymentCard
            | Kind::Siren
            | Kind::Siret
            | Kind::IpAddress
            | Kind::PostalAddress
            | Kind::DateOfBirth
            | Kind::PersonName
    )
}

/// Hits derived from the field's name applying to the whole value: person
/// names, free text, credentials, user ids, coordinates.
fn whole_value(text: &str, ctx: Option<NameClass>, hits: &mut Vec<Hit>) {
    let Some(c) = ctx else { return };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return;
    }
    let start = text.len() - text.trim_start().len();
    let span = start..start + trimmed.len();
    let covered = |hits: &Vec<Hit>, k: Kind| hits.iter().any(|h| h.kind == k);
    match c.kind {
        Kind::PersonName => {
            if !looks_like_name(trimmed) || covered(hits, Kind::PersonName) {
                return;
            }
            let any_given = trimmed
                .split([' ', '-'])
                .any(|w| is_first_name(w.trim_matches(|ch: char| !ch.is_alphabetic())));
            let conf = if c.confidence >= 0.8 {
                0.9
            } else if any_given {
                0.8
            } else {
                return;
            };
            hits.push(Hit::new(Kind::PersonName, conf, span));
        }
        Kind::FreeText => {
            let words = trimmed.split_whitespace().count();
            let letters = trimmed.chars().filter(|ch| ch.is_alphabetic()).count();
            let chars = trimmed.chars().count();
            if words >= 4 && chars >= 20 && letters * 2 >= chars {
                hits.push(Hit::new(Kind::FreeText, 0.7, span));
            }
        }
        Kind::Secret
            if !covered(hits, Kind::Secret) && trimmed.len() >= 6 && trimmed.len() <= 4096 =>
        {
            hits.push(Hit::new(Kind::Secret, 0.85, span));
        }
        Kind::PostalAddress => {
            let has_digit = trimmed.bytes().any(|b| b.is_ascii_digit());
            let has_alpha = trimmed.chars().any(char::is_alphabetic);
            if !covered(hits, Kind::PostalAddress)
                && has_digit
                && has_alpha
                && trimmed.len() <= 200
                && c.confidence >= 0.8
            {
                hits.push(Hit::new(Kind::PostalAddress, 0.75, span));
            }
        }
        // Forms only a field named for it makes a date of birth:
        // "19850312", "12/03/85".
        Kind::DateOfBirth if !covered(hits, Kind::DateOfBirth) && compact_date(trimmed) => {
            hits.push(Hit::new(Kind::DateOfBirth, 0.8, span));
        }
        Kind::OnlineId if trimmed.len() <= 128 && !trimmed.contains(char::is_whitespace) => {
            hits.push(Hit::new(Kind::OnlineId, 0.6, span));
        }
        Kind::Geolocation
            if trimmed
                .parse::<f64>()
                .is_ok_and(|v| (-180.0..=180.0).contains(&v))
                && trimmed.contains('.') =>
        {
            hits.push(Hit::new(Kind::Geolocation, 0.7, span));
        }
        _ => {}
    }
}

/// Keeps the best hit where hits overlap (confidence, then length, then
/// position, then kind: deterministic), except free text, which may
/// enclose other hits. Returns hits sorted by start.
fn resolve(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then((b.span.end - b.span.start).cmp(&(a.span.end - a.span.start)))
            .then(a.span.start.cmp(&b.span.start))
            .then(a.kind.cmp(&b.kind))
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    // Kept spans (other than free text) are disjoint: the one starting last
    // before a candidate's end is the only one that can overlap it.
    let mut taken: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    for h in hits {
        if h.kind == Kind::FreeText {
            kept.push(h);
            continue;
        }
        let clash = taken
            .range(..h.span.end)
            .next_back()
            .is_some_and(|(_, &end)| end > h.span.start);
        if !clash {
            taken.insert(h.span.start, h.span.end);
            kept.push(h);
        }
    }
    kept.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(a.span.end.cmp(&b.span.end))
            .then(a.kind.cmp(&b.kind))
    });
    kept
}

thread_local! {
    /// See `TextDetector::scan`.
    static SHAPE: std::cell::RefCell<Shape> = std::cell::RefCell::new(Shape::default());
}

/// `(?-u:\b)` before the word byte at `i`.
fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut i = max;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    &text[..i]
}

/// A candidate must not be glued to other word characters or to a longer
/// run of digits (UUID fragments, timestamps, versions, hex).
fn clean_boundaries(b: &[u8], start: usize, end: usize) -> bool {
    clean_start(b, start) && clean_end(b, end)
}

/// A byte that glues a match to a word.
fn glued(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The start half of [`clean_boundaries`].
fn clean_start(b: &[u8], start: usize) -> bool {
    if start > 0 {
        let p = b[start - 1];
        if glued(p) {
            return false;
        }
        if matches!(p, b'-' | b'.' | b'/' | b':' | b'+')
            && start >= 2
            && (b[start - 2].is_ascii_alphanumeric())
            && !labelled(b, start - 1)
        {
            return false;
        }
    }
    true
}

/// The end half of [`clean_boundaries`].
fn clean_end(b: &[u8], end: usize) -> bool {
    if end < b.len() {
        let n = b[end];
        if glued(n) {
            return false;
        }
        if matches!(n, b'-' | b'.' | b'/' | b':' | b',')
            && end + 1 < b.len()
            && b[end + 1].is_ascii_digit()
        {
            return false;
        }
    }
    true
}

/// Whether the word just before the separator at `sep` names a kind of
/// personal data: a label glued to its value ("tel:06…", "Tél.06…",
/// "NIR:1…", "siret:7…"), where "order:06…" or "v1.2…" are not.
fn labelled(b: &[u8], sep: usize) -> bool {
    let from = sep.saturating_sub(24);
    let start = b[from..sep]
        .iter()
        .rposition(|c| !(c.is_ascii_alphabetic() || *c == b'_' || *c >= 0x80))
        .map_or(from, |p| from + p + 1);
    // The word must start after a non-word byte (not cut by the window).
    if start == sep || (start == from && from > 0) {
        return false;
    }
    std::str::from_utf8(&b[start..sep]).is_ok_and(|w| classify_tokens(&tokens(w)).is_some())
}

/// Up to the last three lowercase words before `at` on the same line (the
/// last [`tokens`] of at most 32 bytes), without allocating.
fn preceding_words(text: &str, at: usize) -> LastTokens {
    let mut from = at.saturating_sub(LastTokens::MAX_TEXT);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = &text[from..at];
    let window = window.rsplit('\n').next().unwrap_or(window);
    LastTokens::of(window)
}

/// Confidence change from the words just before a hit ("Tél : …",
/// "SIRET …", "commande n° …").
fn inline_adjust(text: &str, at: usize, kind: Kind) -> f32 {
    let words = preceding_words(text, at);
    let (words, n) = words.words();
    let words = &words[..n];
    let Some(last) = words.last() else {
        return 0.0;
    };
    let positive = classify_tokens(std::slice::from_ref(last)).or_else(|| classify_tokens(words));
    if positive.is_some_and(|c| c.kind == kind) {
        return 0.15;
    }
    // "commande n° …", "order id …": unless a word names the kind.
    if weak_kind(kind) && positive.is_none() && negative_tokens(words) {
        return -0.35;
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::super::Detector;
    use super::*;

    /// The kinds `scan_text` finds in `text`.
    pub(super) fn kinds(text: &str, ctx: Option<&str>) -> Vec<Kind> {
        Detector::global()
            .scan_text(text, ctx)
            .into_iter()
            .map(|h| h.kind)
            .collect()
    }

    #[test]
    fn spans_are_exact() {
        let t = "mail: jane.doe@example.fr, ip 203.0.113.7";
        let hits = Detector::global().scan_text(t, None);
        let got: Vec<&str> = hits.iter().map(|h| &t[h.span.clone()]).collect();
        assert_eq!(got, ["jane.doe@example.fr", "203.0.113.7"]);
    }

    /// Forms that real French addresses and NIRs take and that a pre-scan
    /// gate once skipped.
    #[test]
    fn french_forms() {
        let texts = |t: &str| -> Vec<String> {
            Detector::global()
                .scan_text(t, None)
                .into_iter()
                .map(|h| format!("{:?} {}", h.kind, &t[h.span]))
                .collect()
        };
        // Overseas postcodes have five digits, like the others.
        assert_eq!(
            texts("livraison 97400 Saint-Denis"),
            ["PostalAddress 97400 Saint-Denis"]
        );
        assert_eq!(
            texts("livraison 97190 Le Gosier"),
            ["PostalAddress 97190 Le Gosier"]
        );
        assert_eq!(texts("commande 974001 expédiée"), Vec::<String>::new());
        // A comma or a suffix right after the number.
        assert_eq!(
            texts("au 12, rue des Lilas"),
            ["PostalAddress 12, rue des Lilas"]
        );
        assert_eq!(
            texts("au 12bis rue des Lilas"),
            ["PostalAddress 12bis rue des Lilas"]
        );
        assert_eq!(texts("au 4 cité Fleurie"), ["PostalAddress 4 cité Fleurie"]);
        assert_eq!(
            texts("au 7 allée des Roses"),
            ["PostalAddress 7 allée des Roses"]
        );
        // Corsican NIRs written in lowercase.
        assert_eq!(kinds("2 69 05 2A 004 016 24", None), [Kind::Nir]);
        assert_eq!(kinds("2 69 05 2a 004 016 24", None), [Kind::Nir]);
        assert_eq!(kinds("1 78 11 2b 033 001 65", None), [Kind::Nir]);
    }

    /// What a reviewer found missed or cut short, each as text, context,
    /// and the hits expected (kind and exact text).
    #[test]
    fn reviewed_misses() {
        type Case<'a> = (&'a str, Option<&'a str>, &'a [(Kind, &'a str)]);
        let cases: &[Case] = &[
            // IPv4-mapped IPv6: the whole address, not "::ffff:81".
            (
                "::ffff:81.12.3.4",
                None,
                &[(Kind::IpAddress, "::ffff:81.12.3.4")],
            ),
            (
                "from ::ffff:81.12.3.4 ok",
                Some("remote_addr"),
                &[(Kind::IpAddress, "::ffff:81.12.3.4")],
            ),
            // Labels glued to their values.
            ("tel:0612345678", None, &[(Kind::Phone, "0612345678")]),
            (
                "Tél:06 12 34 56 78",
                None,
                &[(Kind::Phone, "06 12 34 56 78")],
            ),
            (
                "Tel.06 12 34 56 78",
                None,
                &[(Kind::Phone, "06 12 34 56 78")],
            ),
            ("tel:+33612345678", None, &[(Kind::Phone, "+33612345678")]),
            ("mobile:0612345678", None, &[(Kind::Phone, "0612345678")]),
            (
                "NIR:185057800608491",
                None,
                &[(Kind::Nir, "185057800608491")],
            ),
            (
                "siret:73282932000074",
                None,
                &[(Kind::Siret, "73282932000074")],
            ),
            ("order:0612345678", None, &[]),
            // Phones side by side, or before a count.
            (
                "06 12 34 56 78/07 12 34 56 78",
                None,
                &[
                    (Kind::Phone, "06 12 34 56 78"),
                    (Kind::Phone, "07 12 34 56 78"),
                ],
            ),
            (
                "0612345678/0712345678",
                None,
                &[(Kind::Phone, "0612345678"), (Kind::Phone, "0712345678")],
            ),
            (
                "0612345678,0712345678",
                None,
                &[(Kind::Phone, "0612345678"), (Kind::Phone, "0712345678")],
            ),
            (
                "06 12 34 56 78 06 12 34 56 79",
                None,
                &[
                    (Kind::Phone, "06 12 34 56 78"),
                    (Kind::Phone, "06 12 34 56 79"),
                ],
            ),
            (
                "Appelez le 06 12 34 56 78 15 minutes avant",
                None,
                &[(Kind::Phone, "06 12 34 56 78")],
            ),
            ("ref 06 12 34 56 78 90 12", None, &[]),
            // E-mails with accented local parts.
            (
                "françois.dupont@gmail.com",
                None,
                &[(Kind::Email, "françois.dupont@gmail.com")],
            ),
            // IBANs in lowercase or with dashes.
            (
                "fr76 3000 6000 0112 3456 7890 189",
                None,
                &[(Kind::Iban, "fr76 3000 6000 0112 3456 7890 189")],
            ),
            (
                "FR76-3000-6000-0112-3456-7890-189",
                None,
                &[(Kind::Iban, "FR76-3000-6000-0112-3456-7890-189")],
            ),
            (
                "fr7630006000011234567890189",
                Some("iban"),
                &[(Kind::Iban, "fr7630006000011234567890189")],
            ),
            // Dates of birth.
            (
                "1985-03-12T00:00:00.000Z",
                Some("birthdate"),
                &[(Kind::DateOfBirth, "1985-03-12T00:00:00.000Z")],
            ),
            (
                "né(e) le 12/03/1985",
                None,
                &[(Kind::DateOfBirth, "12/03/1985")],
            ),
            (
                "né à Lyon le 12/03/1985",
                None,
                &[(Kind::DateOfBirth, "12/03/1985")],
            ),
            (
                "Né le 12 mars 1985",
                None,
                &[(Kind::DateOfBirth, "12 mars 1985")],
            ),
            (
                "née le 1er avril 1990 à Nantes",
                None,
                &[(Kind::DateOfBirth, "1er avril 1990")],
            ),
            ("signé le 12/03/1985", None, &[]),
            (
                "19850312",
                Some("date_naissance"),
                &[(Kind::DateOfBirth, "19850312")],
            ),
            ("12/03/85", Some("ddn"), &[(Kind::DateOfBirth, "12/03/85")]),
            // Credentials in free text: only the value.
            ("password=hunter2 ok", None, &[(Kind::Secret, "hunter2")]),
            (
                r#"{"password": "hunter2secret"}"#,
                None,
                &[(Kind::Secret, "hunter2secret")],
            ),
            (
                "api_key=4f9c2b7e1d8a",
                None,
                &[(Kind::Secret, "4f9c2b7e1d8a")],
            ),
            (
                "X-Api-Key: 4f9c2b7e1d8a55",
                None,
                &[(Kind::Secret, "4f9c2b7e1d8a55")],
            ),
            (r#""password"=>"[FILTERED]""#, None, &[]),
            ("password=${DB_PASSWORD}", None, &[]),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZA==",
                None,
                &[(Kind::Secret, "Basic dXNlcjpwYXNzd29yZA==")],
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----",
                None,
                &[(Kind::Secret, "-----BEGIN RSA PRIVATE KEY-----")],
            ),
            (
                "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
                None,
                &[(Kind::Secret, "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/")],
            ),
            (
                "postgres://app:s3cretpw@db.internal/prod",
                None,
                &[(Kind::Secret, "s3cretpw")],
            ),
            ("token_type=bearer", None, &[]),
            // Addresses in lowercase.
            (
                "12 rue de la paix 75002 paris",
                None,
                &[(Kind::PostalAddress, "12 rue de la paix 75002 paris")],
            ),
            (
                "5 avenue jean jaurès 69007 lyon",
                Some("adresse"),
                &[(Kind::PostalAddress, "5 avenue jean jaurès 69007 lyon")],
            ),
        ];
        let mut failures = Vec::new();
        for (text, ctx, want) in cases {
            let got: Vec<(Kind, &str)> = Detector::global()
                .scan_text(text, *ctx)
                .into_iter()
                .map(|h| (h.kind, &text[h.span]))
                .collect();
            if got != *want {
                failures.push(format!("{text:?} ({ctx:?}): got {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

#[cfg(test)]
mod profile {
    use super::*;

    /// `cargo test --release --lib pii::text::profile -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn profile_passes() {
        let mut text = String::new();
        let mut i = 0u64;
        while text.len() < 8 << 20 {
            i += 1;
            text.push_str(&format!(r#"{{"session_id":"{:032x}","user_id":{},"last_seen":"2024-01-15T10:{:02}:00Z","return_to":"/organisations/{}/agenda?page=2"}} "#, i * 7919, i % 100000, i % 60, i % 500));
            text.push_str(&format!("I, [2024-01-15T10:23:45.123456 #{}]  INFO -- : Completed 200 OK in {}ms (Views: 12.3ms | ActiveRecord: 4.5ms) 81.12.{}.{}\n", i, i % 900, i % 256, i % 200));
            text.push_str("le rendez-vous est confirmé pour demain matin merci de votre patience dossier complet agent service la demande sera traitée Bonjour Camille, rappelez le 06 12 34 56 78.\n");
        }
        let d = TextDetector::new();
        let mb = text.len() as f64 / 1e6;
        let report = |name: &str, t: std::time::Instant, n: usize| {
            println!(
                "{name:10} {:8.1} MB/s {n} matches",
                mb / t.elapsed().as_secs_f64()
            );
        };
        // Each pattern over the whole text, though `scan` searches some of
        // them only within spans or anchored where a match can start.
        for (name, r) in [("email", &d.email), ("secret", &d.secret)] {
            let t = std::time::Instant::now();
            report(name, t, r.find_iter(&text).count());
        }
        for (name, r) in [
            ("phone", &d.phone),
            ("nir", &d.nir),
            ("iban", &d.iban),
            ("person", &d.person),
            ("ipv4", &d.ipv4),
            ("ipv6", &d.ipv6),
            ("address", &d.address),
            ("postcode", &d.postcode_city),
            ("date", &d.date),
        ] {
            let t = std::time::Instant::now();
            report(name, t, r.find_iter(text.as_str()).count());
        }
        let t = std::time::Instant::now();
        let n = d.scan(&text, None).len();
        println!(
            "scan       {:8.1} MB/s {n} hits",
            mb / t.elapsed().as_secs_f64()
        );
    }
}
