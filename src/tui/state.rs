//! The one owner of the console's state. Input, ticks and background results
//! arrive as messages; `update` changes the state and says whether the
//! screen must be drawn again and what the loop must do (effects).

use std::time::{Duration, Instant};

use chrono::{DateTime, Local};
use crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::layout::Rect;
use tui_textarea::TextArea;

use super::action::{Action, Context, PaneId};
use super::browser::{Browser, BrowserEffect};
use super::diagram::{self, Diagram};
use super::keymap::{self, Binding, Resolved, BINDINGS};
use crate::postgres::PgOverview;
use crate::redis::RedisOverview;
use crate::register::lint::{self, Finding, Measured};
use crate::register::{ConnectionKind, Loaded, Register};

/// A value that lives on a server: loading, there, or failed and retrying.
#[derive(Debug, Clone)]
pub enum Remote<T> {
    Loading {
        since: Instant,
    },
    Ready {
        data: T,
        at: DateTime<Local>,
    },
    Failed {
        error: String,
        retry_at: Instant,
        /// What was seen before the failure, shown dimmed.
        last: Option<(T, DateTime<Local>)>,
    },
}

impl<T> Remote<T> {
    pub fn data(&self) -> Option<(&T, &DateTime<Local>)> {
        match self {
            Remote::Ready { data, at } => Some((data, at)),
            Remote::Failed {
                last: Some((d, at)),
                ..
            } => Some((d, at)),
            _ => None,
        }
    }
}

/// What a background probe reports.
#[derive(Debug, Clone)]
pub enum Probe<T> {
    Connecting,
    Ready(T),
    Failed { error: String, retry_in: Duration },
}

/// Messages from background tasks. `gen` is the generation of the task that
/// sent it; results from an older generation are dropped.
#[derive(Debug, Clone)]
pub enum BgMsg {
    Redis {
        conn: String,
        gen: u64,
        probe: Probe<RedisOverview>,
    },
    Postgres {
        conn: String,
        gen: u64,
        probe: Probe<PgOverview>,
    },
    CensusProgress {
        gen: u64,
        progress: crate::redis::census::Progress,
    },
    CensusDone {
        gen: u64,
        result: Result<crate::redis::census::Census, String>,
    },
    Keys {
        gen: u64,
        result: Result<crate::redis::values::KeyPage, String>,
    },
    /// A change to Redis finished (or failed).
    Remediated {
        result: Result<crate::redis::actions::Report, String>,
    },
    /// The Postgres classification and person graph of a connection.
    Survey {
        conn: String,
        result: Result<std::sync::Arc<crate::postgres::coverage::Survey>, String>,
    },
    Value {
        gen: u64,
        result: Result<crate::redis::values::ValueView, String>,
    },
    ValueMore {
        gen: u64,
        result: Result<crate::redis::values::ValueView, String>,
    },
}

/// One live connection as the console sees it.
#[derive(Debug, Clone)]
pub struct Conn<T> {
    pub name: String,
    /// Redacted URL, safe to show.
    pub url: String,
    pub gen: u64,
    pub remote: Remote<T>,
}

impl<T> Conn<T> {
    fn apply(&mut self, gen: u64, probe: Probe<T>, now: Instant) -> bool {
        if gen != self.gen {
            return false; // stale: from a task that was replaced
        }
        let previous = std::mem::replace(&mut self.remote, Remote::Loading { since: now });
        let last = match previous {
            Remote::Ready { data, at } => Some((data, at)),
            Remote::Failed { last, .. } => last,
            Remote::Loading { .. } => None,
        };
        self.remote = match probe {
            Probe::Connecting => match last {
                // A reconnect keeps showing the old figures as "failed/last".
                Some(_) => Remote::Failed {
                    error: "reconnecting".into(),
                    retry_at: now,
                    last,
                },
                None => Remote::Loading { since: now },
            },
            Probe::Ready(data) => Remote::Ready {
                data,
                at: Local::now(),
            },
            Probe::Failed { error, retry_in } => Remote::Failed {
                error,
                retry_at: now + retry_in,
                last,
            },
        };
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
}

/// A list position that keeps the selection on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Move by `delta` within `len` items and scroll so the selection stays
    /// inside a window of `height` rows.
    pub fn step(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = Cursor::default();
            return;
        }
        let target = (self.selected as isize + delta).clamp(0, len as isize - 1);
        self.selected = target as usize;
        self.clamp(len, height);
    }

    pub fn clamp(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }
}

