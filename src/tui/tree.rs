//! The namespace tree the Redis pane shows: patterns that share a prefix
//! (cut after each delimiter) grouped in folders with their totals, chains
//! of single folders joined, siblings in the chosen order. Pure view logic:
//! built by the browser when what it shows changes, read by the render.

use std::collections::{BTreeMap, HashMap};

use crate::redis::census::Namespace;

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

/// How the tree is cut and shown.
pub struct Shape<'a> {
    pub delimiters: &'a [u8],
    pub sort: NsSort,
    /// Folders opened or closed by hand, by path; the others are open when
    /// they hold at most [`OPEN_UP_TO`] namespaces.
    pub folded: &'a HashMap<String, bool>,
}

#[derive(Default)]
struct TreeNode<'a> {
    children: BTreeMap<&'a str, TreeNode<'a>>,
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

/// The lines of the tree of `namespaces` (each with its index in the
/// census shown), folders first opened or closed as `shape` says.
pub fn build<'a>(
    namespaces: impl IntoIterator<Item = (usize, &'a Namespace)>,
    shape: &Shape<'_>,
) -> Vec<NsRow> {
    let mut root = TreeNode::default();
    for (i, n) in namespaces {
        let mut node = &mut root;
        for token in split_after(&n.pattern, shape.delimiters) {
            node = node.children.entry(token).or_default();
        }
        node.ns = Some((i, n));
    }
    root.total();
    let mut out = Vec::new();
    flatten(shape, &root, "", 0, &mut out);
    out
}

fn flatten(shape: &Shape<'_>, node: &TreeNode<'_>, path: &str, depth: usize, out: &mut Vec<NsRow>) {
    let mut children: Vec<(&&str, &TreeNode<'_>)> = node.children.iter().collect();
    children.sort_by(|a, b| {
        let key = |t: &TreeNode| match shape.sort {
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
        let open = shape
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
            flatten(shape, cur, &full, depth + 1, out);
        }
    }
}
