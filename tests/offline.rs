//! `oubli scan file`: copies read with no server. An RDB written by a real
//! redis-server against the live census of the same keyspace; a pg_dump in
//! plain and custom format against the database it was taken from; a CSV;
//! truncated and foreign files refused with the reason; no value in clear.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use oubli::offline::{self, FileKind, FileReport};
use oubli::pii::Kind;
use oubli::redis::census;
use tokio_util::sync::CancellationToken;

use common::{census_options, TestPg, TestRedis};

const PLANTED: &str = "planted.person@example.org";

fn oubli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oubli"));
    c.env_remove("OUBLI_CONFIG")
        .env(
            "OUBLI_LOG_DIR",
            std::env::temp_dir().join("oubli-test-logs"),
        )
        .current_dir(std::env::temp_dir());
    c
}

/// SAVE, and the path of the RDB file the server wrote.
async fn save(con: &mut redis::aio::MultiplexedConnection) -> PathBuf {
    let _: () = redis::cmd("SAVE").query_async(con).await.unwrap();
    let dir: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("dir")
        .query_async(con)
        .await
        .unwrap();
    let file: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("dbfilename")
        .query_async(con)
        .await
        .unwrap();
    Path::new(&dir[1]).join(&file[1])
}

fn scan(path: &Path, kind: Option<FileKind>) -> FileReport {
    offline::scan(
        path,
        kind,
        &census_options(),
        &CancellationToken::new(),
        |_| {},
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_rdb_holds_what_the_live_census_counts_and_every_value_is_searched() {
    let redis = TestRedis::start();
    let mut con = redis.connection().await;
    let opts = oubli::demo::SeedOptions {
        users: 200,
        keys: 3_000,
        seed: 7,
    };
    oubli::demo::seed_redis(&mut con, &opts).await.unwrap();
    // An e-mail in the 40th element of a list of an undeclared namespace:
    // a census samples the first page of a few keys; the file scan reads all.
    for i in 0..60 {
        let line = if i == 40 {
            format!("GET /account?contact={PLANTED} 200")
        } else {
            format!("GET /health {i} 200")
        };
        let _: () = redis::cmd("RPUSH")
            .arg("applog:web")
            .arg(line)
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let rdb = save(&mut con).await;
    let live = census::run(
        &mut con,
        None,
        "test",
        &census_options(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    let FileReport::Rdb(file) = scan(&rdb, None) else {
        panic!("an RDB read as something else")
    };
    assert!(file.complete, "{:?}", file.stopped);
    assert_eq!(file.dbs.len(), 1);
    let off = &file.dbs[0];
    assert_eq!(off.scanned, live.scanned, "every key of the keyspace");
    let by_pattern = |c: &census::Census| -> BTreeMap<String, census::Namespace> {
        c.namespaces
            .iter()
            .map(|n| (n.pattern.clone(), n.clone()))
            .collect()
    };
    let (a, b) = (by_pattern(&live), by_pattern(off));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same namespaces"
    );
    let mut streams = 0;
    for (p, l) in &a {
        let f = &b[p];
        assert_eq!(l.keys, f.keys, "{p}: keys");
        assert_eq!(l.types, f.types, "{p}: types");
        assert_eq!(l.key_pii, f.key_pii, "{p}: personal data in key names");
        if l.types.contains_key("stream") {
            streams += f.keys;
        } else {
            assert_eq!(l.no_ttl, f.no_ttl, "{p}: keys without TTL");
        }
        // Every value is searched: what the census's sample found, and more.
        for k in l.value_pii.keys() {
            assert!(
                f.value_pii.contains_key(k),
                "{p}: {k:?} found live, not in the file"
            );
        }
    }
    assert_eq!(file.not_decoded, streams, "stream keys counted, said");
    let log = &b["applog:web"];
    assert_eq!(log.value_pii.get(&Kind::Email), Some(&1));
    assert!(!log.examples[&Kind::Email].contains(PLANTED));
    // The two faces print no value in clear.
    for format in ["text", "json"] {
        let out = oubli()
            .args(["scan", "file", "--format", format])
            .arg(&rdb)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("applog:web"), "{text}");
        assert!(!text.contains(PLANTED), "a value in clear: {format}");
        assert!(
            !text.contains("planted.person"),
            "a value in clear: {format}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_rdb_gives_what_it_holds_and_says_where_it_stopped() {
    let redis = TestRedis::start();
    let mut con = redis.connection().await;
    for i in 0..500 {
        let _: () = redis::cmd("SET")
            .arg(format!("user:{i}:email"))
            .arg(format!("user{i}@example.com"))
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let rdb = save(&mut con).await;
    let bytes = std::fs::read(&rdb).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.rdb");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let FileReport::Rdb(r) = scan(&cut, None) else {
        panic!("an RDB read as something else")
    };
    assert!(!r.complete);
    assert!(r.keys > 100 && r.keys < 500, "{}", r.keys);
    assert!(
        r.stopped
            .as_deref()
            .unwrap_or("")
            .contains("does not decode"),
        "{:?}",
        r.stopped
    );
    let out = oubli().args(["scan", "file"]).arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not read to its end"), "{err}");
    assert!(!err.contains("@example.com"), "{err}");
    // A file of another kind is refused, with the reason.
    let other = dir.path().join("notes.bin");
    std::fs::write(&other, b"\x00\x01binary junk").unwrap();
    let out = oubli().args(["scan", "file"]).arg(&other).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kind"));
    // Told it is an RDB, it says it is not one.
    let out = oubli()
        .args(["scan", "file", "--kind", "rdb"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an RDB file"));
}

fn pg_dump(url: &str, args: &[&str], out: &Path) {
    let status = Command::new("pg_dump")
        .args(args)
        .arg("--file")
        .arg(out)
        .arg(url)
        .status()
        .expect("pg_dump is installed with PostgreSQL (scripts/ensure-services.sh)");
    assert!(status.success(), "pg_dump {args:?}");
}

fn column<'a>(t: &'a offline::dump::TableReport, name: &str) -> &'a offline::dump::ColumnReport {
    t.columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name} in {}", t.table))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pg_dump_in_plain_and_custom_format_is_read_column_by_column() {
    let pg = TestPg::create().await;
    let client = pg.client().await;
    let mut c = pg.client().await;
    oubli::demo::seed_postgres(
        &mut c,
        &oubli::demo::SeedOptions {
            users: 150,
            keys: 0,
            seed: 3,
        },
    )
    .await
    .unwrap();
    client
        .execute(
            "UPDATE users SET notes = $1 WHERE id = (SELECT min(id) FROM users)",
            &[&format!("wrote from {PLANTED} about the move")],
        )
        .await
        .unwrap();
    let count = |sql: &str| {
        let client = &client;
        let sql = sql.to_string();
        async move { client.query_one(&sql, &[]).await.unwrap().get::<_, i64>(0) as u64 }
    };
    let users = count("SELECT count(*) FROM users").await;
    let emails = count("SELECT count(*) FROM users WHERE email LIKE '%@%.%'").await;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.sql");
    let inserts = dir.path().join("inserts.sql");
    let custom = dir.path().join("db.dump");
    pg_dump(&pg.url, &["--no-owner"], &plain);
    pg_dump(&pg.url, &["--no-owner", "--column-inserts"], &inserts);
    pg_dump(&pg.url, &["--no-owner", "-Fc"], &custom);
    let mut seen = Vec::new();
    for (path, kind) in [
        (&plain, FileKind::PgDumpPlain),
        (&inserts, FileKind::PgDumpPlain),
        (&custom, FileKind::PgDumpArchive),
    ] {
        assert_eq!(offline::sniff(path).unwrap(), kind);
        let FileReport::Tables(d) = scan(path, None) else {
            panic!("a dump read as something else")
        };
        assert!(d.complete, "{:?}", d.stopped);
        let t = d
            .tables
            .iter()
            .find(|t| t.table == "public.users")
            .unwrap_or_else(|| {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let copies: Vec<&str> = text
                    .lines()
                    .filter(|l| l.contains("users"))
                    .take(8)
                    .collect();
                panic!("no users table in {}: {copies:?} {}", d.format, text.len())
            });
        assert_eq!(t.rows, users, "{}", d.format);
        assert_eq!(
            column(t, "email").pii.get(&Kind::Email),
            Some(&emails),
            "{}",
            d.format
        );
        assert!(
            column(t, "notes").pii.contains_key(&Kind::Email),
            "the e-mail planted in free text, {}",
            d.format
        );
        let json = serde_json::to_string(&d).unwrap();
        assert!(!json.contains(PLANTED), "a value in clear");
        seen.push(
            d.tables
                .iter()
                .map(|t| {
                    let cols: Vec<_> = t
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.values, c.pii.clone()))
                        .collect();
                    (t.table.clone(), t.rows, cols)
                })
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(seen[0], seen[1], "COPY and INSERT dumps read alike");
    assert_eq!(seen[0], seen[2], "plain and custom dumps read alike");
    let out = oubli()
        .args(["scan", "file"])
        .arg(&custom)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("public.users"), "{text}");
    assert!(!text.contains(PLANTED), "{text}");
}

#[test]
fn a_csv_export_is_read_by_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export-crm.csv");
    let mut csv = String::from("id;contact;tel;comment\n");
    for i in 0..50 {
        csv.push_str(&format!(
            "{i};client{i}@example.fr;06 12 34 56 {:02};\"RAS; rappel\"\n",
            i % 100
        ));
    }
    std::fs::write(&path, csv).unwrap();
    let FileReport::Tables(d) = scan(&path, None) else {
        panic!("a CSV read as something else")
    };
    assert_eq!(d.format, "csv");
    let t = &d.tables[0];
    assert_eq!(t.table, "export-crm");
    assert_eq!(t.rows, 50);
    assert_eq!(column(t, "contact").pii.get(&Kind::Email), Some(&50));
    assert_eq!(column(t, "tel").pii.get(&Kind::Phone), Some(&50));
    assert!(column(t, "id").pii.is_empty());
}
