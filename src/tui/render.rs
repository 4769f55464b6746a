//! `render(&AppState, &Theme, &mut Frame)`: a pure function of the state.
//! Header, panes side by side, hint bar, and the help / palette overlays.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::action::{Context, PaneId};
use super::keymap::{self, BINDINGS};
use super::panes;
use super::state::{AppState, Level, Overlay, Remote};
use super::theme::Theme;
use super::widgets::{fit, spread};

/// Below this size the console asks for a larger terminal instead of
/// drawing a mess.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame) {
    draw(state, theme, frame);
    scrub(frame.buffer_mut());
}

/// The last guard against terminal injection: every string from a store is
/// made printable where it becomes a span (`show::printable`), and a cell
/// that still holds a control character (one a pane forgot) is shown as
/// `�` instead of being written to the terminal, where ESC, CR or BEL would
/// act (move the cursor, clear the screen, set the title).
fn scrub(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(|c| c.is_control()) {
            cell.set_symbol("\u{fffd}");
        }
    }
}

fn draw(state: &AppState, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.base), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = Paragraph::new(vec![
            Line::styled("oubli", theme.title_focused),
            Line::styled("terminal too small:", theme.warn),
            Line::styled(
                format!(
                    "{}x{}, needs {MIN_WIDTH}x{MIN_HEIGHT}",
                    area.width, area.height
                ),
                theme.warn,
            ),
        ])
        .wrap(Wrap { trim: true });
        frame.render_widget(msg, area);
        return;
    }
    let [header, tabs, body, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(state, theme, frame, header);
    render_tabs(state, theme, frame, tabs);
    let preferred = match state.focus {
        // The whole diagram and the pane's borders.
        PaneId::Map => Some(state.diagram.width + 2),
        // The namespace table with every column readable.
        PaneId::Redis => Some(110),
        // Tables, then a table's personal columns with their evidence.
        PaneId::Postgres => Some(90),
        PaneId::Findings => Some(100),
    };
    for (pane, rect) in pane_areas(body, state.focus, state.companion, state.zoom, preferred) {
        let focused = pane == state.focus;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(if focused {
                BorderType::Thick
            } else {
                BorderType::Plain
            })
            .border_style(if focused {
                theme.border_focused
            } else {
                theme.border
            })
            .title(breadcrumb(state, pane, focused, theme, rect.width));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        match pane {
            PaneId::Map => panes::map::render(state, theme, frame, inner, focused),
            PaneId::Redis => panes::redis::render(state, theme, frame, inner, focused),
            PaneId::Postgres => panes::postgres::render(state, theme, frame, inner, focused),
            PaneId::Findings => panes::findings::render(state, theme, frame, inner, focused),
        }
    }
    render_hints(state, theme, frame, hints);
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => render_help(state, theme, frame, body, *scroll),
        Overlay::Palette(_) => render_palette(state, theme, frame, body),
        Overlay::Search(input) => render_search(input, state.search_prompt().0, theme, frame, body),
        Overlay::Confirm(c) => render_confirm(&c.0, &c.1, theme, frame, body),
    }
}

/// From this width on, the focused view and its companion (the view
/// focused before) are shown side by side; below it, the focused view
/// alone, full width, as k9s and gitui do. Decided by width, not by a key.
pub const SIDE_BY_SIDE: u16 = 160;

/// The narrowest the companion view is drawn beside the focused one.
const COMPANION_MIN: u16 = 60;

