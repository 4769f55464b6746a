//! How long the map takes for a large register: layout (once per register)
//! and one rendered frame at 200x60, for 60 nodes and 150 flows.
//!
//!     cargo bench --bench map

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let text = oubli::demo::register::synthetic_register(60, 150, 7);
    let loaded = oubli::register::load_str(&text, Path::new("synthetic.toml"), &HashMap::new())
        .expect("the synthetic register loads");
    let reg = &loaded.register;
    let runs = 200;

    let mut layout = Vec::with_capacity(runs);
    let mut d = oubli::tui::diagram::layout(reg);
    for _ in 0..runs {
        let t = Instant::now();
        d = std::hint::black_box(oubli::tui::diagram::layout(reg));
        layout.push(t.elapsed());
    }
    layout.sort();

    let theme = oubli::tui::theme::Theme::builtin("dark").expect("builtin theme");
    let mut state = oubli::tui::state::AppState::new(&loaded, false, Instant::now());
    state.zoom = true;
    state.map_view = oubli::tui::state::MapView::Diagram;
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    let mut frame = Vec::with_capacity(runs);
    for i in 0..runs {
        state.map_node = i % reg.storages.len();
        let t = Instant::now();
        terminal
            .draw(|f| oubli::tui::render::render(&state, &theme, f))
            .expect("draw");
        frame.push(t.elapsed());
    }
    frame.sort();

    println!(
        "map: {} nodes, {} flows, diagram {}x{} cells",
        reg.storages.len(),
        reg.flows.len(),
        d.width,
        d.height
    );
    println!(
        "layout:        p50 {:>8.3} ms   p99 {:>8.3} ms",
        percentile(&layout, 0.5).as_secs_f64() * 1e3,
        percentile(&layout, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "frame 200x60:  p50 {:>8.3} ms   p99 {:>8.3} ms",
        percentile(&frame, 0.5).as_secs_f64() * 1e3,
        percentile(&frame, 0.99).as_secs_f64() * 1e3
    );
}
