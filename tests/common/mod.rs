//! Test harness: throwaway Redis servers and Postgres databases.
//!
//! * Redis: `OUBLI_TEST_REDIS_URL` if set (used as is: tests may FLUSHDB it),
//!   else a private `redis-server` on a free loopback port, killed on drop.
//! * Postgres: `OUBLI_TEST_PG_URL` (default
//!   `postgresql://postgres@127.0.0.1:5432/postgres`) is only used to create
//!   and drop a uniquely named database per test; `scripts/ensure-services.sh`
//!   provides one when the machine has none.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const DEFAULT_PG_URL: &str = "postgresql://postgres@127.0.0.1:5432/postgres";

/// A Redis to test against; a spawned server dies with this value.
pub struct TestRedis {
    pub url: String,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port for a test redis-server")
}

fn redis_answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

impl TestRedis {
    pub fn start() -> TestRedis {
        if let Ok(url) = std::env::var("OUBLI_TEST_REDIS_URL") {
            return TestRedis {
                url,
                child: None,
                _dir: None,
            };
        }
        let bin = std::env::var("OUBLI_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        // A port picked here can be taken before redis binds it: try a few.
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("cannot create a temp dir for redis-server");
            let port = free_port();
            let child = Command::new(&bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let mut child = match child {
                Ok(c) => c,
                Err(e) => panic!(
                    "cannot start `{bin}` ({e}): install redis-server \
                     (scripts/ensure-services.sh does) or set OUBLI_TEST_REDIS_URL"
                ),
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: port taken or bad flags; try again
                }
                if redis_answers(port) {
                    return TestRedis {
                        url: format!("redis://127.0.0.1:{port}/0"),
                        child: Some(child),
                        _dir: Some(dir),
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("`{bin}` did not answer PING on 127.0.0.1 within 10 s (3 attempts)");
    }

    /// A multiplexed connection with generous timeouts (seeding sends big
    /// pipelines; the crate's default response timeout is 500 ms).
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.url.as_str()).expect("bad test Redis URL");
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(30)));
        client
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
            .expect("cannot connect to the test Redis")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Err(e) = child.kill() {
                eprintln!("warning: could not kill the test redis-server: {e}");
            }
            if let Err(e) = child.wait() {
                eprintln!("warning: could not reap the test redis-server: {e}");
            }
        }
    }
}

/// A fresh Postgres database, dropped (`WITH (FORCE)`) on drop.
pub struct TestPg {
    pub url: String,
    admin_url: String,
    name: String,
}

static PG_COUNTER: AtomicUsize = AtomicUsize::new(0);

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("test postgres connection ended: {e}");
        }
    });
    Ok(client)
}

/// `url` with its database (path) replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("OUBLI_TEST_PG_URL is not a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

impl TestPg {
    pub async fn create() -> TestPg {
        let admin_url =
            std::env::var("OUBLI_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
        let admin = connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "cannot connect to the test Postgres ({e}); run `source scripts/ensure-services.sh` \
                 or set OUBLI_TEST_PG_URL"
            )
        });
        let name = format!(
            "oubli_test_{}_{}_{:08x}",
            std::process::id(),
            PG_COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        // An identifier cannot be a parameter; the name is ours and [a-z0-9_].
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        TestPg {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {}: {e}", self.name))
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let res = std::thread::spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let admin = connect(&admin_url).await.map_err(|e| e.to_string())?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        match res {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!(
                "warning: the thread dropping test database {} panicked",
                self.name
            ),
        }
    }
}

/// A throwaway Redis Cluster on loopback: `primaries` primaries and
/// `replicas_per_primary` replicas of each, private `redis-server`s
/// (`--cluster-enabled yes`, no persistence) joined by `redis-cli --cluster
/// create`; ready when every node says `cluster_state:ok` (and every replica
/// is in sync). Killed, and its files removed, on drop.
pub struct TestCluster {
    /// Client ports of every node, in the order given to `--cluster create`.
    pub ports: Vec<u16>,
    children: Vec<Child>,
    _dirs: Vec<tempfile::TempDir>,
}

