//! The findings engine: the one list of findings both faces show.
//!
//! The register's own gaps ([`crate::register::lint`]), then what each live
//! store contradicts: a finished census of a Redis connection says more,
//! namespace by namespace, than `INFO` can, so `INFO`'s totals count only
//! for a connection that has no census yet; the other logical databases of
//! a server are covered when any connection of the register reads them;
//! Postgres findings come per connection. A store that could not be checked
//! is itself a finding (`check_failed`), and the others are still reported.
//!
//! [`assemble`] is pure: the console calls it with what its background
//! tasks measured, `oubli check --live` with what [`live`] measured; the
//! two lists therefore agree for the same register and the same stores.

mod finding;

use std::collections::BTreeMap;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub use finding::*;

use crate::redis::census::{Census, CensusOptions, SampleOptions};
use crate::register::lint::{self, Measured};
use crate::register::{ConnectionKind, Loaded, Register};

/// What the faces measured of the live stores, by connection name.
#[derive(Debug, Default)]
pub struct Observed<'a> {
    /// For each Redis connection, the logical databases of its server that
    /// some connection of the register reads ([`covered_dbs`]).
    pub covered: BTreeMap<String, Vec<u32>>,
    /// `INFO` totals of a Redis connection (keys, keys without a TTL).
    pub info: BTreeMap<String, Measured>,
    /// The finished census of a Redis connection.
    pub censuses: BTreeMap<String, &'a Census>,
    /// The Postgres findings of a connection.
    pub postgres: BTreeMap<String, Vec<Finding>>,
    /// Connections that could not be checked, and why (no personal data:
    /// driver errors name servers and statements, never values).
    pub failed: BTreeMap<String, String>,
}

/// A store that could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub connection: String,
    pub error: String,
}

/// Every finding, the register's first, then each store's, in a stable order.
pub fn assemble(reg: &Register, observed: &Observed<'_>) -> Vec<Finding> {
    let mut findings = lint::lint(reg);
    // A census that stopped part-way says nothing of the rest of the
    // keyspace: INFO's totals stand in for it, and that it stopped is said.
    let complete = |conn: &String| observed.censuses.get(conn).is_some_and(|c| c.complete);
    let info_only: BTreeMap<String, Measured> = observed
        .info
        .iter()
        .filter(|(conn, _)| !complete(conn))
        .map(|(c, m)| (c.clone(), m.clone()))
        .collect();
    findings.extend(lint::lint_measured(reg, &info_only));
    let mut failed = observed.failed.clone();
    for (conn, census) in &observed.censuses {
        if !census.complete {
            let why = census.stopped.as_deref().unwrap_or("it stopped");
            failed.entry(conn.clone()).or_insert_with(|| {
                format!(
                    "Redis: the census counted {} of {} keys: {why}",
                    census.scanned, census.dbsize
                )
            });
            continue;
        }
        let Some(storage) = reg.storage_of_connection(conn) else {
            continue;
        };
        findings.extend(crate::redis::findings::census_findings(
            reg, storage, census,
        ));
        let covered = observed.covered.get(conn).map_or(&[][..], Vec::as_slice);
        findings.extend(crate::redis::findings::uncovered_db_findings(
            storage, census, covered,
        ));
    }
    for f in observed.postgres.values() {
        findings.extend(f.iter().cloned());
    }
    for (conn, error) in &failed {
        findings.push(Finding {
            kind: "check_failed",
            severity: Severity::High,
            storage: reg.storage_of_connection(conn).map(|s| s.id().to_string()),
            message: format!("connection {conn:?} could not be checked: {error}"),
            ..Finding::default()
        });
    }
    findings
}

/// For each Redis connection, the logical databases of its server that
/// some connection of the register reads (its own included): their keys
/// are accounted for, whether or not a census has read them yet.
pub fn covered_dbs(loaded: &Loaded) -> BTreeMap<String, Vec<u32>> {
    type Server = (String, u16);
    let servers: Vec<(&str, (Server, u32))> = loaded
        .connections_of(ConnectionKind::Redis)
        .filter_map(|c| Some((c.name.as_str(), crate::redis::server_and_db(c)?)))
        .collect();
    servers
        .iter()
        .map(|(name, (server, _))| {
            let mut dbs: Vec<u32> = servers
                .iter()
                .filter(|(_, (s, _))| s == server)
                .map(|(_, (_, db))| *db)
                .collect();
            dbs.sort_unstable();
            dbs.dedup();
            (name.to_string(), dbs)
        })
        .collect()
}

/// What `oubli check --live` found: every finding, and the stores that
/// could not be checked (also among the findings, as `check_failed`).
#[derive(Debug, Clone, Serialize)]
pub struct LiveCheck {
    pub findings: Vec<Finding>,
    pub failures: Vec<Failure>,
}

/// Measure every live store of the register — a census (with value
/// sampling) of each Redis connection a storage carries, the Postgres
/// checks of each Postgres connection — and assemble the findings. One
/// store failing does not hide the others.
pub async fn live(loaded: &Loaded, token: &CancellationToken) -> LiveCheck {
    let reg = &loaded.register;
    let mut censuses: BTreeMap<String, Census> = BTreeMap::new();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    let mut postgres: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for c in loaded.connections_of(ConnectionKind::Redis) {
        if reg.storage_of_connection(&c.name).is_none() {
            continue;
        }
        let mut opts = CensusOptions::for_connection(reg, &c.name);
        opts.sample = Some(SampleOptions::default());
        match crate::redis::cluster::census_connection(c, &reg.redis, &opts, token, |_| {}).await {
            Ok(census) => {
                censuses.insert(c.name.clone(), census);
            }
            Err(e) => {
                failed.insert(c.name.clone(), format!("Redis: {e:#}"));
            }
        }
    }
    for c in loaded.connections_of(ConnectionKind::Postgres) {
        let result = async {
            let client = crate::postgres::connect(c, &reg.postgres).await?;
            crate::postgres::findings(&client, reg, &c.name).await
        }
        .await;
        match result {
            Ok(f) => {
                postgres.insert(c.name.clone(), f);
            }
            Err(e) => {
                failed.insert(c.name.clone(), format!("Postgres: {e:#}"));
            }
        }
    }
    let observed = Observed {
        covered: covered_dbs(loaded),
        info: BTreeMap::new(),
        censuses: censuses.iter().map(|(k, v)| (k.clone(), v)).collect(),
        postgres,
        failed,
    };
    let mut failures: Vec<Failure> = observed
        .failed
        .iter()
        .map(|(connection, error)| Failure {
            connection: connection.clone(),
            error: error.clone(),
        })
        .collect();
    for (conn, census) in &observed.censuses {
        if !census.complete && !observed.failed.contains_key(conn.as_str()) {
            failures.push(Failure {
                connection: conn.clone(),
                error: census
                    .stopped
                    .clone()
                    .unwrap_or_else(|| "incomplete".into()),
            });
        }
    }
    LiveCheck {
        findings: assemble(reg, &observed),
        failures,
    }
}
