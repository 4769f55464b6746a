//! The keyspace browser's state: the census (running, done, or the last one
//! kept on disk), the namespace tree (built here when what it shows
//! changes, never while drawing), a namespace's keys (paged by SCAN MATCH),
//! one key's value, masked until revealed, and the change to Redis under
//! way. Changes come from actions and from background results; the loop
//! runs the effects. The filter and the census diff are the engine's
//! ([`crate::redis::namespaces`]); the tree is [`super::tree`].

use std::collections::HashMap;

use chrono::{DateTime, Local};

use super::state::Cursor;
pub use super::tree::{NsRow, NsRowKind, NsSort, Totals, OPEN_UP_TO};
use crate::redis::census::{Census, Namespace, Progress};
use crate::redis::namespaces::{self, NsFilter};
use crate::redis::values::{KeyPage, KeyRow, ValueView};

#[derive(Debug, Clone)]
pub enum CensusState {
    Idle,
    Running { progress: Option<Progress> },
    Done { census: Census, at: DateTime<Local> },
    Failed { error: String },
}

#[derive(Debug, Clone)]
pub struct KeysView {
    pub pattern: String,
    pub glob: Vec<u8>,
    pub rows: Vec<KeyRow>,
    pub next_cursor: u64,
    pub loading: bool,
    pub error: Option<String>,
    pub cursor: Cursor,
    /// Text a key's name must contain (case-insensitive), as typed after `/`.
    pub filter: String,
    /// The rows the filter keeps (indices in `rows`); `None` without a filter.
    pub shown: Option<Vec<usize>>,
    /// A search of the values (`=text`): under way, or how it ended.
    pub value_search: Option<Box<ValueSearchState>>,
}

/// A search of a key list's values, as the key list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValueSearchState {
    pub running: bool,
    pub result: Option<crate::redis::search::ValueSearch>,
    pub error: Option<String>,
}

/// At most this many keys' values are read by one search of a namespace:
/// the register's `max_ops_per_sec` paces them.
pub const VALUE_SEARCH_MAX_KEYS: usize = 5_000;

/// Text a person typed to search for: kept in memory, never printed by
/// `Debug` (effects may be logged).
#[derive(Clone, PartialEq, Eq)]
pub struct Typed(pub String);

impl std::fmt::Debug for Typed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Typed(…)")
    }
}

/// A key search that reads values: `=` then the text.
pub fn value_query(filter: &str) -> Option<&str> {
    filter.trim_start().strip_prefix('=')
}

/// A filtered key list reads on, page after page, until it has this many
/// matches on screen or has read this many keys of the namespace.
const SEARCH_WANTS: usize = 200;
const SEARCH_READS_AT_MOST: usize = 1_000_000;

impl KeysView {
    pub fn new(pattern: String, glob: Vec<u8>) -> KeysView {
        KeysView {
            pattern,
            glob,
            rows: Vec::new(),
            next_cursor: 0,
            loading: true,
            error: None,
            cursor: Cursor::default(),
            filter: String::new(),
            shown: None,
            value_search: None,
        }
    }

    pub fn complete(&self) -> bool {
        !self.loading && self.next_cursor == 0
    }

    /// Rows the list shows (all, those the filter keeps, or those a
    /// search of values found).
    pub fn len(&self) -> usize {
        if let Some(found) = self.value_rows() {
            return found.len();
        }
        self.shown.as_ref().map_or(self.rows.len(), Vec::len)
    }

