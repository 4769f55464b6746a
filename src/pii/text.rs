//! Detectors on text: linear-time regexes find candidates, validators and
//! context decide. Spans are byte ranges into the scanned text.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use regex::{Regex, RegexBuilder};
use regex_automata::util::syntax;
use regex_automata::{meta, Anchored, Input, MatchKind};

use super::names::{
    classify_tokens, is_first_name, negative_tokens, tokens, LastTokens, NameClass,
};
use super::validate::{iban_country, iban_valid, luhn_valid, nir_valid, siren_valid, siret_valid};
use super::{Hit, Kind, MIN_CONFIDENCE};

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

pub(crate) const STREET_TYPES: &str = "rue|avenue|av|bd|boulevard|blvd|place|pl|chemin|allée|allee|impasse|route|rte|quai|cours|square|passage|faubourg|fg|voie|villa|cité|cite|hameau|résidence|residence|sentier|esplanade|promenade|chaussée|chaussee|lotissement|lieu-dit|rond-point|parvis|montée|montee|traverse|ruelle|mail|street|st|road|rd|lane|drive";

/// A run of digit groups: `(?-u:\b)` then this is the numeric pattern; it is
/// compiled anchored (`^`) and run from each position where it can start.
const NUMERIC_AT: &str = r"^[0-9]{2,}(?:[ \-][0-9]{2,}){0,5}(?-u:\b)";

/// A word of a street or city name: no separators of structured text.
const WORD: &str = r#"[^\s,;:"{}\[\]()<>|=&/\\]"#;

/// Password hashes, API tokens, bearer tokens, JWTs.
const SECRET: &str = concat!(
    r"\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}",
    r"|\$argon2(?:id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+",
    r"|pbkdf2_sha(?:1|256|512)\$[0-9]+\$[A-Za-z0-9./+]+\$[A-Za-z0-9+/=]+",
    r"|\$pbkdf2(?:-sha(?:1|256|512))?\$[0-9]+\$[A-Za-z0-9./+]+\$[A-Za-z0-9./+=]+",
    r"|\$[56]\$(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}",
    r"|\$scrypt\$[^\s$]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+",
    r"|(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_\-]{20,}|xox[abpros]-[A-Za-z0-9\-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}|sk-(?:proj-)?[A-Za-z0-9_\-]{32,}|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}|npm_[A-Za-z0-9]{36})",
    r"|(?-u:\b)eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
    r"|(?-u:\b)(?:Bearer|bearer|BEARER|Token|token)[ ]+[A-Za-z0-9\-._~+/]{16,}=*",
    // HTTP basic credentials, md5crypt, PEM private keys.
    r"|(?-u:\b)Basic[ ]+[A-Za-z0-9+/]{8,}={0,2}",
    r"|\$1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}",
    r"|-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----(?:[A-Za-z0-9+/=:,\-\s]{0,8192}-----END [A-Z ]{0,20}PRIVATE KEY-----)?",
);

/// Labels of a credential written as an assignment (each ends with one
/// of the trigrams `credential_label_before` checks first) ("password=…",
/// "\"api_key\": \"…\"", "token: …", "\"password\"=>\"…\""), in any case.
const CREDENTIAL_LABELS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "mot_de_passe",
    "motdepasse",
    "mdp",
    "secret",
    "client_secret",
    "api_key",
    "api-key",
    "apikey",
    "x-api-key",
    "access_token",
    "access-token",
    "auth_token",
    "auth-token",
    "refresh_token",
    "token",
    "private_key",
    "secret_access_key",
    "aws_secret_access_key",
];

/// The length in bytes of the shortest text `pattern` can match.
fn min_len(pattern: &str) -> usize {
    regex_automata::util::syntax::parse(pattern)
        .ok()
        .and_then(|hir| hir.properties().minimum_len())
        .unwrap_or(0)
}

