//! The one owner of the console's state. Input, ticks and background results
//! arrive as messages; each update changes the state and says whether the
//! screen must be drawn again and what the loop must do (effects). What a
//! key or an action does is [`super::input`]; the results of background
//! work and the clock are here.

use std::time::{Duration, Instant};

use chrono::{DateTime, Local};
use ratatui::layout::Rect;
use tui_textarea::TextArea;

use super::action::{Context, PaneId};
use super::browser::{Browser, BrowserEffect};
use super::diagram::{self, Diagram};
use super::keymap::{self, Binding, BINDINGS};
use crate::check::{self, Finding};
use crate::postgres::PgOverview;
use crate::redis::RedisOverview;
use crate::register::lint::{self, Measured};
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
    /// The census kept on disk for the server browsed (it is the last one
    /// unless this session already has one).
    LastCensus {
        previous: Box<crate::redis::census::cache::Previous>,
    },
    Keys {
        gen: u64,
        result: Result<crate::redis::values::KeyPage, String>,
    },
    /// A search of a key list's values ended.
    ValueSearch {
        gen: u64,
        result: Result<crate::redis::search::ValueSearch, String>,
    },
    /// A change to Redis finished, was stopped (the report says what it
    /// changed until then) or failed. `gen` is the change's.
    Remediated {
        gen: u64,
        result: Result<crate::redis::actions::Report, String>,
    },
    /// The Postgres classification and person graph of a connection.
    Survey {
        conn: String,
        gen: u64,
        result: Result<std::sync::Arc<crate::postgres::coverage::Survey>, String>,
        /// The connection's Postgres findings (`oubli check --live`'s).
        findings: Result<Vec<Finding>, String>,
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
    /// The diagram even when it does not fit: it pans to the selection.
    Diagram,
}

impl MapView {
    pub(super) fn next(self) -> MapView {
        match self {
            MapView::Auto => MapView::List,
            MapView::List => MapView::Diagram,
            MapView::Diagram => MapView::Auto,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            MapView::Auto => "auto",
            MapView::List => "list",
            MapView::Diagram => "diagram",
        }
    }
}

/// Which findings the Findings view shows, by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeverityFilter {
    #[default]
    All,
    HighOnly,
    MediumUp,
}

impl SeverityFilter {
    pub(super) fn next(self) -> SeverityFilter {
        match self {
            SeverityFilter::All => SeverityFilter::HighOnly,
            SeverityFilter::HighOnly => SeverityFilter::MediumUp,
            SeverityFilter::MediumUp => SeverityFilter::All,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            SeverityFilter::All => "every severity",
            SeverityFilter::HighOnly => "high",
            SeverityFilter::MediumUp => "high and medium",
        }
    }
    pub fn keeps(self, s: check::Severity) -> bool {
        match self {
            SeverityFilter::All => true,
            SeverityFilter::HighOnly => s == check::Severity::High,
            SeverityFilter::MediumUp => s != check::Severity::Low,
        }
    }
}

