//! The breach worksheet on the demo database: people counted as distinct
//! persons through the person graph (asserted against SQL written here,
//! not the engine's), the 72-hour clock, notifications, drafts, file modes,
//! and no value in any output.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::TestPg;

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

async fn seeded() -> TestPg {
    let pg = TestPg::create().await;
    let mut c = pg.client().await;
    oubli::demo::seed_postgres(
        &mut c,
        &oubli::demo::SeedOptions {
            users: 300,
            keys: 0,
            seed: 9,
        },
    )
    .await
    .unwrap();
    pg
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn people_are_distinct_persons_reached_through_the_graph() {
    let pg = seeded().await;
    let client = pg.client().await;
    let one = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) as u64 }
    };
    let receipt_people = one("SELECT count(DISTINCT user_id) FROM receipts").await;
    let receipt_rows = one("SELECT count(*) FROM receipts").await;
    let both = one(
        "SELECT count(*) FROM (SELECT user_id FROM receipts UNION SELECT user_id FROM participations) p",
    )
    .await;
    let rows_both = receipt_rows + one("SELECT count(*) FROM participations").await;
    assert!(
        receipt_people < receipt_rows,
        "the demo has people with several receipts"
    );
    let dir = tempfile::tempdir().unwrap();
    let run = |exposed: &[&str]| {
        let mut c = oubli();
        c.args([
            "--pg",
            &pg.url,
            "incident",
            "new",
            "--title",
            "receipts leaked",
        ])
        .args([
            "--confidentiality",
            "unknown",
            "--malicious",
            "--format",
            "json",
        ])
        .arg("--dir")
        .arg(dir.path());
        for e in exposed {
            c.args(["--expose", e]);
        }
        json(&c.output().unwrap())
    };
    let i = run(&["table:receipts"]);
    assert_eq!(i["people"], receipt_people);
    assert_eq!(i["records"], receipt_rows);
    assert_eq!(i["people_exact"], true);
    let i = run(&["table:receipts", "table:participations"]);
    assert_eq!(i["people"], both, "a person in both tables counts once");
    assert_eq!(i["records"], rows_both);
    // Receipts hold e-mails and phones, in unknown hands, maliciously.
    assert_eq!(i["severity"]["band"], "high", "{}", i["severity"]);
    // Files are private and hold no value.
    let id = i["id"].as_str().unwrap().to_string();
    for ext in ["json", "md"] {
        let p = dir.path().join(format!("{id}.{ext}"));
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
        let text = std::fs::read_to_string(&p).unwrap();
        let emails: Vec<String> = client
            .query("SELECT recipient FROM receipts LIMIT 50", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for e in emails {
            assert!(!text.contains(&e), "a recipient in clear in {ext}");
        }
    }
    let md = oubli()
        .args(["incident", "show", &id, "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("Art. 33(3)"), "{md}");
    assert!(md.contains("Letter to the people"), "high risk: a letter");
    assert!(md.contains("SE = "), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_runs_from_awareness_and_a_late_notification_asks_for_reasons() {
    let pg = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    let aware = (chrono::Utc::now() - chrono::Duration::hours(80)).to_rfc3339();
    let i = json(
        &oubli()
            .args(["--pg", &pg.url, "incident", "new", "--title", "lost laptop"])
            .args(["--expose", "table:users", "--encrypted", "--format", "json"])
            .args(["--aware-at", &aware])
            .arg("--dir")
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    let id = i["id"].as_str().unwrap().to_string();
    let list = |dir: &std::path::Path| {
        oubli()
            .args(["incident", "list", "--dir"])
            .arg(dir)
            .output()
            .unwrap()
    };
    let out = list(dir.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "past 72 h without a notification"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("past the 72 h"));
    let out = oubli()
        .args(["incident", "notify", &id, "--kind", "initial", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("--delay-reason"));
    assert_eq!(list(dir.path()).status.code(), Some(0));
    let md = oubli()
        .args(["incident", "show", &id, "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("Reasons for the delay beyond 72 hours"), "{md}");
    assert!(
        md.contains("Art. 34(3)(a)"),
        "encrypted: no letter, and why"
    );
    assert!(!md.contains("Letter to the people"));
    // Bad input: a clear error, nothing written.
    let out = oubli()
        .args([
            "incident", "new", "--title", "x", "--expose", "disk:1", "--dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected table, namespace"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_counts_its_own_keys_and_says_people_are_at_least() {
    let redis = common::TestRedis::start();
    let mut con = redis.connection().await;
    // 25 sessions, and keys a glob `session:*` also matches but that fold
    // to other namespaces: they are not this namespace's records.
    for i in 0..25 {
        let _: () = redis::cmd("SET")
            .arg(format!("session:{i:04}"))
            .arg(format!("{{\"email\":\"person{i}@example.org\"}}"))
            .query_async(&mut con)
            .await
            .unwrap();
    }
    for i in 0..7 {
        let _: () = redis::cmd("SET")
            .arg(format!("session:{i:04}:csrf"))
            .arg("x")
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let i = json(
        &oubli()
            .args([
                "--redis",
                &redis.url,
                "incident",
                "new",
                "--title",
                "open redis",
            ])
            .args(["--expose", "namespace:session:{int}", "--format", "json"])
            .args(["--confidentiality", "unknown"])
            .arg("--dir")
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert_eq!(i["records"], 25, "{}", i["exposures"]);
    assert_eq!(i["people_exact"], false, "keys are not people");
    let text =
        std::fs::read_to_string(dir.path().join(format!("{}.md", i["id"].as_str().unwrap())))
            .unwrap();
    assert!(!text.contains("@example.org"), "no value in the drafts");
    // A pattern the census does not print is an error, not a zero.
    let out = oubli()
        .args(["--redis", &redis.url, "incident", "new", "--title", "x"])
        .args(["--expose", "namespace:session:{id}"])
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("oubli scan redis"));
}