impl TextDetector {
    pub(crate) fn new() -> TextDetector {
        // A postcode and a city. Before one, the street's name may be
        // written in lowercase ("12 rue de la paix 75002 paris"); without
        // one, its words after the first need a capital or are particles.
        const CITY: &str = r"(?:,?[ ]+[0-9]{5}(?:[ ]+[A-ZÀ-Ýa-zà-ÿ][A-Za-zÀ-ÿ'’\-]*){1,4})";
        let address = format!(
            r"(?-u:\b)[0-9]{{1,4}}(?:[ ]?(?:bis|ter|quater|[A-Da-d])(?-u:\b))?,?[ ]+(?i:{STREET_TYPES})\.?[ ]+{WORD}+(?:(?:[ ]+{WORD}+){{0,7}}{CITY}|(?:[ ]+(?:(?:l'|l’|d'|d’)[A-ZÀ-Ýa-zà-ÿ]{WORD}*|de|du|des|la|le|les|l'|l’|d'|d’|à|au|aux|sur|en|et|[A-ZÀ-Ý0-9]{WORD}*)){{0,7}}(?:{CITY})?)"
        );
        TextDetector {
            email: re(
                r"[A-Za-z0-9À-ÖØ-öø-ſ._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?-u:\b)",
            ),
            phone: meta_re(
                r"(?:(?:\+|00)33[ .\-]?(?:\(0\)[ .\-]?)?|0)[1-9](?:[ .\-]?[0-9]{2}){4}|\+[1-9][0-9]{0,3}(?:[ .\-]?\(?[0-9]{1,5}\)?){1,6}",
            ),
            numeric_at: re(NUMERIC_AT),
            nir: meta_re(
                r"(?-u:\b)[1-478][ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?(?:[0-9]{2}|2[ABab])[ ]?[0-9]{3}[ ]?[0-9]{3}[ ]?[0-9]{2}(?-u:\b)",
            ),
            iban: meta_re(
                r"(?-u:\b)[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]{4}){2,7}(?:[ \-]?[A-Za-z0-9]{1,4})?(?-u:\b)",
            ),
            ipv4: meta_re(r"(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)"),
            ipv6: meta_re(
                r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:(?:(?:[0-9A-Fa-f:]*:)?[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9A-Fa-f:]*)",
            ),
            secret: re(SECRET),
            secret_min_len: min_len(SECRET),
            address: meta_re(&address),
            postcode_city: meta_re(
                r"(?-u:\b)(?:(?:0[1-9]|[1-8][0-9]|9[0-5])[0-9]{3}|97[1-8][0-9]{2}|98[0-9]{3})[ ]+[A-ZÀ-Ý][A-Za-zÀ-ÿ'’\-]+(?:[ ][A-ZÀ-Ý][A-Za-zÀ-ÿ'’\-]+){0,3}(?:[ ]+(?i:cedex)(?:[ ]+[0-9]{1,2})?)?",
            ),
            date: meta_re(concat!(
                r"(?-u:\b)(?:(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}",
                // An ISO date and time ("1985-03-12T00:00:00.000Z").
                r"(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?)?",
                r"|[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:19|20)[0-9]{2}",
                // "12 mars 1985", "1er avril 1990".
                r"|[0-9]{1,2}(?:er)?[ ](?i:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|january|february|march|april|may|june|july|august|september|october|november|december)[ ](?:19|20)[0-9]{2}",
                r")(?-u:\b)",
            )),
            person: meta_re(concat!(
                r"(?-u:\b)(?:M\.|Mme|Mlle|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Madame|Monsieur|Mademoiselle|Bonjour|Bonsoir|Cher|Chère|Hello|Hi|Dear)[ ]+[A-ZÀ-Ý][A-Za-zà-ÿ'’\-]+(?:[ ]+[A-ZÀ-Ý][A-Za-zà-ÿ'’\-]+)?",
                r"|(?-u:\b)[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?[ ]+[A-ZÀ-Ý][A-Za-zà-ÿ'’\-]+",
                r"|(?-u:\b)[A-Z]{2,}[ ]+[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?",
            )),
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

    fn emails(&self, text: &str, hits: &mut Vec<Hit>) {
        for m in self.email.find_iter(text) {
            let s = m.as_str();
            let (mut start, end) = (m.start(), m.end());
            // Trim leading dots of the local part ("...jane@x.fr").
            let lead = s.bytes().take_while(|b| *b == b'.').count();
            start += lead;
            let s = &s[lead..];
            let Some((local, domain)) = s.split_once('@') else {
                continue;
            };
            // "postgres://user:pass@host": the password of a URL, not a
            // mailbox.
            if url_password(text.as_bytes(), start) {
                hits.push(Hit::new(Kind::Secret, 0.9, start..start + local.len()));
                continue;
            }
            if local.is_empty()
                || local.ends_with('.')
                || local.contains("..")
                || domain
                    .split('.')
                    .any(|l| l.starts_with('-') || l.ends_with('-'))
            {
                continue;
            }
            let tld = domain.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            if matches!(
                tld.as_str(),
                "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "ico" | "css" | "js" | "map"
            ) {
                continue;
            }
            hits.push(Hit::new(Kind::Email, 0.95, start..end));
        }
    }

    /// Phones within `runs` (of digits and separators: a match holds
    /// nothing else, so it lies in one run, and runs of fewer than eight
    /// digits hold no valid phone).
    fn phones(&self, text: &str, runs: impl Iterator<Item = Range<usize>>, hits: &mut Vec<Hit>) {
        let b = text.as_bytes();
        // Each match, without the trailing separator the international
        // alternative may swallow, and its confidence if it is a phone.
        let found: Vec<(Range<usize>, Option<f32>)> = runs
            .flat_map(|run| self.phone.find_iter(Input::new(text).range(run)))
            .map(|m| {
                let (start, mut end) = (m.start(), m.end());
                while end > start && matches!(b[end - 1], b' ' | b'.' | b'-' | b'(') {
                    end -= 1;
                }
                let s = &text[start..end];
                (start..end, french_phone(s).or_else(|| intl_phone(s)))
            })
            .collect();
        // Phones in a list ("06… / 07…", "06…,07…", one after the other):
        // a neighbour that is a phone too is no sign of a longer number.
        let listed = |a: &(Range<usize>, Option<f32>), z: &(Range<usize>, Option<f32>)| {
            a.1.is_some()
                && z.1.is_some()
                && z.0.start > a.0.end
                && z.0.start - a.0.end <= 3
                && b[a.0.end..z.0.start]
                    .iter()
                    .all(|c| matches!(c, b' ' | b'/' | b',' | b';' | b'-' | b'|'))
        };
        for (i, (span, conf)) in found.iter().enumerate() {
            let Some(conf) = conf else { continue };
            let (start, end) = (span.start, span.end);
            let after_phone = i > 0 && listed(&found[i - 1], &found[i]);
            let before_phone = found.get(i + 1).is_some_and(|z| listed(&found[i], z));
            if !(after_phone || clean_start(b, start)) || !(before_phone || clean_end(b, end)) {
                continue;
            }
            // More digit groups follow: a longer reference, not a phone
            // (but "… 78 15 minutes avant" is a phone and a count).
            if !before_phone
                && end + 2 < b.len()
                && matches!(b[end], b' ' | b'.' | b'-')
                && b[end + 1].is_ascii_digit()
                && b[end + 2].is_ascii_digit()
                && !count_then_word(b, end)
            {
                continue;
            }
            let conf = conf + inline_adjust(text, start, Kind::Phone);
            hits.push(Hit::new(Kind::Phone, conf, start..end));
        }
    }

    /// The matches of `(?-u:\b)NUMERIC` in `text`, left to right, as
    /// `find_iter` would give them, but only those inside runs of digits,
    /// spaces and dashes that hold at least `min_digits` digits. A match
    /// holds only those bytes, so it lies in one such run, and the matches
    /// of one run do not depend on the text outside it: other runs are
    /// skipped, and each run is tried, anchored, only where a match can
    /// start (a digit after a non-word byte), so the work stays linear.
    fn numeric_matches(
        &self,
        text: &str,
        span: Range<usize>,
        min_digits: usize,
    ) -> Vec<Range<usize>> {
        let b = text.as_bytes();
        let in_run = |c: u8| c.is_ascii_digit() || c == b' ' || c == b'-';
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut out = Vec::new();
        let mut i = span.start;
        while i < span.end {
            if !b[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            // A run starts at the first digit (leading separators cannot
            // start a match) and ends before the first other byte.
            let start = i;
            let mut digits = 0;
            while i < b.len() && in_run(b[i]) {
                digits += usize::from(b[i].is_ascii_digit());
                i += 1;
            }
            if digits < min_digits {
                continue;
            }
            let mut p = start;
            while p < i {
                if b[p].is_ascii_digit() && (p == 0 || !word(b[p - 1])) {
                    if let Some(m) = self.numeric_at.find(&text[p..]) {
                        let e = p + m.end();
                        out.push(p..e);
                        p = e;
                        continue;
                    }
                }
                p += 1;
            }
        }
        out
    }

    /// Cards, SIRET and SIREN within `runs` (of at least nine digits: the
    /// runs `numeric_matches` looks for lie in them).
    fn numbers(&self, text: &str, runs: impl Iterator<Item = Range<usize>>, hits: &mut Vec<Hit>) {
        let b = text.as_bytes();
        for m in runs.flat_map(|run| self.numeric_matches(text, run, 9)) {
            let (start, end) = (m.start, m.end);
            let found = &text[m];
            if found.bytes().filter(u8::is_ascii_digit).count() < 9 {
                continue;
            }
            if !clean_boundaries(b, start, end) {
                continue;
            }
            // Groups of digits with their offsets; try every contiguous run of
            // groups, longest first, for a card, a SIRET or a SIREN.
            let groups: Vec<(usize, usize)> = group_offsets(found, start);
            // An IBAN's digits ("FR76 3000 …") are the IBAN detector's.
            if start >= 5 && looks_like_iban_head(&b[start - 5..start]) {
                continue;
            }
            // A run shaped like one identifier (SIRET 3-3-3-5, card 4-4-4-…)
            // is judged whole: a SIRET with a bad key is not a SIREN.
            let sizes: Vec<usize> = groups.iter().map(|(a, z)| z - a).collect();
            let whole_only = sizes == [3, 3, 3, 5]
                || (sizes.len() >= 3 && sizes[..sizes.len() - 1].iter().all(|g| *g == 4));
            let shortest = if whole_only { groups.len() } else { 1 };
            'outer: for len in (shortest..=groups.len()).rev() {
                for first in 0..=groups.len() - len {
                    let run = &groups[first..first + len];
                    let (s, e) = (run[0].0, run[len - 1].1);
                    if first > 0 || first + len < groups.len() {
                        // A sub-run must itself sit between clean separators.
                        if !clean_boundaries(b, s, e) {
                            continue;
                        }
                    }
                    let sizes: Vec<usize> = run.iter().map(|(a, z)| z - a).collect();
                    let slice = &text[s..e];
                    if let Some((kind, conf)) = classify_number(slice, &sizes) {
                        let conf = conf + inline_adjust(text, s, kind);
                        hits.push(Hit::new(kind, conf, s..e));
                        break 'outer;
                    }
                }
            }
        }
    }

    /// NIRs within `runs` (a match holds only digits, spaces and the `A`
    /// or `B` of a Corsican department: see `Shape::run`).
    fn nirs(&self, text: &str, runs: impl Iterator<Item = Range<usize>>, hits: &mut Vec<Hit>) {
        for run in runs {
            for m in self.nir.find_iter(Input::new(text).range(run)) {
                let s = &text[m.range()];
                if nir_valid(s) && clean_boundaries(text.as_bytes(), m.start(), m.end()) {
                    hits.push(Hit::new(Kind::Nir, 0.97, m.range()));
                }
            }
        }
    }

    /// IBANs, in either case, grouped by spaces or dashes or not at all:
    /// the matches of `iban` tried (anchored) only where one can start
    /// (`starts`, see `Shape::digit_runs`).
    fn ibans(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
        for m in matches_at(&self.iban, text, starts) {
            // Greedy matching may take one group too many: shrink until valid.
            let s = &text[m.clone()];
            let mut end = s.len();
            loop {
                let cand = s[..end].trim_end_matches([' ', '-']);
                if cand.len() < 15 {
                    break;
                }
                if iban_valid(cand) {
                    hits.push(Hit::new(Kind::Iban, 0.97, m.start..m.start + cand.len()));
                    break;
                }
                match cand.rfind([' ', '-']) {
                    Some(i) => end = i,
                    None => break,
                }
            }
        }
    }

    /// IPv4 addresses within `runs` (runs of digits and separators with
    /// three dots and four digits: a match holds only digits and dots).
    fn ipv4s(&self, text: &str, runs: &[Range<usize>], hits: &mut Vec<Hit>) {
        let b = text.as_bytes();
        let found = runs
            .iter()
            .flat_map(|run| self.ipv4.find_iter(Input::new(text).range(run.clone())));
        for m in found {
            let (start, end) = (m.start(), m.end());
            // Part of a longer dotted run (version 1.2.3.4.5, an OID)?
            if (start >= 2 && b[start - 1] == b'.' && b[start - 2].is_ascii_digit())
                || (start >= 2 && b[start - 1] == b'/' && b[start - 2].is_ascii_alphanumeric())
                || (end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_digit())
                || (start >= 1 && matches!(b[start - 1], b'-' | b'_' | b'+' | b'~'))
            {
                continue;
            }
            let Ok(ip) = text[start..end].parse::<Ipv4Addr>() else {
                continue;
            };
            if ip.is_loopback() || ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
                continue;
            }
            let mut conf = if ip.is_private() || ip.is_link_local() {
                0.7
            } else {
                0.85
            };
            if ip.octets().iter().all(|o| *o < 10) {
                conf = 0.45; // 1.2.3.4: likely a version number
            }
            let before = preceding_words(text, start);
            let (before, n) = before.words();
            if before[..n]
                .last()
                .is_some_and(|w| matches!(*w, "v" | "version" | "ver" | "release" | "build"))
            {
                continue;
            }
            let conf = conf + inline_adjust(text, start, Kind::IpAddress);
            hits.push(Hit::new(Kind::IpAddress, conf, start..end));
        }
    }

    /// IPv6 addresses, when the first colon is at `colon`.
    fn ipv6s(&self, text: &str, colon: usize, hits: &mut Vec<Hit>) {
        let b = text.as_bytes();
        for m in self.ipv6_matches(text, colon) {
            let (start, mut end) = (m.start, m.end);
            // A trailing single ':' is a separator ("…::1: error").
            while end > start + 2 && b[end - 1] == b':' && b[end - 2] != b':' {
                end -= 1;
            }
            if start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_')
                || end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_')
            {
                // "rack::attack", "user::12": glued to a word.
                if !(start > 0 && matches!(b[start - 1], b'[')) {
                    continue;
                }
            }
            if start > 0 && b[start - 1] == b':' {
                continue;
            }
            let s = &text[start..end];
            let groups = s.split(':').filter(|g| !g.is_empty()).count();
            if groups < 2 {
                continue;
            }
            let Ok(ip) = s.parse::<Ipv6Addr>() else {
                continue;
            };
            if ip.is_loopback() || ip.is_unspecified() {
                continue;
            }
            // Clock times and ratios parse as IPv6 only with "::"; require a
            // hex letter, "::" with ≥ 2 groups, or the full 8 groups.
            let has_hex_letter = s.bytes().any(|c| c.is_ascii_alphabetic());
            if !has_hex_letter && !s.contains("::") && groups < 8 {
                continue;
            }
            if !has_hex_letter && groups <= 3 {
                continue;
            }
            hits.push(Hit::new(Kind::IpAddress, 0.85, start..end));
        }
    }

    fn secrets(&self, text: &str, hits: &mut Vec<Hit>) {
        for m in self.secret.find_iter(text) {
            hits.push(Hit::new(Kind::Secret, 0.95, m.range()));
        }
        // Assignments need their separator.
        if memchr::memchr2(b'=', b':', text.as_bytes()).is_none() {
            return;
        }
        // Each '=' or ':' whose word before is a credential's label.
        let b = text.as_bytes();
        for sep in memchr::memchr2_iter(b'=', b':', b) {
            if !credential_label_before(b, sep) {
                continue;
            }
            if let Some(value) = credential_value(text, assigned_at(b, sep)) {
                hits.push(Hit::new(Kind::Secret, 0.85, value));
            }
        }
    }

    /// The matches of `address`, left to right, as `find_iter` gives them,
    /// tried (anchored) only where one can start (`starts`, ascending: see
    /// `Shape::stretch`). The pattern holds the street type and the spaces
    /// after it, so a type ending in a non-ASCII letter ("cité", "allée")
    /// needs no word boundary.
    fn addresses(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
        for m in matches_at(&self.address, text, starts) {
            let s = &text[m.clone()];
            let end = m.start + s.trim_end_matches([' ', ',', '.', '-']).len();
            // "3 pl" or "12 st" with no real name after: too weak.
            let words = s.split_whitespace().count();
            if words < 3 {
                continue;
            }
            let conf = 0.85 + inline_adjust(text, m.start, Kind::PostalAddress);
            hits.push(Hit::new(Kind::PostalAddress, conf, m.start..end));
        }
    }

    /// The matches of `postcode_city`, as `find_iter` gives them, tried only
    /// where one can start (`starts`, see `Shape::stretch`).
    fn postcodes(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
        for m in matches_at(&self.postcode_city, text, starts) {
            if !clean_boundaries(text.as_bytes(), m.start, m.end) {
                continue;
            }
            let conf = 0.6 + inline_adjust(text, m.start, Kind::PostalAddress);
            hits.push(Hit::new(Kind::PostalAddress, conf, m));
        }
    }

    /// Dates of birth: the matches of `date`, as `find_iter` gives them,
    /// tried only where one can start (`starts`, see `Shape::stretch`). A
    /// date counts when the field's name says so or a cue precedes it.
    fn dates(&self, text: &str, starts: &[usize], ctx: Option<NameClass>, hits: &mut Vec<Hit>) {
        let field_says = ctx.is_some_and(|c| c.kind == Kind::DateOfBirth);
        for m in matches_at(&self.date, text, starts) {
            let says = field_says || birth_cue(text, m.start);
            if !says || !plausible_date(&text[m.clone()]) {
                continue;
            }
            hits.push(Hit::new(Kind::DateOfBirth, 0.85, m));
        }
    }

    /// The matches of `ipv6`, left to right, as `find_iter` gives them. A
    /// match starts with `[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:`: its first
    /// colon is followed by at most four hex digits and a colon, and it
    /// starts at the hex digits just before that colon (at most four, and
    /// not before the previous match's end), where it is tried, anchored.
    /// `colon` is the text's first colon.
    fn ipv6_matches(&self, text: &str, colon: usize) -> Vec<Range<usize>> {
        let b = text.as_bytes();
        let mut out: Vec<Range<usize>> = Vec::new();
        let mut last_end = 0;
        let colons = memchr::memchr_iter(b':', b.get(colon + 1..).unwrap_or_default());
        for c in std::iter::once(colon).chain(colons.map(|c| colon + 1 + c)) {
            if c < last_end || !colon_pair(b, c) {
                continue;
            }
            let hex = b[..c]
                .iter()
                .rev()
                .take(4)
                .take_while(|x| x.is_ascii_hexdigit())
                .count();
            let start = (c - hex).max(last_end);
            if let Some(m) = match_at(&self.ipv6, text, start) {
                last_end = m.end;
                out.push(m);
            }
        }
        out
    }

    /// Names: the matches of `person` from left to right, as `find_at`
    /// from the end of the previous one (or from its second word) gives
    /// them, tried (anchored) only where one can start (`starts`,
    /// ascending: see `name_follows`).
    fn persons(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
        let mut pos = 0;
        for &at in starts {
            if at < pos {
                continue;
            }
            let Some(m) = match_at(&self.person, text, at) else {
                continue;
            };
            pos = m.end;
            let s = &text[m.clone()];
            let mut words = s.split(' ').filter(|w| !w.is_empty());
            let Some(first) = words.next() else { continue };
            let rest_start = m.start + first.len();
            let civility = matches!(
                first,
                "M." | "Mme"
                    | "Mlle"
                    | "Mr"
                    | "Mr."
                    | "Mrs"
                    | "Mrs."
                    | "Ms"
                    | "Ms."
                    | "Dr"
                    | "Dr."
                    | "Madame"
                    | "Monsieur"
                    | "Mademoiselle"
            );
            let greeting = matches!(
                first,
                "Bonjour" | "Bonsoir" | "Cher" | "Chère" | "Hello" | "Hi" | "Dear"
            );
            if civility || greeting {
                let name = text[rest_start..m.end].trim_start();
                let name_start = m.end - name.len();
                let given = name.split(' ').next().unwrap_or("");
                let conf = if civility {
                    0.8
                } else if is_first_name(given) {
                    0.75
                } else {
                    continue;
                };
                hits.push(Hit::new(Kind::PersonName, conf, name_start..m.end));
                continue;
            }
            let second = words.next().unwrap_or("");
            // "Jean Dupont", "Marie-Claire Martin", or "DUPONT Jean".
            let given_first = first.split('-').next().is_some_and(is_first_name);
            let upper_then_given = first.bytes().all(|c| c.is_ascii_uppercase())
                && second.split('-').next().is_some_and(is_first_name);
            if (given_first && !is_stop_word(second)) || upper_then_given {
                hits.push(Hit::new(Kind::PersonName, 0.7, m));
            } else {
                // "Joindre Mme Petit": the second word may start a name.
                pos = rest_start;
            }
        }
    }
}

fn is_stop_word(w: &str) -> bool {
    matches!(
        w.to_lowercase().as_str(),
        "le" | "la" | "les" | "de" | "du" | "des" | "et" | "the" | "and" | "of" | "a" | "à"
    )
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

/// 1–5 words of letters (with ' - .), no digits, no '@'.
pub(crate) fn looks_like_name(s: &str) -> bool {
    let words = s.split_whitespace().count();
    (1..=5).contains(&words)
        && s.chars().count() <= 64
        && s.chars().any(char::is_alphabetic)
        && s.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
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

/// What one pass over the bytes says about the text, to skip detectors
/// that cannot match. Every flag errs on the side of running the detector.
#[derive(Default)]
struct Shape {
    /// The most digits in one run of digits and separators (` .-/()+`,
    /// and `A`/`B` after a `2`, either case, for Corsican NIRs).
    max_digits: usize,
    /// Five contiguous digits then a space (postcode + city).
    postcode: bool,
    /// Where an IBAN can start: two letters starting a word, then digits.
    iban_at: Vec<usize>,
    at: bool,
    /// Words starting with a capital (or a non-ASCII letter): names need 2.
    caps: usize,
    /// Where a name can start (see `name_follows`), in order.
    person_at: Vec<usize>,
    /// The runs with at least eight digits, and their digits.
    long_runs: Vec<(Range<usize>, usize)>,
    /// The runs with ≥ 3 dots and ≥ 4 digits (IPv4).
    dotted_runs: Vec<Range<usize>>,
    /// Where an address (one to four digits, then a space, a comma or a
    /// suffix), a postcode (five digits and a space) and a date (four
    /// digits and a dash, or one or two and a separator) can start: runs
    /// of digits after a non-word byte, in order.
    address_at: Vec<usize>,
    postcode_at: Vec<usize>,
    date_at: Vec<usize>,
}

/// A separator inside a run of digits (see [`Shape::max_digits`]).
fn run_separator(c: u8) -> bool {
    matches!(c, b' ' | b'-' | b'/' | b'(' | b')' | b'+' | b'.')
}

/// The letter of a Corsican department (2A, 2B) inside a NIR, in either
/// case.
fn corsica(c: u8) -> bool {
    matches!(c, b'A' | b'B' | b'a' | b'b')
}

/// A capital starting a word or an IBAN: an ASCII capital or a non-ASCII
/// lead byte.
fn capital_byte(c: u8) -> bool {
    c.is_ascii_uppercase() || c >= 0xC3
}

/// The first position from `i` whose byte satisfies `wanted`, or `b.len()`.
/// A few bytes one at a time (dense text), then sixteen at a time: the
/// check of a whole block compiles to vector code.
fn skip_until(b: &[u8], mut i: usize, wanted: impl Fn(u8) -> bool) -> usize {
    for _ in 0..4 {
        match b.get(i) {
            Some(&c) if !wanted(c) => i += 1,
            _ => return i,
        }
    }
    while let Some(block) = b.get(i..i + 16) {
        if block.iter().fold(false, |any, &c| any | wanted(c)) {
            break;
        }
        i += 16;
    }
    while let Some(&c) = b.get(i) {
        if wanted(c) {
            break;
        }
        i += 1;
    }
    i
}

impl Shape {
    /// Two passes that skip what they need not see: runs of digits and
    /// separators decide the digit flags, capitals the others.
    fn of(b: &[u8]) -> Shape {
        let mut s = Shape::default();
        s.fill(b);
        s
    }

    /// `of`, into this shape's lists.
    fn fill(&mut self, b: &[u8]) {
        // Every field, so that a new one cannot be left out.
        let Shape {
            max_digits,
            postcode,
            iban_at,
            at,
            caps,
            person_at,
            long_runs,
            dotted_runs,
            address_at,
            postcode_at,
            date_at,
        } = self;
        (*max_digits, *postcode, *caps) = (0, false, 0);
        *at = memchr::memchr(b'@', b).is_some();
        for list in [iban_at, person_at, address_at, postcode_at, date_at] {
            list.clear();
        }
        long_runs.clear();
        dotted_runs.clear();
        self.digit_runs(b);
        self.capitals(b);
    }

    fn digit_runs(&mut self, b: &[u8]) {
        let mut i = 0;
        loop {
            i = skip_until(b, i, |c| c.is_ascii_digit());
            if i >= b.len() {
                break;
            }
            // Fewer than four digits, and the run ends with them: no flag
            // can change (the most common case, in hex and counters).
            let mut e = i + 1;
            while b.get(e).is_some_and(u8::is_ascii_digit) {
                e += 1;
            }
            // Two letters starting a word, then these digits: an IBAN's
            // country and check digits ("FR76", "fr76").
            if e - i >= 2 && i >= 2 && word_start(b, i - 2) && iban_country(&b[i - 2..i]) {
                self.iban_at.push(i - 2);
            }
            let run_goes_on = b
                .get(e)
                .is_some_and(|&c| run_separator(c) || (corsica(c) && b[e - 1] == b'2'));
            if e - i < 4 && !run_goes_on {
                self.stretch(b, i, e);
                i = e;
                continue;
            }
            i = self.run(b, i);
        }
    }

    /// Capitalised words, outside runs of digits.
    fn capitals(&mut self, b: &[u8]) {
        let mut i = 0;
        loop {
            i = skip_until(b, i, capital_byte);
            let Some(&c) = b.get(i) else { break };
            // An `A` or `B` after a `2` is part of a run (Corsican NIRs).
            let in_run = matches!(c, b'A' | b'B') && i > 0 && b[i - 1] == b'2';
            if !in_run {
                if i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80) {
                    self.caps += 1;
                }
                if name_can_start(b, i) && name_follows(b, i) {
                    self.person_at.push(i);
                }
            }
            i += 1;
        }
    }

    /// The run through the digit at `i`: the separators just before it,
    /// then digits, separators, and `A`/`B` (either case) after a `2`, up to any other
    /// byte (whose position is returned).
    fn run(&mut self, b: &[u8], i: usize) -> usize {
        let mut j = i;
        while j > 0 && run_separator(b[j - 1]) {
            j -= 1;
        }
        let start = j;
        let (mut digits, mut dots, mut contig) = (0usize, 0usize, 0usize);
        while let Some(&c) = b.get(j) {
            if c.is_ascii_digit() {
                digits += 1;
                contig += 1;
                j += 1;
                continue;
            }
            if contig > 0 {
                self.stretch(b, j - contig, j);
            }
            match c {
                b' ' | b'-' | b'/' | b'(' | b')' | b'+' | b'.' => {
                    if c == b' ' && contig == 5 {
                        self.postcode = true;
                    }
                    if c == b'.' {
                        dots += 1;
                    }
                    contig = 0;
                }
                c if corsica(c) && j > 0 && b[j - 1] == b'2' => contig = 0,
                _ => break,
            }
            j += 1;
        }
        if j == b.len() && contig > 0 {
            self.stretch(b, j - contig, j);
            if contig == 5 {
                self.postcode = true;
            }
        }
        self.max_digits = self.max_digits.max(digits);
        if digits >= 8 {
            self.long_runs.push((start..j, digits));
        }
        if dots >= 3 && digits >= 4 {
            self.dotted_runs.push(start..j);
        }
        j
    }

    /// The maximal run of digits `s..e`: where an address, a postcode or a
    /// date can start. Each of those patterns starts with `(?-u:\b)` and
    /// digits, so a match starts at such a run, and what follows the run
    /// narrows it down (see `address_head` and the patterns).
    fn stretch(&mut self, b: &[u8], s: usize, e: usize) {
        if !word_start(b, s) {
            return;
        }
        let len = e - s;
        match b.get(e) {
            Some(b' ') => {
                if len <= 4 && address_head(b, e) {
                    self.address_at.push(s);
                }
                // A month's initial follows the day ("12 mars 1985").
                if len <= 2
                    && b.get(e + 1).is_some_and(|c| {
                        matches!(
                            c.to_ascii_lowercase(),
                            b'j' | b'f' | b'm' | b'a' | b's' | b'o' | b'n' | b'd'
                        )
                    })
                {
                    self.date_at.push(s);
                }
                // `[ ]+[A-ZÀ-Ý]` follows a postcode.
                if len == 5 {
                    let after = b[e..].iter().find(|c| **c != b' ');
                    if after.is_some_and(|c| c.is_ascii_uppercase() || *c >= 0x80) {
                        self.postcode_at.push(s);
                    }
                }
            }
            // A comma or an address suffix ("bis", "ter", "quater", A–D).
            Some(b',' | b'b' | b't' | b'q' | b'A'..=b'D' | b'a'..=b'd')
                if len <= 4 && address_head(b, e) =>
            {
                self.address_at.push(s);
            }
            Some(b'-') if len == 4 || len <= 2 => self.date_at.push(s),
            Some(b'/' | b'.') if len <= 2 => self.date_at.push(s),
            // "1er avril 1990".
            Some(b'e') if len == 1 && b[e..].starts_with(b"er ") => self.date_at.push(s),
            _ => {}
        }
    }
}

/// Whether `person`, which starts with `(?-u:\b)` and a capital (`A-Z` or
/// `À-Ý`, encoded `C3 80`–`C3 9D`), can start at the capital byte at `i`.
/// The boundary is an ASCII one: an ASCII capital has it after a non-word
/// byte, a non-ASCII one only after an ASCII word byte.
fn name_can_start(b: &[u8], i: usize) -> bool {
    if b[i].is_ascii() {
        return word_start(b, i);
    }
    b[i] == 0xC3 && b.get(i + 1).is_some_and(|c| (0x80..=0x9D).contains(c)) && !word_start(b, i)
}

/// Whether a match of `person` can start at the capital at `i`: each of
/// its forms is a first word of letters (any non-ASCII byte may be one),
/// dots and hyphens, then spaces and a capital.
fn name_follows(b: &[u8], i: usize) -> bool {
    let rest = b.get(i + 1..).unwrap_or_default();
    let word = rest
        .iter()
        .take_while(|&&c| c.is_ascii_alphabetic() || c == b'.' || c == b'-' || c >= 0x80)
        .count();
    let rest = &rest[word..];
    let spaces = rest.iter().take_while(|&&c| c == b' ').count();
    spaces > 0 && rest.get(spaces).is_some_and(|&c| capital_byte(c))
}

/// Whether the colon at `i` is followed by at most four hex digits and a
/// colon (not so in JSON, where colons sit between quotes).
fn colon_pair(b: &[u8], i: usize) -> bool {
    let rest = &b[i + 1..];
    let hex = rest
        .iter()
        .take(4)
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    rest.get(hex) == Some(&b':')
}

/// `(?-u:\b)` before the word byte at `i`.
fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// What must follow the number of an address (at `e`), from the pattern:
/// `(?:[ ]?(?:bis|ter|quater|[A-Da-d])\b)?,?[ ]+` and a street type.
fn address_head(b: &[u8], e: usize) -> bool {
    let rest = b.get(e..).unwrap_or_default();
    // Without the suffix, then with each way it can be written.
    if spaces_then_street(rest) {
        return true;
    }
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    [
        "bis", "ter", "quater", "A", "B", "C", "D", "a", "b", "c", "d",
    ]
    .iter()
    .any(|suffix| {
        rest.strip_prefix(suffix.as_bytes()).is_some_and(|after| {
            !after
                .first()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                && spaces_then_street(after)
        })
    })
}

/// `,?[ ]+` and what can start a street type (case-insensitive): its
/// first two letters, or a non-ASCII byte (which may fold to a letter).
fn spaces_then_street(b: &[u8]) -> bool {
    let b = b.strip_prefix(b",").unwrap_or(b);
    let spaces = b.iter().take_while(|c| **c == b' ').count();
    if spaces == 0 {
        return false;
    }
    match b.get(spaces..spaces + 2) {
        Some(&[x, y]) if x.is_ascii() && y.is_ascii() => {
            let letter = |c: u8| c.is_ascii_alphabetic().then(|| (c | 0x20) - b'a');
            match (letter(x), letter(y)) {
                (Some(x), Some(y)) => STREET_BIGRAMS[usize::from(x)] & (1 << y) != 0,
                _ => false,
            }
        }
        Some(_) => true,
        None => false,
    }
}

/// For each letter, the letters that follow it at the start of one of
/// `STREET_TYPES` (bit 0: `a`), lowercase ASCII.
const STREET_BIGRAMS: [u32; 26] = {
    let t = STREET_TYPES.as_bytes();
    let mut out = [0u32; 26];
    let mut i = 0;
    while i + 1 < t.len() {
        let (x, y) = (t[i], t[i + 1]);
        if (i == 0 || t[i - 1] == b'|') && x.is_ascii_lowercase() && y.is_ascii_lowercase() {
            out[(x - b'a') as usize] |= 1 << (y - b'a');
        }
        i += 1;
    }
    out
};

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

/// A space, one to four digits, a space and a letter at `end`: a count
/// and its unit ("15 minutes").
fn count_then_word(b: &[u8], end: usize) -> bool {
    let rest = b.get(end..).unwrap_or_default();
    let Some(rest) = rest.strip_prefix(b" ") else {
        return false;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=4).contains(&digits)
        && rest.get(digits) == Some(&b' ')
        && rest
            .get(digits + 1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c >= 0x80)
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

/// "FR76 ", "fr76-": two letters, two digits, a space or a dash.
fn looks_like_iban_head(b: &[u8]) -> bool {
    b.len() == 5
        && b[0].is_ascii_alphabetic()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_digit()
        && b[3].is_ascii_digit()
        && matches!(b[4], b' ' | b'-')
}

fn group_offsets(s: &str, base: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<usize> = None;
    for (i, c) in s.bytes().enumerate() {
        if c.is_ascii_digit() {
            if cur.is_none() {
                cur = Some(i);
            }
        } else if let Some(st) = cur.take() {
            out.push((base + st, base + i));
        }
    }
    if let Some(st) = cur {
        out.push((base + st, base + s.len()));
    }
    out
}

/// Cards, SIRET and SIREN from a run of digit groups.
fn classify_number(s: &str, sizes: &[usize]) -> Option<(Kind, f32)> {
    let n: usize = sizes.iter().sum();
    let bare = sizes.len() == 1;
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
    if n == 14 && (bare || sizes == [3, 3, 3, 5]) && siret_valid(s) {
        return Some((Kind::Siret, if bare { 0.6 } else { 0.85 }));
    }
    if n == 9 && (bare || sizes == [3, 3, 3]) && siren_valid(s) {
        return Some((Kind::Siren, if bare { 0.45 } else { 0.6 }));
    }
    if (13..=19).contains(&n) && luhn_valid(s) {
        let shape_ok = bare
            || sizes.iter().all(|g| *g == 4)
            || (sizes.len() > 1 && sizes[..sizes.len() - 1].iter().all(|g| *g == 4))
            || sizes == [4, 6, 5]
            || sizes == [4, 6, 4];
        if shape_ok && plausible_iin(&digits) {
            return Some((Kind::PaymentCard, if bare { 0.75 } else { 0.95 }));
        }
    }
    None
}

fn plausible_iin(d: &[u8]) -> bool {
    let n = d.len();
    let p = |k: usize| -> u32 {
        d.iter()
            .take(k)
            .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };
    match d.first() {
        Some(b'4') => matches!(n, 13 | 16 | 19),
        Some(b'5') => (51..=55).contains(&p(2)) && n == 16 || (p(2) == 50 || p(2) >= 56) && n >= 12,
        Some(b'2') => (2221..=2720).contains(&p(4)) && n == 16,
        Some(b'3') => {
            (matches!(p(2), 34 | 37) && n == 15)
                || (matches!(p(2), 36 | 38) && n == 14)
                || ((300..=305).contains(&p(3)) && n == 14)
                || ((3528..=3589).contains(&p(4)) && (16..=19).contains(&n))
        }
        Some(b'6') => {
            (p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3)) || p(2) == 62)
                && (16..=19).contains(&n)
        }
        _ => false,
    }
}

/// French numbers: "06 12 34 56 78", "06.12.34.56.78", "0612345678",
/// "+33 6 12 34 56 78", "0033 (0)6…". Separators must be consistent.
fn french_phone(s: &str) -> Option<f32> {
    let (rest, intl) = if let Some(r) = s.strip_prefix("+33") {
        (r, true)
    } else if let Some(r) = s.strip_prefix("0033") {
        (r, true)
    } else if s.starts_with('0') {
        (s, false)
    } else {
        return None;
    };
    let rest = rest.trim_start_matches([' ', '.', '-']);
    let rest = rest.strip_prefix("(0)").unwrap_or(rest);
    let rest = rest.trim_start_matches([' ', '.', '-']);
    let digits: Vec<u8> = rest.bytes().filter(u8::is_ascii_digit).collect();
    let seps: Vec<u8> = rest.bytes().filter(|b| !b.is_ascii_digit()).collect();
    let expected = if intl { 9 } else { 10 };
    if digits.len() != expected {
        return None;
    }
    if !seps.windows(2).all(|w| w[0] == w[1]) {
        return None;
    }
    // National form: the first pair must be separated like the others.
    let national_digit = if intl { digits[0] } else { digits[1] };
    if !intl && (digits[0] != b'0' || national_digit == b'0') {
        return None;
    }
    let formatted = !seps.is_empty();
    Some(match (intl, formatted, national_digit) {
        (true, _, _) => 0.95,
        (false, true, _) => 0.9,
        (false, false, b'6' | b'7') => 0.8,
        (false, false, b'8') => 0.55,
        (false, false, _) => 0.7,
    })
}

/// E.164 in general: '+', 8 to 15 digits, not a date.
fn intl_phone(s: &str) -> Option<f32> {
    let body = s.strip_prefix('+')?;
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    if !(8..=15).contains(&digits) {
        return None;
    }
    let b = body.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        return None; // +2024-01-15…
    }
    Some(if body.bytes().any(|c| !c.is_ascii_digit()) {
        0.85
    } else {
        0.8
    })
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

/// Words before a date that make it a date of birth: "né le", "née à
/// Lyon le", "né(e) le", "date de naissance", "born on", "DOB", "DDN".
fn birth_cue(text: &str, at: usize) -> bool {
    const WINDOW: usize = 48;
    let from = at.saturating_sub(WINDOW);
    // Lowercase, ASCII and the capitals À–Þ (C3 80–9E → C3 A0–BE).
    let mut w = [0u8; WINDOW];
    let src = &text.as_bytes()[from..at];
    for (i, (d, &c)) in w.iter_mut().zip(src).enumerate() {
        let upper_latin1 = i > 0 && src[i - 1] == 0xC3 && (0x80..=0x9E).contains(&c) && c != 0x97;
        *d = if upper_latin1 {
            c + 0x20
        } else {
            c.to_ascii_lowercase()
        };
    }
    let w = &w[..src.len()];
    let letter = |c: u8| c.is_ascii_alphabetic() || c >= 0x80;
    // (cue, whole word only)
    const CUES: [(&[u8], bool); 9] = [
        ("né".as_bytes(), true),
        ("née".as_bytes(), true),
        (b"nee", true),
        (b"ne le", true),
        (b"naissance", false),
        (b"birth", false),
        (b"born", true),
        (b"dob", true),
        (b"ddn", true),
    ];
    // A short window: each position whose byte starts a cue is tried.
    (0..w.len()).any(|p| {
        matches!(w[p], b'n' | b'b' | b'd')
            && CUES.iter().any(|&(cue, word)| {
                w[p..].starts_with(cue)
                    && (!word
                        || ((p == 0 || !letter(w[p - 1]))
                            && w.get(p + cue.len()).is_none_or(|&c| !letter(c))))
            })
    })
}

/// A real calendar date between 1900 and 2030: `YYYY-MM-DD` (and any time
/// after it), `DD/MM/YYYY` (or `.` or `-`), or `DD month YYYY`.
fn plausible_date(s: &str) -> bool {
    let date = s.split('T').next().unwrap_or(s);
    let mut parts = date.split(['-', '/', '.', ' ']);
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let num = |p: &str| p.parse::<u32>().ok();
    let (y, m, d) = if a.len() == 4 {
        (num(a), num(b), num(c))
    } else {
        (
            num(c),
            num(b).or_else(|| month_number(b)),
            num(a.trim_end_matches("er")),
        )
    };
    matches!((y, m, d), (Some(y), Some(m), Some(d)) if (1900..=2030).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
}

/// `YYYYMMDD`, or `DD/MM/YY` (or `.` or `-`): a real date, 1900–2030.
fn compact_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        return plausible_date(&format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]));
    }
    let mut parts = s.split(['/', '.', '-']);
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if y.len() != 2 || d.len() > 2 || m.len() > 2 {
        return false;
    }
    // Two-digit years: up to the current decade's end is this century.
    let Ok(yy) = y.parse::<u32>() else {
        return false;
    };
    let century = if yy <= 30 { "20" } else { "19" };
    plausible_date(&format!("{d}/{m}/{century}{y}"))
}

