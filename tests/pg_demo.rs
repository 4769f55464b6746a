//! The Postgres classifier, person graph, retention and coverage findings on
//! the demo schema (seeded small on a throwaway database).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::TestPg;
use oubli::demo::{self, SeedOptions};
use oubli::postgres::{self, classify};
use oubli::register::{self, Loaded};

const USERS: usize = 400;

/// The demo register pointed at the test database.
fn demo_register(url: &str) -> Loaded {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml"))
        .expect("config/demo.toml");
    let text = text.replace("postgresql://postgres@127.0.0.1:5432/oubli_demo", url);
    register::load_str(
        &text,
        Path::new("demo.toml"),
        &HashMap::<String, String>::new(),
    )
    .expect("the demo register loads")
}

async fn seeded() -> (TestPg, Loaded, tokio_postgres::Client) {
    let pg = TestPg::create().await;
    let mut c = pg.client().await;
    demo::seed_postgres(
        &mut c,
        &SeedOptions {
            users: USERS,
            keys: 0,
            seed: 42,
        },
    )
    .await
    .expect("seeding");
    let loaded = demo_register(&pg.url);
    let conn = &loaded.connections["main-db"];
    let client = postgres::connect(conn, &loaded.register.postgres)
        .await
        .expect("read-only connection");
    (pg, loaded, client)
}

fn survey_opts() -> classify::Options {
    classify::Options::default()
}

#[tokio::test]
async fn demo_columns_and_graph() {
    let (_pg, loaded, client) = seeded().await;
    let s = postgres::survey(&client, Some(&loaded.register), &survey_opts())
        .await
        .unwrap();
    let personal: Vec<String> = s
        .classification
        .personal()
        .map(|c| format!("{}.{}: {}", c.table, c.column, c.categories.join(",")))
        .collect();
    assert_eq!(
        personal,
        vec![
            "agents.id: online_identifier",
            "agents.first_name: identity",
            "agents.last_name: identity",
            "agents.email: contact",
            "agents.phone_number: contact",
            "appointments.agent_id: person_link",
            "appointments.context: contact,free_text,identity",
            "participations.user_id: online_identifier,person_link",
            "receipts.user_id: online_identifier,person_link",
            "receipts.recipient: contact",
            "receipts.content: free_text,identity,location",
            "users.id: online_identifier",
            "users.first_name: identity",
            "users.last_name: identity",
            "users.birth_name: identity",
            "users.email: contact",
            "users.phone_number: contact",
            "users.address: location",
            "users.birth_date: identity",
            "users.notes: contact,free_text,identity,location",
            "users.responsible_id: person_link",
            "versions.item_id: person_link",
            "versions.whodunnit: identity",
            "versions.object: contact,free_text,identity,location",
        ]
    );
    let c = &s.classification;
    assert_eq!(c.person_tables, vec!["agents", "users"]);
    assert!(!c.column("organisations", "name").unwrap().personal);
    assert!(!c.column("webhook_endpoints", "secret").unwrap().personal);
    let paths: Vec<&str> = c
        .column("versions", "object")
        .unwrap()
        .paths
        .iter()
        .map(|p| p.path.as_str())
        .collect();
    for p in [
        "$.email",
        "$.phone_number",
        "$.first_name",
        "$.address",
        "$.context",
    ] {
        assert!(paths.contains(&p), "{p} in {paths:?}");
    }
    let edges: Vec<String> = s
        .graph
        .edges
        .iter()
        .map(|e| {
            format!(
                "{} ← {} {} {}",
                e.person,
                e.table,
                e.kind.as_str(),
                e.link()
            )
        })
        .collect();
    assert_eq!(
        edges,
        vec![
            "agents ← appointments foreign_key agent_id -> agents.id",
            "agents ← versions polymorphic item_id -> agents.id",
            "users ← appointments through id -> participations.appointment_id",
            "users ← appointments through id -> receipts.appointment_id",
            "users ← participations foreign_key user_id -> users.id",
            "users ← receipts foreign_key user_id -> users.id",
            "users ← users self_reference responsible_id -> users.id",
            "users ← versions polymorphic item_id -> users.id",
        ]
    );
}

