//! Postgres servers that never answer: a listener that accepts and stays
//! silent (the handshake never ends), and a fake server that completes the
//! startup and then never answers a query. The engine, the CLI commands and
//! (through the same `connect`) the console give up with a clear error.
//!
//! Every test of this file uses the same short settings: the client-side
//! query bound is process-wide (the longest of the sessions opened).

use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use oubli::postgres;
use oubli::register::settings::PostgresSettings;
use oubli::register::{self, ResolvedConnection};

/// A listener on 127.0.0.1 that accepts every connection and never sends a
/// byte; the connections stay open while the test runs.
async fn silent_listener() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    port
}

/// Reads one startup-phase message (a length, then its body).
async fn read_startup(sock: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let len = sock.read_i32().await?;
    let mut body = vec![0; usize::try_from(len - 4).unwrap_or(0)];
    sock.read_exact(&mut body).await?;
    Ok(body)
}

/// A fake Postgres on 127.0.0.1: declines TLS, accepts the startup without
/// a password, says it is ready, then reads queries and never answers.
async fn stalling_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut body) = read_startup(&mut sock).await else {
                    return;
                };
                // SSLRequest (80877103): "no", then the real startup.
                if body == 80877103i32.to_be_bytes() {
                    if sock.write_all(b"N").await.is_err() {
                        return;
                    }
                    let Ok(b) = read_startup(&mut sock).await else {
                        return;
                    };
                    body = b;
                }
                let _ = body;
                // AuthenticationOk, then ReadyForQuery (idle).
                let hello = [b'R', 0, 0, 0, 8, 0, 0, 0, 0, b'Z', 0, 0, 0, 5, b'I'];
                if sock.write_all(&hello).await.is_err() {
                    return;
                }
                let mut sink = [0u8; 4096];
                while matches!(sock.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    port
}

fn conn(port: u16) -> ResolvedConnection {
    ResolvedConnection {
        name: "db".into(),
        kind: register::ConnectionKind::Postgres,
        url: register::SecretUrl::new(format!(
            "postgresql://oubli@127.0.0.1:{port}/app?sslmode=disable"
        )),
        tls: None,
        cluster: false,
        read_from_replicas: false,
        from_command_line: true,
    }
}

fn settings() -> PostgresSettings {
    let mut s = register::load::ad_hoc().register.postgres;
    s.connect_timeout_ms = 400;
    s.statement_timeout_ms = 300;
    s
}

#[tokio::test]
async fn connecting_to_a_silent_listener_times_out() {
    let port = silent_listener().await;
    let e = postgres::connect(&conn(port), &settings())
        .await
        .expect_err("a listener that never answers cannot give a session");
    let msg = format!("{e:#}");
    assert!(msg.contains("cannot connect to Postgres"), "{msg}");
    assert!(
        msg.contains("no answer within 400 ms (postgres.connect_timeout_ms)"),
        "{msg}"
    );
    // The same through the writable session (demo seeding).
    let e = postgres::connect_writable(&conn(port), &settings())
        .await
        .expect_err("no session");
    assert!(format!("{e:#}").contains("no answer within"), "{e:#}");
}

#[tokio::test]
async fn a_query_the_server_never_answers_times_out() {
    let port = stalling_server().await;
    let client = postgres::connect(&conn(port), &settings())
        .await
        .expect("the fake server completes the startup");
    let bound = postgres::query::query_bound().expect("a bound");
    let e = postgres::overview::fetch(&client)
        .await
        .expect_err("no answer, no overview");
    let msg = format!("{e:#}");
    assert!(
        msg.starts_with("reading the server's overview: no answer from the server within"),
        "{msg}"
    );
    assert!(msg.contains(&format!("{} ms", bound.as_millis())), "{msg}");
    // Classification (the catalog's queries) as well.
    let e = postgres::survey(&client, None, &Default::default())
        .await
        .expect_err("no answer, no survey");
    let msg = format!("{e:#}");
    assert!(
        msg.starts_with("reading the catalog: no answer from the server"),
        "{msg}"
    );
}

fn oubli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oubli"));
    c.env_remove("OUBLI_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env(
            "OUBLI_LOG_DIR",
            std::env::temp_dir().join("oubli-test-logs"),
        )
        .current_dir(std::env::temp_dir());
    c
}

/// `status`, `classify postgres` and `init` against a listener that never
/// answers: each ends (the default connect timeout) and says why.
#[tokio::test(flavor = "multi_thread")]
async fn commands_give_up_on_a_silent_listener() {
    let port = silent_listener().await;
    let url = format!("postgresql://oubli@127.0.0.1:{port}/app?sslmode=disable");
    let runs: Vec<_> = [vec!["status"], vec!["classify", "postgres"], vec!["init"]]
        .into_iter()
        .map(|args| {
            let mut c = oubli();
            c.args(&args).args(["--pg", &url]);
            (
                args.join(" "),
                tokio::task::spawn_blocking(move || c.output()),
            )
        })
        .collect();
    for (what, run) in runs {
        let out = run.await.unwrap().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(out.status.code(), Some(0), "{what}: {all}");
        assert!(all.contains("cannot connect to Postgres"), "{what}: {all}");
        assert!(
            all.contains("(postgres.connect_timeout_ms): the connection, TLS and startup"),
            "{what}: {all}"
        );
    }
}
