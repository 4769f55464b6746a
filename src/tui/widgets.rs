//! Small pieces shared by the panes: number formatting, the remote-state
//! banner (loading / error, retrying in Ns), truncation to a width.

use std::time::Instant;

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

pub use crate::show::{bytes, count, fit, fit_tail, wrap};

use super::state::Remote;
use super::theme::Theme;

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
