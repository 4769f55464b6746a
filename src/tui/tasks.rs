//! Background tasks: one monitor per live connection, and the
//! classification of the first Postgres one; the browser's census, key and
//! value reads, and the change to Redis. Each has a generation and a
//! cancellation token; a monitor connects, probes on an interval, and on
//! failure reports the error and when it will retry. Nothing here touches
//! the screen: results go to the loop as `BgMsg`, tagged with their
//! generation so the state drops stale ones.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::redis::census::cache;
use crate::redis::keyspace::Keyspace;

use super::state::{BgMsg, Probe};
use crate::register::{ConnectionKind, Loaded};

/// The running monitors and classification; dropping or `stop` cancels them.
pub struct Tasks {
    token: CancellationToken,
}

impl Tasks {
    /// Start a monitor for every connection of the register, and the
    /// classification of the first Postgres one, at generation `gen`.
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
        survey(loaded, gen, token.clone(), tx);
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

/// The browser's background work: the census (one at a time, cancellable)
/// and bounded key and value reads on one shared connection.
pub struct BrowserTasks {
    conn: Option<crate::register::ResolvedConnection>,
    settings: crate::register::settings::RedisSettings,
    census_opts: Option<crate::redis::census::CensusOptions>,
    census_token: CancellationToken,
    /// The change to Redis under way (one at a time: the state sees to it).
    change_token: CancellationToken,
    /// The search of values under way (a new one stops it).
    search_token: CancellationToken,
    shared: std::sync::Arc<tokio::sync::Mutex<Option<Keyspace>>>,
    tx: UnboundedSender<BgMsg>,
}

impl BrowserTasks {
    pub fn new(loaded: &Loaded, conn: Option<&str>, tx: UnboundedSender<BgMsg>) -> BrowserTasks {
        let resolved = conn.and_then(|c| loaded.connections.get(c)).cloned();
        let census_opts = conn.map(|c| {
            let mut o = crate::redis::census::CensusOptions::for_connection(&loaded.register, c);
            o.sample = Some(crate::redis::census::SampleOptions::default());
            o
        });
        BrowserTasks {
            conn: resolved,
            settings: loaded.register.redis.clone(),
            census_opts,
            census_token: CancellationToken::new(),
            change_token: CancellationToken::new(),
            search_token: CancellationToken::new(),
            shared: Default::default(),
            tx,
        }
    }

    /// Start a census (cancelling a running one) at generation `gen`. A
    /// complete result is also kept on disk (`census::cache`), so the
    /// console and `oubli scan redis` open with it.
    pub fn census(&mut self, gen: u64) {
        self.census_token.cancel();
        self.census_token = CancellationToken::new();
        let (Some(conn), Some(opts)) = (self.conn.clone(), self.census_opts.clone()) else {
            return;
        };
        let (token, tx, settings) = (
            self.census_token.clone(),
            self.tx.clone(),
            self.settings.clone(),
        );
        tokio::spawn(async move {
            let progress_tx = tx.clone();
            let result =
                crate::redis::cluster::census_connection(&conn, &settings, &opts, &token, |p| {
                    let _receiver_may_be_gone =
                        progress_tx.send(BgMsg::CensusProgress { gen, progress: p });
                })
                .await;
            if token.is_cancelled() {
                return;
            }
            if let Ok(c) = &result {
                tracing::info!(connection = %conn.name, keys = c.scanned, namespaces = c.namespaces.len(), complete = c.complete, "census done");
            }
            // The census kept before (the start may not have reached the
            // server), then this one in its place.
            if let Some(c) = result.as_ref().ok().filter(|c| c.complete) {
                if let Some(previous) = c.server.as_ref().and_then(cache::load) {
                    let _receiver_may_be_gone = tx.send(BgMsg::LastCensus {
                        previous: Box::new(previous),
                    });
                }
                if let Err(e) = cache::save(c) {
                    tracing::warn!(error = %format!("{e:#}"), "could not keep the census on disk");
                }
            }
            let _receiver_may_be_gone = tx.send(BgMsg::CensusDone {
                gen,
                result: result.map_err(|e| format!("{e:#}")),
            });
        });
    }

