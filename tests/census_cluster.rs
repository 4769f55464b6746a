//! The census of a Redis Cluster: a 3-node cluster started by the test, the
//! demo keys spread over it by hash slot, then one census of the whole
//! connection (`cluster = true`) that must account for every key of every
//! primary, with TTL health and key-name personal data counted exactly
//! (figures computed key by key by the test) and equal, pattern by pattern,
//! to the census of the same keys on a single server. Then the same read on
//! the replicas (`read_from_replicas = true`).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use oubli::pii::Kind;
use oubli::redis::census::{self, Census};
use oubli::redis::cluster::{self, key_slot};
use oubli::register::ResolvedConnection;
use redis::aio::MultiplexedConnection;
use redis::Value;
use tokio_util::sync::CancellationToken;

use common::{
    census_options as options, connection, redis_settings as settings, TestCluster, TestRedis,
    SEVEN_DAYS_MS,
};

/// The demo keys, seeded on a standalone server, then copied (`DUMP`,
/// `PTTL`, `RESTORE`) to the primary that owns each key's slot. Returns the
/// source server (kept for comparison) and the number of keys copied.
async fn seed_cluster(c: &TestCluster, keys: usize) -> (TestRedis, MultiplexedConnection, u64) {
    let src = TestRedis::start();
    let mut from = src.connection().await;
    let opts = oubli::demo::SeedOptions {
        users: 300,
        keys,
        seed: 11,
    };
    oubli::demo::seed_redis(&mut from, &opts).await.unwrap();

    let mut any = c.connection(c.ports[0]).await;
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut any)
        .await
        .unwrap();
    let mut owner = vec![0u16; 16_384];
    for s in cluster::parse_nodes(&nodes, "127.0.0.1") {
        for (a, b) in s.slots {
            for slot in a..=b {
                owner[usize::from(slot)] = s.primary.port;
            }
        }
    }
    assert!(owner.iter().all(|&p| p != 0), "every slot has a primary");
    let mut cons: HashMap<u16, MultiplexedConnection> = HashMap::new();
    for p in c.primaries() {
        cons.insert(p, c.connection(p).await);
    }

    let mut copied = 0u64;
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut from)
            .await
            .unwrap();
        // SCAN may return an empty batch with a cursor to go on with.
        if batch.is_empty() {
            cursor = next;
            if cursor == 0 {
                break;
            }
            continue;
        }
        let mut pipe = redis::pipe();
        for k in &batch {
            pipe.cmd("DUMP").arg(k).cmd("PTTL").arg(k);
        }
        let replies: Vec<Value> = pipe.query_async(&mut from).await.unwrap();
        let mut per_node: HashMap<u16, redis::Pipeline> = HashMap::new();
        for (k, r) in batch.iter().zip(replies.chunks_exact(2)) {
            let (Value::BulkString(payload), Value::Int(pttl)) = (&r[0], &r[1]) else {
                continue; // expired meanwhile
            };
            if *pttl == -2 {
                continue;
            }
            per_node
                .entry(owner[usize::from(key_slot(k))])
                .or_insert_with(redis::pipe)
                .cmd("RESTORE")
                .arg(k)
                .arg((*pttl).max(0))
                .arg(payload.as_slice())
                .arg("REPLACE")
                .ignore();
            copied += 1;
        }
        for (port, pipe) in per_node {
            let con = cons.get_mut(&port).expect("a primary owns the slot");
            // A wrong slot would be refused with MOVED: this also checks key_slot.
            let () = pipe.query_async(con).await.unwrap();
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    (src, from, copied)
}

fn key_pii_total(c: &Census, kind: Kind) -> u64 {
    c.namespaces
        .iter()
        .map(|n| n.key_pii.get(&kind).copied().unwrap_or(0))
        .sum()
}

/// What must not depend on where the keys live, per pattern.
fn by_pattern(c: &Census) -> BTreeMap<String, (u64, u64, u64, BTreeMap<Kind, u64>)> {
    c.namespaces
        .iter()
        .map(|n| {
            (
                n.pattern.clone(),
                (n.keys, n.no_ttl, n.ttl_beyond_retention, n.key_pii.clone()),
            )
        })
        .collect()
}