pub struct Palette {
    pub input: TextArea<'static>,
    pub cursor: Cursor,
}

pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    Palette(Box<Palette>),
    /// Finding a node on the map by name, selecting as one types.
    Search(Box<TextArea<'static>>),
    /// Typing the confirmation of a change to a store.
    Confirm(Box<(super::browser::Remediation, TextArea<'static>)>),
}

/// How the map pane shows the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapView {
    /// The diagram when it fits the pane, the list otherwise.
    Auto,
    List,
    /// Every finding of the register, one per line.
    Gaps,
    /// The diagram even when it does not fit: it pans to the selection.
    Diagram,
}

impl MapView {
    fn next(self) -> MapView {
        match self {
            MapView::Auto => MapView::List,
            MapView::List => MapView::Gaps,
            MapView::Gaps => MapView::Diagram,
            MapView::Diagram => MapView::Auto,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            MapView::Auto => "auto",
            MapView::List => "list",
            MapView::Gaps => "gaps",
            MapView::Diagram => "diagram",
        }
    }
}

/// What the loop must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Restart the probes of every connection (new generation).
    Refresh,
    Quit,
    Browser(BrowserEffect),
}

pub struct AppState {
    pub register: Register,
    pub register_path: String,
    pub write_mode: bool,
    pub focus: PaneId,
    pub zoom: bool,
    pub overlay: Overlay,
    pub redis: Vec<Conn<RedisOverview>>,
    pub postgres: Vec<Conn<PgOverview>>,
    /// The selected node (index in `register.storages`).
    pub map_node: usize,
    pub map_view: MapView,
    /// Laid out once from the register, never on the render path.
    pub diagram: Diagram,
    /// The register's gaps, and those the live connections show.
    pub findings: Vec<Finding>,
    pub gaps: Cursor,
    pub last_search: String,
    pub browser: Browser,
    pub pg_cursor: Cursor,
    /// Classification of the first Postgres connection: None until it runs.
    pub pg_survey: Option<Result<std::sync::Arc<crate::postgres::coverage::Survey>, String>>,
    pub flash: Option<(String, Level, Instant)>,
    pub now: Instant,
    pub size: Rect,
}

/// How long a flash message stays in the hint bar.
const FLASH_FOR: Duration = Duration::from_secs(4);

impl AppState {
    pub fn new(loaded: &Loaded, write_mode: bool, now: Instant) -> AppState {
        fn conns<T>(loaded: &Loaded, kind: ConnectionKind, now: Instant) -> Vec<Conn<T>> {
            loaded
                .connections_of(kind)
                .map(|c| Conn {
                    name: c.name.clone(),
                    url: c.url.redacted(),
                    gen: 0,
                    remote: Remote::Loading { since: now },
                })
                .collect()
        }
        AppState {
            register: loaded.register.clone(),
            register_path: loaded.path.display().to_string(),
            write_mode,
            focus: PaneId::Map,
            zoom: false,
            overlay: Overlay::None,
            redis: conns(loaded, ConnectionKind::Redis, now),
            postgres: conns(loaded, ConnectionKind::Postgres, now),
            map_node: 0,
            map_view: MapView::Auto,
            diagram: diagram::layout(&loaded.register),
            findings: lint::lint(&loaded.register),
            gaps: Cursor::default(),
            last_search: String::new(),
            browser: {
                let first = loaded.connections_of(ConnectionKind::Redis).next();
                let mut b = Browser::new(first.map(|c| c.name.clone()));
                b.delimiters = loaded
                    .register
                    .redis
                    .delimiters
                    .iter()
                    .flat_map(|d| d.bytes())
                    .collect();
                // The databases of the same server that other connections read.
                let server = first.and_then(crate::redis::server_and_db).map(|(s, _)| s);
                b.covered_dbs = loaded
                    .connections_of(ConnectionKind::Redis)
                    .filter_map(crate::redis::server_and_db)
                    .filter(|(s, _)| server.as_ref() == Some(s))
                    .map(|(_, db)| db)
                    .collect();
                b
            },
            pg_cursor: Cursor::default(),
            pg_survey: None,
            flash: None,
            now,
            size: Rect::new(0, 0, 80, 24),
        }
    }

