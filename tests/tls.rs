//! TLS against real servers on loopback: a throwaway CA and certificates
//! (rcgen), a `redis-server` with a TLS port, and a throwaway Postgres
//! cluster with `ssl = on`. Nothing leaves 127.0.0.1.
//!
//! Postgres: the cluster is created with the newest `initdb` under
//! /usr/lib/postgresql/*/bin (as the `postgres` OS user when the tests run
//! as root, as scripts/ensure-services.sh does). Without those binaries the
//! Postgres tests say so and pass; the Redis ones need `redis-server` built
//! with TLS (Debian's is).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oubli::register::load::ad_hoc;
use oubli::register::model::Tls;
use oubli::register::{ConnectionKind, ResolvedConnection, SecretUrl};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

// ---------------------------------------------------------------------------
// Certificates

/// PEM files of one test PKI, in a directory of their own.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn file(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    names: &[&str],
    cn: &str,
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// ca.crt, server.crt/.key (for 127.0.0.1 only: `localhost` does not match),
/// client.crt/.key (CN `certuser`), other-ca.crt (trusts nothing here).
fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, issuer) = ca("oubli test CA");
    let (other_pem, _) = ca("some other CA");
    let (srv, srv_key) = leaf(
        &issuer,
        &["127.0.0.1"],
        "127.0.0.1",
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (cli, cli_key) = leaf(
        &issuer,
        &["certuser"],
        "certuser",
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    for (name, body) in [
        ("ca.crt", ca_pem),
        ("other-ca.crt", other_pem),
        ("server.crt", srv),
        ("server.key", srv_key),
        ("client.crt", cli),
        ("client.key", cli_key),
    ] {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    Pki { dir }
}

fn tls(ca: Option<String>, client: Option<(String, String)>) -> Option<Tls> {
    Some(Tls {
        mode: None,
        ca_file: ca,
        client_cert_file: client.as_ref().map(|c| c.0.clone()),
        client_key_file: client.map(|c| c.1),
    })
}

fn resolved(kind: ConnectionKind, url: &str, tls: Option<Tls>) -> ResolvedConnection {
    ResolvedConnection {
        name: "test".into(),
        kind,
        url: SecretUrl::new(url),
        tls,
        cluster: false,
        read_from_replicas: false,
        from_command_line: false,
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

// ---------------------------------------------------------------------------
// Redis

struct TlsRedis {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        if let Err(e) = self.child.kill() {
            eprintln!("warning: could not kill the TLS redis-server: {e}");
        }
        if let Err(e) = self.child.wait() {
            eprintln!("warning: could not reap the TLS redis-server: {e}");
        }
    }
}

/// A redis-server with only a TLS port; `mutual`: clients must show a
/// certificate from the test CA. User `alice` (password `wonderland`) can
/// PING and `ACL WHOAMI`.
fn tls_redis(pki: &Pki, mutual: bool) -> TlsRedis {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--tls-cert-file")
            .arg(pki.path("server.crt"))
            .arg("--tls-key-file")
            .arg(pki.path("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(pki.path("ca.crt"))
            .args(["--tls-auth-clients", if mutual { "yes" } else { "no" }])
            .args(["--user", "alice", "on", ">wonderland", "~*", "+@all"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start redis-server (install it: scripts/ensure-services.sh)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if listening(port) {
                return TlsRedis {
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
    panic!("redis-server with a TLS port did not start (3 attempts); is it built with TLS?");
}

async fn redis_ping(url: &str, tls: Option<Tls>) -> anyhow::Result<String> {
    let conn = resolved(ConnectionKind::Redis, url, tls);
    let mut c = oubli::redis::connect(&conn, &ad_hoc().register.redis).await?;
    Ok(redis::cmd("PING").query_async::<String>(&mut c).await?)
}

#[tokio::test]
async fn rediss_with_the_test_ca_connects_and_pings() {
    let pki = pki();
    let srv = tls_redis(&pki, false);
    let url = format!("rediss://127.0.0.1:{}/0", srv.port);
    let pong = redis_ping(&url, tls(Some(pki.file("ca.crt")), None))
        .await
        .expect("rediss:// with the test CA");
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn rediss_with_an_acl_user_over_tls() {
    let pki = pki();
    let srv = tls_redis(&pki, false);
    let url = format!("rediss://alice:wonderland@127.0.0.1:{}/0", srv.port);
    let conn = resolved(
        ConnectionKind::Redis,
        &url,
        tls(Some(pki.file("ca.crt")), None),
    );
    let mut c = oubli::redis::connect(&conn, &ad_hoc().register.redis)
        .await
        .expect("ACL user over TLS");
    let me: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(me, "alice");
}

#[tokio::test]
async fn rediss_against_the_system_roots_fails_on_the_certificate() {
    let pki = pki();
    let srv = tls_redis(&pki, false);
    // A password in the URL must not reach the error.
    let url = format!("rediss://default:hunter2-secret@127.0.0.1:{}/0", srv.port);
    let e = redis_ping(&url, None).await.unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("certificate"), "{msg}");
    assert!(msg.contains("UnknownIssuer"), "{msg}");
    assert!(msg.contains("the system trust store"), "{msg}");
    assert!(!msg.contains("hunter2-secret"), "{msg}");

    let e = redis_ping(&url, tls(Some(pki.file("other-ca.crt")), None))
        .await
        .unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("UnknownIssuer"), "{msg}");
    assert!(msg.contains("other-ca.crt"), "{msg}");
    assert!(!msg.contains("hunter2-secret"), "{msg}");
}

#[tokio::test]
async fn rediss_mutual_tls_needs_the_client_certificate() {
    let pki = pki();
    let srv = tls_redis(&pki, true);
    let url = format!("rediss://127.0.0.1:{}/0", srv.port);
    let pong = redis_ping(
        &url,
        tls(
            Some(pki.file("ca.crt")),
            Some((pki.file("client.crt"), pki.file("client.key"))),
        ),
    )
    .await
    .expect("mutual TLS with the client certificate");
    assert_eq!(pong, "PONG");

    let refused = redis_ping(&url, tls(Some(pki.file("ca.crt")), None)).await;
    assert!(
        refused.is_err(),
        "a server with --tls-auth-clients yes answered a client without a certificate"
    );
}

#[tokio::test]
async fn redis_tls_errors_name_the_file_and_refuse_insecure() {
    let pki = pki();
    let port = free_port(); // nothing listens: every error must come first
    let url = format!("rediss://default:hunter2-secret@127.0.0.1:{port}/0");
    let e = redis_ping(&url, tls(Some("/nonexistent/ca.pem".into()), None))
        .await
        .unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("cannot read tls.ca_file /nonexistent/ca.pem"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2-secret"), "{msg}");

    let e = redis_ping(
        &url,
        tls(
            Some(pki.file("ca.crt")),
            Some((pki.file("client.crt"), "/nonexistent/client.key".into())),
        ),
    )
    .await
    .unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("cannot read tls.client_key_file /nonexistent/client.key"),
        "{msg}"
    );

    // A key file that is not a key.
    let e = redis_ping(
        &url,
        tls(
            Some(pki.file("ca.crt")),
            Some((pki.file("client.crt"), pki.file("ca.crt"))),
        ),
    )
    .await
    .unwrap_err();
    assert!(format!("{e:#}").contains("tls.client_key_file"), "{e:#}");

    let e = redis_ping(&format!("{url}#insecure"), None)
        .await
        .unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("#insecure"), "{msg}");
    assert!(!msg.contains("hunter2-secret"), "{msg}");

    let plain = format!("redis://127.0.0.1:{port}/0");
    let e = redis_ping(&plain, tls(Some(pki.file("ca.crt")), None))
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("not rediss://"), "{e:#}");
}

// ---------------------------------------------------------------------------
// Postgres

/// The newest PostgreSQL server binaries installed.
fn pg_bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Run a Postgres binary as the cluster's owner.
fn as_owner(bin: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

/// A throwaway cluster with `ssl = on`, trust auth on 127.0.0.1, and a
/// `certuser` role that may only log in over TLS with a client certificate.
struct TlsPg {
    port: u16,
    bindir: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for TlsPg {
    fn drop(&mut self) {
        let out = as_owner(&self.bindir.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !out.is_ok_and(|s| s.success()) {
            eprintln!(
                "warning: could not stop the TLS test cluster in {}",
                self.data.display()
            );
        }
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tls_pg(pki: &Pki) -> Option<TlsPg> {
    let Some(bindir) = pg_bindir() else {
        eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The server's key and certificates, readable by the cluster's owner
    // (Postgres refuses a key file others can read).
    for f in ["server.crt", "server.key", "ca.crt"] {
        std::fs::copy(pki.path(f), dir.path().join(f)).unwrap();
    }
    run(
        Command::new("chmod")
            .arg("600")
            .arg(dir.path().join("server.key")),
        "chmod",
    );
    if is_root() {
        run(
            Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path()),
            "chown the cluster's directory to postgres",
        );
    }
    run(
        as_owner(&bindir.join("initdb")).arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ]),
        "initdb",
    );
    // The first matching line wins: certuser only over TLS with a client
    // certificate signed by the test CA; everyone else as initdb wrote it.
    let hba = data.join("pg_hba.conf");
    let rest = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(
        &hba,
        format!(
            "hostssl all certuser 127.0.0.1/32 trust clientcert=verify-ca\n\
             host all certuser 127.0.0.1/32 reject\n{rest}"
        ),
    )
    .unwrap();
    let conf = |f: &str| format!("'{}'", dir.path().join(f).display());
    for _ in 0..3 {
        let port = free_port();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c ssl=on \
             -c ssl_cert_file={} -c ssl_key_file={} -c ssl_ca_file={}",
            dir.path().display(),
            conf("server.crt"),
            conf("server.key"),
            conf("ca.crt"),
        );
        let started = as_owner(&bindir.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("pg.log"))
            .args(["-w", "-t", "30", "-o", &opts, "start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if started && listening(port) {
            let pg = TlsPg {
                port,
                bindir,
                data,
                _dir: dir,
            };
            return Some(pg);
        }
    }
    let log = std::fs::read_to_string(dir.path().join("pg.log")).unwrap_or_default();
    panic!("the TLS test cluster did not start:\n{log}");
}

async fn pg_ssl(url: &str, tls: Option<Tls>) -> anyhow::Result<bool> {
    let conn = resolved(ConnectionKind::Postgres, url, tls);
    let client = oubli::postgres::connect(&conn, &ad_hoc().register.postgres).await?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

#[tokio::test]
async fn postgres_sslmode_is_honoured() {
    let pki = pki();
    let Some(pg) = tls_pg(&pki) else { return };
    let ca = || tls(Some(pki.file("ca.crt")), None);
    let at = |host: &str, q: &str| format!("postgresql://postgres@{host}:{}/postgres?{q}", pg.port);

    // verify-full with the test CA: TLS, chain and host name checked.
    assert!(pg_ssl(&at("127.0.0.1", "sslmode=verify-full"), ca())
        .await
        .expect("verify-full"));
    // The libpq file parameters in the URL work as the register's.
    let url = at(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", pki.file("ca.crt")),
    );
    assert!(pg_ssl(&url, None).await.expect("sslrootcert"));
    // A CA and no mode means verify-full.
    assert!(pg_ssl(&at("127.0.0.1", ""), ca())
        .await
        .expect("ca_file alone"));
    // tls.mode instead of the URL.
    let mut t = ca();
    t.as_mut().unwrap().mode = Some("verify-full".into());
    assert!(pg_ssl(&at("127.0.0.1", ""), t).await.expect("tls.mode"));

    // disable: no TLS at all.
    assert!(!pg_ssl(&at("127.0.0.1", "sslmode=disable"), None)
        .await
        .expect("disable"));

    // The wrong CA: refused, the cause named, the password kept out.
    let url = format!(
        "postgresql://postgres:hunter2-secret@127.0.0.1:{}/postgres?sslmode=verify-full",
        pg.port
    );
    let e = pg_ssl(&url, tls(Some(pki.file("other-ca.crt")), None))
        .await
        .unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("UnknownIssuer"), "{msg}");
    assert!(msg.contains("other-ca.crt"), "{msg}");
    assert!(!msg.contains("hunter2-secret"), "{msg}");
    // The system trust store does not know the test CA either.
    let e = pg_ssl(&at("127.0.0.1", "sslmode=verify-full"), None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("UnknownIssuer"), "{e:#}");

    // The certificate names 127.0.0.1, not localhost: verify-full and
    // require (stricter than libpq's) refuse; verify-ca checks the chain only.
    for mode in ["verify-full", "require"] {
        let e = pg_ssl(&at("localhost", &format!("sslmode={mode}")), ca())
            .await
            .unwrap_err();
        assert!(
            format!("{e:#}").contains("not valid for name"),
            "{mode}: {e:#}"
        );
    }
    assert!(pg_ssl(&at("localhost", "sslmode=verify-ca"), ca())
        .await
        .expect("verify-ca"));
    let e = pg_ssl(
        &at("localhost", "sslmode=verify-ca"),
        tls(Some(pki.file("other-ca.crt")), None),
    )
    .await
    .unwrap_err();
    assert!(format!("{e:#}").contains("UnknownIssuer"), "{e:#}");

    // prefer (and no mode at all): encrypted when offered, as libpq; a
    // certificate that does not verify is logged, not fatal.
    assert!(pg_ssl(&at("localhost", "sslmode=prefer"), None)
        .await
        .expect("prefer"));
    assert!(pg_ssl(&at("127.0.0.1", ""), None).await.expect("default"));
}

#[tokio::test]
async fn postgres_mutual_tls() {
    let pki = pki();
    let Some(pg) = tls_pg(&pki) else { return };
    let admin = resolved(
        ConnectionKind::Postgres,
        &format!(
            "postgresql://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            pg.port
        ),
        None,
    );
    oubli::postgres::connect_writable(&admin, &ad_hoc().register.postgres)
        .await
        .unwrap()
        .batch_execute("CREATE ROLE certuser LOGIN")
        .await
        .unwrap();
    let url = format!(
        "postgresql://certuser@127.0.0.1:{}/postgres?sslmode=verify-full",
        pg.port
    );
    let with_cert = tls(
        Some(pki.file("ca.crt")),
        Some((pki.file("client.crt"), pki.file("client.key"))),
    );
    assert!(pg_ssl(&url, with_cert).await.expect("client certificate"));
    let e = pg_ssl(&url, tls(Some(pki.file("ca.crt")), None))
        .await
        .unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("certificate"), "{msg}");

    let e = pg_ssl(
        &url,
        tls(
            Some(pki.file("ca.crt")),
            Some((pki.file("client.crt"), "/nonexistent/client.key".into())),
        ),
    )
    .await
    .unwrap_err();
    assert!(
        format!("{e:#}").contains("cannot read tls.client_key_file /nonexistent/client.key"),
        "{e:#}"
    );
}
