//! `oubli scan file` on an RDB against the live census of the same data,
//! in one run on one private `redis-server` on loopback:
//!
//!   cargo bench --bench offline     (OUBLI_BENCH_KEYS=100000 for a quick run)
//!
//! Seeds the demo keyspace, runs the census (type, TTL, memory, key-name
//! PII; no load budget) and the census with value sampling, SAVEs, then
//! reads the RDB with every value searched. Prints keys/s, MB/s of the
//! file and the peak RSS of this process (VmHWM) after each step.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oubli::redis::census::{self, CensusOptions, SampleOptions};
use tokio_util::sync::CancellationToken;

struct Server {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

fn start_server() -> (Server, u16) {
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
                return (Server { child, _dir: dir }, port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("`{bin}` did not start on 127.0.0.1");
}

/// Peak resident memory of this process so far (VmHWM), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn options() -> CensusOptions {
    CensusOptions {
        scan_count: 1000,
        max_ops_per_sec: 0,
        pause_above_ops_per_sec: 0,
        delimiters: b":".to_vec(),
        retention: Some(Duration::from_secs(7 * 86_400)),
        memory: true,
        sample: None,
        max_namespaces: 5_000,
        retry: Default::default(),
    }
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("OUBLI_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (_server, port) = start_server();
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).unwrap();
    let cfg =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(300)));
    let mut con = client
        .get_multiplexed_async_connection_with_config(&cfg)
        .await
        .unwrap();
    let t = Instant::now();
    oubli::demo::seed_redis(
        &mut con,
        &oubli::demo::SeedOptions {
            users: (n / 20).max(100),
            keys: n,
            seed: 42,
        },
    )
    .await
    .unwrap();
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    println!(
        "seeded {dbsize} keys in {:.1}s; peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    let cancel = CancellationToken::new();
    let mut live_rates = Vec::new();
    for (label, sample) in [
        ("live census", None),
        (
            "live census, values sampled",
            Some(SampleOptions::default()),
        ),
    ] {
        let mut opts = options();
        opts.sample = sample;
        let t = Instant::now();
        let c = census::run(&mut con, None, "bench", &opts, &cancel, |_| {})
            .await
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let values: u64 = c.namespaces.iter().map(|n| n.sampled).sum();
        live_rates.push(c.scanned as f64 / secs);
        println!(
            "{label:<30} {:>9} keys in {secs:>6.2}s = {:>9.0} keys/s; {values} values searched; peak RSS {:.0} MB",
            c.scanned,
            c.scanned as f64 / secs,
            peak_rss_mb()
        );
    }
    let t = Instant::now();
    let _: () = redis::cmd("SAVE").query_async(&mut con).await.unwrap();
    let dir: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("dir")
        .query_async(&mut con)
        .await
        .unwrap();
    let path = std::path::Path::new(&dir[1]).join("dump.rdb");
    let file_mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!("SAVE: {file_mb:.1} MB in {:.1}s", t.elapsed().as_secs_f64());
    let opts = options();
    let t = Instant::now();
    let report = tokio::task::spawn_blocking(move || {
        oubli::offline::rdb::scan(&path, &opts, &CancellationToken::new(), |_| {})
    })
    .await
    .unwrap()
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let rate = report.keys as f64 / secs;
    println!(
        "{:<30} {:>9} keys in {secs:>6.2}s = {rate:>9.0} keys/s, {:.1} MB/s; {} elements searched ({} not decoded: streams); peak RSS {:.0} MB",
        "scan file (RDB, every value)",
        report.keys,
        file_mb / secs,
        report.elements,
        report.not_decoded,
        peak_rss_mb()
    );
    println!(
        "ratio: scan file is {:.2}x the live census, {:.2}x the census with sampling (and needs no server)",
        rate / live_rates[0],
        rate / live_rates[1]
    );
}
