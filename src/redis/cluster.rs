//! Redis Cluster and replicas: which nodes a census reads, and one census
//! for a whole connection.
//!
//! A `[connection]` with `cluster = true` names one node of a cluster. The
//! topology comes from `CLUSTER SHARDS` (Redis ≥ 7), or `CLUSTER NODES` on
//! older servers; every primary then gets its own census over a standalone
//! connection (SCAN is per node), and the results are merged into one
//! [`Census`] by namespace pattern. With `read_from_replicas = true` each
//! shard is read on an online replica when it has one (`READONLY` first),
//! on its primary otherwise, and the result says which. A standalone server
//! with `read_from_replicas` is read on a replica listed by `INFO
//! replication` when one is online.
//!
//! Node addresses are those the cluster reports; the URL's scheme, user,
//! password and database, and the connection's TLS settings, are kept.

use anyhow::Context as _;
use redis::aio::MultiplexedConnection;
use redis::Value;
use tokio_util::sync::CancellationToken;

use super::census::{self, Census, CensusOptions, Progress, ServerId};
use crate::register::settings::RedisSettings;
use crate::register::{ResolvedConnection, SecretUrl};

/// The hash slot of a key (CRC16/XMODEM of the key, or of its `{hash tag}`,
/// modulo 16384), as Redis Cluster routes it.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) & 0x3fff
}

/// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// One node as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    pub id: String,
    pub host: String,
    pub port: u16,
    /// Reported serving (`health: online`, or no failure flag). Redis 7.0
    /// reports a replica that has not replicated a write yet as `loading`.
    pub online: bool,
    /// Reported failed or unreachable: never read.
    pub failed: bool,
}

impl ClusterNode {
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A primary, its replicas and its slot ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    pub primary: ClusterNode,
    pub replicas: Vec<ClusterNode>,
    pub slots: Vec<(u16, u16)>,
}

/// The shards of the cluster `con` is connected to: `CLUSTER SHARDS`, or
/// `CLUSTER NODES` when the server is older than 7.0. An empty address
/// stands for `seed_host`, the host the connection named. `tls` picks the
/// TLS port a node reports, when it reports one.
pub async fn shards(
    con: &mut MultiplexedConnection,
    seed_host: &str,
    tls: bool,
) -> anyhow::Result<Vec<Shard>> {
    let reply: redis::RedisResult<Value> =
        redis::cmd("CLUSTER").arg("SHARDS").query_async(con).await;
    let shards = match reply {
        Ok(v) => parse_shards(&v, seed_host, tls),
        Err(_) => {
            let text: String = redis::cmd("CLUSTER")
                .arg("NODES")
                .query_async(con)
                .await
                .context(
                "CLUSTER NODES (is this a Redis Cluster node? the register says cluster = true)",
            )?;
            parse_nodes(&text, seed_host)
        }
    };
    if shards.is_empty() {
        anyhow::bail!("the cluster reported no primary");
    }
    Ok(shards)
}