/// Checks a census of the cluster against the keys of its primaries.
async fn check_exact(c: &TestCluster, got: &Census, standalone: &Census) {
    let mut refs = Vec::new();
    let mut dbsize = 0u64;
    for p in c.primaries() {
        let mut con = c.connection(p).await;
        dbsize += redis::cmd("DBSIZE")
            .query_async::<u64>(&mut con)
            .await
            .unwrap();
        refs.extend(common::reference(&mut con).await);
    }
    assert!(got.complete, "{:?}", got.warnings);
    assert_eq!(got.dbsize, dbsize, "DBSIZE summed over the primaries");
    assert_eq!(
        got.scanned + got.vanished,
        dbsize,
        "every key accounted for"
    );
    assert_eq!(got.total(|n| n.keys), got.scanned);
    assert_eq!(refs.len() as u64, dbsize);

    let no_ttl = refs.iter().filter(|(_, t)| *t == -1).count() as u64;
    let beyond = refs.iter().filter(|(_, t)| *t > SEVEN_DAYS_MS).count() as u64;
    assert!(no_ttl > 0 && beyond > 0);
    assert_eq!(got.total(|n| n.no_ttl), no_ttl);
    assert_eq!(got.total(|n| n.ttl_beyond_retention), beyond);
    assert!(got.total(|n| n.bytes) > 1_000_000, "MEMORY USAGE measured");

    let count = |prefix: &[u8]| refs.iter().filter(|(k, _)| k.starts_with(prefix)).count() as u64;
    assert_eq!(
        key_pii_total(got, Kind::Email),
        count(b"app:production:user_session_domain:")
    );
    assert_eq!(key_pii_total(got, Kind::Phone), count(b"otp:"));
    assert_eq!(
        key_pii_total(got, Kind::IpAddress),
        count(b"rate_limit:") + count(b"rack::attack:")
    );
    assert!(key_pii_total(got, Kind::PostalAddress) >= count(b"cache:api-adresse:"));
    assert!(count(b"app:production:user_session_domain:") > 0 && count(b"otp:") > 0);

    // The same keys on one server give the same namespaces, pattern by pattern.
    assert_eq!(by_pattern(got), by_pattern(standalone));
}

