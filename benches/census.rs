//! Keyspace census benchmark, in one run on one private `redis-server`
//! (127.0.0.1, a free port, killed at the end) seeded with 1M mixed demo
//! keys (`oubli::demo::seed_redis`):
//!
//! * keys/s and server CPU per key of bare `SCAN COUNT 1000`, of
//!   `redis-cli --memkeys`, of the census (type, TTL, memory, key-name PII)
//!   and of the census with value sampling;
//! * PING p50/p99 seen by another client (every ~5 ms) during a census
//!   under the default load budget (50,000 commands/s);
//! * the console's frame time (p50/p99) while that census streams in, and
//!   the process's RSS at the end;
//! * with a 1 MB key name in the keyspace (`longname:xxx…`): the time to
//!   fold it, its pattern's length, and the frame time of the namespaces,
//!   of its key list and of its value.
//!
//!   cargo bench --bench census     (OUBLI_BENCH_KEYS=100000 for a quick run)
//!
//! With `-- memory`, instead: the peak memory (VmHWM, reset before each
//! case) of reading one big value, by the viewer's first page and by the
//! census's value sampling, for 20 elements of 20 MB in a list, a hash, a
//! set, a sorted set and a stream, and a 100 MB string.
//!
//!   cargo bench --bench census -- memory

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oubli::redis::census::{CensusOptions, Progress, SampleOptions};
use oubli::redis::cluster;
use oubli::register::settings::RedisSettings;
use oubli::register::{ConnectionKind, ResolvedConnection, SecretUrl};
use oubli::tui::state::AppState;
use oubli::tui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use redis::aio::MultiplexedConnection;
use tokio_util::sync::CancellationToken;

struct Server {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.child.kill() {
            eprintln!("warning: could not kill the bench redis-server: {e}");
        }
        let _reaped = self.child.wait();
    }
}