#[tokio::test]
async fn demo_findings_count_old_rows_exactly() {
    let (_pg, loaded, client) = seeded().await;
    let f = postgres::findings(&client, &loaded.register, "main-db")
        .await
        .unwrap();
    let old = |table: &str| -> String {
        f.iter()
            .find(|x| {
                x.kind == "rows_past_retention" && x.message.starts_with(&format!("{table}:"))
            })
            .unwrap_or_else(|| panic!("no rows_past_retention for {table}"))
            .message
            .clone()
    };
    let n = USERS as u64;
    for (table, rows) in [
        ("users", demo::old_rows(n)),
        ("appointments", demo::old_rows(2 * n)),
        ("receipts", demo::old_rows(3 * n)),
        ("versions", demo::old_rows(4 * n)),
    ] {
        let m = old(table);
        assert!(
            m.starts_with(&format!(
                "{table}: {rows} rows older than the retention (2 years) by created_at"
            )),
            "{m}"
        );
        assert!(m.contains("exact count; oldest 20"), "{m}");
    }
    assert!(f.iter().all(|x| x.storage.as_deref() == Some("postgres")));
    let idx: Vec<&str> = f
        .iter()
        .filter(|x| x.kind == "missing_link_index")
        .map(|x| x.message.as_str())
        .collect();
    assert_eq!(idx.len(), 1, "{idx:?}");
    assert!(idx[0].starts_with("receipts.appointment_id links to appointments.id but has no index"));
    // The register covers users, participations, receipts and versions;
    // agents and appointments.context are not in its person model.
    let mut uncovered: Vec<&str> = f
        .iter()
        .filter(|x| x.kind == "unclassified_column")
        .map(|x| x.message.split(' ').next().unwrap_or(""))
        .collect();
    uncovered.sort();
    assert_eq!(
        uncovered,
        vec![
            "agents.email",
            "agents.first_name",
            "agents.id",
            "agents.last_name",
            "agents.phone_number",
            "appointments.agent_id",
            "appointments.context",
        ]
    );
    assert!(!f.iter().any(|x| x.kind.starts_with("declared_")));
}

#[tokio::test]
async fn declared_tables_and_columns_that_vanished_are_findings() {
    let (pg, _, client) = seeded().await;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml"))
        .unwrap()
        .replace("postgresql://postgres@127.0.0.1:5432/oubli_demo", &pg.url)
        .replace("table = \"versions\"", "table = \"paper_trail_versions\"")
        .replace(
            "retention_column = \"created_at\"",
            "retention_column = \"inserted_at\"",
        );
    let loaded = register::load_str(
        &text,
        Path::new("t.toml"),
        &HashMap::<String, String>::new(),
    )
    .unwrap();
    let f = postgres::findings(&client, &loaded.register, "main-db")
        .await
        .unwrap();
    let mut kinds: Vec<(&str, &str)> = f
        .iter()
        .filter(|x| x.kind.starts_with("declared_"))
        .map(|x| (x.kind, x.message.as_str()))
        .collect();
    kinds.sort();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(kinds[0].0, "declared_column_missing");
    assert!(kinds[0].1.contains("users.inserted_at"), "{kinds:?}");
    assert_eq!(kinds[1].0, "declared_table_missing");
    assert!(kinds[1].1.contains("paper_trail_versions"), "{kinds:?}");
}

