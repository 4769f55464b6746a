//! What a key or an action does to the state: the open overlay reads it
//! first (help, palette, search, confirmation), then the focused pane (map,
//! Redis), then the bindings that hold everywhere. Each handler returns
//! whether to draw again and what the loop must do.

use crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::layout::Rect;
use tui_textarea::TextArea;

use super::action::{Action, PaneId};
use super::browser::{BrowserEffect, RedisView};
use super::keymap::{self, Resolved, BINDINGS};
use super::state::{AppState, Cursor, Effect, Level, Overlay, Palette};

/// Whether to draw again, and what the loop must do.
type Update = (bool, Vec<Effect>);

impl AppState {
    /// A terminal event. Returns (redraw?, effects).
    pub fn on_event(&mut self, ev: &Event) -> Update {
        match ev {
            Event::Key(key) => self.on_key(key),
            Event::Resize(w, h) => {
                self.size = Rect::new(0, 0, *w, *h);
                for pane in PaneId::ALL {
                    let (len, page) = (self.pane_len(pane), self.page());
                    self.cursor_mut(pane).clamp(len, page);
                }
                (true, vec![])
            }
            _ => (false, vec![]),
        }
    }

    fn on_key(&mut self, key: &KeyEvent) -> Update {
        if key.kind == KeyEventKind::Release {
            return (false, vec![]);
        }
        let resolved = keymap::resolve(BINDINGS, &self.contexts(), key, self.write_mode);
        match resolved {
            Resolved::Run(action) => self.run(action),
            Resolved::Refused(b) => {
                self.flash(
                    format!("read-only: restart with --write to {}", b.description),
                    Level::Warn,
                );
                (true, vec![])
            }
            Resolved::None => self.type_into_overlay(key),
        }
    }

