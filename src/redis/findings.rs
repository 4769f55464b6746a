//! What a census says against the register: keys that never expire, TTLs
//! beyond the storage's retention, personal data in key names and values,
//! and namespaces holding personal data that the person model does not
//! cover (an erasure would miss them). One finding per namespace, with its
//! key count, bytes and one masked example.

use crate::check::{Finding, NamespaceRef, Severity};
use crate::pii::Kind;
use crate::register::{Register, Retention, Storage};
use crate::show::bytes;

use super::census::{glob_match, person_glob, Census, Namespace};

fn kinds(map: &std::collections::BTreeMap<Kind, u64>) -> String {
    map.keys()
        .map(|k| k.as_str().replace('_', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ns_ref(n: &Namespace) -> NamespaceRef {
    NamespaceRef {
        pattern: n.pattern.clone(),
        keys: n.keys,
        bytes: n.bytes,
        example: n.examples.values().next().cloned(),
    }
}

/// Findings for the storage `storage` (the one that carries the connection
/// the census ran on).
pub fn census_findings(reg: &Register, storage: &Storage, census: &Census) -> Vec<Finding> {
    let retention = storage.effective_retention();
    let limited = matches!(retention, Some(Retention::Limited(_)));
    let promise = retention
        .map(|r| r.to_string())
        .unwrap_or_else(|| "no retention".into());
    let person_globs: Vec<String> = reg
        .person
        .iter()
        .flat_map(|p| p.redis.iter().map(|k| person_glob(k.pattern.get_ref())))
        .collect();
    let mut out = Vec::new();
    let finding = |kind, severity, n: &Namespace, message: String| Finding {
        kind,
        severity,
        storage: Some(storage.id().to_string()),
        namespace: Some(ns_ref(n)),
        message,
        ..Finding::default()
    };
    for n in &census.namespaces {
        let pii = n.has_pii();
        if n.no_ttl > 0 && limited {
            out.push(finding(
                "no_ttl",
                if pii { Severity::High } else { Severity::Medium },
                n,
                format!(
                    "{} of {} keys of {} have no TTL and never expire ({}), but {} promises {promise}.",
                    n.no_ttl,
                    n.keys,
                    n.pattern,
                    bytes(n.bytes),
                    storage.label
                ),
            ));
        }
        if n.ttl_beyond_retention > 0 {
            let longest = Retention::Limited(crate::register::Period {
                amount: u32::try_from((n.max_ttl_ms + 43_200_000) / 86_400_000)
                    .unwrap_or(u32::MAX)
                    .max(1),
                unit: crate::register::Unit::Day,
                approximate: false,
            });
            out.push(finding(
                "ttl_exceeds_retention",
                if pii { Severity::High } else { Severity::Medium },
                n,
                format!(
                    "{} keys of {} expire later than the {promise} {} promises (longest: about {longest}).",
                    n.ttl_beyond_retention, n.pattern, storage.label
                ),
            ));
        }
        if !n.key_pii.is_empty() {
            let count: u64 = n.key_pii.values().copied().max().unwrap_or(0);
            out.push(finding(
                "pii_in_key_name",
                Severity::Medium,
                n,
                format!(
                    "{} of {} {} personal data ({}): it shows in SCAN, MONITOR, slow logs and key dumps.",
                    crate::show::counted(count, "key name", None),
                    n.pattern,
                    if count == 1 { "holds" } else { "hold" },
                    kinds(&n.key_pii)
                ),
            ));
        }
        if !n.value_pii.is_empty() {
            let hits = n.value_pii.values().copied().max().unwrap_or(0);
            let fields = if n.value_fields.is_empty() {
                String::new()
            } else {
                format!(" in {}", n.value_fields.join(", "))
            };
            out.push(finding(
                "pii_in_value",
                Severity::Low,
                n,
                format!(
                    "{} of {} sampled values of {} {} personal data ({}){fields}.",
                    hits,
                    n.sampled,
                    n.pattern,
                    if hits == 1 { "holds" } else { "hold" },
                    kinds(&n.value_pii)
                ),
            ));
        }
        if pii
            && !person_globs
                .iter()
                .any(|g| glob_match(g.as_bytes(), &n.sample_key))
        {
            out.push(finding(
                "unclassified_namespace",
                Severity::High,
                n,
                format!(
                    "{} holds personal data ({}) but no [[person.redis]] pattern covers it: an erasure would miss {}.",
                    n.pattern,
                    kinds(&n.key_pii.iter().chain(n.value_pii.iter()).map(|(k, v)| (*k, *v)).collect()),
                    if n.keys == 1 {
                        "its key".to_string()
                    } else {
                        format!("its {} keys", crate::show::count(n.keys))
                    }
                ),
            ));
        }
    }
    out
}

/// `uncovered_database`: the server's other logical databases that hold
/// keys no census counts. `covered` are the databases of that server read
/// by another connection of the register.
pub fn uncovered_db_findings(storage: &Storage, census: &Census, covered: &[u32]) -> Vec<Finding> {
    census
        .other_dbs
        .iter()
        .filter(|d| !covered.contains(&d.db))
        .map(|d| Finding {
            kind: "uncovered_database",
            severity: Severity::Medium,
            storage: Some(storage.id().to_string()),
            message: format!(
                "db{} of the server behind {} holds {} keys that no connection reads (its census counts db{}): they are not accounted for; declare a connection to …/{} and the storage it belongs to.",
                d.db, storage.label, d.keys, census.db, d.db
            ),
            ..Finding::default()
        })
        .collect()
}