/// The Findings view: its selection and what it keeps.
#[derive(Debug, Clone, Default)]
pub struct FindingsView {
    pub cursor: Cursor,
    /// Words, all of which a finding must match: its kind, severity,
    /// storage (id or label), namespace, table or message.
    pub filter: String,
    pub severity: SeverityFilter,
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
    /// The view shown beside the focused one on a wide terminal: the one
    /// focused before.
    pub companion: PaneId,
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
    pub findings_view: FindingsView,
    pub last_search: String,
    pub browser: Browser,
    pub pg_cursor: Cursor,
    /// The map moves by node (`map_node`); this only keeps the cursor API whole.
    pub map_cursor: Cursor,
    /// Classification of the first Postgres connection: None until it runs.
    pub pg_survey: Option<Result<std::sync::Arc<crate::postgres::coverage::Survey>, String>>,
    /// The Postgres findings of each connection surveyed, or why not.
    pub pg_findings: std::collections::BTreeMap<String, Result<Vec<Finding>, String>>,
    /// For each Redis connection, the databases of its server the register reads.
    pub covered_dbs: std::collections::BTreeMap<String, Vec<u32>>,
    /// A classification of the connections' generation is under way (a
    /// refresh runs it again; the previous one is shown meanwhile).
    pub pg_surveying: bool,
    pub flash: Option<(String, Level, Instant)>,
    /// The clock as the loop last read it: the render draws countdowns and
    /// spinners from this, never from a clock of its own.
    pub now: Instant,
    pub size: Rect,
    /// The browsed Redis failed since it last answered: when it answers
    /// again, a census runs again (with `census_on_start`).
    pub browsed_lost: bool,
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
            companion: PaneId::Findings,
            zoom: false,
            overlay: Overlay::None,
            redis: conns(loaded, ConnectionKind::Redis, now),
            postgres: conns(loaded, ConnectionKind::Postgres, now),
            map_node: 0,
            map_view: MapView::Auto,
            diagram: diagram::layout(&loaded.register),
            findings: lint::lint(&loaded.register),
            findings_view: FindingsView::default(),
            last_search: String::new(),
            browser: {
                let first = loaded.connections_of(ConnectionKind::Redis).next();
                let mut b = Browser::new(first.map(|c| c.name.clone()));
                b.set_delimiters(
                    loaded
                        .register
                        .redis
                        .delimiters
                        .iter()
                        .flat_map(|d| d.bytes())
                        .collect(),
                );
                b
            },
            pg_cursor: Cursor::default(),
            map_cursor: Cursor::default(),
            pg_survey: None,
            pg_findings: Default::default(),
            covered_dbs: check::covered_dbs(loaded),
            pg_surveying: false,
            flash: None,
            now,
            size: Rect::new(0, 0, 80, 24),
            browsed_lost: false,
        }
    }

    /// Contexts for key lookup, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        match self.overlay {
            Overlay::Help { .. } => vec![Context::Help],
            Overlay::Palette(_) => vec![Context::Palette],
            Overlay::Search(_) => vec![Context::Search],
            Overlay::Confirm(_) => vec![Context::Confirm],
            Overlay::None => self.pane_contexts(),
        }
    }

    /// The contexts under the overlays: a change that can still be
    /// stopped, the focused pane, then everywhere.
    fn pane_contexts(&self) -> Vec<Context> {
        let stoppable = self.browser.changing.as_ref().is_some_and(|c| !c.stopping);
        let running = stoppable.then_some(Context::Running);
        running
            .into_iter()
            .chain([Context::Pane(self.focus), Context::Global])
            .collect()
    }

    /// Bindings the palette offers: every command of every view and the
    /// global ones (not the plain cursor moves, not the overlays' keys),
    /// the focused view's first, filtered by the query (which also matches
    /// the view's name: `redis` lists the Redis commands).
    pub fn palette_entries(&self, query: &str) -> Vec<&'static Binding> {
        let q = query.trim().to_lowercase();
        let mut order: Vec<Context> = self.pane_contexts();
        order.extend(PaneId::ALL.iter().map(|p| Context::Pane(*p)));
        let mut out: Vec<&'static Binding> = Vec::new();
        for ctx in order {
            for b in BINDINGS.iter().filter(|b| b.context == ctx) {
                if b.action.is_move() || out.iter().any(|o| std::ptr::eq(*o, b)) {
                    continue;
                }
                let hay =
                    format!("{} {}", keymap::context_label(ctx), b.description).to_lowercase();
                if q.split_whitespace().all(|w| hay.contains(w)) {
                    out.push(b);
                }
            }
        }
        out
    }

    /// The row of table `name` (`name` in `public`, `schema.name`
    /// elsewhere, as findings name tables) in the Postgres view's list.
    pub fn pg_table_row(&self, name: &str) -> Option<usize> {
        self.pg_tables()
            .position(|t| crate::postgres::catalog::qualify(&t.schema, &t.name) == name)
    }

    /// The tables the Postgres view lists, in its order (every connection's).
    pub fn pg_tables(&self) -> impl Iterator<Item = &crate::postgres::TableStat> + '_ {
        self.postgres.iter().flat_map(|c| {
            c.remote
                .data()
                .map(|(d, _)| d.tables.as_slice())
                .unwrap_or_default()
        })
    }

    /// Rows of list available to the focused pane, for paging.
    pub(super) fn page(&self) -> usize {
        usize::from(self.size.height.saturating_sub(10)).max(1)
    }

    /// Number of selectable lines per pane.
    pub fn pane_len(&self, pane: PaneId) -> usize {
        match pane {
            PaneId::Map => self.register.storages.len(),
            PaneId::Findings => self.visible_findings().len(),
            PaneId::Redis => self.browser.len(),
            PaneId::Postgres => self
                .postgres
                .iter()
                .map(|c| c.remote.data().map_or(0, |(d, _)| d.tables.len()))
                .sum(),
        }
    }

    pub(super) fn cursor_mut(&mut self, pane: PaneId) -> &mut Cursor {
        match pane {
            PaneId::Map => &mut self.map_cursor,
            PaneId::Findings => &mut self.findings_view.cursor,
            PaneId::Redis => self.browser.cursor_mut(),
            PaneId::Postgres => &mut self.pg_cursor,
        }
    }

    pub fn flash(&mut self, text: impl Into<String>, level: Level) {
        self.flash = Some((text.into(), level, self.now));
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

    /// The focused view's path (view › connection › what is open) and the
    /// filter in force there, in words, for the breadcrumb line.
    pub fn breadcrumb(&self, pane: PaneId) -> (Vec<String>, Option<String>) {
        use super::browser::RedisView;
        let quoted = |what: &str, text: &str| {
            (!text.is_empty()).then(|| format!("{what} \"{}\"", crate::show::printable(text)))
        };
        let mut path = vec![format!("{} {}", pane.index() + 1, pane.title())];
        let filter = match pane {
            PaneId::Map => {
                // `auto` is no view a person chose: it goes unsaid.
                if self.map_view != MapView::Auto {
                    path.push(self.map_view.name().to_string());
                }
                if let Some(s) = self.register.storages.get(self.map_node) {
                    path.push(crate::show::printable(&s.label).into_owned());
                }
                None
            }
            PaneId::Redis => {
                if let Some(c) = self.browser.conn.as_ref() {
                    path.push(c.clone());
                }
                match &self.browser.view {
                    RedisView::Namespaces => {
                        path.push(if self.browser.detail {
                            self.browser
                                .selected_namespace()
                                .map_or_else(|| "namespaces".into(), |n| n.pattern.clone())
                        } else {
                            "namespaces".into()
                        });
                        quoted("filter", &self.browser.filter)
                    }
                    RedisView::Keys(k) => {
                        path.push(k.pattern.clone());
                        path.push("keys".into());
                        quoted("search", &k.filter)
                    }
                    RedisView::Value(v) => {
                        path.push(v.0.pattern.clone());
                        path.push(v.1.key_masked.clone());
                        None
                    }
                }
            }
            PaneId::Postgres => {
                if let Some(c) = self.postgres.first() {
                    path.push(c.name.clone());
                    if let Some((o, _)) = c.remote.data() {
                        path.push(crate::show::printable(&o.database).into_owned());
                    }
                }
                let selected = self.pg_tables().nth(self.pg_cursor.selected);
                if let Some(t) = selected {
                    let name = crate::postgres::catalog::qualified(&t.schema, &t.name);
                    path.push(crate::show::printable(&name).into_owned());
                }
                None
            }
            PaneId::Findings => {
                let v = &self.findings_view;
                let shown = self.visible_findings().len();
                let all = self.findings.len();
                if shown == all {
                    path[0] = format!(
                        "{} · {}",
                        path[0],
                        crate::show::counted(all as u64, "finding", None)
                    );
                } else {
                    path.push(format!("{shown} of {all} shown"));
                }
                let mut parts: Vec<String> = Vec::new();
                if v.severity != SeverityFilter::All {
                    parts.push(format!("severity {}", v.severity.name()));
                }
                parts.extend(quoted("filter", &v.filter));
                (!parts.is_empty()).then(|| parts.join(" · "))
            }
        };
        (path, filter)
    }

    /// The retention of the storage the Redis browser shows, in seconds,
    /// when the register gives it a limited one.
    pub fn browsed_retention_secs(&self) -> Option<u64> {
        self.browser
            .conn
            .as_deref()
            .and_then(|c| self.register.storage_of_connection(c))
            .and_then(|s| s.effective_retention())
            .and_then(|r| r.period().map(|p| p.seconds()))
    }

    /// The findings the Findings view keeps, as indices in `findings`.
    pub fn visible_findings(&self) -> Vec<usize> {
        let v = &self.findings_view;
        let words: Vec<String> = v.filter.split_whitespace().map(str::to_lowercase).collect();
        let mut kept = self
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| v.severity.keeps(f.severity))
            .filter(|(_, f)| {
                if words.is_empty() {
                    return true;
                }
                let label = f
                    .storage
                    .as_deref()
                    .and_then(|id| self.register.storage(id))
                    .map(|s| s.label.to_lowercase());
                let hay = [
                    Some(f.kind.to_string()),
                    Some(f.severity.as_str().to_string()),
                    f.storage.clone(),
                    label,
                    f.namespace.as_ref().map(|n| n.pattern.to_lowercase()),
                    f.table.clone(),
                    Some(f.message.to_lowercase()),
                ];
                words.iter().all(|w| {
                    hay.iter()
                        .flatten()
                        .any(|h| h.to_lowercase().contains(w.as_str()))
                })
            })
            .map(|(i, _)| i)
            .collect::<Vec<_>>();
        // The most severe first; within a severity, as the checks found them.
        kept.sort_by_key(|&i| self.findings[i].severity);
        kept
    }

    /// The finding selected in the Findings view.
    pub fn selected_finding(&self) -> Option<&Finding> {
        let visible = self.visible_findings();
        visible
            .get(self.findings_view.cursor.selected)
            .and_then(|&i| self.findings.get(i))
    }

    /// The register's findings plus what the live connections contradict:
    /// the same engine function as `oubli check --live`, fed with what the
    /// console's tasks measured.
    fn refresh_findings(&mut self) {
        let mut observed = check::Observed {
            covered: self.covered_dbs.clone(),
            ..Default::default()
        };
        for c in &self.redis {
            if let Some((o, _)) = c.remote.data() {
                let m = Measured {
                    keys: Some(o.total_keys()),
                    keys_without_ttl: Some(o.total_without_ttl()),
                };
                observed.info.insert(c.name.clone(), m);
            }
        }
        if let (super::browser::CensusState::Done { census, .. }, Some(conn)) =
            (&self.browser.census, self.browser.conn.as_deref())
        {
            observed.censuses.insert(conn.to_string(), census);
        }
        for (conn, f) in &self.pg_findings {
            match f {
                Ok(f) => {
                    observed.postgres.insert(conn.clone(), f.clone());
                }
                Err(e) => {
                    observed
                        .failed
                        .insert(conn.clone(), format!("Postgres: {e}"));
                }
            }
        }
        self.findings = check::assemble(&self.register, &observed);
    }

    /// A result from a background task.
    pub fn on_bg(&mut self, msg: BgMsg) -> bool {
        let now = self.now;
        match msg {
            BgMsg::Redis { conn, gen, probe } => {
                let (failed, ready) = (
                    matches!(probe, Probe::Failed { .. }),
                    matches!(probe, Probe::Ready(_)),
                );
                let changed = self
                    .redis
                    .iter_mut()
                    .find(|c| c.name == conn)
                    .is_some_and(|c| c.apply(gen, probe, now));
                if changed && self.browser.conn.as_deref() == Some(conn.as_str()) {
                    // Back after a failure: the census before may have
                    // stopped, or be of an earlier run of the server.
                    if ready
                        && std::mem::take(&mut self.browsed_lost)
                        && self.register.redis.census_on_start
                        && !matches!(
                            self.browser.census,
                            super::browser::CensusState::Running { .. }
                        )
                    {
                        self.browser.recount = true;
                    }
                    self.browsed_lost |= failed;
                }
                if changed {
                    self.refresh_findings();
                }
                changed
            }
            BgMsg::LastCensus { previous } => {
                let fresh = self.browser.last.is_none();
                if fresh {
                    self.browser.last = Some(*previous);
                }
                fresh
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
            BgMsg::ValueSearch { gen, result } => self.browser.on_value_search(gen, result),
            BgMsg::Remediated { gen, result } => {
                let Some(change) = self.browser.on_changed(gen) else {
                    return false; // stale: not the change under way
                };
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
                                match (r.complete, change.stopping) {
                                    (true, _) => "",
                                    (false, true) => " (stopped: the rest is unchanged)",
                                    (false, false) => " (interrupted)",
                                }
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
            BgMsg::Survey {
                conn,
                gen,
                result,
                findings,
            } => {
                // Only results of the connections' current generation.
                if !self.postgres.iter().any(|c| c.name == conn && c.gen == gen) {
                    return false;
                }
                self.pg_findings.insert(conn.clone(), findings);
                self.refresh_findings();
                if self.postgres.first().is_some_and(|c| c.name == conn) {
                    self.pg_survey = Some(result);
                    self.pg_surveying = false;
                }
                true
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

    /// New generation for every connection and the classification that
    /// runs with them (at start and after a refresh); returns it.
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
        self.pg_surveying = !self.postgres.is_empty();
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