    /// A key no binding takes: text for the overlay's input, if one is open.
    /// Ctrl-U clears the input, as in a shell.
    fn type_into_overlay(&mut self, key: &KeyEvent) -> Update {
        let clear = keymap::Key::ctrl('u').matches(key);
        let edit = |input: &mut TextArea<'static>| {
            if clear {
                input.select_all();
                input.cut();
                true
            } else {
                input.input(*key)
            }
        };
        match &mut self.overlay {
            Overlay::Confirm(c) => (edit(&mut c.1), vec![]),
            Overlay::Search(input) => {
                let changed = edit(input);
                let query = input.lines().join(" ");
                if !changed {
                    return (false, vec![]);
                }
                (true, self.apply_search(&query))
            }
            Overlay::Palette(p) => {
                let changed = edit(&mut p.input);
                if changed {
                    p.cursor = Cursor::default();
                }
                (changed, vec![])
            }
            Overlay::Help { .. } | Overlay::None => (false, vec![]),
        }
    }

    /// What the search overlay's text does in the focused view.
    fn apply_search(&mut self, query: &str) -> Vec<Effect> {
        match self.focus {
            PaneId::Redis => match &self.browser.view {
                RedisView::Namespaces => self.browser.set_filter(query),
                RedisView::Keys(_) => {
                    let fx = self.browser.set_key_filter(query);
                    return fx.into_iter().map(Effect::Browser).collect();
                }
                RedisView::Value(_) => {}
            },
            PaneId::Findings => {
                self.findings_view.filter = query.to_string();
                self.findings_view.cursor = Cursor::default();
            }
            PaneId::Map | PaneId::Postgres => {
                self.find_node(query, false);
                self.last_search = query.to_string();
            }
        }
        vec![]
    }

    /// Do one action: the open overlay reads it first, then the focused
    /// pane, then the bindings that hold everywhere.
    pub fn run(&mut self, action: Action) -> Update {
        if action == Action::Quit {
            return (false, vec![Effect::Quit]);
        }
        let overlay = match self.overlay {
            Overlay::None => None,
            Overlay::Help { .. } => self.on_help(action),
            Overlay::Palette(_) => self.on_palette(action),
            Overlay::Search(_) => self.on_search(action),
            Overlay::Confirm(_) => self.on_confirm(action),
        };
        if let Some(done) = overlay {
            return done;
        }
        let pane = match self.focus {
            PaneId::Map => self.on_map(action),
            PaneId::Redis => self.on_redis(action),
            PaneId::Postgres => None,
            PaneId::Findings => self.on_findings(action),
        };
        pane.unwrap_or_else(|| self.on_global(action))
    }

    fn on_help(&mut self, action: Action) -> Option<Update> {
        let Overlay::Help { scroll } = &mut self.overlay else {
            return None;
        };
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll = scroll.saturating_add(1),
            Action::Close | Action::ToggleHelp => self.overlay = Overlay::None,
            _ => return None,
        }
        Some((true, vec![]))
    }

    fn on_palette(&mut self, action: Action) -> Option<Update> {
        let Overlay::Palette(p) = &self.overlay else {
            return None;
        };
        let (query, selected) = (p.input.lines().join(" "), p.cursor.selected);
        match action {
            Action::Close => self.overlay = Overlay::None,
            Action::Up | Action::Down => {
                let len = self.palette_entries(&query).len();
                if let Overlay::Palette(p) = &mut self.overlay {
                    p.cursor
                        .step(if action == Action::Up { -1 } else { 1 }, len, 8);
                }
            }
            Action::Confirm => {
                let chosen = self
                    .palette_entries(&query)
                    .get(selected)
                    .map(|b| (b.context, b.action));
                self.overlay = Overlay::None;
                if let Some((context, a)) = chosen {
                    // A command of a view runs in that view.
                    if let super::action::Context::Pane(p) = context {
                        self.focus_on(p);
                    }
                    return Some(self.run(a));
                }
            }
            _ => return None,
        }
        Some((true, vec![]))
    }

    fn on_search(&mut self, action: Action) -> Option<Update> {
        if action != Action::Close {
            return None;
        }
        self.overlay = Overlay::None;
        // A search of values (`=text`) reads only when asked, not per key typed.
        let fx = if self.focus == PaneId::Redis {
            self.browser.start_value_search()
        } else {
            vec![]
        };
        Some((true, fx.into_iter().map(Effect::Browser).collect()))
    }

    fn on_confirm(&mut self, action: Action) -> Option<Update> {
        let Overlay::Confirm(c) = &self.overlay else {
            return None;
        };
        match action {
            Action::Close => {
                self.overlay = Overlay::None;
                self.flash("cancelled: nothing was changed", Level::Info);
            }
            Action::Confirm => {
                let typed = c.1.lines().join("");
                let expected = c.0.expected().to_string();
                if typed.trim() != expected {
                    self.flash(format!("type {expected:?} exactly to confirm"), Level::Warn);
                    return Some((true, vec![]));
                }
                let r = c.0.clone();
                self.overlay = Overlay::None;
                self.flash(format!("working: {}…", r.describe()), Level::Info);
                self.browser.start_change(r.clone());
                return Some((true, vec![Effect::Browser(BrowserEffect::Remediate(r))]));
            }
            _ => return None,
        }
        Some((true, vec![]))
    }

    /// The search overlay of the focused view, holding the text of the
    /// filter in force (so reopening it edits it rather than hiding it).
    fn open_search(&mut self) {
        let current = match self.focus {
            PaneId::Redis => match &self.browser.view {
                RedisView::Namespaces => self.browser.filter.clone(),
                RedisView::Keys(k) => k.filter.clone(),
                RedisView::Value(_) => {
                    self.flash(
                        "Esc back to the key list to search it, twice to filter namespaces",
                        Level::Info,
                    );
                    return;
                }
            },
            PaneId::Findings => self.findings_view.filter.clone(),
            PaneId::Map | PaneId::Postgres => self.last_search.clone(),
        };
        let mut input = TextArea::new(vec![current]);
        input.move_cursor(tui_textarea::CursorMove::End);
        input.set_placeholder_text(self.search_prompt().1);
        input.set_cursor_line_style(ratatui::style::Style::default());
        self.overlay = Overlay::Search(Box::new(input));
    }

    /// The search overlay's title and placeholder, in the focused view's words.
    pub fn search_prompt(&self) -> (&'static str, &'static str) {
        match self.focus {
            PaneId::Redis => match &self.browser.view {
                RedisView::Keys(_) => (
                    "search the keys",
                    "part of a key name, or =text to search the values",
                ),
                _ => (
                    "filter namespaces",
                    "text, a kind (email, phone…), pii, nottl, type:hash, re:…",
                ),
            },
            PaneId::Findings => (
                "filter findings",
                "words: a kind, a severity, a storage, a namespace, a table",
            ),
            PaneId::Map | PaneId::Postgres => ("find a node", "node name or id"),
        }
    }

    /// Focus a view; the one left becomes the companion shown beside it
    /// on a wide terminal.
    pub(super) fn focus_on(&mut self, pane: PaneId) {
        if pane != self.focus {
            self.companion = self.focus;
            self.focus = pane;
        }
    }

    /// The Findings view: severity, filter, and Enter to go where a
    /// finding is (the node, the namespace, the table).
    fn on_findings(&mut self, action: Action) -> Option<Update> {
        match action {
            Action::Search => self.open_search(),
            Action::CycleSeverity => {
                let v = &mut self.findings_view;
                v.severity = v.severity.next();
                v.cursor = Cursor::default();
                let name = v.severity.name();
                self.flash(format!("findings: {name}"), Level::Info);
            }
            Action::Back if !self.findings_view.filter.is_empty() => {
                self.findings_view.filter.clear();
                self.findings_view.cursor = Cursor::default();
            }
            Action::Open => return Some(self.go_to_finding()),
            _ => return None,
        }
        Some((true, vec![]))
    }

    /// Enter on a finding: its namespace in the Redis view, its table in
    /// the Postgres view, or its node on the map.
    fn go_to_finding(&mut self) -> Update {
        let Some(f) = self.selected_finding().cloned() else {
            return (false, vec![]);
        };
        if let Some(ns) = &f.namespace {
            self.focus_on(PaneId::Redis);
            while self.browser.back() {}
            if !self.browser.select_pattern(&ns.pattern) {
                self.browser.set_filter("");
                if !self.browser.select_pattern(&ns.pattern) {
                    self.flash(
                        format!("{} is not in the census shown", ns.pattern),
                        Level::Warn,
                    );
                }
            }
            return (true, vec![]);
        }
        if let Some(t) = &f.table {
            if let Some(row) = self.pg_table_row(t) {
                self.focus_on(PaneId::Postgres);
                self.pg_cursor.selected = row;
                let (len, page) = (self.pane_len(PaneId::Postgres), self.page());
                self.pg_cursor.clamp(len, page);
                return (true, vec![]);
            }
        }
        let node = f
            .storage
            .as_deref()
            .and_then(|id| self.register.storages.iter().position(|s| s.id() == id));
        match node {
            Some(n) => {
                self.map_node = n;
                self.focus_on(PaneId::Map);
            }
            None => self.flash("this finding is about the register as a whole", Level::Info),
        }
        (true, vec![])
    }

    fn on_map(&mut self, action: Action) -> Option<Update> {
        let page = self.page() as isize;
        match action {
            Action::CycleView => {
                self.map_view = self.map_view.next();
                self.flash(format!("map view: {}", self.map_view.name()), Level::Info);
            }
            Action::Search => self.open_search(),
            Action::SearchNext => {
                let q = self.last_search.clone();
                if !self.find_node(&q, true) {
                    self.flash(format!("no node matches {q:?}"), Level::Warn);
                }
            }
            Action::Left | Action::Right => {
                let dx = if action == Action::Left { -1 } else { 1 };
                if let Some(n) = self.diagram.neighbour(self.map_node, dx, 0) {
                    self.map_node = n;
                }
            }
            // The diagram and the list move through the nodes in map order.
            _ if action.is_move() => {
                let order = self.map_order();
                let pos = order.iter().position(|&n| n == self.map_node).unwrap_or(0) as isize;
                let target = match action {
                    Action::Up => pos - 1,
                    Action::Down => pos + 1,
                    Action::PageUp => pos - page,
                    Action::PageDown => pos + page,
                    Action::Top => 0,
                    _ => order.len() as isize - 1,
                };
                let target = target.clamp(0, order.len().saturating_sub(1) as isize) as usize;
                if let Some(&n) = order.get(target) {
                    self.map_node = n;
                }
            }
            _ => return None,
        }
        Some((true, vec![]))
    }

    fn on_redis(&mut self, action: Action) -> Option<Update> {
        let fx = match action {
            Action::Search => {
                self.open_search();
                vec![]
            }
            Action::Open => self.browser.open(),
            Action::Detail => {
                self.browser.toggle_detail();
                vec![]
            }
            Action::Back => {
                // Leaving a key list whose values are being searched stops the reads.
                let searching = matches!(&self.browser.view, RedisView::Keys(k)
                    if k.value_search.as_ref().is_some_and(|v| v.running));
                if !self.browser.back() && !self.browser.filter.is_empty() {
                    self.browser.set_filter("");
                }
                if searching {
                    vec![BrowserEffect::CancelValueSearch]
                } else {
                    vec![]
                }
            }
            Action::RunCensus => vec![BrowserEffect::StartCensus],
            Action::CycleSort => {
                let sort = self.browser.cycle_sort();
                self.flash(format!("namespaces by {}", sort.name()), Level::Info);
                vec![]
            }
            Action::SetTtl | Action::Unlink => {
                self.ask_to_change(action == Action::Unlink);
                vec![]
            }
            Action::Reveal => self.browser.reveal(),
            Action::Left | Action::Right if matches!(self.browser.view, RedisView::Namespaces) => {
                self.browser.fold(Some(action == Action::Right));
                vec![]
            }
            _ if action.is_move() => {
                self.step_cursor(action);
                self.browser.after_move()
            }
            _ => return None,
        };
        Some((true, fx.into_iter().map(Effect::Browser).collect()))
    }

    /// T / D: the confirmation of the change the selection asks for.
    fn ask_to_change(&mut self, unlink: bool) {
        // Dangerous bindings never get here in read-only mode; this is the
        // second lock.
        if !self.write_mode {
            self.flash(
                "read-only: restart with --write to change Redis",
                Level::Warn,
            );
            return;
        }
        if self.browser.changing.is_some() {
            self.flash(
                "a change is under way: wait for it, or Esc to stop it",
                Level::Warn,
            );
            return;
        }
        let retention = self.browsed_retention_secs();
        match self.browser.remediation(unlink, retention) {
            Ok(r) => {
                let mut input = TextArea::default();
                input.set_placeholder_text(format!("type {}", r.expected()));
                input.set_cursor_line_style(ratatui::style::Style::default());
                self.overlay = Overlay::Confirm(Box::new((r, input)));
            }
            Err(e) => self.flash(e, Level::Warn),
        }
    }

    /// Move the focused pane's cursor.
    fn step_cursor(&mut self, action: Action) {
        let page = self.page() as isize;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => isize::MIN / 2,
            _ => isize::MAX / 2,
        };
        let pane = self.focus;
        let (len, page) = (self.pane_len(pane), self.page());
        self.cursor_mut(pane).step(delta, len, page);
    }

    /// What holds in every pane.
    fn on_global(&mut self, action: Action) -> Update {
        match action {
            Action::ToggleHelp => self.overlay = Overlay::Help { scroll: 0 },
            Action::OpenPalette => {
                let mut input = TextArea::default();
                input.set_placeholder_text("type to filter commands");
                input.set_cursor_line_style(ratatui::style::Style::default());
                self.overlay = Overlay::Palette(Box::new(Palette {
                    input,
                    cursor: Cursor::default(),
                }));
            }
            Action::FocusNext => {
                self.focus_on(PaneId::ALL[(self.focus.index() + 1) % PaneId::ALL.len()]);
            }
            Action::FocusPrev => {
                let n = PaneId::ALL.len();
                self.focus_on(PaneId::ALL[(self.focus.index() + n - 1) % n]);
            }
            Action::Focus(p) => self.focus_on(p),
            Action::ToggleZoom => self.zoom = !self.zoom,
            Action::Refresh => {
                self.flash("refreshing…", Level::Info);
                return (true, vec![Effect::Refresh]);
            }
            Action::StopChange => {
                let fx = self.browser.stop_change();
                if !fx.is_empty() {
                    self.flash(
                        "stopping the change after the batch under way…",
                        Level::Info,
                    );
                }
                return (true, fx.into_iter().map(Effect::Browser).collect());
            }
            _ if action.is_move() => self.step_cursor(action),
            // Nothing to do here: a key of another pane, or of an overlay
            // that is not open.
            _ => return (false, vec![]),
        }
        (true, vec![])
    }
}