/// Whether `at` follows "scheme://user:" in one URL.
fn url_password(b: &[u8], at: usize) -> bool {
    if at == 0 || b[at - 1] != b':' {
        return false;
    }
    let from = at.saturating_sub(256);
    let head = &b[from..at - 1];
    let Some(user_start) = head
        .iter()
        .rposition(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'@' | b'"' | b'\''))
    else {
        return false;
    };
    head[..=user_start].ends_with(b"//") && head[..user_start].ends_with(b":/")
}

/// Whether the word before the separator at `sep` (after at most four
/// spaces and a quote) is a credential's label, alone or ending a longer
/// name ("db_password", "remember_token", "X-Api-Key").
fn credential_label_before(b: &[u8], sep: usize) -> bool {
    let mut end = sep;
    let mut spaces = 0;
    while spaces < 4 && end > 0 && b[end - 1] == b' ' {
        end -= 1;
        spaces += 1;
    }
    if end > 0 && matches!(b[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    // Every label ends with one of these three letters (lowercase): most
    // separators stop here.
    let Some(&[x, y, z]) = b.get(end.saturating_sub(3)..end) else {
        return false;
    };
    if !matches!(
        [x | 0x20, y | 0x20, z | 0x20],
        [b'o', b'r', b'd']
            | [b's', b'w', b'd']
            | [b'p', b'w', b'd']
            | [b'a', b's', b's']
            | [b's', b's', b'e']
            | [b'm', b'd', b'p']
            | [b'r', b'e', b't']
            | [b'k', b'e', b'y']
            | [b'k', b'e', b'n']
    ) {
        return false;
    }
    let mut word = [0u8; 32];
    let mut n = 0;
    while n < word.len()
        && end > n
        && (b[end - 1 - n].is_ascii_alphanumeric() || matches!(b[end - 1 - n], b'_' | b'-'))
    {
        word[word.len() - 1 - n] = b[end - 1 - n].to_ascii_lowercase();
        n += 1;
    }
    let word = &word[word.len() - n..];
    CREDENTIAL_LABELS.iter().any(|label| {
        word.ends_with(label.as_bytes())
            && (word.len() == label.len()
                || matches!(word[word.len() - label.len() - 1], b'_' | b'-'))
    })
}

/// Where the value starts after the separator at `sep`: `=`, `:` or
/// `=>`, at most four spaces and an optional quote.
fn assigned_at(b: &[u8], sep: usize) -> usize {
    let mut i = sep + 1;
    if b[sep] == b'=' && b.get(i) == Some(&b'>') {
        i += 1;
    }
    let mut spaces = 0;
    while spaces < 4 && b.get(i) == Some(&b' ') {
        i += 1;
        spaces += 1;
    }
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i
}

/// The value of a credential assignment starting at `at`, unless it is
/// empty, too short to be one, or a placeholder ("[FILTERED]", "null",
/// "***", "${DB_PASSWORD}", "%s").
fn credential_value(text: &str, at: usize) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let len = b[at..]
        .iter()
        .take_while(|c| {
            !c.is_ascii_whitespace()
                && !matches!(c, b'"' | b'\'' | b'&' | b',' | b';' | b'}' | b')' | b']')
        })
        .count();
    let v = &text[at..at + len];
    let lower = v.to_ascii_lowercase();
    let placeholder = matches!(
        lower.as_str(),
        "null"
            | "nil"
            | "none"
            | "undefined"
            | "true"
            | "false"
            | "filtered"
            | "redacted"
            | "hidden"
            | "masked"
            | "password"
            | "secret"
            | "required"
            | "optional"
    ) || v.starts_with(['[', '<', '$', '%', '{', '/', '*'])
        || v.bytes().all(|c| c == v.as_bytes()[0]);
    ((6..=512).contains(&len) && !placeholder).then(|| at..at + len)
}

/// The number of a month written in French or English, either case.
fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &["janvier", "january"],
        &["février", "fevrier", "february"],
        &["mars", "march"],
        &["avril", "april"],
        &["mai", "may"],
        &["juin", "june"],
        &["juillet", "july"],
        &["août", "aout", "august"],
        &["septembre", "september"],
        &["octobre", "october"],
        &["novembre", "november"],
        &["décembre", "decembre", "december"],
    ];
    let name = name.to_lowercase();
    (1u32..)
        .zip(MONTHS)
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::super::Detector;
    use super::*;

    fn kinds(text: &str, ctx: Option<&str>) -> Vec<Kind> {
        Detector::global()
            .scan_text(text, ctx)
            .into_iter()
            .map(|h| h.kind)
            .collect()
    }

    #[test]
    fn phones() {
        assert_eq!(kinds("appelez le 06 12 34 56 78.", None), [Kind::Phone]);
        assert_eq!(kinds("+33 6 12 34 56 78", None), [Kind::Phone]);
        assert_eq!(kinds("0033 1.23.45.67.89", None), [Kind::Phone]);
        assert_eq!(kinds("+44 20 7946 0958", None), [Kind::Phone]);
        assert_eq!(kinds("550e8400-e29b-41d4-a716-446655440000", None), []);
        assert_eq!(kinds("2024-01-15 10:23:45", None), []);
        assert_eq!(kinds("0612345678", Some("order_id")), []);
        assert_eq!(kinds("06-12.34 56-78", None), []);
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

    #[test]
    fn shortest_secret() {
        assert_eq!(min_len("ab[0-9]{3}"), 5);
        // "$scrypt$" and three one-byte fields.
        assert_eq!(min_len(SECRET), 13);
    }

    #[test]
    fn numbers() {
        assert_eq!(kinds("CB 4970 1000 0000 0063", None), [Kind::PaymentCard]);
        assert_eq!(kinds("4970 1000 0000 0064", None), []);
        assert_eq!(kinds("SIRET 732 829 320 00074", None), [Kind::Siret]);
        assert_eq!(kinds("siren 732829320", None), [Kind::Siren]);
        assert_eq!(kinds("1 85 05 78 006 084 91", None), [Kind::Nir]);
        assert_eq!(
            kinds("FR76 3000 6000 0112 3456 7890 189", None),
            [Kind::Iban]
        );
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
