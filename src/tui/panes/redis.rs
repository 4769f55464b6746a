//! The Redis pane (first form): for each connection, the server at a glance
//! and every logical database with its keys and the share without a TTL.
//! The keyspace census and browser grow from here.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::tui::state::{AppState, Remote};
use crate::tui::theme::Theme;
use crate::tui::widgets::{bytes, count, fit, remote_status, spread};

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect, focused: bool) {
    if state.redis.is_empty() {
        super::no_connection(frame, area, theme, "Redis", "redis", "--redis");
        return;
    }
    let width = usize::from(area.width);
    let mut head: Vec<Line<'static>> = Vec::new();
    let mut rows: Vec<Line<'static>> = Vec::new();
    for c in &state.redis {
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
                    "Redis {} {} {} · {} · {} clients · {} ops/s",
                    o.version,
                    o.mode,
                    o.role,
                    bytes(o.used_memory),
                    o.connected_clients,
                    o.ops_per_sec
                ),
                width,
            ),
            text,
        ));
        head.push(Line::styled(
            fit(&format!("as of {}", at.format("%H:%M:%S")), width),
            theme.muted,
        ));
        head.push(spread(
            vec![Span::styled("db", theme.title)],
            vec![Span::styled("keys   no TTL", theme.title)],
            width,
        ));
        if o.dbs.is_empty() {
            head.push(Line::styled("(no keys)", theme.muted));
        }
        for d in &o.dbs {
            let share = d.share_without_ttl();
            let style = if share > 0.0 { theme.warn } else { theme.ok };
            rows.push(spread(
                vec![Span::styled(format!("db{}", d.db), text)],
                vec![
                    Span::styled(format!("{:>7}", count(d.keys)), text),
                    Span::styled(format!(" {:>5.1}%", share * 100.0), style),
                ],
                width,
            ));
        }
    }
    super::head_then_list(frame, area, head, rows, &state.redis_cursor, focused, theme);
}
