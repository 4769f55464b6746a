//! The data-flow map laid out on a character grid: columns of nodes (people,
//! processes, hosted storages, third parties) with the hosted perimeter as a
//! frame, and flows routed only through the gutters between columns and the
//! blank rows between nodes, so an arrow never crosses a node's label.
//!
//! The layout depends on the register only: it is computed once, off the
//! render path, and is deterministic (same register, same picture).

use std::collections::BTreeMap;

use unicode_width::UnicodeWidthStr;

use crate::register::{Register, Retention, Storage, StorageKind};

/// Rows a node takes: top border, label, bottom border (with retention).
pub const NODE_H: u16 = 3;
/// Distance between two node slots in a column; the row between them is a
/// channel that long flows may cross.
const SLOT: u16 = NODE_H + 1;
/// Widest a node box may be (labels are cut with …).
const MAX_NODE_W: u16 = 26;
const MIN_NODE_W: u16 = 10;

pub const N: u8 = 1;
pub const E: u8 = 2;
pub const S: u8 = 4;
pub const W: u8 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    People,
    Processes,
    Hosted,
    ThirdParties,
}

impl Column {
    pub fn of(s: &Storage) -> Column {
        match s.kind() {
            StorageKind::Actor => Column::People,
            _ if !s.is_inside() => Column::ThirdParties,
            StorageKind::Process => Column::Processes,
            _ => Column::Hosted,
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Column::People => "People",
            Column::Processes => "Processes",
            Column::Hosted => "Hosted storages",
            Column::ThirdParties => "Third parties",
        }
    }
}

/// A node placed on the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Index in `register.storages`.
    pub node: usize,
    pub col: usize,
    pub slot: usize,
    pub x: u16,
    pub y: u16,
    pub w: u16,
}

impl Placed {
    pub fn port_row(&self) -> u16 {
        self.y + 1
    }
    pub fn right(&self) -> u16 {
        self.x + self.w - 1
    }
}

/// An arrowhead: where, and which way it points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub x: u16,
    pub y: u16,
    /// Points east (into a node's left side) or west (into its right side).
    pub east: bool,
}

/// One flow's drawing: line cells (with their direction bits) and heads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub flow: usize,
    pub cells: Vec<(u16, u16, u8)>,
    pub heads: Vec<Head>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    pub width: u16,
    pub height: u16,
    /// By register index; `None` for nothing (every node is placed).
    pub nodes: Vec<Placed>,
    pub routes: Vec<Route>,
    /// The hosted perimeter: x0, y0, x1, y1 (inclusive).
    pub frame: Option<(u16, u16, u16, u16)>,
    /// Column titles: x, text.
    pub titles: Vec<(u16, &'static str)>,
    /// The direction bits of every line cell, all routes merged.
    pub mask: Vec<u8>,
}

impl Diagram {
    pub fn placed(&self, node: usize) -> Option<&Placed> {
        self.nodes.iter().find(|p| p.node == node)
    }

    pub fn mask_at(&self, x: u16, y: u16) -> u8 {
        if x >= self.width || y >= self.height {
            return 0;
        }
        self.mask[usize::from(y) * usize::from(self.width) + usize::from(x)]
    }

    /// The node to go to from `from` in a direction (grid neighbours: up and
    /// down in the column, left and right to the nearest row in the next
    /// column that has nodes).
    pub fn neighbour(&self, from: usize, dx: i32, dy: i32) -> Option<usize> {
        let cur = self.placed(from)?;
        if dy != 0 {
            let mut same: Vec<&Placed> = self.nodes.iter().filter(|p| p.col == cur.col).collect();
            same.sort_by_key(|p| p.slot);
            let i = same.iter().position(|p| p.node == from)? as i32 + dy;
            return same.get(usize::try_from(i).ok()?).map(|p| p.node);
        }
        let ncols = self.nodes.iter().map(|p| p.col).max()? + 1;
        let mut col = cur.col as i32 + dx;
        while col >= 0 && (col as usize) < ncols {
            let best = self
                .nodes
                .iter()
                .filter(|p| p.col == col as usize)
                .min_by_key(|p| (p.y.abs_diff(cur.y), p.y));
            if let Some(b) = best {
                return Some(b.node);
            }
            col += dx;
        }
        None
    }
}