/// Pairs of a RESP2 flat array or a RESP3 map, keys as text.
fn pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Array(items) => items
            .chunks_exact(2)
            .filter_map(|kv| text(&kv[0]).map(|k| (k, &kv[1])))
            .collect(),
        Value::Map(items) => items
            .iter()
            .filter_map(|(k, v)| text(k).map(|k| (k, v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        other => text(other)?.parse().ok(),
    }
}

/// Parse a `CLUSTER SHARDS` reply.
pub fn parse_shards(reply: &Value, seed_host: &str, tls: bool) -> Vec<Shard> {
    let Value::Array(shards) = reply else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for shard in shards {
        let mut slots = Vec::new();
        let mut primary = None;
        let mut replicas = Vec::new();
        for (k, v) in pairs(shard) {
            match (k.as_str(), v) {
                ("slots", Value::Array(s)) => {
                    slots = s
                        .chunks_exact(2)
                        .filter_map(|r| Some((int(&r[0])? as u16, int(&r[1])? as u16)))
                        .collect();
                }
                ("nodes", Value::Array(nodes)) => {
                    for n in nodes {
                        let f = pairs(n);
                        let get = |name: &str| f.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
                        let port = if tls {
                            get("tls-port").or(get("port"))
                        } else {
                            get("port").or(get("tls-port"))
                        };
                        let Some(port) = port.and_then(int) else {
                            continue;
                        };
                        let host = ["endpoint", "ip"]
                            .iter()
                            .filter_map(|k| get(k).and_then(text))
                            .find(|h| !h.is_empty() && h != "?")
                            .unwrap_or_else(|| seed_host.to_string());
                        let node = ClusterNode {
                            id: get("id").and_then(text).unwrap_or_default(),
                            host,
                            port: port as u16,
                            online: get("health").and_then(text).as_deref() == Some("online"),
                            failed: get("health").and_then(text).as_deref() == Some("failed"),
                        };
                        match get("role").and_then(text).as_deref() {
                            Some("master") if primary.is_none() => primary = Some(node),
                            Some("master") => {}
                            _ => replicas.push(node),
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(primary) = primary {
            out.push(Shard {
                primary,
                replicas,
                slots,
            });
        }
    }
    out
}

/// Parse `CLUSTER NODES` text (one line per node:
/// `id ip:port@cport[,hostname] flags primary-id ping pong epoch link slots…`).
pub fn parse_nodes(text: &str, seed_host: &str) -> Vec<Shard> {
    struct Line {
        node: ClusterNode,
        primary: bool,
        of: String,
        slots: Vec<(u16, u16)>,
    }
    let mut lines = Vec::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 8 {
            continue;
        }
        let addr = f[1].split(['@', ',']).next().unwrap_or("");
        let Some((host, port)) = addr.rsplit_once(':') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let flags: Vec<&str> = f[2].split(',').collect();
        let bad = flags
            .iter()
            .any(|x| matches!(*x, "fail" | "fail?" | "handshake" | "noaddr"));
        let slots = f[8..]
            .iter()
            .filter(|s| !s.starts_with('['))
            .filter_map(|s| match s.split_once('-') {
                Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                None => s.parse().ok().map(|x| (x, x)),
            })
            .collect();
        lines.push(Line {
            node: ClusterNode {
                id: f[0].to_string(),
                host: if host.is_empty() {
                    seed_host.to_string()
                } else {
                    host.to_string()
                },
                port,
                online: !bad && f[7] == "connected",
                failed: bad || f[7] != "connected",
            },
            primary: flags.contains(&"master"),
            of: f[3].to_string(),
            slots,
        });
    }
    let mut shards: Vec<Shard> = lines
        .iter()
        .filter(|l| l.primary)
        .map(|l| Shard {
            primary: l.node.clone(),
            replicas: Vec::new(),
            slots: l.slots.clone(),
        })
        .collect();
    for l in lines.iter().filter(|l| !l.primary) {
        if let Some(s) = shards.iter_mut().find(|s| s.primary.id == l.of) {
            s.replicas.push(l.node.clone());
        }
    }
    shards
}

/// `url` pointed at `host:port`, keeping scheme, user, password, database
/// and query.
pub fn node_url(url: &str, host: &str, port: u16) -> anyhow::Result<String> {
    let mut u = url::Url::parse(url).context("the Redis URL is not a URL")?;
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    u.set_host(Some(&host))
        .map_err(|e| anyhow::anyhow!("node address {host}: {e}"))?;
    u.set_port(Some(port))
        .map_err(|()| anyhow::anyhow!("a {} URL takes no port", u.scheme()))?;
    Ok(u.to_string())
}

/// The node a census reads, with how to name it.
#[derive(Debug, Clone)]
struct Target {
    /// `host:port`, the prefix of this node's warnings.
    label: String,
    url: String,
    replica: bool,
}

pub(crate) fn with_url(conn: &ResolvedConnection, url: &str) -> ResolvedConnection {
    ResolvedConnection {
        url: SecretUrl::new(url),
        ..conn.clone()
    }
}

/// One census for a connection, whatever it is: a standalone server (or
/// one of its replicas, with `read_from_replicas`), or every shard of a
/// Redis Cluster, merged. Use this instead of [`census::run`].
pub async fn census_connection(
    conn: &ResolvedConnection,
    settings: &RedisSettings,
    opts: &CensusOptions,
    cancel: &CancellationToken,
    mut progress: impl FnMut(Progress) + Send,
) -> anyhow::Result<Census> {
    if !conn.cluster {
        let server = identify(conn, settings).await?;
        let (target, note) = if conn.read_from_replicas {
            standalone_replica(conn, settings).await?
        } else {
            (None, None)
        };
        let mut c = match target {
            Some(t) => {
                let label = format!("replica {} of {}", t.label, conn.url.redacted());
                census_node(conn, &t, &label, settings, opts, cancel, progress).await?
            }
            None => {
                census_node(
                    conn,
                    &Target {
                        label: conn.url.redacted(),
                        url: conn.url.expose().to_string(),
                        replica: false,
                    },
                    &conn.url.redacted(),
                    settings,
                    opts,
                    cancel,
                    progress,
                )
                .await?
            }
        };
        if let Some(n) = note {
            c.warnings.insert(0, n);
        }
        c.server = Some(server);
        return Ok(c);
    }

    let seed = url::Url::parse(conn.url.expose())
        .with_context(|| format!("invalid Redis URL {}", conn.url))?;
    let seed_host = seed.host_str().unwrap_or("127.0.0.1").to_string();
    let tls = seed.scheme() == "rediss";
    let mut con = super::connect(conn, settings).await?;
    let shards = shards(&mut con, &seed_host, tls)
        .await
        .with_context(|| format!("cluster topology from {}", conn.url))?;
    drop(con);
    let server = ServerId {
        run: cluster_run(&shards),
        ..place(conn, true)
    };

    let mut targets = Vec::new();
    let mut notes = Vec::new();
    for s in &shards {
        let replica = if conn.read_from_replicas {
            pick_replica(conn, settings, s).await
        } else {
            None
        };
        let (node, is_replica) = match replica {
            Some(r) => (r, true),
            None => {
                if conn.read_from_replicas {
                    notes.push(format!(
                        "{}: no replica online, the primary was read",
                        s.primary.addr()
                    ));
                }
                (&s.primary, false)
            }
        };
        targets.push(Target {
            label: node.addr(),
            url: node_url(conn.url.expose(), &node.host, node.port)?,
            replica: is_replica,
        });
    }
    let n = targets.len();
    let on_replicas = targets.iter().filter(|t| t.replica).count();
    let name = if conn.read_from_replicas {
        format!(
            "cluster ({n} primaries; read on {on_replicas} replicas, {} primaries)",
            n - on_replicas
        )
    } else {
        format!("cluster ({n} primaries)")
    };

    // Every node at once (each under its own load budget); progress is the
    // merge of each node's latest report.
    struct Shared<F> {
        latest: Vec<Option<Progress>>,
        report: F,
    }
    let shared = std::sync::Mutex::new(Shared {
        latest: vec![None; n],
        report: &mut progress,
    });
    let runs = targets.iter().enumerate().map(|(i, t)| {
        let shared = &shared;
        let name = &name;
        async move {
            let label = t.label.clone();
            let r = census_node(conn, t, &label, settings, opts, cancel, |p: Progress| {
                let Ok(mut s) = shared.lock() else {
                    return;
                };
                s.latest[i] = Some(p);
                let mut merged = merged_progress(&s.latest);
                merged.partial.node = name.clone();
                (s.report)(merged);
            })
            .await;
            (t, r)
        }
    });
    let results = futures::future::join_all(runs).await;

    let mut out = Census {
        node: name.clone(),
        complete: true,
        warnings: notes,
        ..Census::default()
    };
    let mut failures = 0;
    for (t, r) in results {
        match r {
            Ok(mut c) => {
                for w in c.warnings.iter_mut().chain(c.stopped.as_mut()) {
                    *w = format!("{}: {w}", t.label);
                }
                out = census::merge(out, &c);
            }
            Err(e) => {
                failures += 1;
                let why = format!("{}: census failed: {e:#}", t.label);
                out.warnings.push(why.clone());
                out = census::merge(
                    out,
                    &Census {
                        stopped: Some(why),
                        ..Census::default()
                    },
                );
            }
        }
    }
    if failures == n {
        anyhow::bail!("census failed on every node: {}", out.warnings.join("; "));
    }
    out.node = name;
    out.server = Some(server);
    Ok(out)
}

/// Which server (or cluster) a connection reaches, and which run of it:
/// what a census of it is kept and compared by ([`census::cache`]). One
/// `INFO server` (its `run_id`), or for a cluster its topology (the ids of
/// its nodes, primaries and replicas, which survive restarts).
pub async fn identify(
    conn: &ResolvedConnection,
    settings: &RedisSettings,
) -> anyhow::Result<ServerId> {
    let mut con = super::connect(conn, settings).await?;
    let run = if conn.cluster {
        let seed = url::Url::parse(conn.url.expose())
            .with_context(|| format!("invalid Redis URL {}", conn.url))?;
        let host = seed.host_str().unwrap_or("127.0.0.1").to_string();
        let shards = shards(&mut con, &host, seed.scheme() == "rediss").await?;
        cluster_run(&shards)
    } else {
        // A server that refuses INFO is known by its address alone.
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut con)
            .await
            .unwrap_or_default();
        info.lines()
            .find_map(|l| l.trim().strip_prefix("run_id:"))
            .unwrap_or_default()
            .to_string()
    };
    Ok(ServerId {
        run,
        ..place(conn, conn.cluster)
    })
}

/// Where a connection points: `host:port/db` (no password) and the user.
fn place(conn: &ResolvedConnection, cluster: bool) -> ServerId {
    let address = match super::server_and_db(conn) {
        Some(((host, port), db)) => format!("{host}:{port}/{db}"),
        None => conn.url.redacted(),
    };
    let user = url::Url::parse(conn.url.expose())
        .ok()
        .and_then(|u| {
            percent_encoding::percent_decode_str(u.username())
                .decode_utf8()
                .ok()
                .map(|s| s.into_owned())
        })
        .filter(|u| !u.is_empty());
    ServerId {
        address,
        user,
        cluster,
        run: String::new(),
    }
}

/// A cluster's run: a digest of its nodes' ids, sorted.
fn cluster_run(shards: &[Shard]) -> String {
    let mut ids: Vec<&str> = shards
        .iter()
        .flat_map(|s| std::iter::once(&s.primary).chain(&s.replicas))
        .map(|n| n.id.as_str())
        .collect();
    ids.sort_unstable();
    census::cache::digest(&ids)
}

/// The first replica of the shard that says its link to the primary is up
/// (those reported online tried first; failed ones never).
async fn pick_replica<'a>(
    conn: &ResolvedConnection,
    settings: &RedisSettings,
    shard: &'a Shard,
) -> Option<&'a ClusterNode> {
    let mut candidates: Vec<&ClusterNode> = shard.replicas.iter().filter(|r| !r.failed).collect();
    candidates.sort_by_key(|r| !r.online);
    for r in candidates {
        let Ok(url) = node_url(conn.url.expose(), &r.host, r.port) else {
            continue;
        };
        let Ok(mut con) = super::connect(&with_url(conn, &url), settings).await else {
            continue;
        };
        let info: redis::RedisResult<String> = redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut con)
            .await;
        if info.is_ok_and(|i| i.lines().any(|l| l.trim() == "master_link_status:up")) {
            return Some(r);
        }
    }
    None
}

fn merged_progress(latest: &[Option<Progress>]) -> Progress {
    let mut partial = Census {
        complete: true,
        ..Census::default()
    };
    let mut paused = false;
    for p in latest.iter().flatten() {
        paused |= p.paused;
        partial = census::merge(partial, &p.partial);
    }
    partial.complete &= latest.iter().all(Option::is_some);
    Progress {
        scanned: partial.scanned,
        dbsize: partial.dbsize,
        paused,
        fault: latest.iter().flatten().find_map(|p| p.fault.clone()),
        partial,
    }
}

/// With `read_from_replicas` on a standalone server: an online replica
/// from `INFO replication`, if any (and a note when there is none).
async fn standalone_replica(
    conn: &ResolvedConnection,
    settings: &RedisSettings,
) -> anyhow::Result<(Option<Target>, Option<String>)> {
    let mut con = super::connect(conn, settings).await?;
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query_async(&mut con)
        .await
        .context("INFO replication")?;
    if info.lines().any(|l| l.trim() == "role:slave") {
        return Ok((None, None)); // the URL already names a replica
    }
    if let Some((host, port)) = online_replicas(&info).into_iter().next() {
        let url = node_url(conn.url.expose(), &host, port)?;
        let label = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        return Ok((
            Some(Target {
                label,
                url,
                replica: true,
            }),
            None,
        ));
    }
    Ok((
        None,
        Some("no replica online: the primary was read".to_string()),
    ))
}

/// `slaveN:ip=…,port=…,state=online,…` lines of `INFO replication`.
pub fn online_replicas(info: &str) -> Vec<(String, u16)> {
    info.lines()
        .filter_map(|l| {
            let (name, rest) = l.trim().split_once(':')?;
            if !name.starts_with("slave") || name[5..].parse::<u32>().is_err() {
                return None;
            }
            let get = |k: &str| {
                rest.split(',')
                    .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            };
            if get("state") != Some("online") {
                return None;
            }
            Some((get("ip")?.to_string(), get("port")?.parse().ok()?))
        })
        .collect()
}

async fn census_node(
    conn: &ResolvedConnection,
    t: &Target,
    name: &str,
    settings: &RedisSettings,
    opts: &CensusOptions,
    cancel: &CancellationToken,
    progress: impl FnMut(Progress) + Send,
) -> anyhow::Result<Census> {
    let node = with_url(conn, &t.url);
    let links = open_links(&node, settings, t.replica, &t.label).await?;
    let monitor = super::connect(&node, settings).await.ok();
    let reopen = {
        let (node, settings, replica, label) =
            (node.clone(), settings.clone(), t.replica, t.label.clone());
        move || -> futures::future::BoxFuture<'static, anyhow::Result<census::Links>> {
            let (node, settings, label) = (node.clone(), settings.clone(), label.clone());
            Box::pin(async move { open_links(&node, &settings, replica, &label).await })
        }
    };
    census::run_node(links, Some(&reopen), monitor, name, opts, cancel, progress)
        .await
        .with_context(|| format!("census of {}", t.label))
}

