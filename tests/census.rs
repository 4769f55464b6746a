//! The keyspace census against a real Redis filled with the demo data:
//! every key found, TTL health and key-name personal data counted exactly
//! (the expected figures are computed key by key by the test itself),
//! cancellation, the load budget, and a server that refuses MEMORY USAGE.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use oubli::pii::Kind;
use oubli::redis::census::{self, Census, CensusOptions, SampleOptions};
use redis::aio::MultiplexedConnection;
use tokio_util::sync::CancellationToken;

use common::{census_options as options, connection, redis_settings, TestRedis, SEVEN_DAYS_MS};

async fn seeded(keys: usize) -> (TestRedis, MultiplexedConnection) {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let opts = oubli::demo::SeedOptions {
        users: 300,
        keys,
        seed: 11,
    };
    oubli::demo::seed_redis(&mut con, &opts).await.unwrap();
    (r, con)
}

async fn run(con: &mut MultiplexedConnection, opts: &CensusOptions) -> Census {
    census::run(con, None, "test", opts, &CancellationToken::new(), |_| {})
        .await
        .unwrap()
}

fn key_pii_total(c: &Census, kind: Kind) -> u64 {
    c.namespaces
        .iter()
        .map(|n| n.key_pii.get(&kind).copied().unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_key_is_found_and_ttl_health_is_exact() {
    let (_r, mut con) = seeded(4_000).await;
    // Short-lived rate-limit counters expire in 60 s: drop them so the
    // reference and the census see the same keyspace.
    let refs = common::reference(&mut con).await;
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    let c = run(&mut con, &options()).await;
    assert!(c.complete);
    assert_eq!(c.dbsize, dbsize);
    assert_eq!(
        c.scanned + c.vanished,
        dbsize,
        "every key of DBSIZE is accounted for"
    );
    assert_eq!(c.total(|n| n.keys), c.scanned);
    let no_ttl = refs.iter().filter(|(_, t)| *t == -1).count() as u64;
    let beyond = refs.iter().filter(|(_, t)| *t > SEVEN_DAYS_MS).count() as u64;
    assert_eq!(c.total(|n| n.no_ttl), no_ttl);
    assert_eq!(c.total(|n| n.ttl_beyond_retention), beyond);
    assert!(no_ttl > 0 && beyond > 0);
    assert!(c.total(|n| n.bytes) > 1_000_000, "MEMORY USAGE measured");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    // Namespaces without any TTL, and beyond retention, by pattern.
    let ns: BTreeMap<&str, &census::Namespace> = c
        .namespaces
        .iter()
        .map(|n| (n.pattern.as_str(), n))
        .collect();
    for p in [
        "app:production:user_session_domain:{email}",
        "rate_limit:{ip}",
        "counters:sms_sent:{int}",
        "stat:processed",
    ] {
        let n = ns
            .get(p)
            .unwrap_or_else(|| panic!("{p} missing from {:?}", ns.keys()));
        assert_eq!(n.no_ttl, n.keys, "{p} has no TTL at all");
    }
    for p in ["cache:api-adresse:{address}", "exports:{uuid}"] {
        let n = ns
            .get(p)
            .unwrap_or_else(|| panic!("{p} missing from {:?}", ns.keys()));
        assert_eq!(n.ttl_beyond_retention, n.keys, "{p} lives beyond 7 days");
    }
    assert_eq!(ns["rdv:sessions:{hex}"].no_ttl, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_in_key_names_is_counted_exactly() {
    let (_r, mut con) = seeded(4_000).await;
    let refs = common::reference(&mut con).await;
    let c = run(&mut con, &options()).await;
    let count = |prefix: &[u8]| refs.iter().filter(|(k, _)| k.starts_with(prefix)).count() as u64;
    assert_eq!(
        key_pii_total(&c, Kind::Email),
        count(b"app:production:user_session_domain:")
    );
    assert_eq!(key_pii_total(&c, Kind::Phone), count(b"otp:"));
    assert_eq!(
        key_pii_total(&c, Kind::IpAddress),
        count(b"rate_limit:") + count(b"rack::attack:")
    );
    assert!(key_pii_total(&c, Kind::PostalAddress) >= count(b"cache:api-adresse:"));
    // Examples are masked: no key name is shown whole.
    for n in &c.namespaces {
        for (kind, ex) in &n.examples {
            assert!(ex.contains('*'), "{kind:?} example not masked: {ex}");
        }
    }
    let json = serde_json::to_string(&c).unwrap();
    let (email_key, _) = refs
        .iter()
        .find(|(k, _)| k.starts_with(b"app:production:user_session_domain:"))
        .unwrap();
    let email = String::from_utf8_lossy(&email_key[b"app:production:user_session_domain:".len()..])
        .into_owned();
    assert!(
        !json.contains(&email),
        "a real e-mail leaked into the census output"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sampled_values_and_findings_against_the_register() {
    let (_r, mut con) = seeded(3_000).await;
    let mut opts = options();
    opts.sample = Some(SampleOptions::default());
    let c = run(&mut con, &opts).await;
    let profile = c
        .namespaces
        .iter()
        .find(|n| n.pattern == "user:{int}:profile")
        .unwrap();
    assert!(profile.sampled >= 3);
    assert!(
        profile.value_pii.contains_key(&Kind::Email),
        "{:?}",
        profile.value_pii
    );
    assert!(
        profile.value_fields.iter().any(|f| f == "email"),
        "{:?}",
        profile.value_fields
    );

    let reg =
        oubli::register::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"))
            .unwrap();
    let redis_storage = reg.register.storage("redis").unwrap();
    let f = oubli::redis::findings::census_findings(&reg.register, redis_storage, &c);
    let has = |kind: &str, pattern: &str| {
        f.iter()
            .any(|x| x.kind == kind && x.namespace.as_ref().is_some_and(|n| n.pattern == pattern))
    };
    assert!(has("no_ttl", "app:production:user_session_domain:{email}"));
    assert!(has(
        "pii_in_key_name",
        "app:production:user_session_domain:{email}"
    ));
    assert!(has("ttl_exceeds_retention", "cache:api-adresse:{address}"));
    assert!(has("pii_in_value", "user:{int}:profile"));
    // The person model covers sessions by e-mail and user:{user_id}:*, not rate limits by IP.
    assert!(!has(
        "unclassified_namespace",
        "app:production:user_session_domain:{email}"
    ));
    assert!(!has("unclassified_namespace", "user:{int}:profile"));
    assert!(has("unclassified_namespace", "rate_limit:{ip}"));
    for x in &f {
        assert!(x.namespace.as_ref().is_some_and(|n| n.keys > 0));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_census_can_be_cancelled_and_honours_its_budget() {
    let (_r, mut con) = seeded(3_000).await;
    let token = CancellationToken::new();
    token.cancel();
    let c = census::run(&mut con, None, "test", &options(), &token, |_| {})
        .await
        .unwrap();
    assert!(!c.complete);

    let mut opts = options();
    opts.max_ops_per_sec = 3_000;
    opts.scan_count = 200;
    let mut reports = 0;
    let c = census::run(
        &mut con,
        None,
        "test",
        &opts,
        &CancellationToken::new(),
        |_| reports += 1,
    )
    .await
    .unwrap();
    assert!(c.complete);
    let rate = c.commands as f64 / (c.elapsed_ms as f64 / 1000.0);
    assert!(
        rate <= 3_000.0 * 1.25,
        "{rate:.0} commands/s over a 3000/s budget"
    );
    assert!(reports >= 2, "progress was streamed");
}

/// An ACL user that may read and count keys but not ask MEMORY USAGE.
async fn auditor_without_memory(con: &mut MultiplexedConnection, user: &str, password: &str) {
    let pw = format!(">{password}");
    let _: () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            user,
            "on",
            &pw,
            "~*",
            "+@read",
            "+scan",
            "+type",
            "+pttl",
            "+dbsize",
            "+client|info",
            "+info",
            "-memory",
        ])
        .query_async(con)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_without_memory_usage_gets_a_warning_not_a_failure() {
    let (r, mut con) = seeded(1_000).await;
    auditor_without_memory(&mut con, "auditor", "auditor-pw").await;
    let url = r.url.replacen("redis://", "redis://auditor:auditor-pw@", 1);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut limited = client.get_multiplexed_async_connection().await.unwrap();
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    let c = run(&mut limited, &options()).await;
    assert!(c.complete);
    assert_eq!(c.scanned + c.vanished, dbsize);
    assert_eq!(c.total(|n| n.bytes), 0);
    assert_eq!(c.warnings.len(), 1);
    assert!(
        c.warnings[0].contains("MEMORY USAGE refused"),
        "{:?}",
        c.warnings
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn values_are_read_in_bounded_pages() {
    use oubli::redis::values::{read_value_page, ReadLimits};
    let (_r, mut con) = seeded(3_000).await;
    let limits = ReadLimits {
        max_bytes: 1024,
        max_elements: 100,
    };
    // A 100k-element list: pages of 100, labels are absolute indexes.
    let p1 = read_value_page(&mut con, b"big:list", limits, None)
        .await
        .unwrap();
    assert_eq!(p1.lines.len(), 100);
    assert_eq!(p1.next.as_deref(), Some("100"));
    let p2 = read_value_page(&mut con, b"big:list", limits, p1.next.as_deref())
        .await
        .unwrap();
    assert_eq!(p2.lines[0].label.as_deref(), Some("100"));
    assert!(p1.lines.last().unwrap().label.as_deref() == Some("99"));
    // A 50k-field hash: HSCAN cursors, no field twice over three pages.
    let mut seen = std::collections::HashSet::new();
    let mut from: Option<String> = None;
    for _ in 0..3 {
        let p = read_value_page(&mut con, b"big:hash", limits, from.as_deref())
            .await
            .unwrap();
        for l in &p.lines {
            assert!(seen.insert(l.label.clone().unwrap()), "field read twice");
        }
        from = p.next.clone();
        assert!(from.is_some());
    }
    assert!(seen.len() >= 200);
    // The stream: pages continue after the last id, until the end.
    let mut ids = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let p = read_value_page(&mut con, b"events:audit", limits, from.as_deref())
            .await
            .unwrap();
        ids.extend(
            p.lines
                .iter()
                .filter_map(|l| l.label.clone())
                .map(|l| l.split(' ').next().unwrap().to_string()),
        );
        match p.next {
            Some(n) => from = Some(n),
            None => break,
        }
    }
    ids.dedup();
    let xlen: usize = redis::cmd("XLEN")
        .arg("events:audit")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(ids.len(), xlen, "every entry once");
    // A big string is cut at the byte bound and says so.
    let s = read_value_page(&mut con, b"big:value", limits, None)
        .await
        .unwrap();
    assert!(s.truncated && s.next.is_none());
    assert!(s.lines.iter().map(|l| l.text.len()).sum::<usize>() <= 1024);
}

/// A census reads one logical database; the server's other databases that
/// hold keys are named in the result, and `oubli check --live` reports
/// those no connection of the register reads (`uncovered_database`).
#[tokio::test(flavor = "multi_thread")]
async fn other_logical_databases_are_reported_unless_a_connection_reads_them() {
    let r = TestRedis::start();
    let mut db0 = r.connection().await;
    let base = r
        .url
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string();
    let client = |db: u32| redis::Client::open(format!("{base}{db}")).unwrap();
    for (db, n) in [(3u32, 7), (5, 4)] {
        let mut con = client(db).get_multiplexed_async_connection().await.unwrap();
        let () = redis::cmd("FLUSHDB").query_async(&mut con).await.unwrap();
        for i in 0..n {
            let () = redis::cmd("SET")
                .arg(format!("session:{i}"))
                .arg("x")
                .query_async(&mut con)
                .await
                .unwrap();
        }
    }
    let () = redis::cmd("FLUSHDB").query_async(&mut db0).await.unwrap();
    let () = redis::cmd("SET")
        .arg("otp:0612345678")
        .arg("1")
        .query_async(&mut db0)
        .await
        .unwrap();

    let c = run(&mut db0, &options()).await;
    assert_eq!(c.scanned, 1);
    assert_eq!(
        c.other_dbs,
        vec![
            census::OtherDb { db: 3, keys: 7 },
            census::OtherDb { db: 5, keys: 4 }
        ]
    );
    assert!(
        c.warnings.iter().any(|w| w.starts_with("db3 holds 7 keys")),
        "{:?}",
        c.warnings
    );

    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("register.toml");
    std::fs::write(
        &register,
        format!(
            r#"[register]
name = "t"
controller = "c"
contact = "d"
[[storage]]
id = "cache"
label = "Cache"
kind = "cache"
retention = "7 days"
justification = "sessions"
connection = "main"
[[storage]]
id = "sessions"
label = "Sessions"
kind = "cache"
retention = "7 days"
justification = "sessions"
connection = "third"
[connection.main]
kind = "redis"
url = "{base}0"
[connection.third]
kind = "redis"
url = "{base}3"
"#
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oubli"))
        .args(["check", "--live", "--format", "json", "--config"])
        .arg(&register)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let uncovered: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "uncovered_database")
        .map(|f| {
            (
                f["storage"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    // db5 is read by no connection (reported once per connection to that
    // server); db3 has its own connection, db0 too.
    assert!(!uncovered.is_empty());
    assert!(
        uncovered.iter().all(|(_, m)| m.starts_with("db5 ")),
        "{uncovered:?}"
    );
}

/// Pattern, keys, bytes, no TTL, beyond retention, key-name PII.
type NsSummary = (String, u64, u64, u64, u64, BTreeMap<Kind, u64>);

/// What must not depend on how the batches were fetched.
fn summary(c: &Census) -> Vec<NsSummary> {
    c.namespaces
        .iter()
        .map(|n| {
            (
                n.pattern.clone(),
                n.keys,
                n.bytes,
                n.no_ttl,
                n.ttl_beyond_retention,
                n.key_pii.clone(),
            )
        })
        .collect()
}

/// The census's own plain connection (RESP written and read directly, with
/// the URL's login and database) gives what the general client gives, key
/// for key; and an ACL user without MEMORY USAGE gets the same warning.
#[tokio::test(flavor = "multi_thread")]
async fn the_census_own_connection_counts_like_the_general_client() {
    let (r, mut con) = seeded(3_000).await;
    let client_path = run(&mut con, &options()).await;
    let own = oubli::redis::cluster::census_connection(
        &connection(&r.url, false, false),
        &redis_settings(),
        &options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(
        own.complete && own.warnings.is_empty(),
        "{:?}",
        own.warnings
    );
    assert_eq!(own.route, "own connection");
    assert_eq!(client_path.route, "general client");
    assert_eq!(
        own.scanned + own.vanished,
        client_path.scanned + client_path.vanished
    );
    assert_eq!(summary(&own), summary(&client_path));
    assert!(own.total(|n| n.bytes) > 1_000_000);

    auditor_without_memory(&mut con, "wire", "wire pw%").await;
    // The password `wire pw%`, percent-encoded in the URL.
    let url = r.url.replacen("redis://", "redis://wire:wire%20pw%25@", 1);
    let limited = oubli::redis::cluster::census_connection(
        &connection(&url, false, false),
        &redis_settings(),
        &options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(limited.route, "own connection", "logged in as the ACL user");
    assert_eq!(limited.scanned, own.scanned);
    assert_eq!(limited.total(|n| n.bytes), 0);
    assert_eq!(limited.warnings.len(), 1, "{:?}", limited.warnings);
    assert!(limited.warnings[0].contains("MEMORY USAGE refused by the server (NOPERM)"));

    // Each census names what it counted: the server, its run, the user
    // (who may see less); the cache keeps the two apart.
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut con)
        .await
        .unwrap();
    let run_id = info
        .lines()
        .find_map(|l| l.trim().strip_prefix("run_id:"))
        .unwrap();
    let (as_default, as_wire) = (own.server.unwrap(), limited.server.unwrap());
    let port = r.url.rsplit(':').next().unwrap();
    assert_eq!(as_default.address, format!("127.0.0.1:{port}"));
    assert_eq!(
        (as_default.run.as_str(), as_default.user.as_deref()),
        (run_id, None)
    );
    assert_eq!(as_wire.user.as_deref(), Some("wire"));
    assert_eq!(as_wire.run, run_id);
    assert_ne!(
        census::cache::file_name(&as_wire),
        census::cache::file_name(&as_default)
    );
    assert_eq!(
        oubli::redis::cluster::identify(&connection(&url, false, false), &redis_settings())
            .await
            .unwrap(),
        as_wire,
        "identify() names what a census counts"
    );

    // A wrong password is refused, and the message does not echo it.
    let bad = r.url.replacen("redis://", "redis://wire:not-the-pw@", 1);
    let e = oubli::redis::cluster::census_connection(
        &connection(&bad, false, false),
        &redis_settings(),
        &options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(!format!("{e:#}").contains("not-the-pw"), "{e:#}");
}

/// The same data counted on two servers (each with its own hash seed, so
/// SCAN returns the keys in another order) and counted again after a
/// FLUSHDB and the same seeding: the same sample, the same kinds, an empty
/// diff. A real change (a new kind in a namespace's values) is reported.
#[tokio::test(flavor = "multi_thread")]
async fn two_censuses_of_the_same_data_compare_equal_and_a_real_change_shows() {
    let seed = oubli::demo::SeedOptions {
        users: 300,
        keys: 4_000,
        seed: 23,
    };
    let mut opts = options();
    opts.sample = Some(SampleOptions::default());
    type Sampled = Vec<(String, u64, Vec<(Kind, u64)>)>;
    let sampled = |c: &Census| -> Sampled {
        let mut v: Vec<_> = c
            .namespaces
            .iter()
            .map(|n| {
                (
                    n.pattern.clone(),
                    n.sampled,
                    n.value_pii.iter().map(|(k, v)| (*k, *v)).collect(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let a = TestRedis::start();
    let mut con_a = a.connection().await;
    oubli::demo::seed_redis(&mut con_a, &seed).await.unwrap();
    let first = run(&mut con_a, &opts).await;
    let b = TestRedis::start();
    let mut con_b = b.connection().await;
    oubli::demo::seed_redis(&mut con_b, &seed).await.unwrap();
    let other_server = run(&mut con_b, &opts).await;
    let () = redis::cmd("FLUSHDB").query_async(&mut con_a).await.unwrap();
    oubli::demo::seed_redis(&mut con_a, &seed).await.unwrap();
    let again = run(&mut con_a, &opts).await;
    assert!(first.namespaces.iter().any(|n| !n.value_pii.is_empty()));
    for (name, c) in [("another server", &other_server), ("after FLUSHDB", &again)] {
        assert_eq!(sampled(&first), sampled(c), "{name}");
        let d = oubli::redis::namespaces::diff(&first, c);
        assert!(d.is_empty(), "{name}: {d:?}");
    }
    // A real change: every key of a namespace now holds a phone in its value.
    let target = first
        .namespaces
        .iter()
        .find(|n| {
            n.keys >= 3 && !n.value_pii.contains_key(&Kind::Phone) && n.types.contains_key("string")
        })
        .expect("a string namespace without phones");
    let glob = oubli::redis::values::pattern_glob(&target.pattern);
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&glob)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con_a)
            .await
            .unwrap();
        for k in keys {
            let () = redis::cmd("SET")
                .arg(&k)
                .arg("rappeler le 06 12 34 56 78")
                .arg("KEEPTTL")
                .query_async(&mut con_a)
                .await
                .unwrap();
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    let changed = run(&mut con_a, &opts).await;
    let d = oubli::redis::namespaces::diff(&again, &changed);
    assert!(
        d.iter().any(
            |c| matches!(c, oubli::redis::namespaces::Change::GainedPii { pattern, kinds }
            if *pattern == target.pattern && kinds.contains(&Kind::Phone))
        ),
        "{d:?}"
    );
}
