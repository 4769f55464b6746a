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
