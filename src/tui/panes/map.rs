//! The data-flow map pane: the register drawn as a diagram (storages as
//! cylinders, processes as boxes, people as rounded boxes, the hosted
//! perimeter as a dotted frame, flows as arrows), or as a layered list when
//! the diagram does not fit. The selected node's
//! flows are highlighted and its details shown below.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::check::Severity;
use crate::register::lint;
use crate::register::{Retention, Storage, StorageKind};
use crate::tui::diagram::{line_char, short_retention, Column, Diagram, Placed, NODE_H};
use crate::tui::state::{AppState, Cursor, MapView};
use crate::tui::theme::Theme;
use crate::tui::widgets::{count, fit, spread, wrap};

/// The glyph of a node in the list: cylinder-like for storages, box for
/// processes, round for people.
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
    let d = &state.diagram;
    let fits = d.width <= area.width && d.height <= area.height;
    match state.map_view {
        MapView::List => render_list(state, theme, frame, area, focused),
        MapView::Auto if !fits => render_list(state, theme, frame, area, focused),
        MapView::Auto | MapView::Diagram => {
            // The diagram on top, the details of the selection below when
            // there is room for them.
            let spare = area.height.saturating_sub(d.height);
            let details = details_lines(
                state,
                &reg.storages[state.map_node.min(reg.storages.len() - 1)],
                theme,
                usize::from(area.width),
            );
            let details_h = if spare >= 5 {
                spare.min(details.len() as u16 + 1)
            } else {
                0
            };
            // Details right under the diagram, not at the pane's foot.
            let map_h = if details_h > 0 { d.height } else { area.height };
            let map_area = Rect {
                height: map_h,
                ..area
            };
            let details_area = Rect {
                y: area.y + map_h,
                height: details_h,
                ..area
            };
            draw_diagram(state, theme, frame.buffer_mut(), map_area);
            if details_h > 0 {
                render_details(state, details, theme, frame, details_area);
            }
        }
    }
}

fn render_details(
    state: &AppState,
    lines: Vec<Line<'static>>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let Some(s) = state.register.storages.get(state.map_node) else {
        return;
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(format!(" {} ", s.label), theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The layered list: nodes grouped by column, with retention and a `!`
/// on nodes that have gaps; the selection's details below.
fn render_list(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect, focused: bool) {
    let reg = &state.register;
    let order = state.map_order();
    let selected = state.map_node.min(reg.storages.len() - 1);
    let details = details_lines(
        state,
        &reg.storages[selected],
        theme,
        usize::from(area.width),
    );
    // No details in a slim column: they would wrap into nonsense.
    let details_h = if area.height >= 16 && area.width >= 32 {
        (details.len() as u16 + 1).min(area.height / 2)
    } else {
        0
    };
    let [list_area, details_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(details_h)]).areas(area);
    let width = usize::from(list_area.width);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut selected_row = 0;
    let mut last_col = None;
    for &i in &order {
        let s = &reg.storages[i];
        let col = Column::of(s);
        if last_col != Some(col) {
            rows.push(Line::styled(col.title().to_string(), theme.title));
            last_col = Some(col);
        }
        if i == selected {
            selected_row = rows.len();
        }
        let gaps = lint::for_node(&state.findings, s.id()).count();
        let (ret_text, ret_style) =
            match s.effective_retention().filter(|_| s.kind().is_persistent()) {
                None => (String::new(), theme.muted),
                Some(Retention::Unknown) => ("retention ?".to_string(), theme.warn),
                Some(Retention::NoExpiry) => ("no expiry".to_string(), theme.warn),
                Some(r) => (r.to_string(), theme.muted),
            };
        let label_room = width.saturating_sub(ret_text.width() + 5);
        rows.push(spread(
            vec![
                Span::styled(format!(" {} ", glyph(s.kind())), theme.muted),
                Span::styled(fit(&s.label, label_room), theme.text),
                Span::styled(if gaps > 0 { " !" } else { "" }, theme.warn),
            ],
            vec![Span::styled(ret_text, ret_style)],
            width,
        ));
    }
    let cursor = Cursor {
        selected: selected_row,
        offset: 0,
    };
    super::list(frame, list_area, rows, &cursor, focused, theme);
    if details_h > 0 {
        render_details(state, details, theme, frame, details_area);
    }
}

/// Write `text` at diagram coordinates (x, y), shifted by the pan offset
/// and clipped to `area`.
struct Canvas<'a> {
    buf: &'a mut Buffer,
    area: Rect,
    ox: u16,
    oy: u16,
}