    /// The census kept on disk for the server the connection reaches now
    /// (asked for its identity first), sent as the last census.
    pub fn load_last(&self) {
        let Some(conn) = self.conn.clone() else {
            return;
        };
        let (tx, settings) = (self.tx.clone(), self.settings.clone());
        tokio::spawn(async move {
            match crate::redis::cluster::identify(&conn, &settings).await {
                Ok(id) => {
                    if let Some(previous) = cache::load(&id) {
                        let _receiver_may_be_gone = tx.send(BgMsg::LastCensus {
                            previous: Box::new(previous),
                        });
                    }
                }
                Err(e) => {
                    tracing::info!(error = %format!("{e:#}"), "the last census waits for the server")
                }
            }
        });
    }

    async fn connection(
        shared: &tokio::sync::Mutex<Option<Keyspace>>,
        conn: &crate::register::ResolvedConnection,
        settings: &crate::register::settings::RedisSettings,
    ) -> anyhow::Result<Keyspace> {
        let mut slot = shared.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = Keyspace::open(conn, settings).await?;
        *slot = Some(c.clone());
        Ok(c)
    }

    pub fn keys(&self, gen: u64, glob: Vec<u8>, cursor: u64) {
        let Some(conn) = self.conn.clone() else {
            return;
        };
        let (shared, tx, settings) = (self.shared.clone(), self.tx.clone(), self.settings.clone());
        tokio::spawn(async move {
            let result = async {
                let keyspace = Self::connection(&shared, &conn, &settings).await?;
                let delims: Vec<u8> = settings.delimiters.iter().flat_map(|d| d.bytes()).collect();
                keyspace
                    .key_page(&glob, cursor, 200, settings.scan_count, &delims)
                    .await
            }
            .await;
            if result.is_err() {
                *shared.lock().await = None;
            }
            let _receiver_may_be_gone = tx.send(BgMsg::Keys {
                gen,
                result: result.map_err(|e| format!("{e:#}")),
            });
        });
    }

    /// Read these keys' values, paced, and say which hold the text.
    pub fn search_values(&mut self, gen: u64, glob: Vec<u8>, text: String) {
        self.search_token.cancel();
        self.search_token = CancellationToken::new();
        let Some(conn) = self.conn.clone() else {
            return;
        };
        let Some(needle) = crate::redis::search::Needle::new(&text) else {
            return;
        };
        let (shared, tx, settings) = (self.shared.clone(), self.tx.clone(), self.settings.clone());
        let cancel = self.search_token.clone();
        tokio::spawn(async move {
            let result = async {
                let keyspace = Self::connection(&shared, &conn, &settings).await?;
                let delims: Vec<u8> = settings.delimiters.iter().flat_map(|d| d.bytes()).collect();
                let found = crate::redis::search::namespace_values_holding(
                    &keyspace,
                    &glob,
                    &needle,
                    crate::tui::browser::VALUE_SEARCH_MAX_KEYS,
                    settings.scan_count,
                    &delims,
                    settings.max_ops_per_sec,
                    &cancel,
                )
                .await?;
                Ok::<_, anyhow::Error>(found)
            }
            .await;
            if result.is_err() {
                *shared.lock().await = None;
            }
            let _receiver_may_be_gone = tx.send(BgMsg::ValueSearch {
                gen,
                result: result.map_err(|e| format!("{e:#}")),
            });
        });
    }

    pub fn cancel_value_search(&self) {
        self.search_token.cancel();
    }

    /// A key's value, first page.
    pub fn value(&self, gen: u64, key: Vec<u8>) {
        self.value_page(gen, key, None);
    }

    /// The next page of a value, from the token of the previous one.
    pub fn value_more(&self, gen: u64, key: Vec<u8>, from: String) {
        self.value_page(gen, key, Some(from));
    }

