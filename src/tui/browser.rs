//! The keyspace browser's state: the census (running, done, or the last one
//! kept on disk), the namespace table, a namespace's keys (paged by SCAN
//! MATCH) and one key's value, masked until revealed. Changes come from
//! actions and from background results; the loop runs the effects.

use chrono::{DateTime, Local};

use super::state::Cursor;
use crate::redis::census::{Census, Namespace, Progress};
use crate::redis::values::{KeyPage, KeyRow, ValueView};

/// Folders holding at most this many namespaces start open.
pub const OPEN_UP_TO: usize = 20;

/// What a line of the namespace tree adds up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub namespaces: usize,
    pub keys: u64,
    pub bytes: u64,
    pub no_ttl: u64,
    pub ttl_beyond_retention: u64,
    /// Kinds of personal data found in key names or values: bit `k as
    /// u32` for each kind `k` (see [`Totals::pii_kinds`]).
    pub pii: u32,
}

impl Totals {
    fn of(n: &Namespace) -> Totals {
        Totals {
            namespaces: 1,
            keys: n.keys,
            bytes: n.bytes,
            no_ttl: n.no_ttl,
            ttl_beyond_retention: n.ttl_beyond_retention,
            pii: n
                .key_pii
                .keys()
                .chain(n.value_pii.keys())
                .fold(0, |bits, k| bits | 1 << (*k as u32)),
        }
    }

    /// The kinds of personal data, in [`crate::pii::Kind::ALL`] order.
    pub fn pii_kinds(&self) -> impl Iterator<Item = crate::pii::Kind> + '_ {
        crate::pii::Kind::ALL
            .into_iter()
            .filter(|k| self.pii & 1 << (*k as u32) != 0)
    }

    fn add(&mut self, o: &Totals) {
        self.namespaces += o.namespaces;
        self.keys += o.keys;
        self.bytes += o.bytes;
        self.no_ttl += o.no_ttl;
        self.ttl_beyond_retention += o.ttl_beyond_retention;
        self.pii |= o.pii;
    }
}

/// One line of the namespace tree.
#[derive(Debug, Clone)]
pub struct NsRow {
    pub depth: usize,
    /// The part of the pattern this line adds to its folder's.
    pub label: String,
    pub totals: Totals,
    pub kind: NsRowKind,
}

#[derive(Debug, Clone)]
pub enum NsRowKind {
    /// `path`: the whole prefix, e.g. `user:{int}:`.
    Folder { path: String, open: bool },
    /// Index of the namespace in the census shown.
    Leaf(usize),
}

/// The tree as last built, and what it was built from.
#[derive(Debug, Clone, Default)]
struct TreeCache {
    made_from: u64,
    rows: std::sync::Arc<Vec<NsRow>>,
}

/// [`TreeCache`] behind a lock, so the browser stays `Send` and `Clone`.
#[derive(Debug, Default)]
struct TreeCell(std::sync::Mutex<TreeCache>);

impl Clone for TreeCell {
    fn clone(&self) -> Self {
        TreeCell(std::sync::Mutex::new(
            self.0.lock().map(|c| c.clone()).unwrap_or_default(),
        ))
    }
}

#[derive(Default)]
struct TreeNode<'a> {
    children: std::collections::BTreeMap<&'a str, TreeNode<'a>>,
    ns: Option<(usize, &'a Namespace)>,
    totals: Totals,
}

impl TreeNode<'_> {
    fn total(&mut self) -> &Totals {
        let mut t = self.ns.map(|(_, n)| Totals::of(n)).unwrap_or_default();
        for c in self.children.values_mut() {
            t.add(c.total());
        }
        self.totals = t;
        &self.totals
    }
}

/// `user:{int}:profile` → `user:`, `{int}:`, `profile`: cut after each
/// delimiter.
fn split_after<'p>(pattern: &'p str, delimiters: &[u8]) -> Vec<&'p str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in pattern.bytes().enumerate() {
        if delimiters.contains(&b) && pattern.is_char_boundary(i + 1) {
            out.push(&pattern[start..=i]);
            start = i + 1;
        }
    }
    if start < pattern.len() || out.is_empty() {
        out.push(&pattern[start..]);
    }
    out
}

