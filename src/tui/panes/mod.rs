//! One module per pane; each draws from the state and nothing else.

pub mod findings;
pub mod map;
pub mod postgres;
pub mod redis;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::state::Cursor;
use super::theme::Theme;
use super::widgets::fit;

/// What a live pane says when the register has no connection of its kind.
pub fn no_connection(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    store: &str,
    kind: &str,
    flag: &str,
) {
    let p = Paragraph::new(vec![
        Line::styled(format!("No {store} connection."), theme.muted),
        Line::styled(
            format!("Add a [connection.NAME] with kind = \"{kind}\" to the register, or pass {flag} URL."),
            theme.muted,
        ),
    ])
    .wrap(Wrap { trim: true });
    frame.render_widget(p, area);
}

/// A connection's name and its (redacted) URL, on one line.
pub fn conn_title(name: &str, url: &str, width: usize, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(name.to_string(), theme.title),
        Span::styled(
            format!(" {}", fit(url, width.saturating_sub(name.len() + 1))),
            theme.muted,
        ),
    ])
}

/// Fixed lines at the top, then a scrolling list below them.
pub fn head_then_list(
    frame: &mut Frame,
    area: Rect,
    head: Vec<Line<'static>>,
    rows: Vec<Line<'static>>,
    cursor: &Cursor,
    focused: bool,
    theme: &Theme,
) {
    let len = rows.len();
    let mut rows = rows.into_iter().map(Some).collect::<Vec<_>>();
    head_then_rows(
        frame,
        area,
        head,
        len,
        |i| rows[i].take().unwrap_or_default(),
        cursor,
        focused,
        theme,
    );
}

/// Fixed lines at the top, then a window of a list of `len` rows built on
/// demand: only the rows on screen are made, so a list of a million keys
/// costs what a screenful costs.
#[allow(clippy::too_many_arguments)]
pub fn head_then_rows<'a>(
    frame: &mut Frame,
    area: Rect,
    head: Vec<Line<'static>>,
    len: usize,
    row: impl FnMut(usize) -> Line<'a>,
    cursor: &Cursor,
    focused: bool,
    theme: &Theme,
) {
    let head_h = (head.len() as u16).min(area.height);
    frame.render_widget(
        Paragraph::new(head),
        Rect {
            height: head_h,
            ..area
        },
    );
    let list_area = Rect {
        y: area.y + head_h,
        height: area.height - head_h,
        ..area
    };
    rows_window(frame, list_area, len, row, cursor, focused, theme);
}

/// Draw `rows` (already styled) as a list with the cursor's window, the
/// selected row highlighted when the pane has focus.
pub fn list(
    frame: &mut Frame,
    area: Rect,
    rows: Vec<Line<'static>>,
    cursor: &Cursor,
    focused: bool,
    theme: &Theme,
) {
    let len = rows.len();
    let mut rows = rows.into_iter().map(Some).collect::<Vec<_>>();
    rows_window(
        frame,
        area,
        len,
        |i| rows[i].take().unwrap_or_default(),
        cursor,
        focused,
        theme,
    );
}

fn rows_window<'a>(
    frame: &mut Frame,
    area: Rect,
    len: usize,
    mut row: impl FnMut(usize) -> Line<'a>,
    cursor: &Cursor,
    focused: bool,
    theme: &Theme,
) {
    let height = usize::from(area.height);
    let mut c = *cursor;
    c.clamp(len, height);
    let lines: Vec<Line> = (c.offset..len.min(c.offset + height))
        .map(|i| {
            let line = row(i);
            if i == c.selected && focused {
                line.style(theme.selected)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}
