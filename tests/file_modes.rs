//! Everything oubli writes (logs with their audit lines, state) is 0600 in
//! 0700 directories, whatever the umask: the real binary runs under
//! `umask 000` with its log and state directories in a temporary tree, and
//! every file and directory of the tree is checked.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TestRedis;

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Every path under `root`, `root` included.
fn tree(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(&out[i])
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            children.sort();
            out.extend(children);
        }
        i += 1;
    }
    out
}

/// Every path under `root` (made by the test, so not itself checked).
fn assert_private(root: &Path) {
    for p in tree(root).into_iter().skip(1) {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&p), want, "{} is {:o}", p.display(), mode(&p));
    }
}

/// oubli with `args`, under `umask 000`, its home, state and logs in `home`.
fn oubli(home: &Path, log_dir: Option<&Path>, args: &[&str]) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_oubli"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("OUBLI_CONFIG")
        .env_remove("OUBLI_STATE_DIR")
        .env_remove("OUBLI_LOG_DIR")
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"));
    if let Some(d) = log_dir {
        c.env("OUBLI_LOG_DIR", d);
    }
    c.output().unwrap()
}

fn logs_in(dir: &Path) -> String {
    tree(dir)
        .iter()
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "log"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn logs_are_private_whatever_the_umask() {
    let home = tempfile::tempdir().unwrap();
    // The default place: $XDG_STATE_HOME/oubli, made by oubli.
    let out = oubli(
        home.path(),
        None,
        &["config", "check", "config/example.toml"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let state = home.path().join("state/oubli");
    assert!(logs_in(&state).contains("oubli started"), "no log line");
    // A nested OUBLI_LOG_DIR: every directory made is private.
    let nested = home.path().join("logs/a/b");
    let out = oubli(
        home.path(),
        Some(&nested),
        &[
            "config",
            "check",
            "tests/fixtures/broken/zero_settings.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(logs_in(&nested).contains("oubli started"));
    assert_private(home.path());
}

#[test]
fn an_earlier_world_readable_log_directory_is_tightened() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state/oubli");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let old = state.join("oubli.2020-01-01.log");
    std::fs::write(&old, "an old line\n").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Some file that is not oubli's own is left alone.
    let other = home.path().join("state/other.txt");
    std::fs::write(&other, "x").unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        home.path().join("state"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();

    let out = oubli(home.path(), None, &["config", "check", "config/demo.toml"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(mode(&state), 0o700);
    assert_private(&state);
    assert_eq!(mode(&other), 0o644);
    assert_eq!(mode(&home.path().join("state")), 0o755);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audited_change_is_logged_in_a_private_file() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let mut mset = redis::cmd("MSET");
    for i in 0..5 {
        mset.arg(format!("otp:06123456{i:02}")).arg(1);
    }
    let _: () = mset.query_async(&mut con).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let logs = home.path().join("logs");
    let out = oubli(
        home.path(),
        Some(&logs),
        &[
            "redis",
            "expire",
            "--redis",
            &r.url,
            "--namespace",
            "otp:{phone}",
            "--ttl",
            "10 minutes",
            "--write",
            "--confirm",
            "otp:{phone}",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let log = logs_in(&logs);
    assert!(log.contains("redis remediation"), "no audit line: {log}");
    assert!(!log.contains("0612345601"), "a key name in the log: {log}");
    assert_private(home.path());
}

#[test]
fn write_private_replaces_a_file_whole_and_private() {
    // SAFETY: umask has no preconditions; this binary's tests all want
    // the most permissive one, to show the modes do not come from it.
    unsafe {
        libc::umask(0);
    }
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("state/oubli/census-cache.json");
    oubli::logging::write_private(&path, b"{\"first\":1}").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"first\":1}");
    // A file an earlier version left world-readable is replaced.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    oubli::logging::write_private(&path, b"{\"second\":2}").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"second\":2}");
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1,
        "no temporary file left"
    );
    let appended = home.path().join("audit/trail.log");
    let mut f = oubli::logging::open_private_append(&appended).unwrap();
    std::io::Write::write_all(&mut f, b"line\n").unwrap();
    assert_private(home.path());
    // A path that cannot be a directory is an error, not a panic.
    let blocked = path.join("below-a-file.json");
    assert!(oubli::logging::write_private(&blocked, b"x").is_err());
}