#[derive(Debug, Clone)]
pub enum CensusState {
    Idle,
    Running { progress: Option<Progress> },
    Done { census: Census, at: DateTime<Local> },
    Failed { error: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsSort {
    Keys,
    Memory,
    NoTtl,
    Pii,
}

impl NsSort {
    pub fn next(self) -> NsSort {
        match self {
            NsSort::Keys => NsSort::Memory,
            NsSort::Memory => NsSort::NoTtl,
            NsSort::NoTtl => NsSort::Pii,
            NsSort::Pii => NsSort::Keys,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            NsSort::Keys => "keys",
            NsSort::Memory => "memory",
            NsSort::NoTtl => "keys without TTL",
            NsSort::Pii => "personal data",
        }
    }
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
}

impl KeysView {
    pub fn complete(&self) -> bool {
        !self.loading && self.next_cursor == 0
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
    /// A person revealed a value: to be audited (no value, only the
    /// namespace pattern).
    Revealed {
        pattern: String,
    },
    /// Write mode, confirmed: change the store.
    Remediate(Remediation),
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

    pub fn describe(&self) -> String {
        match self {
            Remediation::ExpireNamespace {
                pattern,
                ttl_secs,
                keys,
            } => format!(
                "give the keys of {pattern} without a TTL, or with a longer one, a TTL of {}: {} keys by the last census; keys of other namespaces are left alone",
                crate::show::ttl_text(*ttl_secs as i64 * 1000),
                crate::show::count(*keys)
            ),
            Remediation::UnlinkNamespace { pattern, keys } => format!(
                "UNLINK the keys of {pattern}: {} keys by the last census; keys of other namespaces are left alone",
                crate::show::count(*keys)
            ),
            Remediation::UnlinkKey { pattern, .. } => format!("UNLINK this key of {pattern}"),
        }
    }
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
    /// Logical databases of that server which the register's Redis
    /// connections read (so a census need not flag them as uncounted).
    pub covered_dbs: Vec<u32>,
    /// Key delimiters (the register's `redis.delimiters`): the namespace
    /// tree splits patterns after each.
    pub delimiters: Vec<u8>,
    /// Folders opened or closed by hand, by path; the others are open when
    /// they hold at most [`OPEN_UP_TO`] namespaces.
    pub folded: std::collections::HashMap<String, bool>,
    /// Counts changes to `folded` (the tree is built again).
    fold_gen: u64,
    tree_cache: TreeCell,
    pub census: CensusState,
    /// The previous census (from disk, or the one before this run).
    pub last: Option<(Census, DateTime<Local>)>,
    pub sort: NsSort,
    /// The filter as typed (shown) and parsed once when it changes (a
    /// `re:` term compiles a regex: not something to do on every frame).
    pub filter: String,
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
    pub changes: Vec<String>,
}

impl Browser {
    pub fn new(conn: Option<String>) -> Browser {
        Browser {
            conn,
            covered_dbs: Vec::new(),
            delimiters: b":".to_vec(),
            folded: std::collections::HashMap::new(),
            fold_gen: 0,
            tree_cache: Default::default(),
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
        }
    }

    /// The census to show: the finished one, the running one's partial
    /// result, or the last one kept.
    pub fn shown(&self) -> Option<&Census> {
        match &self.census {
            CensusState::Done { census, .. } => Some(census),
            CensusState::Running { progress: Some(p) } if !p.partial.namespaces.is_empty() => {
                Some(&p.partial)
            }
            _ => self.last.as_ref().map(|(c, _)| c),
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
    /// namespaces in them, siblings in the chosen order; filtered. Built
    /// again only when what it shows changes (a census report, the filter,
    /// the sort, a folder opened or closed), not on every frame and key.
    pub fn tree(&self) -> std::sync::Arc<Vec<NsRow>> {
        let made_from = self.tree_inputs();
        if let Ok(cache) = self.tree_cache.0.lock() {
            if cache.made_from == made_from {
                return cache.rows.clone();
            }
        }
        let rows = std::sync::Arc::new(self.build_tree());
        if let Ok(mut cache) = self.tree_cache.0.lock() {
            *cache = TreeCache {
                made_from,
                rows: rows.clone(),
            };
        }
        rows
    }

    /// A fingerprint of what the tree is built from (never 0, the value of
    /// an empty cache).
    fn tree_inputs(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        match self.shown() {
            Some(c) => {
                (c.namespaces.as_ptr() as usize).hash(&mut h);
                c.namespaces.len().hash(&mut h);
                c.scanned.hash(&mut h);
                c.elapsed_ms.hash(&mut h);
                c.started_at.hash(&mut h);
                c.complete.hash(&mut h);
            }
            None => 0u8.hash(&mut h),
        }
        self.filter.hash(&mut h);
        (self.sort as u8).hash(&mut h);
        self.fold_gen.hash(&mut h);
        self.delimiters.hash(&mut h);
        h.finish() | 1
    }

    fn build_tree(&self) -> Vec<NsRow> {
        let mut root = TreeNode::default();
        for (i, n) in self.namespaces() {
            let mut node = &mut root;
            for token in split_after(&n.pattern, &self.delimiters) {
                node = node.children.entry(token).or_default();
            }
            node.ns = Some((i, n));
        }
        root.total();
        let mut out = Vec::new();
        self.flatten(&root, "", 0, &mut out);
        out
    }

    fn flatten(&self, node: &TreeNode<'_>, path: &str, depth: usize, out: &mut Vec<NsRow>) {
        let mut children: Vec<(&&str, &TreeNode<'_>)> = node.children.iter().collect();
        children.sort_by(|a, b| {
            let key = |t: &TreeNode| match self.sort {
                NsSort::Keys => (false, 0, t.totals.keys),
                NsSort::Memory => (false, 0, t.totals.bytes),
                NsSort::NoTtl => (false, 0, t.totals.no_ttl),
                NsSort::Pii => (
                    t.totals.pii != 0,
                    t.totals.pii.count_ones() as usize,
                    t.totals.keys,
                ),
            };
            key(b.1).cmp(&key(a.1)).then(a.0.cmp(b.0))
        });
        for (token, child) in children {
            // A folder with one child and no namespace of its own is
            // joined to that child: `app:production:` is one line.
            let mut label = token.to_string();
            let mut cur = child;
            while cur.ns.is_none() && cur.children.len() == 1 {
                let Some((t, next)) = cur.children.iter().next() else {
                    break;
                };
                label.push_str(t);
                cur = next;
            }
            if cur.children.is_empty() {
                if let Some((i, _)) = cur.ns {
                    out.push(NsRow {
                        depth,
                        label,
                        totals: cur.totals.clone(),
                        kind: NsRowKind::Leaf(i),
                    });
                }
                continue;
            }
            let full = format!("{path}{label}");
            let open = self
                .folded
                .get(&full)
                .copied()
                .unwrap_or(cur.totals.namespaces <= OPEN_UP_TO);
            out.push(NsRow {
                depth,
                label: label.clone(),
                totals: cur.totals.clone(),
                kind: NsRowKind::Folder {
                    path: full.clone(),
                    open,
                },
            });
            if open {
                if let Some((i, n)) = cur.ns {
                    // A namespace that is also the prefix of others.
                    out.push(NsRow {
                        depth: depth + 1,
                        label: label.clone(),
                        totals: Totals::of(n),
                        kind: NsRowKind::Leaf(i),
                    });
                }
                self.flatten(cur, &full, depth + 1, out);
            }
        }
    }

    /// The namespace a line of the tree stands for.
    pub fn namespace_of(&self, row: &NsRow) -> Option<&Namespace> {
        match row.kind {
            NsRowKind::Leaf(i) => self.shown()?.namespaces.get(i),
            NsRowKind::Folder { .. } => None,
        }
    }

    /// The selected line of the tree.
    fn selected_row(&self) -> Option<NsRow> {
        self.tree().get(self.ns_cursor.selected).cloned()
    }

    /// Left / right (or Enter on a folder): close or open the selected
    /// folder; on a namespace, left goes to its folder.
    pub fn fold(&mut self, open: Option<bool>) {
        let rows = self.tree();
        let Some(row) = rows.get(self.ns_cursor.selected) else {
            return;
        };
        match &row.kind {
            NsRowKind::Folder { path, open: now } => {
                let want = open.unwrap_or(!now);
                let path = path.clone();
                self.folded.insert(path, want);
                self.fold_gen += 1;
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
    }

    pub fn len(&self) -> usize {
        match &self.view {
            RedisView::Namespaces => self.tree().len(),
            RedisView::Keys(k) => k.rows.len(),
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
            if !k.loading && k.next_cursor != 0 && k.cursor.selected + 20 >= k.rows.len() {
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
                let Some(ns) = self.namespace_of(&row).map(|n| n.pattern.clone()) else {
                    self.fold(None);
                    return vec![];
                };
                let glob = crate::redis::values::pattern_glob(&ns);
                self.gen += 1;
                self.view = RedisView::Keys(KeysView {
                    pattern: ns,
                    glob: glob.clone(),
                    rows: Vec::new(),
                    next_cursor: 0,
                    loading: true,
                    error: None,
                    cursor: Cursor::default(),
                });
                vec![BrowserEffect::LoadKeys { glob, cursor: 0 }]
            }
            RedisView::Keys(k) => {
                let Some(row) = k.rows.get(k.cursor.selected) else {
                    return vec![];
                };
                let key = row.key.clone();
                let text = String::from_utf8_lossy(&key).into_owned();
                let key_masked = crate::redis::values::masked(&text, &row.hits);
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
                    },
                )));
                vec![BrowserEffect::LoadValue { key }]
            }
            RedisView::Value(_) => vec![],
        }
    }

    /// Esc: back one level. Returns false at the top.
    pub fn back(&mut self) -> bool {
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
                    .namespace_of(&row)
                    .ok_or("a folder holds several namespaces: select one")?;
                namespace_change(ns, unlink, retention_secs)
            }
            RedisView::Keys(k) if unlink => {
                let row = k.rows.get(k.cursor.selected).ok_or("no key selected")?;
                Ok(Remediation::UnlinkKey {
                    key: row.key.clone(),
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
        if gen != self.gen_census() {
            return false;
        }
        self.census = CensusState::Running { progress: Some(p) };
        true
    }

    pub fn on_census(&mut self, gen: u64, result: Result<Census, String>) -> bool {
        if gen != self.gen_census() {
            return false;
        }
        self.census = match result {
            Ok(census) => {
                if let Some((last, _)) = &self.last {
                    self.changes = diff(last, &census);
                }
                CensusState::Done {
                    census,
                    at: Local::now(),
                }
            }
            Err(error) => CensusState::Failed { error },
        };
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
            Ok(v) => b.1.view = Some(v),
            Err(e) => b.1.error = Some(e),
        }
        true
    }

    fn gen_census(&self) -> u64 {
        self.census_gen
    }

    /// A new census starts: the finished one becomes the last one, shown
    /// until the new one has something to show. Returns its generation.
    pub fn start_census(&mut self) -> u64 {
        if let CensusState::Done { census, at } =
            std::mem::replace(&mut self.census, CensusState::Running { progress: None })
        {
            self.last = Some((census, at));
        }
        self.census_gen += 1;
        self.census_gen
    }
}

/// The namespace filter typed after `/`: words that must all hold.
/// `nottl` (keys without TTL), `beyond` (TTL beyond retention), `pii`,
/// `type:hash` (a Redis type), `re:<regex>`, a glob with `*` or `?`, or
/// plain text contained in the pattern.
#[derive(Debug, Clone)]
pub struct NsFilter {
    terms: Vec<Term>,
}

#[derive(Debug, Clone)]
enum Term {
    NoTtl,
    Beyond,
    Pii,
    Type(String),
    Regex(Option<regex::Regex>),
    Glob(String),
    Text(String),
}

impl NsFilter {
    pub fn parse(s: &str) -> NsFilter {
        let terms = s
            .split_whitespace()
            .map(|w| match w.to_lowercase().as_str() {
                "nottl" | "no-ttl" => Term::NoTtl,
                "beyond" | ">ret" => Term::Beyond,
                "pii" => Term::Pii,
                l if l.starts_with("type:") => Term::Type(l["type:".len()..].to_string()),
                _ if w.starts_with("re:") => Term::Regex(
                    regex::RegexBuilder::new(&w[3..])
                        .size_limit(1 << 20)
                        .build()
                        .ok(),
                ),
                _ if w.contains('*') || w.contains('?') => Term::Glob(w.to_string()),
                l => Term::Text(l.to_string()),
            })
            .collect();
        NsFilter { terms }
    }

    pub fn matches(&self, n: &Namespace) -> bool {
        self.terms.iter().all(|t| match t {
            Term::NoTtl => n.no_ttl > 0,
            Term::Beyond => n.ttl_beyond_retention > 0,
            Term::Pii => n.has_pii(),
            Term::Type(ty) => n.types.contains_key(ty),
            // An invalid regex matches nothing rather than everything.
            Term::Regex(re) => re.as_ref().is_some_and(|r| r.is_match(&n.pattern)),
            Term::Glob(g) => crate::redis::census::glob_match(g.as_bytes(), n.pattern.as_bytes()),
            Term::Text(t) => n.pattern.to_lowercase().contains(t),
        })
    }
}

/// What changed between two censuses, worst first: new namespaces (with
/// their personal data and missing TTLs), namespaces that gained personal
/// data or keys without TTL, namespaces that disappeared.
pub fn diff(before: &Census, after: &Census) -> Vec<String> {
    let old: std::collections::BTreeMap<&str, &Namespace> = before
        .namespaces
        .iter()
        .map(|n| (n.pattern.as_str(), n))
        .collect();
    let mut out = Vec::new();
    for n in &after.namespaces {
        let pii: Vec<&str> = n
            .key_pii
            .keys()
            .chain(n.value_pii.keys())
            .map(|k| k.as_str())
            .collect();
        match old.get(n.pattern.as_str()) {
            None => out.push(format!(
                "new namespace {} ({} keys){}{}",
                n.pattern,
                n.keys,
                if pii.is_empty() {
                    String::new()
                } else {
                    format!(" holds {}", pii.join(", "))
                },
                if n.no_ttl > 0 { " and has no TTL" } else { "" }
            )),
            Some(o) => {
                let gained: Vec<&str> = pii
                    .iter()
                    .copied()
                    .filter(|k| {
                        !o.key_pii
                            .keys()
                            .chain(o.value_pii.keys())
                            .any(|x| x.as_str() == *k)
                    })
                    .collect();
                if !gained.is_empty() {
                    out.push(format!("{} now holds {}", n.pattern, gained.join(", ")));
                }
                if o.no_ttl == 0 && n.no_ttl > 0 {
                    out.push(format!(
                        "{} now has {} keys without TTL",
                        n.pattern, n.no_ttl
                    ));
                }
            }
        }
    }
    let new: std::collections::BTreeSet<&str> = after
        .namespaces
        .iter()
        .map(|n| n.pattern.as_str())
        .collect();
    for p in old.keys().filter(|p| !new.contains(*p)) {
        out.push(format!("namespace {p} is gone"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(p: &str, no_ttl: u64, pii: bool) -> Namespace {
        let mut n = Namespace {
            pattern: p.into(),
            keys: 10,
            no_ttl,
            ..Namespace::default()
        };
        n.types.insert("hash".into(), 10);
        if pii {
            n.key_pii.insert(crate::pii::Kind::Email, 10);
        }
        n
    }

    #[test]
    fn filters_combine() {
        let a = ns("user:{int}:profile", 3, true);
        let b = ns("stat:processed", 0, false);
        let f = |s: &str| {
            (
                NsFilter::parse(s).matches(&a),
                NsFilter::parse(s).matches(&b),
            )
        };
        assert_eq!(f(""), (true, true));
        assert_eq!(f("pii"), (true, false));
        assert_eq!(f("nottl"), (true, false));
        assert_eq!(f("user:*"), (true, false));
        assert_eq!(f("re:^stat"), (false, true));
        assert_eq!(f("re:(["), (false, false));
        assert_eq!(f("type:hash profile"), (true, false));
        assert_eq!(f("type:zset"), (false, false));
    }

    #[test]
    fn diffs_say_what_is_new() {
        let before = Census {
            namespaces: vec![ns("a:{int}", 0, false), ns("gone:{int}", 0, false)],
            ..Census::default()
        };
        let after = Census {
            namespaces: vec![ns("a:{int}", 2, true), ns("app:x:{email}", 5, true)],
            ..Census::default()
        };
        let d = diff(&before, &after);
        assert!(d.contains(&"a:{int} now holds email".to_string()), "{d:?}");
        assert!(d.contains(&"a:{int} now has 2 keys without TTL".to_string()));
        assert!(d.contains(
            &"new namespace app:x:{email} (10 keys) holds email and has no TTL".to_string()
        ));
        assert!(d.contains(&"namespace gone:{int} is gone".to_string()));
    }
}