/// Where each view goes: the focused one alone below [`SIDE_BY_SIDE`]
/// columns or when zoomed; otherwise the focused one with the width it
/// prefers (at least half) and its companion beside it, in tab order.
pub fn pane_areas(
    body: Rect,
    focus: PaneId,
    companion: PaneId,
    zoom: bool,
    preferred: Option<u16>,
) -> Vec<(PaneId, Rect)> {
    if zoom || body.width < SIDE_BY_SIDE {
        return vec![(focus, body)];
    }
    let companion = if companion == focus {
        PaneId::ALL[(focus.index() + 1) % PaneId::ALL.len()]
    } else {
        companion
    };
    let focused_w = preferred
        .unwrap_or(0)
        .max(body.width / 2)
        .min(body.width.saturating_sub(COMPANION_MIN));
    let [a, b] =
        Layout::horizontal([Constraint::Length(focused_w), Constraint::Min(1)]).areas::<2>(body);
    if focus.index() < companion.index() {
        vec![(focus, a), (companion, b)]
    } else {
        let [a, b] = Layout::horizontal([Constraint::Min(1), Constraint::Length(focused_w)])
            .areas::<2>(body);
        vec![(companion, a), (focus, b)]
    }
}

/// The views as tabs, the focused one highlighted, each with its digit;
/// the Findings tab carries its count.
fn render_tabs(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans: Vec<Span> = Vec::new();
    let long = PaneId::ALL
        .iter()
        .map(|p| tab_label(state, *p, true).width() + 2)
        .sum::<usize>()
        <= usize::from(area.width);
    for p in PaneId::ALL {
        let label = tab_label(state, p, long);
        let style = if p == state.focus {
            theme
                .title_focused
                .add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            theme.title
        };
        spans.push(Span::styled(format!(" {label} "), style));
        spans.push(Span::styled(" ", theme.base));
    }
    let line = Line::from(spans);
    frame.render_widget(Paragraph::new(line), area);
}

fn tab_label(state: &AppState, p: PaneId, long: bool) -> String {
    let title = if long {
        p.title()
    } else {
        match p {
            PaneId::Map => "Map",
            PaneId::Redis => "Redis",
            PaneId::Postgres => "PG",
            PaneId::Findings => "Findings",
        }
    };
    match p {
        PaneId::Findings => format!("{} {title} · {}", p.index() + 1, state.findings.len()),
        _ => format!("{} {title}", p.index() + 1),
    }
}

/// A view's title: where it is (view › connection › what is open) and,
/// standing out, the filter in force, so a filter never hides rows
/// without saying so (k9s shows its filter the same way).
fn breadcrumb(
    state: &AppState,
    pane: PaneId,
    focused: bool,
    theme: &Theme,
    width: u16,
) -> Line<'static> {
    let (path, filter) = state.breadcrumb(pane);
    let room = usize::from(width).saturating_sub(4);
    let text = format!(" {} ", path.join(" › "));
    let filter = filter.map(|f| format!(" {f} "));
    let filter_w = filter.as_deref().map_or(0, UnicodeWidthStr::width);
    // The filter is what must show; the path gives way first.
    let text = fit(&text, room.saturating_sub(filter_w).max(room / 2));
    let mut spans = vec![Span::styled(
        text,
        if focused {
            theme.title_focused
        } else {
            theme.title
        },
    )];
    if let Some(f) = filter {
        let left = room.saturating_sub(spans[0].content.width());
        spans.push(Span::styled(fit(&f, left), theme.warn));
    }
    Line::from(spans)
}

fn conn_dot<T>(remote: &Remote<T>, theme: &Theme) -> Span<'static> {
    match remote {
        Remote::Ready { .. } => Span::styled("●", theme.ok),
        Remote::Loading { .. } => Span::styled("○", theme.muted),
        Remote::Failed { .. } => Span::styled("✕", theme.error),
    }
}

fn render_header(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let banner = if state.write_mode {
        Span::styled(" WRITE MODE ", theme.banner_write)
    } else {
        Span::styled(" READ-ONLY ", theme.banner_read_only)
    };
    let mut right: Vec<Span> = Vec::new();
    for c in &state.redis {
        right.push(Span::styled(format!("redis:{} ", c.name), theme.header));
        right.push(conn_dot(&c.remote, theme));
        right.push(Span::styled("  ", theme.header));
    }
    for c in &state.postgres {
        right.push(Span::styled(format!("pg:{} ", c.name), theme.header));
        right.push(conn_dot(&c.remote, theme));
        right.push(Span::styled("  ", theme.header));
    }
    right.push(banner);
    let right_w: usize = right.iter().map(|s| s.content.width()).sum();
    let room = usize::from(area.width).saturating_sub(right_w + 1);
    let name = fit(&format!(" oubli · {}", state.register.register.name), room);
    let left = vec![Span::styled(name, theme.header)];
    // When even the connection list does not fit, keep the banner only.
    let line = if right_w + 8 > usize::from(area.width) {
        let banner_only = right.pop().into_iter().collect();
        spread(left, banner_only, usize::from(area.width))
    } else {
        spread(left, right, usize::from(area.width))
    };
    frame.render_widget(Paragraph::new(line).style(theme.header), area);
}