#[tokio::test]
async fn init_writes_a_register_that_config_check_accepts() {
    let (pg, _, _client) = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("register.toml");
    let bin = env!("CARGO_BIN_EXE_oubli");
    let run = std::process::Command::new(bin)
        .args(["init", "--pg", &pg.url, "--out"])
        .arg(&out)
        .env_remove("OUBLI_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    for needle in [
        "url_env = \"OUBLI_PG_URL\"",
        "table = \"users\"",
        "match = { email = \"email\", phone = \"phone_number\", user_id = \"id\" }",
        "table = \"participations\"\nlink = \"user_id -> users.id\"",
        "table = \"versions\"\nlink = \"item_id -> users.id\"",
        "table = \"appointments\"\nlink = \"id -> participations.appointment_id\"",
        "table = \"appointments\"\nlink = \"id -> participations.appointment_id\"",
        "erase = { context = \"null\" }",
        "email = \"rewrite:deleted-{id}@invalid\"",
        "retention = \"unknown\"",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(!text.contains(&pg.url), "the URL must not be written");
    let check = std::process::Command::new(bin)
        .args(["config", "check"])
        .arg(&out)
        .env("OUBLI_PG_URL", &pg.url)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&check.stderr)
    );
    // The starter register drives a live check of the same database.
    let live = std::process::Command::new(bin)
        .args(["check", "--live", "--format", "json", "--config"])
        .arg(&out)
        .env("OUBLI_PG_URL", &pg.url)
        .output()
        .unwrap();
    assert_eq!(
        live.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&live.stdout).unwrap();
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"missing_link_index"), "{kinds:?}");
    assert!(!kinds.contains(&"declared_table_missing"), "{kinds:?}");
}

#[tokio::test]
async fn classify_postgres_prints_json() {
    let (pg, _, _client) = seeded().await;
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_oubli"))
        .args([
            "classify", "postgres", "--format", "json", "--graph", "--pg", &pg.url,
        ])
        .env_remove("OUBLI_CONFIG")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let email = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["table"] == "users" && c["column"] == "email")
        .unwrap();
    for k in [
        "table",
        "column",
        "type",
        "personal",
        "categories",
        "confidence",
        "evidence",
    ] {
        assert!(email.get(k).is_some(), "{k}");
    }
    assert_eq!(email["personal"], true);
    assert_eq!(email["type"], "text");
    assert!(v["graph"]["edges"].as_array().unwrap().len() >= 8);
    let raw = String::from_utf8_lossy(&run.stdout);
    assert!(
        !raw.contains("@example.fr\""),
        "no raw address in the output"
    );
}

/// `--graph` as text says, on each link's line, whether it is indexed — the
/// same as the JSON's `indexed` for that link.
#[tokio::test]
async fn classify_postgres_graph_text_says_whether_each_link_is_indexed() {
    let (pg, _, _client) = seeded().await;
    // Every person link of the demo is indexed: take one away, so that both
    // words are seen (the seeded client is read-only).
    pg.client()
        .await
        .batch_execute("DROP INDEX receipts_user_id_idx")
        .await
        .unwrap();
    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_oubli"))
            .args([
                "classify", "postgres", "--graph", "--format", format, "--pg", &pg.url,
            ])
            .env_remove("OUBLI_CONFIG")
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let text = run("text");
    let edges = json["graph"]["edges"].as_array().unwrap();
    assert!(edges.len() >= 8, "{edges:?}");
    let mut unindexed = 0;
    for e in edges {
        let link = format!(
            "{} -> {}.{}",
            e["column"].as_str().unwrap(),
            e["target"].as_str().unwrap(),
            e["target_column"].as_str().unwrap()
        );
        let table = e["table"].as_str().unwrap();
        let word = if e["indexed"] == true {
            "indexed"
        } else {
            unindexed += 1;
            "NO INDEX"
        };
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(&format!("← {table:<16} {link:<40} ")))
            .collect();
        assert!(!lines.is_empty(), "no line for {table} {link}:\n{text}");
        assert!(
            lines
                .iter()
                .all(|l| l.contains(&format!("{link:<40} {word:<8} "))),
            "{table} {link} should say {word}: {lines:?}"
        );
    }
    assert!(
        unindexed > 0,
        "receipts.user_id has no index now: {edges:?}"
    );
}