    fn value_page(&self, gen: u64, key: Vec<u8>, from: Option<String>) {
        let Some(conn) = self.conn.clone() else {
            return;
        };
        let (shared, tx, settings) = (self.shared.clone(), self.tx.clone(), self.settings.clone());
        tokio::spawn(async move {
            let result = async {
                let keyspace = Self::connection(&shared, &conn, &settings).await?;
                let limits = crate::redis::values::ReadLimits::default();
                Ok::<_, anyhow::Error>(
                    keyspace
                        .read_value_page(&key, limits, from.as_deref())
                        .await?,
                )
            }
            .await;
            if result.is_err() {
                *shared.lock().await = None;
            }
            let result = result.map_err(|e| format!("{e:#}"));
            let msg = if from.is_some() {
                BgMsg::ValueMore { gen, result }
            } else {
                BgMsg::Value { gen, result }
            };
            let _receiver_may_be_gone = tx.send(msg);
        });
    }
}

impl BrowserTasks {
    /// Make a confirmed change (write mode) at generation `gen`, within
    /// the load budget, to the keys that fold to the namespace only (never
    /// the `{other}` bucket), until [`BrowserTasks::stop_change`]: a stopped
    /// change reports what it changed until then. The audit log gets the
    /// action, the namespace and the counts.
    pub fn remediate(&mut self, gen: u64, r: crate::tui::browser::Remediation) {
        use crate::redis::actions::{self, Change, Pace, Target};
        use crate::tui::browser::Remediation;
        let Some(conn) = self.conn.clone() else {
            return;
        };
        self.change_token = CancellationToken::new();
        let token = self.change_token.clone();
        let (tx, settings) = (self.tx.clone(), self.settings.clone());
        tokio::spawn(async move {
            let result = async {
                let keyspace = Keyspace::open(&conn, &settings).await?;
                let pace = Pace {
                    scan_count: settings.scan_count,
                    max_ops_per_sec: settings.max_ops_per_sec,
                };
                let (pattern, change) = match &r {
                    Remediation::ExpireNamespace {
                        pattern, ttl_secs, ..
                    } => (
                        pattern,
                        Change::Expire {
                            ttl: Duration::from_secs(*ttl_secs),
                            scope: actions::TtlScope::NoTtlOrLonger,
                        },
                    ),
                    Remediation::UnlinkNamespace { pattern, .. } => (pattern, Change::Unlink),
                    Remediation::UnlinkKey { key, pattern, .. } => {
                        let done = keyspace.unlink_key(key).await?;
                        return Ok(actions::Report {
                            action: "unlink".into(),
                            pattern: pattern.clone(),
                            scanned: 1,
                            changed: u64::from(done),
                            unchanged: u64::from(!done),
                            complete: true,
                            ..actions::Report::default()
                        });
                    }
                };
                let delimiters =
                    crate::redis::census::CensusOptions::from_settings(&settings, None).delimiters;
                let target = Target::new(pattern, &delimiters)?;
                let report = keyspace
                    .change_namespace(change, &target, pace, &token, |_| {})
                    .await?;
                Ok::<_, anyhow::Error>(report)
            }
            .await;
            match &result {
                Ok(rep) => {
                    tracing::info!(target: "audit", action = %rep.action, namespace = %rep.pattern, changed = rep.changed, scanned = rep.scanned, outside = rep.outside, "redis remediation")
                }
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "redis remediation failed"),
            }
            let _receiver_may_be_gone = tx.send(BgMsg::Remediated {
                gen,
                result: result.map_err(|e| format!("{e:#}")),
            });
        });
    }

    /// Stop the change under way after the batch it is in.
    pub fn stop_change(&self) {
        self.change_token.cancel();
    }
}

impl Drop for BrowserTasks {
    fn drop(&mut self) {
        self.census_token.cancel();
        self.change_token.cancel();
    }
}

/// Classify the first Postgres connection (catalog, bounded samples,
/// person graph) and send the survey to the loop, tagged `gen`; nothing is
/// sent once `token` is cancelled.
fn survey(loaded: &Loaded, gen: u64, token: CancellationToken, tx: UnboundedSender<BgMsg>) {
    let Some(conn) = loaded
        .connections_of(ConnectionKind::Postgres)
        .next()
        .cloned()
    else {
        return;
    };
    let reg = loaded.register.clone();
    tokio::spawn(async move {
        let work = async {
            let client = crate::postgres::connect(&conn, &reg.postgres).await?;
            let opts = crate::postgres::classify::Options::default();
            let survey = crate::postgres::coverage::survey(&client, Some(&reg), &opts).await?;
            // The findings `oubli check --live` reports, from the same survey.
            let findings =
                crate::postgres::coverage::findings_of(&client, &survey, &reg, &conn.name)
                    .await
                    .map_err(|e| format!("{e:#}"));
            Ok::<_, anyhow::Error>((survey, findings))
        };
        let result = tokio::select! {
            _ = token.cancelled() => return,
            r = work => r,
        };
        if let Err(e) = &result {
            tracing::warn!(error = %format!("{e:#}"), "postgres classification failed");
        }
        let (result, findings) = match result {
            Ok((survey, findings)) => (Ok(std::sync::Arc::new(survey)), findings),
            Err(e) => (Err(format!("{e:#}")), Err(format!("{e:#}"))),
        };
        let _receiver_may_be_gone = tx.send(BgMsg::Survey {
            conn: conn.name.clone(),
            gen,
            result,
            findings,
        });
    });
}