fn render_hints(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect) {
    if let Some((text, level, _)) = &state.flash {
        let style = match level {
            Level::Info => theme.ok,
            Level::Warn => theme.warn,
        };
        frame.render_widget(
            Paragraph::new(Span::styled(fit(text, area.width.into()), style)),
            area,
        );
        return;
    }
    let mut spans = Vec::new();
    let mut width = 0usize;
    // A change under way says so first (its Esc follows, from the keymap).
    if let Some(c) = &state.browser.changing {
        let text = format!(
            " {} {}… ",
            if c.stopping { "stopping" } else { "changing" },
            c.what.pattern()
        );
        let text = fit(&text, area.width.into());
        width += text.width();
        spans.push(Span::styled(text, theme.dangerous));
    }
    // Zoom only means something when views are side by side.
    let side_by_side = area.width >= SIDE_BY_SIDE;
    for b in keymap::active(BINDINGS, &state.contexts())
        .into_iter()
        .filter(|b| b.hint)
        .filter(|b| side_by_side || b.action != super::action::Action::ToggleZoom)
    {
        let key = b.keys.first().map(keymap::Key::label).unwrap_or_default();
        let w = key.width() + b.description.width() + 3;
        if width + w > usize::from(area.width) {
            break;
        }
        width += w;
        let disabled = b.dangerous && !state.write_mode;
        spans.push(Span::styled(
            format!(" {key}"),
            if disabled { theme.disabled } else { theme.key },
        ));
        spans.push(Span::styled(
            format!(" {} ", b.description),
            if disabled { theme.disabled } else { theme.hint },
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.hint), area);
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

fn render_help(state: &AppState, theme: &Theme, frame: &mut Frame, body: Rect, scroll: u16) {
    let mut lines: Vec<Line> = Vec::new();
    let sections: [(&str, Context); 4] = [
        ("This pane", Context::Pane(state.focus)),
        ("Everywhere", Context::Global),
        ("Command palette (:)", Context::Palette),
        ("While a change to Redis runs", Context::Running),
    ];
    for (title, ctx) in sections {
        // Only write mode makes changes, so only it can stop one.
        if ctx == Context::Running && !state.write_mode {
            continue;
        }
        let items: Vec<_> = BINDINGS.iter().filter(|b| b.context == ctx).collect();
        if items.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(title.to_string(), theme.title_focused));
        for b in items {
            let disabled = b.dangerous && !state.write_mode;
            let mut spans = vec![
                Span::styled(
                    format!("  {:<14} ", keymap::keys_label(b)),
                    if disabled { theme.disabled } else { theme.key },
                ),
                Span::styled(
                    b.description.to_string(),
                    if disabled { theme.disabled } else { theme.text },
                ),
            ];
            if b.dangerous {
                spans.push(Span::styled(
                    if disabled {
                        "  (writes; needs --write)"
                    } else {
                        "  (writes)"
                    },
                    theme.dangerous,
                ));
            }
            lines.push(Line::from(spans));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        if state.write_mode {
            "WRITE MODE: actions that change a store are enabled and asked to be confirmed."
        } else {
            "READ-ONLY: nothing is written to any store. Start with --write to enable writes."
        },
        if state.write_mode {
            theme.dangerous
        } else {
            theme.muted
        },
    ));
    let rect = centered(body, 72, (lines.len() as u16).saturating_add(3));
    frame.render_widget(Clear, rect);
    let block = popup(" Help — Esc to close ", false, theme);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rect,
    );
}

