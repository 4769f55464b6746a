//! The headless face: `--help`, `status` against real servers and against
//! dead ones, `demo seed` through the binary, and exit codes.

mod common;

use std::process::Command;

use common::{TestPg, TestRedis};

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

#[test]
fn help_names_every_command() {
    let out = oubli().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "config",
        "status",
        "demo",
        "screenshot",
        "--redis",
        "--pg",
        "--write",
        "Exit codes: 0 clean, 1 findings, 2",
    ] {
        assert!(text.contains(cmd), "--help lacks {cmd}");
    }
    let out = oubli().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn without_a_register_or_url_it_says_what_to_do() {
    let out = oubli()
        .arg("status")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no register: pass --config FILE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_then_status_through_the_binary() {
    let redis = TestRedis::start();
    let pg = TestPg::create().await;
    let out = oubli()
        .args([
            "demo", "seed", "--users", "300", "--keys", "1500", "--redis", &redis.url, "--pg",
            &pg.url,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("redis: 1,500 items"), "{stdout}");
    assert!(stdout.contains("300  users"), "{stdout}");

    let out = oubli()
        .args([
            "status", "--format", "json", "--redis", &redis.url, "--pg", &pg.url,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    let redis_c = conns.iter().find(|c| c["kind"] == "redis").unwrap();
    assert_eq!(redis_c["ok"], true);
    let keys: u64 = redis_c["overview"]["dbs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["keys"].as_u64().unwrap())
        .sum();
    // Rate-limit counters live 60 s: at most those may have gone already.
    assert!((1_400..=1_500).contains(&keys), "{keys}");
    let pg_c = conns.iter().find(|c| c["kind"] == "postgres").unwrap();
    let tables: Vec<&str> = pg_c["overview"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for t in oubli::demo::TABLES {
        assert!(tables.contains(&t), "{t} missing from {tables:?}");
    }
}

#[test]
fn status_of_a_dead_server_exits_2_and_never_shows_the_password() {
    let out = oubli()
        .args([
            "status",
            "--redis",
            "redis://app:pw-do-not-show@127.0.0.1:1/0",
            "--pg",
            "postgresql://u:pg-do-not-show@127.0.0.1:1/db",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("FAIL"), "{all}");
    assert!(
        all.contains("cannot connect to Redis at redis://app:***@127.0.0.1:1/0"),
        "{all}"
    );
    assert!(all.contains("cannot connect to Postgres"), "{all}");
    assert!(!all.contains("do-not-show"), "{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn init_proposes_a_register_from_a_database_and_a_keyspace() {
    let (redis, pg) = common::seeded_demo(200, 1_500, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("register.toml");
    let out = oubli()
        .args(["init", "--pg", &pg.url, "--redis", &redis.url, "--out"])
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.contains("pattern = \"user:{user_id}:profile\""),
        "{text}"
    );
    assert!(
        text.contains("pattern = \"app:production:user_session_domain:{email}\""),
        "{text}"
    );
    assert!(text.contains("#   rate_limit:{ip}"), "{text}");
    let check = oubli()
        .args(["config", "check"])
        .arg(&out_file)
        .env("OUBLI_PG_URL", &pg.url)
        .env("OUBLI_REDIS_URL", &redis.url)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// The first steps as `oubli init` prints them: with the variables the
/// written register reads left unset, the `config check` it recommends —
/// `oubli --pg URL --redis URL config check FILE` — passes as printed, the
/// flags standing in (a warning that says so); without the flags it is an
/// error that says how to fix it; a command that dials no store runs.
#[tokio::test(flavor = "multi_thread")]
async fn the_config_check_that_init_recommends_passes_as_printed() {
    let redis = TestRedis::start();
    let pg = TestPg::create().await;
    let opts = oubli::demo::SeedOptions {
        users: 50,
        keys: 200,
        seed: 3,
    };
    oubli::demo::seed_postgres(&mut pg.client().await, &opts)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.toml");
    let unset = |c: &mut Command| {
        c.env_remove("OUBLI_PG_URL").env_remove("OUBLI_REDIS_URL");
    };
    let mut init = oubli();
    unset(&mut init);
    let out = init
        .args(["init", "--pg", &pg.url, "--redis", &redis.url, "--out"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let printed = stderr
        .lines()
        .find_map(|l| l.strip_prefix("  oubli "))
        .unwrap_or_else(|| panic!("init recommends no command: {stderr}"));
    assert_eq!(
        printed,
        format!(
            "--pg {} --redis {} config check {}",
            pg.url,
            redis.url,
            file.display()
        ),
        "{stderr}"
    );

    // The command as printed (the test URLs and path need no quoting).
    let mut check = oubli();
    unset(&mut check);
    let out = check.args(printed.split(' ')).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("ok — ") && stdout.contains("2 connections ("),
        "{stdout}"
    );
    assert!(
        stdout.contains("from --pg") && stdout.contains("from --redis"),
        "{stdout}"
    );
    for (var, flag) in [("OUBLI_PG_URL", "--pg"), ("OUBLI_REDIS_URL", "--redis")] {
        assert!(
            stderr.lines().any(|l| l.starts_with("warning: ")
                && l.contains(&format!("environment variable {var} is not set"))
                && l.contains(&format!("only a warning ({flag} URL stands in"))),
            "{stderr}"
        );
    }
    assert!(!stderr.contains("error"), "{stderr}");

    // Without the flags the same file is refused, and says what to do.
    let mut bare = oubli();
    unset(&mut bare);
    let out = bare.args(["config", "check"]).arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("error: ")
            && l.contains("environment variable OUBLI_PG_URL is not set")
            && l.contains("an error (set it, or pass --pg URL")),
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");

    // `map` dials no store: the unset variables do not stop it.
    let mut map = oubli();
    unset(&mut map);
    let out = map
        .args(["map", "--format", "json", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let manifest = env!("CARGO_MANIFEST_DIR");
    let mut child = oubli()
        .args([
            "map",
            "--format",
            "json",
            "--config",
            &format!("{manifest}/config/example.toml"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before oubli writes, as `| head` does.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("crashed"),
        "{err}"
    );
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "{:?} {err}",
        out.status
    );
}

/// `scan redis --filter` keeps the namespaces the console's `/` would: the
/// same words, from the same engine filter.
#[tokio::test(flavor = "multi_thread")]
async fn scan_redis_filters_namespaces_as_the_console_does() {
    let redis = TestRedis::start();
    let opts = oubli::demo::SeedOptions {
        users: 50,
        keys: 600,
        seed: 3,
    };
    oubli::demo::seed_redis(&mut redis.connection().await, &opts)
        .await
        .unwrap();
    let scan = |args: &[&str]| {
        let out = oubli()
            .args(["--redis", &redis.url, "scan", "redis"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let all = scan(&[]);
    assert!(
        all.contains("user:{int}:profile") && all.contains("rdv:sessions"),
        "{all}"
    );
    let some = scan(&["--filter", "profile"]);
    assert!(
        some.contains("1 of them match --filter \"profile\""),
        "{some}"
    );
    assert!(
        some.contains("user:{int}:profile") && !some.contains("rdv:sessions"),
        "{some}"
    );
    let json = scan(&["--format", "json", "--filter", "pii nottl"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let kept = v["namespaces"].as_array().unwrap();
    assert!(!kept.is_empty(), "{json}");
    for n in kept {
        assert!(n["no_ttl"].as_u64().unwrap() > 0, "{n}");
        let pii =
            n["key_pii"].as_object().unwrap().len() + n["value_pii"].as_object().unwrap().len();
        assert!(pii > 0, "{n}");
    }
}