/// The line character for a set of direction bits (rounded corners).
pub fn line_char(mask: u8) -> char {
    match mask {
        m if m == N | S || m == N || m == S => '│',
        m if m == E | W || m == E || m == W => '─',
        m if m == S | E => '╭',
        m if m == S | W => '╮',
        m if m == N | E => '╰',
        m if m == N | W => '╯',
        m if m == N | S | E => '├',
        m if m == N | S | W => '┤',
        m if m == E | W | S => '┬',
        m if m == E | W | N => '┴',
        m if m == N | E | S | W => '┼',
        _ => ' ',
    }
}

/// The retention as a node's bottom border says it.
pub fn short_retention(s: &Storage) -> Option<String> {
    if !s.kind().is_persistent() {
        return None;
    }
    s.effective_retention().map(|r| match r {
        Retention::Unknown => "retention ?".to_string(),
        Retention::NoExpiry => "no expiry".to_string(),
        r => r.to_string(),
    })
}

/// Lay out the whole register.
pub fn layout(reg: &Register) -> Diagram {
    // 1. Columns, dropping empty ones.
    let mut by_col: BTreeMap<Column, Vec<usize>> = BTreeMap::new();
    for (i, s) in reg.storages.iter().enumerate() {
        by_col.entry(Column::of(s)).or_default().push(i);
    }
    let kinds: Vec<Column> = by_col.keys().copied().collect();
    let mut cols: Vec<Vec<usize>> = by_col.into_values().collect();
    let col_of: BTreeMap<usize, usize> = cols
        .iter()
        .enumerate()
        .flat_map(|(c, nodes)| nodes.iter().map(move |&n| (n, c)))
        .collect();
    let index: BTreeMap<&str, usize> = reg
        .storages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id(), i))
        .collect();
    let flows: Vec<(usize, usize, bool)> = reg
        .flows
        .iter()
        .filter_map(|f| Some((*index.get(f.from())?, *index.get(f.to())?, f.both_ways)))
        .collect();

    // 2. Order within columns: one barycentre pass left to right, then one
    //    right to left, ties kept in declared order (stable sorts).
    let neighbours_in = |n: usize, cols: &[Vec<usize>], c: usize| -> Vec<f64> {
        flows
            .iter()
            .filter_map(|&(a, b, _)| {
                let other = if a == n {
                    b
                } else if b == n {
                    a
                } else {
                    return None;
                };
                (col_of[&other] == c)
                    .then(|| cols[c].iter().position(|&x| x == other).unwrap_or(0) as f64)
            })
            .collect()
    };
    let reorder = |cols: &mut Vec<Vec<usize>>, c: usize, reference: usize| {
        let keyed: Vec<(f64, usize)> = cols[c]
            .iter()
            .enumerate()
            .map(|(pos, &n)| {
                let ns = neighbours_in(n, cols, reference);
                let key = if ns.is_empty() {
                    pos as f64
                } else {
                    ns.iter().sum::<f64>() / ns.len() as f64
                };
                (key, n)
            })
            .collect();
        let mut keyed = keyed;
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        cols[c] = keyed.into_iter().map(|(_, n)| n).collect();
    };
    for c in 1..cols.len() {
        reorder(&mut cols, c, c - 1);
    }
    if cols.len() > 1 {
        reorder(&mut cols, 0, 1);
    }

    // 3. Slots: columns centred on the tallest, in whole slots so the
    //    channel rows line up across columns.
    let max_slots = cols.iter().map(Vec::len).max().unwrap_or(0);
    let top: u16 = 2; // frame line and column titles
    let mut slot_of: BTreeMap<usize, usize> = BTreeMap::new();
    for nodes in &cols {
        let offset = (max_slots - nodes.len()) / 2;
        for (k, &n) in nodes.iter().enumerate() {
            slot_of.insert(n, offset + k);
        }
    }
    let y_of = |slot: usize| top + (slot as u16) * SLOT;
    let port = |n: usize| y_of(slot_of[&n]) + 1;

    // 4. Routes, before x positions are known: vertical intervals per gutter.
    //    Gutter g lies right of column g.
    #[derive(Clone, Copy)]
    struct Plan {
        flow: usize,
        left: usize,
        right: usize,
        /// Head into the left node (at its right side) / into the right node.
        head_left: bool,
        head_right: bool,
        same_col: bool,
        channel: Option<u16>,
    }
    let channel_rows: Vec<u16> = (0..max_slots.max(1)).map(|k| y_of(k) + NODE_H).collect();
    let mut channel_use: BTreeMap<u16, Vec<(usize, usize)>> = BTreeMap::new();
    let mut plans = Vec::new();
    for (fi, &(a, b, both)) in flows.iter().enumerate() {
        let (ca, cb) = (col_of[&a], col_of[&b]);
        let (left, right, head_left, head_right) = if ca <= cb {
            (a, b, both, true)
        } else {
            (b, a, true, both)
        };
        let (cl, cr) = (col_of[&left], col_of[&right]);
        let mut channel = None;
        if cr > cl + 1 {
            // A channel row free over the columns in between, nearest to both ends.
            let span = (cl + 1, cr - 1);
            let (yl, yr) = (port(left), port(right));
            let best = channel_rows
                .iter()
                .copied()
                .filter(|r| {
                    channel_use
                        .get(r)
                        .is_none_or(|used| used.iter().all(|&(s, e)| e < span.0 || s > span.1))
                })
                .min_by_key(|&r| (r.abs_diff(yl) + r.abs_diff(yr), r));
            let row = best.unwrap_or_else(|| {
                // Every channel is taken over this span: share the nearest.
                channel_rows
                    .iter()
                    .copied()
                    .min_by_key(|&r| r.abs_diff(yl) + r.abs_diff(yr))
                    .unwrap_or(top)
            });
            channel_use.entry(row).or_default().push(span);
            channel = Some(row);
        }
        plans.push(Plan {
            flow: fi,
            left,
            right,
            head_left,
            head_right,
            same_col: cl == cr,
            channel,
        });
    }
    // Vertical runs per gutter: (gutter, y0, y1, plan index, which end,
    // side). The side says where the run's stubs join a node: runs that only
    // join the column on the left get the lanes nearest to it, runs that only
    // join the column on the right the lanes nearest to that one, and runs
    // joining both sit in between, so two stubs on one row never overlap.
    const LEFT: u8 = 0;
    const BOTH: u8 = 1;
    const RIGHT: u8 = 2;
    let mut runs: Vec<(usize, u16, u16, usize, u8, u8)> = Vec::new();
    for (pi, p) in plans.iter().enumerate() {
        let (yl, yr) = (port(p.left), port(p.right));
        let (cl, cr) = (col_of[&p.left], col_of[&p.right]);
        match p.channel {
            Some(row) => {
                runs.push((cl, yl.min(row), yl.max(row), pi, 0, LEFT));
                runs.push((cr - 1, yr.min(row), yr.max(row), pi, 1, RIGHT));
            }
            None if p.same_col => runs.push((cl, yl.min(yr), yl.max(yr), pi, 0, LEFT)),
            None => runs.push((cl, yl.min(yr), yl.max(yr), pi, 0, BOTH)),
        }
    }
    // Lanes: greedy interval colouring per gutter and side.
    let ngutters = cols.len();
    let mut lane_of: BTreeMap<(usize, u8), u16> = BTreeMap::new();
    let mut lanes_in = vec![0u16; ngutters];
    for (g, lanes) in lanes_in.iter_mut().enumerate() {
        let mut base = 0u16;
        for side in [LEFT, BOTH, RIGHT] {
            let mut rs: Vec<&(usize, u16, u16, usize, u8, u8)> =
                runs.iter().filter(|r| r.0 == g && r.5 == side).collect();
            rs.sort_by_key(|r| (r.1, r.2, r.3, r.4));
            let mut lane_end: Vec<u16> = Vec::new();
            for r in rs {
                let lane = match lane_end.iter().position(|&end| end + 1 < r.1) {
                    Some(l) => l,
                    None => {
                        lane_end.push(0);
                        lane_end.len() - 1
                    }
                };
                lane_end[lane] = r.2;
                lane_of.insert((r.3, r.4), base + lane as u16);
            }
            base += lane_end.len() as u16;
        }
        *lanes = base;
    }

    // 5. x positions: [column][gutter: port, lanes, frame?, port] ...
    let hosted_cols: Vec<usize> = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| matches!(k, Column::Processes | Column::Hosted))
        .map(|(i, _)| i)
        .collect();
    let frame_gutters: Vec<usize> = match (hosted_cols.first(), hosted_cols.last()) {
        (Some(&f), Some(&l)) => {
            let mut g = Vec::new();
            if f > 0 {
                g.push(f - 1);
            }
            g.push(l);
            g
        }
        _ => vec![],
    };
    let col_w: Vec<u16> = cols
        .iter()
        .map(|nodes| {
            nodes
                .iter()
                .map(|&n| {
                    let s = &reg.storages[n];
                    let label = s.label.width() as u16 + 4;
                    let ret = short_retention(s).map_or(0, |r| r.width() as u16 + 6);
                    label.max(ret)
                })
                .max()
                .unwrap_or(MIN_NODE_W)
                .clamp(MIN_NODE_W, MAX_NODE_W)
        })
        .collect();
    let mut col_x = Vec::with_capacity(cols.len());
    let mut gutter_x = Vec::with_capacity(cols.len());
    let mut frame_x: BTreeMap<usize, u16> = BTreeMap::new();
    let mut x: u16 = 1;
    for c in 0..cols.len() {
        col_x.push(x);
        x += col_w[c];
        gutter_x.push(x);
        let has_frame = frame_gutters.contains(&c);
        let needs_gutter = c + 1 < cols.len() || lanes_in[c] > 0 || has_frame;
        if needs_gutter {
            // port cell, lanes, one spare column, frame, port cell
            let w = 1 + lanes_in[c] + 1 + u16::from(has_frame) + 1;
            if has_frame {
                frame_x.insert(c, x + 1 + lanes_in[c] + 1);
            }
            x += w.max(3);
        }
    }
    let width = x + 1;
    let height = top + (max_slots.max(1) as u16) * SLOT + 1;

    let nodes: Vec<Placed> = cols
        .iter()
        .enumerate()
        .flat_map(|(c, ns)| {
            let (cx, cw) = (col_x[c], col_w[c]);
            ns.iter().map(move |&n| (c, n, cx, cw))
        })
        .map(|(c, n, cx, cw)| Placed {
            node: n,
            col: c,
            slot: slot_of[&n],
            x: cx,
            y: y_of(slot_of[&n]),
            w: cw,
        })
        .collect();
    let placed = |n: usize| nodes.iter().find(|p| p.node == n);

    // 6. Draw each route as cells with direction bits.
    let lane_x = |g: usize, lane: u16| gutter_x[g] + 1 + lane;
    let mut routes = Vec::with_capacity(plans.len());
    for (pi, p) in plans.iter().enumerate() {
        let (Some(l), Some(r)) = (placed(p.left), placed(p.right)) else {
            continue;
        };
        let mut route = Route {
            flow: p.flow,
            ..Route::default()
        };
        let (yl, yr) = (l.port_row(), r.port_row());
        let start = (l.right() + 1, yl);
        let mut points = vec![start];
        if p.same_col {
            let lx = lane_x(col_of[&p.left], lane_of.get(&(pi, 0)).copied().unwrap_or(0));
            points.extend([(lx, yl), (lx, yr), (r.right() + 1, yr)]);
        } else if let Some(row) = p.channel {
            let cl = col_of[&p.left];
            let cr = col_of[&p.right];
            let x1 = lane_x(cl, lane_of.get(&(pi, 0)).copied().unwrap_or(0));
            let x2 = lane_x(cr - 1, lane_of.get(&(pi, 1)).copied().unwrap_or(0));
            points.extend([(x1, yl), (x1, row), (x2, row), (x2, yr), (r.x - 1, yr)]);
        } else if yl == yr {
            points.push((r.x - 1, yr));
        } else {
            let lx = lane_x(col_of[&p.left], lane_of.get(&(pi, 0)).copied().unwrap_or(0));
            points.extend([(lx, yl), (lx, yr), (r.x - 1, yr)]);
        }
        for w in points.windows(2) {
            segment(&mut route.cells, w[0], w[1]);
        }
        if p.head_left {
            route.heads.push(Head {
                x: l.right() + 1,
                y: yl,
                east: false,
            });
        }
        if p.head_right {
            let end = if p.same_col { r.right() + 1 } else { r.x - 1 };
            route.heads.push(Head {
                x: end,
                y: yr,
                east: !p.same_col,
            });
        }
        routes.push(route);
    }
    let mut mask = vec![0u8; usize::from(width) * usize::from(height)];
    for r in &routes {
        for &(x, y, m) in &r.cells {
            if x < width && y < height {
                mask[usize::from(y) * usize::from(width) + usize::from(x)] |= m;
            }
        }
    }

    let frame = match (
        frame_gutters.first(),
        frame_gutters.last(),
        hosted_cols.first(),
    ) {
        (Some(&g0), Some(&g1), Some(&first)) => {
            let x0 = if first == 0 {
                0
            } else {
                frame_x.get(&g0).copied().unwrap_or(0)
            };
            let x1 = frame_x.get(&g1).copied().unwrap_or(width - 1);
            Some((x0, 0, x1, height - 1))
        }
        _ => None,
    };
    let titles = kinds
        .iter()
        .enumerate()
        .map(|(c, k)| (col_x[c], k.title()))
        .collect();
    Diagram {
        width,
        height,
        nodes,
        routes,
        frame,
        titles,
        mask,
    }
}

