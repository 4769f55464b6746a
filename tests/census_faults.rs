//! A census against a server that misbehaves part-way: paused longer than
//! the command timeout (`CLIENT PAUSE`), busy with a script, or killed.
//! The census waits a fault out within its retry policy, from the same
//! SCAN cursor, and counts every key once; when the fault outlasts the
//! policy it returns what it counted, marked incomplete, with the reason.
//! Then `oubli scan redis` through the binary: its census kept on disk for
//! the next run (0600 in 0700), and a stopped census printed as JSON with
//! exit code 2.

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use oubli::redis::census::{Census, CensusOptions, Progress, RetryPolicy};
use oubli::redis::cluster::census_connection;
use tokio_util::sync::CancellationToken;

use common::{census_options, connection, redis_settings, TestRedis};

/// Keys `fault:{n}:k` and `other:{n}`, no TTL.
const KEYS: usize = 3_000;

async fn seeded() -> TestRedis {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let mut pipe = redis::pipe();
    for i in 0..KEYS {
        let key = if i % 3 == 0 {
            format!("other:{i}")
        } else {
            format!("fault:{i}:k")
        };
        pipe.cmd("SET").arg(key).arg("v").ignore();
    }
    let () = pipe.query_async(&mut con).await.unwrap();
    r
}

/// Batches of 100 within a budget that makes the census last seconds, so
/// that a fault lands in the middle of it.
fn slow_options(retry: RetryPolicy) -> CensusOptions {
    CensusOptions {
        scan_count: 100,
        max_ops_per_sec: 2_000,
        retry,
        ..census_options()
    }
}

