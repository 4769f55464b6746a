//! Numbers in text: phones (French and international), payment cards,
//! SIRET and SIREN (found in runs of digits), NIRs and IBANs, each checked
//! by its validator and its surroundings.

use std::ops::Range;

use regex_automata::Input;

use super::super::validate::{iban_valid, luhn_valid, nir_valid, siren_valid, siret_valid};
use super::super::{Hit, Kind};
use super::{clean_boundaries, clean_end, clean_start, inline_adjust, matches_at, TextDetector};

/// French numbers ("06 12 34 56 78", "+33 (0)6…") and E.164 numbers.
pub(super) const PHONE: &str = r"(?:(?:\+|00)33[ .\-]?(?:\(0\)[ .\-]?)?|0)[1-9](?:[ .\-]?[0-9]{2}){4}|\+[1-9][0-9]{0,3}(?:[ .\-]?\(?[0-9]{1,5}\)?){1,6}";

/// A run of digit groups: `(?-u:\b)` then this is the numeric pattern; it is
/// compiled anchored (`^`) and run from each position where it can start.
pub(super) const NUMERIC_AT: &str = r"^[0-9]{2,}(?:[ \-][0-9]{2,}){0,5}(?-u:\b)";

/// A NIR: sex, year, month, department (2A/2B in Corsica), commune, order
/// and key, grouped by spaces or not.
pub(super) const NIR: &str = r"(?-u:\b)[1-478][ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?(?:[0-9]{2}|2[ABab])[ ]?[0-9]{3}[ ]?[0-9]{3}[ ]?[0-9]{2}(?-u:\b)";

/// An IBAN: country, check digits, groups of four.
pub(super) const IBAN: &str =
    r"(?-u:\b)[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]{4}){2,7}(?:[ \-]?[A-Za-z0-9]{1,4})?(?-u:\b)";

impl TextDetector {
    /// Phones within `runs` (of digits and separators: a match holds
    /// nothing else, so it lies in one run, and runs of fewer than eight
    /// digits hold no valid phone).
    pub(super) fn phones(
        &self,
        text: &str,
        runs: impl Iterator<Item = Range<usize>>,
        hits: &mut Vec<Hit>,
    ) {
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
    pub(super) fn numeric_matches(
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
    pub(super) fn numbers(
        &self,
        text: &str,
        runs: impl Iterator<Item = Range<usize>>,
        hits: &mut Vec<Hit>,
    ) {
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
    pub(super) fn nirs(
        &self,
        text: &str,
        runs: impl Iterator<Item = Range<usize>>,
        hits: &mut Vec<Hit>,
    ) {
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
    pub(super) fn ibans(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
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

#[cfg(test)]
mod tests {
    use super::super::tests::kinds;
    use super::*;

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
