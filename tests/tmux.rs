//! The console driven like a person would: in tmux, with `send-keys`, read
//! back with `capture-pane`. Each test runs its own tmux server (`-L`), so
//! tests do not see each other. Needs `tmux` (scripts/test.sh installs it).

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::TestRedis;

struct Tmux {
    socket: String,
}

impl Tmux {
    /// Start `command` (run by sh) in a detached session of `w` x `h`.
    fn start(w: u16, h: u16, command: &str) -> Tmux {
        static N: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "oubli-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let t = Tmux { socket };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed (is tmux installed?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .output()
            .expect("cannot run tmux: install it (scripts/test.sh does)")
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let out = self.tmux(&["send-keys", "-t", "t", k]);
            assert!(out.status.success());
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn format(&self, f: &str) -> String {
        String::from_utf8_lossy(&self.tmux(&["display-message", "-p", "-t", "t", f]).stdout)
            .trim()
            .to_string()
    }

    /// Wait until the screen shows every one of `needles`; panic with the
    /// screen after `secs`.
    fn wait_for(&self, needles: &[&str], secs: u64) -> String {
        self.wait_until(&format!("{needles:?}"), secs, |s| {
            needles.iter().all(|n| s.contains(n))
        })
    }

    /// Wait until `ok(screen)`; panic with the screen after `secs`.
    fn wait_until(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn oubli() -> String {
    env!("CARGO_BIN_EXE_oubli").to_string()
}

/// The shell command that runs oubli, then prints its exit code and the
/// terminal modes, then waits so the pane can be read.
fn wrapped(args: &str, env: &str, out: &Path) -> String {
    format!(
        "cd /tmp && env OUBLI_LOG_DIR=/tmp/oubli-test-logs {env} {} {args}; echo \"exit=$?\"; stty -a > {}; echo done; sleep 120",
        oubli(),
        out.display()
    )
}

fn assert_terminal_restored(t: &Tmux, stty: &Path) {
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    let modes = std::fs::read_to_string(stty).unwrap();
    for m in ["icanon", "echo", "isig"] {
        assert!(
            modes.split_whitespace().any(|w| w == m),
            "{m} not restored: {modes}"
        );
    }
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor still hidden");
}

#[test]
fn a_panic_restores_the_terminal_and_leaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let stty = dir.path().join("stty");
    let t = Tmux::start(
        80,
        24,
        &wrapped(
            "--redis redis://127.0.0.1:1",
            "OUBLI_DEBUG_PANIC_AFTER_MS=1500",
            &stty,
        ),
    );
    t.wait_for(&["READ-ONLY"], 10);
    let screen = t.wait_for(&["exit=101", "done"], 10);
    assert!(screen.contains("oubli crashed at"), "{screen}");
    assert!(screen.contains("The terminal was restored"), "{screen}");
    assert_terminal_restored(&t, &stty);
}

#[test]
fn ctrl_c_and_q_restore_the_terminal() {
    for key in ["C-c", "q"] {
        let dir = tempfile::tempdir().unwrap();
        let stty = dir.path().join("stty");
        let t = Tmux::start(80, 24, &wrapped("--redis redis://127.0.0.1:1", "", &stty));
        t.wait_for(&["READ-ONLY"], 10);
        t.keys(&[key]);
        t.wait_for(&["exit=0", "done"], 10);
        assert_terminal_restored(&t, &stty);
    }
}

/// The console's process: the child of the pane's shell (`env` execs it).
fn console_pid(t: &Tmux) -> String {
    let shell = t.format("#{pane_pid}");
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // not a process, or gone already
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1);
        if ppid == Some(shell.as_str()) && head.ends_with("(oubli") {
            return entry.file_name().to_string_lossy().into_owned();
        }
    }
    panic!("no oubli process under the pane's shell {shell}");
}

/// A signal ends the console with 128 + its number, so a script can tell
/// it from a person quitting, and the terminal is restored first.
#[test]
fn sigterm_and_sighup_exit_with_their_own_code_and_restore_the_terminal() {
    for (signal, code) in [("TERM", "exit=143"), ("HUP", "exit=129")] {
        let dir = tempfile::tempdir().unwrap();
        let stty = dir.path().join("stty");
        let t = Tmux::start(80, 24, &wrapped("--redis redis://127.0.0.1:1", "", &stty));
        t.wait_for(&["READ-ONLY"], 10);
        let pid = console_pid(&t);
        let out = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .output()
            .unwrap();
        assert!(out.status.success(), "kill -{signal} {pid}");
        t.wait_for(&[code, "done"], 10);
        assert_terminal_restored(&t, &stty);
    }
}