fn start_server() -> Server {
    let bin = std::env::var("OUBLI_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    for _ in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free loopback port");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{bin}`: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Server {
                    port,
                    child,
                    _dir: dir,
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("`{bin}` did not start on 127.0.0.1");
}

async fn connect(port: u16) -> MultiplexedConnection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).unwrap();
    let cfg = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(120)));
    client
        .get_multiplexed_async_connection_with_config(&cfg)
        .await
        .unwrap()
}

/// CPU of the server, in seconds: its own (used_cpu_sys + used_cpu_user)
/// and that of its forks (`*_children`, e.g. the RDB writer of a SYNC).
async fn server_cpu(con: &mut MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("cpu")
        .query_async(con)
        .await
        .unwrap();
    info.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once(':')?;
            matches!(
                k,
                "used_cpu_sys"
                    | "used_cpu_user"
                    | "used_cpu_sys_children"
                    | "used_cpu_user_children"
            )
            .then(|| v.parse::<f64>().ok())?
        })
        .sum()
}

struct Row {
    name: &'static str,
    keys: u64,
    secs: f64,
    cpu_secs: f64,
}

impl Row {
    fn rate(&self) -> f64 {
        self.keys as f64 / self.secs
    }
    fn cpu_us_per_key(&self) -> f64 {
        self.cpu_secs * 1e6 / self.keys as f64
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Another client, on its own OS thread and connection (not the census's
/// runtime), pinging every ~5 ms until stopped; latencies in ms, sorted.
fn pinger(port: u16, stop: CancellationToken) -> std::thread::JoinHandle<Vec<f64>> {
    std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).unwrap();
        let mut con = client.get_connection().unwrap();
        let mut out = Vec::new();
        while !stop.is_cancelled() {
            let t = Instant::now();
            let _: String = redis::cmd("PING").query(&mut con).unwrap();
            let ms = t.elapsed().as_secs_f64() * 1e3;
            out.push(ms);
            std::thread::sleep(Duration::from_millis(5).saturating_sub(t.elapsed()));
        }
        out.sort_by(f64::total_cmp);
        out
    })
}

/// A figure of /proc/self/status in MB (`VmRSS`, `VmHWM`).
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Peak RSS back to the current RSS (Linux ≥ 4.0), so that VmHWM measures
/// one case; the RSS it starts from. Memory freed before (the big values
/// built to seed the server) is given back to the system first, or a read
/// would reuse it and seem to cost nothing.
fn reset_peak() -> f64 {
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it
    // touches no live allocation (glibc, the target of these figures).
    unsafe {
        libc::malloc_trim(0);
    }
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("warning: cannot reset the peak RSS ({e}): figures are cumulative");
    }
    status_mb("VmRSS:")
}

/// One big key of `ty` in an empty database: 20 elements of 20 MB, or a
/// 100 MB string. Every element starts differently (set members must).
async fn seed_big(con: &mut MultiplexedConnection, ty: &str) {
    const MB: usize = 1024 * 1024;
    let _: () = redis::cmd("FLUSHALL").query_async(con).await.unwrap();
    let key = format!("big:{ty}");
    let mut element = vec![b'x'; if ty == "string" { 100 * MB } else { 20 * MB }];
    let n = if ty == "string" { 1 } else { 20 };
    for i in 0..n {
        let head = format!("{i:04} jane.doe@example.com ");
        element[..head.len()].copy_from_slice(head.as_bytes());
        let mut cmd = match ty {
            "string" => redis::cmd("SET"),
            "list" => redis::cmd("RPUSH"),
            "hash" => redis::cmd("HSET"),
            "set" => redis::cmd("SADD"),
            "zset" => redis::cmd("ZADD"),
            _ => redis::cmd("XADD"),
        };
        cmd.arg(&key);
        match ty {
            "hash" => cmd.arg(format!("field{i}")),
            "zset" => cmd.arg(i),
            "stream" => cmd.arg("*").arg("payload"),
            _ => &mut cmd,
        };
        let _: redis::Value = cmd.arg(&element).query_async(con).await.unwrap();
    }
}

/// Peak and kept memory of the viewer's first page and of a census with
/// value sampling, per big value; printed as a table.
async fn memory_cases() {
    use oubli::redis::values::{read_value_page, ReadLimits};
    let server = start_server();
    let port = server.port;
    let mut con = connect(port).await;
    println!("| case | viewer: peak (MB over the start) | viewer: kept with the page on screen and its connection open (MB) | census --sample: peak (MB) |");
    println!("|---|---:|---:|---:|");
    for ty in ["list", "hash", "set", "zset", "stream", "string"] {
        seed_big(&mut con, ty).await;
        let key = format!("big:{ty}");
        // A connection of its own, as the console's: its read buffer
        // keeps the size of the biggest reply it took.
        let mut viewer = connect(port).await;
        let start = reset_peak();
        let view = read_value_page(&mut viewer, key.as_bytes(), ReadLimits::default(), None)
            .await
            .unwrap();
        let (peak, kept) = (status_mb("VmHWM:") - start, status_mb("VmRSS:") - start);
        assert!(!view.lines.is_empty(), "{ty}: nothing read");
        drop((view, viewer));
        let start = reset_peak();
        let c = cluster::census_connection(
            &resolved(port),
            &settings(),
            &options(true, true),
            &CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap();
        let sample_peak = status_mb("VmHWM:") - start;
        assert_eq!(c.namespaces.iter().map(|n| n.sampled).sum::<u64>(), 1);
        let what = if ty == "string" {
            "a 100 MB string".to_string()
        } else {
            format!("20 × 20 MB, {ty}")
        };
        println!("| {what} | {peak:.0} | {kept:.0} | {sample_peak:.0} |");
    }
    drop(server);
}

fn options(memory: bool, sample: bool) -> CensusOptions {
    CensusOptions {
        scan_count: 1000,
        max_ops_per_sec: 0,
        pause_above_ops_per_sec: 0,
        delimiters: b":".to_vec(),
        retention: Some(Duration::from_secs(7 * 86_400)),
        memory,
        sample: sample.then(SampleOptions::default),
        max_namespaces: 5_000,
        retry: Default::default(),
    }
}

/// The register's view of the bench server, so the census runs as the
/// console and `oubli scan redis` run it (`census_connection`).
fn resolved(port: u16) -> ResolvedConnection {
    ResolvedConnection {
        name: "bench".into(),
        kind: ConnectionKind::Redis,
        url: SecretUrl::new(format!("redis://127.0.0.1:{port}/0")),
        tls: None,
        cluster: false,
        read_from_replicas: false,
        from_command_line: true,
    }
}

fn settings() -> RedisSettings {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    oubli::register::load_file(&path)
        .expect("config/demo.toml")
        .register
        .redis
}

async fn census_row(
    name: &'static str,
    con: &mut MultiplexedConnection,
    port: u16,
    opts: &CensusOptions,
) -> Row {
    let before = server_cpu(con).await;
    let t = Instant::now();
    let c = cluster::census_connection(
        &resolved(port),
        &settings(),
        opts,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(c.route, "own connection");
    let secs = t.elapsed().as_secs_f64();
    let cpu_secs = server_cpu(con).await - before;
    assert!(c.complete);
    Row {
        name,
        keys: c.scanned + c.vanished,
        secs,
        cpu_secs,
    }
}

const LUA_BATCH: &str = r#"
local r = redis.call('SCAN', ARGV[1], 'COUNT', ARGV[2])
local keys = r[2]
local out = {r[1]}
for i = 1, #keys do
  local k = keys[i]
  out[#out + 1] = k
  out[#out + 1] = redis.call('TYPE', k)['ok']
  out[#out + 1] = redis.call('PTTL', k)
  out[#out + 1] = redis.pcall('MEMORY', 'USAGE', k)
end
return out
"#;

/// The census's per-key work done server-side in Lua, one EVAL per batch.
async fn lua_row(con: &mut MultiplexedConnection) -> Row {
    let script = redis::Script::new(LUA_BATCH);
    let before = server_cpu(con).await;
    let t = Instant::now();
    let (mut cursor, mut keys) = (0u64, 0u64);
    loop {
        let reply: Vec<redis::Value> = script
            .arg(cursor)
            .arg(1000)
            .invoke_async(con)
            .await
            .unwrap();
        keys += (reply.len() as u64 - 1) / 4;
        cursor = match &reply[0] {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).parse().unwrap(),
            other => panic!("unexpected cursor {other:?}"),
        };
        if cursor == 0 {
            break;
        }
    }
    Row {
        name: "EVAL per batch: SCAN + TYPE/PTTL/MEMORY in Lua (not used)",
        keys,
        secs: t.elapsed().as_secs_f64(),
        cpu_secs: server_cpu(con).await - before,
    }
}

/// A whole RDB over a diskless SYNC, as `redis-cli --rdb` takes it.
async fn rdb_row(con: &mut MultiplexedConnection, cli: &str, port: u16) -> Row {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("dump.rdb");
    let keys: u64 = redis::cmd("DBSIZE").query_async(con).await.unwrap();
    let before = server_cpu(con).await;
    let t = Instant::now();
    let status = Command::new(cli)
        .args(["-p", &port.to_string(), "--rdb"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("redis-cli");
    assert!(status.success(), "redis-cli --rdb failed");
    let secs = t.elapsed().as_secs_f64();
    // The fork's CPU shows in INFO once the server has reaped it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    Row {
        name: "SYNC: whole RDB, diskless (redis-cli --rdb; not used)",
        keys,
        secs,
        cpu_secs: server_cpu(con).await - before,
    }
}

/// p50 and p99 of `n` frames of `state`, in ms.
fn frames_of(
    state: &AppState,
    term: &mut Terminal<TestBackend>,
    theme: &Theme,
    n: usize,
) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..n)
        .map(|_| {
            let f = Instant::now();
            term.draw(|frame| oubli::tui::render::render(state, theme, frame))
                .unwrap();
            f.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (pct(&ms, 0.5), pct(&ms, 0.99))
}

/// The 1 MB key name: how long it takes to fold, how long its pattern is,
/// and the console's frames on the namespaces, on its key list and on its
/// value; the worst p99, in ms.
async fn long_key_frames(
    long_key: &str,
    census: &oubli::redis::census::Census,
    port: u16,
    state: &mut AppState,
    term: &mut Terminal<TestBackend>,
    theme: &Theme,
) -> f64 {
    use oubli::redis::keyspace::Keyspace;
    use oubli::redis::values::ReadLimits;
    use oubli::tui::browser::{KeysView, RedisView};
    let t = Instant::now();
    let pattern = oubli::pii::keys::pattern(long_key.as_bytes(), b":");
    let hits = oubli::pii::keys::key_hits(long_key.as_bytes(), b":");
    let fold_ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(census.namespaces.iter().any(|n| n.pattern == pattern));
    state
        .browser
        .set_census(oubli::tui::browser::CensusState::Done {
            census: census.clone(),
            at: chrono::Local::now(),
        });
    let ns = frames_of(state, term, theme, 200);
    let ks = Keyspace::open(&resolved(port), &settings()).await.unwrap();
    let glob = oubli::keypattern::KeyPattern::namespace(&pattern).glob();
    let page = ks.key_page(&glob, 0, 50, 1000, b":").await.unwrap();
    assert!(page.rows.iter().any(|r| r.key == long_key.as_bytes()));
    let mut view = KeysView::new(pattern.clone(), glob);
    view.rows = page.rows;
    view.next_cursor = 0;
    view.loading = false;
    state.browser.view = RedisView::Keys(view);
    let keys = frames_of(state, term, theme, 200);
    let _load = state.browser.open();
    let view = ks
        .read_value_page(long_key.as_bytes(), ReadLimits::default(), None)
        .await
        .unwrap();
    let gen = state.browser.gen;
    state.on_bg(oubli::tui::state::BgMsg::Value {
        gen,
        result: Ok(view),
    });
    let value = frames_of(state, term, theme, 200);
    println!(
        "1 MB key name: folded in {fold_ms:.2} ms into a {}-byte pattern ({} hits); frames (120x40, 200 each) p50/p99: namespaces {:.2}/{:.2} ms, its keys {:.2}/{:.2} ms, its value {:.2}/{:.2} ms",
        pattern.len(),
        hits.len(),
        ns.0,
        ns.1,
        keys.0,
        keys.1,
        value.0,
        value.1
    );
    ns.1.max(keys.1).max(value.1)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "memory") {
        memory_cases().await;
        return;
    }
    let n: usize = std::env::var("OUBLI_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let server = start_server();
    let port = server.port;
    let mut con = connect(port).await;

    let t = Instant::now();
    let report = oubli::demo::seed_redis(
        &mut con,
        &oubli::demo::SeedOptions {
            keys: n,
            users: 10_000,
            seed: 42,
        },
    )
    .await
    .expect("seeding");
    // One key name of 1 MB, which used to freeze the console.
    let long_key = format!("longname:{}", "x".repeat(1 << 20));
    let _: () = redis::cmd("SET")
        .arg(&long_key)
        .arg("v")
        .query_async(&mut con)
        .await
        .unwrap();
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    println!(
        "seeded {} keys (DBSIZE {dbsize}) in {:.1}s on 127.0.0.1:{port}",
        report.total,
        t.elapsed().as_secs_f64()
    );

    let mut rows = Vec::new();

    // Bare SCAN COUNT 1000, client-side loop.
    let before = server_cpu(&mut con).await;
    let t = Instant::now();
    let (mut cursor, mut keys) = (0u64, 0u64);
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con)
            .await
            .unwrap();
        keys += batch.len() as u64;
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    rows.push(Row {
        name: "SCAN COUNT 1000",
        keys,
        secs,
        cpu_secs: server_cpu(&mut con).await - before,
    });

    // redis-cli --memkeys (its own summary is discarded; only timed).
    let cli = std::env::var("OUBLI_REDIS_CLI").unwrap_or_else(|_| "redis-cli".into());
    let before = server_cpu(&mut con).await;
    let t = Instant::now();
    let status = Command::new(&cli)
        .args(["-p", &port.to_string(), "--memkeys"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("redis-cli");
    assert!(status.success(), "redis-cli --memkeys failed");
    let secs = t.elapsed().as_secs_f64();
    rows.push(Row {
        name: "redis-cli --memkeys",
        keys: dbsize,
        secs,
        cpu_secs: server_cpu(&mut con).await - before,
    });

    // The server-side routes the census does not take, measured so the
    // choice can be checked: one EVAL per batch doing SCAN and, per key,
    // TYPE/PTTL/MEMORY USAGE in Lua; and a whole RDB by diskless SYNC
    // (`redis-cli --rdb`, fork included, with the server's default
    // repl-diskless-sync-delay).
    rows.push(lua_row(&mut con).await);
    rows.push(rdb_row(&mut con, &cli, port).await);

    rows.push(
        census_row(
            "census (type, TTL, memory, key PII)",
            &mut con,
            port,
            &options(true, false),
        )
        .await,
    );
    rows.push(
        census_row(
            "census + value sampling",
            &mut con,
            port,
            &options(true, true),
        )
        .await,
    );

    // Budgeted census (the defaults: 50,000 commands/s, pause above 20,000
    // ops/s from others), with a pinger and the console rendering each
    // progress report.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let loaded = oubli::register::load_file(&path).expect("config/demo.toml");
    let mut opts = CensusOptions::from_settings(
        &loaded.register.redis,
        Some(Duration::from_secs(7 * 86_400)),
    );
    opts.sample = None;
    let mut state = AppState::new(&loaded, false, Instant::now());
    state.focus = oubli::tui::action::PaneId::Redis;
    let theme = Theme::builtin("dark").unwrap();
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut frames: Vec<f64> = Vec::new();
    let mut reports = 0u64;
    let stop = CancellationToken::new();
    let pings = pinger(port, stop.clone());
    let before = server_cpu(&mut con).await;
    let t = Instant::now();
    let c = cluster::census_connection(
        &resolved(port),
        &loaded.register.redis,
        &opts,
        &CancellationToken::new(),
        |p: Progress| {
            reports += 1;
            // The console's update (the namespace tree is built there)
            // and its frame.
            let f = Instant::now();
            let gen = state.browser.census_gen;
            state.browser.on_progress(gen, p);
            term.draw(|frame| oubli::tui::render::render(&state, &theme, frame))
                .unwrap();
            frames.push(f.elapsed().as_secs_f64() * 1e3);
        },
    )
    .await
    .unwrap();
    let budget_secs = t.elapsed().as_secs_f64();
    let budget_cpu = server_cpu(&mut con).await - before;
    stop.cancel();
    let pings = pings.join().unwrap();
    frames.sort_by(f64::total_cmp);
    let rss = status_mb("VmRSS:");
    let budget_row = Row {
        name: "census, budgeted (50k cmd/s)",
        keys: c.scanned + c.vanished,
        secs: budget_secs,
        cpu_secs: budget_cpu,
    };

    let long = long_key_frames(&long_key, &c, port, &mut state, &mut term, &theme).await;

    let (scan, memkeys) = (rows[0].rate(), rows[1].rate());
    let memkeys_cpu = rows[1].cpu_us_per_key();
    println!();
    println!(
        "| run | keys | time (s) | keys/s | server CPU (µs/key) | × memkeys rate | × SCAN rate |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows.iter().chain(std::iter::once(&budget_row)) {
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} |",
            r.name,
            r.keys,
            r.secs,
            r.rate(),
            r.cpu_us_per_key(),
            r.rate() / memkeys,
            r.rate() / scan
        );
    }
    println!();
    println!(
        "PING from another client during the budgeted census: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} pings; census paused {} ms, {} commands)",
        pct(&pings, 0.5),
        pct(&pings, 0.99),
        pings.last().copied().unwrap_or(f64::NAN),
        pings.len(),
        c.paused_ms,
        c.commands
    );
    println!(
        "frame time (120x40, {} progress reports): p50 {:.2} ms, p99 {:.2} ms; RSS at the end {:.0} MB",
        reports,
        pct(&frames, 0.5),
        pct(&frames, 0.99),
        rss
    );

    let census = &rows[4];
    let sampled = &rows[5];
    let check = |ok: bool| if ok { "met" } else { "MISSED" };
    println!();
    println!("targets:");
    println!(
        "  census ≥ 5× memkeys rate: {:.2}× — {}",
        census.rate() / memkeys,
        check(census.rate() >= 5.0 * memkeys)
    );
    println!(
        "  census ≥ 1/4 of bare SCAN rate: {:.2} — {}",
        census.rate() / scan,
        check(census.rate() >= scan / 4.0)
    );
    println!(
        "  census server CPU/key ≤ 1/3 of memkeys': {:.2} — {}",
        census.cpu_us_per_key() / memkeys_cpu,
        check(census.cpu_us_per_key() <= memkeys_cpu / 3.0)
    );
    println!(
        "  census with sampling ≥ 3.5× memkeys rate: {:.2}× — {}",
        sampled.rate() / memkeys,
        check(sampled.rate() >= 3.5 * memkeys)
    );
    println!(
        "  PING p99 < 5 ms while budgeted: {:.2} ms — {}",
        pct(&pings, 0.99),
        check(pct(&pings, 0.99) < 5.0)
    );
    println!(
        "  frame p99 < 16 ms: {:.2} ms — {}",
        pct(&frames, 0.99),
        check(pct(&frames, 0.99) < 16.0)
    );
    println!("  RSS < 300 MB: {:.0} MB — {}", rss, check(rss < 300.0));
    println!(
        "  frame p99 < 16 ms with a 1 MB key name: {:.2} ms — {}",
        long,
        check(long < 16.0)
    );
    drop(server);
}
