//! The pre-scan: one pass over the bytes that says which detectors can
//! match, and where their anchored searches start.

use std::ops::Range;

use super::super::validate::iban_country;
use super::addresses::address_head;
use super::persons::{name_can_start, name_follows};
use super::word_start;

/// What one pass over the bytes says about the text, to skip detectors
/// that cannot match. Every flag errs on the side of running the detector.
#[derive(Default)]
pub(super) struct Shape {
    /// The most digits in one run of digits and separators (` .-/()+`,
    /// and `A`/`B` after a `2`, either case, for Corsican NIRs).
    pub(super) max_digits: usize,
    /// Five contiguous digits then a space (postcode + city).
    pub(super) postcode: bool,
    /// Where an IBAN can start: two letters starting a word, then digits.
    pub(super) iban_at: Vec<usize>,
    pub(super) at: bool,
    /// Words starting with a capital (or a non-ASCII letter): names need 2.
    pub(super) caps: usize,
    /// Where a name can start (see `name_follows`), in order.
    pub(super) person_at: Vec<usize>,
    /// The runs with at least eight digits, and their digits.
    pub(super) long_runs: Vec<(Range<usize>, usize)>,
    /// The runs with ≥ 3 dots and ≥ 4 digits (IPv4).
    pub(super) dotted_runs: Vec<Range<usize>>,
    /// Where an address (one to four digits, then a space, a comma or a
    /// suffix), a postcode (five digits and a space) and a date (four
    /// digits and a dash, or one or two and a separator) can start: runs
    /// of digits after a non-word byte, in order.
    pub(super) address_at: Vec<usize>,
    pub(super) postcode_at: Vec<usize>,
    pub(super) date_at: Vec<usize>,
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
pub(super) fn capital_byte(c: u8) -> bool {
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
    pub(super) fn of(b: &[u8]) -> Shape {
        let mut s = Shape::default();
        s.fill(b);
        s
    }

    /// `of`, into this shape's lists.
    pub(super) fn fill(&mut self, b: &[u8]) {
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
