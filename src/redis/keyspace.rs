//! Where the browser and the remediation read and change keys: one server,
//! or every primary of a Redis Cluster. A key is read from (and changed on)
//! the primary that serves its slot; a key list walks every primary in turn.
//!
//! The list's cursor stays one `u64`, as with a single server: the node's
//! index in the top 16 bits and that node's own `SCAN` cursor in the rest,
//! so `0` still means "start" and, at the end, "done". (A Redis cursor
//! needs more than 48 bits only for a hash table of 2^48 buckets, which no
//! server can hold; a larger one is refused, not truncated.)

use anyhow::Context;
use redis::aio::MultiplexedConnection;
use tokio_util::sync::CancellationToken;

use super::actions::{self, Change, Pace, Report, Step, Target};
use super::cluster::{key_slot, node_url, shards, with_url};
use super::values::{self, KeyPage, ReadLimits, ValueView};
use crate::register::settings::RedisSettings;
use crate::register::ResolvedConnection;

const NODE_SHIFT: u32 = 48;
const NODE_CURSOR_MASK: u64 = (1 << NODE_SHIFT) - 1;

#[derive(Clone)]
struct Node {
    con: MultiplexedConnection,
    /// Slot ranges served; empty for a standalone server (every key).
    slots: Vec<(u16, u16)>,
}

/// The connections a browser needs for one register connection.
#[derive(Clone)]
pub struct Keyspace {
    nodes: Vec<Node>,
}

impl Keyspace {
    /// Connect: the server itself, or every primary of the cluster (from
    /// `CLUSTER SHARDS`, through the address the register names).
    pub async fn open(conn: &ResolvedConnection, settings: &RedisSettings) -> anyhow::Result<Self> {
        let mut seed = super::connect(conn, settings).await?;
        if !conn.cluster {
            return Ok(Keyspace {
                nodes: vec![Node {
                    con: seed,
                    slots: Vec::new(),
                }],
            });
        }
        let url = url::Url::parse(conn.url.expose())
            .with_context(|| format!("invalid Redis URL {}", conn.url))?;
        let host = url.host_str().unwrap_or("127.0.0.1").to_string();
        let tls = url.scheme() == "rediss";
        let shards = shards(&mut seed, &host, tls)
            .await
            .with_context(|| format!("cluster topology from {}", conn.url))?;
        drop(seed);
        let mut nodes = Vec::with_capacity(shards.len());
        for s in shards {
            let node = with_url(
                conn,
                &node_url(conn.url.expose(), &s.primary.host, s.primary.port)?,
            );
            let con = super::connect(&node, settings)
                .await
                .with_context(|| format!("cluster primary {}", s.primary.addr()))?;
            nodes.push(Node {
                con,
                slots: s.slots,
            });
        }
        Ok(Keyspace { nodes })
    }

    /// How many servers hold keys (1, or the cluster's primaries).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The connection of the server that holds `key`.
    pub fn con_for(&self, key: &[u8]) -> MultiplexedConnection {
        if self.nodes.len() > 1 {
            let slot = key_slot(key);
            if let Some(n) = self
                .nodes
                .iter()
                .find(|n| n.slots.iter().any(|&(a, b)| (a..=b).contains(&slot)))
            {
                return n.con.clone();
            }
        }
        // One server, or a slot no primary claims (a cluster being
        // resharded): the first node answers, with MOVED if it must.
        self.nodes[0].con.clone()
    }