#[test]
fn a_bad_register_is_refused_before_the_screen_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let stty = dir.path().join("stty");
    let reg = dir.path().join("bad.toml");
    std::fs::write(
        &reg,
        "[register]\nname = 'x'\ncontroller = 'c'\ncontact = 'd'\n[[flow]]\nfrom = 'a'\nto = 'b'\n",
    )
    .unwrap();
    let t = Tmux::start(
        100,
        24,
        &wrapped(&format!("--config {}", reg.display()), "", &stty),
    );
    let screen = t.wait_for(&["exit=2", "done"], 10);
    assert!(
        screen.contains("bad.toml:6:8: flow from \"a\", which is not a declared storage"),
        "{screen}"
    );
    assert_terminal_restored(&t, &stty);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_shows_live_servers_and_says_when_one_goes_away() {
    let (redis, pg) = common::seeded_demo(200, 2_000, 7).await;

    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("live.toml");
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"))
            .unwrap();
    // The demo register with quick probes, pointed at this test's servers.
    let text = format!(
        "{example}\n[redis]\nprobe_interval_secs = 1\n[retry]\ninitial_secs = 1\nmax_secs = 2\n"
    );
    std::fs::write(&reg, text).unwrap();
    let stty = dir.path().join("stty");
    let args = format!(
        "--config {} --redis {} --pg {}",
        reg.display(),
        redis.url,
        pg.url
    );
    let t = Tmux::start(120, 40, &wrapped(&args, "", &stty));

    // Below 160 columns one view at a time: the map first, with the
    // connections' state in the header and the views as tabs.
    let screen = t.wait_for(
        &[
            "redis:cache ●",
            "pg:main-db ●",
            "┏ 1 Data map",
            "4 Findings · ",
        ],
        20,
    );
    assert!(screen.contains("Booking service — demo"));
    // `2`: the Redis view. DBSIZE as it shows it equals what the seeder
    // wrote, less the keys that may have expired since.
    t.keys(&["2"]);
    t.wait_for(&["┏ 2 Redis", "db0"], 10);
    let mut con = redis.connection().await;
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    let shown = oubli::tui::widgets::count(dbsize);
    t.wait_for(&[shown.as_str()], 10);
    // `3`: the Postgres view, its tables.
    t.keys(&["3"]);
    t.wait_for(&["┏ 3 Postgres", "users", "participations"], 20);

    // Help, then the palette, driven by keys.
    t.keys(&["?"]);
    t.wait_for(&["Help — Esc to close", "refresh / reconnect now"], 5);
    // `q` closes help (a bare Esc followed at once by another key can be
    // read as Alt+key by the terminal).
    t.keys(&["q"]);
    t.wait_until("help closed", 5, |s| !s.contains("Help — Esc to close"));
    // The palette offers every view's commands, wherever one stands: the
    // census from the Postgres view, run in the Redis view.
    t.keys(&[":", "census"]);
    t.wait_until("the palette filtered", 5, |s| {
        s.contains("run the census again") && !s.contains("Postgres pane")
    });
    t.keys(&["Enter"]);
    t.wait_for(&["┏ 2 Redis", "census"], 10);
    // `4`: every finding; a filter shows in the title, Enter goes to it.
    t.keys(&["4"]);
    t.wait_for(&["┏ 4 Findings", "severity", "where", "no_ttl"], 30);
    t.keys(&["/", "no_ttl", "Enter"]);
    t.wait_for(&["filter \"no_ttl\""], 5);
    t.keys(&["Enter"]);
    t.wait_for(&["┏ 2 Redis"], 10);
    // The server goes away: the pane says so and retries; the rest lives on.
    drop(con);
    drop(redis);
    let screen = t.wait_for(&["redis:cache ✕", "error:", "retrying"], 15);
    assert!(screen.contains("pg:main-db ●"), "{screen}");
    t.keys(&["q"]);
    t.wait_for(&["exit=0"], 10);
    assert_terminal_restored(&t, &stty);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_filters_opens_a_value_and_reveals_it() {
    let redis = TestRedis::start();
    let opts = oubli::demo::SeedOptions {
        users: 50,
        keys: 600,
        seed: 3,
    };
    let mut con = redis.connection().await;
    oubli::demo::seed_redis(&mut con, &opts).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stty = dir.path().join("stty");
    let env = format!("OUBLI_STATE_DIR={}", dir.path().display());
    let t = Tmux::start(
        120,
        40,
        &wrapped(&format!("--redis {}", redis.url), &env, &stty),
    );
    t.keys(&["2"]);
    t.wait_for(&["keys in", "namespace · by keys"], 20);
    t.keys(&["/", "profile"]);
    t.wait_until("the table filtered to one namespace", 5, |s| {
        s.contains("user:{int}:profile") && !s.contains("rdv:sessions")
    });
    t.keys(&["Enter"]);
    t.wait_until("the filter closed", 5, |s| {
        !s.contains("find a node") && !s.contains("Enter or Esc when done")
    });
    t.keys(&["Enter"]);
    t.wait_for(&["86 keys", "user:1:profile", "hash"], 10);
    t.keys(&["Enter"]);
    let screen = t.wait_for(&["masked · R to reveal", "email"], 10);
    // The e-mail of the key on screen, read from Redis by the test itself.
    let key_line = screen
        .lines()
        .find(|l| l.contains("key user:"))
        .unwrap()
        .to_string();
    let key: String = key_line
        .split("key ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('┃')
        .to_string();
    let email: String = redis::cmd("HGET")
        .arg(&key)
        .arg("email")
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(
        !screen.contains(&email),
        "the e-mail shows before a reveal:\n{screen}"
    );
    t.keys(&["R"]);
    let screen = t.wait_for(&["REVEALED (audited)"], 5);
    assert!(
        screen.contains(&email),
        "revealed value not shown:\n{screen}"
    );
    t.keys(&["R"]);
    t.wait_until("masked again", 5, |s| !s.contains(&email));
    t.keys(&["q"]);
    t.wait_for(&["exit=0"], 10);
    assert_terminal_restored(&t, &stty);
}

/// A newcomer's path at 80x24, as issue 13 walks it: open, find the
/// namespace holding e-mails by typing `email`, open its detail, open a key
/// found by searching its value, reveal it, then the Findings view and a
/// jump to a Postgres finding, quit.
#[tokio::test(flavor = "multi_thread")]
async fn a_newcomer_finds_e_mails_a_key_by_value_and_a_postgres_finding_at_80x24() {
    let (redis, pg) = common::seeded_demo(200, 2_000, 7).await;
    // One session whose value holds a phone, written as people type it.
    let mut con = redis.connection().await;
    let () = redis::cmd("SET")
        .arg("rdv:sessions:0000000000000000000000000000abcd")
        .arg(r#"{"email":"nouvelle@example.fr","phone":"+33 6 98 76 54 32"}"#)
        .query_async(&mut con)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stty = dir.path().join("stty");
    let reg = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let args = format!(
        "--config {} --redis {} --pg {}",
        reg.display(),
        redis.url,
        pg.url
    );
    let t = Tmux::start(80, 24, &wrapped(&args, "", &stty));
    t.wait_for(&["redis:cache ●", "pg:main-db ●", "┏ 1 Data map"], 20);

    // `2`, then `email`: the namespaces where e-mails were found, the
    // filter shown in the title.
    t.keys(&["2"]);
    t.wait_for(&["┏ 2 Redis", "namespaces"], 10);
    t.wait_until("the census", 30, |s| s.contains(" keys in "));
    t.keys(&["/", "email", "Enter"]);
    let screen = t.wait_for(&["filter \"email\"", "rdv:sessions:{hex}"], 5);
    assert!(!screen.contains("rate_limit:"), "{screen}");
    // The first namespace listed is a session namespace; its detail.
    t.keys(&["g", "i"]);
    t.wait_for(
        &["namespace rdv:sessions:{hex}", "personal data", "email"],
        5,
    );
    // Its keys, searched by the phone typed another way.
    t.keys(&["Enter"]);
    t.wait_for(&["› keys"], 10);
    t.keys(&["/", "=06 98 76 54 32", "Enter"]);
    let screen = t.wait_for(&["1 match in the values of"], 20);
    assert!(screen.contains("rdv:sessions:0000000000"), "{screen}");
    // Never the text searched for: the title shows what was typed only
    // because the operator typed it; the status line does not repeat it.
    t.keys(&["Enter"]);
    t.wait_for(&["masked · R to reveal"], 10);
    t.keys(&["R"]);
    t.wait_for(&["REVEALED (audited)", "nouvelle@example.fr"], 10);

    // `4`: every finding; a Postgres one, and Enter goes to its table.
    t.keys(&["4"]);
    t.wait_for(&["┏ 4 Findings", "severity"], 10);
    t.keys(&["/", "rows_past_retention", "Enter"]);
    t.wait_for(&["filter \"rows_past_retention\""], 5);
    t.keys(&["Enter"]);
    t.wait_for(&["┏ 3 Postgres › main-db"], 10);
    t.keys(&["q"]);
    t.wait_for(&["exit=0"], 10);
    assert_terminal_restored(&t, &stty);
}
