//! The demo seeder against a real (throwaway) Redis and Postgres.

mod common;

use std::collections::BTreeMap;

use common::{TestPg, TestRedis};
use oubli::demo::{self, SeedOptions, SeedReport};
use redis::aio::MultiplexedConnection;
use redis::Value;

fn small(seed: u64) -> SeedOptions {
    SeedOptions {
        users: 500,
        keys: 3_000,
        seed,
    }
}

async fn query<T: redis::FromRedisValue>(con: &mut MultiplexedConnection, c: &redis::Cmd) -> T {
    c.query_async(con).await.expect("redis command failed")
}

async fn keys_matching(con: &mut MultiplexedConnection, pattern: &str) -> Vec<Vec<u8>> {
    let mut cursor = 0u64;
    let mut out = Vec::new();
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = query(
            con,
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1_000),
        )
        .await;
        out.extend(keys);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    out.sort();
    out
}

async fn ttl(con: &mut MultiplexedConnection, key: &[u8]) -> i64 {
    query(con, redis::cmd("TTL").arg(key)).await
}

fn count_of(report: &SeedReport, item: &str) -> u64 {
    report
        .items
        .iter()
        .find(|(p, _)| p == item)
        .unwrap_or_else(|| panic!("no report line {item}"))
        .1
}

/// Every key with its type, TTL class and full value, normalised (sets and
/// hashes sorted) so two seedings can be compared.
async fn snapshot(con: &mut MultiplexedConnection) -> BTreeMap<Vec<u8>, String> {
    let mut out = BTreeMap::new();
    for key in keys_matching(con, "*").await {
        let kind: String = query(con, redis::cmd("TYPE").arg(&key)).await;
        let value: Value = match kind.as_str() {
            "string" => query(con, redis::cmd("GET").arg(&key)).await,
            "list" => query(con, redis::cmd("LRANGE").arg(&key).arg(0).arg(-1)).await,
            "set" => query(con, redis::cmd("SMEMBERS").arg(&key)).await,
            "hash" => query(con, redis::cmd("HGETALL").arg(&key)).await,
            "zset" => {
                query(
                    con,
                    redis::cmd("ZRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES"),
                )
                .await
            }
            "stream" => query(con, redis::cmd("XRANGE").arg(&key).arg("-").arg("+")).await,
            other => panic!("unexpected type {other}"),
        };
        let mut repr = match value {
            Value::Array(items) | Value::Set(items) => {
                let mut v: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
                if kind == "set" {
                    v.sort();
                }
                v.join("|")
            }
            Value::Map(pairs) => {
                let mut v: Vec<String> = pairs.iter().map(|p| format!("{p:?}")).collect();
                v.sort();
                v.join("|")
            }
            other => format!("{other:?}"),
        };
        if kind == "hash" {
            // RESP2 returns hashes as flat arrays: sort field/value pairs.
            let parts: Vec<&str> = repr.split('|').collect();
            let mut pairs: Vec<String> = parts.chunks(2).map(|c| c.join("=")).collect();
            pairs.sort();
            repr = pairs.join("|");
        }
        let t = ttl(con, &key).await;
        out.insert(key, format!("{kind} ttl:{} {repr}", t > 0));
    }
    out
}

