//! Person names: after a civility or a greeting, or a known first name and
//! a capitalised word ("Jean Dupont", "DUPONT Jean").

use super::super::names::is_first_name;
use super::super::{Hit, Kind};
use super::shape::capital_byte;
use super::{match_at, word_start, TextDetector};

pub(super) const PERSON: &str = concat!(
    r"(?-u:\b)(?:M\.|Mme|Mlle|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Madame|Monsieur|Mademoiselle|Bonjour|Bonsoir|Cher|Chère|Hello|Hi|Dear)[ ]+[A-ZÀ-Ý][A-Za-zà-ÿ'’\-]+(?:[ ]+[A-ZÀ-Ý][A-Za-zà-ÿ'’\-]+)?",
    r"|(?-u:\b)[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?[ ]+[A-ZÀ-Ý][A-Za-zà-ÿ'’\-]+",
    r"|(?-u:\b)[A-Z]{2,}[ ]+[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?",
);

impl TextDetector {
    /// Names: the matches of `person` from left to right, as `find_at`
    /// from the end of the previous one (or from its second word) gives
    /// them, tried (anchored) only where one can start (`starts`,
    /// ascending: see `name_follows`).
    pub(super) fn persons(&self, text: &str, starts: &[usize], hits: &mut Vec<Hit>) {
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

/// Whether `person`, which starts with `(?-u:\b)` and a capital (`A-Z` or
/// `À-Ý`, encoded `C3 80`–`C3 9D`), can start at the capital byte at `i`.
/// The boundary is an ASCII one: an ASCII capital has it after a non-word
/// byte, a non-ASCII one only after an ASCII word byte.
pub(super) fn name_can_start(b: &[u8], i: usize) -> bool {
    if b[i].is_ascii() {
        return word_start(b, i);
    }
    b[i] == 0xC3 && b.get(i + 1).is_some_and(|c| (0x80..=0x9D).contains(c)) && !word_start(b, i)
}

/// Whether a match of `person` can start at the capital at `i`: each of
/// its forms is a first word of letters (any non-ASCII byte may be one),
/// dots and hyphens, then spaces and a capital.
pub(super) fn name_follows(b: &[u8], i: usize) -> bool {
    let rest = b.get(i + 1..).unwrap_or_default();
    let word = rest
        .iter()
        .take_while(|&&c| c.is_ascii_alphabetic() || c == b'.' || c == b'-' || c >= 0x80)
        .count();
    let rest = &rest[word..];
    let spaces = rest.iter().take_while(|&&c| c == b' ').count();
    spaces > 0 && rest.get(spaces).is_some_and(|&c| capital_byte(c))
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
