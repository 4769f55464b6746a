//! The Postgres pane (first form): for each connection, the server and
//! database at a glance and its tables, largest first, with row estimates.
//! The classifier and the person graph grow from here.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::tui::state::{AppState, Remote};
use crate::tui::theme::Theme;
use crate::tui::widgets::{bytes, count, fit, remote_status, spread};

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect, focused: bool) {
    if state.postgres.is_empty() {
        super::no_connection(frame, area, theme, "Postgres", "postgres", "--pg");
        return;
    }
    let width = usize::from(area.width);
    let mut head: Vec<Line<'static>> = Vec::new();
    let mut rows: Vec<Line<'static>> = Vec::new();
    for c in &state.postgres {
        head.push(super::conn_title(&c.name, &c.url, width, theme));
        head.extend(remote_status(&c.remote, state.now, theme, width));
        let Some((o, at)) = c.remote.data() else {
            continue;
        };
        let stale = matches!(c.remote, Remote::Failed { .. });
        let text = if stale { theme.muted } else { theme.text };
        head.push(Line::styled(
            fit(
                &format!(
                    "PostgreSQL {} · {} · {}{}",
                    o.version.split_whitespace().next().unwrap_or(""),
                    o.database,
                    bytes(u64::try_from(o.size_bytes).unwrap_or(0)),
                    if o.in_recovery { " · replica" } else { "" }
                ),
                width,
            ),
            text,
        ));
        head.push(Line::styled(
            fit(
                &format!(
                    "as of {} · {} tables",
                    at.format("%H:%M:%S"),
                    o.tables.len()
                ),
                width,
            ),
            theme.muted,
        ));
        head.push(spread(
            vec![Span::styled("table", theme.title)],
            vec![Span::styled("~rows      size", theme.title)],
            width,
        ));
        for t in &o.tables {
            let name = if t.schema == "public" {
                t.name.clone()
            } else {
                format!("{}.{}", t.schema, t.name)
            };
            let rows_txt = if t.estimated_rows < 0 {
                "?".to_string()
            } else {
                count(t.estimated_rows as u64)
            };
            let right = format!(
                "{rows_txt:>9} {:>9}",
                bytes(u64::try_from(t.total_bytes).unwrap_or(0))
            );
            // Narrow pane: the name alone, cut; wide: name and figures.
            let name_room = width.saturating_sub(right.len() + 1);
            let name = if name_room >= 8 {
                fit(&name, name_room)
            } else {
                name
            };
            rows.push(spread(
                vec![Span::styled(name, text)],
                vec![Span::styled(right, text)],
                width,
            ));
        }
    }
    super::head_then_list(frame, area, head, rows, &state.pg_cursor, focused, theme);
}