impl TestCluster {
    pub fn start(primaries: usize, replicas_per_primary: usize) -> TestCluster {
        let bin = std::env::var("OUBLI_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let cli = std::env::var("OUBLI_REDIS_CLI").unwrap_or_else(|_| "redis-cli".into());
        let n = primaries * (1 + replicas_per_primary);
        let mut cluster = TestCluster {
            ports: Vec::new(),
            children: Vec::new(),
            _dirs: Vec::new(),
        };
        for _ in 0..n {
            let mut started = false;
            // A port picked here can be taken before redis binds it: try a few.
            for _ in 0..3 {
                let dir = tempfile::tempdir().expect("cannot create a temp dir for redis-server");
                let (port, bus) = (free_port(), free_port());
                if port == bus {
                    continue;
                }
                let mut child = Command::new(&bin)
                    .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                    .args(["--cluster-enabled", "yes"])
                    .args(["--cluster-port", &bus.to_string()])
                    .args(["--cluster-config-file", "nodes.conf"])
                    .args(["--cluster-node-timeout", "5000"])
                    .args(["--save", "", "--appendonly", "no"])
                    .arg("--dir")
                    .arg(dir.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap_or_else(|e| panic!("cannot start `{bin}` ({e}): install redis-server"));
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        break;
                    }
                    if redis_answers(port) {
                        started = true;
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                if started {
                    cluster.ports.push(port);
                    cluster.children.push(child);
                    cluster._dirs.push(dir);
                    break;
                }
                let _ = child.kill();
                let _ = child.wait();
            }
            assert!(started, "a cluster node did not start (3 attempts)");
        }
        let out = Command::new(&cli)
            .arg("--cluster")
            .arg("create")
            .args(cluster.ports.iter().map(|p| format!("127.0.0.1:{p}")))
            .args(["--cluster-replicas", &replicas_per_primary.to_string()])
            .arg("--cluster-yes")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{cli} --cluster create` ({e})"));
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = cluster.ports.iter().all(|&p| {
                let info = cluster.query(p, &["CLUSTER", "INFO"]);
                let repl = cluster.info(p, "replication");
                info.contains("cluster_state:ok")
                    && (repl.contains("role:master")
                        || repl.contains("master_link_status:up")
                            && repl.contains("master_sync_in_progress:0"))
            });
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the test cluster did not reach cluster_state:ok within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        cluster
    }

    /// `INFO <section>` of one node ("" when it does not answer).
    pub fn info(&self, port: u16, section: &str) -> String {
        self.query(port, &["INFO", section])
    }

    /// A command whose reply is text, sent to one node ("" on any error).
    pub fn query(&self, port: u16, args: &[&str]) -> String {
        let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) else {
            return String::new();
        };
        let Ok(mut con) = client.get_connection_with_timeout(Duration::from_secs(2)) else {
            return String::new();
        };
        let mut cmd = redis::cmd(args[0]);
        cmd.arg(&args[1..]);
        cmd.query::<String>(&mut con).unwrap_or_default()
    }

    /// Ports of the nodes that are primaries right now.
    pub fn primaries(&self) -> Vec<u16> {
        self.ports
            .iter()
            .copied()
            .filter(|&p| self.info(p, "replication").contains("role:master"))
            .collect()
    }

    /// Ports of the nodes that are replicas right now.
    pub fn replicas(&self) -> Vec<u16> {
        self.ports
            .iter()
            .copied()
            .filter(|&p| self.info(p, "replication").contains("role:slave"))
            .collect()
    }

    /// The URL of one node (any node names the cluster).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.ports[0])
    }

    /// A standalone connection to one node, with generous timeouts.
    pub async fn connection(&self, port: u16) -> redis::aio::MultiplexedConnection {
        let client =
            redis::Client::open(format!("redis://127.0.0.1:{port}/0")).expect("bad node URL");
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(30)));
        client
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
            .expect("cannot connect to a test cluster node")
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            if let Err(e) = child.kill() {
                eprintln!("warning: could not kill a test cluster node: {e}");
            }
            if let Err(e) = child.wait() {
                eprintln!("warning: could not reap a test cluster node: {e}");
            }
        }
    }
}

/// Every key of a server with its PTTL, the slow obvious way (SCAN, then
/// PTTL one key at a time): the reference the census is checked against.
pub async fn reference(con: &mut redis::aio::MultiplexedConnection) -> Vec<(Vec<u8>, i64)> {
    let mut out = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(con)
            .await
            .expect("SCAN on the test Redis");
        for k in keys {
            let pttl: i64 = redis::cmd("PTTL")
                .arg(&k)
                .query_async(con)
                .await
                .expect("PTTL on the test Redis");
            out.push((k, pttl));
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    out
}

/// Register settings for tests: `:` delimiter, batches of 500, no load
/// budget (the tests that check it set their own).
pub fn redis_settings() -> oubli::register::settings::RedisSettings {
    oubli::register::settings::RedisSettings {
        delimiters: vec![":".into()],
        scan_count: 500,
        max_ops_per_sec: 0,
        pause_above_ops_per_sec: 0,
        census_on_start: false,
        census_interval_secs: 0,
        probe_interval_secs: 5,
        connect_timeout_ms: 5_000,
        command_timeout_ms: 30_000,
    }
}

/// A resolved Redis connection named `cache` for `url`.
pub fn connection(
    url: &str,
    cluster: bool,
    read_from_replicas: bool,
) -> oubli::register::ResolvedConnection {
    oubli::register::ResolvedConnection {
        name: "cache".into(),
        kind: oubli::register::ConnectionKind::Redis,
        url: oubli::register::SecretUrl::new(url),
        tls: None,
        cluster,
        read_from_replicas,
        from_command_line: false,
    }
}

/// The retention the census tests promise: 7 days.
pub const SEVEN_DAYS_MS: i64 = 7 * 86_400_000;

/// Census options for tests: batches of 500, no load budget, memory asked,
/// 7 days of retention, no value sampling.
pub fn census_options() -> oubli::redis::census::CensusOptions {
    oubli::redis::census::CensusOptions {
        scan_count: 500,
        max_ops_per_sec: 0,
        pause_above_ops_per_sec: 0,
        delimiters: b":".to_vec(),
        retention: Some(Duration::from_millis(SEVEN_DAYS_MS as u64)),
        memory: true,
        sample: None,
        max_namespaces: 5_000,
        retry: Default::default(),
    }
}

/// A throwaway Redis and Postgres database holding the demo data of this
/// size and generator seed.
#[allow(dead_code)]
pub async fn seeded_demo(users: usize, keys: usize, seed: u64) -> (TestRedis, TestPg) {
    let redis = TestRedis::start();
    let pg = TestPg::create().await;
    let opts = oubli::demo::SeedOptions { users, keys, seed };
    oubli::demo::seed_redis(&mut redis.connection().await, &opts)
        .await
        .expect("seeding Redis");
    oubli::demo::seed_postgres(&mut pg.client().await, &opts)
        .await
        .expect("seeding Postgres");
    (redis, pg)
}