async fn census_of(conn: &ResolvedConnection) -> (Census, u64) {
    let mut reports = 0u64;
    let c = cluster::census_connection(
        conn,
        &settings(),
        &options(),
        &CancellationToken::new(),
        |p| {
            assert!(
                p.partial.node.starts_with("cluster ("),
                "{}",
                p.partial.node
            );
            reports += 1;
        },
    )
    .await
    .unwrap();
    (c, reports)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_census_counts_every_key_of_every_primary() {
    let c = TestCluster::start(3, 0);
    assert_eq!(c.primaries().len(), 3);
    let (_src, mut from, copied) = seed_cluster(&c, 4_000).await;
    let standalone = census::run(
        &mut from,
        None,
        "standalone",
        &options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(standalone.scanned, copied);

    // Every primary holds a share of the keys.
    for p in c.primaries() {
        let mut con = c.connection(p).await;
        let n: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
        assert!(n > copied / 5, "node {p} holds {n} of {copied} keys");
    }

    let (got, reports) = census_of(&connection(&c.url(), true, false)).await;
    assert_eq!(got.node, "cluster (3 primaries)");
    // Known by the seed's address and the ids of its nodes.
    let server = got.server.clone().expect("the cluster named");
    assert!(server.cluster && !server.run.is_empty(), "{server:?}");
    assert_eq!(
        cluster::identify(&connection(&c.url(), true, false), &settings())
            .await
            .unwrap(),
        server
    );
    assert!(reports >= 3, "progress streamed from every node");
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    check_exact(&c, &got, &standalone).await;

    // Without `cluster = true`, one node alone is read: a third of the keys.
    let one = cluster::census_connection(
        &connection(&c.url(), false, false),
        &settings(),
        &options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(one.scanned < got.scanned);
    let node = one.server.expect("the node named");
    assert!(!node.cluster && !node.same_place(&server), "another place");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_census_can_read_the_replicas() {
    let c = TestCluster::start(3, 1);
    let (primaries, replicas) = (c.primaries(), c.replicas());
    assert_eq!((primaries.len(), replicas.len()), (3, 3));
    let (_src, mut from, _) = seed_cluster(&c, 3_000).await;
    let standalone = census::run(
        &mut from,
        None,
        "standalone",
        &options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    // Every write reached the replica before reading it.
    for p in &primaries {
        let mut con = c.connection(*p).await;
        let acked: i64 = redis::cmd("WAIT")
            .arg(1)
            .arg(10_000)
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(acked, 1, "the replica of {p} acknowledged the writes");
    }
    let scans = |port: u16| -> u64 {
        c.info(port, "commandstats")
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_scan:calls="))
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let before: Vec<u64> = primaries.iter().map(|&p| scans(p)).collect();

    let (got, _) = census_of(&connection(&c.url(), true, true)).await;
    assert_eq!(
        got.node, "cluster (3 primaries; read on 3 replicas, 0 primaries)",
        "{:?}",
        got.warnings
    );
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    for &r in &replicas {
        assert!(scans(r) > 0, "replica {r} was scanned");
    }
    let after: Vec<u64> = primaries.iter().map(|&p| scans(p)).collect();
    assert_eq!(before, after, "no primary was scanned");
    check_exact(&c, &got, &standalone).await;
}

/// Every key of every primary, with its PTTL.
async fn cluster_keys(c: &TestCluster) -> Vec<(Vec<u8>, i64)> {
    let mut all = Vec::new();
    for p in c.primaries() {
        let mut con = c.connection(p).await;
        all.extend(common::reference(&mut con).await);
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_lists_reads_and_changes_keys_on_every_primary() {
    use oubli::redis::actions::{Change, Pace, Target, TtlScope};
    use oubli::redis::keyspace::Keyspace;
    use oubli::redis::values::ReadLimits;

    let c = TestCluster::start(3, 0);
    let (_src, _from, copied) = seed_cluster(&c, 3_000).await;
    let ks = Keyspace::open(&connection(&c.url(), true, false), &settings())
        .await
        .unwrap();
    assert_eq!(ks.node_count(), 3);
    let before = cluster_keys(&c).await;
    assert_eq!(before.len() as u64, copied);

    // The key list walks every primary, page after page, each key once.
    let mut listed: Vec<Vec<u8>> = Vec::new();
    let (mut cursor, mut pages, mut nodes_seen) = (0u64, 0, std::collections::BTreeSet::new());
    loop {
        let page = ks.key_page(b"*", cursor, 200, 500, b":").await.unwrap();
        pages += 1;
        nodes_seen.insert(cursor >> 48);
        listed.extend(page.rows.into_iter().map(|r| r.key));
        cursor = page.next_cursor;
        if cursor == 0 {
            break;
        }
        assert!(pages < 1_000, "the key list ends");
    }
    assert_eq!(nodes_seen.len(), 3, "pages came from every primary");
    let mut want: Vec<Vec<u8>> = before.iter().map(|(k, _)| k.clone()).collect();
    want.sort();
    listed.sort();
    assert_eq!(listed.len(), want.len(), "no key listed twice or missed");
    assert_eq!(listed, want);

    // A value is read from the primary that holds it, whichever that is.
    for p in c.primaries() {
        let mut con = c.connection(p).await;
        let (_, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(0)
            .arg("COUNT")
            .arg(50)
            .query_async(&mut con)
            .await
            .unwrap();
        let key = keys.first().expect("every primary holds keys");
        let v = ks
            .read_value_page(key, ReadLimits::default(), None)
            .await
            .unwrap();
        assert_ne!(v.ty, "none", "key on {p} read through the keyspace");
    }

    // A namespace is changed on every primary, with one report.
    let otp = before
        .iter()
        .filter(|(k, _)| k.starts_with(b"otp:"))
        .count() as u64;
    let no_ttl_sessions = before
        .iter()
        .filter(|(k, t)| k.starts_with(b"app:production:user_session_domain:") && *t == -1)
        .count() as u64;
    assert!(otp > 10 && no_ttl_sessions > 10);
    let token = CancellationToken::new();
    let pace = Pace {
        scan_count: 500,
        max_ops_per_sec: 0,
    };
    let otp_ns = Target::new("otp:{phone}", b":").unwrap();
    let plan = ks
        .plan_namespace(Change::Unlink, &otp_ns, pace, &token)
        .await
        .unwrap();
    assert_eq!(plan.changed, otp, "counted on every primary");
    let r = ks
        .change_namespace(Change::Unlink, &otp_ns, pace, &token, |_| {})
        .await
        .unwrap();
    assert!(r.complete);
    assert_eq!(r.changed, otp);
    let r = ks
        .change_namespace(
            Change::Expire {
                ttl: Duration::from_secs(3_600),
                scope: TtlScope::NoTtl,
            },
            &Target::new("app:production:user_session_domain:{email}", b":").unwrap(),
            pace,
            &token,
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(r.changed, no_ttl_sessions);
    let after = cluster_keys(&c).await;
    assert!(!after.iter().any(|(k, _)| k.starts_with(b"otp:")));
    assert!(!after
        .iter()
        .any(|(k, t)| k.starts_with(b"app:production:user_session_domain:") && *t == -1));
    assert_eq!(after.len() as u64, copied - otp);

    // One key, on whichever primary holds it.
    let (key, _) = after.last().expect("keys left").clone();
    assert!(ks.unlink_key(&key).await.unwrap());
    assert_eq!(cluster_keys(&c).await.len() as u64, copied - otp - 1);
}
