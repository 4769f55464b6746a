//! One findings engine for both faces: on the same live Redis and Postgres
//! (the demo data, seeded into a private server and a throwaway database),
//! the console's list of findings and `oubli check --live`'s are the same
//! kinds with the same counts.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{TestPg, TestRedis};
use oubli::register::ConnectionKind;

fn count_by_kind<'a>(kinds: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for k in kinds {
        *m.entry(k.to_string()).or_insert(0) += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_and_check_live_report_the_same_findings() {
    let redis = TestRedis::start();
    let pg = TestPg::create().await;
    let opts = oubli::demo::SeedOptions {
        users: 300,
        keys: 2_000,
        seed: 5,
    };
    let mut con = redis.connection().await;
    oubli::demo::seed_redis(&mut con, &opts)
        .await
        .expect("seeding Redis");
    let mut client = pg.client().await;
    oubli::demo::seed_postgres(&mut client, &opts)
        .await
        .expect("seeding Postgres");

    // The command line.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oubli"))
        .args(["--config", "config/demo.toml", "--redis", &redis.url])
        .args(["--pg", &pg.url, "check", "--live", "--format", "json"])
        .output()
        .expect("running oubli");
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings expected: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["failures"], serde_json::json!([]), "{v}");
    let cli = count_by_kind(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["kind"].as_str()),
    );

    // The console, once its census and its Postgres survey have finished.
    let mut loaded = oubli::register::load_file(std::path::Path::new("config/demo.toml"))
        .expect("the demo register loads");
    loaded.override_connection(ConnectionKind::Redis, &redis.url);
    loaded.override_connection(ConnectionKind::Postgres, &pg.url);
    let state = oubli::tui::app::settle(&loaded, 120, 40, Duration::from_secs(60)).await;
    let tui = count_by_kind(state.findings.iter().map(|f| f.kind));

    // Both faces see the store-specific kinds, not only the register's.
    for kind in ["no_ttl", "pii_in_key_name", "rows_past_retention"] {
        assert!(cli.contains_key(kind), "{kind} missing from {cli:?}");
    }
    assert_eq!(tui, cli, "console (left) and check --live (right) differ");
    // The count the console shows in its tab and title is the CLI's total.
    let total: usize = cli.values().sum();
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("terminal");
    let theme = oubli::tui::theme::Theme::builtin("dark").expect("theme");
    let mut state = state;
    state.focus = oubli::tui::action::PaneId::Findings;
    terminal
        .draw(|f| oubli::tui::render::render(&state, &theme, f))
        .expect("draw");
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains(&format!("4 Findings · {total}")),
        "{screen}"
    );
    assert!(screen.contains(&format!("{total} findings")), "{screen}");
}

#[tokio::test]
async fn a_store_that_cannot_be_checked_does_not_hide_the_others() {
    let redis = TestRedis::start();
    let mut con = redis.connection().await;
    let _: () = redis::cmd("SET")
        .arg("session:1")
        .arg("x")
        .query_async(&mut con)
        .await
        .expect("SET");
    // Nothing listens on this loopback port: Postgres fails, Redis answers.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("its address").port();
    drop(closed);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oubli"))
        .args(["--config", "config/demo.toml", "--redis", &redis.url])
        .args(["--pg", &format!("postgresql://postgres@127.0.0.1:{port}/x")])
        .args(["check", "--live", "--format", "json"])
        .output()
        .expect("running oubli");
    assert_eq!(out.status.code(), Some(2), "a store failed: exit 2");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"no_ttl"),
        "the census still reported: {kinds:?}"
    );
    assert!(kinds.contains(&"check_failed"), "{kinds:?}");
    assert_eq!(v["failures"][0]["connection"], "main-db", "{v}");
}
