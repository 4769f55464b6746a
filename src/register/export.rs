//! The register written out: the map as Mermaid, DOT or JSON, and the record
//! of processing activities (Art. 30) as CSV or Markdown, so nobody keeps a
//! slide in sync by hand.

use std::fmt::Write as _;

use serde_json::json;

use super::model::{Register, Storage, StorageKind};
use super::retention::Retention;
use crate::check::Finding;

/// A Mermaid / DOT safe identifier for a node id (ids may contain `-`).
fn node_ident(id: &str) -> String {
    let mut s = String::from("n_");
    s.extend(
        id.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    s
}

/// The retention as a short line for a diagram label.
pub fn retention_text(s: &Storage) -> Option<String> {
    if !s.kind().is_persistent() {
        return None;
    }
    if s.variants.is_empty() {
        return s.effective_retention().map(|r| r.to_string());
    }
    Some(
        s.variants
            .iter()
            .map(|v| format!("{}: {}", v.name, v.retention.get_ref()))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn mermaid_label(s: &Storage) -> String {
    let esc = |t: &str| {
        t.replace('"', "#quot;")
            .replace('<', "#lt;")
            .replace('>', "#gt;")
    };
    match retention_text(s) {
        Some(r) => format!("\"{}<br/><small>{}</small>\"", esc(&s.label), esc(&r)),
        None => format!("\"{}\"", esc(&s.label)),
    }
}

fn mermaid_node(s: &Storage) -> String {
    let id = node_ident(s.id());
    let label = mermaid_label(s);
    match s.kind() {
        StorageKind::Actor => format!("{id}([{label}])"),
        StorageKind::Process => format!("{id}[{label}]"),
        _ => format!("{id}[({label})]"),
    }
}

/// `flowchart LR` with the hosted perimeter as a subgraph; storages are
/// cylinders, processes boxes, people stadiums; gaps get a `gap` class.
pub fn mermaid(reg: &Register, findings: &[Finding]) -> String {
    let mut out = String::from("flowchart LR\n");
    let gap = |s: &Storage| {
        findings
            .iter()
            .any(|f| f.storage.as_deref() == Some(s.id()))
    };
    let inside: Vec<&Storage> = reg
        .storages
        .iter()
        .filter(|s| s.is_inside() && s.kind() != StorageKind::Actor)
        .collect();
    for s in reg
        .storages
        .iter()
        .filter(|s| s.kind() == StorageKind::Actor)
    {
        let _ = writeln!(out, "  {}", mermaid_node(s));
    }
    if !inside.is_empty() {
        out.push_str("  subgraph hosted[\"Hosted perimeter\"]\n");
        for s in &inside {
            let _ = writeln!(out, "    {}", mermaid_node(s));
        }
        out.push_str("  end\n");
    }
    for s in reg
        .storages
        .iter()
        .filter(|s| !s.is_inside() && s.kind() != StorageKind::Actor)
    {
        let _ = writeln!(out, "  {}", mermaid_node(s));
    }
    for f in &reg.flows {
        let arrow = if f.both_ways { "<-->" } else { "-->" };
        match &f.label {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "  {} {arrow}|\"{}\"| {}",
                    node_ident(f.from()),
                    l.replace('"', "#quot;"),
                    node_ident(f.to())
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {} {arrow} {}",
                    node_ident(f.from()),
                    node_ident(f.to())
                );
            }
        }
    }
    let gaps: Vec<String> = reg
        .storages
        .iter()
        .filter(|s| gap(s))
        .map(|s| node_ident(s.id()))
        .collect();
    if !gaps.is_empty() {
        out.push_str("  classDef gap stroke:#d33,stroke-width:2px,stroke-dasharray:4 2\n");
        let _ = writeln!(out, "  class {} gap", gaps.join(","));
    }
    out
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT, left to right, the hosted perimeter as a cluster.
pub fn dot(reg: &Register, findings: &[Finding]) -> String {
    let mut out = String::from(
        "digraph map {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n",
    );
    let node = |s: &Storage| {
        let shape = match s.kind() {
            StorageKind::Actor => "ellipse",
            StorageKind::Process => "box",
            _ => "cylinder",
        };
        let label = match retention_text(s) {
            Some(r) => format!("{}\\n{}", dot_escape(&s.label), dot_escape(&r)),
            None => dot_escape(&s.label),
        };
        let gap = findings
            .iter()
            .any(|f| f.storage.as_deref() == Some(s.id()));
        format!(
            "\"{}\" [shape={shape}, label=\"{label}\"{}];",
            dot_escape(s.id()),
            if gap { ", color=red, penwidth=2" } else { "" }
        )
    };
    out.push_str(
        "  subgraph cluster_hosted {\n    label=\"Hosted perimeter\";\n    style=dashed;\n",
    );
    for s in reg
        .storages
        .iter()
        .filter(|s| s.is_inside() && s.kind() != StorageKind::Actor)
    {
        let _ = writeln!(out, "    {}", node(s));
    }
    out.push_str("  }\n");
    for s in reg
        .storages
        .iter()
        .filter(|s| !s.is_inside() || s.kind() == StorageKind::Actor)
    {
        let _ = writeln!(out, "  {}", node(s));
    }
    for f in &reg.flows {
        let mut attrs = Vec::new();
        if f.both_ways {
            attrs.push("dir=both".to_string());
        }
        if let Some(l) = &f.label {
            attrs.push(format!("label=\"{}\"", dot_escape(l)));
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\"{attrs};",
            dot_escape(f.from()),
            dot_escape(f.to())
        );
    }
    out.push_str("}\n");
    out
}

fn retention_json(r: Option<Retention>) -> serde_json::Value {
    match r {
        None => serde_json::Value::Null,
        Some(Retention::Unknown) => json!("unknown"),
        Some(Retention::NoExpiry) => json!("none"),
        Some(r @ Retention::Limited(p)) => json!({ "text": r.to_string(), "seconds": p.seconds() }),
    }
}

/// The whole map as JSON: nodes (with their findings' kinds) and flows.
pub fn json(reg: &Register, findings: &[Finding]) -> serde_json::Value {
    let nodes: Vec<serde_json::Value> = reg
        .storages
        .iter()
        .map(|s| {
            json!({
                "id": s.id(),
                "label": s.label,
                "kind": s.kind().as_str(),
                "inside": s.is_inside(),
                "persistent": s.kind().is_persistent(),
                "retention": retention_json(s.effective_retention()),
                "variants": s.variants.iter().map(|v| json!({
                    "name": v.name, "retention": retention_json(Some(*v.retention.get_ref())), "note": v.note,
                })).collect::<Vec<_>>(),
                "justification": s.justification,
                "legal_basis": s.legal_basis,
                "categories": s.categories,
                "people": s.people,
                "recipients": s.recipients,
                "transfers_outside_eu": s.transfers_outside_eu,
                "security": s.security,
                "copy_of": s.copy_of.as_ref().map(|c| c.get_ref()),
                "connection": s.connection_name(),
                "findings": findings.iter().filter(|f| f.storage.as_deref() == Some(s.id())).map(|f| f.kind).collect::<Vec<_>>(),
            })
        })
        .collect();
    let flows: Vec<serde_json::Value> = reg
        .flows
        .iter()
        .map(|f| json!({ "from": f.from(), "to": f.to(), "both_ways": f.both_ways, "label": f.label, "data": f.data }))
        .collect();
    json!({ "register": reg.register.name, "nodes": nodes, "flows": flows })
}

/// Columns of the record of processing activities, as a regulator's
/// template asks for them.
pub const RECORD_COLUMNS: [&str; 11] = [
    "storage",
    "kind",
    "hosted",
    "purpose",
    "legal basis",
    "categories of people",
    "categories of data",
    "recipients",
    "transfers outside the EU",
    "retention",
    "security measures",
];

/// One row per storage that keeps personal data.
pub fn record_rows(reg: &Register) -> Vec<[String; 11]> {
    let list = |v: &[String]| v.join(", ");
    let people = |s: &Storage| {
        s.people
            .iter()
            .map(|p| reg.storage(p).map_or(p.clone(), |n| n.label.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    reg.storages
        .iter()
        .filter(|s| s.kind().is_persistent())
        .map(|s| {
            [
                s.label.clone(),
                s.kind().as_str().to_string(),
                if s.is_inside() {
                    "yes"
                } else {
                    "no (third party)"
                }
                .to_string(),
                s.justification.clone().unwrap_or_default(),
                s.legal_basis.clone().unwrap_or_default(),
                people(s),
                list(&s.categories),
                list(&s.recipients),
                s.transfers_outside_eu
                    .clone()
                    .unwrap_or_else(|| "none declared".into()),
                retention_text(s).unwrap_or_default(),
                s.security.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

pub fn record_csv(reg: &Register) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(RECORD_COLUMNS)?;
    for row in record_rows(reg) {
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

pub fn record_markdown(reg: &Register) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "# Record of processing activities — {}\n\nController: {}. Contact: {}.\n\n",
        cell(&reg.register.name),
        cell(&reg.register.controller),
        cell(&reg.register.contact)
    );
    let _ = writeln!(out, "| {} |", RECORD_COLUMNS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(RECORD_COLUMNS.len()));
    for row in record_rows(reg) {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}
