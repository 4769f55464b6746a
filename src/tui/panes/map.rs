//! The data map pane (first form): every node of the register grouped as the
//! reference map draws it — people, processes, hosted storages, third
//! parties — with retention and justification, and the selected node's
//! details and flows.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::register::{Register, Retention, Storage, StorageKind};
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use crate::tui::widgets::{count, fit, spread, wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    People,
    Processes,
    Hosted,
    ThirdParties,
}

impl Group {
    fn of(s: &Storage) -> Group {
        match s.kind() {
            StorageKind::Actor => Group::People,
            StorageKind::Process => Group::Processes,
            _ if s.is_inside() => Group::Hosted,
            _ => Group::ThirdParties,
        }
    }
    fn title(self) -> &'static str {
        match self {
            Group::People => "People",
            Group::Processes => "Processes",
            Group::Hosted => "Hosted storages",
            Group::ThirdParties => "Third parties",
        }
    }
}

/// Register indexes in display order (by group, then as declared).
pub fn order(reg: &Register) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..reg.storages.len()).collect();
    idx.sort_by_key(|&i| (Group::of(&reg.storages[i]), i));
    idx
}

/// The glyph of a node: cylinder-like for storages, box for processes,
/// round for people.
pub fn glyph(kind: StorageKind) -> &'static str {
    match kind {
        StorageKind::Actor => "◯",
        StorageKind::Process => "▭",
        _ => "◉",
    }
}

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect, focused: bool) {
    let reg = &state.register;
    if reg.storages.is_empty() {
        let p = Paragraph::new(vec![
            Line::styled("No storage in the register.", theme.muted),
            Line::styled(format!("({})", state.register_path), theme.muted),
        ])
        .wrap(Wrap { trim: true });
        frame.render_widget(p, area);
        return;
    }
    let order = order(reg);
    let mut cursor = state.map;
    cursor.clamp(order.len(), usize::from(area.height));
    // The details panel takes what it needs, up to half the pane, and goes
    // away when the list would be too short to use.
    let details = order
        .get(cursor.selected)
        .map(|&i| details_lines(state, &reg.storages[i], theme, usize::from(area.width)))
        .unwrap_or_default();
    let details_h = if area.height >= 16 {
        (details.len() as u16 + 1).min(area.height / 2)
    } else {
        0
    };
    let [list_area, details_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(details_h)]).areas(area);

    // Rows, with group titles between them; the cursor counts nodes only,
    // so map it onto the row index that includes titles.
    let width = usize::from(list_area.width);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row_of_node = Vec::with_capacity(order.len());
    let mut last_group = None;
    for &i in &order {
        let s = &reg.storages[i];
        let g = Group::of(s);
        if last_group != Some(g) {
            rows.push(Line::styled(g.title().to_string(), theme.title));
            last_group = Some(g);
        }
        row_of_node.push(rows.len());
        let retention = s.effective_retention();
        let (ret_text, ret_style) = match retention {
            None => (String::new(), theme.muted),
            Some(Retention::Unknown) => ("retention ?".to_string(), theme.warn),
            Some(Retention::NoExpiry) => ("no expiry".to_string(), theme.warn),
            Some(r) => (r.to_string(), theme.muted),
        };
        let label_room = width.saturating_sub(ret_text.chars().count() + 4);
        rows.push(spread(
            vec![
                Span::styled(format!(" {} ", glyph(s.kind())), theme.muted),
                Span::styled(fit(&s.label, label_room), theme.text),
            ],
            vec![Span::styled(ret_text, ret_style)],
            width,
        ));
    }
    let selected_row = row_of_node.get(cursor.selected).copied().unwrap_or(0);
    let row_cursor = crate::tui::state::Cursor {
        selected: selected_row,
        offset: 0,
    };
    super::list(frame, list_area, rows, &row_cursor, focused, theme);

    if details_h > 0 {
        if let Some(&i) = order.get(cursor.selected) {
            let block = Block::default()
                .borders(Borders::TOP)
                .border_style(theme.border)
                .title(Span::styled(
                    format!(" {} ", reg.storages[i].label),
                    theme.title,
                ));
            frame.render_widget(Paragraph::new(details).block(block), details_area);
        }
    }
}

/// What the details panel says about one node.
fn details_lines(state: &AppState, s: &Storage, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let reg = &state.register;
    const LABEL: usize = 14;
    let mut lines: Vec<Line<'static>> = Vec::new();
    // A field: its name, then its value wrapped under itself.
    let mut field = |name: &str, value: String, style| {
        for (i, part) in wrap(&value, width.saturating_sub(LABEL))
            .into_iter()
            .enumerate()
        {
            let label = if i == 0 { name } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), theme.muted),
                Span::styled(part, style),
            ]));
        }
    };
    field(
        "kind",
        format!(
            "{}{}",
            s.kind().as_str(),
            if s.is_inside() {
                ", hosted"
            } else {
                ", third party"
            }
        ),
        theme.text,
    );
    if s.kind().is_persistent() {
        match s.retention.as_ref().map(|r| *r.get_ref()) {
            Some(Retention::Unknown) => field("retention", "unknown".into(), theme.warn),
            Some(Retention::NoExpiry) => field("retention", "no expiry".into(), theme.warn),
            Some(r) => field("retention", r.to_string(), theme.text),
            None => {}
        }
        for v in &s.variants {
            let r = *v.retention.get_ref();
            let style = if matches!(r, Retention::Limited(_)) {
                theme.text
            } else {
                theme.warn
            };
            field(&format!("  {}", v.name), r.to_string(), style);
        }
        let just = s.justification.as_deref().unwrap_or("missing");
        let style = if matches!(just, "missing" | "unknown") {
            theme.warn
        } else {
            theme.text
        };
        field("justification", just.to_string(), style);
    }
    if !s.categories.is_empty() {
        field("data", s.categories.join(", "), theme.text);
    }
    if let Some(src) = &s.copy_of {
        field("copy of", src.get_ref().clone(), theme.text);
    }
    // Flows, one per line, by the other end's label: incoming first.
    let label = |id: &str| reg.storage(id).map_or(id.to_string(), |n| n.label.clone());
    let flows: Vec<String> = reg
        .flows
        .iter()
        .filter(|f| f.to() == s.id())
        .map(|f| {
            format!(
                "{} {}",
                if f.both_ways { "↔" } else { "←" },
                label(f.from())
            )
        })
        .chain(
            reg.flows
                .iter()
                .filter(|f| f.from() == s.id())
                .map(|f| format!("{} {}", if f.both_ways { "↔" } else { "→" }, label(f.to()))),
        )
        .collect();
    for (i, f) in flows.into_iter().enumerate() {
        field(if i == 0 { "flows" } else { "" }, f, theme.text);
    }
    if let Some(conn) = s.connection_name() {
        let live = state
            .redis
            .iter()
            .find(|c| c.name == conn)
            .and_then(|c| c.remote.data())
            .map(|(o, _)| {
                format!(
                    "{} keys, {} without TTL",
                    count(o.total_keys()),
                    count(o.total_without_ttl())
                )
            })
            .or_else(|| {
                state
                    .postgres
                    .iter()
                    .find(|c| c.name == conn)
                    .and_then(|c| c.remote.data())
                    .map(|(o, _)| format!("{} tables", o.tables.len()))
            })
            .unwrap_or_else(|| "not measured yet".into());
        field("live", format!("{conn}: {live}"), theme.text);
    }
    lines
}