fn render_palette(state: &AppState, theme: &Theme, frame: &mut Frame, body: Rect) {
    let Overlay::Palette(p) = &state.overlay else {
        return;
    };
    let query = p.input.lines().join(" ");
    let entries = state.palette_entries(&query);
    let height = (entries.len() as u16).clamp(1, 10) + 4;
    let mut rect = centered(body, 72, height);
    rect.y = body.y + 1;
    frame.render_widget(Clear, rect);
    let block = popup(" : command ", false, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [input_area, _, list_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    let input = styled_input(&p.input, theme);
    frame.render_widget(&input, input_area);
    if entries.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no command matches", theme.muted)),
            list_area,
        );
        return;
    }
    let rows = usize::from(list_area.height);
    let offset = p.cursor.selected.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, b)| {
            let style = if i == p.cursor.selected {
                theme.selected
            } else {
                theme.text
            };
            let disabled = b.dangerous && !state.write_mode;
            spread(
                vec![Span::styled(
                    b.description.to_string(),
                    if disabled { theme.disabled } else { style },
                )],
                vec![
                    Span::styled(
                        format!("{}  ", keymap::context_label(b.context)),
                        theme.muted,
                    ),
                    Span::styled(keymap::keys_label(b), theme.key),
                ],
                usize::from(list_area.width),
            )
            .style(style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list_area);
}

fn render_search(
    input: &tui_textarea::TextArea<'static>,
    title: &str,
    theme: &Theme,
    frame: &mut Frame,
    body: Rect,
) {
    let mut rect = centered(body, 50, 3);
    rect.y = body.y + body.height.saturating_sub(3);
    frame.render_widget(Clear, rect);
    let block = popup(
        &format!(" / {title} — Enter or Esc when done "),
        false,
        theme,
    );
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let input = styled_input(input, theme);
    frame.render_widget(&input, inner);
}

fn render_confirm(
    r: &super::browser::Remediation,
    input: &tui_textarea::TextArea<'static>,
    theme: &Theme,
    frame: &mut Frame,
    body: Rect,
) {
    let width = 70u16.min(body.width);
    let text = super::widgets::wrap(
        &format!("WRITE: {}.", r.describe()),
        usize::from(width.saturating_sub(4)),
    );
    let height = text.len() as u16 + 6;
    let rect = centered(body, width, height);
    frame.render_widget(Clear, rect);
    let block = popup(" confirm a change — Esc cancels ", true, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines: Vec<Line> = text
        .into_iter()
        .map(|l| Line::styled(l, theme.dangerous))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "Type {} and press Enter:",
            crate::show::printable(r.expected())
        ),
        theme.text,
    ));
    let n = lines.len() as u16;
    frame.render_widget(Paragraph::new(lines), Rect { height: n, ..inner });
    let input = styled_input(input, theme);
    frame.render_widget(
        &input,
        Rect {
            y: inner.y + n,
            height: 1,
            ..inner
        },
    );
}

/// The frame of an overlay: rounded and focused, or double and in the
/// dangerous style for a change to a store.
fn popup(title: &str, dangerous: bool, theme: &Theme) -> Block<'static> {
    let (kind, style) = if dangerous {
        (BorderType::Double, theme.dangerous)
    } else {
        (BorderType::Rounded, theme.border_focused)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(style)
        .title(Span::styled(
            title.to_string(),
            if dangerous {
                theme.dangerous
            } else {
                theme.title_focused
            },
        ))
        .style(theme.popup)
}

/// A text input drawn with the theme's input styles.
fn styled_input(
    input: &tui_textarea::TextArea<'static>,
    theme: &Theme,
) -> tui_textarea::TextArea<'static> {
    let mut input = input.clone();
    input.set_style(theme.input);
    input.set_placeholder_style(theme.muted);
    input.set_cursor_style(theme.selected);
    input
}
