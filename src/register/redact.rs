//! Secrets in text that may hold a connection string: the password of
//! `scheme://user:password@host`, and the value of a `password=` (also
//! `sslpassword=`, `pass=`, `passwd=`, `pwd=`) parameter, in a URL query
//! (`postgres://u@h/db?password=…`, `redis+unix:///s?pass=…`) or a libpq
//! `key=value` string (`host=h password='…'`).
//!
//! The scan works on any text (a URL, a driver's error, a broken TOML
//! line) and errs towards hiding too much: a segment that might be a
//! password is masked even when the text around it does not parse.

use std::ops::Range;

/// What replaces every secret.
pub const MASK: &str = "***";

/// Parameter names whose value is a secret, compared without case.
const SECRET_KEYS: [&str; 5] = ["password", "sslpassword", "passwd", "pass", "pwd"];

/// `text` with every password it holds replaced by `***`: the one function
/// to pass any URL or URL-ish text (a driver's error, a `--pg` argument)
/// through before it is shown or logged.
pub fn redact_url(text: &str) -> String {
    mask(text, &secret_spans(text))
}

/// `text` with the byte ranges `spans` (sorted, disjoint) replaced by `***`.
pub(crate) fn mask(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for s in spans {
        out.push_str(&text[pos..s.start]);
        out.push_str(MASK);
        pos = s.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// The byte ranges of `text` that hold a secret, sorted and disjoint, each
/// on character boundaries and never empty.
pub fn secret_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = userinfo_passwords(text);
    spans.extend(parameter_values(text));
    spans.sort_by_key(|s| s.start);
    // Merge overlaps (a `password=` inside a userinfo already masked).
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    merged
}

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// Where a value that starts at `from` ends: at the closing `quote` if it
/// was quoted (or the end of the line when the quote never closes), else at
/// the first byte `stop` accepts. A backslash escapes the byte after it.
fn value_end(b: &[u8], from: usize, quote: Option<u8>, stop: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            i += 2;
            continue;
        }
        let ends = match quote {
            Some(q) => c == q || c == b'\n',
            None => stop(c),
        };
        if ends {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// `scheme://user:PASSWORD@host`: from the first `:` after `//` to the last
/// `@` of the authority. The authority of a quoted URL runs to the closing
/// quote (a password may hold spaces), otherwise to the first blank or quote.
fn userinfo_passwords(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (at, _) in text.match_indices("://") {
        let mut scheme_start = at;
        while scheme_start > 0
            && (b[scheme_start - 1].is_ascii_alphanumeric()
                || matches!(b[scheme_start - 1], b'+' | b'-' | b'.'))
        {
            scheme_start -= 1;
        }
        let quote = scheme_start
            .checked_sub(1)
            .map(|i| b[i])
            .filter(|&c| is_quote(c));
        let start = at + 3;
        let end = value_end(b, start, quote, |c| {
            c.is_ascii_whitespace() || is_quote(c) || matches!(c, b'<' | b'>')
        });
        let authority = &text[start..end];
        let Some(last_at) = authority.rfind('@') else {
            continue;
        };
        if let Some(colon) = authority[..last_at].find(':') {
            if colon + 1 < last_at {
                out.push(start + colon + 1..start + last_at);
            }
        }
    }
    out
}

/// `password=VALUE` (any key of `SECRET_KEYS`, `=` with optional blanks
/// around it): in a URL query the value ends at `&` or `#`, in a libpq
/// string at a blank; a quoted value runs to its closing quote.
fn parameter_values(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for key in SECRET_KEYS {
        for (at, _) in lower.match_indices(key) {
            let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
            if at > 0 && word(b[at - 1]) {
                continue;
            }
            let mut i = at + key.len();
            // A quoted key, as in JSON `"password": …` or TOML `"password" = …`.
            let quoted = i < b.len() && is_quote(b[i]) && at > 0 && b[at - 1] == b[i];
            i += usize::from(quoted);
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i >= b.len() || !(b[i] == b'=' || (quoted && b[i] == b':')) {
                continue;
            }
            i += 1;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            let quote = b.get(i).copied().filter(|&c| is_quote(c));
            let start = i + usize::from(quote.is_some());
            let end = value_end(b, start, quote, |c| {
                c.is_ascii_whitespace() || is_quote(c) || matches!(c, b'&' | b'#' | b';' | b',')
            });
            if end > start {
                out.push(start..end);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_passwords_are_masked() {
        for (given, shown) in [
            (
                "redis://app:hunter2@127.0.0.1:6379/0",
                "redis://app:***@127.0.0.1:6379/0",
            ),
            ("rediss://:pw@h", "rediss://:***@h"),
            ("postgres://u:p@ss:w0rd@h/db", "postgres://u:***@h/db"),
            ("redis://user@h/0", "redis://user@h/0"),
            ("redis://h:6379/0", "redis://h:6379/0"),
            (
                "cannot connect to redis://:s3cr3t@h:1 (refused)",
                "cannot connect to redis://:***@h:1 (refused)",
            ),
            (
                r#"url = "redis://:pa ss\"w@h" x"#,
                r#"url = "redis://:***@h" x"#,
            ),
            // Unterminated: the rest of the line is the URL.
            (r#"url = "redis://:pa ss@h"#, r#"url = "redis://:***@h"#),
        ] {
            assert_eq!(redact_url(given), shown, "{given}");
        }
    }

    #[test]
    fn password_parameters_are_masked() {
        for (given, shown) in [
            (
                "postgres://postgres@h/db?password=hunter2secret",
                "postgres://postgres@h/db?password=***",
            ),
            (
                "postgres://h/db?sslmode=require&PassWord=x&user=u",
                "postgres://h/db?sslmode=require&PassWord=***&user=u",
            ),
            (
                "postgres://h/db?sslpassword=k#frag",
                "postgres://h/db?sslpassword=***#frag",
            ),
            (
                "redis+unix:///tmp/r.sock?pass=pw&db=1",
                "redis+unix:///tmp/r.sock?pass=***&db=1",
            ),
            (
                "host=h user=u password = 'a b\\' c' dbname=d",
                "host=h user=u password = '***' dbname=d",
            ),
            (r#"password = "hunter2""#, r#"password = "***""#),
            (r#"{"password": "x"}"#, r#"{"password": "***"}"#),
            // Names that only contain the word are no secret.
            (
                r#"password_env = "REDIS_PW" # move it to password_file"#,
                r#"password_env = "REDIS_PW" # move it to password_file"#,
            ),
            ("passfile=/home/u/.pgpass", "passfile=/home/u/.pgpass"),
        ] {
            assert_eq!(redact_url(given), shown, "{given}");
        }
    }

    #[test]
    fn overlapping_secrets_are_masked_once() {
        let r = redact_url("redis://u:password=x@h?password=y");
        assert!(
            r.starts_with("redis://u:***") && !r.contains('x') && !r.contains('y'),
            "{r}"
        );
        assert_eq!(redact_url(""), "");
        assert_eq!(redact_url("://"), "://");
        assert_eq!(redact_url("password="), "password=");
        assert_eq!(redact_url("é://:ü@ß password=ø"), "é://:***@ß password=***");
    }
}
