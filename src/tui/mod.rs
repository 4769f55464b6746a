//! The terminal face of oubli: one state owner, one `select!` loop, a pure
//! render function. It calls the engines and knows nothing they don't say.

pub mod action;
pub mod app;
pub mod browser;
pub mod diagram;
pub mod input;
pub mod keymap;
pub mod panes;
pub mod render;
pub mod state;
pub mod svg;
pub mod tasks;
pub mod terminal;
pub mod theme;
pub mod tree;
pub mod widgets;

use std::time::Duration;

use crate::cli::{Ended, Shot};
use crate::register::Loaded;

/// Run the console on a loaded register: the theme is resolved first, so a
/// bad one is reported before the terminal is touched. Says why it ended.
pub async fn console(loaded: Loaded, theme: &str, write_mode: bool) -> anyhow::Result<Ended> {
    let theme = theme::Theme::from_env(Some(theme))?;
    app::run(loaded, app::RunOptions { theme, write_mode }).await
}

/// The console rendered once on live data (after waiting up to 10 s for
/// the stores to answer), as an SVG document.
pub async fn screenshot_svg(loaded: Loaded, theme: &str, shot: &Shot) -> anyhow::Result<String> {
    let theme = theme::Theme::from_env(Some(theme))?;
    let focus = match shot.focus.as_str() {
        "map" => action::PaneId::Map,
        "redis" => action::PaneId::Redis,
        "postgres" | "pg" => action::PaneId::Postgres,
        "findings" => action::PaneId::Findings,
        other => anyhow::bail!("--focus {other:?}: expected map, redis, postgres or findings"),
    };
    let buffer = app::snapshot(
        &loaded,
        &theme,
        shot.width,
        shot.height,
        |s| {
            s.focus = focus;
            s.zoom = shot.zoom;
            if let Some(id) = &shot.select {
                if let Some(i) = s.register.storages.iter().position(|n| n.id() == id) {
                    s.map_node = i;
                }
            }
            if shot.help {
                s.run(action::Action::ToggleHelp);
            }
        },
        Duration::from_secs(10),
    )
    .await?;
    let fg = theme.text.fg.unwrap_or(ratatui::style::Color::Reset);
    let bg = theme.base.bg.unwrap_or(ratatui::style::Color::Reset);
    Ok(svg::buffer_to_svg(&buffer, fg, bg))
}