#[tokio::test]
async fn redis_seed_writes_every_shape_with_its_ttl() {
    let server = TestRedis::start();
    let mut con = server.connection().await;
    let report = demo::seed_redis(&mut con, &small(7))
        .await
        .expect("seeding");
    assert_eq!(report.target, "redis");

    let dbsize: u64 = query(&mut con, &redis::cmd("DBSIZE")).await;
    assert_eq!(dbsize, report.total, "DBSIZE equals the report total");
    assert_eq!(report.total, 3_000, "exactly opts.keys keys");
    assert_eq!(
        report.items.iter().map(|(_, n)| n).sum::<u64>(),
        report.total
    );

    // Every line is a SCAN pattern matching exactly its count, and none is empty.
    for (pattern, n) in &report.items {
        assert!(*n > 0, "{pattern} is empty");
        if pattern == demo::ODD_KEYS {
            continue;
        }
        let found = keys_matching(&mut con, pattern).await.len() as u64;
        assert_eq!(found, *n, "keys matching {pattern}");
    }
    for shape in [
        "rdv:sessions:*",
        "cache:views/organisations/*/agenda/*",
        "cache:api-adresse:*",
        "rack::attack:*:req/ip:*",
        "rate_limit:*",
        "app:production:user_session_domain:*",
        "otp:*",
        "exports:*",
        "counters:sms_sent:*",
        "stat:processed",
        "queue:default",
        "queue:mailers",
        "schedule",
        "retry",
        "processes",
        "user:*:notifications",
        "user:*:profile",
        "agenda:*:busy",
        "events:audit",
        "big:value",
        "big:hash",
        "big:list",
    ] {
        assert!(count_of(&report, shape) > 0, "{shape}");
    }

    // TTL classes, checked on every key of a shape.
    let week = 7 * 86_400;
    for (pattern, check) in [
        (
            "rdv:sessions:*",
            (|t: i64| t > 0 && t <= 2 * 86_400) as fn(i64) -> bool,
        ),
        ("cache:api-adresse:*", |t| t > 7 * 86_400),
        ("exports:*", |t| t > 7 * 86_400),
        ("otp:*", |t| t > 0 && t <= 600),
        ("rack::attack:*", |t| t > 0 && t <= 60),
        ("rate_limit:*", |t| t == -1),
        ("app:production:user_session_domain:*", |t| t == -1),
        ("counters:sms_sent:*", |t| t == -1),
    ] {
        for key in keys_matching(&mut con, pattern).await {
            let t = ttl(&mut con, &key).await;
            assert!(check(t), "{pattern}: ttl {t}");
        }
    }
    let mut no_ttl = 0;
    let mut beyond_week = 0;
    for key in keys_matching(&mut con, "*").await {
        let t = ttl(&mut con, &key).await;
        no_ttl += usize::from(t == -1);
        beyond_week += usize::from(t > week);
    }
    assert!(no_ttl > 600, "keys without TTL: {no_ttl}");
    assert!(
        beyond_week > 200,
        "keys with TTL beyond 7 days: {beyond_week}"
    );

    // Personal data in key names.
    let domains = keys_matching(&mut con, "app:production:user_session_domain:*@*").await;
    assert_eq!(
        domains.len() as u64,
        count_of(&report, "app:production:user_session_domain:*")
    );
    let addresses = keys_matching(&mut con, "cache:api-adresse:* rue *").await;
    assert!(!addresses.is_empty());

    // Some cached pages are gzip-compressed.
    let mut gz = 0;
    for key in keys_matching(&mut con, "cache:views/organisations/*").await {
        let v: Vec<u8> = query(&mut con, redis::cmd("GET").arg(&key)).await;
        gz += usize::from(v.starts_with(&[0x1f, 0x8b]));
    }
    assert!(gz > 50, "gzip values: {gz}");

    // Big and odd keys.
    let hlen: u64 = query(&mut con, redis::cmd("HLEN").arg("big:hash")).await;
    assert_eq!(hlen, 50_000);
    let llen: u64 = query(&mut con, redis::cmd("LLEN").arg("big:list")).await;
    assert_eq!(llen, 100_000);
    let strlen: u64 = query(&mut con, redis::cmd("STRLEN").arg("big:value")).await;
    assert!(strlen >= 1 << 20);
    let xlen: u64 = query(&mut con, redis::cmd("XLEN").arg("events:audit")).await;
    assert!(xlen >= 200);
    for odd in [
        "café:é".as_bytes(),
        b"broken:key\nwith a newline",
        b"bin:\xff\x00:key",
    ] {
        let n: u64 = query(&mut con, redis::cmd("EXISTS").arg(odd)).await;
        assert_eq!(n, 1, "{}", String::from_utf8_lossy(odd));
    }
    let long = keys_matching(&mut con, "cache:views/very/long/*").await;
    assert!(long.len() == 1 && long[0].len() > 1_000);
}