/// A census of `r` (the whole connection path, so connections are opened
/// again after a fault) that sends `at_first_progress` its first progress
/// report with keys counted: the moment to inflict the fault.
async fn census_with_fault(
    r: &TestRedis,
    command_timeout_ms: u64,
    opts: &CensusOptions,
    fault: &'static [&'static str],
) -> (Census, u64) {
    let settings = oubli::register::settings::RedisSettings {
        command_timeout_ms,
        connect_timeout_ms: command_timeout_ms,
        ..redis_settings()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<u64>();
    let mut tx = Some(tx);
    let mut saboteur = r.connection().await;
    let inflict = tokio::spawn(async move {
        let Ok(scanned) = rx.await else { return None };
        let mut cmd = redis::cmd(fault[0]);
        for a in &fault[1..] {
            cmd.arg(*a);
        }
        // SHUTDOWN never answers: its error is the point.
        let _reply_or_gone: redis::RedisResult<redis::Value> = cmd.query_async(&mut saboteur).await;
        Some(scanned)
    });
    let c = census_connection(
        &connection(&r.url, false, false),
        &settings,
        opts,
        &CancellationToken::new(),
        move |p: Progress| {
            if p.scanned > 0 && p.fault.is_none() {
                if let Some(tx) = tx.take() {
                    let _test_may_be_done = tx.send(p.scanned);
                }
            }
        },
    )
    .await
    .expect("the census starts");
    let at = inflict
        .await
        .unwrap()
        .expect("the census reported progress");
    (c, at)
}

fn counted(c: &Census) -> u64 {
    c.total(|n| n.keys)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pause_longer_than_the_command_timeout_is_waited_out() {
    let r = seeded().await;
    // A 1 s command timeout against a 7 s pause: tries time out, the
    // connections are opened again, the batch is asked again.
    let retry = RetryPolicy {
        tries: 8,
        first_wait: Duration::from_millis(500),
        max_wait: Duration::from_secs(2),
        within: Duration::from_secs(60),
    };
    let (c, at) = census_with_fault(
        &r,
        1_000,
        &slow_options(retry),
        &["CLIENT", "PAUSE", "7000"],
    )
    .await;
    assert!(at < KEYS as u64, "the pause came mid-census (at {at})");
    assert!(c.complete, "stopped: {:?}", c.stopped);
    assert_eq!(c.stopped, None);
    assert!(c.retries >= 1, "the pause was met and waited out");
    assert_eq!(c.dbsize, KEYS as u64);
    assert_eq!(c.vanished, 0, "no key counted as gone");
    assert_eq!(c.scanned, KEYS as u64, "every key counted once");
    assert_eq!(counted(&c), KEYS as u64);
    let patterns: HashSet<&str> = c.namespaces.iter().map(|n| n.pattern.as_str()).collect();
    assert_eq!(
        patterns,
        HashSet::from(["fault:{int}:k", "other:{int}"]),
        "{patterns:?}"
    );
    let fault = c
        .namespaces
        .iter()
        .find(|n| n.pattern == "fault:{int}:k")
        .unwrap();
    assert_eq!(fault.keys, 2_000);
    assert_eq!(fault.no_ttl, 2_000);
    let server = c.server.expect("the census names its server");
    assert!(server.address.starts_with("127.0.0.1:"), "{server:?}");
    assert!(server.address.ends_with("/0"), "{server:?}");
    assert!(!server.run.is_empty(), "the server's run_id");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_that_keeps_the_server_busy_is_waited_out() {
    let r = seeded().await;
    // A Lua busy loop of 3 s: past `busy-reply-threshold` (which 1 s
    // command timeouts do not wait for), every command gets `BUSY`.
    let mut con = r.connection().await;
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("busy-reply-threshold")
        .arg("100")
        .query_async(&mut con)
        .await
        .unwrap();
    let retry = RetryPolicy {
        tries: 10,
        first_wait: Duration::from_millis(300),
        max_wait: Duration::from_secs(1),
        within: Duration::from_secs(60),
    };
    let script = "local t = redis.call('TIME') local s = t[1] + 3 \
                  repeat t = redis.call('TIME') until tonumber(t[1]) >= s return 1";
    let fault: &'static [&'static str] = Box::leak(Box::new(["EVAL", script, "0"]));
    let (c, _) = census_with_fault(&r, 1_000, &slow_options(retry), fault).await;
    assert!(c.complete, "stopped: {:?}", c.stopped);
    assert!(c.retries >= 1, "the script was met and waited out");
    assert_eq!(c.vanished, 0, "BUSY replies are not keys gone");
    assert_eq!(c.scanned, KEYS as u64);
    assert_eq!(counted(&c), KEYS as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_census_gives_what_was_counted_and_why() {
    if std::env::var_os("OUBLI_TEST_REDIS_URL").is_some() {
        eprintln!("skipped: this test shuts its server down, and the one given is shared");
        return;
    }
    let r = seeded().await;
    let retry = RetryPolicy {
        tries: 3,
        first_wait: Duration::from_millis(100),
        max_wait: Duration::from_millis(200),
        within: Duration::from_secs(30),
    };
    let (c, at) = census_with_fault(&r, 1_000, &slow_options(retry), &["SHUTDOWN", "NOSAVE"]).await;
    assert!(!c.complete);
    assert!(
        at > 0 && c.scanned >= at,
        "{} counted, {at} at the kill",
        c.scanned
    );
    assert!(c.scanned < KEYS as u64, "{} counted", c.scanned);
    assert_eq!(counted(&c), c.scanned, "the partial counts hold together");
    let why = c.stopped.as_deref().expect("a reason");
    assert!(why.contains("a SCAN batch"), "{why}");
    assert!(why.contains("gave up after 3 tries"), "{why}");
    assert!(why.contains("cannot connect to Redis"), "{why}");
    assert!(c.retries >= 2, "{}", c.retries);
    // The partial result serialises with its reason.
    let json: serde_json::Value = serde_json::to_value(&c).unwrap();
    assert_eq!(json["complete"], false);
    assert_eq!(json["stopped"], why);
}

fn oubli(state: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oubli"));
    c.env_remove("OUBLI_CONFIG")
        .env("OUBLI_STATE_DIR", state)
        .env(
            "OUBLI_LOG_DIR",
            std::env::temp_dir().join("oubli-test-logs"),
        )
        .current_dir(std::env::temp_dir());
    c
}

/// A register with short timeouts and retries, and a slow census.
fn register(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("faults.toml");
    std::fs::write(
        &path,
        "[register]\nname = \"faults\"\ncontroller = \"test\"\ncontact = \"dpo@example.org\"\n\
         [redis]\nscan_count = 100\ncommand_timeout_ms = 1000\nconnect_timeout_ms = 1000\n\
         [retry]\ninitial_secs = 1\nmax_secs = 1\n",
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_redis_keeps_its_census_and_stops_with_the_partial_result() {
    if std::env::var_os("OUBLI_TEST_REDIS_URL").is_some() {
        eprintln!("skipped: this test shuts its server down, and the one given is shared");
        return;
    }
    let r = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let reg = register(dir.path());
    let scan = |extra: &[&str]| {
        let mut c = oubli(&state);
        c.arg("--config")
            .arg(&reg)
            .args(["--redis", &r.url, "scan", "redis"])
            .args(extra);
        c
    };

    // A complete census is kept, privately, and the next run names it.
    let out = scan(&[]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("previous census"), "{text}");
    let kept: Vec<_> = std::fs::read_dir(state.join("census"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&kept[0]), 0o600);
        assert_eq!(mode(&state.join("census")), 0o700);
    }
    let out = scan(&[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let port = r.url.rsplit(':').next().unwrap().trim_end_matches("/0");
    let line = text
        .lines()
        .find(|l| l.starts_with("previous census: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.starts_with(&format!("previous census: {KEYS} keys, 2 namespaces, ")),
        "{line}"
    );
    assert!(line.contains(" ago ("), "the age: {line}");
    assert!(
        line.ends_with(&format!("), of 127.0.0.1:{port}/0")),
        "the origin: {line}"
    );

    // Killed part-way: the partial census as JSON, the reason, exit 2.
    let child = scan(&["--format", "json", "--max-ops", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut con = r.connection().await;
    let scans = |info: &str| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix("cmdstat_scan:calls="))
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let before = {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut con)
            .await
            .unwrap();
        scans(&info)
    };
    // The census is under way once it has sent a few SCANs of its own.
    for _ in 0..600 {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut con)
            .await
            .unwrap();
        if scans(&info) >= before + 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _gone: redis::RedisResult<redis::Value> = redis::cmd("SHUTDOWN")
        .arg("NOSAVE")
        .query_async(&mut con)
        .await;
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the census stopped: "), "{stderr}");
    let c: Census = serde_json::from_slice(&out.stdout).expect("the partial census as JSON");
    assert!(!c.complete);
    assert!(c.scanned > 0 && c.scanned < KEYS as u64, "{}", c.scanned);
    let why = c.stopped.expect("the reason in the JSON");
    assert!(stderr.contains(&why), "{stderr}");
    // The stopped census did not replace the complete one kept before.
    let kept_now: Vec<_> = std::fs::read_dir(state.join("census")).unwrap().collect();
    assert_eq!(kept_now.len(), 1);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&kept[0]).unwrap()).unwrap();
    assert_eq!(stored["census"]["scanned"], KEYS as u64);
    assert_eq!(stored["census"]["complete"], true);
}

// ─── The console's side: the last census shown with its age and origin,
// compared only with the same run, and a census again on reconnect. ────

mod console {
    use std::time::{Duration, Instant};

    use chrono::Utc;
    use oubli::redis::census::cache::{Origin, Previous};
    use oubli::redis::census::{Census, Namespace, ServerId};
    use oubli::tui::browser::CensusState;
    use oubli::tui::state::{AppState, BgMsg, Probe};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn state() -> AppState {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
        let loaded = oubli::register::load_file(&path).unwrap();
        let mut s = AppState::new(&loaded, false, Instant::now());
        s.focus = oubli::tui::action::PaneId::Redis;
        s.zoom = true;
        s.size = ratatui::layout::Rect::new(0, 0, 160, 30);
        s
    }

    fn census(run: &str, patterns: &[(&str, u64)]) -> Census {
        Census {
            node: "redis://127.0.0.1:16379/0".into(),
            complete: true,
            scanned: patterns.iter().map(|p| p.1).sum(),
            namespaces: patterns
                .iter()
                .map(|(p, k)| Namespace {
                    pattern: (*p).into(),
                    keys: *k,
                    ..Namespace::default()
                })
                .collect(),
            server: Some(ServerId {
                address: "127.0.0.1:16379/0".into(),
                user: None,
                cluster: false,
                run: run.into(),
            }),
            ..Census::default()
        }
    }

    fn screen(s: &AppState) -> String {
        let mut t = Terminal::new(TestBackend::new(s.size.width, s.size.height)).unwrap();
        let theme = oubli::tui::theme::Theme::builtin("dark").unwrap();
        t.draw(|f| oubli::tui::render::render(s, &theme, f))
            .unwrap();
        let buf = t.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    }

    #[test]
    fn the_last_census_says_how_old_it_is_and_of_which_server() {
        let mut s = state();
        let previous = Previous {
            census: census("r1", &[("a:{int}", 26)]),
            saved_at: Utc::now() - chrono::Duration::minutes(125),
            origin: Origin::EarlierRun,
        };
        assert!(s.on_bg(BgMsg::LastCensus {
            previous: Box::new(previous.clone()),
        }));
        let text = screen(&s);
        assert!(
            text.contains("last census: 26 keys, 2h 5m ago ("),
            "the age:\n{text}"
        );
        assert!(
            text.contains("of 127.0.0.1:16379/0, before a restart of the server (not compared)"),
            "the origin:\n{text}"
        );
        // A second one (the census task's) does not replace the first.
        let mut other = previous.clone();
        other.census.scanned = 99;
        assert!(!s.on_bg(BgMsg::LastCensus {
            previous: Box::new(other),
        }));

        // A census of the server as it runs now is not compared with it.
        let gen = s.browser.start_census();
        assert!(s.on_bg(BgMsg::CensusDone {
            gen,
            result: Ok(census("r2", &[("b:{int}", 5)])),
        }));
        assert!(s.browser.changes().is_empty(), "{:?}", s.browser.changes());

        // Failed: the table below is the last census, and the line says so.
        let gen = s.browser.start_census();
        s.on_bg(BgMsg::CensusDone {
            gen,
            result: Err("Redis did not answer".into()),
        });
        let text = screen(&s);
        assert!(
            text.contains(
                "census failed: Redis did not answer · c to retry · below: the last census, "
            ),
            "{text}"
        );
    }

    #[test]
    fn only_a_complete_census_of_the_same_run_is_compared() {
        let mut s = state();
        s.browser.set_last(Some(Previous::from_session(
            census("r1", &[("a:{int}", 26)]),
            Utc::now(),
        )));
        let gen = s.browser.start_census();
        s.on_bg(BgMsg::CensusDone {
            gen,
            result: Ok(census("r1", &[("a:{int}", 26), ("new:{int}", 4)])),
        });
        assert!(!s.browser.changes().is_empty(), "same run: compared");

        // A stopped census: shown as stopped, neither compared nor kept
        // as the last one.
        let mut partial = census("r1", &[("a:{int}", 3)]);
        partial.complete = false;
        partial.dbsize = 30;
        partial.stopped = Some("a SCAN batch: the server closed the connection".into());
        let gen = s.browser.start_census();
        s.on_bg(BgMsg::CensusDone {
            gen,
            result: Ok(partial),
        });
        assert!(s.browser.changes().is_empty());
        let text = screen(&s);
        assert!(
            text.contains(
                "stopped: a SCAN batch: the server closed the connection · 3 of 30 keys counted"
            ),
            "{text}"
        );
        s.browser.start_census();
        let last = s.browser.last().unwrap();
        assert_eq!(last.census.scanned, 30, "the complete one stays the last");
    }

    #[test]
    fn a_census_runs_again_when_the_server_comes_back() {
        let mut s = state();
        assert!(s.register.redis.census_on_start);
        let gen = s.bump_generation();
        let conn = s.browser.conn.clone().unwrap();
        let ready = |s: &mut AppState| {
            s.on_bg(BgMsg::Redis {
                conn: conn.clone(),
                gen,
                probe: Probe::Ready(Default::default()),
            })
        };
        ready(&mut s);
        assert!(!s.browser.recount, "the first answer is the start's census");
        s.on_bg(BgMsg::Redis {
            conn: conn.clone(),
            gen,
            probe: Probe::Failed {
                error: "connection refused".into(),
                retry_in: Duration::from_secs(1),
            },
        });
        s.on_bg(BgMsg::Redis {
            conn: conn.clone(),
            gen,
            probe: Probe::Connecting,
        });
        assert!(!s.browser.recount);
        ready(&mut s);
        assert!(s.browser.recount, "back: count again");
        s.browser.recount = false;
        ready(&mut s);
        assert!(!s.browser.recount, "once");
        assert!(matches!(s.browser.census(), CensusState::Idle));
    }
}