impl Canvas<'_> {
    fn put(&mut self, x: u16, y: u16, text: &str, style: Style) {
        if y < self.oy || y - self.oy >= self.area.height {
            return;
        }
        let row = self.area.y + (y - self.oy);
        let mut cx = x;
        for ch in text.chars() {
            let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0) as u16;
            if cx >= self.ox && cx - self.ox + w <= self.area.width {
                let col = self.area.x + (cx - self.ox);
                if let Some(cell) = self.buf.cell_mut((col, row)) {
                    cell.set_char(ch);
                    cell.set_style(style);
                }
            }
            cx += w.max(1);
        }
    }
}

/// The pan offset: none when the diagram fits, else centred on the selection.
fn pan(d: &Diagram, sel: Option<&Placed>, area: Rect) -> (u16, u16) {
    let axis = |size: u16, view: u16, centre: u16| -> u16 {
        if size <= view {
            0
        } else {
            centre.saturating_sub(view / 2).min(size - view)
        }
    };
    let (cx, cy) = sel.map_or((0, 0), |p| (p.x + p.w / 2, p.y + 1));
    (
        axis(d.width, area.width, cx),
        axis(d.height, area.height, cy),
    )
}

fn draw_diagram(state: &AppState, theme: &Theme, buf: &mut Buffer, area: Rect) {
    let d = &state.diagram;
    let reg = &state.register;
    let sel = d.placed(state.map_node);
    let (ox, oy) = pan(d, sel, area);
    let mut c = Canvas { buf, area, ox, oy };

    // The hosted perimeter, dotted, under everything.
    if let Some((x0, y0, x1, y1)) = d.frame {
        for x in x0..=x1 {
            c.put(x, y0, "┄", theme.muted);
            c.put(x, y1, "┄", theme.muted);
        }
        for y in y0..=y1 {
            c.put(x0, y, "┆", theme.muted);
            c.put(x1, y, "┆", theme.muted);
        }
        c.put(x0 + 2, y0, " hosted perimeter ", theme.muted);
    }
    for &(x, text) in &d.titles {
        c.put(x, 1, text, theme.title);
    }

    // Flows: all of them, then the selection's on top.
    let flow_touches = |fi: usize| {
        reg.flows.get(fi).is_some_and(|f| {
            let id = reg.storages.get(state.map_node).map(|s| s.id());
            Some(f.from()) == id || Some(f.to()) == id
        })
    };
    for y in 0..d.height {
        for x in 0..d.width {
            let m = d.mask_at(x, y);
            if m != 0 {
                c.put(x, y, &line_char(m).to_string(), theme.muted);
            }
        }
    }
    for r in d.routes.iter().filter(|r| flow_touches(r.flow)) {
        for &(x, y, _) in &r.cells {
            c.put(x, y, &line_char(d.mask_at(x, y)).to_string(), theme.key);
        }
    }
    for r in &d.routes {
        let style = if flow_touches(r.flow) {
            theme.key
        } else {
            theme.muted
        };
        for h in &r.heads {
            c.put(h.x, h.y, if h.east { "►" } else { "◄" }, style);
        }
    }

    // Nodes.
    for p in &d.nodes {
        let s = &reg.storages[p.node];
        let selected = p.node == state.map_node;
        let worst = lint::for_node(&state.findings, s.id())
            .map(|f| f.severity)
            .min();
        let border = match (selected, worst) {
            (true, _) => theme.border_focused,
            (_, Some(Severity::High)) => theme.warn,
            _ => theme.border,
        };
        draw_node(
            &mut c,
            p,
            s,
            border,
            if selected { theme.selected } else { theme.text },
            theme,
        );
        if worst.is_some() {
            c.put(p.right() - 1, p.y, "!", theme.warn);
        }
    }
}