/// Add the cells of an axis-aligned segment, with the bits that join them.
fn segment(cells: &mut Vec<(u16, u16, u8)>, a: (u16, u16), b: (u16, u16)) {
    if a.1 == b.1 {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        for x in x0..=x1 {
            let mut m = 0;
            if x > x0 {
                m |= W;
            }
            if x < x1 {
                m |= E;
            }
            if x0 == x1 {
                m = E | W;
            }
            cells.push((x, a.1, m));
        }
    } else {
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        for y in y0..=y1 {
            let mut m = 0;
            if y > y0 {
                m |= N;
            }
            if y < y1 {
                m |= S;
            }
            cells.push((a.0, y, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_chars_join() {
        assert_eq!(line_char(E | W), '─');
        assert_eq!(line_char(N | S | E | W), '┼');
        assert_eq!(line_char(S | E), '╭');
        assert_eq!(line_char(0), ' ');
    }

    #[test]
    fn segments_carry_their_joins() {
        let mut c = Vec::new();
        segment(&mut c, (1, 1), (3, 1));
        segment(&mut c, (3, 1), (3, 3));
        assert_eq!(c[0], (1, 1, E));
        assert_eq!(c[2], (3, 1, W));
        assert_eq!(c[3], (3, 1, S));
        assert_eq!(c[5], (3, 3, N));
    }
}
