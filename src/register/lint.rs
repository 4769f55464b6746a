//! Gaps in the register, found by reading it (no connection needed) and, for
//! storages with a live connection, by comparing it with what was measured.
//! Each finding says why in one sentence. Later capabilities add their own
//! kinds to the same report (`oubli check`).

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Register, Storage, StorageKind};
use super::retention::Retention;
use crate::check::{Finding, Severity};

/// Words that mean "nobody knows" in a justification.
fn is_unknown_text(s: &str) -> bool {
    let t = s.trim().to_lowercase();
    t.is_empty()
        || [
            "unknown",
            "?",
            "tbd",
            "to be clarified",
            "to clarify",
            "à clarifier",
            "inconnue",
            "inconnu",
        ]
        .contains(&t.as_str())
}

/// Everything the register alone says is missing or contradictory, in a
/// stable order (by node, then kind).
pub fn lint(reg: &Register) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut has_flow: BTreeSet<&str> = BTreeSet::new();
    for f in &reg.flows {
        has_flow.insert(f.from());
        has_flow.insert(f.to());
    }
    for s in &reg.storages {
        let kind = s.kind();
        if !kind.is_persistent() {
            continue;
        }
        let label = &s.label;
        // Retention: unknown, or kept with no expiry (per variant when there are some).
        let declared = s.retention.as_ref().map(|r| *r.get_ref());
        if declared == Some(Retention::Unknown) {
            out.push(node(
                "unknown_retention",
                Severity::High,
                s,
                format!("{label}: nobody has written down how long personal data is kept here."),
            ));
        }
        for v in &s.variants {
            if *v.retention.get_ref() == Retention::Unknown {
                out.push(node(
                    "unknown_retention",
                    Severity::High,
                    s,
                    format!(
                        "{label} ({}): the retention of this kind of copy is unknown.",
                        v.name
                    ),
                ));
            }
        }
        if declared == Some(Retention::NoExpiry) {
            out.push(node(
                "no_expiry",
                Severity::High,
                s,
                format!("{label}: personal data is kept with no expiry date."),
            ));
        }
        for v in &s.variants {
            if *v.retention.get_ref() == Retention::NoExpiry {
                out.push(node(
                    "no_expiry",
                    Severity::High,
                    s,
                    format!("{label}: {} copies never expire.", v.name),
                ));
            }
        }
        // Justification.
        let missing = s.justification.as_deref().is_none_or(is_unknown_text);
        if missing {
            if kind == StorageKind::External {
                out.push(node(
                    "external_without_justification",
                    Severity::High,
                    s,
                    format!("{label} receives personal data, but no justification says why."),
                ));
            } else {
                out.push(node(
                    "missing_justification",
                    Severity::Medium,
                    s,
                    format!("{label}: no justification says why personal data is kept here."),
                ));
            }
        }
        // A storage nothing flows to or from.
        if !has_flow.contains(s.id()) {
            out.push(node(
                "orphan_storage",
                Severity::Low,
                s,
                format!(
                    "{label} has no flow: either nothing reaches it, or the map misses an arrow."
                ),
            ));
        }
    }
    copies_outliving_sources(reg, &mut out);
    unattached_connections(reg, &mut out);
    sibling_flow_gaps(reg, &mut out);
    // Most severe first, then in the register's order.
    let position = |f: &Finding| {
        f.storage
            .as_deref()
            .and_then(|id| reg.storages.iter().position(|s| s.id() == id))
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|f| (f.severity, position(f)));
    out
}

/// A copy (declared with `copy_of`, or a backup fed by a flow from a
/// storage) kept longer than the data it copies.
fn copies_outliving_sources(reg: &Register, out: &mut Vec<Finding>) {
    let mut pairs: BTreeSet<(&str, &str)> = BTreeSet::new();
    for s in &reg.storages {
        if let Some(src) = &s.copy_of {
            pairs.insert((s.id(), src.get_ref().as_str()));
        }
        if s.kind() == StorageKind::Backup {
            for f in reg.flows.iter().filter(|f| f.to() == s.id()) {
                if reg
                    .storage(f.from())
                    .is_some_and(|n| n.kind().is_persistent())
                {
                    pairs.insert((s.id(), f.from()));
                }
            }
        }
    }
    for (copy_id, src_id) in pairs {
        let (Some(copy), Some(src)) = (reg.storage(copy_id), reg.storage(src_id)) else {
            continue;
        };
        let (Some(c), Some(sr)) = (copy.effective_retention(), src.effective_retention()) else {
            continue;
        };
        if let (Some(cs), Some(ss)) = (c.seconds(), sr.seconds()) {
            if cs > ss {
                let kept = if c == Retention::NoExpiry {
                    "with no expiry".to_string()
                } else {
                    format!("for {c}")
                };
                out.push(node(
                    "copy_outlives_source",
                    Severity::High,
                    copy,
                    format!(
                        "{} keeps copies {kept}, but {} itself promises {sr}.",
                        copy.label, src.label
                    ),
                ));
            }
        }
    }
}

