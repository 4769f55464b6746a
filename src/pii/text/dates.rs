//! Dates of birth: a date that a cue before it ("né le", "DOB") or the
//! field's name makes one, and only if it is a real calendar date.

use super::super::names::NameClass;
use super::super::{Hit, Kind};
use super::{matches_at, TextDetector};

pub(super) const DATE: &str = concat!(
    r"(?-u:\b)(?:(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}",
    // An ISO date and time ("1985-03-12T00:00:00.000Z").
    r"(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?)?",
    r"|[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:19|20)[0-9]{2}",
    // "12 mars 1985", "1er avril 1990".
    r"|[0-9]{1,2}(?:er)?[ ](?i:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|january|february|march|april|may|june|july|august|september|october|november|december)[ ](?:19|20)[0-9]{2}",
    r")(?-u:\b)",
);

impl TextDetector {
    /// Dates of birth: the matches of `date`, as `find_iter` gives them,
    /// tried only where one can start (`starts`, see `Shape::stretch`). A
    /// date counts when the field's name says so or a cue precedes it.
    pub(super) fn dates(
        &self,
        text: &str,
        starts: &[usize],
        ctx: Option<NameClass>,
        hits: &mut Vec<Hit>,
    ) {
        let field_says = ctx.is_some_and(|c| c.kind == Kind::DateOfBirth);
        for m in matches_at(&self.date, text, starts) {
            let says = field_says || birth_cue(text, m.start);
            if !says || !plausible_date(&text[m.clone()]) {
                continue;
            }
            hits.push(Hit::new(Kind::DateOfBirth, 0.85, m));
        }
    }
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
pub(super) fn compact_date(s: &str) -> bool {
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
