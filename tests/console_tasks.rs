//! The console's background work against real servers: a change to Redis
//! stopped midway reports exactly what it changed, and the Postgres
//! classification runs again with each generation of the monitors (what a
//! refresh starts), its results tagged with that generation.

mod common;

use oubli::register::{ConnectionKind, Loaded};
use oubli::tui::browser::Remediation;
use oubli::tui::state::BgMsg;
use oubli::tui::tasks::{BrowserTasks, Tasks};
use tokio::sync::mpsc;

use common::{TestPg, TestRedis};

fn loaded(kind: ConnectionKind, url: &str) -> Loaded {
    let mut l = oubli::register::load::ad_hoc();
    l.override_connection(kind, url);
    l
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_unlink_reports_what_it_removed_and_leaves_the_rest() {
    const KEYS: u64 = 20_000;
    let redis = TestRedis::start();
    let mut con = redis.connection().await;
    let mut pipe = redis::pipe();
    for i in 0..KEYS {
        pipe.cmd("SET").arg(format!("big:{i}")).arg("x").ignore();
    }
    let () = pipe.query_async(&mut con).await.unwrap();

    let mut l = loaded(ConnectionKind::Redis, &redis.url);
    // 100 keys a batch at 1,000 commands a second: the whole walk would
    // take 20 s, so a stop after the first batch is a stop midway.
    l.register.redis.scan_count = 100;
    l.register.redis.max_ops_per_sec = 1_000;
    let conn = l
        .connections_of(ConnectionKind::Redis)
        .next()
        .map(|c| c.name.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut tasks = BrowserTasks::new(&l, conn.as_deref(), tx);
    tasks.remediate(
        7,
        Remediation::UnlinkNamespace {
            pattern: "big:{int}".into(),
            keys: KEYS,
        },
    );
    // Wait for the first batch to land, then stop.
    loop {
        let left: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
        if left < KEYS {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tasks.stop_change();
    let (gen, report) = match rx.recv().await {
        Some(BgMsg::Remediated { gen, result }) => (gen, result.unwrap()),
        other => panic!("{other:?}"),
    };
    assert_eq!(gen, 7);
    assert!(!report.complete, "{report:?}");
    let left: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    assert!(left > 0, "the stop came too late to test anything");
    assert_eq!(report.changed, KEYS - left, "{report:?}");
    assert_eq!(report.scanned, report.changed, "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_generation_classifies_postgres_again() {
    let pg = TestPg::create().await;
    let l = loaded(ConnectionKind::Postgres, &pg.url);
    let (tx, mut rx) = mpsc::unbounded_channel();
    async fn survey_of(rx: &mut mpsc::UnboundedReceiver<BgMsg>) -> (u64, Result<(), String>) {
        loop {
            match rx.recv().await {
                Some(BgMsg::Survey { gen, result, .. }) => return (gen, result.map(|_| ())),
                Some(_) => {} // the monitor's probes
                None => panic!("the channel closed"),
            }
        }
    }
    let tasks = Tasks::start(&l, 1, tx.clone());
    assert_eq!(survey_of(&mut rx).await, (1, Ok(())));
    // A refresh stops the monitors and starts them at a new generation.
    tasks.stop();
    let tasks = Tasks::start(&l, 2, tx);
    assert_eq!(survey_of(&mut rx).await, (2, Ok(())));
    tasks.stop();
}
