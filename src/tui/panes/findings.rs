//! The Findings view: every finding of every store in one list (the
//! register's gaps, the census's, the Postgres classifier's and retention
//! checks'), the same set and count as `oubli check --live`. Each line says
//! how severe, what kind and where (the storage, and the namespace or
//! table); the selected one's sentence is shown whole below, and Enter goes
//! to where it is.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::check::{Finding, Severity};
use crate::show::{counted, printable};
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use crate::tui::widgets::{fit, wrap};

/// The title's badge: how many findings there are in all (what
/// `oubli check --live` counts for the same register).
pub fn badge(state: &AppState) -> String {
    match state.findings.len() {
        0 => "none".to_string(),
        n => counted(n as u64, "finding", None),
    }
}

pub fn severity_style(s: Severity, theme: &Theme) -> ratatui::style::Style {
    match s {
        Severity::High => theme.error,
        Severity::Medium => theme.warn,
        Severity::Low => theme.muted,
    }
}

/// Where a finding is, in words: the storage's label, then the namespace
/// or table, or "the register" for one about the register as a whole.
pub fn place(state: &AppState, f: &Finding) -> String {
    let storage = f
        .storage
        .as_deref()
        .map(|id| state.register.storage(id).map_or(id, |s| s.label.as_str()));
    let detail = f
        .namespace
        .as_ref()
        .map(|n| n.pattern.as_str())
        .or(f.table.as_deref())
        .or_else(|| f.flow.as_ref().map(|_| "a flow"));
    let text = match (storage, detail) {
        (Some(s), Some(d)) => format!("{s} › {d}"),
        (Some(s), None) => s.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => "the register".to_string(),
    };
    printable(&text).into_owned()
}

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect, focused: bool) {
    let width = usize::from(area.width);
    let visible = state.visible_findings();
    let v = &state.findings_view;
    let filtered = !v.filter.is_empty() || v.severity != Default::default();
    let mut head = vec![summary(state, visible.len(), theme, width)];
    if state.findings.is_empty() {
        head.push(Line::styled(
            "No finding: the register says what, where, how long and why for every storage, and the live stores agree.",
            theme.ok,
        ));
        frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: true }), area);
        return;
    }
    if visible.is_empty() {
        head.push(Line::styled(
            if filtered {
                "No finding matches the filter (Esc clears it, s changes the severity)."
            } else {
                "No finding."
            },
            theme.muted,
        ));
        frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: true }), area);
        return;
    }
    let found: Vec<&Finding> = visible
        .iter()
        .filter_map(|&i| state.findings.get(i))
        .collect();
    // The kind column is as wide as the longest kind shown, within reason.
    let kind_w = found
        .iter()
        .map(|f| f.kind.width())
        .max()
        .unwrap_or(0)
        .min(30)
        .min(width.saturating_sub(20) / 2);
    let mut cursor = v.cursor;
    let selected = found.get(cursor.selected.min(found.len() - 1)).copied();
    let message = selected
        .map(|f| wrap(&printable(&f.message), width))
        .unwrap_or_default();
    let details_h = if area.height >= 10 {
        (message.len() as u16 + 1).min(area.height / 2)
    } else {
        0
    };
    let [head_area, title_area, list_area, details_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(details_h),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    frame.render_widget(
        Paragraph::new(Line::styled(
            fit(
                &format!("{:<9}{:<kind_w$}  where", "severity", "kind"),
                width,
            ),
            theme.title,
        )),
        title_area,
    );
    cursor.clamp(found.len(), usize::from(list_area.height));
    let rows: Vec<Line<'static>> = found
        .iter()
        .map(|f| {
            Line::from(vec![
                Span::styled(
                    format!("{:<9}", f.severity.as_str()),
                    severity_style(f.severity, theme),
                ),
                Span::styled(format!("{:<kind_w$}  ", fit(f.kind, kind_w)), theme.text),
                Span::styled(
                    fit(&place(state, f), width.saturating_sub(kind_w + 11)),
                    theme.muted,
                ),
            ])
        })
        .collect();
    super::list(frame, list_area, rows, &cursor, focused, theme);
    if details_h > 0 {
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border);
        let lines: Vec<Line> = message
            .into_iter()
            .map(|l| Line::styled(l, theme.text))
            .collect();
        frame.render_widget(Paragraph::new(lines).block(block), details_area);
    }
}

/// One line: how many of each severity, and what the filter keeps.
fn summary(state: &AppState, shown: usize, theme: &Theme, width: usize) -> Line<'static> {
    let n = |s: Severity| state.findings.iter().filter(|f| f.severity == s).count();
    let v = &state.findings_view;
    let mut spans = vec![
        Span::styled(format!("{} high", n(Severity::High)), theme.error),
        Span::styled(" · ", theme.muted),
        Span::styled(format!("{} medium", n(Severity::Medium)), theme.warn),
        Span::styled(" · ", theme.muted),
        Span::styled(format!("{} low", n(Severity::Low)), theme.muted),
    ];
    if shown != state.findings.len() {
        spans.push(Span::styled(
            format!("  showing {shown} ({})", v.severity.name()),
            theme.text,
        ));
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    if used > width {
        return Line::styled(
            fit(
                &format!("{} findings, {shown} shown", state.findings.len()),
                width,
            ),
            theme.text,
        );
    }
    Line::from(spans)
}