#[tokio::test]
async fn redis_seed_is_deterministic() {
    let server = TestRedis::start();
    let mut con = server.connection().await;
    demo::seed_redis(&mut con, &small(11))
        .await
        .expect("seeding");
    let first = snapshot(&mut con).await;
    demo::seed_redis(&mut con, &small(11))
        .await
        .expect("seeding again");
    let second = snapshot(&mut con).await;
    assert_eq!(first.len(), second.len());
    assert!(first == second, "same seed, same keys and values");
    demo::seed_redis(&mut con, &small(12))
        .await
        .expect("seeding");
    let other = snapshot(&mut con).await;
    assert!(first != other, "another seed gives other data");
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> u64 {
    let row = client.query_one(sql, &[]).await.expect(sql);
    row.get::<_, i64>(0) as u64
}

#[tokio::test]
async fn postgres_seed_loads_the_schema_the_register_expects() {
    let db = TestPg::create().await;
    let mut client = db.client().await;
    let opts = SeedOptions {
        users: 500,
        keys: 0,
        seed: 3,
    };
    let report = demo::seed_postgres(&mut client, &opts)
        .await
        .expect("seeding");
    assert_eq!(report.target, "postgres");
    let tables: Vec<&str> = report.items.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tables, demo::TABLES);

    for (table, n) in &report.items {
        // Table names come from the seeder's own constant list.
        let rows = count(&client, &format!("SELECT count(*) FROM {table}")).await;
        assert_eq!(rows, *n, "rows in {table}");
    }
    assert_eq!(count_of(&report, "users"), 500);
    assert_eq!(count_of(&report, "agents"), 50);
    assert_eq!(count_of(&report, "organisations"), 5);
    assert_eq!(count_of(&report, "appointments"), 1_000);
    assert_eq!(count_of(&report, "receipts"), 1_500);
    assert_eq!(count_of(&report, "versions"), 2_000);
    let parts = count_of(&report, "participations");
    assert!((1_300..=1_700).contains(&parts), "participations: {parts}");
    assert!(count_of(&report, "webhook_endpoints") > 0);

    // Self-reference: ~15% of users have a responsible relative.
    let managed = count(
        &client,
        "SELECT count(*) FROM users WHERE responsible_id IS NOT NULL",
    )
    .await;
    assert!((40..=110).contains(&managed), "managed accounts: {managed}");
    let dangling = count(
        &client,
        "SELECT count(*) FROM users u LEFT JOIN users r ON r.id = u.responsible_id \
         WHERE u.responsible_id IS NOT NULL AND r.id IS NULL",
    )
    .await;
    assert_eq!(dangling, 0);
    let phone_only = count(&client, "SELECT count(*) FROM users WHERE email IS NULL").await;
    assert!(phone_only > 0);
    let no_contact = count(
        &client,
        "SELECT count(*) FROM users WHERE email IS NULL AND phone_number IS NULL",
    )
    .await;
    assert_eq!(no_contact, 0);

    // Rows past the 2-year retention: exactly old_rows(n) in each dated table.
    for table in ["users", "appointments", "receipts", "versions"] {
        let n = count_of(&report, table);
        let old = count(
            &client,
            &format!("SELECT count(*) FROM {table} WHERE created_at < now() - interval '2 years'"),
        )
        .await;
        assert_eq!(old, demo::old_rows(n), "old rows in {table}");
        assert!(old > 0);
    }

    // Every foreign key is indexed except receipts.appointment_id.
    let unindexed = client
        .query(
            "SELECT c.conrelid::regclass::text || '.' || a.attname
               FROM pg_constraint c
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
              WHERE c.contype = 'f'
                AND NOT EXISTS (SELECT 1 FROM pg_index i
                                 WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
              ORDER BY 1",
            &[],
        )
        .await
        .expect("catalog query");
    let unindexed: Vec<String> = unindexed.iter().map(|r| r.get(0)).collect();
    assert_eq!(unindexed, ["receipts.appointment_id"]);

    // Identity sequences were moved past the copied ids.
    let id: i64 = client
        .query_one(
            "INSERT INTO users (created_at, updated_at) VALUES (now(), now()) RETURNING id",
            &[],
        )
        .await
        .expect("insert")
        .get(0);
    assert_eq!(id, 501);

    // Same seed, same bytes: reseeding the same database gives the same rows.
    let digest = "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) FROM versions t";
    let users_digest =
        "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) FROM users t WHERE id <= 500";
    let before: (String, String) = (
        client.query_one(digest, &[]).await.expect("digest").get(0),
        client
            .query_one(users_digest, &[])
            .await
            .expect("digest")
            .get(0),
    );
    demo::seed_postgres(&mut client, &opts)
        .await
        .expect("reseeding");
    let after: (String, String) = (
        client.query_one(digest, &[]).await.expect("digest").get(0),
        client
            .query_one(users_digest, &[])
            .await
            .expect("digest")
            .get(0),
    );
    assert_eq!(before, after);
    assert_eq!(count(&client, "SELECT count(*) FROM users").await, 500);
}

/// The figures quoted in the report: run in a release build with
/// `cargo test --release --test demo_seed -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: 1M Redis keys and 10k Postgres users"]
async fn seed_figures() {
    let keys = std::env::var("OUBLI_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let opts = SeedOptions {
        users: 10_000,
        keys,
        seed: 42,
    };
    let server = TestRedis::start();
    let mut con = server.connection().await;
    let r = demo::seed_redis(&mut con, &opts)
        .await
        .expect("seeding redis");
    let dbsize: u64 = query(&mut con, &redis::cmd("DBSIZE")).await;
    eprintln!(
        "redis: {} keys (DBSIZE {dbsize}) in {:?}",
        r.total, r.elapsed
    );
    for (p, n) in &r.items {
        eprintln!("  {p:<55} {n}");
    }
    assert_eq!(dbsize, r.total);
    assert!(r.elapsed < std::time::Duration::from_secs(60));

    let db = TestPg::create().await;
    let mut client = db.client().await;
    let r = demo::seed_postgres(&mut client, &opts)
        .await
        .expect("seeding postgres");
    eprintln!("postgres: {} rows in {:?}", r.total, r.elapsed);
    for (t, n) in &r.items {
        eprintln!("  {t:<20} {n}");
    }
}