    /// At least `want` keys matching `glob` (fewer at the end), from the
    /// composite `cursor` (see the module docs), sorted by name.
    pub async fn key_page(
        &self,
        glob: &[u8],
        cursor: u64,
        want: usize,
        scan_count: u32,
        delimiters: &[u8],
    ) -> anyhow::Result<KeyPage> {
        let mut node = (cursor >> NODE_SHIFT) as usize;
        let mut node_cursor = cursor & NODE_CURSOR_MASK;
        let mut rows = Vec::new();
        let mut next = 0;
        while let Some(n) = self.nodes.get(node) {
            let mut con = n.con.clone();
            let page = values::key_page(
                &mut con,
                glob,
                node_cursor,
                want.saturating_sub(rows.len()).max(1),
                scan_count,
                delimiters,
            )
            .await?;
            rows.extend(page.rows);
            if page.next_cursor > NODE_CURSOR_MASK {
                anyhow::bail!("the server's SCAN cursor does not fit in 48 bits");
            }
            if page.next_cursor != 0 {
                next = ((node as u64) << NODE_SHIFT) | page.next_cursor;
            } else {
                node += 1;
                node_cursor = 0;
                next = if node < self.nodes.len() {
                    (node as u64) << NODE_SHIFT
                } else {
                    0
                };
            }
            if rows.len() >= want || next == 0 || page.next_cursor != 0 {
                break;
            }
        }
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(KeyPage {
            rows,
            next_cursor: next,
        })
    }

    /// One page of a key's value, from the server that holds it.
    pub async fn read_value_page(
        &self,
        key: &[u8],
        limits: ReadLimits,
        from: Option<&str>,
    ) -> redis::RedisResult<ValueView> {
        values::read_value_page(&mut self.con_for(key), key, limits, from).await
    }

    /// `UNLINK` one key on the server that holds it.
    pub async fn unlink_key(&self, key: &[u8]) -> redis::RedisResult<bool> {
        actions::unlink_key(&mut self.con_for(key), key).await
    }

    /// Make `change` to every key of the namespace `target` on every
    /// server, one after the other, with one report summed over them.
    pub async fn change_namespace(
        &self,
        change: Change,
        target: &Target<'_>,
        pace: Pace,
        cancel: &CancellationToken,
        progress: impl FnMut(Step),
    ) -> redis::RedisResult<Report> {
        self.each_node(change, target, pace, cancel, progress, false)
            .await
    }

    /// Count what [`Keyspace::change_namespace`] would change, on every
    /// server, changing nothing.
    pub async fn plan_namespace(
        &self,
        change: Change,
        target: &Target<'_>,
        pace: Pace,
        cancel: &CancellationToken,
    ) -> redis::RedisResult<Report> {
        self.each_node(change, target, pace, cancel, |_| {}, true)
            .await
    }

    async fn each_node(
        &self,
        change: Change,
        target: &Target<'_>,
        pace: Pace,
        cancel: &CancellationToken,
        mut progress: impl FnMut(Step),
        dry_run: bool,
    ) -> redis::RedisResult<Report> {
        let mut total: Option<Report> = None;
        for n in &self.nodes {
            let done = total.clone().unwrap_or_default();
            let con = &mut n.con.clone();
            let r = if dry_run {
                actions::plan_namespace(con, target, change, pace, cancel).await?
            } else {
                let step = |s| progress(offset(&done, s));
                actions::change_namespace(con, target, change, pace, cancel, step).await?
            };
            total = Some(add(total, r));
            if cancel.is_cancelled() {
                break;
            }
        }
        Ok(total.unwrap_or_default())
    }
}

/// A node's progress, counted after what the previous nodes did.
fn offset(done: &Report, s: Step) -> Step {
    Step {
        scanned: done.scanned + s.scanned,
        changed: done.changed + s.changed,
    }
}

/// Two nodes' reports as one: counts summed, complete only if both are.
fn add(total: Option<Report>, r: Report) -> Report {
    match total {
        None => r,
        Some(t) => Report {
            scanned: t.scanned + r.scanned,
            outside: t.outside + r.outside,
            changed: t.changed + r.changed,
            unchanged: t.unchanged + r.unchanged,
            complete: t.complete && r.complete,
            elapsed_ms: t.elapsed_ms + r.elapsed_ms,
            ..t
        },
    }
}
