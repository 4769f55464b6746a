//! Small pieces shared by the panes: number formatting, the remote-state
//! banner (loading / error, retrying in Ns), truncation to a width.

use std::time::Instant;

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::state::Remote;
use super::theme::Theme;

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

/// Cut `s` to at most `width` columns, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > width.saturating_sub(1) {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Cut `s` to at most `width` columns keeping its end, with `…` first:
/// for keys, whose end tells them apart.
pub fn fit_tail(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > width.saturating_sub(1) {
            break;
        }
        tail.push(c);
        w += cw;
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

/// Left text and right text on one line of `width` columns. When both do
/// not fit, the right part goes (it is the detail) and the left is cut.
pub fn spread<'a>(left: Vec<Span<'a>>, right: Vec<Span<'a>>, width: usize) -> Line<'a> {
    let lw: usize = left.iter().map(|s| s.content.width()).sum();
    let rw: usize = right.iter().map(|s| s.content.width()).sum();
    if lw + 1 + rw <= width {
        let mut spans = left;
        spans.push(Span::raw(" ".repeat(width - lw - rw)));
        spans.extend(right);
        return Line::from(spans);
    }
    let mut spans = Vec::with_capacity(left.len());
    let mut room = width;
    for s in left {
        let w = s.content.width();
        if w <= room {
            room -= w;
            spans.push(s);
        } else {
            spans.push(Span::styled(fit(&s.content, room), s.style));
            break;
        }
    }
    Line::from(spans)
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

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// The status line of something remote: nothing when ready, a spinner when
/// loading, the error and the retry countdown when failed.
pub fn remote_status<T>(
    remote: &Remote<T>,
    now: Instant,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    match remote {
        Remote::Ready { .. } => vec![],
        Remote::Loading { since } => {
            let secs = now.saturating_duration_since(*since).as_secs();
            let frame =
                SPINNER[(now.saturating_duration_since(*since).as_millis() / 250) as usize % 4];
            vec![Line::from(vec![
                Span::styled(format!("{frame} "), theme.muted),
                Span::styled(format!("loading… ({secs}s)"), theme.muted),
            ])]
        }
        Remote::Failed {
            error, retry_at, ..
        } => {
            let left = retry_at.saturating_duration_since(now);
            let secs = left.as_secs() + u64::from(left.subsec_millis() > 0);
            let retry = if secs == 0 {
                "retrying now".to_string()
            } else {
                format!("retrying in {secs}s")
            };
            let mut lines: Vec<Line<'static>> = wrap(&format!("error: {error}"), width)
                .into_iter()
                .map(|l| Line::styled(l, theme.error))
                .collect();
            lines.push(Line::styled(retry, theme.warn));
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(50 * 1024 * 1024), "50 MiB");
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit_tail("prefix:tail", 5), "…tail");
        assert_eq!(fit("日本語", 4), "日…");
        assert_eq!(
            wrap("error: connection refused by peer", 12),
            vec!["error:", "connection", "refused by", "peer"]
        );
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }
}
