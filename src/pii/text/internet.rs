//! What the Internet leaves in text: e-mail addresses (and the password of
//! a URL, which the e-mail pattern finds first), IPv4 and IPv6 addresses.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use regex_automata::Input;

use super::super::{Hit, Kind};
use super::{inline_adjust, match_at, preceding_words, TextDetector};

pub(super) const EMAIL: &str =
    r"[A-Za-z0-9À-ÖØ-öø-ſ._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?-u:\b)";

pub(super) const IPV4: &str = r"(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)";

pub(super) const IPV6: &str = r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:(?:(?:[0-9A-Fa-f:]*:)?[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9A-Fa-f:]*)";

impl TextDetector {
    pub(super) fn emails(&self, text: &str, hits: &mut Vec<Hit>) {
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

    /// IPv4 addresses within `runs` (runs of digits and separators with
    /// three dots and four digits: a match holds only digits and dots).
    pub(super) fn ipv4s(&self, text: &str, runs: &[Range<usize>], hits: &mut Vec<Hit>) {
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
    pub(super) fn ipv6s(&self, text: &str, colon: usize, hits: &mut Vec<Hit>) {
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

    /// The matches of `ipv6`, left to right, as `find_iter` gives them. A
    /// match starts with `[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:`: its first
    /// colon is followed by at most four hex digits and a colon, and it
    /// starts at the hex digits just before that colon (at most four, and
    /// not before the previous match's end), where it is tried, anchored.
    /// `colon` is the text's first colon.
    pub(super) fn ipv6_matches(&self, text: &str, colon: usize) -> Vec<Range<usize>> {
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
}

/// Whether the colon at `i` is followed by at most four hex digits and a
/// colon (not so in JSON, where colons sit between quotes).
#[inline]
fn colon_pair(b: &[u8], i: usize) -> bool {
    let rest = &b[i + 1..];
    let hex = rest
        .iter()
        .take(4)
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    rest.get(hex) == Some(&b':')
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