    /// The keys a search of values found (or none yet, while it runs).
    fn value_rows(&self) -> Option<&[KeyRow]> {
        self.value_search
            .as_ref()
            .map(|vs| vs.result.as_ref().map_or(&[][..], |r| r.rows.as_slice()))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th row shown.
    pub fn row(&self, i: usize) -> Option<&KeyRow> {
        if let Some(found) = self.value_rows() {
            return found.get(i);
        }
        match &self.shown {
            Some(idx) => idx.get(i).and_then(|&j| self.rows.get(j)),
            None => self.rows.get(i),
        }
    }

    fn refilter(&mut self) {
        // A search of values keeps what its reads found.
        if value_query(&self.filter).is_some() {
            return;
        }
        let f = self.filter.trim().to_lowercase();
        self.shown = (!f.is_empty()).then(|| {
            self.rows
                .iter()
                .enumerate()
                .filter(|(_, r)| String::from_utf8_lossy(&r.key).to_lowercase().contains(&f))
                .map(|(i, _)| i)
                .collect()
        });
    }

    /// The next page to read, when a search still wants matches.
    fn read_on(&mut self) -> Option<BrowserEffect> {
        let searching = self.shown.is_some();
        if self.loading
            || self.next_cursor == 0
            || !searching
            || self.len() >= SEARCH_WANTS
            || self.rows.len() >= SEARCH_READS_AT_MOST
        {
            return None;
        }
        self.loading = true;
        Some(BrowserEffect::LoadKeys {
            glob: self.glob.clone(),
            cursor: self.next_cursor,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ValueState {
    pub key: Vec<u8>,
    /// The key's name with personal data masked: what the screen shows.
    pub key_masked: String,
    pub view: Option<ValueView>,
    pub error: Option<String>,
    pub revealed: bool,
    pub scroll: Cursor,
    pub loading_more: bool,
    /// When the value on screen was read: its TTL counts from then, so
    /// the expiry shown does not move as the clock does.
    pub read_at: DateTime<Local>,
}

#[derive(Debug, Clone)]
pub enum RedisView {
    Namespaces,
    Keys(KeysView),
    Value(Box<(KeysView, ValueState)>),
}

/// What the browser asks the loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserEffect {
    StartCensus,
    LoadKeys {
        glob: Vec<u8>,
        cursor: u64,
    },
    LoadValue {
        key: Vec<u8>,
    },
    /// The next page of the value on screen.
    LoadValueMore {
        key: Vec<u8>,
        from: String,
    },
    /// Read the values of these keys (the key list's first ones) and keep
    /// those holding the text.
    SearchValues {
        glob: Vec<u8>,
        needle: Typed,
    },
    /// Stop a search of values under way (its result is dropped).
    CancelValueSearch,
    /// A person revealed a value: to be audited (no value, only the
    /// namespace pattern).
    Revealed {
        pattern: String,
    },
    /// Write mode, confirmed: change the store (at the generation of
    /// [`Browser::changing`]).
    Remediate(Remediation),
    /// Stop the change under way; it reports what it changed until then.
    StopChange,
}

/// A confirmed change to Redis. `keys`: how many the last census counted
/// that it will change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remediation {
    ExpireNamespace {
        pattern: String,
        ttl_secs: u64,
        keys: u64,
    },
    UnlinkNamespace {
        pattern: String,
        keys: u64,
    },
    UnlinkKey {
        key: Vec<u8>,
        /// The key as shown: personal data in its name masked.
        masked: String,
        pattern: String,
    },
}

impl Remediation {
    /// What the person must type to confirm: the namespace, or for a
    /// single key the word `unlink` (a key name may hold personal data).
    pub fn expected(&self) -> &str {
        match self {
            Remediation::ExpireNamespace { pattern, .. }
            | Remediation::UnlinkNamespace { pattern, .. } => pattern,
            Remediation::UnlinkKey { .. } => "unlink",
        }
    }

    /// The namespace it changes.
    pub fn pattern(&self) -> &str {
        match self {
            Remediation::ExpireNamespace { pattern, .. }
            | Remediation::UnlinkNamespace { pattern, .. }
            | Remediation::UnlinkKey { pattern, .. } => pattern,
        }
    }

    /// The change in words, store strings made printable.
    pub fn describe(&self) -> String {
        let shown = crate::show::printable(self.pattern());
        match self {
            Remediation::ExpireNamespace { ttl_secs, keys, .. } => format!(
                "give the keys of {shown} without a TTL, or with a longer one, a TTL of {}: {} by the last census; keys of other namespaces are left alone",
                crate::show::ttl_text(*ttl_secs as i64 * 1000),
                crate::show::counted(*keys, "key", None)
            ),
            Remediation::UnlinkNamespace { keys, .. } => format!(
                "UNLINK the keys of {shown}: {} by the last census; keys of other namespaces are left alone",
                crate::show::counted(*keys, "key", None)
            ),
            Remediation::UnlinkKey { masked, .. } => format!(
                "UNLINK the key {} of {shown}",
                crate::show::printable(masked)
            ),
        }
    }
}

/// A change to Redis under way (one at a time), with its generation.
#[derive(Debug, Clone)]
pub struct Changing {
    pub gen: u64,
    pub what: Remediation,
    /// The person asked to stop: the task ends after the batch it is in.
    pub stopping: bool,
}

/// T / D on the namespace `ns`: a TTL (the storage's retention) or
/// UNLINK, with how many keys the census counted that it will change;
/// never the census's `{other}` bucket, which is no namespace.
fn namespace_change(
    ns: &Namespace,
    unlink: bool,
    retention_secs: Option<u64>,
) -> Result<Remediation, String> {
    if crate::keypattern::KeyPattern::namespace(&ns.pattern).is_bucket() {
        return Err(format!(
            "{} holds the namespaces past the census's limit, not one namespace: nothing to change",
            ns.pattern
        ));
    }
    let pattern = ns.pattern.clone();
    if unlink {
        return Ok(Remediation::UnlinkNamespace {
            pattern,
            keys: ns.keys,
        });
    }
    let ttl_secs = retention_secs.ok_or("the storage has no limited retention to use as TTL")?;
    Ok(Remediation::ExpireNamespace {
        pattern,
        ttl_secs,
        keys: ns.no_ttl + ns.ttl_beyond_retention,
    })
}

#[derive(Debug, Clone)]
pub struct Browser {
    /// The connection browsed (the first Redis of the register).
    pub conn: Option<String>,
    /// Key delimiters (the register's `redis.delimiters`): the namespace
    /// tree splits patterns after each.
    delimiters: Vec<u8>,
    /// Folders opened or closed by hand, by path; the others are open when
    /// they hold at most [`OPEN_UP_TO`] namespaces.
    folded: HashMap<String, bool>,
    /// The tree as shown, built again by every change to what it is made
    /// of (the census shown, the filter, the sort, a folder), never by a frame.
    tree: Vec<NsRow>,
    /// Set through [`Browser::set_census`] and the census results, so the
    /// tree follows.
    pub(crate) census: CensusState,
    /// The previous census (from disk, or the one before in this run).
    pub(crate) last: Option<crate::redis::census::cache::Previous>,
    pub(crate) sort: NsSort,
    /// The filter as typed (shown) and parsed once when it changes (a
    /// `re:` term compiles a regex: not something to do on every frame).
    pub(crate) filter: String,
    filter_parsed: NsFilter,
    pub ns_cursor: Cursor,
    pub view: RedisView,
    /// Generation of key and value reads (a newer view drops older results).
    pub gen: u64,
    /// Generation of the census task (browsing does not make it stale).
    pub census_gen: u64,
    /// A change was made: the loop starts a new census.
    pub recount: bool,
    /// What changed since the previous census, in sentences.
    pub(crate) changes: Vec<String>,
    /// The change to Redis under way, if any.
    pub changing: Option<Changing>,
    /// Generation of the last change started.
    change_gen: u64,
    /// The namespace detail is shown instead of the tree.
    pub detail: bool,
    /// Work a background result asks for (the next page of a key search);
    /// the loop runs it.
    pub follow: Vec<BrowserEffect>,
}

impl Browser {
    pub fn new(conn: Option<String>) -> Browser {
        Browser {
            conn,
            delimiters: b":".to_vec(),
            folded: HashMap::new(),
            tree: Vec::new(),
            census: CensusState::Idle,
            last: None,
            sort: NsSort::Keys,
            filter: String::new(),
            filter_parsed: NsFilter::parse(""),
            ns_cursor: Cursor::default(),
            view: RedisView::Namespaces,
            gen: 0,
            census_gen: 0,
            recount: false,
            changes: Vec::new(),
            changing: None,
            change_gen: 0,
            detail: false,
            follow: Vec::new(),
        }
    }

    /// `i` on a namespace: its detail, or back to the tree.
    pub fn toggle_detail(&mut self) {
        self.detail = matches!(self.view, RedisView::Namespaces) && !self.detail;
    }

    /// The namespace the tree's selection stands for, if it is one.
    pub fn selected_namespace(&self) -> Option<&Namespace> {
        self.selected_row().and_then(|r| self.namespace_of(r))
    }

    /// Select the namespace `pattern` in the tree, opening its folders.
    pub fn select_pattern(&mut self, pattern: &str) -> bool {
        let Some(c) = self.shown() else { return false };
        let Some(i) = c.namespaces.iter().position(|n| n.pattern == pattern) else {
            return false;
        };
        // Open every folder on the way to it.
        let mut path = String::new();
        for &b in pattern.as_bytes() {
            path.push(char::from(b));
            if self.delimiters.contains(&b) {
                self.folded.insert(path.clone(), true);
            }
        }
        self.retree();
        let row = self
            .tree
            .iter()
            .position(|r| matches!(r.kind, NsRowKind::Leaf(j) if j == i));
        match row {
            Some(r) => {
                self.ns_cursor.selected = r;
                self.ns_cursor.offset = r.saturating_sub(3);
                self.detail = false;
                true
            }
            None => false,
        }
    }

    /// A search of the key list (typed after `/` in it); reads on through
    /// the namespace while it finds too few.
    pub fn set_key_filter(&mut self, filter: &str) -> Vec<BrowserEffect> {
        let RedisView::Keys(k) = &mut self.view else {
            return vec![];
        };
        k.filter = filter.to_string();
        k.cursor = Cursor::default();
        if value_query(filter).is_some() {
            // Typed, not yet asked for: the whole list until Enter.
            k.shown = None;
            k.value_search = None;
            return vec![];
        }
        k.value_search = None;
        k.refilter();
        k.read_on().into_iter().collect()
    }

    /// Enter on a `=text` key search: read the values of the keys listed
    /// (the first [`VALUE_SEARCH_MAX_KEYS`]) and keep those holding it.
    pub fn start_value_search(&mut self) -> Vec<BrowserEffect> {
        let RedisView::Keys(k) = &mut self.view else {
            return vec![];
        };
        let Some(text) = value_query(&k.filter) else {
            return vec![];
        };
        if crate::redis::search::Needle::new(text).is_none() {
            return vec![];
        }
        k.cursor = Cursor::default();
        k.value_search = Some(Box::new(ValueSearchState {
            running: true,
            ..ValueSearchState::default()
        }));
        self.gen += 1;
        vec![BrowserEffect::SearchValues {
            glob: k.glob.clone(),
            needle: Typed(text.to_string()),
        }]
    }

    /// The end of a search of values.
    pub fn on_value_search(
        &mut self,
        gen: u64,
        result: Result<crate::redis::search::ValueSearch, String>,
    ) -> bool {
        if gen != self.gen {
            return false;
        }
        let RedisView::Keys(k) = &mut self.view else {
            return false;
        };
        let Some(vs) = k.value_search.as_mut() else {
            return false;
        };
        vs.running = false;
        match result {
            Ok(r) => vs.result = Some(r),
            Err(e) => vs.error = Some(e),
        }
        true
    }

    /// What changed since the previous census, in sentences.
    pub fn changes(&self) -> &[String] {
        &self.changes
    }

    /// The previous census, if one is kept.
    pub fn last(&self) -> Option<&crate::redis::census::cache::Previous> {
        self.last.as_ref()
    }

    pub fn census(&self) -> &CensusState {
        &self.census
    }

    /// Show this census state (a loaded or fixed one); the tree follows.
    pub fn set_census(&mut self, census: CensusState) {
        self.census = census;
        self.retree();
    }

    /// The census kept from a previous run, shown until one runs.
    pub fn set_last(&mut self, last: Option<crate::redis::census::cache::Previous>) {
        self.last = last;
        self.retree();
    }

    /// The bytes a namespace pattern is cut after, in the tree.
    pub fn set_delimiters(&mut self, delimiters: Vec<u8>) {
        self.delimiters = delimiters;
        self.retree();
    }

    /// The next order of the namespaces; the selection starts over.
    pub fn cycle_sort(&mut self) -> NsSort {
        self.sort = self.sort.next();
        self.ns_cursor = Cursor::default();
        self.retree();
        self.sort
    }

    /// The census to show: the finished one, the running one's partial
    /// result, or the last one kept.
    pub fn shown(&self) -> Option<&Census> {
        match &self.census {
            CensusState::Done { census, .. } => Some(census),
            CensusState::Running { progress: Some(p) } if !p.partial.namespaces.is_empty() => {
                Some(&p.partial)
            }
            _ => self.last.as_ref().map(|p| &p.census),
        }
    }

    /// The namespaces the filter keeps, with their index in the census
    /// shown (the tree orders them).
    pub fn namespaces(&self) -> Vec<(usize, &Namespace)> {
        let Some(c) = self.shown() else { return vec![] };
        c.namespaces
            .iter()
            .enumerate()
            .filter(|(_, n)| self.filter_parsed.matches(n))
            .collect()
    }

    /// The namespace tree as shown: folders (a shared prefix of several
    /// patterns, chains of single folders joined) with their totals, and the
    /// namespaces in them, siblings in the chosen order; filtered.
    pub fn tree(&self) -> &[NsRow] {
        &self.tree
    }

    /// Build the tree again from what it shows.
    fn retree(&mut self) {
        let shape = super::tree::Shape {
            delimiters: &self.delimiters,
            sort: self.sort,
            folded: &self.folded,
        };
        let rows = super::tree::build(self.namespaces(), &shape);
        self.tree = rows;
    }

    /// The namespace a line of the tree stands for.
    pub fn namespace_of(&self, row: &NsRow) -> Option<&Namespace> {
        match row.kind {
            NsRowKind::Leaf(i) => self.shown()?.namespaces.get(i),
            NsRowKind::Folder { .. } => None,
        }
    }

    /// The selected line of the tree.
    fn selected_row(&self) -> Option<&NsRow> {
        self.tree.get(self.ns_cursor.selected)
    }

    /// Left / right (or Enter on a folder): close or open the selected
    /// folder; on a namespace, left goes to its folder.
    pub fn fold(&mut self, open: Option<bool>) {
        let rows = &self.tree;
        let Some(row) = rows.get(self.ns_cursor.selected) else {
            return;
        };
        match &row.kind {
            NsRowKind::Folder { path, open: now } => {
                let want = open.unwrap_or(!now);
                let path = path.clone();
                self.folded.insert(path, want);
                self.retree();
            }
            NsRowKind::Leaf(_) if open == Some(false) => {
                let depth = row.depth;
                if let Some(parent) = rows[..self.ns_cursor.selected]
                    .iter()
                    .rposition(|r| r.depth + 1 == depth)
                {
                    self.ns_cursor.selected = parent;
                }
            }
            NsRowKind::Leaf(_) => {}
        }
    }

    /// A new namespace filter (typed after `/`); the selection starts over.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.filter_parsed = NsFilter::parse(filter);
        self.ns_cursor = Cursor::default();
        self.retree();
    }

    pub fn len(&self) -> usize {
        match &self.view {
            RedisView::Namespaces => self.tree.len(),
            RedisView::Keys(k) => k.len(),
            RedisView::Value(b) => b.1.view.as_ref().map_or(0, |v| v.lines.len()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn cursor_mut(&mut self) -> &mut Cursor {
        match &mut self.view {
            RedisView::Namespaces => &mut self.ns_cursor,
            RedisView::Keys(k) => &mut k.cursor,
            RedisView::Value(b) => &mut b.1.scroll,
        }
    }

    /// After moving: ask for more keys when the selection nears the end.
    pub fn after_move(&mut self) -> Vec<BrowserEffect> {
        if let RedisView::Value(b) = &mut self.view {
            let v = &mut b.1;
            if let Some(view) = &v.view {
                if let (false, Some(from)) = (v.loading_more, &view.next) {
                    if v.scroll.selected + 20 >= view.lines.len() {
                        v.loading_more = true;
                        return vec![BrowserEffect::LoadValueMore {
                            key: v.key.clone(),
                            from: from.clone(),
                        }];
                    }
                }
            }
        }
        if let RedisView::Keys(k) = &mut self.view {
            if !k.loading && k.next_cursor != 0 && k.cursor.selected + 20 >= k.len() {
                k.loading = true;
                return vec![BrowserEffect::LoadKeys {
                    glob: k.glob.clone(),
                    cursor: k.next_cursor,
                }];
            }
        }
        vec![]
    }

    /// Enter: a namespace opens its keys, a key opens its value.
    pub fn open(&mut self) -> Vec<BrowserEffect> {
        match &self.view {
            RedisView::Namespaces => {
                let Some(row) = self.selected_row() else {
                    return vec![];
                };
                let Some(ns) = self.namespace_of(row).map(|n| n.pattern.clone()) else {
                    self.fold(None);
                    return vec![];
                };
                let glob = crate::redis::values::pattern_glob(&ns);
                self.gen += 1;
                self.detail = false;
                self.view = RedisView::Keys(KeysView::new(ns, glob.clone()));
                vec![BrowserEffect::LoadKeys { glob, cursor: 0 }]
            }
            RedisView::Keys(k) => {
                let Some(row) = k.row(k.cursor.selected) else {
                    return vec![];
                };
                let key = row.key.clone();
                let key_masked = crate::redis::values::masked_key(&key, &row.hits);
                self.gen += 1;
                let keys = k.clone();
                self.view = RedisView::Value(Box::new((
                    keys,
                    ValueState {
                        key: key.clone(),
                        key_masked,
                        view: None,
                        error: None,
                        revealed: false,
                        scroll: Cursor::default(),
                        loading_more: false,
                        read_at: Local::now(),
                    },
                )));
                vec![BrowserEffect::LoadValue { key }]
            }
            RedisView::Value(_) => vec![],
        }
    }

    /// Esc: back one level. Returns false at the top.
    pub fn back(&mut self) -> bool {
        if std::mem::take(&mut self.detail) {
            return true;
        }
        let view = std::mem::replace(&mut self.view, RedisView::Namespaces);
        match view {
            RedisView::Namespaces => return false,
            RedisView::Keys(_) => {}
            RedisView::Value(b) => self.view = RedisView::Keys(b.0),
        }
        self.gen += 1;
        true
    }

    /// T / D: the change the selection asks for, to be confirmed.
    pub fn remediation(
        &self,
        unlink: bool,
        retention_secs: Option<u64>,
    ) -> Result<Remediation, String> {
        match &self.view {
            RedisView::Namespaces => {
                let row = self.selected_row().ok_or("no namespace selected")?;
                let ns = self
                    .namespace_of(row)
                    .ok_or("a folder holds several namespaces: select one")?;
                namespace_change(ns, unlink, retention_secs)
            }
            RedisView::Keys(k) if unlink => {
                let row = k.row(k.cursor.selected).ok_or("no key selected")?;
                Ok(Remediation::UnlinkKey {
                    key: row.key.clone(),
                    masked: crate::redis::values::masked_key(&row.key, &row.hits),
                    pattern: k.pattern.clone(),
                })
            }
            RedisView::Keys(k) => {
                let ns = self
                    .shown()
                    .and_then(|c| c.namespaces.iter().find(|n| n.pattern == k.pattern))
                    .ok_or("the last census does not list this namespace")?;
                namespace_change(ns, false, retention_secs)
            }
            RedisView::Value(_) => Err("go back to the keys to change them".into()),
        }
    }

    /// R: show the selected value unmasked (audited by the caller).
    pub fn reveal(&mut self) -> Vec<BrowserEffect> {
        if let RedisView::Value(b) = &mut self.view {
            if !b.1.revealed {
                b.1.revealed = true;
                return vec![BrowserEffect::Revealed {
                    pattern: b.0.pattern.clone(),
                }];
            }
            b.1.revealed = false;
        }
        vec![]
    }

    pub fn on_progress(&mut self, gen: u64, p: Progress) -> bool {
        if gen != self.census_gen {
            return false;
        }
        self.census = CensusState::Running { progress: Some(p) };
        self.retree();
        true
    }

    pub fn on_census(&mut self, gen: u64, result: Result<Census, String>) -> bool {
        if gen != self.census_gen {
            return false;
        }
        self.census = match result {
            Ok(census) => {
                // Only a complete census of the same run of the same
                // server is compared.
                self.changes = match &self.last {
                    Some(p) if p.comparable_with(&census) => changes(&p.census, &census),
                    _ => Vec::new(),
                };
                CensusState::Done {
                    census,
                    at: Local::now(),
                }
            }
            Err(error) => CensusState::Failed { error },
        };
        self.retree();
        true
    }

    pub fn on_keys(&mut self, gen: u64, result: Result<KeyPage, String>) -> bool {
        if gen != self.gen {
            return false;
        }
        let RedisView::Keys(k) = &mut self.view else {
            return false;
        };
        k.loading = false;
        match result {
            Ok(page) => {
                k.rows.extend(page.rows);
                k.next_cursor = page.next_cursor;
                k.error = None;
                k.refilter();
                self.follow.extend(k.read_on());
            }
            Err(e) => k.error = Some(e),
        }
        true
    }

    /// The next page of the value on screen: its lines are appended.
    pub fn on_value_more(&mut self, gen: u64, result: Result<ValueView, String>) -> bool {
        if gen != self.gen {
            return false;
        }
        let RedisView::Value(b) = &mut self.view else {
            return false;
        };
        b.1.loading_more = false;
        match (result, &mut b.1.view) {
            (Ok(more), Some(view)) => {
                view.lines.extend(more.lines);
                view.next = more.next;
                view.truncated = view.next.is_some();
            }
            (Err(e), _) => b.1.error = Some(e),
            (Ok(_), None) => {}
        }
        true
    }

    pub fn on_value(&mut self, gen: u64, result: Result<ValueView, String>) -> bool {
        if gen != self.gen {
            return false;
        }
        let RedisView::Value(b) = &mut self.view else {
            return false;
        };
        match result {
            Ok(v) => {
                b.1.view = Some(v);
                b.1.read_at = Local::now();
            }
            Err(e) => b.1.error = Some(e),
        }
        true
    }

    /// A new census starts: the finished one becomes the last one, shown
    /// until the new one has something to show. Returns its generation.
    pub fn start_census(&mut self) -> u64 {
        if let CensusState::Done { census, at } =
            std::mem::replace(&mut self.census, CensusState::Running { progress: None })
        {
            if census.complete {
                self.last = Some(crate::redis::census::cache::Previous::from_session(
                    census,
                    at.into(),
                ));
            }
        }
        self.retree();
        self.census_gen += 1;
        self.census_gen
    }

    /// A confirmed change starts; returns its generation.
    pub fn start_change(&mut self, what: Remediation) -> u64 {
        self.change_gen += 1;
        self.changing = Some(Changing {
            gen: self.change_gen,
            what,
            stopping: false,
        });
        self.change_gen
    }

    /// Esc while a change runs: ask it to stop (once).
    pub fn stop_change(&mut self) -> Vec<BrowserEffect> {
        match &mut self.changing {
            Some(c) if !c.stopping => {
                c.stopping = true;
                vec![BrowserEffect::StopChange]
            }
            _ => vec![],
        }
    }

    /// The change of generation `gen` ended: it is no longer under way.
    /// None for a stale result (not the change under way).
    pub fn on_changed(&mut self, gen: u64) -> Option<Changing> {
        if self.changing.as_ref().is_some_and(|c| c.gen == gen) {
            self.changing.take()
        } else {
            None
        }
    }
}

/// What changed between two censuses, in sentences (see [`namespaces::diff`]).
fn changes(before: &Census, after: &Census) -> Vec<String> {
    namespaces::diff(before, after)
        .iter()
        .map(ToString::to_string)
        .collect()
}
