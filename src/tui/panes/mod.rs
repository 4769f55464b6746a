//! One module per pane; each draws from the state and nothing else.

pub mod map;
pub mod postgres;
pub mod redis;

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::state::Cursor;
use super::theme::Theme;

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
    let height = usize::from(area.height);
    let mut c = *cursor;
    c.clamp(rows.len(), height);
    let lines: Vec<Line> = rows
        .into_iter()
        .enumerate()
        .skip(c.offset)
        .take(height)
        .map(|(i, line)| {
            if i == c.selected && focused {
                line.style(theme.selected)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}
