//! Remediation against a real Redis: TTLs given only where the condition
//! still holds on the server, UNLINK of exactly one namespace (not the
//! other namespaces its glob matches, never the census's `{other}`
//! bucket), counts in the report, and the command line and the console
//! refusing without --write and a typed confirmation.

mod common;

use std::time::Duration;

use oubli::redis::actions::{self, Change, Pace, Report, Target, TtlScope};
use tokio_util::sync::CancellationToken;

use common::TestRedis;

async fn ttl(con: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query_async(con).await.unwrap()
}

/// Whether a TTL read back is `secs`, set within the last minute.
fn set_to(ttl: i64, secs: i64) -> bool {
    (secs - 60..=secs).contains(&ttl)
}

const PACE: Pace = Pace {
    scan_count: 50,
    max_ops_per_sec: 0,
};

/// `change` to the namespace `pattern` (`:` delimiters), on one server.
async fn change(
    con: &mut redis::aio::MultiplexedConnection,
    pattern: &str,
    change: Change,
) -> Report {
    let target = Target::new(pattern, b":").unwrap();
    actions::change_namespace(
        con,
        &target,
        change,
        PACE,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap()
}

async fn set(con: &mut redis::aio::MultiplexedConnection, key: &str) {
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg(1)
        .query_async(con)
        .await
        .unwrap();
}

async fn dbsize(con: &mut redis::aio::MultiplexedConnection) -> u64 {
    redis::cmd("DBSIZE").query_async(con).await.unwrap()
}

/// The stdout of a command that succeeded.
fn succeeded(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    stdout
}

/// The stderr of a command that was refused.
fn refused(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr
}

/// The `oubli` binary, without a user config, with `args`.
fn oubli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_oubli"))
        .env_remove("OUBLI_CONFIG")
        .env(
            "OUBLI_LOG_DIR",
            std::env::temp_dir().join("oubli-test-logs"),
        )
        .current_dir(std::env::temp_dir())
        .args(args)
        .output()
        .unwrap()
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
    let expire = |scope| Change::Expire { ttl: seven, scope };

    let target = Target::new("session:{int}", b":").unwrap();
    let plan = actions::plan_namespace(
        &mut con,
        &target,
        expire(TtlScope::NoTtl),
        PACE,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(plan.dry_run && plan.complete);
    assert_eq!((plan.in_namespace(), plan.changed), (300, 100));
    let plan = actions::plan_namespace(
        &mut con,
        &target,
        expire(TtlScope::NoTtlOrLonger),
        PACE,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(plan.changed, 200, "no TTL, or one longer than 7 days");
    assert_eq!(
        ttl(&mut con, "session:250").await,
        -1,
        "a count changes nothing"
    );

    let rep = change(&mut con, "session:{int}", expire(TtlScope::NoTtl)).await;
    assert!(rep.complete);
    assert_eq!((rep.scanned, rep.changed, rep.unchanged), (300, 100, 200));
    assert!(set_to(ttl(&mut con, "session:250").await, 7 * 86_400));
    assert!(
        set_to(ttl(&mut con, "session:5").await, 3_600),
        "a shorter TTL is kept"
    );
    assert!(
        set_to(ttl(&mut con, "session:150").await, 30 * 86_400),
        "NoTtl leaves longer TTLs"
    );
    assert_eq!(
        ttl(&mut con, "other:1").await,
        -1,
        "other namespaces are untouched"
    );

    let rep = change(&mut con, "session:{int}", expire(TtlScope::NoTtlOrLonger)).await;
    assert_eq!(rep.changed, 100, "only the 30-day TTLs were shortened");
    assert!(set_to(ttl(&mut con, "session:150").await, 7 * 86_400));
    assert!(set_to(ttl(&mut con, "session:5").await, 3_600));
    // Running it again changes nothing.
    let rep = change(&mut con, "session:{int}", expire(TtlScope::NoTtlOrLonger)).await;
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
    let target = Target::new("rate_limit:{ip}", b":").unwrap();
    let mut steps = 0;
    let rep = actions::change_namespace(
        &mut con,
        &target,
        Change::Unlink,
        Pace {
            scan_count: 100,
            max_ops_per_sec: 10_000,
        },
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
    let run = oubli;
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
    assert!(refused(&run(&base)).contains("read-only"));
    let out = run(&[&base[..], &["--write", "--confirm", "otp:*"]].concat());
    assert!(refused(&out).contains("type the namespace exactly"));
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
    succeeded(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changed"], 20);
    assert_eq!(v["plan"]["changed"], 20, "counted before acting");
    assert!(set_to(ttl(&mut con, "otp:0612345601").await, 600));
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
    succeeded(&out);
    let left: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    assert_eq!(left, 0);
}

/// `user:{int}:cart`'s glob is `user:*:cart`, which `user:7:b:cart` (another
/// namespace, `user:{int}:b:cart`) matches too: a change of the first
/// used to change both. Now only keys that fold to the namespace change,
/// through the engine, the keyspace (the console's path) and the command
/// line alike; the others are counted as left alone.
#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_change_touches_only_its_namespace() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    for i in 0..120 {
        set(&mut con, &format!("user:{i}:cart")).await;
    }
    for i in 0..50 {
        set(&mut con, &format!("user:{i}:b:cart")).await;
    }
    let sibling = "user:7:b:cart";
    assert_eq!(
        oubli::pii::keys::pattern(sibling.as_bytes(), b":"),
        "user:{int}:b:cart"
    );
    assert!(oubli::keypattern::glob_match(
        Target::new("user:{int}:cart", b":").unwrap().glob(),
        sibling.as_bytes()
    ));

    // The engine, on one server.
    let hour = Change::Expire {
        ttl: Duration::from_secs(3_600),
        scope: TtlScope::NoTtl,
    };
    let rep = change(&mut con, "user:{int}:cart", hour).await;
    assert_eq!(
        (rep.scanned, rep.outside, rep.changed, rep.unchanged),
        (170, 50, 120, 0)
    );
    assert!(set_to(ttl(&mut con, "user:3:cart").await, 3_600));
    assert_eq!(ttl(&mut con, sibling).await, -1, "the sibling keeps no TTL");

    // The keyspace the console and the command line act through.
    let ks = oubli::redis::keyspace::Keyspace::open(
        &common::connection(&r.url, false, false),
        &common::redis_settings(),
    )
    .await
    .unwrap();
    let target = Target::new("user:{int}:cart", b":").unwrap();
    let token = CancellationToken::new();
    let plan = ks
        .plan_namespace(Change::Unlink, &target, PACE, &token)
        .await
        .unwrap();
    assert_eq!((plan.changed, plan.outside), (60 + 60, 50));
    for i in 0..60 {
        let _: () = redis::cmd("UNLINK")
            .arg(format!("user:{i}:cart"))
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let rep = ks
        .change_namespace(Change::Unlink, &target, PACE, &token, |_| {})
        .await
        .unwrap();
    assert_eq!((rep.changed, rep.outside), (60, 50));
    assert_eq!(dbsize(&mut con).await, 50);

    // The command line: the count before, then the count done.
    for i in 0..30 {
        set(&mut con, &format!("user:{i}:cart")).await;
    }
    let out = oubli(&[
        "redis",
        "unlink",
        "--redis",
        r.url.as_str(),
        "--namespace",
        "user:{int}:cart",
        "--write",
        "--confirm",
        "user:{int}:cart",
    ]);
    let stdout = succeeded(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0]
            .contains("30 keys will change, of 30 in the namespace; 50 keys of other namespaces"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("30 keys changed, 0 unchanged, of 30 in the namespace"),
        "{stdout}"
    );
    assert_eq!(dbsize(&mut con).await, 50);
    let left: i64 = redis::cmd("EXISTS")
        .arg(sibling)
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(left, 1);
}

/// `oubli redis unlink --namespace '{other}'` used to UNLINK the whole
/// database (`{other}`'s glob is `*`). The bucket is no target, with or
/// without --force; a pattern that is not a namespace is refused with
/// what it folds to; a namespace no key is in is refused unless --force.
#[tokio::test(flavor = "multi_thread")]
async fn the_other_bucket_and_unknown_namespaces_are_refused() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    for i in 0..200 {
        set(&mut con, &format!("ns{i}:x")).await;
    }
    for i in 0..50 {
        set(&mut con, &format!("keepme:{i}:data")).await;
    }
    assert_eq!(
        Target::new("{other}", b":").unwrap_err(),
        actions::Refusal::Bucket
    );
    let ns = |n: &str, extra: &[&str]| {
        let mut a = vec![
            "redis",
            "unlink",
            "--redis",
            r.url.as_str(),
            "--write",
            "--namespace",
            n,
            "--confirm",
            n,
        ];
        a.extend_from_slice(extra);
        oubli(&a)
    };
    for extra in [&[][..], &["--force"]] {
        let err = refused(&ns("{other}", extra));
        assert!(err.contains("not a namespace"), "{err}");
    }
    let err = refused(&ns("keepme:42:data", &[]));
    assert!(err.contains("folds to keepme:{int}:data"), "{err}");
    assert!(
        !err.contains("keepme:42"),
        "the typed name is not echoed: {err}"
    );
    // A namespace in the census's form that no key is in.
    assert!(refused(&ns("keepme:{int}:gone", &[])).contains("--force"));
    let out = succeeded(&ns("keepme:{int}:gone", &["--force"]));
    assert!(out.contains("0 keys will change"));
    assert_eq!(dbsize(&mut con).await, 250, "nothing was removed");
    succeeded(&ns("keepme:{int}:data", &[]));
    assert_eq!(dbsize(&mut con).await, 200);
}

/// In the console, the `{other}` row (the census's bucket past its limit)
/// offers no change, and a namespace's dialog says how many keys the last
/// census counted that the change will touch.
#[test]
fn the_console_refuses_the_bucket_and_shows_the_count() {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use oubli::redis::census::{Census, Namespace};
    use oubli::tui::browser::{CensusState, Remediation};
    use oubli::tui::state::{AppState, Overlay};

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let loaded = oubli::register::load_file(&path).unwrap();
    let mut s = AppState::new(&loaded, false, std::time::Instant::now());
    s.write_mode = true;
    s.focus = oubli::tui::action::PaneId::Redis;
    let ns = |pattern: &str, keys, no_ttl| Namespace {
        pattern: pattern.into(),
        keys,
        no_ttl,
        ..Namespace::default()
    };
    s.browser.set_census(CensusState::Done {
        census: Census {
            namespaces: vec![
                ns("{other}", 1_001, 1_001),
                ns("keepme:{int}:data", 500, 120),
            ],
            complete: true,
            ..Census::default()
        },
        at: chrono::Local::now(),
    });
    let press = |s: &mut AppState, c: KeyCode| {
        s.on_event(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    };
    for key in ['D', 'T'] {
        press(&mut s, KeyCode::Char(key));
    }
    assert!(
        matches!(s.overlay, Overlay::None),
        "no dialog for {{other}}"
    );
    let flash = s.flash.as_ref().map(|f| f.0.clone()).unwrap_or_default();
    assert!(flash.contains("not one namespace"), "{flash}");

    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char('D'));
    let Overlay::Confirm(c) = &s.overlay else {
        panic!("a dialog for keepme:{{int}}:data");
    };
    assert_eq!(
        c.0,
        Remediation::UnlinkNamespace {
            pattern: "keepme:{int}:data".into(),
            keys: 500
        }
    );
    assert!(
        c.0.describe().contains(": 500 keys by the last census"),
        "{}",
        c.0.describe()
    );
}
