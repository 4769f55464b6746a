//! The corpus of broken registers: each file says, in `# expect:` lines,
//! the `line:column: reason` that `oubli config check` must print, and in
//! `# forbid:` lines what must never appear (secrets). Exit code 2 each time.
//! Every error of a file is reported, in file order.

use std::path::Path;
use std::process::Command;

fn oubli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oubli"));
    c.env_remove("OUBLI_CONFIG").env(
        "OUBLI_LOG_DIR",
        std::env::temp_dir().join("oubli-test-logs"),
    );
    c
}

#[test]
fn every_broken_register_is_refused_with_its_position_and_reason() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 6, "the corpus is missing");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let expects: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        let forbids: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# forbid: "))
            .collect();
        assert!(
            !expects.is_empty(),
            "{} has no # expect line",
            file.display()
        );
        let out = oubli()
            .arg("config")
            .arg("check")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        // Each expectation, in the order the file lists them (file order).
        let mut from = 0;
        for e in &expects {
            let wanted = format!("{}:{e}", file.display());
            let found = stderr[from..].find(&wanted);
            assert!(
                found.is_some(),
                "{}:\n wanted {wanted} (after byte {from})\n got {stderr}",
                file.display()
            );
            from += found.unwrap_or(0) + wanted.len();
        }
        assert_eq!(
            stderr.matches("error: ").count(),
            expects.len(),
            "{}: one error per expectation, got {stderr}",
            file.display()
        );
        for f in &forbids {
            assert!(!stderr.contains(f), "{}: leaked {f:?}", file.display());
        }
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_shipped_registers_are_valid() {
    for name in ["config/example.toml", "config/demo.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
        let out = oubli()
            .arg("config")
            .arg("check")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout)
            .contains("ok — 19 storages, 19 flows, 2 connections, person model"));
    }
}

#[test]
fn the_example_holds_the_whole_reference_map() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
    let l = oubli::register::load_file(&path).unwrap();
    let reg = &l.register;
    use oubli::register::{Retention, StorageKind};
    // The eight storages of the written map, plus the SMS providers and the Redis backups.
    for id in [
        "postgres",
        "redis",
        "logs",
        "backups",
        "etl-db",
        "partners",
        "sentry",
        "email-provider",
        "sms-1",
        "redis-backups",
    ] {
        assert!(
            reg.storage(id).is_some_and(|s| s.kind().is_persistent()),
            "{id}"
        );
    }
    let ret = |id: &str| reg.storage(id).unwrap().effective_retention().unwrap();
    assert_eq!(ret("postgres").to_string(), "2 years");
    assert_eq!(ret("redis").to_string(), "7 days");
    assert_eq!(ret("etl-db").to_string(), "~2 hours");
    assert_eq!(ret("partners"), Retention::Unknown);
    // Manual backups never expire, so the backups as a whole don't.
    assert_eq!(ret("backups"), Retention::NoExpiry);
    assert_eq!(reg.storage("backups").unwrap().variants.len(), 2);
    assert!(!reg.storage("sentry").unwrap().is_inside());
    assert_eq!(reg.storage("web").unwrap().kind(), StorageKind::Process);
    assert_eq!(
        reg.storages
            .iter()
            .filter(|s| s.kind() == StorageKind::Actor)
            .count(),
        4
    );
    let both = reg.flows.iter().filter(|f| f.both_ways).count();
    assert_eq!((reg.flows.len(), both), (19, 7));
    let person = reg.person.as_ref().unwrap();
    assert_eq!(person.postgres.len(), 4);
    assert_eq!(person.redis.len(), 3);
}

#[test]
fn config_check_without_a_file_is_a_usage_error() {
    let out = oubli()
        .current_dir(std::env::temp_dir())
        .args(["config", "check"])
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("which file?"));
}

#[test]
fn a_missing_file_is_reported_not_panicked() {
    let out = oubli()
        .args(["config", "check", "/nonexistent/oubli.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/oubli.toml:1:1: cannot read the register"),
        "{err}"
    );
}

#[test]
fn secrets_come_from_env_and_files_and_never_show() {
    use std::collections::HashMap;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pg-url"),
        "postgresql://app:pw-from-file@127.0.0.1:5432/db\n",
    )
    .unwrap();
    let text = r#"
[register]
name = "t"
controller = "c"
contact = "x"
[connection.cache]
kind = "redis"
url = "redis://127.0.0.1:6379/2"
username = "oubli"
password_env = "REDIS_PW"
[connection.db]
kind = "postgres"
url_file = "pg-url"
"#;
    let env: HashMap<String, String> = [("REDIS_PW".to_string(), "pw-from-env".to_string())].into();
    let l = oubli::register::load_str(text, &dir.path().join("r.toml"), &env).unwrap();
    let cache = &l.connections["cache"];
    assert_eq!(
        cache.url.expose(),
        "redis://oubli:pw-from-env@127.0.0.1:6379/2"
    );
    assert!(!cache.url.to_string().contains("pw-from-env"));
    assert!(!format!("{:?}", l.connections).contains("pw-from"));
    assert_eq!(
        l.connections["db"].url.expose(),
        "postgresql://app:pw-from-file@127.0.0.1:5432/db"
    );
    // A Redis URL for a Postgres connection is named as such.
    let wrong = text.replace("url_file = \"pg-url\"", "url = \"redis://127.0.0.1:6379\"");
    let e = oubli::register::load_str(&wrong, Path::new("w.toml"), &env).unwrap_err();
    assert!(e.to_string().contains("URL scheme is \"redis\""), "{e}");
}

const HEADER: &str = "[register]\nname = \"t\"\ncontroller = \"c\"\ncontact = \"x\"\n";

