//! The data-flow map: the register's gaps as findings, the exports, and the
//! diagram's promises (every node placed, no arrow through a label, same
//! register same picture), on the reference map and on a large synthetic one.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use oubli::register::{export, lint, load_str, Loaded};
use oubli::tui::diagram::{self, NODE_H};
use oubli::tui::state::AppState;

fn example() -> Loaded {
    oubli::register::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml"))
        .unwrap()
}

fn oubli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oubli"));
    c.env_remove("OUBLI_CONFIG")
        .env(
            "OUBLI_LOG_DIR",
            std::env::temp_dir().join("oubli-test-logs"),
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn kinds_by_node(findings: &[oubli::check::Finding]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .map(|f| (f.kind.to_string(), f.storage.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn the_reference_maps_gaps_are_findings() {
    let l = example();
    let got = kinds_by_node(&lint::lint(&l.register));
    let want: BTreeSet<(String, String)> = [
        // Three storages with unknown retention or justification …
        ("unknown_retention", "partners"),
        ("external_without_justification", "partners"),
        ("unknown_retention", "sms-1"),
        ("unknown_retention", "sms-2"),
        ("unknown_retention", "sms-3"),
        // … manual backups never expire …
        ("no_expiry", "backups"),
        ("copy_outlives_source", "backups"),
        // … Redis backups outlive the 7 days promised for Redis …
        ("copy_outlives_source", "redis-backups"),
        // … and only the workers have an arrow to Sentry.
        ("flow_gap", "web"),
    ]
    .iter()
    .map(|(k, s)| (k.to_string(), s.to_string()))
    .collect();
    assert_eq!(got, want);
    let sentry_gap = lint::lint(&l.register)
        .into_iter()
        .find(|f| f.kind == "flow_gap")
        .unwrap();
    assert!(
        sentry_gap.message.contains("Sentry") && sentry_gap.message.contains("Background workers")
    );
}

fn reg(text: &str) -> Loaded {
    let head = "[register]\nname='t'\ncontroller='c'\ncontact='d'\n";
    load_str(
        &format!("{head}{text}"),
        Path::new("t.toml"),
        &HashMap::new(),
    )
    .unwrap()
}

#[test]
fn each_kind_of_gap_is_found_and_says_why() {
    let l = reg(r#"
[[storage]]
id = "db"
label = "DB"
kind = "database"
retention = "30 days"
justification = "service"
connection = "db"
[[storage]]
id = "dump"
label = "Dumps"
kind = "backup"
retention = "1 year"
[[storage]]
id = "island"
label = "Island"
kind = "cache"
retention = "1 day"
justification = "?"
[[storage]]
id = "app"
label = "App"
kind = "process"
[[flow]]
from = "app"
to = "db"
[[flow]]
from = "db"
to = "dump"
[connection.db]
kind = "postgres"
url = "postgresql://u@127.0.0.1/db"
[connection.stray]
kind = "redis"
url = "redis://127.0.0.1:6379"
"#);
    let f = lint::lint(&l.register);
    let got = kinds_by_node(&f);
    for want in [
        ("copy_outlives_source", "dump"),
        ("missing_justification", "dump"),
        ("missing_justification", "island"),
        ("orphan_storage", "island"),
        ("undeclared_node", ""),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} missing from {got:?}"
        );
    }
    let copy = f.iter().find(|x| x.kind == "copy_outlives_source").unwrap();
    assert_eq!(
        copy.message,
        "Dumps keeps copies for 1 year, but DB itself promises 30 days."
    );
    assert!(f
        .iter()
        .all(|x| x.message.ends_with('.') || x.message.ends_with('?')));
    // A register with nothing missing has no finding.
    let clean = reg(r#"
[[storage]]
id = "app"
label = "App"
kind = "process"
[[storage]]
id = "db"
label = "DB"
kind = "database"
retention = "30 days"
justification = "service"
[[flow]]
from = "app"
to = "db"
"#);
    assert!(lint::lint(&clean.register).is_empty());
}

#[test]
fn measured_keys_without_ttl_contradict_a_limited_retention() {
    let l = example();
    let mut m = std::collections::BTreeMap::new();
    m.insert(
        "cache".to_string(),
        lint::Measured {
            keys: Some(100),
            keys_without_ttl: Some(31),
        },
    );
    let f = lint::lint_measured(&l.register, &m);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, "retention_contradicted");
    assert_eq!(f[0].storage.as_deref(), Some("redis"));
    assert!(
        f[0].message.contains("31 of 100 keys have no TTL"),
        "{}",
        f[0].message
    );
    m.insert(
        "cache".to_string(),
        lint::Measured {
            keys: Some(100),
            keys_without_ttl: Some(0),
        },
    );
    assert!(lint::lint_measured(&l.register, &m).is_empty());
}

#[test]
fn check_prints_json_findings_and_exits_1_or_0() {
    let out = oubli()
        .args([
            "check",
            "--config",
            "config/example.toml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 9);
    for f in findings {
        for key in ["kind", "severity", "message"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
        assert!(f["storage"].is_string() || f["flow"].is_object());
        let kind = f["kind"].as_str().unwrap();
        assert!(
            kind.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{kind}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.toml");
    std::fs::write(&clean, "[register]\nname='t'\ncontroller='c'\ncontact='d'\n[[storage]]\nid='a'\nlabel='A'\nkind='process'\n[[storage]]\nid='db'\nlabel='DB'\nkind='database'\nretention='1 day'\njustification='x'\n[[flow]]\nfrom='a'\nto='db'\n").unwrap();
    let out = oubli()
        .args(["check", "--format", "json", "--config"])
        .arg(&clean)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"failures":[],"findings":[]}"#
    );
    let out = oubli()
        .args(["check", "--config", "/nonexistent.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn mermaid_holds_every_node_and_flow() {
    let l = example();
    let out = oubli()
        .args([
            "map",
            "--config",
            "config/example.toml",
            "--format",
            "mermaid",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let mut defined = BTreeSet::new();
    let mut edges = Vec::new();
    let mut depth = 0i32;
    for line in lines {
        let t = line.trim();
        if t.starts_with("subgraph ") {
            depth += 1;
        } else if t == "end" {
            depth -= 1;
        } else if t.starts_with("classDef") || t.starts_with("class ") {
        } else if let Some((a, rest)) = t.split_once(" -->").or_else(|| t.split_once(" <-->")) {
            let b = rest.rsplit(' ').next().unwrap();
            edges.push((a.to_string(), b.to_string()));
        } else {
            let id: String = t
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let shape = &t[id.len()..];
            assert!(
                ["([", "[(", "["].iter().any(|s| shape.starts_with(s)),
                "not a node line: {t}"
            );
            assert!(defined.insert(id), "node defined twice: {t}");
        }
    }
    assert_eq!(depth, 0, "subgraph/end unbalanced");
    assert_eq!(defined.len(), l.register.storages.len());
    assert_eq!(edges.len(), l.register.flows.len());
    for (a, b) in &edges {
        assert!(
            defined.contains(a) && defined.contains(b),
            "edge to an undefined node: {a} {b}"
        );
    }
    // Storages are cylinders, people stadiums, processes boxes.
    assert!(text.contains("n_postgres[(\"Main Postgres DB"));
    assert!(text.contains("n_citizens([\"Citizens\"])"));
    assert!(text.contains("n_web[\"Web interface\"]"));
    assert!(text.contains("n_workers <--> n_redis"));
}

#[test]
fn dot_and_json_hold_every_node_and_flow() {
    let l = example();
    let findings = lint::lint(&l.register);
    let dot = export::dot(&l.register, &findings);
    assert!(dot.starts_with("digraph map {") && dot.trim_end().ends_with('}'));
    assert_eq!(dot.matches(" -> ").count(), l.register.flows.len());
    assert_eq!(dot.matches("[shape=").count(), l.register.storages.len());
    assert_eq!(dot.matches("dir=both").count(), 7);
    let json = export::json(&l.register, &findings);
    assert_eq!(json["nodes"].as_array().unwrap().len(), 19);
    assert_eq!(json["flows"].as_array().unwrap().len(), 19);
    let backups = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "backups")
        .unwrap();
    assert_eq!(backups["retention"], "none");
    assert_eq!(backups["variants"][0]["retention"]["text"], "12 months");
}

#[test]
fn the_record_of_processing_activities_as_csv_and_markdown() {
    let out = oubli()
        .args([
            "register",
            "--config",
            "config/example.toml",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, export::RECORD_COLUMNS);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12, "one row per storage that keeps data");
    let pg = rows.iter().find(|r| &r[0] == "Main Postgres DB").unwrap();
    assert_eq!(&pg[3], "running the application");
    assert_eq!(&pg[5], "Citizens, Public agents, Prescribers");
    assert_eq!(&pg[9], "2 years");
    let backups = rows.iter().find(|r| &r[0] == "Postgres backups").unwrap();
    assert_eq!(&backups[9], "automatic: 12 months, manual: no expiry");
    let md = oubli()
        .args(["register", "--config", "config/example.toml"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# Record of processing activities — Booking service — production"));
    assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 13);
}

/// The diagram's promises, checked on any register.
fn assert_diagram_is_sound(l: &Loaded) {
    let d = diagram::layout(&l.register);
    assert_eq!(
        d.nodes.len(),
        l.register.storages.len(),
        "every node placed"
    );
    assert_eq!(
        d,
        diagram::layout(&l.register),
        "same register, same picture"
    );
    for (i, a) in d.nodes.iter().enumerate() {
        for b in &d.nodes[i + 1..] {
            let apart =
                a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + NODE_H <= b.y || b.y + NODE_H <= a.y;
            assert!(apart, "nodes overlap: {a:?} {b:?}");
        }
    }
    for r in &d.routes {
        for &(x, y, _) in &r.cells {
            assert!(x < d.width && y < d.height);
            for n in &d.nodes {
                let inside = x >= n.x && x < n.x + n.w && y >= n.y && y < n.y + NODE_H;
                assert!(
                    !inside,
                    "flow {} crosses node {} at {x},{y}",
                    r.flow, n.node
                );
            }
        }
        for h in &r.heads {
            let touches = d
                .nodes
                .iter()
                .any(|n| n.port_row() == h.y && (h.x + 1 == n.x || h.x == n.x + n.w));
            assert!(touches, "arrowhead not at a node: {h:?}");
        }
    }
    assert_eq!(d.routes.len(), l.register.flows.len(), "every flow drawn");
}

#[test]
fn the_diagram_never_crosses_a_label_on_the_reference_map_or_a_large_one() {
    assert_diagram_is_sound(&example());
    let big = oubli::demo::register::synthetic_register(60, 150, 7);
    let l = load_str(&big, Path::new("big.toml"), &HashMap::new()).unwrap();
    assert_eq!(
        (l.register.storages.len(), l.register.flows.len()),
        (60, 150)
    );
    assert_diagram_is_sound(&l);
    // The reference map fits a 160-column screen.
    let d = diagram::layout(&example().register);
    assert!(d.width <= 158 && d.height <= 44, "{}x{}", d.width, d.height);
}

fn key(state: &mut AppState, code: KeyCode) {
    state.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn selected(state: &AppState) -> &str {
    state.register.storages[state.map_node].id()
}

#[test]
fn moving_on_the_map_by_keys_and_by_search() {
    let l = example();
    let mut s = AppState::new(&l, false, Instant::now());
    assert_eq!(selected(&s), "citizens");
    key(&mut s, KeyCode::Char('l'));
    assert_eq!(selected(&s), "web");
    key(&mut s, KeyCode::Right);
    let hosted = selected(&s).to_string();
    assert!(
        ["postgres", "redis", "logs"].contains(&hosted.as_str()),
        "{hosted}"
    );
    key(&mut s, KeyCode::Char('h'));
    assert_eq!(
        l.register.storage(selected(&s)).unwrap().kind(),
        oubli::register::StorageKind::Process
    );
    key(&mut s, KeyCode::Char('/'));
    for c in "sentr".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    assert_eq!(selected(&s), "sentry");
    key(&mut s, KeyCode::Enter);
    // Reopening the search shows the text in force; Ctrl-U clears it.
    key(&mut s, KeyCode::Char('/'));
    match &s.overlay {
        oubli::tui::state::Overlay::Search(input) => assert_eq!(input.lines(), ["sentr"]),
        _ => panic!("the search is not open"),
    }
    s.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    for c in "sms".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    key(&mut s, KeyCode::Esc);
    let first = selected(&s).to_string();
    key(&mut s, KeyCode::Char('n'));
    assert_ne!(selected(&s), first);
    assert!(selected(&s).starts_with("sms-"));
    // The Findings view: Enter on a finding about a node selects that node
    // on the map and focuses the map.
    key(&mut s, KeyCode::Char('4'));
    assert_eq!(s.focus, oubli::tui::action::PaneId::Findings);
    let (storage, kind) = s
        .findings
        .iter()
        .rev()
        .find(|f| f.namespace.is_none() && f.table.is_none())
        .and_then(|f| Some((f.storage.clone()?, f.kind)))
        .expect("a finding about a node");
    key(&mut s, KeyCode::Char('/'));
    for c in format!("{storage} {kind}").chars() {
        key(&mut s, KeyCode::Char(c));
    }
    key(&mut s, KeyCode::Esc);
    let chosen = s.selected_finding().expect("the filter keeps it");
    assert_eq!(
        (chosen.storage.as_deref(), chosen.kind),
        (Some(storage.as_str()), kind)
    );
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, oubli::tui::action::PaneId::Map);
    assert_eq!(selected(&s), storage);
}
