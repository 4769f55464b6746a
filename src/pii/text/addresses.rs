//! Postal addresses: a number, a street type and its name (and perhaps a
//! postcode and a city), or a postcode and a city alone; and the pre-scan's
//! test of what must follow an address's number.

use super::super::{Hit, Kind};
use super::{clean_boundaries, inline_adjust, matches_at, TextDetector};

pub(crate) const STREET_TYPES: &str = "rue|avenue|av|bd|boulevard|blvd|place|pl|chemin|allée|allee|impasse|route|rte|quai|cours|square|passage|faubourg|fg|voie|villa|cité|cite|hameau|résidence|residence|sentier|esplanade|promenade|chaussée|chaussee|lotissement|lieu-dit|rond-point|parvis|montée|montee|traverse|ruelle|mail|street|st|road|rd|lane|drive";

/// A word of a street or city name: no separators of structured text.
pub(super) const WORD: &str = r#"[^\s,;:"{}\[\]()<>|=&/\\]"#;

/// The address pattern: a number (and its suffix), a street type, the
/// street's name, and perhaps a postcode and a city.
pub(super) fn address_pattern() -> String {
    // A postcode and a city. Before one, the street's name may be
    // written in lowercase ("12 rue de la paix 75002 paris"); without
    // one, its words after the first need a capital or are particles.
    const CITY: &str = r"(?:,?[ ]+[0-9]{5}(?:[ ]+[A-ZÀ-Ýa-zà-ÿ][A-Za-zÀ-ÿ'’\-]*){1,4})";
    format!(
        r"(?-u:\b)[0-9]{{1,4}}(?:[ ]?(?:bis|ter|quater|[A-Da-d])(?-u:\b))?,?[ ]+(?i:{STREET_TYPES})\.?[ ]+{WORD}+(?:(?:[ ]+{WORD}+){{0,7}}{CITY}|(?:[ ]+(?:(?:l'|l’|d'|d’)[A-ZÀ-Ýa-zà-ÿ]{WORD}*|de|du|des|la|le|les|l'|l’|d'|d’|à|au|aux|sur|en|et|[A-ZÀ-Ý0-9]{WORD}*)){{0,7}}(?:{CITY})?)"
    )
}

/// A French postcode (metropolitan or overseas) and a city, perhaps CEDEX.
pub(super) const POSTCODE_CITY: &str = r"(?-u:\b)(?:(?:0[1-9]|[1-8][0-9]|9[0-5])[0-9]{3}|97[1-8][0-9]{2}|98[0-9]{3})[ ]+[A-ZÀ-Ý][A-Za-zÀ-ÿ'’\-]+(?:[ ][A-ZÀ-Ý][A-Za-zÀ-ÿ'’\-]+){0,3}(?:[ ]+(?i:cedex)(?:[ ]+[0-9]{1,2})?)?";

impl TextDetector {
    /// The matches of `address`, left to right, as `find_iter` gives them,
    /// tried (anchored) only where one can start (`starts`, ascending: see
    /// `Shape::stretch`). The pattern holds the street type and the spaces
    /// after it, so a type ending in a non-ASCII letter ("cité", "allée")
    /// needs no word boundary.
    pub(super) fn addresses(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
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
    pub(super) fn postcodes(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
        for m in matches_at(&self.postcode_city, text, starts) {
            if !clean_boundaries(text.as_bytes(), m.start, m.end) {
                continue;
            }
            let conf = 0.6 + inline_adjust(text, m.start, Kind::PostalAddress);
            hits.push(Hit::new(Kind::PostalAddress, conf, m));
        }
    }
}

/// What must follow the number of an address (at `e`), from the pattern:
/// `(?:[ ]?(?:bis|ter|quater|[A-Da-d])\b)?,?[ ]+` and a street type.
pub(super) fn address_head(b: &[u8], e: usize) -> bool {
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
