//! The ground floor both faces and the engines use to show things as text:
//! sizes, counts, widths, TTLs, and strings that came from a store made
//! safe for a terminal. Nothing here knows of the console.

use std::borrow::Cow;

use unicode_width::UnicodeWidthStr;

/// `1.5 MiB`, `12 KiB`, `512 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[i])
    } else {
        format!("{v:.0} {}", UNITS[i])
    }
}

/// `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 key`, `2 keys`, `1,204 keys`: a count and its noun, singular for one.
/// `plural` is the noun's plural when it is not `singular` + `s`.
pub fn counted(n: u64, singular: &str, plural: Option<&str>) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        match plural {
            Some(p) => format!("{} {p}", count(n)),
            None => format!("{} {singular}s", count(n)),
        }
    }
}

/// At most this many bytes of a string are measured to fit it: what fits
/// on a screen is far shorter (a 1 MB key name used to be measured whole
/// on every frame).
const FIT_MAX_BYTES: usize = 16 << 10;

fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cut `s` to at most `width` columns, with `…` when cut. Only its head is
/// measured (the columns that show, [`FIT_MAX_BYTES`] at most).
pub fn fit(s: &str, width: usize) -> String {
    let mut w = 0;
    // Where the kept head ends when `s` is cut.
    let mut keep = None;
    for (i, c) in s.char_indices() {
        let cw = char_width(c);
        if i >= FIT_MAX_BYTES || w + cw > width {
            if width == 0 {
                return String::new();
            }
            return format!("{}…", &s[..keep.unwrap_or(i)]);
        }
        if keep.is_none() && w + cw > width.saturating_sub(1) {
            keep = Some(i);
        }
        w += cw;
    }
    s.to_string()
}

/// Cut `s` to at most `width` columns keeping its end, with `…` first:
/// for keys, whose end tells them apart. Only its tail is measured.
pub fn fit_tail(s: &str, width: usize) -> String {
    let mut w = 0;
    // Where the kept tail starts when `s` is cut.
    let mut keep = None;
    for (i, c) in s.char_indices().rev() {
        let end = i + c.len_utf8();
        let cw = char_width(c);
        if s.len() - end >= FIT_MAX_BYTES || w + cw > width {
            if width == 0 {
                return String::new();
            }
            return format!("…{}", &s[keep.unwrap_or(end)..]);
        }
        if keep.is_none() && w + cw > width.saturating_sub(1) {
            keep = Some(end);
        }
        w += cw;
    }
    s.to_string()
}

/// Break `text` into lines of at most `width` columns, at spaces when it can.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.width()
        } else {
            line.width() + 1 + word.width()
        };
        if candidate > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        // A word longer than the line is cut hard.
        while line.width() > width {
            let mut head = String::new();
            let mut rest = line.chars();
            for c in rest.by_ref() {
                if head.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > width {
                    line = std::iter::once(c).chain(rest).collect();
                    break;
                }
                head.push(c);
            }
            lines.push(head);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `3d 4h`, `12m 5s`, `no TTL`.
pub fn ttl_text(pttl_ms: i64) -> String {
    if pttl_ms < 0 {
        return "no TTL".into();
    }
    let s = pttl_ms / 1000;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Whether `c` would act on a terminal instead of being shown: C0 and C1
/// controls, DEL, and the bidirectional overrides and isolates that let
/// text appear in another order than it is stored (a spoofed key name).
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` made safe to write to a terminal: every control character (ESC, BEL,
/// CR, LF, TAB, C1, DEL) and every bidirectional override becomes a visible
/// escape (`\x1b`, `\r`, `\n`, `\t`, `\u{202e}`), so a key name, a value or
/// a table name from a store can never move the cursor, clear the screen,
/// set the window title or hide text behind other text. Borrowed (no
/// allocation) when there is nothing to escape, which is the common case.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(acts_on_terminal) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_printable(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_printable(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 && acts_on_terminal(c) => {
            let _infallible = write!(out, "\\x{:02x}", c as u32);
        }
        c if acts_on_terminal(c) => {
            let _infallible = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// A message of several lines made printable line by line: its line
/// breaks stay, every other control character is escaped.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && acts_on_terminal(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(printable).collect();
    Cow::Owned(lines.join("\n"))
}

/// Bytes from a store (a key name, a field) as printable text: valid UTF-8
/// as [`printable`], each byte of an invalid sequence as `\xNN`.
pub fn printable_bytes(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => printable(s),
        Err(_) => {
            use std::fmt::Write;
            let mut out = String::with_capacity(b.len() + 8);
            for chunk in b.utf8_chunks() {
                for c in chunk.valid().chars() {
                    push_printable(&mut out, c);
                }
                for byte in chunk.invalid() {
                    let _infallible = write!(out, "\\x{byte:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_says_one_in_the_singular() {
        assert_eq!(counted(1, "key", None), "1 key");
        assert_eq!(counted(0, "key", None), "0 keys");
        assert_eq!(counted(1204, "key", None), "1,204 keys");
        assert_eq!(counted(2, "storage", None), "2 storages");
        assert_eq!(counted(3, "person", Some("people")), "3 people");
    }

    #[test]
    fn sizes_and_counts() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(ttl_text(-1), "no TTL");
    }

    #[test]
    fn fitting_reads_only_what_shows() {
        for (s, w) in [
            ("abcdef", 4),
            ("abc", 4),
            ("abcd", 4),
            ("日本語", 4),
            ("", 0),
            ("a", 0),
        ] {
            let want = if s.width() <= w {
                s.to_string()
            } else if w == 0 {
                String::new()
            } else {
                let mut head: String = s.chars().collect();
                while head.width() > w - 1 {
                    head.pop();
                }
                format!("{head}…")
            };
            assert_eq!(fit(s, w), want, "{s} {w}");
        }
        assert_eq!(fit_tail("prefix:tail", 5), "…tail");
        assert_eq!(fit_tail("日本語", 4), "…語");
        assert_eq!(fit_tail("abcd", 4), "abcd");
        let mb = format!("longname:{}:end", "x".repeat(1 << 20));
        assert_eq!(fit(&mb, 12), "longname:xx…");
        assert_eq!(fit_tail(&mb, 8), "…xxx:end");
        // Zero-width characters are not measured without end either.
        let zw = "\u{200b}".repeat(1 << 20);
        assert!(fit(&zw, 10).len() <= FIT_MAX_BYTES + 8);
        assert!(fit_tail(&zw, 10).len() <= FIT_MAX_BYTES + 8);
    }

    #[test]
    fn escapes_leave_nothing_a_terminal_acts_on() {
        let hostile = "bad:term:\x1b]0;PWNED\x07\x1b[2J\x1b[H";
        let shown = printable(hostile);
        assert_eq!(shown, "bad:term:\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[H");
        assert_eq!(printable("visible\rSPOOFED"), "visible\\rSPOOFED");
        assert_eq!(printable("a\u{9b}b\u{7f}"), "a\\x9bb\\x7f");
        assert_eq!(printable("abc\u{202e}fdp.exe"), "abc\\u{202e}fdp.exe");
        assert!(matches!(printable("rdv:session:été"), Cow::Borrowed(_)));
        assert_eq!(printable_bytes(b"k\xff\xfe:\x1b"), "k\\xff\\xfe:\\x1b");
        assert_eq!(printable_lines("a\n\x1b[2Jb\r"), "a\n\\x1b[2Jb\\r");
        for s in [hostile, "x\ny", "\u{85}", "\u{2066}"] {
            assert!(!printable(s).chars().any(acts_on_terminal), "{s:?}");
        }
    }
}