fn draw_node(
    c: &mut Canvas<'_>,
    p: &Placed,
    s: &Storage,
    border: Style,
    label_style: Style,
    theme: &Theme,
) {
    let inner = usize::from(p.w.saturating_sub(2));
    let (tl, tr, bl, br, h_top, h_bot) = match s.kind() {
        StorageKind::Actor => ("╭", "╮", "╰", "╯", "─", "─"),
        StorageKind::Process => ("┌", "┐", "└", "┘", "─", "─"),
        // Storages: a lid top and bottom, like a cylinder.
        _ => ("╒", "╕", "╘", "╛", "═", "═"),
    };
    c.put(
        p.x,
        p.y,
        &format!("{tl}{}{tr}", h_top.repeat(inner)),
        border,
    );
    let label = fit(&s.label, inner.saturating_sub(2));
    let pad = inner.saturating_sub(label.width() + 2);
    c.put(p.x, p.y + 1, "│", border);
    c.put(
        p.x + 1,
        p.y + 1,
        &format!(" {label}{} ", " ".repeat(pad)),
        label_style,
    );
    c.put(p.right(), p.y + 1, "│", border);
    // The bottom border carries the retention; a gap in it stands out.
    let y = p.y + NODE_H - 1;
    match short_retention(s) {
        Some(r) if r.width() + 2 <= inner => {
            let r = format!(" {r} ");
            let left = (inner - r.width()) / 2;
            let right = inner - left - r.width();
            let gap = matches!(
                s.effective_retention(),
                Some(Retention::Unknown | Retention::NoExpiry)
            );
            c.put(p.x, y, &format!("{bl}{}", h_bot.repeat(left)), border);
            c.put(
                p.x + 1 + left as u16,
                y,
                &r,
                if gap { theme.warn } else { border },
            );
            c.put(
                p.x + 1 + (left + r.width()) as u16,
                y,
                &format!("{}{br}", h_bot.repeat(right)),
                border,
            );
        }
        _ => c.put(p.x, y, &format!("{bl}{}{br}", h_bot.repeat(inner)), border),
    }
}

/// What the details panel says about one node: kind, retention and its
/// variants, justification, data, flows, live measurements, gaps.
pub fn details_lines(
    state: &AppState,
    s: &Storage,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
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
        match s.kind() {
            // People are drawn outside the perimeter: they are not "hosted".
            StorageKind::Actor => "people (outside the perimeter)".to_string(),
            kind => format!(
                "{}{}",
                kind.as_str(),
                if s.is_inside() {
                    ", hosted"
                } else {
                    ", third party"
                }
            ),
        },
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
        let label = reg
            .storage(src.get_ref())
            .map_or(src.get_ref().clone(), |n| n.label.clone());
        field("copy of", label, theme.text);
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
            .map(|(o, at)| {
                format!(
                    "{} keys, {} without TTL (at {})",
                    count(o.total_keys()),
                    count(o.total_without_ttl()),
                    at.format("%H:%M:%S")
                )
            })
            .or_else(|| {
                state
                    .postgres
                    .iter()
                    .find(|c| c.name == conn)
                    .and_then(|c| c.remote.data())
                    .map(|(o, at)| {
                        format!("{} tables (at {})", o.tables.len(), at.format("%H:%M:%S"))
                    })
            })
            .unwrap_or_else(|| "not measured yet".into());
        field("live", format!("{conn}: {live}"), theme.text);
    }
    for f in lint::for_node(&state.findings, s.id()) {
        let style = if f.severity == Severity::Low {
            theme.muted
        } else {
            theme.warn
        };
        field("! gap", f.message.clone(), style);
    }
    lines
}
