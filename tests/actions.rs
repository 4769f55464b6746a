//! Remediation against a real Redis: TTLs given only where the condition
//! still holds on the server, UNLINK of exactly one namespace, counts in the
//! report, and the command line refusing without --write and a typed
//! confirmation.

mod common;

use std::time::Duration;

use oubli::redis::actions::{self, TtlScope};
use oubli::redis::values::pattern_glob;
use tokio_util::sync::CancellationToken;

use common::TestRedis;

async fn ttl(con: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query_async(con).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn ttls_are_set_only_where_the_condition_still_holds() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    for i in 0..300 {
        let _: () = redis::cmd("SET")
            .arg(format!("session:{i}"))
            .arg("x")
            .query_async(&mut con)
            .await
            .unwrap();
    }
    // 100 with a short TTL, 100 with a TTL longer than 7 days, 100 with none.
    for i in 0..100 {
        let _: () = redis::cmd("EXPIRE")
            .arg(format!("session:{i}"))
            .arg(3600)
            .query_async(&mut con)
            .await
            .unwrap();
        let _: () = redis::cmd("EXPIRE")
            .arg(format!("session:{}", i + 100))
            .arg(30 * 86_400)
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let _: () = redis::cmd("SET")
        .arg("other:1")
        .arg("x")
        .query_async(&mut con)
        .await
        .unwrap();
    let seven = Duration::from_secs(7 * 86_400);
    let glob = pattern_glob("session:{int}");

    let rep = actions::expire_namespace(
        &mut con,
        &glob,
        "session:{int}",
        seven,
        TtlScope::NoTtl,
        50,
        0,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(rep.complete);
    assert_eq!((rep.scanned, rep.changed, rep.unchanged), (300, 100, 200));
    assert_eq!(ttl(&mut con, "session:250").await, 7 * 86_400);
    assert_eq!(
        ttl(&mut con, "session:5").await,
        3600,
        "a shorter TTL is kept"
    );
    assert_eq!(
        ttl(&mut con, "session:150").await,
        30 * 86_400,
        "NoTtl leaves longer TTLs"
    );
    assert_eq!(
        ttl(&mut con, "other:1").await,
        -1,
        "other namespaces are untouched"
    );

    let rep = actions::expire_namespace(
        &mut con,
        &glob,
        "session:{int}",
        seven,
        TtlScope::NoTtlOrLonger,
        50,
        0,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(rep.changed, 100, "only the 30-day TTLs were shortened");
    assert_eq!(ttl(&mut con, "session:150").await, 7 * 86_400);
    assert_eq!(ttl(&mut con, "session:5").await, 3600);
    // Running it again changes nothing.
    let rep = actions::expire_namespace(
        &mut con,
        &glob,
        "session:{int}",
        seven,
        TtlScope::NoTtlOrLonger,
        50,
        0,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(rep.changed, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn unlink_removes_exactly_one_namespace() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    for i in 0..250 {
        let _: () = redis::cmd("SET")
            .arg(format!("rate_limit:203.0.113.{}", i % 250))
            .arg(1)
            .query_async(&mut con)
            .await
            .unwrap();
        let _: () = redis::cmd("SET")
            .arg(format!("keep:{i}"))
            .arg(1)
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let glob = pattern_glob("rate_limit:{ip}");
    let mut steps = 0;
    let rep = actions::unlink_namespace(
        &mut con,
        &glob,
        "rate_limit:{ip}",
        100,
        10_000,
        &CancellationToken::new(),
        |_| steps += 1,
    )
    .await
    .unwrap();
    assert_eq!((rep.scanned, rep.changed), (250, 250));
    assert!(steps >= 2);
    let left: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    assert_eq!(left, 250);
    let json = serde_json::to_string(&rep).unwrap();
    assert!(
        !json.contains("203.0.113"),
        "the report holds no key name: {json}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_needs_write_mode_and_a_typed_confirmation() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    for i in 0..20 {
        let _: () = redis::cmd("SET")
            .arg(format!("otp:06123456{i:02}"))
            .arg(1)
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_oubli");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .env_remove("OUBLI_CONFIG")
            .env(
                "OUBLI_LOG_DIR",
                std::env::temp_dir().join("oubli-test-logs"),
            )
            .current_dir(std::env::temp_dir())
            .args(args)
            .output()
            .unwrap()
    };
    let base = [
        "redis",
        "expire",
        "--redis",
        r.url.as_str(),
        "--namespace",
        "otp:{phone}",
        "--ttl",
        "10 minutes",
    ];
    let out = run(&base);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("read-only"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[&base[..], &["--write", "--confirm", "otp:*"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("type the namespace exactly"));
    assert_eq!(
        ttl(&mut con, "otp:0612345601").await,
        -1,
        "nothing changed yet"
    );
    let out = run(&[
        &base[..],
        &["--write", "--confirm", "otp:{phone}", "--format", "json"],
    ]
    .concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changed"], 20);
    assert_eq!(ttl(&mut con, "otp:0612345601").await, 600);
    let out = run(&[
        "redis",
        "unlink",
        "--redis",
        r.url.as_str(),
        "--namespace",
        "otp:{phone}",
        "--write",
        "--confirm",
        "otp:{phone}",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    assert_eq!(left, 0);
}
