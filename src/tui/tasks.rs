//! Background tasks: one monitor per live connection. Each has a generation
//! and a cancellation token; it connects, probes on an interval, and on
//! failure reports the error and when it will retry. Nothing here touches
//! the screen: results go to the loop as `BgMsg`.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::state::{BgMsg, Probe};
use crate::register::{ConnectionKind, Loaded};

/// The running monitors; dropping or `stop` cancels them.
pub struct Tasks {
    token: CancellationToken,
}

impl Tasks {
    /// Start a monitor for every connection of the register, at generation `gen`.
    pub fn start(loaded: &Loaded, gen: u64, tx: UnboundedSender<BgMsg>) -> Tasks {
        let token = CancellationToken::new();
        let reg = &loaded.register;
        for conn in loaded.connections.values() {
            let (conn, retry, tx, token) =
                (conn.clone(), reg.retry.clone(), tx.clone(), token.clone());
            match conn.kind {
                ConnectionKind::Redis => {
                    let settings = reg.redis.clone();
                    let name = conn.name.clone();
                    let interval = Duration::from_secs(settings.probe_interval_secs.max(1));
                    tokio::spawn(monitor(
                        token,
                        interval,
                        retry,
                        move |probe| {
                            tx.send(BgMsg::Redis {
                                conn: name.clone(),
                                gen,
                                probe,
                            })
                            .is_ok()
                        },
                        move || {
                            let (conn, settings) = (conn.clone(), settings.clone());
                            async move { crate::redis::connect(&conn, &settings).await }
                        },
                        |mut con| async move {
                            let r = crate::redis::overview::fetch(&mut con).await;
                            (con, r.map_err(anyhow::Error::from))
                        },
                    ));
                }
                ConnectionKind::Postgres => {
                    let settings = reg.postgres.clone();
                    let name = conn.name.clone();
                    let interval = Duration::from_secs(settings.probe_interval_secs.max(1));
                    tokio::spawn(monitor(
                        token,
                        interval,
                        retry,
                        move |probe| {
                            tx.send(BgMsg::Postgres {
                                conn: name.clone(),
                                gen,
                                probe,
                            })
                            .is_ok()
                        },
                        move || {
                            let (conn, settings) = (conn.clone(), settings.clone());
                            async move { crate::postgres::connect(&conn, &settings).await }
                        },
                        |client| async move {
                            let r = crate::postgres::overview::fetch(&client).await;
                            (client, r.map_err(anyhow::Error::from))
                        },
                    ));
                }
            }
        }
        Tasks { token }
    }

    pub fn stop(&self) {
        self.token.cancel();
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// Connect, then probe every `interval`; on any error report it with the
/// back-off delay, wait, and start over. Ends when cancelled or when nobody
/// listens any more.
async fn monitor<C, T, Conn, ConnFut, ProbeFn, ProbeFut>(
    token: CancellationToken,
    interval: Duration,
    retry: crate::register::settings::RetrySettings,
    send: impl Fn(Probe<T>) -> bool,
    connect: Conn,
    probe: ProbeFn,
) where
    Conn: Fn() -> ConnFut,
    ConnFut: Future<Output = anyhow::Result<C>>,
    ProbeFn: Fn(C) -> ProbeFut,
    ProbeFut: Future<Output = (C, anyhow::Result<T>)>,
{
    let mut failures: u32 = 0;
    loop {
        if !send(Probe::Connecting) {
            return;
        }
        let error = tokio::select! {
            _ = token.cancelled() => return,
            c = connect() => match c {
                Err(e) => e,
                Ok(mut con) => loop {
                    let (back, result) = tokio::select! {
                        _ = token.cancelled() => return,
                        r = probe(con) => r,
                    };
                    con = back;
                    match result {
                        Ok(data) => {
                            failures = 0;
                            if !send(Probe::Ready(data)) {
                                return;
                            }
                        }
                        Err(e) => break e,
                    }
                    tokio::select! {
                        _ = token.cancelled() => return,
                        _ = tokio::time::sleep(interval) => {}
                    }
                },
            },
        };
        failures = failures.saturating_add(1);
        let wait = retry.backoff(failures);
        // `{:#}` gives the whole cause chain on one line; URLs in it are
        // already redacted by the engines.
        let text = format!("{error:#}");
        tracing::warn!(error = %text, retry_in_secs = wait.as_secs(), "connection failed");
        if !send(Probe::Failed {
            error: text,
            retry_in: wait,
        }) {
            return;
        }
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