/// A census's connections to a node: the general client, and its own
/// plain connection for the batches when the URL allows (see `wire`; else
/// the general client fetches them too, with the same commands). On a
/// replica, `READONLY` first (a standalone replica refuses it, harmlessly).
async fn open_links(
    node: &ResolvedConnection,
    settings: &RedisSettings,
    replica: bool,
    label: &str,
) -> anyhow::Result<census::Links> {
    let mut con = super::connect(node, settings).await?;
    if replica {
        let _not_a_cluster_replica: redis::RedisResult<()> =
            redis::cmd("READONLY").query_async(&mut con).await;
    }
    let timeouts = (
        std::time::Duration::from_millis(settings.connect_timeout_ms),
        std::time::Duration::from_millis(settings.command_timeout_ms),
    );
    let wire = match super::wire::Wire::open(node, timeouts.0, timeouts.1).await {
        Ok(Some(mut w)) => {
            if replica {
                w.command(&[b"READONLY"]);
                let _not_a_cluster_replica = w.exchange(1).await;
            }
            Some(w)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(node = %label, error = %format!("{e:#}"), "census: own connection refused, using the general client");
            None
        }
    };
    Ok(census::Links { con, wire })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis() {
        // CRC16/XMODEM check value, and slots from `CLUSTER KEYSLOT`.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"hello"), 866);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn cluster_nodes_text_is_parsed() {
        let text = "\
07c3 127.0.0.1:30004@31004 slave e7d1 0 1426238317239 4 connected
67ed 127.0.0.1:30002@31002,node-2 master - 0 1426238316232 2 connected 5461-10922
292f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383
6ec2 127.0.0.1:30005@31005 slave 67ed 0 1426238316232 5 connected
824f 127.0.0.1:30006@31006 slave,fail 292f 0 1426238317741 6 connected
e7d1 :30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed]
";
        let s = parse_nodes(text, "10.0.0.1");
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].primary.addr(), "127.0.0.1:30002");
        assert_eq!(s[0].slots, vec![(5461, 10922)]);
        assert_eq!(s[0].replicas[0].addr(), "127.0.0.1:30005");
        assert!(!s[1].replicas[0].online, "a failed replica is not online");
        assert!(s[1].replicas[0].failed && !s[0].replicas[0].failed);
        assert_eq!(s[2].primary.addr(), "10.0.0.1:30001", "empty ip: the seed");
        assert_eq!(s[2].slots, vec![(0, 5460)]);
        assert_eq!(s[2].replicas.len(), 1);
    }

    #[test]
    fn cluster_shards_reply_is_parsed() {
        let b = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let node = |id: &str, port: i64, role: &str, health: &str| {
            Value::Array(vec![
                b("id"),
                b(id),
                b("port"),
                Value::Int(port),
                b("tls-port"),
                Value::Int(port + 1000),
                b("ip"),
                b("127.0.0.1"),
                b("endpoint"),
                b("127.0.0.1"),
                b("role"),
                b(role),
                b("health"),
                b(health),
            ])
        };
        let reply = Value::Array(vec![Value::Array(vec![
            b("slots"),
            Value::Array(vec![Value::Int(0), Value::Int(5460)]),
            b("nodes"),
            Value::Array(vec![
                node("a", 7000, "master", "online"),
                node("b", 7003, "replica", "loading"),
                node("c", 7004, "replica", "online"),
            ]),
        ])]);
        let s = parse_shards(&reply, "x", false);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].primary.addr(), "127.0.0.1:7000");
        assert_eq!(s[0].slots, vec![(0, 5460)]);
        assert_eq!(
            s[0].replicas.iter().filter(|r| r.online).count(),
            1,
            "{:?}",
            s[0].replicas
        );
        assert_eq!(parse_shards(&reply, "x", true)[0].primary.port, 8000);
    }

    #[test]
    fn node_urls_keep_credentials_and_scheme() {
        assert_eq!(
            node_url("rediss://auditor:pw@10.0.0.1:6379/0", "10.0.0.2", 7001).unwrap(),
            "rediss://auditor:pw@10.0.0.2:7001/0"
        );
        assert_eq!(
            node_url("redis://127.0.0.1:7000", "::1", 7002).unwrap(),
            "redis://[::1]:7002"
        );
    }

    #[test]
    fn online_replicas_from_info() {
        let info = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n\
slave0:ip=127.0.0.1,port=6380,state=wait_bgsave,offset=0,lag=0\r\n\
slave1:ip=127.0.0.1,port=6381,state=online,offset=42,lag=0\r\nmaster_repl_offset:42\r\n";
        assert_eq!(online_replicas(info), vec![("127.0.0.1".to_string(), 6381)]);
    }
}