/// `config check` on `text`, written to a temporary register: its stderr.
fn check_text(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.toml");
    std::fs::write(&path, text).unwrap();
    let out = oubli()
        .args(["config", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The shown source line and the column its caret is at (1-based, in characters).
fn snippet(stderr: &str) -> (String, usize) {
    let lines: Vec<&str> = stderr.lines().collect();
    let caret = lines.iter().position(|l| l.contains('^')).expect(stderr);
    let shown = lines[caret - 1].split_once(" | ").unwrap().1.to_string();
    let col = lines[caret].split_once(" | ").unwrap().1.find('^').unwrap() + 1;
    (shown, col)
}

#[test]
fn a_200_kb_line_is_shown_cut_around_the_error_with_its_secret_masked() {
    let filler = "x".repeat(200_000);
    // The error at the end of the line: garbage after the URL.
    let text = format!(
        "{HEADER}[connection.c]\nkind = \"redis\"\nurl = \"redis://:s3cr3tPassw0rd@127.0.0.1:6379/0?{filler}\" trailing\n"
    );
    let err = check_text(&text);
    assert!(err.len() < 2_000, "{} bytes", err.len());
    assert!(!err.contains("s3cr3tPassw0rd"), "{err}");
    assert!(err.contains(":7:200051: "), "{err}");
    let (shown, col) = snippet(&err);
    assert!(
        shown.starts_with('…') && shown.ends_with("\" trailing"),
        "{shown}"
    );
    assert_eq!(
        shown.chars().skip(col - 1).take(8).collect::<String>(),
        "trailing"
    );

    // The error at the start of the line; the secret is past the cut.
    let text = format!(
        "{HEADER}[connection.c]\nkind = \"redis\"\nbogus = \"{filler}redis://:s3cr3tPassw0rd@h\"\n"
    );
    let err = check_text(&text);
    assert!(
        err.len() < 2_000 && !err.contains("s3cr3tPassw0rd"),
        "{err}"
    );
    let (shown, col) = snippet(&err);
    assert!(
        shown.starts_with("bogus = \"xxx") && shown.ends_with('…'),
        "{shown}"
    );
    assert_eq!(col, 1);

    // serde quotes a wrong value whole in its message: cut too, and masked.
    let text = format!(
        "{HEADER}[connection.c]\nkind = \"redis\"\nurl_env = \"U\"\ncluster = \"redis://:s3cr3tPassw0rd@h/{filler}\"\n"
    );
    let err = check_text(&text);
    assert!(
        err.len() < 2_000 && !err.contains("s3cr3tPassw0rd"),
        "{err}"
    );
    assert!(
        err.contains(":8:11: invalid type: string \"redis://:***@h/xxx"),
        "{err}"
    );
}

#[test]
fn a_password_in_a_query_or_userinfo_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let url_file = dir.path().join("pg-url");
    std::fs::write(
        &url_file,
        "postgres://postgres@127.0.0.1:1/db?sslmode=disable&password=hunter2secret\n",
    )
    .unwrap();
    let register = dir.path().join("r.toml");
    std::fs::write(
        &register,
        format!("{HEADER}[connection.db]\nkind = \"postgres\"\nurl_file = \"pg-url\"\n"),
    )
    .unwrap();
    let runs: [&[&str]; 5] = [
        &[
            "--pg",
            "postgres://postgres@127.0.0.1:1/db?sslmode=disable&password=hunter2secret",
            "status",
        ],
        &[
            "--pg",
            "host=127.0.0.1 port=1 sslmode=disable password=hunter2secret",
            "status",
            "--format",
            "json",
        ],
        &["--redis", "redis://:hunter2secret@127.0.0.1:1/0", "status"],
        &[
            "--redis",
            "rediss://app:hunter2secret@127.0.0.1:1/0",
            "status",
            "--format",
            "json",
        ],
        &["--config", register.to_str().unwrap(), "status"],
    ];
    for args in runs {
        let out = oubli().args(args).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains("127.0.0.1"), "{args:?}: {all}");
        assert!(!all.contains("hunter2secret"), "{args:?}: {all}");
    }
}

#[test]
fn none_switches_a_limit_off_and_says_so() {
    use std::collections::HashMap;
    let load = |settings: &str| {
        oubli::register::load_str(
            &format!("{HEADER}{settings}"),
            Path::new("t.toml"),
            &HashMap::new(),
        )
    };
    let l =
        load("[redis]\nmax_ops_per_sec = \"none\"\npause_above_ops_per_sec = \"none\"\n").unwrap();
    let redis = &l.register.redis;
    assert_eq!(redis.load_budget(), None);
    assert_eq!(redis.load_budget_label(), "none");
    assert_eq!(redis.pause_above(), None);
    assert_eq!(redis.census_interval(), None, "the shipped default");
    let l = load("[redis]\nmax_ops_per_sec = 500\ncensus_interval_secs = 60\n").unwrap();
    assert_eq!(l.register.redis.load_budget(), Some(500));
    assert_eq!(l.register.redis.load_budget_label(), "500 ops/s");
    assert_eq!(
        l.register.redis.census_interval(),
        Some(std::time::Duration::from_secs(60))
    );
    // A safeguard that may not be switched off has no "none".
    let e = load("[redis]\ncommand_timeout_ms = \"none\"\n[postgres]\nstatement_timeout_ms = -1\n")
        .unwrap_err();
    assert_eq!(e.0.len(), 2, "{e}");
    assert!(
        e.0[0].reason.starts_with("invalid type: string \"none\""),
        "{e}"
    );
    assert!(
        e.0[1].reason.starts_with("invalid value: integer `-1`"),
        "{e}"
    );
}
