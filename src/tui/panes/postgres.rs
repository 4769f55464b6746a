//! The Postgres pane: the server and database at a glance, its tables
//! (largest first, row estimates, how many personal columns the classifier
//! found, person tables marked), and the selected table's personal columns
//! with categories, confidence, links and evidence (masked examples only).

use crate::show::printable;
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
    let mut tables: Vec<String> = Vec::new();
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
                    printable(o.version.split_whitespace().next().unwrap_or("")),
                    printable(&o.database),
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
        head.push(survey_line(state, theme, width));
        head.push(spread(
            vec![Span::styled("table", theme.title)],
            vec![Span::styled("personal    ~rows      size", theme.title)],
            width,
        ));
        for t in &o.tables {
            let name = if t.schema == "public" {
                printable(&crate::postgres::catalog::ident(&t.name)).into_owned()
            } else {
                printable(&crate::postgres::catalog::qualified(&t.schema, &t.name)).into_owned()
            };
            let rows_txt = if t.estimated_rows < 0 {
                "?".to_string()
            } else {
                count(t.estimated_rows as u64)
            };
            let qualified = format!("{}.{}", t.schema, t.name);
            let (personal, is_person) = personal_of(state, &qualified);
            let badge = match (personal, is_person) {
                (_, true) => format!("person {personal:>2}"),
                (0, false) => String::new(),
                (n, false) => format!("{n:>2}"),
            };
            let right = format!(
                "{badge:>9} {rows_txt:>9} {:>9}",
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
                vec![Span::styled(
                    right,
                    if personal > 0 { theme.pii } else { text },
                )],
                width,
            ));
            tables.push(qualified);
        }
    }
    // The selected table's personal columns below the list, when tall enough.
    let selected = tables.get(state.pg_cursor.selected.min(tables.len().saturating_sub(1)));
    let details = selected
        .map(|t| details(state, t, theme, width))
        .unwrap_or_default();
    let details_h = if area.height >= 20 && area.width >= 40 && !details.is_empty() {
        (details.len() as u16 + 1).min(area.height / 2)
    } else {
        0
    };
    let list_area = Rect {
        height: area.height - details_h,
        ..area
    };
    super::head_then_list(
        frame,
        list_area,
        head,
        rows,
        &state.pg_cursor,
        focused,
        theme,
    );
    if details_h > 0 {
        let block = ratatui::widgets::Block::default()
            .borders(ratatui::widgets::Borders::TOP)
            .border_style(theme.border)
            .title(Span::styled(
                format!(
                    " {} ",
                    printable(selected.map(String::as_str).unwrap_or(""))
                ),
                theme.title,
            ));
        let details_area = Rect {
            y: area.y + area.height - details_h,
            height: details_h,
            ..area
        };
        frame.render_widget(
            ratatui::widgets::Paragraph::new(details).block(block),
            details_area,
        );
    }
}

/// Personal columns of a table, and whether its rows are people.
fn personal_of(state: &AppState, qualified: &str) -> (usize, bool) {
    match &state.pg_survey {
        Some(Ok(s)) => {
            let c = &s.classification;
            let matches = |t: &str| t == qualified || qualified.strip_prefix("public.") == Some(t);
            (
                c.columns
                    .iter()
                    .filter(|col| col.personal && matches(&col.table))
                    .count(),
                c.person_tables.iter().any(|t| matches(t)),
            )
        }
        _ => (0, false),
    }
}

fn survey_line(state: &AppState, theme: &Theme, width: usize) -> Line<'static> {
    let (text, style) = match &state.pg_survey {
        None => ("classifying columns…".to_string(), theme.muted),
        Some(Err(e)) => (format!("classification failed: {e}"), theme.error),
        Some(Ok(s)) => {
            let c = &s.classification;
            (
                format!(
                    "{} personal columns in {} tables · person tables: {} · {} links",
                    c.columns.iter().filter(|c| c.personal).count(),
                    c.personal_tables().len(),
                    if c.person_tables.is_empty() {
                        "none found".to_string()
                    } else {
                        c.person_tables.join(", ")
                    },
                    s.graph.edges.len()
                ),
                theme.ok,
            )
        }
    };
    // A refresh classifies again; the previous result stays until then,
    // and says so first, so a narrow pane does not cut it off.
    let text = match (&state.pg_survey, state.pg_surveying) {
        (Some(_), true) => format!("classifying again… · {text}"),
        _ => text,
    };
    Line::styled(fit(&text, width), style)
}

/// The personal columns of one table, one per line, with their evidence.
fn details(state: &AppState, qualified: &str, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let Some(Ok(s)) = &state.pg_survey else {
        return vec![];
    };
    let matches = |t: &str| t == qualified || qualified.strip_prefix("public.") == Some(t);
    let mut lines = Vec::new();
    for c in s
        .classification
        .columns
        .iter()
        .filter(|c| c.personal && matches(&c.table))
    {
        let why = c
            .link
            .as_ref()
            .map(|l| format!("→ {l}"))
            .or_else(|| c.evidence.first().cloned())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<18} ", fit(&printable(&c.column), 18)),
                theme.pii,
            ),
            Span::styled(
                format!("{:<22} ", fit(&c.categories.join(","), 22)),
                theme.text,
            ),
            Span::styled(format!("{:>4.2} ", c.confidence), theme.muted),
            Span::styled(fit(&printable(&why), width.saturating_sub(47)), theme.muted),
        ]));
    }
    // How rows of this table reach a person, and whether each link is indexed.
    for e in s.graph.edges.iter().filter(|e| matches(&e.table)) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("link {} → {} ", printable(&e.link()), printable(&e.person)),
                theme.text,
            ),
            Span::styled(
                format!(
                    "({}{})",
                    e.kind.as_str(),
                    if e.indexed { "" } else { ", NO INDEX" }
                ),
                if e.indexed { theme.muted } else { theme.warn },
            ),
        ]));
    }
    lines
}
