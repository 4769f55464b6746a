//! Does a key's value hold what the operator typed? The search of a
//! namespace's key list by value (`/=text` in the console): each key's first
//! page of value is read with the same bounded reader as the value view,
//! paced by the register's `max_ops_per_sec`, cancellable; the text stays in
//! memory and is never logged.
//!
//! A phone number matches however it was typed or stored (`06 12 34 56 78`,
//! `+33 6 12 34 56 78`, `0612345678`): digits are compared, with the French
//! national and international forms taken as one. Anything else matches as
//! text, case and surrounding spaces ignored.

use tokio_util::sync::CancellationToken;

use super::keyspace::Keyspace;
use super::values::{KeyRow, ReadLimits, ValueView};

/// What is searched for, prepared once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    lower: String,
    /// The digit forms of a phone number typed, when it looks like one.
    digits: Vec<String>,
}

/// At least this many digits make a phone-like needle.
const PHONE_DIGITS: usize = 6;

impl Needle {
    /// None for an empty text.
    pub fn new(text: &str) -> Option<Needle> {
        let lower = text.trim().to_lowercase();
        if lower.is_empty() {
            return None;
        }
        let phone_like = lower
            .chars()
            .all(|c| c.is_ascii_digit() || " +.-()/".contains(c));
        let d: String = lower.chars().filter(char::is_ascii_digit).collect();
        let mut digits = Vec::new();
        if phone_like && d.len() >= PHONE_DIGITS {
            // +33 6…, 0033 6… and 06… are the same number.
            let national = d
                .strip_prefix("0033")
                .or_else(|| d.strip_prefix("33").filter(|_| lower.starts_with('+')))
                .map(|rest| format!("0{rest}"));
            match national {
                Some(n) => {
                    digits.push(format!("33{}", &n[1..]));
                    digits.push(n);
                }
                None => {
                    if let Some(rest) = d.strip_prefix('0').filter(|r| r.len() == 9) {
                        digits.push(format!("33{rest}"));
                    }
                    digits.push(d);
                }
            }
        }
        Some(Needle { lower, digits })
    }

    /// Is the needle in `hay`?
    pub fn found_in(&self, hay: &str) -> bool {
        if hay.to_lowercase().contains(&self.lower) {
            return true;
        }
        if self.digits.is_empty() {
            return false;
        }
        let d: String = hay.chars().filter(char::is_ascii_digit).collect();
        self.digits.iter().any(|n| d.contains(n.as_str()))
    }

    /// Is the needle in any line (label or text) of a value read?
    pub fn found_in_value(&self, v: &ValueView) -> bool {
        v.lines
            .iter()
            .any(|l| self.found_in(&l.text) || l.label.as_deref().is_some_and(|x| self.found_in(x)))
    }
}

/// How a search of values ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValueSearch {
    /// Indices (in the keys given) whose value holds the needle.
    pub matched: Vec<usize>,
    /// For a search of a namespace: the keys whose value holds it.
    pub rows: Vec<KeyRow>,
    /// Every key of the namespace was read (not stopped at the cap).
    pub complete: bool,
    /// Values read.
    pub read: usize,
    /// Keys gone (expired or deleted) since they were listed.
    pub gone: usize,
    /// Stopped before the end (cancelled).
    pub stopped: bool,
}

/// Read the first page of each key's value, paced, and keep those that hold
/// the needle. A key that vanished is counted, not an error.
pub async fn values_holding(
    keyspace: &Keyspace,
    keys: &[Vec<u8>],
    needle: &Needle,
    max_ops_per_sec: u32,
    cancel: &CancellationToken,
) -> redis::RedisResult<ValueSearch> {
    let mut out = ValueSearch::default();
    for (i, key) in keys.iter().enumerate() {
        // One value read is a few commands (TYPE, PTTL, the read itself).
        if !super::actions::pace(3, max_ops_per_sec, cancel).await {
            out.stopped = true;
            break;
        }
        let v = keyspace
            .read_value_page(key, ReadLimits::default(), None)
            .await?;
        out.read += 1;
        if v.ty == "none" {
            out.gone += 1;
            continue;
        }
        if needle.found_in_value(&v) {
            out.matched.push(i);
        }
    }
    Ok(out)
}

/// Walk the keys matching `glob` (a namespace) with `SCAN`, read the first
/// page of each value, paced, and keep the keys whose value holds the
/// needle; at most `max_keys` values are read.
#[allow(clippy::too_many_arguments)]
pub async fn namespace_values_holding(
    keyspace: &Keyspace,
    glob: &[u8],
    needle: &Needle,
    max_keys: usize,
    scan_count: u32,
    delimiters: &[u8],
    max_ops_per_sec: u32,
    cancel: &CancellationToken,
) -> anyhow::Result<ValueSearch> {
    let mut out = ValueSearch::default();
    let mut cursor = 0;
    loop {
        if !super::actions::pace(1, max_ops_per_sec, cancel).await {
            out.stopped = true;
            break;
        }
        let page = keyspace
            .key_page(glob, cursor, 200, scan_count, delimiters)
            .await?;
        let room = max_keys.saturating_sub(out.read);
        let keys: Vec<Vec<u8>> = page.rows.iter().take(room).map(|r| r.key.clone()).collect();
        let part = values_holding(keyspace, &keys, needle, max_ops_per_sec, cancel).await?;
        out.read += part.read;
        out.gone += part.gone;
        out.rows.extend(
            part.matched
                .iter()
                .filter_map(|&i| page.rows.get(i).cloned()),
        );
        if part.stopped {
            out.stopped = true;
            break;
        }
        cursor = page.next_cursor;
        if cursor == 0 {
            out.complete = keys.len() == page.rows.len();
            break;
        }
        if out.read >= max_keys {
            break;
        }
    }
    out.rows.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_matches_however_it_is_written() {
        let stored = [
            "06 12 34 56 78",
            "+33 6 12 34 56 78",
            "0612345678",
            "+33612345678",
        ];
        for typed in stored {
            let n = Needle::new(typed).expect("a needle");
            for s in stored {
                assert!(
                    n.found_in(&format!("{{\"phone\":\"{s}\"}}")),
                    "{typed} in {s}"
                );
            }
            assert!(!n.found_in("06 12 34 56 79"), "{typed}");
        }
    }

    #[test]
    fn text_matches_without_case_or_spaces_around() {
        let n = Needle::new("  Jean.Dupont@Example.FR ").expect("a needle");
        assert!(n.found_in("email=jean.dupont@example.fr;x"));
        assert!(!n.found_in("jean.dupond@example.fr"));
        assert!(Needle::new("   ").is_none());
        // A short number is text, not a phone: no digit folding.
        let n = Needle::new("12").expect("a needle");
        assert!(n.found_in("a12b") && !n.found_in("1-2"));
    }
}