    /// Contexts for key lookup, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        match self.overlay {
            Overlay::Help { .. } => vec![Context::Help],
            Overlay::Palette(_) => vec![Context::Palette],
            Overlay::Search(_) => vec![Context::Search],
            Overlay::Confirm(_) => vec![Context::Confirm],
            Overlay::None => vec![Context::Pane(self.focus), Context::Global],
        }
    }

    /// Bindings the palette offers: every action of the focused pane and the
    /// global ones (not the plain cursor moves), filtered by the query.
    pub fn palette_entries(&self, query: &str) -> Vec<&'static Binding> {
        let q = query.trim().to_lowercase();
        keymap::active(BINDINGS, &[Context::Pane(self.focus), Context::Global])
            .into_iter()
            .filter(|b| {
                !matches!(
                    b.action,
                    Action::Up
                        | Action::Down
                        | Action::PageUp
                        | Action::PageDown
                        | Action::Top
                        | Action::Bottom
                )
            })
            .filter(|b| q.is_empty() || b.description.to_lowercase().contains(&q))
            .collect()
    }

    /// Rows of list available to the focused pane, for paging.
    fn page(&self) -> usize {
        usize::from(self.size.height.saturating_sub(8)).max(1)
    }

    /// Number of selectable lines per pane.
    pub fn pane_len(&self, pane: PaneId) -> usize {
        match pane {
            PaneId::Map => match self.map_view {
                MapView::Gaps => self.findings.len(),
                _ => self.register.storages.len(),
            },
            PaneId::Redis => self.browser.len(),
            PaneId::Postgres => self
                .postgres
                .iter()
                .map(|c| c.remote.data().map_or(0, |(d, _)| d.tables.len()))
                .sum(),
        }
    }

    fn cursor_mut(&mut self, pane: PaneId) -> &mut Cursor {
        match pane {
            PaneId::Map => &mut self.gaps,
            PaneId::Redis => self.browser.cursor_mut(),
            PaneId::Postgres => &mut self.pg_cursor,
        }
    }

    pub fn flash(&mut self, text: impl Into<String>, level: Level) {
        self.flash = Some((text.into(), level, self.now));
    }

    /// A terminal event. Returns (redraw?, effects).
    pub fn on_event(&mut self, ev: &Event) -> (bool, Vec<Effect>) {
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

    fn on_key(&mut self, key: &KeyEvent) -> (bool, Vec<Effect>) {
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
            Resolved::None => {
                if let Overlay::Confirm(c) = &mut self.overlay {
                    return (c.1.input(*key), vec![]);
                }
                if let Overlay::Search(input) = &mut self.overlay {
                    let changed = input.input(*key);
                    let query = input.lines().join(" ");
                    if changed {
                        if self.focus == PaneId::Redis {
                            self.browser.set_filter(&query);
                        } else {
                            self.find_node(&query, false);
                            self.last_search = query;
                        }
                    }
                    return (changed, vec![]);
                }
                // Typing into the palette.
                if let Overlay::Palette(p) = &mut self.overlay {
                    let changed = p.input.input(*key);
                    if changed {
                        p.cursor = Cursor::default();
                    }
                    return (changed, vec![]);
                }
                (false, vec![])
            }
        }
    }

    /// Do one action.
    pub fn run(&mut self, action: Action) -> (bool, Vec<Effect>) {
        let page = self.page() as isize;
        match (&mut self.overlay, action) {
            (_, Action::Quit) => return (false, vec![Effect::Quit]),
            (Overlay::Help { .. }, Action::Close | Action::ToggleHelp) => {
                self.overlay = Overlay::None;
            }
            (Overlay::Help { scroll }, Action::Up) => *scroll = scroll.saturating_sub(1),
            (Overlay::Help { scroll }, Action::Down) => *scroll = scroll.saturating_add(1),
            (Overlay::Palette(_), Action::Close) => self.overlay = Overlay::None,
            (Overlay::Search(_), Action::Close) => self.overlay = Overlay::None,
            (Overlay::Confirm(_), Action::Close) => {
                self.overlay = Overlay::None;
                self.flash("cancelled: nothing was changed", Level::Info);
            }
            (Overlay::Confirm(c), Action::Confirm) => {
                let typed = c.1.lines().join("");
                let expected = c.0.expected().to_string();
                if typed.trim() != expected {
                    self.flash(format!("type {expected:?} exactly to confirm"), Level::Warn);
                    return (true, vec![]);
                }
                let r = c.0.clone();
                self.overlay = Overlay::None;
                self.flash(format!("working: {}…", r.describe()), Level::Info);
                return (true, vec![Effect::Browser(BrowserEffect::Remediate(r))]);
            }
            (Overlay::Palette(p), Action::Up | Action::Down) => {
                let query = p.input.lines().join(" ");
                let len = self.palette_entries(&query).len();
                if let Overlay::Palette(p) = &mut self.overlay {
                    p.cursor
                        .step(if action == Action::Up { -1 } else { 1 }, len, 8);
                }
            }
            (Overlay::Palette(p), Action::Confirm) => {
                let query = p.input.lines().join(" ");
                let selected = p.cursor.selected;
                let chosen = self.palette_entries(&query).get(selected).map(|b| b.action);
                self.overlay = Overlay::None;
                if let Some(a) = chosen {
                    return self.run(a);
                }
            }
            (_, Action::ToggleHelp) => self.overlay = Overlay::Help { scroll: 0 },
            (_, Action::OpenPalette) => {
                let mut input = TextArea::default();
                input.set_placeholder_text("type to filter commands");
                input.set_cursor_line_style(ratatui::style::Style::default());
                self.overlay = Overlay::Palette(Box::new(Palette {
                    input,
                    cursor: Cursor::default(),
                }));
            }
            (_, Action::FocusNext) => {
                self.focus = PaneId::ALL[(self.focus.index() + 1) % PaneId::ALL.len()];
            }
            (_, Action::FocusPrev) => {
                let n = PaneId::ALL.len();
                self.focus = PaneId::ALL[(self.focus.index() + n - 1) % n];
            }
            (_, Action::Focus(p)) => self.focus = p,
            (_, Action::ToggleZoom) => self.zoom = !self.zoom,
            (_, Action::CycleView) => {
                self.map_view = self.map_view.next();
                self.flash(format!("map view: {}", self.map_view.name()), Level::Info);
            }
            (_, Action::Search) => {
                let mut input = TextArea::default();
                input.set_placeholder_text(if self.focus == PaneId::Redis {
                    "part of a namespace pattern"
                } else {
                    "node name or id"
                });
                input.set_cursor_line_style(ratatui::style::Style::default());
                self.overlay = Overlay::Search(Box::new(input));
            }
            (_, Action::SearchNext) => {
                let q = self.last_search.clone();
                if !self.find_node(&q, true) {
                    self.flash(format!("no node matches {q:?}"), Level::Warn);
                }
            }
            (_, Action::Open) => {
                let fx = self.browser.open();
                return (true, fx.into_iter().map(Effect::Browser).collect());
            }
            (_, Action::Back) => {
                if !self.browser.back() && !self.browser.filter.is_empty() {
                    self.browser.set_filter("");
                }
            }
            (_, Action::RunCensus) => {
                return (true, vec![Effect::Browser(BrowserEffect::StartCensus)]);
            }
            (_, Action::CycleSort) => {
                self.browser.sort = self.browser.sort.next();
                self.browser.ns_cursor = Cursor::default();
                self.flash(
                    format!("namespaces by {}", self.browser.sort.name()),
                    Level::Info,
                );
            }
            (_, Action::SetTtl | Action::Unlink) => {
                // Dangerous bindings never get here in read-only mode; this
                // is the second lock.
                if !self.write_mode {
                    self.flash(
                        "read-only: restart with --write to change Redis",
                        Level::Warn,
                    );
                    return (true, vec![]);
                }
                let retention = self
                    .browser
                    .conn
                    .as_deref()
                    .and_then(|c| self.register.storage_of_connection(c))
                    .and_then(|s| s.effective_retention())
                    .and_then(|r| r.period().map(|p| p.seconds()));
                match self
                    .browser
                    .remediation(action == Action::Unlink, retention)
                {
                    Ok(r) => {
                        let mut input = TextArea::default();
                        input.set_placeholder_text(format!("type {}", r.expected()));
                        input.set_cursor_line_style(ratatui::style::Style::default());
                        self.overlay = Overlay::Confirm(Box::new((r, input)));
                    }
                    Err(e) => self.flash(e, Level::Warn),
                }
            }
            (_, Action::Reveal) => {
                let fx = self.browser.reveal();
                return (true, fx.into_iter().map(Effect::Browser).collect());
            }
            (_, Action::Left | Action::Right) if self.focus == PaneId::Map => {
                let dx = if action == Action::Left { -1 } else { 1 };
                if let Some(n) = self.diagram.neighbour(self.map_node, dx, 0) {
                    self.map_node = n;
                }
            }
            (
                _,
                Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom,
            ) if self.focus == PaneId::Map && self.map_view != MapView::Gaps => {
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
            (_, Action::Refresh) => {
                self.flash("refreshing…", Level::Info);
                return (true, vec![Effect::Refresh]);
            }
            (
                _,
                Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom,
            ) => {
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
                if pane == PaneId::Map {
                    self.select_finding_node();
                }
                if pane == PaneId::Redis {
                    let fx = self.browser.after_move();
                    return (true, fx.into_iter().map(Effect::Browser).collect());
                }
            }
            (_, Action::Left | Action::Right)
                if self.focus == PaneId::Redis
                    && matches!(self.browser.view, super::browser::RedisView::Namespaces) =>
            {
                self.browser.fold(Some(action == Action::Right));
            }
            (_, Action::Close | Action::Confirm | Action::Left | Action::Right) => {
                return (false, vec![])
            }
        }
        (true, vec![])
    }

    /// Map nodes in the order the list and up/down follow: by column, then
    /// as the diagram stacks them.
    pub fn map_order(&self) -> Vec<usize> {
        let mut placed: Vec<_> = self.diagram.nodes.iter().collect();
        placed.sort_by_key(|p| (p.col, p.slot));
        placed.into_iter().map(|p| p.node).collect()
    }

    /// Select the first node (after the current one when `next`) whose
    /// label or id contains `query`, case-insensitively.
    pub fn find_node(&mut self, query: &str, next: bool) -> bool {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return false;
        }
        let order = self.map_order();
        let start = order.iter().position(|&n| n == self.map_node).unwrap_or(0);
        let skip = usize::from(next);
        let found = (0..order.len())
            .map(|k| order[(start + skip + k) % order.len()])
            .find(|&n| {
                let s = &self.register.storages[n];
                s.label.to_lowercase().contains(&q) || s.id().contains(&q)
            });
        if let Some(n) = found {
            self.map_node = n;
        }
        found.is_some()
    }

    fn select_finding_node(&mut self) {
        if self.map_view != MapView::Gaps {
            return;
        }
        let node = self
            .findings
            .get(self.gaps.selected)
            .and_then(|f| f.storage.as_deref())
            .and_then(|id| self.register.storages.iter().position(|s| s.id() == id));
        if let Some(n) = node {
            self.map_node = n;
        }
    }

    /// The register's findings plus what the live connections contradict.
    fn refresh_findings(&mut self) {
        let measured = self
            .redis
            .iter()
            .filter_map(|c| {
                let (o, _) = c.remote.data()?;
                Some((
                    c.name.clone(),
                    Measured {
                        keys: Some(o.total_keys()),
                        keys_without_ttl: Some(o.total_without_ttl()),
                    },
                ))
            })
            .collect();
        let mut findings = lint::lint(&self.register);
        let census = match &self.browser.census {
            super::browser::CensusState::Done { census, .. } => Some(census),
            _ => None,
        };
        let storage = self
            .browser
            .conn
            .as_deref()
            .and_then(|c| self.register.storage_of_connection(c));
        match (census, storage) {
            // A finished census says more, per namespace, than INFO can.
            (Some(census), Some(storage)) => {
                findings.extend(crate::redis::findings::census_findings(
                    &self.register,
                    storage,
                    census,
                ));
                findings.extend(crate::redis::findings::uncovered_db_findings(
                    storage,
                    census,
                    &self.browser.covered_dbs,
                ));
            }
            _ => findings.extend(lint::lint_measured(&self.register, &measured)),
        }
        self.findings = findings;
    }

    /// A result from a background task.
    pub fn on_bg(&mut self, msg: BgMsg) -> bool {
        let now = self.now;
        match msg {
            BgMsg::Redis { conn, gen, probe } => {
                let changed = self
                    .redis
                    .iter_mut()
                    .find(|c| c.name == conn)
                    .is_some_and(|c| c.apply(gen, probe, now));
                if changed {
                    self.refresh_findings();
                }
                changed
            }
            BgMsg::CensusProgress { gen, progress } => self.browser.on_progress(gen, progress),
            BgMsg::CensusDone { gen, result } => {
                let changed = self.browser.on_census(gen, result);
                if changed {
                    self.refresh_findings();
                }
                changed
            }
            BgMsg::Keys { gen, result } => self.browser.on_keys(gen, result),
            BgMsg::Remediated { result } => {
                match result {
                    Ok(r) => {
                        self.flash(
                            format!(
                                "{} on {}: {} keys changed of {} in the namespace ({} of others left alone){}",
                                r.action,
                                r.pattern,
                                r.changed,
                                r.in_namespace(),
                                r.outside,
                                if r.complete { "" } else { " (interrupted)" }
                            ),
                            Level::Info,
                        );
                        // Count again, so the table shows what is true now.
                        self.browser.recount = true;
                        self.browser.back();
                    }
                    Err(e) => self.flash(format!("the change failed: {e}"), Level::Warn),
                }
                true
            }
            BgMsg::Survey { conn, result } => {
                if self.postgres.first().is_some_and(|c| c.name == conn) {
                    self.pg_survey = Some(result);
                    true
                } else {
                    false
                }
            }
            BgMsg::Value { gen, result } => self.browser.on_value(gen, result),
            BgMsg::ValueMore { gen, result } => self.browser.on_value_more(gen, result),
            BgMsg::Postgres { conn, gen, probe } => self
                .postgres
                .iter_mut()
                .find(|c| c.name == conn)
                .is_some_and(|c| c.apply(gen, probe, now)),
        }
    }

    /// New generation for every connection (after a refresh); returns it.
    pub fn bump_generation(&mut self) -> u64 {
        let gen = self
            .redis
            .iter()
            .map(|c| c.gen)
            .chain(self.postgres.iter().map(|c| c.gen))
            .max()
            .unwrap_or(0)
            + 1;
        for c in &mut self.redis {
            c.gen = gen;
        }
        for c in &mut self.postgres {
            c.gen = gen;
        }
        gen
    }

    /// The clock moved. Redraw only if something on screen depends on it
    /// (a countdown, a spinner, a flash message that expires).
    pub fn on_tick(&mut self, now: Instant) -> bool {
        self.now = now;
        let mut changed = false;
        if let Some((_, _, at)) = &self.flash {
            if now.duration_since(*at) >= FLASH_FOR {
                self.flash = None;
                changed = true;
            }
        }
        let pending = self
            .redis
            .iter()
            .any(|c| !matches!(c.remote, Remote::Ready { .. }))
            || self
                .postgres
                .iter()
                .any(|c| !matches!(c.remote, Remote::Ready { .. }));
        changed || pending
    }

    /// Everything has answered (data or error): used by screenshots.
    pub fn settled(&self) -> bool {
        self.redis
            .iter()
            .all(|c| !matches!(c.remote, Remote::Loading { .. }))
            && self
                .postgres
                .iter()
                .all(|c| !matches!(c.remote, Remote::Loading { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_keeps_selection_visible() {
        let mut c = Cursor::default();
        c.step(5, 10, 3);
        assert_eq!(
            c,
            Cursor {
                selected: 5,
                offset: 3
            }
        );
        c.step(-4, 10, 3);
        assert_eq!(
            c,
            Cursor {
                selected: 1,
                offset: 1
            }
        );
        c.step(100, 10, 3);
        assert_eq!(
            c,
            Cursor {
                selected: 9,
                offset: 7
            }
        );
        c.step(1, 0, 3);
        assert_eq!(c, Cursor::default());
    }

    #[test]
    fn stale_generations_are_dropped() {
        let now = Instant::now();
        let mut c: Conn<u32> = Conn {
            name: "x".into(),
            url: "redis://h".into(),
            gen: 2,
            remote: Remote::Loading { since: now },
        };
        assert!(!c.apply(1, Probe::Ready(7), now));
        assert!(matches!(c.remote, Remote::Loading { .. }));
        assert!(c.apply(2, Probe::Ready(7), now));
        assert!(matches!(c.remote, Remote::Ready { data: 7, .. }));
        assert!(c.apply(
            2,
            Probe::Failed {
                error: "down".into(),
                retry_in: Duration::from_secs(4)
            },
            now
        ));
        match &c.remote {
            Remote::Failed { last, retry_at, .. } => {
                assert_eq!(last.as_ref().map(|l| l.0), Some(7));
                assert_eq!(*retry_at, now + Duration::from_secs(4));
            }
            other => panic!("{other:?}"),
        }
    }
}