/// A live connection that no node of the map carries: a store is measured
/// that the map does not declare.
fn unattached_connections(reg: &Register, out: &mut Vec<Finding>) {
    let attached: BTreeSet<&str> = reg
        .storages
        .iter()
        .filter_map(|s| s.connection_name())
        .collect();
    for name in reg.connections.keys() {
        if !attached.contains(name.as_str()) {
            out.push(Finding {
                kind: "undeclared_node",
                severity: Severity::Medium,
                message: format!(
                    "connection {name:?} reaches a store that no node of the map declares: add it as a storage with connection = {name:?}."
                ),
                ..Finding::default()
            });
        }
    }
}

/// Two processes that share the same stores usually send the same things
/// out: when only one of them has a flow to a third party, the map likely
/// misses an arrow (the reference case: only the workers report to Sentry,
/// though the web app does too).
fn sibling_flow_gaps(reg: &Register, out: &mut Vec<Finding>) {
    let processes: Vec<&Storage> = reg
        .storages
        .iter()
        .filter(|s| s.kind() == StorageKind::Process)
        .collect();
    let neighbours = |id: &str| -> BTreeSet<&str> {
        reg.flows
            .iter()
            .filter_map(|f| {
                if f.from() == id {
                    Some(f.to())
                } else if f.to() == id {
                    Some(f.from())
                } else {
                    None
                }
            })
            .collect()
    };
    let is_external = |id: &str| {
        reg.storage(id)
            .is_some_and(|s| s.kind() == StorageKind::External)
    };
    // (process missing flows, sibling that has them) -> the third parties.
    let mut gaps: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for a in &processes {
        for b in &processes {
            if a.id() == b.id() {
                continue;
            }
            let (na, nb) = (neighbours(a.id()), neighbours(b.id()));
            let shared_stores = na
                .intersection(&nb)
                .filter(|n| {
                    reg.storage(n)
                        .is_some_and(|s| s.kind().is_persistent() && s.is_inside())
                })
                .count();
            if shared_stores < 2 {
                continue;
            }
            let missing: Vec<&str> = nb
                .iter()
                .copied()
                .filter(|n| is_external(n) && !na.contains(n))
                .collect();
            if !missing.is_empty() {
                gaps.insert((a.id(), b.id()), missing);
            }
        }
    }
    let label = |id: &str| reg.storage(id).map_or(id.to_string(), |s| s.label.clone());
    for ((process, sibling), externals) in gaps {
        let names: Vec<String> = externals.iter().map(|e| label(e)).collect();
        out.push(Finding {
            kind: "flow_gap",
            severity: Severity::Low,
            storage: Some(process.to_string()),
            message: format!(
                "{} shares its stores with {} but, unlike it, has no flow to {}: is an arrow missing (errors reported to a monitoring service, calls from partners)?",
                label(process),
                label(sibling),
                names.join(", ")
            ),
            ..Finding::default()
        });
    }
}

/// What a live connection measured, as far as retention is concerned.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// Redis: keys in total and keys without a TTL.
    pub keys: Option<u64>,
    pub keys_without_ttl: Option<u64>,
}

/// Findings from measurements that contradict the storage's declared retention.
pub fn lint_measured(reg: &Register, measured: &BTreeMap<String, Measured>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &reg.storages {
        let Some(m) = s.connection_name().and_then(|c| measured.get(c)) else {
            continue;
        };
        let Some(Retention::Limited(p)) = s.effective_retention() else {
            continue;
        };
        if let (Some(no_ttl), Some(keys)) = (m.keys_without_ttl, m.keys) {
            if no_ttl > 0 {
                out.push(node(
                    "retention_contradicted",
                    Severity::High,
                    s,
                    format!(
                        "{}: {no_ttl} of {keys} keys have no TTL and will never expire, but the register promises {}.",
                        s.label,
                        Retention::Limited(p)
                    ),
                ));
            }
        }
    }
    out
}

/// Findings about one node, for the map.
pub fn for_node<'a>(
    findings: &'a [Finding],
    id: &'a str,
) -> impl Iterator<Item = &'a Finding> + 'a {
    findings
        .iter()
        .filter(move |f| f.storage.as_deref() == Some(id))
}

fn node(kind: &'static str, severity: Severity, s: &Storage, message: String) -> Finding {
    Finding {
        kind,
        severity,
        storage: Some(s.id().to_string()),
        message,
        ..Finding::default()
    }
}
